//! Partial results as bytes: run a plan on a part of the inputs somewhere (a Spark
//! executor, another machine), send the gathered state as bytes, merge the parts in input
//! order and finish, and the answer is exactly that of one run over all the inputs: exact
//! integers, percentiles, distinct values, `top` ties and `first`/`last` included.
//!
//! ```text
//! part 1 ─ PartialResult::run ─ to_bytes ─┐
//! part 2 ─ PartialResult::run ─ to_bytes ─┼─ from_bytes ─ merge (in order) ─ finish → Results
//! part 3 ─ PartialResult::run ─ to_bytes ─┘
//! ```
//!
//! A plan can be run in parts when it gathers its answer: it ends in an aggregate (`sum`,
//! `count by status`, `p99 duration`, `top 3 host`, `distinct path` …), a table or a
//! `sort`, or a `tee` whose branches all do. A plan that streams values or records has no
//! state to merge (run it on each part and concatenate; the Python package's Spark route
//! does that with Arrow batches).
//!
//! ## The bytes (version 1)
//!
//! `LGRP`, a version byte (1), the plan's fingerprint (CRC-32 of its compiled form: parts
//! merge only with parts of the same plan, from the same logrill version), then the run's
//! counts — values produced (u64), lines `parse` could not read (u64), skipped values
//! (count, then per reason: reason byte, u64 count, first example as input, line, bytes) —
//! and the gathered state, a tree:
//!
//! * `0` nothing; `1` the seed's aggregate (see [`crate::agg`]'s wire layout);
//! * `2` groups: count, then per group its key values and its aggregate states (count,
//!   states), groups in any order (the table's own: the reader finds each group by its key;
//!   an older writer sorted them by key, which reads the same);
//! * `3` records kept to be sorted: count, then per record its fields (count, then name and
//!   value each), in input order;
//! * `4` values kept (count, bytes each); `5` `tee`: count, then a tree per branch.
//!
//! The aggregate states and values are laid out in `agg::wire`. Every read is
//! bounds-checked: corrupt or foreign bytes give a [`PartialError`], never a panic.

mod gzip_chunks;

use std::borrow::Cow;

use super::chain::{Partial, Stats};
use super::flow::{Flow, RunError};
use super::runner::Runner;
use super::table::{Contents, Table};
use super::{conclude, Compiled, Options, SkipExample, Skips};
use crate::agg::{States, WireError, WireReader, WireWriter};
use crate::error::{Error, InputName};
use crate::query::Plan;
use crate::record::Record;
use crate::results::{Collector, Report, Results};
use crate::source::Input;
use crate::stage::SkipReason;

pub use gzip_chunks::{gzip_chunks, ChunkChecks};

/// The first bytes of every partial result.
const MAGIC: &[u8; 4] = b"LGRP";
/// The version of the layout this module writes and reads.
pub const VERSION: u8 = 1;

/// Why a partial result could not be made, read or merged.
#[derive(Debug, thiserror::Error)]
pub enum PartialError {
    /// The plan does not compile.
    #[error(transparent)]
    Plan(Error),
    /// The plan streams values or records: there is no state to merge.
    #[error("this pipeline gives values or records as they come, not one answer to merge; run it on each part instead")]
    NotMergeable,
    /// A stage (`head`) takes the first lines of the whole input: parts cannot be run
    /// apart, whatever the pipeline ends in.
    #[error("`head` takes the first lines of the whole input: this pipeline cannot be run in parts; run it whole")]
    Ordered,
    /// The bytes are not a partial result this version reads.
    #[error(transparent)]
    Wire(#[from] WireError),
    /// The bytes are a partial result of another plan (or another logrill version).
    #[error("the partial result was made by another pipeline (or another logrill version)")]
    OtherPlan,
    /// Writing the output failed while finishing.
    #[error("writing the results: {0}")]
    Output(std::io::Error),
}

/// The gathered state of a plan run over part of its inputs, with the counts its report
/// needs. See the [module documentation](self).
pub struct PartialResult {
    plan: Plan,
    fingerprint: u32,
    state: Partial,
    values: u64,
    unparsed: u64,
    skips: Skips,
}

impl std::fmt::Debug for PartialResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartialResult")
            .field("values", &self.values)
            .field("unparsed", &self.unparsed)
            .finish_non_exhaustive()
    }
}

