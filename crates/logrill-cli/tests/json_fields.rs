//! `parse json` and `parse logfmt` build only the fields a pipeline reads: the values a
//! query sees are those of the full parse (first of repeated keys, nested `a.b` names,
//! escapes decoded, numbers past 64 bits). The fast path does not check what it steps
//! over (`{"bad":01}` is read as a record without the fields asked for); `--strict`
//! checks every byte, as the full parse does. The expected outputs were written from the
//! JSON text by hand (and, for `--strict`, match the output of logrill before the fast
//! path existed).

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_logrill");

const JSON: &str = r#"{"ts":"t1","level":"info","user":{"id":1,"plan":"pro","tags":["a","b"]},"msg":"caf\u00e9 \"quoted\" tab\there","n":12345678901234567890}
{"level":"warn","level":"error","dup":{"a":1},"dup":{"a":2},"user.id":7,"user":{"id":8}}
{"k\u00e9y":"\ud83d\ude00 and lone \ud800","arr":[1,[2,[3,{"x":null}]]],"empty":{}}
{"bad":01}
{"level":"x"} trailing
"#;

fn run(args: &[&str], input: &str, name: &str) -> (String, String, i32) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    std::fs::write(&path, input).expect("write input");
    let mut all: Vec<&str> = args.to_vec();
    let p = path.to_str().expect("utf-8 path");
    all.push(p);
    let out = Command::new(BIN).args(&all).output().expect("run logrill");
    (
        String::from_utf8(out.stdout).expect("utf-8"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn selected_json_fields_are_those_of_the_full_parse() {
    let (out, err, code) = run(
        &[
            "--json",
            "parse json | select level, user.id, dup.a, kéy, msg, n, arr",
        ],
        JSON,
        "app.jsonl",
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        concat!(
            r#"{"level":"info","user.id":1,"dup.a":null,"kéy":null,"msg":"café \"quoted\" tab\there","n":1.2345678901234567e+19,"arr":null}"#,
            "\n",
            r#"{"level":"warn","user.id":7,"dup.a":1,"kéy":null,"msg":null,"n":null,"arr":null}"#,
            "\n",
            r#"{"level":null,"user.id":null,"dup.a":null,"kéy":"😀 and lone �","msg":null,"n":null,"arr":"[1,[2,[3,{\"x\":null}]]]"}"#,
            "\n",
            // `{"bad":01}`: `bad` is not read, so its number is not checked.
            r#"{"level":null,"user.id":null,"dup.a":null,"kéy":null,"msg":null,"n":null,"arr":null}"#,
            "\n"
        )
    );
    // The line that does not end with its object fails.
    assert!(!err.contains("app.jsonl:4:"), "{err}");
    assert!(err.contains("app.jsonl:5: malformed JSON"), "{err}");
}

/// `--strict` checks every byte, so the first malformed line (the number `01` in a member
/// the pipeline does not read) is an error naming the line, as before the fast path.
#[test]
fn strict_checks_every_byte() {
    for pipeline in [
        "parse json | count by level",
        "parse json | select level",
        "parse auto | count by level",
    ] {
        let (_, err, code) = run(&["--strict", pipeline], JSON, "app.jsonl");
        assert_eq!(code, 2, "{pipeline}: {err}");
        assert!(
            err.contains("app.jsonl:4") && err.contains("malformed JSON"),
            "{pipeline}: {err}"
        );
    }
}

/// The common real failure, a last line cut short by a writer that crashed, is refused
/// on the fast path wherever the cut is (here, just after a nested object's `}`).
#[test]
fn a_truncated_last_line_is_refused_on_the_fast_path() {
    let input = concat!(
        r#"{"level":"info","user":{"id":1},"path":"/a"}"#,
        "\n",
        r#"{"level":"warn","user":{"id":2}"#,
    );
    for pipeline in ["parse json | count by level", "parse auto | count by level"] {
        let (out, err, code) = run(&["-q", pipeline], input, "app.jsonl");
        assert_eq!(code, 0, "{err}");
        assert_eq!(out, "level\tcount\ninfo\t1\n", "{pipeline}");
    }
    let (out, _, _) = run(&["parse json | count by level"], input, "app.jsonl");
    assert_eq!(out, "level\tcount\ninfo\t1\n");
}

#[test]
fn json_groups_count_the_first_of_repeated_keys() {
    let (out, err, code) = run(&["-q", "parse json | count by level"], JSON, "app.jsonl");
    assert_eq!(code, 0, "{err}");
    // Without a level: line 3 and, on the fast path, `{"bad":01}` (unchecked).
    assert_eq!(out, "level\tcount\n\t2\ninfo\t1\nwarn\t1\n");
}

#[test]
fn selected_logfmt_pairs_are_those_of_the_full_parse() {
    let input = concat!(
        "level=info msg=\"hello \\\"world\\\"\" took=0.5 n=42 id=007 debug\n",
        "level=warn level=error service=auth latency_ms=12.5\n",
        "just some words\n",
        "a=\"open\n",
    );
    let (out, err, code) = run(
        &["--json", "parse logfmt | select level, msg, n, id, debug"],
        input,
        "app.log",
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        concat!(
            r#"{"level":"info","msg":"hello \"world\"","n":42,"id":"007","debug":true}"#,
            "\n",
            r#"{"level":"warn","msg":null,"n":null,"id":null,"debug":null}"#,
            "\n"
        )
    );
    assert!(err.contains("app.log:3: no key=value pair"), "{err}");
    assert!(
        err.contains("app.log:4: unterminated quoted value"),
        "{err}"
    );
}

/// Records printed whole (no stage after the parse, `--json`) carry every field of the
/// full parse: the projection must not apply to them, whether the format is named or
/// chosen by `parse auto`. Expected output written from the JSON text above (the first of
/// repeated names, nested objects flattened, arrays as their text, an empty object giving
/// nothing), the same as before the fast path.
#[test]
fn json_records_printed_whole_keep_every_field() {
    let want = concat!(
        r#"{"ts":"t1","level":"info","user.id":1,"user.plan":"pro","user.tags":"[\"a\",\"b\"]","msg":"café \"quoted\" tab\there","n":1.2345678901234567e+19}"#,
        "\n",
        r#"{"level":"warn","dup.a":1,"user.id":7}"#,
        "\n",
        r#"{"kéy":"😀 and lone �","arr":"[1,[2,[3,{\"x\":null}]]]"}"#,
        "\n"
    );
    for pipeline in ["parse json", "parse auto"] {
        let (out, err, code) = run(&["--json", pipeline], JSON, "app.jsonl");
        assert_eq!(code, 0, "{pipeline}: {err}");
        assert_eq!(out, want, "{pipeline}");
        assert!(
            err.contains("app.jsonl:4: malformed JSON (byte 7)"),
            "{pipeline}: {err}"
        );
    }
    assert!(run(&["--json", "parse auto"], JSON, "app.jsonl")
        .1
        .contains("parse auto: chose json"));
}

#[test]
fn logfmt_records_printed_whole_keep_every_pair() {
    let input = concat!(
        "level=info msg=\"hello \\\"world\\\"\" took=0.5 n=42 id=007 debug\n",
        "level=warn level=error service=auth latency_ms=12.5\n",
        "just some words\n",
    );
    let (out, err, code) = run(&["--json", "parse logfmt"], input, "app.log");
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        concat!(
            r#"{"level":"info","msg":"hello \"world\"","took":0.5,"n":42,"id":"007","debug":true}"#,
            "\n",
            r#"{"level":"warn","service":"auth","latency_ms":12.5}"#,
            "\n"
        )
    );
    assert!(err.contains("app.log:3: no key=value pair"), "{err}");
}
