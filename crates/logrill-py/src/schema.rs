//! The columns of a record pipeline as its plan fixes them, before anything is read: how
//! the Spark route types a DataFrame without sampling where the format names and types
//! its fields (Apache/nginx formats and presets, regexes, `select … as`).

use logrill::query::{Expr, StageSpec};
use logrill::record::FieldType;
use logrill::stage::parse::{ParseSpec, Parser};
use pyo3::prelude::*;

/// One column: its name and kind.
type Column = (String, &'static str);

/// The kind of a parser's field, finer than [`FieldType`]: numbers split into integers and
/// floats.
fn kind(t: FieldType, float: bool) -> &'static str {
    match t {
        FieldType::Number if float => "float",
        FieldType::Number => "int",
        FieldType::Text => "text",
        FieldType::Time => "time",
        FieldType::Any => "any",
    }
}

/// The fields `spec`'s parser gives every record, where known before reading.
fn parser_fields(spec: &ParseSpec) -> Option<Vec<Column>> {
    if matches!(spec, ParseSpec::Auto) {
        return None;
    }
    let parser = Parser::new(spec).ok()?;
    let names = parser.field_names()?;
    let types = parser.field_types()?;
    let floats = parser.float_fields()?;
    if types.len() != names.len() || floats.len() != names.len() {
        return None;
    }
    Some(
        names
            .iter()
            .zip(types.into_iter().zip(floats))
            .map(|(n, (t, f))| (n.clone(), kind(t, f)))
            .collect(),
    )
}

/// `[(name, kind)]` of the records the pipeline `text` gives, kind one of `int`, `float`,
/// `text`, `time` (an instant) or `any` (decided line by line); `None` where the fields are
/// not known before reading (JSON, logfmt, `parse auto`, a pipeline of lines, a gathering
/// pipeline).
#[pyfunction]
pub fn record_fields(text: &str) -> PyResult<Option<Vec<Column>>> {
    let plan = logrill::lang::query()
        .stage(text)
        .plan()
        .map_err(|e| crate::errors::query_error(&e))?;
    let mut known: Option<Vec<Column>> = None;
    for stage in &plan.stages {
        match stage {
            StageSpec::Parse(spec) => known = Some(parser_fields(spec).unwrap_or_default()),
            StageSpec::Where(_) | StageSpec::Sort(_) | StageSpec::Grep { .. } => {}
            StageSpec::Head(_) => {}
            StageSpec::Select(columns) => {
                let before = known.as_deref();
                known = Some(
                    columns
                        .iter()
                        .map(|c| {
                            let k = match &c.expr {
                                Expr::Field(r) => before
                                    .and_then(|b| b.iter().find(|(n, _)| *n == r.name))
                                    .map_or("any", |(_, k)| *k),
                                _ => "any",
                            };
                            (c.name.clone(), k)
                        })
                        .collect(),
                );
            }
            StageSpec::Field { .. } | StageSpec::Aggregate { .. } | StageSpec::Tee(_) => {
                return Ok(None)
            }
        }
        // A parser without fixed fields: unknown until a `select`.
        if known.as_ref().is_some_and(Vec::is_empty) {
            known = None;
        }
    }
    Ok(known)
}
