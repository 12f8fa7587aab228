//! Connecting to the broker: TLS (the server's certificate verified against the system's
//! roots or `--nats-ca`; a client certificate with `--nats-cert`/`--nats-key`) and logging
//! in (user and password or a token from the URL or the environment, a `.creds` file) —
//! the same for the sink and the source.
//!
//! A broker that refuses us (a wrong password, a certificate not trusted) is an error at
//! once, with the reason; only a broker that cannot be reached is waited for (the sink in
//! follow mode holds its records until it is back).

use std::path::PathBuf;
use std::time::Duration;

use async_nats::{ConnectErrorKind, ConnectOptions};

use super::{Login, Target};
use crate::args::Args;

/// The environment variables read for credentials not given in the URL.
pub const ENV_USER: &str = "LOGRILL_NATS_USER";
pub const ENV_PASSWORD: &str = "LOGRILL_NATS_PASSWORD";
pub const ENV_TOKEN: &str = "LOGRILL_NATS_TOKEN";
pub const ENV_CREDS: &str = "LOGRILL_NATS_CREDS";

/// How long one attempt to connect (TCP, TLS, the server's answer) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// What a connection needs beyond the address.
#[derive(Debug, Clone, Default)]
pub struct Security {
    tls: bool,
    ca: Option<PathBuf>,
    cert: Option<(PathBuf, PathBuf)>,
    login: Option<Login>,
    creds: Option<PathBuf>,
}

