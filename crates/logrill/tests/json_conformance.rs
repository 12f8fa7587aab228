//! `parse json` against JSONTestSuite's parsing cases (vendored in
//! `tests/data/JSONTestSuite`): the valid documents that are objects parse, the invalid
//! ones do not (but for the few deliberate leniencies listed below), and building only
//! selected fields while checking every byte (`--strict`) accepts and rejects exactly the
//! same documents, with the same failure, and builds exactly the selected fields of the
//! full parse. The fast path (selected fields, the rest stepped over unchecked) accepts
//! every valid object, and of the invalid documents exactly those listed in
//! [`FAST_ACCEPTS`].

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
        p.check_every_byte(true);
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

/// The fast path, building `sel` only.
fn fast(sel: &[&str], doc: &[u8]) -> Result<Vec<(String, String)>, String> {
    let mut p = Parser::json();
    let keys: Vec<FieldKey> = sel.iter().map(|n| p.resolve(n)).collect();
    p.project(&keys);
    run(&mut p, doc)
}

/// The first field of each name (what a lookup by name finds).
fn first_of_each(fields: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (k, v) in fields {
        if !out.iter().any(|(n, _)| *n == k) {
            out.push((k, v));
        }
    }
    out
}

#[test]
fn fast_path_reads_every_valid_object() {
    for (name, doc) in cases("y_") {
        for doc in [doc.clone(), wrapped(&doc)] {
            let Ok(full) = run(&mut Parser::json(), &doc) else {
                continue;
            };
            let names: Vec<String> = full.iter().map(|(k, _)| k.clone()).collect();
            let mut selections: Vec<Vec<&str>> = vec![vec![], vec!["no such field"], vec!["k"]];
            selections.extend(names.iter().map(|n| vec![n.as_str()]));
            for sel in selections {
                let want: Vec<_> = full
                    .iter()
                    .filter(|(k, _)| sel.contains(&k.as_str()))
                    .cloned()
                    .collect();
                let got = fast(&sel, &doc).map(first_of_each);
                assert_eq!(got, Ok(first_of_each(want)), "{name}, fast, {sel:?}");
            }
        }
    }
}

#[test]
fn fast_path_accepts_exactly_the_listed_invalid_documents() {
    let mut accepted = Vec::new();
    for (name, doc) in cases("n_") {
        let alone = fast(&["no such field"], &doc).is_ok() || fast(&[], &doc).is_ok();
        let inside = fast(&["no such field"], &wrapped(&doc)).is_ok();
        // A member read is checked in full: only the leniencies of the full parse, and
        // documents that are objects (the fast path steps over an object that is no
        // field), are accepted as the value of `k`.
        let read = fast(&["k"], &wrapped(&doc)).is_ok();
        if alone || inside || read {
            accepted.push(format!(
                "{name} {}{}{}",
                u8::from(alone),
                u8::from(inside),
                u8::from(read)
            ));
        }
    }
    let want: Vec<String> = FAST_ACCEPTS.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(accepted, want);
}

