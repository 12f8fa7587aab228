//! The running result of a live pipeline (`-F`, `--from nats://…`), redrawn in place on a
//! terminal, appended otherwise. Both live loops use it, so neither depends on the other.

use std::io::{self, Write};

use logrill::exec::Live;

use crate::args::Args;
use crate::output::Printer;

/// Print the running result; on a terminal over the previous one. Returns how many lines
/// it took.
pub fn show(live: &mut Live, args: &Args, terminal: bool, previous: usize) -> io::Result<usize> {
    let mut buf = Printer::new(Vec::new(), args.format(), terminal, terminal && !args.raw)
        .with_chart(args.chart());
    live.snapshot(&mut buf)?;
    let bytes = buf.into_inner()?;
    let mut stdout = io::stdout().lock();
    if terminal && previous > 0 {
        write!(stdout, "\x1b[{previous}A\x1b[J")?;
    }
    stdout.write_all(&bytes)?;
    stdout.flush()?;
    Ok(bytes.iter().filter(|&&b| b == b'\n').count())
}