/// Values of a gathering plan go nowhere (it gives none until it is finished).
struct Nowhere;

impl crate::sink::Consumer for Nowhere {
    type Output = ();
    fn close(self) -> Result<(), crate::sink::SinkError> {
        Ok(())
    }
}

impl<'a> crate::sink::Sink<super::Event<'a>> for Nowhere {
    fn send(&mut self, _: super::Event<'a>) -> Result<crate::sink::Flow, crate::sink::SinkError> {
        Ok(crate::sink::Flow::Continue)
    }
}

fn fingerprint(plan: &Plan) -> u32 {
    crc32fast::hash(format!("{plan:?}").as_bytes())
}

impl PartialResult {
    /// Nothing gathered yet: what merging starts from.
    pub fn empty(plan: &Plan) -> Result<PartialResult, PartialError> {
        let mut compiled = Compiled::new(plan).map_err(PartialError::Plan)?;
        // `head` before the aggregate takes the first lines of the whole input: parts run
        // apart would each take their own first lines.
        if compiled.chain.ordered_anywhere() {
            return Err(PartialError::Ordered);
        }
        if !compiled.chain.gathers() {
            return Err(PartialError::NotMergeable);
        }
        let state = compiled.chain.take_partial();
        if !mergeable(&state) {
            return Err(PartialError::NotMergeable);
        }
        Ok(PartialResult {
            plan: plan.clone(),
            fingerprint: fingerprint(plan),
            state,
            values: 0,
            unparsed: 0,
            skips: Skips::default(),
        })
    }

    /// Run `plan` over `files` (one after the other, on this thread: the parts are the
    /// parallelism) and keep what it gathered. An input that cannot be read goes to
    /// `on_error` and the others are still read, as in a whole run.
    pub fn run(
        plan: &Plan,
        files: impl IntoIterator<Item = Result<Input, Error>>,
        on_error: &mut dyn FnMut(Error),
        options: &Options,
    ) -> Result<PartialResult, PartialError> {
        let mut result = PartialResult::empty(plan)?;
        let compiled = Compiled::with(plan, options).map_err(PartialError::Plan)?;
        let mut out = Nowhere;
        let mut runner = Runner::new(compiled, &mut out, Stats::new(options.state_limit));
        runner.max_line = options.max_line_bytes;
        runner.cancel = options.cancel.clone();
        for file in files {
            if super::cancelled(&options.cancel) {
                break;
            }
            let input = match file {
                Ok(input) => input.read_ahead(),
                Err(e) => {
                    on_error(e);
                    continue;
                }
            };
            match runner.input(input) {
                Ok(Flow::Go) => {}
                Ok(Flow::Stop) => break,
                Err(RunError::Input(e)) => {
                    let flow = runner.stats.input_failed(&e);
                    on_error(e);
                    if flow == Flow::Stop {
                        break;
                    }
                }
                Err(RunError::Output(e)) => return Err(PartialError::Output(e)),
            }
        }
        let (mut compiled, stats) = runner.finish();
        result.state = compiled.chain.take_partial();
        result.values = stats.values;
        result.unparsed = stats.failures.total();
        result.skips = stats.skips;
        Ok(result)
    }

    /// Fold in the partial result of a *later* part of the inputs (order matters for
    /// `first`, `last`, `top` ties and the order of records that sort equal). Parts of
    /// another plan are an error, and this one is left as it was.
    pub fn merge(&mut self, later: PartialResult) -> Result<(), PartialError> {
        if later.fingerprint != self.fingerprint {
            return Err(PartialError::OtherPlan);
        }
        merge_state(&mut self.state, later.state);
        // Saturating: these counts come from bytes, and crafted ones must not overflow.
        self.values = self.values.saturating_add(later.values);
        self.unparsed = self.unparsed.saturating_add(later.unparsed);
        self.skips.merge(&later.skips);
        Ok(())
    }

