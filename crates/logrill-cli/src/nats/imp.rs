//! The JetStream side of [`super`]: a small tokio runtime (one worker) owned by the sink or
//! the source, so the rest of logrill stays synchronous.

use std::collections::{HashSet, VecDeque};
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::message::PublishMessage;
use async_nats::jetstream::{self, context::PublishAckFuture, Context};
use futures_util::StreamExt;
use logrill::exec::{self, Event, Live, LiveError, Pushed, RunFailure};
use logrill::query::Plan;
use logrill::sink::{Consumer, Flow, Sink, SinkError};
use logrill::InputName;

use super::connect::{connect, Security};
use super::ids::{self, Ids, Place};
use super::Target;
use crate::args::Args;
use crate::output::Printer;

/// Most messages published and not yet acknowledged: the in-memory buffer while the broker
/// is away (the follower does not read further meanwhile, so nothing else piles up).
pub const WINDOW: usize = 1024;
/// How long one publish or acknowledgement may take before the broker counts as away.
const OP_TIMEOUT: Duration = Duration::from_secs(2);
/// How long JetStream requests (stream look-up, creation) may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(3);
/// The duplicate window of a stream logrill creates.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

fn runtime() -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
}

fn jetstream_context(client: async_nats::Client) -> Context {
    let mut js = jetstream::new(client);
    js.set_timeout(REQUEST_TIMEOUT);
    js
}

/// The stream that holds `target`'s subject: an existing one, or one created for it.
async fn ensure_stream(js: &Context, target: &Target) -> Result<String, String> {
    if let Ok(name) = js.stream_by_subject(target.subject.as_str()).await {
        return Ok(name);
    }
    let config = jetstream::stream::Config {
        name: target.stream_name(),
        subjects: vec![target.subject.clone()],
        duplicate_window: DUPLICATE_WINDOW,
        ..Default::default()
    };
    js.get_or_create_stream(config)
        .await
        .map(|_| target.stream_name())
        .map_err(|e| e.to_string())
}

/// One message published (or to publish) and not yet acknowledged.
struct Pending {
    id: String,
    payload: Vec<u8>,
    ack: Option<PublishAckFuture>,
    /// How many times publishing it was tried (more than once: after an outage, when the
    /// broker may have stored it without the acknowledgement arriving).
    sends: u32,
    /// The followed file it came from (device, inode): the start of what a restarted
    /// follower reads again may already be stored.
    file: Option<(u64, u64)>,
}

/// What the broker answered, counted.
#[derive(Debug, Default)]
struct Tally {
    /// Stored now.
    stored: u64,
    /// Already stored, as expected: sent again after an outage, or read again from a
    /// followed file's checkpoint after a restart (before any new line of that file).
    resent: u64,
    /// Already stored, though this run never sent it and it was not a re-read: another
    /// run or host published a record under the same id. Reported; the exit status says so.
    collisions: u64,
    /// The first such id, for the message.
    first_collision: Option<String>,
    /// Followed files (device, inode) with a record stored now: a duplicate after that is
    /// not a re-read.
    fresh_files: HashSet<(u64, u64)>,
}

/// An [`Output`] that publishes each result as JSON to a JetStream subject.
pub struct NatsSink {
    rt: Arc<tokio::runtime::Runtime>,
    js: Context,
    target: Target,
    pending: VecDeque<Pending>,
    cancel: Option<Arc<AtomicBool>>,
    /// Where the line being pushed came from (follow mode), for its message id.
    place: Option<Place>,
    ids: Ids,
    /// Whether the broker is away (warned once per outage).
    outage: bool,
    tally: Tally,
}

