//! The committed sample tree `examples/logs` must be exactly what the generator makes with
//! [`sample_options`]: same truth, same plain files byte for byte, same decompressed
//! content for the compressed ones. (Compressed bytes themselves may change with a
//! compressor's version, so they are compared after decompression.)
//!
//! If this fails after a deliberate change to the generator, regenerate the sample with the
//! command in the documentation of `sample_options` and update the number in the doc test
//! of `crates/logrill/src/lib.rs`.

use std::fs;
use std::path::PathBuf;

use logrill_testgen::{decompress, generate, sample_options, Codec};

fn sample_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/logs")
}

#[test]
fn sample_tree_is_up_to_date() {
    let committed = sample_dir();
    let fresh = tempfile::tempdir().unwrap();
    let truth = generate(fresh.path(), &sample_options()).unwrap();

    let text = fs::read_to_string(committed.join("TRUTH.json")).unwrap();
    let on_disk: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        on_disk,
        truth.to_json(),
        "examples/logs/TRUTH.json differs from the generator's truth"
    );
    assert_eq!(
        text,
        truth.to_json_string(),
        "TRUTH.json is not formatted as written"
    );

    assert_eq!(truth.files.len(), 12);
    for f in &truth.files {
        let old = fs::read(committed.join(&f.path)).unwrap();
        let new = fs::read(fresh.path().join(&f.path)).unwrap();
        if f.codec == Codec::Plain {
            assert!(old == new, "{} differs from a fresh copy", f.path);
        } else {
            let (old, new) = (
                decompress(f.codec, &old).unwrap(),
                decompress(f.codec, &new).unwrap(),
            );
            assert!(old == new, "{} decompresses differently", f.path);
            assert_eq!(old.len() as u64, f.counts.raw_bytes);
        }
    }
    for site in ["site0", "site1"] {
        for decoy in ["error-log", "notes.txt"] {
            let rel = format!("www/{site}/{decoy}");
            assert_eq!(
                fs::read(committed.join(&rel)).unwrap(),
                fs::read(fresh.path().join(&rel)).unwrap(),
                "{rel}"
            );
        }
    }

    // Nothing else in the committed tree.
    let mut names: Vec<String> = walk(&committed)
        .into_iter()
        .map(|p| {
            p.strip_prefix(&committed)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    names.sort();
    let mut want: Vec<String> = truth.files.iter().map(|f| f.path.clone()).collect();
    want.extend(
        ["site0", "site1"]
            .iter()
            .flat_map(|s| [format!("www/{s}/error-log"), format!("www/{s}/notes.txt")]),
    );
    want.push("TRUTH.json".to_string());
    want.sort();
    assert_eq!(names, want);
}

#[test]
fn sample_has_what_the_tests_need() {
    let truth = generate(tempfile::tempdir().unwrap().path(), &sample_options()).unwrap();
    assert!(truth.malformed_lines > 0 && truth.empty_lines > 0);
    assert!(truth.dash_lines > 0 && truth.pattern_lines > 0);
    let codecs: std::collections::BTreeSet<Codec> = truth.files.iter().map(|f| f.codec).collect();
    assert_eq!(codecs.len(), 5);
    // Small enough to keep in the repository.
    let on_disk: u64 = truth.files.iter().map(|f| f.file_bytes).sum();
    assert!(on_disk < 1_500_000, "{on_disk}");
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// The regeneration command written in the docs uses the options the test checks against.
#[test]
fn documented_command_matches_sample_options() {
    let o = sample_options();
    let flags = format!(
        "-- examples/logs --mb {} --sites {} --seed {} > TRUTH.tmp",
        o.mb, o.sites, o.seed
    );
    assert!(!o.combined && o.codecs == Codec::ALL);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for file in ["src/lib.rs", "examples/mklogs.rs"] {
        let text = fs::read_to_string(root.join(file)).unwrap();
        assert!(text.contains(&flags), "{file} does not document {flags:?}");
    }
}
