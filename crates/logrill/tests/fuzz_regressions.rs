//! Every input a fuzz target once crashed on (`tests/data/fuzz/TARGET/*`), and every seed
//! of the fuzz corpora (`fuzz/seeds/TARGET/*`), run through the very code of the fuzz
//! targets (`fuzz/src/lib.rs`, included here as a module): none may panic.
//!
//! To add a regression: minimise the crash (`cargo +nightly fuzz tmin TARGET ARTIFACT` in
//! `fuzz/`) and copy the result into `tests/data/fuzz/TARGET/`, named after the bug.

use std::panic;
use std::path::{Path, PathBuf};

#[path = "../../../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod harness;

/// The files in `dir` (none if it does not exist), sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

/// Run every file under `root/TARGET/` through its target; the files that panicked.
fn run_all(root: &Path) -> (usize, Vec<String>) {
    let mut ran = 0;
    let mut failed = Vec::new();
    for (name, target) in harness::TARGETS {
        for file in files(&root.join(name)) {
            let data = std::fs::read(&file).unwrap();
            ran += 1;
            if panic::catch_unwind(|| target(&data)).is_err() {
                failed.push(format!("{name}: {}", file.display()));
            }
        }
    }
    (ran, failed)
}

#[test]
fn saved_crash_inputs_no_longer_crash() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz");
    let (_, failed) = run_all(&root);
    assert!(failed.is_empty(), "crashed again: {failed:#?}");
}

#[test]
fn fuzz_seeds_do_not_crash() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds");
    let (ran, failed) = run_all(&root);
    assert!(ran >= 50, "only {ran} seeds found under {}", root.display());
    assert!(failed.is_empty(), "seeds crash: {failed:#?}");
}