impl NatsSink {
    /// Connect to `--to` (`nats://HOST:PORT/SUBJECT`), creating the stream if no stream
    /// holds the subject. While the broker cannot be reached this waits (one warning),
    /// until `cancel` is set.
    pub fn connect(args: &Args, cancel: Option<Arc<AtomicBool>>) -> anyhow::Result<NatsSink> {
        let url = args.to.as_deref().unwrap_or_default();
        let target = Target::parse(url)?;
        let security = Security::new(&target, args, |name| std::env::var(name).ok())?;
        let instance = match &args.nats_instance {
            Some(id) => {
                ids::check_instance(id).map_err(|e| anyhow::anyhow!("--nats-instance {e}"))?;
                id.clone()
            }
            None => ids::host_name().ok_or_else(|| {
                anyhow::anyhow!("--to: this host's name cannot be read; give each host its own --nats-instance ID")
            })?,
        };
        let rt = runtime()?;
        let (client, unreachable) = rt
            .block_on(connect(&target, &security, true))
            .map_err(|e| anyhow::anyhow!("nats: {e}"))?;
        // The context spawns a task: it is made inside the runtime.
        let js = {
            let _inside = rt.enter();
            jetstream_context(client)
        };
        let mut sink = NatsSink {
            rt: Arc::new(rt),
            js,
            target,
            pending: VecDeque::new(),
            cancel,
            place: None,
            ids: Ids::new(instance),
            outage: false,
            tally: Tally::default(),
        };
        if let Some(why) = unreachable {
            sink.warn(&why);
        }
        let mut delay = Duration::from_millis(100);
        loop {
            let attempt = sink.rt.block_on(async {
                tokio::time::timeout(REQUEST_TIMEOUT, ensure_stream(&sink.js, &sink.target)).await
            });
            match attempt {
                Ok(Ok(_)) => break,
                Ok(Err(why)) => sink.warn(&why),
                Err(_) => sink.warn("no answer"),
            }
            if sink.pause(delay) {
                anyhow::bail!("nats: {}: gave up connecting", sink.target.server);
            }
            delay = (delay * 2).min(Duration::from_secs(2));
        }
        sink.recovered();
        Ok(sink)
    }

    /// Where the line about to be pushed came from (follow mode; `None`: the records
    /// that follow are not from a file's line, or batch mode, where each record's input
    /// and line number say it).
    pub fn at(&mut self, place: Option<Place>) {
        self.place = place;
    }

    /// The line about to be pushed is the one at `pos` (`len` bytes) in `batch` (`-F`).
    pub fn at_line(&mut self, batch: &logrill::source::follow::Batch<'_>, pos: usize, len: usize) {
        self.place = self.ids.line_place(batch, pos, len);
    }

    /// How many records the server acknowledged so far (stored, or held already).
    pub fn acknowledged(&self) -> u64 {
        self.tally.stored + self.tally.resent + self.tally.collisions
    }

    /// Say on stderr what the broker did with the records: how many it already held
    /// (re-sent, expected) unless `quiet`, and always the records it dropped as
    /// duplicates of another run's. Whether none was dropped so.
    pub fn report(&self, quiet: bool) -> bool {
        let t = &self.tally;
        if t.resent > 0 && !quiet {
            crate::diag::say(format!(
                "nats: {} sent again (after a restart or an outage) were already stored; not stored twice",
                logrill::plural(t.resent, "record", "records")
            ));
        }
        if t.collisions > 0 {
            crate::diag::say(format!(
                "nats: {} of {} NOT stored: {} already held a record with the same id ({}), not sent by this run: the same files published by an earlier run within the stream's duplicate window, or another host with the same --nats-instance",
                t.collisions,
                logrill::plural(self.acknowledged(), "record", "records"),
                self.target.subject,
                t.first_collision.as_deref().unwrap_or_default(),
            ));
        }
        t.collisions == 0
    }

    /// Wait until the server acknowledged every record given so far, republishing (same
    /// ids) while the broker is away. Fails only when cancelled (Ctrl-C) meanwhile.
    pub fn settle(&mut self) -> io::Result<()> {
        // Ack futures spawn when dropped: they are dropped inside the runtime.
        let rt = self.rt.clone();
        let _inside = rt.enter();
        let mut delay = Duration::from_millis(100);
        loop {
            match self.try_settle() {
                Ok(()) => {
                    self.recovered();
                    return Ok(());
                }
                Err(why) => {
                    self.warn(&why);
                    for p in &mut self.pending {
                        p.ack = None;
                    }
                }
            }
            if self.pause(delay) {
                return Err(io::Error::new(
                    io::ErrorKind::Interrupted,
                    format!(
                        "nats: {} not acknowledged by the broker (the checkpoint does not cover them)",
                        logrill::plural(self.pending.len(), "record", "records")
                    ),
                ));
            }
            delay = (delay * 2).min(Duration::from_secs(2));
            // A broker restarted without its store has lost the stream: make it again.
            let _ = self.rt.block_on(async {
                tokio::time::timeout(REQUEST_TIMEOUT, ensure_stream(&self.js, &self.target)).await
            });
        }
    }