    /// The bytes of this partial result (see the [module documentation](self)).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = WireWriter::default();
        w.bytes.extend_from_slice(MAGIC);
        w.u8(VERSION);
        w.bytes.extend(self.fingerprint.to_le_bytes());
        w.u64(self.values);
        w.u64(self.unparsed);
        let skips: Vec<_> = self.skips.iter().collect();
        w.len(skips.len());
        for (reason, n, example) in skips {
            w.u8(reason_code(reason));
            w.u64(n);
            write_input(&mut w, &example.input);
            w.u64(example.line);
            w.blob(&example.value);
        }
        write_state(&mut w, &self.state);
        w.bytes
    }

    /// Read the bytes of a partial result of `plan` (made by [`PartialResult::to_bytes`]).
    pub fn from_bytes(plan: &Plan, bytes: &[u8]) -> Result<PartialResult, PartialError> {
        let mut result = PartialResult::empty(plan)?;
        let mut r = WireReader::new(bytes);
        if r.take(4).ok() != Some(&MAGIC[..]) {
            return Err(r.error("no LGRP mark at the start").into());
        }
        let version = r.u8()?;
        if version != VERSION {
            return Err(r
                .error(format!(
                    "layout version {version}, this logrill reads {VERSION}"
                ))
                .into());
        }
        let mut print = [0; 4];
        print.copy_from_slice(r.take(4)?);
        if u32::from_le_bytes(print) != result.fingerprint {
            return Err(PartialError::OtherPlan);
        }
        result.values = r.u64()?;
        result.unparsed = r.u64()?;
        for _ in 0..r.len(1 + 8 + 1 + 8 + 8)? {
            let reason = reason_of(&mut r)?;
            let n = r.u64()?;
            let input = read_input(&mut r)?;
            let line = r.u64()?;
            let value = r.blob()?.to_vec();
            result
                .skips
                .add_counted(reason, n, SkipExample { input, line, value });
        }
        let template = std::mem::replace(&mut result.state, Partial::None);
        result.state = read_state(&mut r, template)?;
        if !r.at_end() {
            return Err(r.error("bytes after the end").into());
        }
        Ok(result)
    }

    /// The answer: what a run of the plan over all the parts' inputs gives (the input
    /// problems are the caller's: they were met where the parts ran).
    pub fn finish(self, options: &Options) -> Result<Report<Results>, PartialError> {
        let mut compiled = Compiled::with(&self.plan, options).map_err(PartialError::Plan)?;
        compiled.chain.merge_partial(self.state);
        let mut stats = Stats::new(options.state_limit);
        stats.values = self.values;
        stats.skips = self.skips;
        let size = compiled.chain.state_size();
        let mut errors = Vec::new();
        if let Err(e) = crate::agg::check_state_limit(size, options.state_limit) {
            stats.over_limit = true;
            errors.push(Error::State(e));
        }
        let mut out = Collector::for_plan(&self.plan);
        let summary = conclude(compiled, stats, &mut out, &mut |e| errors.push(e), 0, false)
            .map_err(PartialError::Output)?;
        let mut report = Report::from_summary(out.results, errors, summary);
        report.unparsed = self.unparsed;
        Ok(report)
    }
}

/// Whether every part of the state can be merged (a `tee` branch that streams values
/// cannot).
fn mergeable(state: &Partial) -> bool {
    match state {
        Partial::None => false,
        Partial::Seed(_) | Partial::Table(_) | Partial::Kept(_) => true,
        Partial::Tee(branches) => branches.iter().all(mergeable),
    }
}

fn merge_state(mine: &mut Partial, later: Partial) {
    match (mine, later) {
        (Partial::Seed(a), Partial::Seed(b)) => a.merge(&b),
        (Partial::Table(a), Partial::Table(b)) => a.merge(b),
        (Partial::Kept(a), Partial::Kept(b)) => a.extend(b),
        (Partial::Tee(a), Partial::Tee(b)) => {
            for (m, l) in a.iter_mut().zip(b) {
                merge_state(m, l);
            }
        }
        _ => {}
    }
}

