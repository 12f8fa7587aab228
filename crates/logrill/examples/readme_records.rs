use logrill::lang::query;
use logrill::sink::{prelude::*, FeedLines};
use logrill::source::LineReader;
use logrill::{col, find, Format};

// Run from the repository root: `cargo run -p logrill --example readme_records`.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The course's `set(r['request'] for r in apache_log(lines) if r['status'] == 404)`,
    // with how often each path was asked for.
    let stat404 = query()
        .parse(Format::Common)
        .filter(col("status").eq(404))
        .count_by("path")
        .sort([col("count").desc(), col("path").asc()])
        .head(3);
    assert_eq!(
        stat404.text(),
        "parse common | where (status == 404) | count by path \
         | sort count desc, path asc | head 3"
    );

    // Pulled: over the files, on every core.
    let pulled = find("examples/logs")
        .glob("access-log*")
        .open()
        .lines()
        .query(&stat404)
        .run()?;

    // Pushed: the same stages as one sink; send it lines, close it for the answer.
    let mut sink = stat404.sink()?;
    for input in find("examples/logs").glob("access-log*").open() {
        LineReader::new(input?).feed_lines(&mut sink)?;
    }
    let pushed = sink.close()?;

    let rows = pulled.value.rows_json();
    assert_eq!(rows, pushed.value.rows_json());
    assert_eq!(rows[0]["count"], 210);
    for row in rows {
        println!("{row}");
    }
    Ok(())
}
