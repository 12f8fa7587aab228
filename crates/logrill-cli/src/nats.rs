//! NATS JetStream transport (cargo feature `nats`, on by default).
//!
//! * `--to nats://HOST:PORT/SUBJECT`: every output record (a value, a record, a table row,
//!   an aggregate) is published as one JSON message with a `Nats-Msg-Id` that names its
//!   source ([`ids`]: instance, file identity, position), so a line read again after a
//!   restart gets the same id and JetStream's duplicate window drops it, while the same
//!   text from another host or another generation of the file is stored. A duplicate the
//!   broker reports for a record that is not such a re-send is counted and reported.
//!   Messages are pipelined; [`NatsSink::settle`] waits until the server acknowledged all
//!   of them, republishing (same id) after a broker outage. With `-F --state`, follow.rs
//!   commits the follower only after `settle`: the checkpoint never covers a record the
//!   server has not stored (at-least-once; exactly-once within the duplicate window).
//! * A `nats://HOST:PORT/SUBJECT` input: the messages of the JetStream stream holding
//!   SUBJECT, from its first, each pushed as a line through the pipeline (`parse json | …`).
//!   Without `-F`, reading stops at the last message stored; with `-F`, it goes on until
//!   `--exit-on-idle` or Ctrl-C.

use std::path::Path;

/// Whether an input path names a NATS subject (`nats://…`).
pub fn is_url(path: &Path) -> bool {
    path.to_str().is_some_and(|p| p.starts_with("nats://"))
}

/// A `nats://HOST:PORT/SUBJECT` URL, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `HOST:PORT` (4222 when no port is given).
    pub server: String,
    /// The subject.
    pub subject: String,
}

impl Target {
    /// Split `nats://HOST[:PORT]/SUBJECT`.
    pub fn parse(url: &str) -> anyhow::Result<Target> {
        let rest = url
            .strip_prefix("nats://")
            .ok_or_else(|| anyhow::anyhow!("`{url}`: expected nats://HOST:PORT/SUBJECT"))?;
        let (host, subject) = rest
            .split_once('/')
            .ok_or_else(|| anyhow::anyhow!("`{url}`: no subject (nats://HOST:PORT/SUBJECT)"))?;
        if host.is_empty() || subject.is_empty() || subject.contains(char::is_whitespace) {
            anyhow::bail!("`{url}`: expected nats://HOST:PORT/SUBJECT");
        }
        let server = if host.contains(':') {
            host.to_string()
        } else {
            format!("{host}:4222")
        };
        Ok(Target {
            server,
            subject: subject.to_string(),
        })
    }

    /// The name of the stream logrill creates for the subject (`LOGRILL_` and the subject
    /// with every character other than letters, digits, `-` and `_` as `_`).
    pub fn stream_name(&self) -> String {
        let clean: String = self
            .subject
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!("LOGRILL_{clean}")
    }
}

/// With `--to` in follow mode: wait until the broker acknowledged every record so far,
/// then let the follower's checkpoints cover them. An error (Ctrl-C while the broker is
/// away) means some records were never acknowledged: the caller must not close the
/// follower (closing records every line handed out).
pub fn settle_commit(
    sink: Option<&mut NatsSink>,
    follower: &mut logrill::source::follow::Follower,
) -> std::io::Result<()> {
    if let Some(sink) = sink {
        sink.settle()?;
        follower.commit();
    }
    Ok(())
}

#[cfg(feature = "nats")]
pub mod ids;
#[cfg(feature = "nats")]
mod imp;
#[cfg(feature = "nats")]
pub use imp::{run_batch, source, NatsSink};

#[cfg(not(feature = "nats"))]
mod stub {
    use logrill::exec::{Emitted, Output};
    use logrill::query::Plan;
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;

    use crate::args::Args;

    const NO: &str = "this logrill was built without the `nats` feature";

    /// Stand-in for the sink when the `nats` feature is off: cannot be made.
    pub struct NatsSink(());

    impl NatsSink {
        pub fn connect(_args: &Args, _cancel: Option<Arc<AtomicBool>>) -> anyhow::Result<NatsSink> {
            anyhow::bail!("--to: {NO}")
        }
        pub fn at(&mut self, _place: Option<std::convert::Infallible>) {}
        pub fn at_line(
            &mut self,
            _batch: &logrill::source::follow::Batch<'_>,
            _pos: usize,
            _len: usize,
        ) {
        }
        pub fn report(&self, _quiet: bool) -> bool {
            true
        }
        pub fn settle(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Output for NatsSink {
        fn value(&mut self, _v: Emitted<'_>) -> std::io::Result<()> {
            Ok(())
        }
    }

    pub fn run_batch(_args: &Args, _plan: &Plan) -> anyhow::Result<u8> {
        anyhow::bail!("--to: {NO}")
    }

    pub fn source(_args: &Args, _plan: &Plan) -> anyhow::Result<u8> {
        anyhow::bail!("nats:// inputs: {NO}")
    }
}
#[cfg(not(feature = "nats"))]
pub use stub::{run_batch, source, NatsSink};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let t = Target::parse("nats://127.0.0.1:4333/logs.web").unwrap();
        assert_eq!(t.server, "127.0.0.1:4333");
        assert_eq!(t.subject, "logs.web");
        assert_eq!(t.stream_name(), "LOGRILL_logs_web");
        assert_eq!(Target::parse("nats://h/s").unwrap().server, "h:4222");
        assert!(Target::parse("nats://h:1").is_err());
        assert!(Target::parse("http://h:1/s").is_err());
        assert!(is_url(Path::new("nats://h/s")));
        assert!(!is_url(Path::new("logs/nats")));
    }
}