    fn warn(&mut self, why: &str) {
        if !self.outage {
            self.outage = true;
            crate::diag::say(format!(
                "nats: broker unreachable ({}: {why}), holding {}; retrying",
                self.target.server,
                logrill::plural(self.pending.len(), "record", "records")
            ));
        }
    }

    fn recovered(&mut self) {
        if self.outage {
            self.outage = false;
            crate::diag::say(format!(
                "nats: broker back ({}): every record acknowledged",
                self.target.server
            ));
        }
    }

    /// Sleep `delay` in small steps; whether cancelled.
    fn pause(&self, delay: Duration) -> bool {
        let end = Instant::now() + delay;
        loop {
            if self
                .cancel
                .as_ref()
                .is_some_and(|c| c.load(Ordering::Relaxed))
            {
                return true;
            }
            let now = Instant::now();
            if now >= end {
                return false;
            }
            std::thread::sleep((end - now).min(Duration::from_millis(50)));
        }
    }

    fn publish(&self, id: &str, payload: &[u8]) -> Result<PublishAckFuture, String> {
        let message = PublishMessage::build()
            .payload(payload.to_vec().into())
            .message_id(id);
        let subject = self.target.subject.clone();
        match self.rt.block_on(async {
            tokio::time::timeout(OP_TIMEOUT, self.js.send_publish(subject, message)).await
        }) {
            Ok(Ok(ack)) => Ok(ack),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("publish timed out".to_string()),
        }
    }

    /// Count the broker's answer for `p`.
    fn count(&mut self, p: Pending, duplicate: bool) {
        let t = &mut self.tally;
        if !duplicate {
            t.stored += 1;
            if let Some(file) = p.file {
                t.fresh_files.insert(file);
            }
        } else if p.sends > 1 || p.file.is_some_and(|f| !t.fresh_files.contains(&f)) {
            t.resent += 1;
        } else {
            t.collisions += 1;
            if t.first_collision.is_none() {
                // Said at once (a follower may run for days); the total at the end.
                crate::diag::say(format!(
                    "nats: the broker dropped record {} as a duplicate of a record this run never sent (same --nats-instance on two hosts?)",
                    p.id
                ));
                t.first_collision = Some(p.id);
            }
        }
    }

    fn try_settle(&mut self) -> Result<(), String> {
        for i in 0..self.pending.len() {
            if self.pending[i].ack.is_none() {
                // Counted as sent even if it fails: it may have reached the broker.
                self.pending[i].sends += 1;
                let ack = self.publish(&self.pending[i].id, &self.pending[i].payload)?;
                self.pending[i].ack = Some(ack);
            }
        }
        while let Some(front) = self.pending.front_mut() {
            let Some(ack) = front.ack.take() else {
                return Err("not published".to_string());
            };
            let answer = self.rt.block_on(async {
                tokio::time::timeout(OP_TIMEOUT, std::future::IntoFuture::into_future(ack)).await
            });
            match answer {
                Ok(Ok(ack)) => {
                    if let Some(p) = self.pending.pop_front() {
                        self.count(p, ack.duplicate);
                    }
                }
                Ok(Err(e)) => return Err(e.to_string()),
                Err(_) => return Err("no acknowledgement".to_string()),
            }
        }
        Ok(())
    }

    /// Publish a record of line `line` of `input` (`None`: of no line).
    fn send(&mut self, input: Option<&InputName>, line: u64, payload: Vec<u8>) -> io::Result<()> {
        let rt = self.rt.clone();
        let _inside = rt.enter();
        let place = match (self.place, input) {
            (Some(place), _) => place,
            (None, Some(input)) => self.ids.input_place(input, line),
            (None, None) => Place::Run,
        };
        let file = match place {
            Place::Offset(key, _) => Some(key.file()),
            _ => None,
        };
        let id = self.ids.id(place, &payload);
        let ack = if self.outage {
            None
        } else {
            self.publish(&id, &payload).ok()
        };
        let sends = u32::from(!self.outage);
        self.pending.push_back(Pending {
            id,
            payload,
            ack,
            sends,
            file,
        });
        if self.pending.len() >= WINDOW {
            self.settle()?;
        }
        Ok(())
    }
}

impl Drop for NatsSink {
    fn drop(&mut self) {
        let rt = self.rt.clone();
        let _inside = rt.enter();
        self.pending.clear();
    }
}

impl Consumer for NatsSink {
    type Output = ();

