use logrill::{find, AggValue};

// Run from the repository root: `cargo run -p logrill --example readme_pull`.
fn main() -> Result<(), logrill::Error> {
    let total = find("examples/logs")
        .glob("access-log*")
        .open()
        .lines()
        .grep("robots.txt")
        .field(-1)
        .sum()?;
    assert_eq!(total.value, AggValue::Int(5_154_660));
    println!("{}", total.value);
    Ok(())
}
