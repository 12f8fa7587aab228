//! Shell integration: `logrill completions bash|zsh|fish|elvish|powershell` and
//! `logrill man`, both generated from the clap definition of the arguments, and colour
//! (`--color auto|always|never`, `NO_COLOR`).
//!
//! logrill's first positional argument is a PIPELINE, so these are not clap subcommands:
//! [`dispatch`] looks at the first argument before clap parses anything. A pipeline that is
//! just the word `completions` or `man` is not a valid pipeline anyway (no such stage), so
//! nothing is lost.

use std::io::{self, Write};

use clap::CommandFactory;

use crate::args::Args;

/// If the arguments are `completions SHELL` or `man`, do that and return the exit status;
/// otherwise `None` (a normal run).
pub fn dispatch(argv: &[std::ffi::OsString]) -> Option<u8> {
    let word = argv.get(1)?.to_str()?;
    let result = match word {
        "completions" => completions(argv.get(2).and_then(|s| s.to_str()), &mut io::stdout()),
        "man" => man(&mut io::stdout()),
        _ => return None,
    };
    Some(match result {
        Ok(()) => 0,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => 141,
        Err(e) => {
            crate::diag::say(e);
            2
        }
    })
}

/// The completion script for `shell` (bash, zsh, fish, elvish, powershell).
pub fn completions(shell: Option<&str>, out: &mut dyn Write) -> io::Result<()> {
    use clap_complete::Shell;
    let usage = "usage: logrill completions bash|zsh|fish|elvish|powershell";
    let shell: Shell = match shell {
        None => return Err(io::Error::new(io::ErrorKind::InvalidInput, usage)),
        Some(s) => s.parse().map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("unknown shell `{s}`; {usage}"),
            )
        })?,
    };
    let mut command = Args::command();
    clap_complete::generate(shell, &mut command, "logrill", out);
    Ok(())
}

/// The man page (roff), `logrill(1)`.
pub fn man(out: &mut dyn Write) -> io::Result<()> {
    let command = Args::command();
    clap_mangen::Man::new(command).render(out)
}

/// Whether to colour output going to a stream that is (`terminal`) or is not a terminal:
/// `never` never, `always` always, `auto` only on a terminal and when `NO_COLOR` is unset or
/// empty (<https://no-color.org>).
pub fn use_color(when: &str, terminal: bool) -> bool {
    match when {
        "always" => true,
        "never" => false,
        _ => terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    }
}
