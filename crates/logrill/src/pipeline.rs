//! The library's pull side: the seed's pipeline, stage for stage, as builder calls over
//! inputs.
//!
//! Every stage of the pipeline language is a call of stage methods (see [`crate::lang`]) (see [`crate::lang`] for
//! how the calls and the text make one plan); the terminal call runs the plan with
//! [`crate::exec`], the engine the command line runs, with the [`Options`] given here.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};

use crate::agg::{AggKind, AggValue};
use crate::error::{Error, InputName};
use crate::exec::{self, Emitted, RunFailure};
pub use crate::lang::Pipeline;
use crate::query::{Plan, Terminal};
use crate::results::{Collector, Report, Results};
use crate::sink::{Consumer, Flow, Sink, SinkError};
use crate::stage::parse::Record;

impl Pipeline {
    /// Sum the values (non-numbers such as `-` are skipped and counted).
    pub fn sum(self) -> Result<Report<AggValue>, Error> {
        self.aggregate_value(AggKind::Sum)
    }

    /// Count the values.
    pub fn count(self) -> Result<Report<AggValue>, Error> {
        self.aggregate_value(AggKind::Count)
    }

    /// The smallest value.
    pub fn min(self) -> Result<Report<AggValue>, Error> {
        self.aggregate_value(AggKind::Min)
    }

    /// The largest value.
    pub fn max(self) -> Result<Report<AggValue>, Error> {
        self.aggregate_value(AggKind::Max)
    }

    /// The mean of the values.
    pub fn avg(self) -> Result<Report<AggValue>, Error> {
        self.aggregate_value(AggKind::Avg)
    }

    /// Run with the seed's aggregate of the current value at the end (`... | sum`).
    pub fn aggregate_value(self, kind: AggKind) -> Result<Report<AggValue>, Error> {
        let p = self.stage(kind.name().to_string());
        let plan = p.plan().map_err(Error::Query)?;
        if !matches!(plan.terminal, Terminal::Aggregate(_)) {
            return Err(not_here(&plan, "a bare aggregate of the current value"));
        }
        let report = p.run_plan(&plan)?;
        Ok(report.map(|r| r.aggregate.unwrap_or(AggValue::Null)))
    }

    /// Run, and keep everything that comes out (values, the aggregate, records or table
    /// rows, `tee` branches) in [`Results`].
    pub fn run(self) -> Result<Report<Results>, Error> {
        let plan = self.plan().map_err(Error::Query)?;
        self.run_plan(&plan)
    }

