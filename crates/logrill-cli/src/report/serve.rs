//! `--serve ADDR`: the latest report over HTTP, and a push of each new one.
//!
//! A deliberately small server on `std::net`: `GET /` gives the page, `GET /events?since=N`
//! is a Server-Sent Events stream that says `update` as soon as a report newer than N is
//! there (the page's few lines of inline script then reload it). Unless told otherwise,
//! only requests whose `Host` is a loopback name are answered (a web page elsewhere cannot
//! read the report through DNS rebinding).
//!
//! Slow clients must not keep others out (a client sending one byte every few seconds
//! defeats a time limit per read, and a few dozen such held every slot). So:
//!
//! * every connection has its own thread (small stack), at most [`MAX_CONNECTIONS`] at once
//!   — many more than browsers open, so a crowd of slow ones still leaves room;
//! * the whole request head must arrive within [`HEAD_DEADLINE`] of the connection, and a
//!   response must be taken within [`WRITE_DEADLINE`] (total times, not per read or
//!   write), so a slot held by a slow client is freed within seconds;
//! * event streams, the only long connections, are counted apart ([`MAX_STREAMS`]); when
//!   they are all taken a new one is answered 503 (the browser retries), and page requests
//!   are never refused on their account;
//! * an event stream lasts at most [`MAX_STREAM`] (browsers reconnect by themselves).

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Most connections served at once; more are answered 503 and closed.
pub const MAX_CONNECTIONS: usize = 512;
/// Most event streams open at once.
pub const MAX_STREAMS: usize = 32;
/// How long a client has to send its whole request head.
pub const HEAD_DEADLINE: Duration = Duration::from_secs(5);
/// How long a client has to take a whole response (or one event).
const WRITE_DEADLINE: Duration = Duration::from_secs(10);
/// Stack of a connection's thread: it reads a head and writes a shared page.
const CONN_STACK: usize = 128 * 1024;
/// Longest request head read.
const MAX_HEAD: usize = 8 * 1024;
/// How long an event stream stays open.
const MAX_STREAM: Duration = Duration::from_secs(600);
/// A comment on an event stream this often, so a closed client is noticed.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

struct State {
    generation: u64,
    page: Arc<String>,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    connections: AtomicUsize,
    streams: AtomicUsize,
    any_host: bool,
}

/// A running server. It runs until the process ends.
pub struct Server {
    shared: Arc<Shared>,
    addr: SocketAddr,
}

impl Server {
    /// Listen on `addr` (the caller has checked it) and serve in the background.
    /// `any_host`: answer whatever `Host` a request names (when bound beyond loopback).
    pub fn start(addr: SocketAddr, any_host: bool) -> io::Result<Server> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                generation: 0,
                page: Arc::new(
                    "<!DOCTYPE html><html lang=\"en\"><meta http-equiv=\"refresh\" content=\"2\">\
                     <title>Log report</title><p>The report is being made…</p></html>"
                        .to_string(),
                ),
            }),
            changed: Condvar::new(),
            connections: AtomicUsize::new(0),
            streams: AtomicUsize::new(0),
            any_host,
        });
        let s = shared.clone();
        std::thread::Builder::new()
            .name("report-server".into())
            .spawn(move || accept(listener, s))?;
        Ok(Server { shared, addr })
    }

    /// The address it listens on (with the port chosen when 0 was asked).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The generation the next [`Server::publish`] will have (the page embeds it).
    pub fn next_generation(&self) -> u64 {
        self.lock().generation + 1
    }

    /// Serve `page` from now on and tell the event streams.
    pub fn publish(&self, generation: u64, page: String) {
        let mut state = self.lock();
        state.generation = state.generation.max(generation);
        state.page = Arc::new(page);
        drop(state);
        self.shared.changed.notify_all();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        lock(&self.shared)
    }
}

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, State> {
    // A panicking handler cannot leave the state half-written (two plain fields).
    shared.state.lock().unwrap_or_else(|e| e.into_inner())
}

