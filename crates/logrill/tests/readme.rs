//! The README's Rust blocks are what a reader copies: each must be a whole program that
//! compiles as pasted (no rustdoc `# ` lines, which GitHub shows), so each is one of the
//! examples below word for word, and the examples are run here (from the repository
//! root, where their `examples/logs` is). The doctest of the README only compiles them
//! (`rust,no_run`): a doctest runs in the crate's directory, not the repository root.

use std::path::{Path, PathBuf};

mod readme_pull {
    include!("../examples/readme_pull.rs");
    pub(super) fn run() -> Result<(), logrill::Error> {
        main()
    }
}

mod readme_records {
    include!("../examples/readme_records.rs");
    pub(super) fn run() -> Result<(), Box<dyn std::error::Error>> {
        main()
    }
}

mod readme_events {
    include!("../examples/readme_events.rs");
    pub(super) fn run() -> Result<(), Box<dyn std::error::Error>> {
        main()
    }
}

mod readme_push {
    include!("../examples/readme_push.rs");
    pub(super) fn run() -> Result<(), Box<dyn std::error::Error>> {
        main()
    }
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The text of every fenced block of the README whose info string starts with `rust`
/// and is not `rust,ignore`.
fn rust_blocks(readme: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in readme.lines() {
        match current.as_mut() {
            None => {
                if let Some(info) = line.strip_prefix("```") {
                    if info.starts_with("rust") && !info.contains("ignore") {
                        current = Some(String::new());
                    }
                }
            }
            Some(text) if line.starts_with("```") => {
                blocks.push(std::mem::take(text));
                current = None;
            }
            Some(text) => {
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    blocks
}

#[test]
fn readme_rust_blocks_are_the_examples_word_for_word() {
    let root = repo_root();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let blocks = rust_blocks(&readme);
    let examples: Vec<String> = [
        "readme_pull",
        "readme_records",
        "readme_events",
        "readme_push",
    ]
    .iter()
    .map(|n| std::fs::read_to_string(root.join(format!("crates/logrill/examples/{n}.rs"))).unwrap())
    .collect();
    assert_eq!(blocks, examples);
    for block in &blocks {
        assert!(
            !block.lines().any(|l| l.starts_with("# ") || l == "#"),
            "a hidden rustdoc line would be shown on GitHub and not compile:\n{block}"
        );
    }
}

#[test]
fn readme_examples_run_from_the_repository_root() {
    // The only test of this binary that depends on the working directory.
    std::env::set_current_dir(repo_root()).unwrap();
    readme_pull::run().unwrap();
    readme_records::run().unwrap();
    readme_events::run().unwrap();
    readme_push::run().unwrap();
}