fn write_state(w: &mut WireWriter, state: &Partial) {
    match state {
        Partial::None => w.u8(0),
        Partial::Seed(agg) => {
            w.u8(1);
            w.aggregate(agg);
        }
        // Read in place, groups in the table's own order: the reader finds each group by
        // its key, so neither a copy of the table nor a sort of its keys is needed here
        // (they took a fifth of a part's time with 65 000 groups); the finish sorts once.
        Partial::Table(table) => match table.contents() {
            Contents::Groups(groups) => {
                w.u8(2);
                w.len(groups.len());
                for (keys, states) in groups.iter() {
                    w.len(keys.len());
                    keys.iter().for_each(|k| w.value(k));
                    w.len(states.len());
                    states.iter().for_each(|s| w.state(s));
                }
            }
            Contents::Sorted(rows) => {
                w.u8(3);
                w.len(rows.len());
                for row in rows {
                    w.len(row.iter().count());
                    for (name, value) in row.iter() {
                        w.blob(name.as_bytes());
                        w.value(value);
                    }
                }
            }
        },
        Partial::Kept(values) => {
            w.u8(4);
            w.len(values.len());
            values.iter().for_each(|v| w.blob(v));
        }
        Partial::Tee(branches) => {
            w.u8(5);
            w.len(branches.len());
            branches.iter().for_each(|b| write_state(w, b));
        }
    }
}

/// Read a state of the shape of `template` (the empty state of the same plan).
fn read_state(r: &mut WireReader<'_>, template: Partial) -> Result<Partial, WireError> {
    let tag = r.u8()?;
    let wrong =
        |r: &WireReader<'_>| r.error(format!("a state of kind {tag} where the plan has another"));
    Ok(match (tag, template) {
        (0, Partial::None) => Partial::None,
        (1, Partial::Seed(fresh)) => {
            let agg = r.aggregate()?;
            if std::mem::discriminant(&agg) != std::mem::discriminant(&fresh) {
                return Err(wrong(r));
            }
            Partial::Seed(agg)
        }
        (2, Partial::Table(mut table @ Table::Groups(_))) => {
            for _ in 0..r.len(16)? {
                let keys = (0..r.len(1)?)
                    .map(|_| r.value())
                    .collect::<Result<Vec<_>, _>>()?;
                let states = (0..r.len(1)?)
                    .map(|_| r.state())
                    .collect::<Result<States, _>>()?;
                if !table.add_group(keys, states) {
                    return Err(r.error("a group of another shape than the plan's".to_string()));
                }
            }
            Partial::Table(table)
        }
        (3, Partial::Table(mut table @ Table::Sorted(_))) => {
            for _ in 0..r.len(8)? {
                let mut rec = Record::new();
                for _ in 0..r.len(9)? {
                    let name = String::from_utf8(r.blob()?.to_vec())
                        .map_err(|_| r.error("a field name that is not UTF-8"))?;
                    let value = r.value()?;
                    rec.push(Cow::Owned(name), value);
                }
                table.add(&rec);
            }
            Partial::Table(table)
        }
        (4, Partial::Kept(_)) => Partial::Kept(
            (0..r.len(8)?)
                .map(|_| r.blob().map(<[u8]>::to_vec))
                .collect::<Result<_, _>>()?,
        ),
        (5, Partial::Tee(templates)) => {
            if r.len(1)? != templates.len() {
                return Err(r.error("another number of tee branches than the plan has"));
            }
            Partial::Tee(
                templates
                    .into_iter()
                    .map(|t| read_state(r, t))
                    .collect::<Result<_, _>>()?,
            )
        }
        _ => return Err(wrong(r)),
    })
}

fn reason_code(reason: SkipReason) -> u8 {
    match reason {
        SkipReason::NoSuchField => 0,
        SkipReason::NotANumber => 1,
        SkipReason::Null => 2,
        SkipReason::LineTooLong => 3,
    }
}

fn reason_of(r: &mut WireReader<'_>) -> Result<SkipReason, WireError> {
    Ok(match r.u8()? {
        0 => SkipReason::NoSuchField,
        1 => SkipReason::NotANumber,
        2 => SkipReason::Null,
        3 => SkipReason::LineTooLong,
        b => return Err(r.error(format!("unknown skip reason {b}"))),
    })
}

fn write_input(w: &mut WireWriter, input: &InputName) {
    match input {
        InputName::Stdin => w.u8(0),
        InputName::Path(p) => {
            w.u8(1);
            w.blob(p.as_os_str().as_encoded_bytes());
        }
    }
}

fn read_input(r: &mut WireReader<'_>) -> Result<InputName, WireError> {
    Ok(match r.u8()? {
        0 => InputName::Stdin,
        1 => {
            // Written from a path of this platform; shown, never opened.
            let bytes = r.blob()?;
            InputName::Path(String::from_utf8_lossy(bytes).into_owned().into())
        }
        b => return Err(r.error(format!("unknown input kind {b}"))),
    })
}