fn accept(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        if shared.connections.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            shared.connections.fetch_sub(1, Ordering::SeqCst);
            // Answered on the accepting thread: a client that does not take it within
            // 100 ms gets nothing more (respond_within bounds every write).
            let _ = respond_within(
                Duration::from_millis(100),
                &mut stream,
                "503 Service Unavailable",
                "text/plain",
                b"busy\n",
                true,
            );
            continue;
        }
        let s = shared.clone();
        let spawned = std::thread::Builder::new()
            .name("report-conn".into())
            .stack_size(CONN_STACK)
            .spawn(move || {
                let _ = handle(stream, &s);
                s.connections.fetch_sub(1, Ordering::SeqCst);
            });
        if spawned.is_err() {
            shared.connections.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

fn respond(
    stream: &mut TcpStream,
    status: &str,
    content_type: &str,
    body: &[u8],
    with_body: bool,
) -> io::Result<()> {
    respond_within(
        WRITE_DEADLINE,
        stream,
        status,
        content_type,
        body,
        with_body,
    )
}

/// [`respond`], with every byte written within `limit`.
fn respond_within(
    limit: Duration,
    stream: &mut TcpStream,
    status: &str,
    content_type: &str,
    body: &[u8],
    with_body: bool,
) -> io::Result<()> {
    let mut stream = Timed {
        stream,
        deadline: Instant::now() + limit,
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    if with_body {
        stream.write_all(body)?;
    }
    stream.flush()
}

/// What reading a request head gave.
enum Head {
    Complete(String),
    /// Too long, or the client closed before the end.
    Bad,
    /// Not all there by the deadline.
    TooSlow,
}

/// Read the request head: up to the blank line, within [`MAX_HEAD`] bytes and by
/// `deadline` (each read may wait only for what is left of it).
fn read_head(stream: &mut TcpStream, deadline: Instant) -> io::Result<Head> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() > MAX_HEAD {
            return Ok(Head::Bad);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(Head::TooSlow);
        }
        stream.set_read_timeout(Some(left))?;
        let n = match stream.read(&mut buf) {
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Ok(Head::TooSlow)
            }
            Err(e) => return Err(e),
        };
        if n == 0 {
            return Ok(Head::Bad);
        }
        head.extend_from_slice(&buf[..n]);
    }
    Ok(Head::Complete(String::from_utf8_lossy(&head).into_owned()))
}

/// A stream whose writes must all be done by a deadline: a client that takes the
/// response a byte at a time cannot hold its thread longer than that.
struct Timed<'a> {
    stream: &'a mut TcpStream,
    deadline: Instant,
}

impl Write for Timed<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "client too slow"));
        }
        self.stream.set_write_timeout(Some(left))?;
        self.stream.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

/// Whether a `Host` header names this machine's loopback.
fn loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn handle(mut stream: TcpStream, shared: &Shared) -> io::Result<()> {
    let head = match read_head(&mut stream, Instant::now() + HEAD_DEADLINE)? {
        Head::Complete(head) => head,
        Head::Bad => {
            return respond(
                &mut stream,
                "400 Bad Request",
                "text/plain",
                b"bad request\n",
                true,
            )
        }
        Head::TooSlow => {
            return respond(
                &mut stream,
                "408 Request Timeout",
                "text/plain",
                b"request head too slow\n",
                true,
            )
        }
    };
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or("").split(' ');
    let (method, target) = (first.next().unwrap_or(""), first.next().unwrap_or(""));
    let host = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("host"))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default();
    if !shared.any_host && !loopback_host(&host) {
        return respond(
            &mut stream,
            "403 Forbidden",
            "text/plain",
            b"not a loopback host\n",
            true,
        );
    }
    let head_only = method == "HEAD";
    if method != "GET" && !head_only {
        return respond(
            &mut stream,
            "405 Method Not Allowed",
            "text/plain",
            b"GET only\n",
            true,
        );
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    match path {
        "/" | "/index.html" | "/report.html" => {
            let page = lock(shared).page.clone();
            respond(
                &mut stream,
                "200 OK",
                "text/html; charset=utf-8",
                page.as_bytes(),
                !head_only,
            )
        }
        "/events" => {
            let since = query
                .split('&')
                .find_map(|kv| kv.strip_prefix("since="))
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(0);
            if shared.streams.fetch_add(1, Ordering::SeqCst) >= MAX_STREAMS {
                shared.streams.fetch_sub(1, Ordering::SeqCst);
                return respond(
                    &mut stream,
                    "503 Service Unavailable",
                    "text/plain",
                    b"too many event streams\n",
                    true,
                );
            }
            let done = events(stream, shared, since);
            shared.streams.fetch_sub(1, Ordering::SeqCst);
            done
        }
        _ => respond(
            &mut stream,
            "404 Not Found",
            "text/plain",
            b"not found\n",
            !head_only,
        ),
    }
}