    /// Closing waits until the broker acknowledged every message sent (as
    /// [`NatsSink::settle`]): a sink closed as the end of a run must not report success
    /// for records still in flight.
    fn close(mut self) -> Result<(), SinkError> {
        self.settle().map_err(SinkError::Write)
    }
}

/// Each result is one message: values and records as JSON (with the input and line
/// they came from, for the message id), the seed's aggregate as `{name: value}`.
impl<'a> Sink<Event<'a>> for NatsSink {
    fn send(&mut self, event: Event<'a>) -> Result<Flow, SinkError> {
        let sent = match event {
            Event::Value(v) => {
                let json = serde_json::json!({
                    "file": v.input.to_string(),
                    "line": v.line,
                    "value": String::from_utf8_lossy(v.value),
                });
                serde_json::to_vec(&json).map(|p| (Some(v.input), v.line, p))
            }
            Event::Record {
                input,
                line,
                record,
            } => serde_json::to_vec(&record.to_json()).map(|p| (Some(input), line, p)),
            Event::Aggregate { name, value } => {
                let mut obj = serde_json::Map::new();
                obj.insert(name.to_string(), value.to_json());
                serde_json::to_vec(&obj).map(|p| (None, 0, p))
            }
            Event::Columns(_) | Event::EndTable | Event::Branch { .. } => {
                return Ok(Flow::Continue)
            }
        };
        let (input, line, payload) = sent.map_err(|e| SinkError::Write(e.into()))?;
        NatsSink::send(self, input, line, payload).map_err(SinkError::Write)?;
        Ok(Flow::Continue)
    }
}

fn cancel_flag() -> anyhow::Result<Arc<AtomicBool>> {
    let cancel = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register_conditional_shutdown(signal, 130, cancel.clone())?;
        signal_hook::flag::register(signal, cancel.clone())?;
    }
    Ok(cancel)
}

/// `--to nats://…` in batch mode: run `plan` over the inputs, publishing the results, and
/// wait for every acknowledgement. Returns the exit status.
pub fn run_batch(args: &Args, plan: &Plan) -> anyhow::Result<u8> {
    let gz_index = args.gz_index();
    let files = args.files_with_index(gz_index.clone())?;
    let cancel = cancel_flag()?;
    let mut sink = NatsSink::connect(args, Some(cancel.clone()))?;
    let mut options = args.options();
    options.cancel = Some(cancel);
    let mut on_error = |e: logrill::Error| crate::diag::say(format!("{e}"));
    let summary = match exec::run_with(plan, files, &mut sink, &mut on_error, &options) {
        Ok(summary) => summary,
        Err(RunFailure::Output(e)) => anyhow::bail!("{e}"),
        Err(e) => return Err(e.into()),
    };
    crate::index::say_notices(gz_index.as_ref(), args.quiet);
    if let Err(e) = sink.settle() {
        crate::diag::say(format!("{e}"));
        return Ok(2);
    }
    crate::report(args, &summary);
    let all_stored = sink.report(args.quiet);
    if !args.quiet && all_stored {
        crate::diag::say(format!(
            "nats: {} published to {}, every one acknowledged",
            logrill::plural(sink.acknowledged(), "record", "records"),
            sink.target.subject
        ));
    }
    if summary.interrupted {
        return Ok(130);
    }
    Ok(if summary.failed() || !all_stored {
        2
    } else if plan.is_filter() && summary.values == 0 {
        1
    } else {
        0
    })
}

