//! `--output parquet|arrow FILE [--partition-by day|hour]`: the results of a batch run as
//! typed columns in a Parquet (zstd) or Arrow IPC file, for DuckDB, Spark, pandas and
//! friends. The writer and its typing rules are in [`writer`] (behind the cargo feature
//! `columnar`, or `full`; off by default).

#[cfg(feature = "columnar")]
pub mod writer;

use logrill::query::Plan;

use crate::args::Args;

/// Run `plan` in batch mode with its results written to the `--output` file. Returns the
/// exit status (as for printed output: 0, 1 when a filter let nothing through, 2 when an
/// input failed).
#[cfg(not(feature = "columnar"))]
pub fn run(_args: &Args, _plan: &Plan) -> anyhow::Result<u8> {
    anyhow::bail!(
        "--output: this logrill was built without the `columnar` feature \
         (build with `--features columnar`, or `--features full`)"
    )
}

/// Run `plan` in batch mode with its results written to the `--output` file. Returns the
/// exit status (as for printed output: 0, 1 when a filter let nothing through, 2 when an
/// input failed).
#[cfg(feature = "columnar")]
pub fn run(args: &Args, plan: &Plan) -> anyhow::Result<u8> {
    use logrill::exec::{self, RunFailure};
    use logrill::query::StageSpec;
    use writer::{ColumnarWriter, Format, Options, Partition};

    let [format, path] = args.output.as_slice() else {
        anyhow::bail!("--output takes a format and a file: --output parquet FILE");
    };
    let format = Format::parse(format).map_err(anyhow::Error::msg)?;
    let partition = args
        .partition_by
        .as_deref()
        .map(Partition::parse)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    if plan.stages.iter().any(|s| matches!(s, StageSpec::Tee(_))) {
        anyhow::bail!(
            "--output: `tee` results cannot be written as one table (run each branch on its own)"
        );
    }
    let gz_index = args.gz_index();
    let files = args.files_with_index(gz_index.clone())?;
    let walk = files.walk_report();
    let mut out = ColumnarWriter::new(Options {
        format,
        path: path.into(),
        partition,
        row_group_rows: args
            .row_group_rows
            .unwrap_or(writer::DEFAULT_ROW_GROUP_ROWS),
        max_open: writer::DEFAULT_MAX_OPEN,
    })?;
    let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register_conditional_shutdown(signal, 130, cancel.clone())?;
        signal_hook::flag::register(signal, cancel.clone())?;
    }
    let mut options = args.options();
    options.cancel = Some(cancel);
    let mut on_error = |e: logrill::Error| crate::diag::say(e);
    let summary = match exec::run_with(plan, files, &mut out, &mut on_error, &options) {
        Ok(summary) => summary,
        Err(RunFailure::Output(e)) => anyhow::bail!(crate::diag::about(path, e)),
        Err(e) => return Err(e.into()),
    };
    let written = out
        .finish()
        .map_err(|e| anyhow::anyhow!(crate::diag::about(path, e)))?;
    crate::report(args, &summary);
    crate::index::say_notices(gz_index.as_ref(), args.quiet);
    let nothing_read = walk.is_some_and(|w| crate::warn_empty_roots(&w));
    for (column, n) in &written.nulled {
        crate::diag::say(format_args!("{path}: column `{column}`: {} of another type than the column's (fixed by the first row group) written as null", logrill::plural(*n, "value", "values")));
    }
    for (field, n) in &written.dropped_fields {
        crate::diag::say(format_args!(
            "{path}: field `{field}` first appeared after the first row group: its {} dropped",
            logrill::plural(*n, "value was", "values were")
        ));
    }
    if !args.quiet {
        if written.files.is_empty() {
            crate::diag::say(format_args!("no records: {path} not written"));
        } else {
            crate::diag::say(format_args!(
                "wrote {} in {} to {} under {path}",
                logrill::plural(written.rows, "row", "rows"),
                logrill::plural(written.row_groups, "row group", "row groups"),
                logrill::plural(written.files.len(), "file", "files"),
            ));
        }
    }
    if summary.interrupted {
        crate::diag::say(format_args!(
            "interrupted: {path} holds a partial result (reading stopped early)"
        ));
        return Ok(130);
    }
    Ok(if summary.failed() {
        2
    } else if nothing_read || (plan.is_filter() && summary.values == 0) {
        1
    } else {
        0
    })
}
