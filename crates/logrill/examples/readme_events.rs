use logrill::exec::Event;
use logrill::lang::query;
use logrill::sink::{self, prelude::*};
use logrill::source::LineReader;
use logrill::{find, Format};

// Run from the repository root: `cargo run -p logrill --example readme_events`.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let robots = query()
        .grep("robots.txt")
        .parse(Format::Common)
        .select(["host", "status"]);

    // Pulled: the results are events pushed into any sink; this one keeps three
    // records and then answers Stop, which ends the run as `head 3` would.
    let mut first = Vec::new();
    let keep = sink::from_fn(|e: Event<'_>| {
        if let Event::Record { record, .. } = e {
            first.push(record.to_json());
        }
        if first.len() < 3 {
            Flow::Continue
        } else {
            Flow::Stop
        }
    });
    let files = || find("examples/logs").glob("access-log*").open();
    files().lines().query(&robots).run_into(keep)?;
    assert_eq!(first.len(), 3);

    // Pushed: a plan sink whose events go on into another sink (here a count of them).
    let records = sink::map(
        |e: Event<'_>| matches!(e, Event::Record { .. }),
        sink::collect(),
    );
    let mut plan = robots.sink_into(records)?;
    for input in files() {
        LineReader::new(input?).feed_lines(&mut plan)?;
    }
    let pushed = plan.close()?.value.into_iter().filter(|r| *r).count();
    assert_eq!(pushed, files().lines().query(&robots).rows()?.value.len());
    println!("{} records; the first: {}", pushed, first[0]);
    Ok(())
}