/// The invalid documents the fast path accepts when it reads nothing of them (`alone`:
/// as the line; `inside`: as the value of a member not read), or reads them as the
/// value of `k` (`read`), with the flags `alone inside read` after the name, and why.
const FAST_ACCEPTS: &[(&str, &str)] = &[
    ("n_array_1_true_without_comma.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_array_a_invalid_utf8.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_array_colon_instead_of_comma.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_array_comma_after_close.json 001", "read as the value of `k`, then a stray `,`: after the last member read, the members are not checked"),
    ("n_array_comma_and_number.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_array_double_comma.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_array_double_extra_comma.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_array_extra_comma.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_array_inner_array_no_comma.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_array_invalid_utf8.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_array_items_separated_by_semicolon.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_array_just_comma.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_array_just_minus.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_array_missing_value.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_array_number_and_comma.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_array_number_and_several_commas.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_array_spaces_vertical_tab_formfeed.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_array_star_inside.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_incomplete_false.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_incomplete_null.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_incomplete_true.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_multidigit_number_then_00.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_++.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_+1.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_+Inf.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_-01.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_-1.0..json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_-2..json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_-NaN.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_.-1.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_.2e-3.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_0.1.2.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_0.3e+.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_0.3e.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_0.e1.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_0_capital_E+.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_0_capital_E.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_0e+.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_0e.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_1.0e+.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_1.0e-.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_1.0e.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_1_000.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_1eE2.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_2.e+3.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_2.e-3.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_2.e3.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_9.e+.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_Inf.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_NaN.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_U+FF11_fullwidth_digit_one.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_expression.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_hex_1_digit.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_hex_2_digits.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_infinity.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_invalid+-.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_invalid-negative-real.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_invalid-utf-8-in-bigger-int.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_invalid-utf-8-in-exponent.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_invalid-utf-8-in-int.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_minus_infinity.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_minus_sign_with_trailing_garbage.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_minus_space_1.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_neg_int_starting_with_zero.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_neg_real_without_int_part.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_neg_with_garbage_at_end.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_real_garbage_after_e.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_real_with_invalid_utf8_after_e.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_real_without_fractional_part.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_starting_with_dot.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_with_alpha.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_with_alpha_char.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_number_with_leading_zero.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_object_bad_value.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_object_comma_instead_of_colon.json 111", "an invalid object, accepted when nothing is read from it (`parse json | count`: only the braces and brackets are checked)"),
    ("n_object_double_colon.json 111", "an invalid object, accepted when nothing is read from it (`parse json | count`: only the braces and brackets are checked)"),
    ("n_object_emoji.json 111", "an invalid object, accepted when nothing is read from it (`parse json | count`: only the braces and brackets are checked)"),
    ("n_object_garbage_at_end.json 111", "an invalid object, accepted when nothing is read from it (`parse json | count`: only the braces and brackets are checked)"),
    ("n_object_key_with_single_quotes.json 111", "an invalid object, accepted when nothing is read from it (`parse json | count`: only the braces and brackets are checked)"),
    ("n_object_lone_continuation_byte_in_key_and_trailing_comma.json 111", "an invalid object, accepted when nothing is read from it (`parse json | count`: only the braces and brackets are checked)"),
    ("n_object_missing_colon.json 111", "an invalid object, accepted when nothing is read from it (`parse json | count`: only the braces and brackets are checked)"),
    ("n_object_missing_key.json 111", "an invalid object, accepted when nothing is read from it (`parse json | count`: only the braces and brackets are checked)"),
    ("n_object_missing_semicolon.json 111", "an invalid object, accepted when nothing is read from it (`parse json | count`: only the braces and brackets are checked)"),
    ("n_object_non_string_key.json 111", "an invalid object, accepted when nothing is read from it (`parse json | count`: only the braces and brackets are checked)"),
    ("n_object_non_string_key_but_huge_number_instead.json 111", "an invalid object, accepted when nothing is read from it (`parse json | count`: only the braces and brackets are checked)"),
    ("n_object_repeated_null_null.json 111", "an invalid object, accepted when nothing is read from it (`parse json | count`: only the braces and brackets are checked)"),
    ("n_object_several_trailing_commas.json 111", "an invalid object, accepted when nothing is read from it (`parse json | count`: only the braces and brackets are checked)"),
    ("n_object_single_quote.json 111", "an invalid object, accepted when nothing is read from it (`parse json | count`: only the braces and brackets are checked)"),
    ("n_object_trailing_comma.json 111", "an invalid object, accepted when nothing is read from it (`parse json | count`: only the braces and brackets are checked)"),
    ("n_object_two_commas_in_a_row.json 111", "an invalid object, accepted when nothing is read from it (`parse json | count`: only the braces and brackets are checked)"),
    ("n_object_unquoted_key.json 111", "an invalid object, accepted when nothing is read from it (`parse json | count`: only the braces and brackets are checked)"),
    ("n_object_with_single_string.json 111", "an invalid object, accepted when nothing is read from it (`parse json | count`: only the braces and brackets are checked)"),
    ("n_string_1_surrogate_then_escape_u.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_string_1_surrogate_then_escape_u1.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_string_1_surrogate_then_escape_u1x.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_string_accentuated_char_no_quotes.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_string_backslash_00.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_string_escape_x.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_string_escaped_ctrl_char_tab.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_string_escaped_emoji.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_string_incomplete_escaped_character.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_string_incomplete_surrogate.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_string_incomplete_surrogate_escape_invalid.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_string_invalid-utf-8-in-escape.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_string_invalid_backslash_esc.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_string_invalid_unicode_escape.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_string_invalid_utf8_after_escape.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_string_leading_uescaped_thinspace.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_string_no_quotes_with_bad_escape.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_string_single_quote.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_string_single_string_no_double_quotes.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_string_unescaped_ctrl_char.json 011", "as the value of a member not read; read, it is one of the full parse's leniencies (raw control bytes in strings) or an object, which is no field and is stepped over"),
    ("n_string_unescaped_newline.json 011", "as the value of a member not read; read, it is one of the full parse's leniencies (raw control bytes in strings) or an object, which is no field and is stepped over"),
    ("n_string_unescaped_tab.json 011", "as the value of a member not read; read, it is one of the full parse's leniencies (raw control bytes in strings) or an object, which is no field and is stepped over"),
    ("n_string_unicode_CapitalU.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_structure_U+2060_word_joined.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_structure_UTF8_BOM_no_data.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_structure_angle_bracket_..json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_structure_angle_bracket_null.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_structure_ascii-unicode-identifier.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_structure_capitalized_True.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_structure_lone-invalid-utf-8.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_structure_null-byte-outside-string.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_structure_number_with_trailing_garbage.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_structure_object_with_comment.json 111", "an invalid object, accepted when nothing is read from it (`parse json | count`: only the braces and brackets are checked)"),
    ("n_structure_open_object_close_array.json 011", "as the value of a member not read; read, it is one of the full parse's leniencies (raw control bytes in strings) or an object, which is no field and is stepped over"),
    ("n_structure_single_eacute.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_structure_single_star.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_structure_uescaped_LF_before_string.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_structure_unicode-identifier.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_structure_whitespace_U+2060_word_joiner.json 010", "an invalid value inside a member not read: its grammar is not checked"),
    ("n_structure_whitespace_formfeed.json 010", "an invalid value inside a member not read: its grammar is not checked"),
];