/// A `nats://HOST:PORT/SUBJECT` input: every message of the subject's stream, from the
/// first, pushed through `plan` as a line. Without `-F`, stops at the last message stored;
/// with `-F`, at `--exit-on-idle` or Ctrl-C. Returns the exit status.
pub fn source(args: &Args, plan: &Plan) -> anyhow::Result<u8> {
    let [path] = args.paths.as_slice() else {
        anyhow::bail!("a nats:// input must be the only input");
    };
    if args.to.is_some() {
        anyhow::bail!("--to cannot be used with a nats:// input");
    }
    let target = Target::parse(&path.to_string_lossy())?;
    let security = Security::new(&target, args, |name| std::env::var(name).ok())?;
    // Shown (`-H`, messages) without the credentials.
    let url = target.display();
    let rt = runtime()?;
    // Subscriptions spawn when dropped: everything below lives inside the runtime.
    let _inside = rt.enter();
    let setup = rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(10), async {
            let (client, _) = connect(&target, &security, false).await?;
            let js = jetstream_context(client);
            let name = js
                .stream_by_subject(target.subject.as_str())
                .await
                .map_err(|e| {
                    format!(
                        "no JetStream stream holds subject `{}`: {e}",
                        target.subject
                    )
                })?;
            let stream = js.get_stream(&name).await.map_err(|e| e.to_string())?;
            let consumer = stream
                .create_consumer(jetstream::consumer::pull::OrderedConfig {
                    filter_subject: target.subject.clone(),
                    deliver_policy: jetstream::consumer::DeliverPolicy::All,
                    ..Default::default()
                })
                .await
                .map_err(|e| e.to_string())?;
            consumer.messages().await.map_err(|e| e.to_string())
        })
        .await
        .unwrap_or_else(|_| Err("no answer".to_string()))
    });
    let mut messages = match setup {
        Ok(messages) => messages,
        Err(e) => anyhow::bail!("nats: {url}: {e}"),
    };
    let cancel = cancel_flag()?;
    let options = args.options();
    let mut live = Live::new(plan, &options)?;
    let input = InputName::Path(PathBuf::from(&url));
    let stdout = io::stdout();
    let terminal = stdout.is_terminal();
    let mut out = Printer::new(
        stdout.lock(),
        args.format(),
        terminal,
        terminal && !args.raw,
    )
    .with_filename(args.with_filename);
    if args.follow {
        // Records go out as they come (JSON records are not held for their union).
        out = out.live();
    }
    let gathers = live.has_snapshot();
    // Without -F, a stream with nothing (left) for the subject ends the run after this.
    let idle = if args.follow {
        args.exit_on_idle
    } else {
        Some(Duration::from_secs(2))
    };
    let mut last_message = Instant::now();
    let mut next_tick = Instant::now() + args.every;
    let mut shown_lines = 0usize;
    let mut failed = 0u64;
    let mut stream_errors = 0u32;
    loop {
        if cancel.load(Ordering::Relaxed) {
            break;
        }
        let next = rt.block_on(async {
            tokio::time::timeout(Duration::from_millis(100), messages.next()).await
        });
        match next {
            Ok(Some(Ok(message))) => {
                last_message = Instant::now();
                let (seq, pending) = match message.info() {
                    Ok(info) => (info.stream_sequence, info.pending),
                    Err(_) => (0, 1),
                };
                if live.needs_format() {
                    // `parse auto`: chosen from the first message.
                    match live.choose_format(&[&message.payload]) {
                        Ok(chosen) => chosen.iter().for_each(crate::diag::say),
                        Err(e) => {
                            crate::diag::say_error(&e);
                            return Ok(2);
                        }
                    }
                }
                match live.push(&input, seq, &message.payload, &mut out) {
                    Ok(Pushed::More) => {}
                    Ok(Pushed::Done) => break,
                    Err(LiveError::Input(e)) => {
                        failed += 1;
                        crate::diag::say_error(&e);
                        if e.ends_run() {
                            break;
                        }
                    }
                    Err(LiveError::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
                        return Ok(141)
                    }
                    Err(LiveError::Output(e)) => return Err(e.into()),
                }
                if !args.follow && pending == 0 {
                    break;
                }
            }
            Ok(Some(Err(e))) => {
                stream_errors += 1;
                if !args.quiet && stream_errors == 1 {
                    crate::diag::say(format!("nats: {url}: {e}; retrying"));
                }
                if !args.follow && stream_errors > 20 {
                    anyhow::bail!("nats: {url}: {e}");
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            Ok(None) => break,
            Err(_) => {
                if !gathers {
                    out.flush()?;
                }
                if idle.is_some_and(|d| last_message.elapsed() >= d) {
                    break;
                }
            }
        }
        if args.follow && gathers && Instant::now() >= next_tick {
            shown_lines = crate::running::show(&mut live, args, terminal, shown_lines)?;
            next_tick = Instant::now() + args.every;
        }
    }
    out.flush()?;
    if gathers && terminal && shown_lines > 0 {
        let mut stdout = io::stdout().lock();
        write!(stdout, "\x1b[{shown_lines}A\x1b[J")?;
        stdout.flush()?;
    }
    let mut on_error = |e: logrill::Error| {
        failed += 1;
        crate::diag::say(format!("{e}"));
    };
    let summary = live.finish(&mut out, &mut on_error)?;
    out.finish()?;
    crate::report(args, &summary);
    Ok(if failed > 0 { 2 } else { 0 })
}
