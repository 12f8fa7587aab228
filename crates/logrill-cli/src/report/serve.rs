//! `--serve ADDR`: the latest report over HTTP, and a push of each new one.
//!
//! A deliberately small server on `std::net`: `GET /` gives the page, `GET /events?since=N`
//! is a Server-Sent Events stream that says `update` as soon as a report newer than N is
//! there (the page's few lines of inline script then reload it). Every connection has its
//! own thread, at most [`MAX_CONNECTIONS`] at once; requests are read with a time limit
//! and a size limit; an event stream lasts at most [`MAX_STREAM`] (browsers reconnect by
//! themselves). Unless told otherwise, only requests whose `Host` is a loopback name are
//! answered (a web page elsewhere cannot read the report through DNS rebinding).

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Most connections served at once; more are answered 503 and closed.
pub const MAX_CONNECTIONS: usize = 32;
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
            let _ = respond(
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

/// Read the request head: up to the blank line, within [`MAX_HEAD`] bytes.
fn read_head(stream: &mut TcpStream) -> io::Result<Option<String>> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() > MAX_HEAD {
            return Ok(None);
        }
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(None);
        }
        head.extend_from_slice(&buf[..n]);
    }
    Ok(Some(String::from_utf8_lossy(&head).into_owned()))
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
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
    let Some(head) = read_head(&mut stream)? else {
        return respond(
            &mut stream,
            "400 Bad Request",
            "text/plain",
            b"bad request\n",
            true,
        );
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
            events(stream, shared, since)
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
    stream.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n\
          X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\nretry: 2000\n\n",
    )?;
    stream.flush()?;
    let start = Instant::now();
    let mut state = lock(shared);
    loop {
        if state.generation > since {
            let g = state.generation;
            drop(state);
            write!(stream, "event: update\ndata: {g}\n\n")?;
            return stream.flush();
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
            stream.write_all(b": keep-alive\n\n")?;
            stream.flush()?;
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
