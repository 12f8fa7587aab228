//! `parse json` against JSONTestSuite's parsing cases (vendored in
//! `tests/data/JSONTestSuite`): the valid documents that are objects parse, the invalid
//! ones do not (but for the few deliberate leniencies listed below), and the fast path
//! that builds only selected fields accepts and rejects exactly the same documents, with
//! the same failure, and builds exactly the selected fields of the full parse.

use std::path::PathBuf;

use logrill::stage::parse::{FieldKey, Parser, Record};

/// Invalid documents that `parse json` accepts on purpose, and why: log lines are not
/// always clean, so raw control bytes and invalid UTF-8 inside strings are kept rather
/// than losing the line.
const LENIENT: &[(&str, &str)] = &[
    (
        "n_string_unescaped_ctrl_char.json",
        "raw control byte in a string",
    ),
    ("n_string_unescaped_newline.json", "raw newline in a string"),
    ("n_string_unescaped_tab.json", "raw tab in a string"),
];

fn cases(prefix: &str) -> Vec<(String, Vec<u8>)> {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/JSONTestSuite/test_parsing");
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("vendored JSONTestSuite")
        .map(|e| e.expect("directory entry").path())
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?.to_string();
            name.starts_with(prefix)
                .then(|| (name, std::fs::read(&p).expect("readable case")))
        })
        .collect();
    out.sort();
    out
}

/// The fields (name, value in Debug form) or the failure (in words, with its offset).
fn run(parser: &mut Parser, doc: &[u8]) -> Result<Vec<(String, String)>, String> {
    let mut rec = Record::new();
    parser.parse(doc, &mut rec).map_err(|f| f.to_string())?;
    Ok(rec
        .iter()
        .map(|(k, v)| (k.to_string(), format!("{v:?}")))
        .collect())
}

/// Parse `doc` in full, then with several selections (none, one name, the last name, a
/// nested name, a name no document has); check that they agree; return the full result.
fn parse_all_ways(name: &str, doc: &[u8]) -> Result<Vec<(String, String)>, String> {
    let full = run(&mut Parser::json(), doc);
    let names: Vec<String> = full
        .as_ref()
        .map(|f| f.iter().map(|(k, _)| k.clone()).collect())
        .unwrap_or_default();
    let selections: Vec<Vec<String>> = vec![
        vec![],
        names.first().cloned().into_iter().collect(),
        names.last().cloned().into_iter().collect(),
        vec!["a".into(), "a.b".into()],
        vec!["no such field".into()],
    ];
    for sel in selections {
        let mut p = Parser::json();
        let keys: Vec<FieldKey> = sel.iter().map(|n| p.resolve(n)).collect();
        p.project(&keys);
        let got = run(&mut p, doc);
        let want = full.clone().map(|f| {
            f.into_iter()
                .filter(|(k, _)| sel.contains(k))
                .collect::<Vec<_>>()
        });
        assert_eq!(got, want, "{name}, selecting {sel:?}");
    }
    full
}

/// `{"k":DOC}`: the document as a member's value, to reach the paths that read (or
/// skip) values inside an object.
fn wrapped(doc: &[u8]) -> Vec<u8> {
    [&b"{\"k\":"[..], doc, b"}"].concat()
}

#[test]
fn valid_documents_parse_on_both_paths() {
    let mut objects = 0;
    for (name, doc) in cases("y_") {
        let is_object = doc.trim_ascii_start().first() == Some(&b'{');
        let got = parse_all_ways(&name, &doc);
        assert_eq!(got.is_ok(), is_object, "{name}: {got:?}");
        objects += usize::from(is_object);
        let got = parse_all_ways(&name, &wrapped(&doc));
        assert!(got.is_ok(), "{name} as a value: {got:?}");
    }
    assert!(objects >= 10, "only {objects} valid objects in the suite");
}

#[test]
fn invalid_documents_are_rejected_on_both_paths() {
    let all = cases("n_");
    assert!(all.len() > 150, "only {} invalid cases found", all.len());
    let mut accepted = Vec::new();
    for (name, doc) in &all {
        let got = parse_all_ways(name, doc);
        assert!(got.is_err(), "{name}: {got:?}");
        if parse_all_ways(name, &wrapped(doc)).is_ok() {
            accepted.push(name.as_str());
        }
    }
    let lenient: Vec<&str> = LENIENT.iter().map(|(n, _)| *n).collect();
    assert_eq!(accepted, lenient, "invalid documents accepted as a value");
}
