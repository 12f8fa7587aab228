//! The NATS JetStream transport against a real `nats-server -js` on loopback (`.ci/run`
//! installs it; without it these tests say why and pass).

#![cfg(feature = "nats")]

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_logrill");

fn have_server() -> bool {
    let found = Command::new("nats-server")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        eprintln!("skipped: nats-server is not installed (apt-get install nats-server)");
    }
    found
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `nats-server -js` on 127.0.0.1, killed when dropped.
struct Broker {
    child: Child,
    port: u16,
    store: PathBuf,
}

impl Broker {
    fn start(port: u16, store: &Path) -> Broker {
        let child = Command::new("nats-server")
            .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
            .arg(store)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server");
        let end = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < end, "nats-server did not listen on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Broker {
            child,
            port,
            store: store.to_path_buf(),
        }
    }

    fn kill(&mut self) {
        let _ = self.child.kill(); // SIGKILL
        let _ = self.child.wait();
    }

    fn restart(&mut self) {
        self.kill();
        *self = Broker::start(self.port, &self.store.clone());
    }

    fn url(&self, subject: &str) -> String {
        format!("nats://127.0.0.1:{}/{subject}", self.port)
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Wait for `child` at most `limit`; kill it and fail past that.
fn wait(mut child: Child, limit: Duration) -> Output {
    let end = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > end {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "logrill did not finish in {limit:?}; stderr:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

fn run(args: &[&str]) -> Output {
    let child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait(child, Duration::from_secs(60))
}

fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

#[test]
fn batch_publish_then_aggregate_from_the_subject() {
    if !have_server() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(free_port(), &dir.path().join("store"));
    let file = dir.path().join("in.jsonl");
    let mut text = String::new();
    for i in 0..300 {
        let host = ["a", "b", "c"][i % 3];
        text += &format!("{{\"host\":\"{host}\",\"n\":{i}}}\n");
    }
    std::fs::write(&file, text).unwrap();
    let url = broker.url("hosts");
    let out = run(&[
        "--to",
        &url,
        "parse json | where host != 'c'",
        file.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("200 records published"));

    // Batch read of what the subject holds.
    let out = run(&["--json", "parse json | count by host | sort host", &url]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = json_lines(&out);
    assert_eq!(
        rows,
        [
            serde_json::json!({"host": "a", "count": 100}),
            serde_json::json!({"host": "b", "count": 100})
        ]
    );
    // Following it, until idle.
    let out = run(&[
        "-F",
        "--exit-on-idle",
        "1s",
        "--json",
        "parse json | count by host | sort host",
        &url,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json_lines(&out).last().unwrap()["count"], 100);
}

#[test]
fn follower_survives_a_broker_crash_without_loss_or_duplicates() {
    if !have_server() {
        return;
    }
    const N: usize = 3000;
    let dir = tempfile::tempdir().unwrap();
    let mut broker = Broker::start(free_port(), &dir.path().join("store"));
    let file = dir.path().join("app.log");
    let state = dir.path().join("state");
    std::fs::write(&file, "").unwrap();
    let url = broker.url("logs");

    let writer = {
        let file = file.clone();
        std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new().append(true).open(file).unwrap();
            for i in 0..N {
                writeln!(f, "{{\"n\":{i}}}").unwrap();
                if i % 50 == 49 {
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        })
    };
    let follower = |extra: &[&str]| {
        Command::new(BIN)
            .args(["-F", "--from-start", "--state"])
            .arg(&state)
            .args(extra)
            .args(["--to", &url, "parse json"])
            .arg(&file)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };

    // A first follower is killed with SIGKILL mid-run: the next resumes from its state.
    let mut first = follower(&[]);
    std::thread::sleep(Duration::from_millis(700));
    first.kill().unwrap();
    first.wait().unwrap();

    let child = follower(&["--exit-on-idle", "3s"]);
    std::thread::sleep(Duration::from_millis(800));
    // Away longer than logrill waits for an acknowledgement (2 s).
    broker.kill();
    std::thread::sleep(Duration::from_millis(3000));
    broker.restart();
    writer.join().unwrap();
    let out = wait(child, Duration::from_secs(90));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("broker unreachable"), "{stderr}");
    assert!(stderr.contains("broker back"), "{stderr}");

    let out = run(&[
        "--json",
        "parse json | count, count_distinct n, min n, max n",
        &url,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let row = json_lines(&out).pop().expect("a result");
    let values: Vec<_> = row.as_object().unwrap().values().cloned().collect();
    // Every line arrived (N distinct numbers from 0 to N-1), and the stream holds each
    // once: JetStream dropped the repeats by message id.
    assert_eq!(
        values,
        [
            serde_json::json!(N),
            serde_json::json!(N),
            serde_json::json!(0),
            serde_json::json!(N - 1)
        ],
        "{row}"
    );
}

/// How many messages the stream of `url` holds (read back through logrill).
fn stored(url: &str) -> u64 {
    let out = run(&["--json", "count", url]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let row = json_lines(&out).pop().expect("a count");
    row["count"].as_u64().expect("a number")
}

/// [`stored`], or 0 while there is no stream yet.
fn stored_so_far(url: &str) -> u64 {
    let out = run(&["--json", "count", url]);
    match json_lines(&out).pop() {
        Some(row) if out.status.success() => row["count"].as_u64().unwrap_or(0),
        _ => 0,
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Health checks: the same line, many times.
fn same_lines(n: usize) -> String {
    "{\"check\":\"ok\"}\n".repeat(n)
}

#[test]
fn two_hosts_publishing_identical_lines_are_both_stored() {
    if !have_server() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(free_port(), &dir.path().join("store"));
    let file = dir.path().join("health.log");
    std::fs::write(&file, same_lines(100)).unwrap();
    let url = broker.url("health");
    for host in ["web-1", "web-2"] {
        let out = run(&[
            "--to",
            &url,
            "--nats-instance",
            host,
            "parse json",
            file.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("100 records published to health, every one acknowledged"),
            "{}",
            stderr(&out)
        );
    }
    assert_eq!(stored(&url), 200);

    // The same host publishing the same file again: the broker drops every record as a
    // duplicate, which is said, and the exit status is not 0.
    let out = run(&[
        "--to",
        &url,
        "--nats-instance",
        "web-1",
        "parse json",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(
            "100 of 100 records NOT stored: health already held a record with the same id (web-1/"
        ),
        "{err}"
    );
    assert!(!err.contains("every one acknowledged"), "{err}");
    assert_eq!(stored(&url), 200);
}

#[test]
fn a_generation_repeating_the_last_ones_lines_is_stored_and_a_re_read_is_not() {
    if !have_server() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(free_port(), &dir.path().join("store"));
    let file = dir.path().join("app.log");
    std::fs::write(&file, same_lines(100)).unwrap();
    let url = broker.url("app");
    let follow = || {
        Command::new(BIN)
            .args([
                "-F",
                "--from-start",
                "--exit-on-idle",
                "2s",
                "--poll",
                "100ms",
            ])
            .args(["--nats-instance", "web-1", "--to", &url, "parse json"])
            .arg(&file)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let child = follow();
    // Rotation: the first generation renamed away once read, a second one created with
    // the same 100 lines (the same names, offsets and text).
    let end = Instant::now() + Duration::from_secs(20);
    while stored_so_far(&url) < 100 {
        assert!(
            Instant::now() < end,
            "the first generation was not published"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::fs::rename(&file, dir.path().join("app.log.1")).unwrap();
    std::fs::write(&file, same_lines(100)).unwrap();
    let out = wait(child, Duration::from_secs(60));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stored(&url), 200, "{}", stderr(&out));

    // A follower started again reads the live file again from its start (no state): the
    // same records, the same ids, dropped by the broker as the re-sends they are — no
    // error, nothing stored twice.
    let out = wait(follow(), Duration::from_secs(60));
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("100 records sent again (after a restart or an outage) were already stored"),
        "{err}"
    );
    assert!(!err.contains("NOT stored"), "{err}");
    assert_eq!(stored(&url), 200);
}

#[test]
fn ctrl_c_while_the_broker_is_away_leaves_the_checkpoint_before_unacknowledged_records() {
    if !have_server() {
        return;
    }
    // More than the sink holds unacknowledged (1024): the pipeline itself waits for the
    // broker, inside the batch, when Ctrl-C comes.
    const N: usize = 3000;
    let dir = tempfile::tempdir().unwrap();
    let mut broker = Broker::start(free_port(), &dir.path().join("store"));
    let file = dir.path().join("app.log");
    let state = dir.path().join("state");
    std::fs::write(&file, "").unwrap();
    let url = broker.url("outage");
    let follower = |extra: &[&str]| {
        Command::new(BIN)
            .args(["-F", "--from-start", "--poll", "100ms", "--state"])
            .arg(&state)
            .args(extra)
            .args(["--nats-instance", "h", "--to", &url, "parse json"])
            .arg(&file)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let first = follower(&[]);
    // The stream exists once the follower is connected.
    let end = Instant::now() + Duration::from_secs(20);
    while run(&["--json", "count", &url]).status.code() != Some(0) {
        assert!(
            Instant::now() < end,
            "the follower did not create the stream"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    broker.kill();
    let text: String = (0..N).map(|i| format!("{{\"n\":{i}}}\n")).collect();
    std::fs::write(&file, text).unwrap();
    std::thread::sleep(Duration::from_millis(3500));
    let status = Command::new("kill")
        .args(["-INT", &first.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = wait(first, Duration::from_secs(30));
    let err = stderr(&out);
    assert!(err.contains("broker unreachable"), "{err}");
    assert_ne!(out.status.code(), Some(0), "{err}");

    // The broker back, a new follower resumes from the checkpoint: every line is stored.
    broker.restart();
    let out = wait(follower(&["--exit-on-idle", "2s"]), Duration::from_secs(60));
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(&["--json", "parse json | count, count_distinct n", &url]);
    let row = json_lines(&out).pop().expect("a result");
    assert_eq!(row["count"], N, "{row}");
    assert_eq!(row["count_distinct_n"], N, "{row}");
}

fn run_env(args: &[&str], env: &[(&str, &str)], limit: Duration) -> Output {
    let child = Command::new(BIN)
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait(child, limit)
}

/// A `nats-server` run from a configuration file, killed when dropped.
struct Configured(Child);

impl Configured {
    fn start(port: u16, config: &Path) -> Configured {
        let log = config.with_extension("log");
        let child = Command::new("nats-server")
            .arg("-c")
            .arg(config)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("nats-server");
        let mut server = Configured(child);
        let end = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > end || server.0.try_wait().unwrap().is_some() {
                panic!(
                    "nats-server did not listen on {port}:\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }
}

impl Drop for Configured {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A throw-away CA (`ca.pem`) and, signed by it, a server certificate for 127.0.0.1
/// (`server.pem`, `server.key`) and a client certificate (`client.pem`, `client.key`).
/// Another CA (`other.pem`) signs nothing.
fn certificates(dir: &Path) -> bool {
    if Command::new("openssl").arg("version").output().is_err() {
        eprintln!("skipped: no openssl command to make test certificates");
        return false;
    }
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    for ca in ["ca", "other"] {
        let (key, pem, subj) = (
            format!("{ca}.key"),
            format!("{ca}.pem"),
            format!("/CN={ca}"),
        );
        let mut args = vec![
            "req", "-x509", "-days", "2", "-subj", &subj, "-keyout", &key,
        ];
        args.extend(["-out", &pem]);
        args.extend(ec);
        args.extend(["-addext", "basicConstraints=critical,CA:TRUE"]);
        args.extend(["-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
        openssl(dir, &args);
    }
    for (who, ext) in [
        (
            "server",
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
        ),
        ("client", "extendedKeyUsage=clientAuth\n"),
    ] {
        let (key, csr, pem, cnf) = (
            format!("{who}.key"),
            format!("{who}.csr"),
            format!("{who}.pem"),
            format!("{who}.cnf"),
        );
        std::fs::write(dir.join(&cnf), ext).unwrap();
        let mut args = vec![
            "req",
            "-subj",
            "/CN=logrill-test",
            "-keyout",
            &key,
            "-out",
            &csr,
        ];
        args.extend(ec);
        openssl(dir, &args);
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-out",
                &pem,
                "-extfile",
                &cnf,
            ],
        );
    }
    true
}

#[test]
fn tls_with_a_client_certificate_and_a_password() {
    if !have_server() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    if !certificates(d) {
        return;
    }
    let port = free_port();
    let config = d.join("server.conf");
    std::fs::write(
        &config,
        format!(
            "listen: \"127.0.0.1:{port}\"\njetstream {{ store_dir: \"{store}\" }}\n\
             tls {{ cert_file: \"{d}/server.pem\", key_file: \"{d}/server.key\", ca_file: \"{d}/ca.pem\", verify: true, timeout: 2 }}\n\
             authorization {{ users: [ {{ user: \"alice\", password: \"s3cret\" }} ] }}\n",
            store = d.join("store").display(),
            d = d.display()
        ),
    )
    .unwrap();
    let _server = Configured::start(port, &config);
    let file = d.join("in.jsonl");
    std::fs::write(&file, "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n").unwrap();
    let path = |name: &str| d.join(name).to_string_lossy().into_owned();
    let (ca, cert, key, other) = (
        path("ca.pem"),
        path("client.pem"),
        path("client.key"),
        path("other.pem"),
    );
    let tls: [&str; 6] = ["--nats-ca", &ca, "--nats-cert", &cert, "--nats-key", &key];
    let limit = Duration::from_secs(20);
    let publish = |url: &str, extra: &[&str]| {
        let mut args = vec!["--to", url, "--nats-instance", "h"];
        args.extend(extra);
        args.extend(["parse json", file.to_str().unwrap()]);
        run_env(&args, &[], limit)
    };

    // Password in the URL, the server verified against --nats-ca, our certificate shown.
    let good = format!("tls://alice:s3cret@127.0.0.1:{port}/secure");
    let out = publish(&good, &tls);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("3 records published"),
        "{}",
        stderr(&out)
    );
    // Reading back, the password from the environment.
    let plain = format!("tls://127.0.0.1:{port}/secure");
    let mut args = vec!["--json"];
    args.extend(tls);
    args.extend(["parse json | count, sum n", &plain]);
    let env = [
        ("LOGRILL_NATS_USER", "alice"),
        ("LOGRILL_NATS_PASSWORD", "s3cret"),
    ];
    let out = run_env(&args, &env, limit);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        json_lines(&out),
        [serde_json::json!({"count": 3, "sum_n": 6})]
    );

    // Refusals are errors at once, with the reason, and never show the password.
    let checks: [(String, Vec<&str>, &[&str]); 5] = [
        (
            format!("tls://alice:wrong-pw@127.0.0.1:{port}/secure"),
            tls.to_vec(),
            &["refused", "authorization violation", "wrong user, password"],
        ),
        (
            format!("tls://127.0.0.1:{port}/secure"),
            tls.to_vec(),
            &["refused", "no credentials given"],
        ),
        // The server's certificate is not signed by the authority we trust.
        (
            good.clone(),
            vec![
                "--nats-ca",
                &other,
                "--nats-cert",
                &cert,
                "--nats-key",
                &key,
            ],
            &["refused", "TLS", "signed by --nats-ca"],
        ),
        // System roots only: a private authority is not trusted.
        (good.clone(), vec![], &["refused", "TLS", "needs --nats-ca"]),
        // No client certificate for a server that verifies clients.
        (
            good.clone(),
            vec!["--nats-ca", &ca],
            &["refused", "TLS", "wants a client certificate"],
        ),
    ];
    for (url, options, expected) in checks {
        let start = Instant::now();
        let out = publish(&url, &options);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{url} {options:?}: {err}");
        for e in expected {
            assert!(err.contains(e), "{url} {options:?}: `{e}` not in {err}");
        }
        assert!(
            !err.contains("wrong-pw") && !err.contains("s3cret"),
            "{err}"
        );
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{:?}",
            start.elapsed()
        );
    }
    // The source too.
    let mut args = vec!["--json"];
    args.extend(tls);
    let wrong = format!("tls://alice:wrong-pw@127.0.0.1:{port}/secure");
    args.extend(["count", &wrong]);
    let out = run_env(&args, &[], limit);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("authorization violation"), "{err}");
    assert!(!err.contains("wrong-pw"), "{err}");
}

#[test]
fn a_token_from_the_url_or_the_environment() {
    if !have_server() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = dir.path().join("server.conf");
    std::fs::write(
        &config,
        format!(
            "listen: \"127.0.0.1:{port}\"\njetstream {{ store_dir: \"{}\" }}\nauthorization {{ token: \"t0ken\" }}\n",
            dir.path().join("store").display()
        ),
    )
    .unwrap();
    let _server = Configured::start(port, &config);
    let file = dir.path().join("in.jsonl");
    std::fs::write(&file, "{\"n\":1}\n{\"n\":2}\n").unwrap();
    let limit = Duration::from_secs(20);
    let with_token = format!("nats://t0ken@127.0.0.1:{port}/tok");
    let out = run_env(
        &[
            "--to",
            &with_token,
            "--nats-instance",
            "h",
            "parse json",
            file.to_str().unwrap(),
        ],
        &[],
        limit,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let url = format!("nats://127.0.0.1:{port}/tok");
    let out = run_env(
        &["--json", "count", &url],
        &[("LOGRILL_NATS_TOKEN", "t0ken")],
        limit,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json_lines(&out), [serde_json::json!({"count": 2})]);
    let out = run_env(
        &["--json", "count", &url],
        &[("LOGRILL_NATS_TOKEN", "nope")],
        limit,
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("authorization violation"),
        "{}",
        stderr(&out)
    );
    // tls:// to a server without TLS: refused at once, and said why.
    let tls = format!("tls://t0ken@127.0.0.1:{port}/tok");
    let out = run_env(&["--json", "count", &tls], &[], limit);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("does not speak TLS"),
        "{}",
        stderr(&out)
    );
    // A credentials file that is not one is said to be so before any connection.
    let creds = dir.path().join("bad.creds");
    std::fs::write(&creds, "not a creds file\n").unwrap();
    let out = run_env(
        &[
            "--json",
            "--nats-creds",
            creds.to_str().unwrap(),
            "count",
            &url,
        ],
        &[],
        limit,
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--nats-creds"), "{}", stderr(&out));
}

/// A NATS JWT (`header.claims.signature`, base64url), signed by `issuer`.
fn jwt(issuer: &nkeys::KeyPair, subject: &str, name: &str, nats: serde_json::Value) -> String {
    use data_encoding::BASE64URL_NOPAD as B64;
    let header = serde_json::json!({"typ": "JWT", "alg": "ed25519-nkey"});
    // `jti` is meant to be a hash of the claims; the server does not check it.
    let claims = serde_json::json!({
        "jti": format!("{name}-{subject}").to_uppercase(),
        "iat": 1_700_000_000u64,
        "iss": issuer.public_key(),
        "name": name,
        "sub": subject,
        "nats": nats,
    });
    let signed = format!(
        "{}.{}",
        B64.encode(header.to_string().as_bytes()),
        B64.encode(claims.to_string().as_bytes())
    );
    let signature = issuer.sign(signed.as_bytes()).unwrap();
    format!("{signed}.{}", B64.encode(&signature))
}

#[test]
fn a_creds_file_logs_in_to_an_operator_mode_server() {
    if !have_server() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let operator = nkeys::KeyPair::new_operator();
    let account = nkeys::KeyPair::new_account();
    let user = nkeys::KeyPair::new_user();
    let op_jwt = jwt(
        &operator,
        &operator.public_key(),
        "op",
        serde_json::json!({"type": "operator", "version": 2}),
    );
    let unlimited = serde_json::json!({
        "subs": -1, "data": -1, "payload": -1, "imports": -1, "exports": -1,
        "wildcards": true, "conn": -1, "leaf": -1,
        "mem_storage": -1, "disk_storage": -1, "streams": -1, "consumer": -1,
    });
    let acc_jwt = jwt(
        &operator,
        &account.public_key(),
        "acc",
        serde_json::json!({"limits": unlimited, "type": "account", "version": 2}),
    );
    // JetStream needs a system account.
    let system = nkeys::KeyPair::new_account();
    let sys_jwt = jwt(
        &operator,
        &system.public_key(),
        "sys",
        serde_json::json!({"type": "account", "version": 2}),
    );
    let user_jwt = jwt(
        &account,
        &user.public_key(),
        "user",
        serde_json::json!({"pub": {}, "sub": {}, "subs": -1, "data": -1, "payload": -1,
                           "type": "user", "version": 2}),
    );
    let creds = d.join("user.creds");
    std::fs::write(
        &creds,
        format!(
            "-----BEGIN NATS USER JWT-----\n{user_jwt}\n------END NATS USER JWT------\n\n\
             -----BEGIN USER NKEY SEED-----\n{}\n------END USER NKEY SEED------\n",
            user.seed().unwrap()
        ),
    )
    .unwrap();
    let port = free_port();
    let config = d.join("server.conf");
    std::fs::write(d.join("op.jwt"), &op_jwt).unwrap();
    std::fs::write(
        &config,
        format!(
            "listen: \"127.0.0.1:{port}\"\njetstream {{ store_dir: \"{}\" }}\n\
             operator: \"{}\"\nsystem_account: {sys}\nresolver: MEMORY\n\
             resolver_preload: {{ {}: \"{acc_jwt}\", {sys}: \"{sys_jwt}\" }}\n",
            d.join("store").display(),
            d.join("op.jwt").display(),
            account.public_key(),
            sys = system.public_key(),
        ),
    )
    .unwrap();
    let _server = Configured::start(port, &config);
    let file = d.join("in.jsonl");
    std::fs::write(&file, "{\"n\":1}\n{\"n\":2}\n").unwrap();
    let url = format!("nats://127.0.0.1:{port}/creds");
    let limit = Duration::from_secs(20);
    let out = run_env(
        &[
            "--to",
            &url,
            "--nats-instance",
            "h",
            "--nats-creds",
            creds.to_str().unwrap(),
            "parse json",
            file.to_str().unwrap(),
        ],
        &[],
        limit,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run_env(
        &["--json", "count", &url],
        &[("LOGRILL_NATS_CREDS", creds.to_str().unwrap())],
        limit,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json_lines(&out), [serde_json::json!({"count": 2})]);
    // Without them: refused at once.
    let out = run_env(&["--json", "count", &url], &[], limit);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no credentials given"),
        "{}",
        stderr(&out)
    );
}

/// Issue 13, item 5: the broker goes away, the log is rotated twice by rename while it is
/// away (so the follower, blocked on publishing, must keep finding and holding the new
/// generations), then the broker comes back: every line written is stored once, counted by
/// its sequence number.
#[test]
fn a_broker_outage_across_two_rotations_loses_no_generation() {
    if !have_server() {
        return;
    }
    const PER: usize = 2000;
    let dir = tempfile::tempdir().unwrap();
    let mut broker = Broker::start(free_port(), &dir.path().join("store"));
    let file = dir.path().join("app.log");
    let state = dir.path().join("state");
    std::fs::write(&file, "").unwrap();
    let url = broker.url("rotated");
    let write = |from: usize| {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&file)
            .unwrap();
        for n in from..from + PER {
            writeln!(f, "{{\"n\":{n}}}").unwrap();
        }
    };
    let child = Command::new(BIN)
        .args(["-F", "--from-start", "--exit-on-idle", "4s", "--state"])
        .arg(&state)
        .args(["--to", &url, "parse json"])
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    write(0);
    std::thread::sleep(Duration::from_millis(1500));
    broker.kill();
    // Two rename rotations while the broker is away, each generation written whole.
    write(PER);
    std::thread::sleep(Duration::from_millis(300));
    std::fs::rename(&file, dir.path().join("app.log.1")).unwrap();
    write(2 * PER);
    std::thread::sleep(Duration::from_millis(300));
    std::fs::rename(dir.path().join("app.log.1"), dir.path().join("app.log.2")).unwrap();
    std::fs::rename(&file, dir.path().join("app.log.1")).unwrap();
    write(3 * PER);
    // Away longer than logrill waits for an acknowledgement.
    std::thread::sleep(Duration::from_millis(3000));
    broker.restart();
    let out = wait(child, Duration::from_secs(120));
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    let out = run(&[
        "--json",
        "parse json | count, count_distinct n, min n, max n",
        &url,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let row = json_lines(&out).pop().expect("a result");
    let values: Vec<_> = row.as_object().unwrap().values().cloned().collect();
    let total = 4 * PER;
    assert_eq!(
        values,
        [
            serde_json::json!(total),
            serde_json::json!(total),
            serde_json::json!(0),
            serde_json::json!(total - 1)
        ],
        "stored {row}; follower said:\n{err}"
    );
}

/// Publish `payloads` to `subject` on the core protocol (as any other publisher would),
/// waiting for the server's answer to a PING after them so that they are in.
fn publish_raw(port: u16, subject: &str, payloads: &[&[u8]]) {
    use std::io::{BufRead, BufReader};
    let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut info = String::new();
    reader.read_line(&mut info).unwrap();
    assert!(info.starts_with("INFO"), "{info}");
    let mut w = stream;
    w.write_all(b"CONNECT {\"verbose\":false}\r\n").unwrap();
    for p in payloads {
        write!(w, "PUB {subject} {}\r\n", p.len()).unwrap();
        w.write_all(p).unwrap();
        w.write_all(b"\r\n").unwrap();
    }
    w.write_all(b"PING\r\n").unwrap();
    let mut answer = String::new();
    while !answer.starts_with("PONG") {
        answer.clear();
        reader.read_line(&mut answer).unwrap();
        assert!(!answer.starts_with("-ERR"), "{answer}");
    }
}

/// Messages from another publisher, read from a `nats://` input, go through the same
/// batch loop as lines of a file (issue 15): a message's line end is trimmed as a reader
/// trims it (it used to be kept in the value), and each value carries its message's
/// sequence number as its line number.
#[test]
fn messages_go_through_the_batch_loop_with_their_numbers() {
    if !have_server() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(free_port(), &dir.path().join("store"));
    let file = dir.path().join("first.log");
    std::fs::write(&file, "GET /first\n").unwrap();
    let url = broker.url("lines");
    // logrill makes the stream, with one message (a JSON value) in it.
    let out = run(&["--to", &url, "grep GET", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    publish_raw(
        broker.port,
        "lines",
        &[b"GET /a HTTP/1.0\n", b"POST /b\r\n", b"GET /c 200"],
    );
    let out = run(&["--json", "grep GET", &url]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let values: Vec<(u64, String)> = json_lines(&out)
        .iter()
        .map(|v| {
            (
                v["line"].as_u64().unwrap(),
                v["value"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // Message 1 is logrill's own JSON value of `GET /first`.
    assert_eq!(values.len(), 3, "{values:?}");
    assert!(values[0].1.contains("GET /first"), "{values:?}");
    assert_eq!(
        values[1..],
        [
            (2, "GET /a HTTP/1.0".to_string()),
            (4, "GET /c 200".to_string())
        ]
    );
}
