//! The library's pull builder and push sinks: behaviour beyond "same answer as the CLI"
//! (which `every_stage.rs` checks).

use std::io::Write;

use logrill::find;

fn write_log(dir: &std::path::Path, lines: usize) -> std::path::PathBuf {
    let path = dir.join("access-log");
    let mut f = std::fs::File::create(&path).unwrap();
    for i in 0..lines {
        writeln!(
            f,
            "192.0.2.{i} - - [01/Jan/2023:00:00:00 +0000] \"GET /p{i} HTTP/1.0\" 200 {i}"
        )
        .unwrap();
    }
    path
}

/// `for_each` stopped by its closure reports how many values it was given, not
/// `u64::MAX` (issue 15).
#[test]
fn for_each_that_stops_early_reports_the_values_it_was_given() {
    let dir = tempfile::tempdir().unwrap();
    write_log(dir.path(), 10);
    let mut seen = 0;
    let report = find(dir.path())
        .open()
        .lines()
        .for_each(|_, _, _| {
            seen += 1;
            seen < 3
        })
        .unwrap();
    assert_eq!(seen, 3);
    assert_eq!(report.value, 3);
}

/// A plan error found after parsing (a field the format lacks) is reported the same way
/// for a builder chain as for the text it writes: the same message at the same column.
#[test]
fn builder_plan_errors_are_the_text_errors() {
    use logrill::{col, lang::query, Format};
    let q = query()
        .parse(Format::Combined)
        .filter(col("sttaus").eq(404));
    let text = q.text();
    assert_eq!(text, "parse combined | where (sttaus == 404)");
    let from_builder = q.plan().unwrap_err();
    let from_text = logrill::query::parse(&text).unwrap_err();
    assert_eq!(from_builder, from_text);
    assert_eq!(from_builder.column, text.find("sttaus").unwrap() + 1);
    assert!(
        from_builder.message.contains("status"),
        "{}",
        from_builder.message
    );
    // The pull side refuses it before reading, with the same error.
    let dir = tempfile::tempdir().unwrap();
    write_log(dir.path(), 3);
    let err = find(dir.path())
        .open()
        .lines()
        .parse(Format::Combined)
        .filter(col("sttaus").eq(404))
        .run()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        logrill::Error::Query(from_text).to_string()
    );
    // And so does the push side.
    assert!(q.sink().is_err());
}

/// The records iterator gives every record, in input order, and stops the run when
/// dropped early.
#[test]
fn records_iterate_in_order_and_can_be_dropped() {
    use logrill::{Format, Value};
    let dir = tempfile::tempdir().unwrap();
    write_log(dir.path(), 5000);
    let bytes: Vec<i64> = find(dir.path())
        .open()
        .lines()
        .parse(Format::Common)
        .records()
        .unwrap()
        .map(|r| match r.unwrap().get_by_name("bytes") {
            Some(Value::Int(b)) => *b,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(bytes, (0..5000).collect::<Vec<i64>>());
    let mut it = find(dir.path())
        .open()
        .lines()
        .parse(Format::Common)
        .records()
        .unwrap();
    assert!(it.next().is_some());
    drop(it); // must not hang
}
