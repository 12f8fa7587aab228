//! `logrill completions SHELL`, `logrill man`, `--color` and `NO_COLOR`.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_logrill");

fn run(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut c = Command::new(BIN);
    c.args(args).env_remove("NO_COLOR");
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn completions_for_each_shell_know_the_options() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let (code, out, err) = run(&["completions", shell], &[]);
        assert_eq!(code, 0, "{shell}: {err}");
        assert!(out.contains("logrill"), "{shell}");
        assert!(out.contains("partition-by"), "{shell}: {out}");
        assert!(out.contains("color"), "{shell}");
    }
    let (code, _, err) = run(&["completions", "tcsh"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown shell `tcsh`"), "{err}");
    let (code, _, err) = run(&["completions"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("usage: logrill completions"), "{err}");
}

#[test]
fn man_page_is_roff_from_the_clap_definition() {
    let (code, out, err) = run(&["man"], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(".TH logrill 1"), "{out}");
    assert!(out.contains("\\-\\-output"), "{out}");
    assert!(out.contains("PIPELINE"), "{out}");
}

#[test]
fn color_only_when_asked_or_on_a_terminal_without_no_color() {
    let dir = tempfile::TempDir::new().unwrap();
    let log = dir.path().join("a.log");
    std::fs::write(&log, "a 1\nb 2\n").unwrap();
    let l = log.to_str().unwrap();
    let pipeline = "tee (count) (field 2 | sum)";
    // Not a terminal: no colour by default, with or without NO_COLOR.
    for env in [&[][..], &[("NO_COLOR", "1")][..]] {
        let (code, out, _) = run(&[pipeline, l], env);
        assert_eq!(code, 0);
        assert_eq!(out, "== count\n2\n\n== field 2 | sum\n3\n");
    }
    let (_, out, _) = run(&["--color", "never", pipeline, l], &[]);
    assert!(!out.contains('\x1b'));
    // `always` is asked for explicitly: it wins over NO_COLOR.
    let (_, out, _) = run(&["--color", "always", pipeline, l], &[("NO_COLOR", "1")]);
    assert_eq!(
        out,
        "\x1b[1m== count\x1b[0m\n2\n\n\x1b[1m== field 2 | sum\x1b[0m\n3\n"
    );
    let (code, _, err) = run(&["--color", "sometimes", "count", l], &[]);
    assert_eq!(code, 2, "{err}");
}