/// An event stream: `update` once a report newer than `since` is there, then the end.
fn events(mut stream: TcpStream, shared: &Shared, since: u64) -> io::Result<()> {
    // Each write (the head, an event, a keep-alive) must be taken within the deadline.
    let timed = |stream: &mut TcpStream, bytes: &[u8]| {
        let mut t = Timed {
            stream,
            deadline: Instant::now() + WRITE_DEADLINE,
        };
        t.write_all(bytes)?;
        t.flush()
    };
    timed(
        &mut stream,
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n\
          X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\nretry: 2000\n\n",
    )?;
    let start = Instant::now();
    let mut state = lock(shared);
    loop {
        if state.generation > since {
            let g = state.generation;
            drop(state);
            return timed(
                &mut stream,
                format!("event: update\ndata: {g}\n\n").as_bytes(),
            );
        }
        if start.elapsed() >= MAX_STREAM {
            return Ok(());
        }
        let (s, timeout) = shared
            .changed
            .wait_timeout(state, KEEP_ALIVE)
            .unwrap_or_else(|e| e.into_inner());
        state = s;
        if timeout.timed_out() && state.generation <= since {
            drop(state);
            timed(&mut stream, b": keep-alive\n\n")?;
            state = lock(shared);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(addr: SocketAddr, target: &str, host: &str) -> String {
        let mut s = match TcpStream::connect(addr) {
            Ok(s) => s,
            Err(e) => return format!("connect: {e}"),
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
        let _ = write!(s, "GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n");
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out
    }

    #[test]
    fn serves_the_latest_page_and_pushes_updates() {
        let server = match Server::start(
            "127.0.0.1:0".parse().unwrap_or(([127, 0, 0, 1], 0).into()),
            false,
        ) {
            Ok(s) => s,
            Err(e) => panic!("cannot listen on loopback: {e}"),
        };
        let addr = server.addr();
        let host = addr.to_string();
        assert!(get(addr, "/", &host).contains("being made"));
        let g = server.next_generation();
        assert_eq!(g, 1);
        server.publish(g, "<p>first</p>".into());
        let page = get(addr, "/", &host);
        assert!(page.starts_with("HTTP/1.1 200 OK"), "{page}");
        assert!(page.ends_with("<p>first</p>"));
        // An event stream for an older page says `update` at once.
        let ev = get(addr, "/events?since=0", &host);
        assert!(
            ev.contains("text/event-stream") && ev.contains("event: update\ndata: 1\n"),
            "{ev}"
        );
        // One for the current page waits for the next.
        let waiter = std::thread::spawn(move || get(addr, "/events?since=1", &addr.to_string()));
        std::thread::sleep(Duration::from_millis(200));
        server.publish(2, "<p>second</p>".into());
        let ev = waiter.join().unwrap_or_default();
        assert!(ev.contains("data: 2"), "{ev}");
        assert!(get(addr, "/nope", &host).starts_with("HTTP/1.1 404"));
        assert!(get(addr, "/", "localhost").ends_with("<p>second</p>"));
        // DNS rebinding: a foreign Host is refused.
        assert!(get(addr, "/", "evil.example:80").starts_with("HTTP/1.1 403"));
    }

    fn loopback_server() -> Server {
        match Server::start(([127, 0, 0, 1], 0).into(), false) {
            Ok(s) => s,
            Err(e) => panic!("cannot listen on loopback: {e}"),
        }
    }

    #[test]
    fn slow_clients_do_not_keep_others_out() {
        let server = loopback_server();
        let addr = server.addr();
        server.publish(1, "<p>page</p>".into());
        // 100 clients that began a request and send the rest slowly (here: not at all).
        let slow: Vec<TcpStream> = (0..100)
            .filter_map(|_| {
                let mut s = TcpStream::connect(addr).ok()?;
                s.write_all(b"GET / HT").ok()?;
                Some(s)
            })
            .collect();
        assert_eq!(slow.len(), 100);
        std::thread::sleep(Duration::from_millis(300));
        let start = Instant::now();
        let page = get(addr, "/", &addr.to_string());
        assert!(
            page.starts_with("HTTP/1.1 200 OK") && page.ends_with("<p>page</p>"),
            "{page}"
        );
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "{:?}",
            start.elapsed()
        );
        drop(slow);
    }

    #[test]
    fn a_request_head_must_arrive_within_the_deadline() {
        let server = loopback_server();
        let mut s = match TcpStream::connect(server.addr()) {
            Ok(s) => s,
            Err(e) => panic!("connect: {e}"),
        };
        let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
        // One byte every half second: each read is quick, the head never ends.
        let drip = b"GET / HTTP/1.1\r\nX-Slow: "
            .iter()
            .chain(std::iter::repeat(&b'a'));
        let start = Instant::now();
        let mut answer = Vec::new();
        for &b in drip {
            if start.elapsed() > Duration::from_secs(15) || s.write_all(&[b]).is_err() {
                break;
            }
            let mut buf = [0u8; 256];
            match s.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    answer.extend_from_slice(&buf[..n]);
                    let _ = s.read_to_end(&mut answer);
                    break;
                }
                Err(_) => {}
            }
        }
        let answer = String::from_utf8_lossy(&answer);
        assert!(
            answer.starts_with("HTTP/1.1 408 Request Timeout"),
            "{answer:?}"
        );
        let took = start.elapsed();
        assert!(
            took >= HEAD_DEADLINE && took < HEAD_DEADLINE + Duration::from_secs(3),
            "{took:?}"
        );
    }

    #[test]
    fn loopback_hosts() {
        for h in [
            "127.0.0.1:8080",
            "localhost",
            "LOCALHOST:1",
            "[::1]:80",
            "127.1.2.3",
        ] {
            assert!(loopback_host(h), "{h}");
        }
        for h in [
            "",
            "example.com",
            "192.168.1.1:80",
            "[fe80::1]:80",
            "localhost.evil.com",
        ] {
            assert!(!loopback_host(h), "{h}");
        }
    }
}
