use logrill::sink::{self, prelude::*};
use logrill::{find, AggValue};

// Run from the repository root: `cargo run -p logrill --example readme_push`.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut chain = sink::grep("robots.txt", sink::field(-1, sink::sum())?)?;
    let files = find("examples/logs").glob("access-log*").open();
    sink::feed_inputs(files, &mut chain, |e| eprintln!("{e}"))?;
    let total = chain.close()?;
    assert_eq!(total.value, AggValue::Int(5_154_660));
    println!("{}", total.value);
    Ok(())
}