impl Security {
    /// From `target` (scheme, credentials in the URL), `args` and the environment (read
    /// through `env`). Files named are checked now, so a typo is not taken for a broker
    /// that is away.
    pub fn new(
        target: &Target,
        args: &Args,
        env: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Security> {
        let env = |name: &str| env(name).filter(|v| !v.is_empty());
        let login = match &target.login {
            Some(login) => Some(login.clone()),
            None => match (env(ENV_USER), env(ENV_PASSWORD), env(ENV_TOKEN)) {
                (Some(_), _, Some(_)) => {
                    anyhow::bail!("nats: both ${ENV_USER} and ${ENV_TOKEN} are set: log in one way")
                }
                (Some(user), Some(password), None) => Some(Login::UserPassword(user, password)),
                (Some(_), None, None) => {
                    anyhow::bail!("nats: ${ENV_USER} is set but ${ENV_PASSWORD} is not")
                }
                (None, Some(_), None) => {
                    anyhow::bail!("nats: ${ENV_PASSWORD} is set but ${ENV_USER} is not")
                }
                (None, _, Some(token)) => Some(Login::Token(token)),
                (None, None, None) => None,
            },
        };
        let creds = args
            .nats_creds
            .clone()
            .or_else(|| env(ENV_CREDS).map(PathBuf::from));
        let cert = args.nats_cert.clone().zip(args.nats_key.clone());
        for (option, file) in [
            ("--nats-ca", args.nats_ca.as_ref()),
            ("--nats-cert", cert.as_ref().map(|c| &c.0)),
            ("--nats-key", cert.as_ref().map(|c| &c.1)),
            ("--nats-creds", creds.as_ref()),
        ] {
            if let Some(file) = file {
                if let Err(e) = std::fs::File::open(file) {
                    anyhow::bail!("{option} {}: {e}", file.display());
                }
            }
        }
        Ok(Security {
            tls: target.tls || args.nats_ca.is_some() || cert.is_some(),
            ca: args.nats_ca.clone(),
            cert,
            login,
            creds,
        })
    }

    async fn options(&self) -> Result<ConnectOptions, String> {
        let mut options = ConnectOptions::new()
            .name("logrill")
            .connection_timeout(CONNECT_TIMEOUT)
            .reconnect_delay_callback(|n| Duration::from_millis((100 * n as u64).min(1000)));
        if self.tls {
            options = options.require_tls(true);
        }
        if let Some(ca) = &self.ca {
            options = options.add_root_certificates(ca.clone());
        }
        if let Some((cert, key)) = &self.cert {
            options = options.add_client_certificate(cert.clone(), key.clone());
        }
        match &self.login {
            Some(Login::UserPassword(user, password)) => {
                options = options.user_and_password(user.clone(), password.clone());
            }
            Some(Login::Token(token)) => options = options.token(token.clone()),
            None => {}
        }
        if let Some(creds) = &self.creds {
            options = options
                .credentials_file(creds)
                .await
                .map_err(|e| format!("--nats-creds {}: {e}", creds.display()))?;
        }
        Ok(options)
    }
}

/// Connect to `target`. A refusal (TLS, authorization) is an error at once. A broker that
/// cannot be reached is an error too unless `background`: then the client goes on trying
/// by itself (and the caller waits for it), and why it could not connect is returned with
/// it.
pub async fn connect(
    target: &Target,
    security: &Security,
    background: bool,
) -> Result<(async_nats::Client, Option<String>), String> {
    let server = &target.server;
    let first = security.options().await?.connect(server.as_str()).await;
    let unreachable = match first {
        Ok(client) => return Ok((client, None)),
        Err(e) if unreachable(&e) => e,
        Err(e) => return Err(refused(target, security, &e)),
    };
    if !background {
        return Err(format!("{server}: {unreachable}"));
    }
    security
        .options()
        .await?
        .retry_on_initial_connect()
        .connect(server.as_str())
        .await
        .map(|client| (client, Some(unreachable.to_string())))
        .map_err(|e| format!("{server}: {e}"))
}

/// The I/O error under a connection error, if any.
fn io_kind(e: &async_nats::ConnectError) -> Option<std::io::ErrorKind> {
    std::error::Error::source(e)
        .and_then(|s| s.downcast_ref::<std::io::Error>())
        .map(|io| io.kind())
}

/// Whether the broker could not be reached (worth waiting for), rather than refused us.
/// A certificate rustls rejects comes as an I/O error too, of kind `InvalidData`.
fn unreachable(e: &async_nats::ConnectError) -> bool {
    use std::io::ErrorKind as Io;
    match e.kind() {
        ConnectErrorKind::TimedOut | ConnectErrorKind::Dns => true,
        ConnectErrorKind::Io => !matches!(
            io_kind(e),
            Some(Io::InvalidData | Io::InvalidInput | Io::PermissionDenied | Io::NotFound)
        ),
        _ => false,
    }
}

/// The message for a broker that refused the connection, with what to check.
fn refused(target: &Target, security: &Security, e: &async_nats::ConnectError) -> String {
    let server = &target.server;
    let hint = match e.kind() {
        ConnectErrorKind::AuthorizationViolation => {
            if security.login.is_none() && security.creds.is_none() {
                format!(" (no credentials given: USER:PASSWORD@ in the URL, ${ENV_USER} and ${ENV_PASSWORD}, ${ENV_TOKEN}, or --nats-creds)")
            } else {
                " (wrong user, password, token or credentials?)".to_string()
            }
        }
        _ if e.kind() == ConnectErrorKind::Tls
            || io_kind(e) == Some(std::io::ErrorKind::InvalidData) =>
        {
            let message = e.to_string();
            if message.contains("corrupt message") {
                " (the server does not speak TLS: nats://, without --nats-ca/--nats-cert)"
                    .to_string()
            } else if message.contains("received fatal alert") {
                // The server ended the handshake: it did not accept us.
                if security.cert.is_some() {
                    " (the server did not accept our --nats-cert)".to_string()
                } else {
                    " (the server wants a client certificate: --nats-cert and --nats-key)"
                        .to_string()
                }
            } else if security.ca.is_some() {
                " (is the server's certificate signed by --nats-ca, for this host name?)"
                    .to_string()
            } else {
                " (a server certificate from a private authority needs --nats-ca FILE)".to_string()
            }
        }
        _ => String::new(),
    };
    // "IO error: invalid peer certificate…" says TLS better without its first words.
    let what = match (e.kind(), std::error::Error::source(e)) {
        (ConnectErrorKind::Io, Some(source))
            if io_kind(e) == Some(std::io::ErrorKind::InvalidData) =>
        {
            format!("TLS: {source}")
        }
        _ => e.to_string(),
    };
    format!("{server}: refused: {what}{hint}")
}
