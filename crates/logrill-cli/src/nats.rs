//! NATS JetStream transport (cargo feature `nats`, or `full`; off by default).
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

/// Whether an input path names a NATS subject (`nats://…` or `tls://…`).
pub fn is_url(path: &Path) -> bool {
    path.to_str()
        .is_some_and(|p| p.starts_with("nats://") || p.starts_with("tls://"))
}

/// How to log in, as given in a URL or the environment.
#[cfg_attr(not(feature = "nats"), allow(dead_code))]
#[derive(Clone, PartialEq, Eq)]
pub enum Login {
    UserPassword(String, String),
    Token(String),
}

/// Never printed: secrets stay out of messages and logs.
impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Login::UserPassword(user, _) => write!(f, "UserPassword({user:?}, …)"),
            Login::Token(_) => f.write_str("Token(…)"),
        }
    }
}

/// A `nats://[USER:PASSWORD@|TOKEN@]HOST[:PORT]/SUBJECT` (or `tls://…`) URL, split.
#[cfg_attr(not(feature = "nats"), allow(dead_code))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `HOST:PORT` (4222 when no port is given).
    pub server: String,
    /// The subject.
    pub subject: String,
    /// `tls://`: TLS required, the server's certificate verified.
    pub tls: bool,
    /// Credentials written in the URL.
    pub login: Option<Login>,
}

#[cfg_attr(not(feature = "nats"), allow(dead_code))]
impl Target {
    /// Split `nats://[USER:PASSWORD@|TOKEN@]HOST[:PORT]/SUBJECT` (or `tls://…`); user,
    /// password and token may be percent-encoded (`%40` for `@`).
    pub fn parse(url: &str) -> anyhow::Result<Target> {
        const FORM: &str = "nats://[USER:PASSWORD@]HOST:PORT/SUBJECT or tls://…";
        let (tls, rest) = match (url.strip_prefix("nats://"), url.strip_prefix("tls://")) {
            (Some(rest), _) => (false, rest),
            (_, Some(rest)) => (true, rest),
            _ => anyhow::bail!("`{}`: expected {FORM}", redact(url)),
        };
        let (authority, subject) = rest
            .split_once('/')
            .ok_or_else(|| anyhow::anyhow!("`{}`: no subject ({FORM})", redact(url)))?;
        let (login, host) = match authority.rsplit_once('@') {
            Some((userinfo, host)) => {
                let login = match userinfo.split_once(':') {
                    Some((user, password)) => {
                        Login::UserPassword(percent_decode(user)?, percent_decode(password)?)
                    }
                    None => Login::Token(percent_decode(userinfo)?),
                };
                (Some(login), host)
            }
            None => (None, authority),
        };
        if host.is_empty() || subject.is_empty() || subject.contains(char::is_whitespace) {
            anyhow::bail!("`{}`: expected {FORM}", redact(url));
        }
        let server = if host.contains(':') {
            host.to_string()
        } else {
            format!("{host}:4222")
        };
        Ok(Target {
            server,
            subject: subject.to_string(),
            tls,
            login,
        })
    }

    /// The URL as it may be shown: without credentials.
    pub fn display(&self) -> String {
        let scheme = if self.tls { "tls" } else { "nats" };
        format!("{scheme}://{}/{}", self.server, self.subject)
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

/// `url` with any credentials (what is between `//` and `@`) blanked out.
#[cfg_attr(not(feature = "nats"), allow(dead_code))]
pub fn redact(url: &str) -> String {
    let Some(i) = url.find("://") else {
        return url.to_string();
    };
    // The credentials end at the last `@` of the authority (before the first `/`): an `@`
    // in the subject is no end of them.
    let rest = &url[i + 3..];
    let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
    match authority.rfind('@') {
        Some(at) => format!("{}***{}", &url[..i + 3], &rest[at..]),
        None => url.to_string(),
    }
}

/// Decode `%XX` escapes (user names and passwords may hold `@`, `:` or `/`).
#[cfg_attr(not(feature = "nats"), allow(dead_code))]
fn percent_decode(text: &str) -> anyhow::Result<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    anyhow::anyhow!("a bad %-escape in the credentials of a NATS URL")
                })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| anyhow::anyhow!("credentials in a NATS URL are not UTF-8"))
}

#[cfg(feature = "nats")]
pub mod connect;
#[cfg(feature = "nats")]
pub mod ids;
#[cfg(feature = "nats")]
mod imp;
#[cfg(feature = "nats")]
pub use imp::{run_batch, source, NatsSink};

#[cfg(not(feature = "nats"))]
mod stub {
    use logrill::query::Plan;
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;

    use crate::args::Args;

    const NO: &str = "this logrill was built without the `nats` feature \
                      (build with `--features nats`, or `--features full`)";

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

    impl logrill::sink::Consumer for NatsSink {
        type Output = ();
        fn close(self) -> Result<(), logrill::sink::SinkError> {
            Ok(())
        }
    }

    impl<'a> logrill::sink::Sink<logrill::exec::Event<'a>> for NatsSink {
        fn send(
            &mut self,
            _: logrill::exec::Event<'a>,
        ) -> Result<logrill::sink::Flow, logrill::sink::SinkError> {
            Ok(logrill::sink::Flow::Continue)
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

    #[test]
    fn credentials_and_tls_in_urls() {
        let t = Target::parse("tls://alice:p%40ss%3Aw@broker:4443/logs").unwrap();
        assert!(t.tls);
        assert_eq!(t.server, "broker:4443");
        assert_eq!(
            t.login,
            Some(Login::UserPassword("alice".into(), "p@ss:w".into()))
        );
        assert_eq!(t.display(), "tls://broker:4443/logs");
        assert!(!format!("{t:?}").contains("p@ss"));
        let t = Target::parse("nats://s3cret@broker/logs").unwrap();
        assert_eq!(t.login, Some(Login::Token("s3cret".into())));
        assert!(!t.tls);
        assert_eq!(t.display(), "nats://broker:4222/logs");
        assert!(is_url(Path::new("tls://h/s")));
        let bad = Target::parse("nats://alice:p%4@h/s")
            .unwrap_err()
            .to_string();
        assert!(!bad.contains("alice:p"), "{bad}");
        assert_eq!(redact("nats://a:b@h:1/s"), "nats://***@h:1/s");
        assert_eq!(redact("nats://h:1/s@x"), "nats://h:1/s@x");
        // An `@` in the subject does not end the credentials.
        assert_eq!(redact("nats://alice:secret@h/a b@c"), "nats://***@h/a b@c");
    }
}