    /// Run a pipeline that ends in records or a table, and give its rows.
    pub fn rows(self) -> Result<Report<Vec<Record<'static>>>, Error> {
        let plan = self.plan().map_err(Error::Query)?;
        if plan.terminal != Terminal::Rows {
            return Err(not_here(&plan, "records or a table"));
        }
        Ok(self.run_plan(&plan)?.map(|r| r.rows))
    }

    /// Run with results going to `sink` as they come, as [`Event`](exec::Event)s (values
    /// and records at once, tables at the end), as the command line does; the report holds
    /// what the sink gives when closed. Any sink of events fits: a printer, a
    /// [`sink::collect`](crate::sink::collect) of copies, a [`PlanSink`](crate::sink::PlanSink)'s
    /// output, a [`broadcast`](crate::sink::broadcast) or [`threaded`](crate::sink::threaded)
    /// one, `&mut` a sink kept by the caller. A sink that answers
    /// [`Flow::Stop`](crate::sink::Flow::Stop) ends the run as `head` does.
    pub fn run_into<S>(self, mut sink: S) -> Result<Report<S::Output>, Error>
    where
        S: for<'a> Sink<exec::Event<'a>>,
    {
        let plan = self.plan().map_err(Error::Query)?;
        let (summary, errors) = self.execute(&plan, &mut sink);
        let summary = summary.map_err(run_failure)?;
        let value = sink
            .close()
            .map_err(|e| run_failure(RunFailure::Output(exec::output_error(e))))?;
        Ok(Report::from_summary(value, errors, summary))
    }

    fn run_plan(self, plan: &Plan) -> Result<Report<Results>, Error> {
        let mut out = Collector::for_plan(plan);
        let (summary, errors) = self.execute(plan, &mut out);
        Ok(Report::from_summary(
            out.results,
            errors,
            summary.map_err(run_failure)?,
        ))
    }

    /// Run `plan` with the engine, results to `out`; the input problems met, in order.
    fn execute(
        self,
        plan: &Plan,
        out: &mut dyn exec::Events,
    ) -> (Result<exec::Summary, RunFailure>, Vec<Error>) {
        let mut errors = Vec::new();
        let summary = exec::run_with(
            plan,
            self.input,
            out,
            &mut |e| errors.push(e),
            &self.options,
        );
        (summary, errors)
    }

    /// Call `f(input, line_number, value)` for every value that comes out, until it
    /// returns `false`. Returns how many values `f` was given.
    pub fn for_each(
        self,
        mut f: impl FnMut(&InputName, u64, &[u8]) -> bool,
    ) -> Result<Report<u64>, Error> {
        let mut given = 0u64;
        let out = exec::values(|e: Emitted<'_>| {
            given += 1;
            Ok(if f(e.input, e.line, e.value) {
                Flow::Continue
            } else {
                Flow::Stop
            })
        });
        self.run_into(out).map(|r| r.map(|()| given))
    }

    /// Call `f(input, line_number, record)` for every record (or table row) that comes
    /// out, until it returns `false`; the record is borrowed from the line, not copied.
    /// Returns how many records `f` was given.
    pub fn for_each_record(
        self,
        f: impl FnMut(&InputName, u64, &Record<'_>) -> bool,
    ) -> Result<Report<u64>, Error> {
        let plan = self.plan().map_err(Error::Query)?;
        if plan.terminal != Terminal::Rows {
            return Err(not_here(&plan, "records or a table"));
        }
        let mut f = f;
        let mut given = 0u64;
        let each = OnRecord(|input: &InputName, line: u64, r: &Record<'_>| {
            given += 1;
            if f(input, line, r) {
                Flow::Continue
            } else {
                Flow::Stop
            }
        });
        let report = self.run_into(each)?;
        Ok(report.map(|()| given))
    }

    /// Collect every value that comes out (each line or field as owned bytes).
    pub fn collect(self) -> Result<Report<Vec<Vec<u8>>>, Error> {
        let mut values = Vec::new();
        let report = self.for_each(|_, _, v| {
            values.push(v.to_vec());
            true
        })?;
        Ok(report.map(|_| values))
    }

    /// The records (or table rows) as an iterator: the course's `for r in log:`. The run
    /// goes on a thread of its own, a few batches ahead of the caller (a bounded
    /// channel); an input problem comes as an `Err` item and the run goes on; dropping
    /// the iterator stops the run. The plan is parsed and checked before anything is read
    /// (an error then is returned here); one the engine refuses after that comes as an item.
    pub fn records(self) -> Result<Records, Error> {
        let plan = self.plan().map_err(Error::Query)?;
        if plan.terminal != Terminal::Rows {
            return Err(not_here(&plan, "records or a table"));
        }
        let (tx, rx) = mpsc::sync_channel::<Result<Record<'static>, Error>>(1024);
        let (files, mut options) = (self.input, self.options);
        // Dropping the iterator must stop a run that sends nothing for a long time (a
        // rare `where` over a big file, a quiet pipe): it raises this flag. A flag of the
        // caller's own is theirs to raise; then the thread is left to end by itself.
        let stop = match &options.cancel {
            Some(_) => None,
            None => {
                let flag = Arc::new(AtomicBool::new(false));
                options.cancel = Some(flag.clone());
                Some(flag)
            }
        };
        let worker = std::thread::Builder::new()
            .name("logrill-records".into())
            .spawn(move || {
                let errors = tx.clone();
                let mut out = OnRecord(|_: &InputName, _: u64, r: &Record<'_>| {
                    // The caller dropped the iterator: no more.
                    match tx.send(Ok(r.clone().into_owned())) {
                        Ok(()) => Flow::Continue,
                        Err(_) => Flow::Stop,
                    }
                });
                let failed = exec::run_with(
                    &plan,
                    files,
                    &mut out,
                    &mut |e| {
                        let _ = errors.send(Err(e));
                    },
                    &options,
                );
                // A plan the engine refused comes as the last item; a closed channel
                // (the caller stopped) is no error.
                if let Err(RunFailure::Plan(e)) = failed {
                    let _ = errors.send(Err(e));
                }
            })
            .map_err(|source| Error::Io {
                name: InputName::Stdin,
                source,
            })?;
        Ok(Records {
            rx: Some(rx),
            worker: Some(worker),
            stop,
        })
    }
}

/// The records of a pipeline, pulled one at a time (see [`Pipeline::records`]).
pub struct Records {
    rx: Option<mpsc::Receiver<Result<Record<'static>, Error>>>,
    worker: Option<std::thread::JoinHandle<()>>,
    /// Raised on drop (see [`Pipeline::records`]).
    stop: Option<Arc<AtomicBool>>,
}

impl Iterator for Records {
    type Item = Result<Record<'static>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.rx.as_ref()?.recv().ok()
    }
}

impl Drop for Records {
    /// Hang up and stop the run (it ends after the batch at hand), then wait for the
    /// thread; with the caller's own cancel flag, leave the thread to end by itself.
    fn drop(&mut self) {
        self.rx.take();
        let Some(stop) = &self.stop else { return };
        stop.store(true, Ordering::Relaxed);
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

/// A sink of events that hands each record (or table row) to a closure and passes over
/// the rest; the closure says whether it wants more.
struct OnRecord<F>(F);

impl<F> Consumer for OnRecord<F> {
    type Output = ();

    fn close(self) -> Result<(), SinkError> {
        Ok(())
    }
}

impl<'a, F> Sink<exec::Event<'a>> for OnRecord<F>
where
    F: FnMut(&InputName, u64, &Record<'_>) -> Flow,
{
    fn send(&mut self, e: exec::Event<'a>) -> Result<Flow, SinkError> {
        Ok(match e {
            exec::Event::Record {
                input,
                line,
                record,
            } => (self.0)(input, line, record),
            _ => Flow::Continue,
        })
    }
}

/// A terminal call that does not fit the plan's end.
fn not_here(plan: &Plan, wanted: &str) -> Error {
    Error::Query(crate::query::QueryError {
        text: plan.text.clone(),
        column: plan.text.chars().count().max(1),
        message: format!("this pipeline does not end in {wanted}: call `run()` for what it gives"),
    })
}

fn run_failure(e: RunFailure) -> Error {
    match e {
        RunFailure::Plan(e) => e,
        RunFailure::Output(source) => Error::Io {
            name: InputName::Stdin,
            source,
        },
    }
}
