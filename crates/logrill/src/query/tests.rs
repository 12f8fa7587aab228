use super::*;

#[test]
fn the_seed_pipeline() {
    let p = parse(r#"grep "ply-.*\.gz" | field -1 | sum"#).unwrap();
    assert!(matches!(
        &p.stages[0],
        StageSpec::Grep { pattern, options } if pattern == r"ply-.*\.gz" && *options == GrepOptions::default()
    ));
    assert!(matches!(
        p.stages[1],
        StageSpec::Field {
            index: -1,
            delimiter: None
        }
    ));
    assert_eq!(p.terminal, Terminal::Aggregate(AggKind::Sum));
    assert!(!p.is_filter());
}

#[test]
fn flags_quotes_and_delimiters() {
    let p = parse("grep -iv -F 'a|b' | field -d , 2 | field -d: -1 | head 3").unwrap();
    assert!(matches!(
        &p.stages[0],
        StageSpec::Grep { pattern, options: GrepOptions { ignore_case: true, invert: true, fixed: true } }
            if pattern == "a|b"
    ));
    assert!(matches!(&p.stages[1], StageSpec::Field { index: 2, delimiter: Some(d) } if d == ","));
    assert!(matches!(&p.stages[2], StageSpec::Field { index: -1, delimiter: Some(d) } if d == ":"));
    assert!(matches!(p.stages[3], StageSpec::Head(3)));
    assert!(p.is_filter());
    let p = parse(r#"grep -- -v"#).unwrap();
    assert!(matches!(&p.stages[0], StageSpec::Grep { pattern, .. } if pattern == "-v"));
    let p = parse(r#"grep "say \"hi\" \\ \d""#).unwrap();
    assert!(
        matches!(&p.stages[0], StageSpec::Grep { pattern, .. } if pattern == r#"say "hi" \ \d"#)
    );
}

#[test]
fn records_aggregates_and_tables() {
    let p =
        parse("parse combined | where status == 404 and bytes > 1000 | select path, bytes as size")
            .unwrap();
    assert_eq!(p.terminal, Terminal::Rows);
    assert!(p.is_filter());
    assert!(p.parses());
    let StageSpec::Select(cols) = &p.stages[2] else {
        panic!()
    };
    assert_eq!(
        cols.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        ["path", "size"]
    );

    let p = parse(
        "parse json | count, sum bytes, p99 duration as slow, top 3 path by host, hour(time)",
    )
    .unwrap();
    let StageSpec::Aggregate { aggregates, by } = &p.stages[1] else {
        panic!()
    };
    let names: Vec<_> = aggregates.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["count", "sum_bytes", "slow", "top_path"]);
    assert!(matches!(
        aggregates[0].function,
        AggFn::Simple(AggKind::Count)
    ));
    assert!(aggregates[0].arg.is_none());
    assert!(matches!(aggregates[2].function, AggFn::Percentile(q) if q == 99.0));
    assert!(matches!(aggregates[3].function, AggFn::Top(3)));
    let by: Vec<_> = by.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(by, ["host", "hour(time)"]);
    assert_eq!(p.terminal, Terminal::Rows);
    assert!(!p.is_filter());

    let p =
        parse("parse json | percentile(latency, 99.9) as p999 by svc | sort p999 desc | head 5")
            .unwrap();
    assert!(matches!(
        &p.stages[1],
        StageSpec::Aggregate { aggregates, .. } if matches!(aggregates[0].function, AggFn::Percentile(q) if q == 99.9)
    ));
    assert!(matches!(&p.stages[2], StageSpec::Sort(k) if k[0].descending));

    // The seed's form: an aggregate of the current value, printed bare.
    assert_eq!(
        parse("field -1 | max").unwrap().terminal,
        Terminal::Aggregate(AggKind::Max)
    );
    // Several plain aggregates of lines make a table.
    assert_eq!(parse("count, count as n").unwrap().terminal, Terminal::Rows);
}

#[test]
fn tee_branches() {
    let p = parse("parse combined | tee (count by status) (sum bytes by host | sort sum_bytes desc | head 5) (where status == 404 | distinct path)")
        .unwrap();
    assert_eq!(p.terminal, Terminal::Branches);
    let StageSpec::Tee(branches) = &p.stages[1] else {
        panic!()
    };
    assert_eq!(branches.len(), 3);
    assert_eq!(branches[1].stages.len(), 3);
    let p = parse("tee (grep a | count) (field -1 | sum)").unwrap();
    let StageSpec::Tee(b) = &p.stages[0] else {
        panic!()
    };
    assert_eq!(b[1].terminal, Terminal::Aggregate(AggKind::Sum));
}

fn col(text: &str) -> (usize, String) {
    let e = parse(text).unwrap_err();
    (e.column, e.message)
}

#[test]
fn errors_point_at_the_column() {
    assert_eq!(col("grep x | gerp y").0, 10);
    assert!(col("grep x | gerp y").1.contains("unknown stage `gerp`"));
    assert_eq!(col("sum | head 3").0, 7);
    assert_eq!(col("field 0").0, 7);
    assert_eq!(col("field x").0, 7);
    assert_eq!(col("grep 'a(' ").0, 6);
    assert!(col("grep 'a(' ").1.contains("bad regular expression"));
    assert_eq!(col("grep -x a").0, 7);
    assert_eq!(col("grep").0, 1);
    assert_eq!(col("grep a b").0, 8);
    assert_eq!(col("grep a | | sum").0, 10);
    assert_eq!(col("| sum").0, 1);
    assert_eq!(col("grep a |").0, 9);
    assert_eq!(col("grep 'open").0, 6);
    assert_eq!(col("sum bytes").0, 1);
    assert!(col("sum bytes").1.contains("parse"));
    assert_eq!(col("head -1").0, 6);
    assert!(col("").1.contains("empty pipeline"));
    let shown = parse("grep x | gerp y").unwrap_err().to_string();
    assert!(
        shown.ends_with("\n  grep x | gerp y\n           ^"),
        "{shown}"
    );
    // Records stages without parse, and misplaced stages.
    assert_eq!(col("grep x | where status == 1").0, 10);
    assert!(col("where a == 1").1.contains("parse"));
    assert_eq!(col("parse common | field 1").0, 16);
    assert_eq!(col("parse common | where status ==").0, 31);
    assert_eq!(col("parse common | where status == 1 )").0, 34);
    assert_eq!(col("parse common | count by").0, 24);
    assert_eq!(col("parse common | top x path").0, 20);
    assert_eq!(col("parse common | percentile(bytes, 120)").0, 33);
    assert_eq!(col("parse common | distinct").0, 24);
    assert_eq!(col("parse common | tee (count) | head 1").0, 30);
    assert_eq!(col("tee (count) (grep").0, 13);
    assert_eq!(col("tee count").0, 5);
    assert_eq!(col("parse '%h %Q'").0, 11);
    assert!(col("parse '%h %Q'").1.contains("parse"));
    assert_eq!(col("parse nosuch").0, 7);
}
