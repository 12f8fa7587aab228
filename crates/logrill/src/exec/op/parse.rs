//! `parse`: turns a line into a [`Record`] that borrows it, or counts the line as one that
//! did not parse (with `--strict`, fails the input).

use crate::error::Error;
use crate::query::names::Unseen;
use crate::record::Record;
use crate::stage::parse::Parser;

use super::super::flow::RunError;
use super::super::stats::Ctx;

/// The parser of a `parse` step.
pub(crate) enum ParserSlot {
    Ready(Parser),
    /// `parse auto`: chosen from the first lines of the first input.
    Auto,
}

/// One `parse` step.
pub(crate) struct ParseOp {
    pub parser: ParserSlot,
    /// The record filled when the caller has none to lend, emptied for each line (its
    /// allocation kept).
    spare: Record<'static>,
    /// `--strict`: a line that does not parse fails the input; JSON and logfmt lines are
    /// then also checked byte by byte (see [`Parser::check_every_byte`]).
    pub strict: bool,
    /// The fields the stages after this one read, while records that name their own
    /// fields (JSON, logfmt) might still lack one (see [`Unseen`]); emptied once every
    /// one was seen, or when the parser turns out to have a fixed schema (checked before
    /// reading).
    watch: Vec<String>,
}

impl ParseOp {
    pub fn new(parser: ParserSlot, strict: bool, watch: Vec<String>) -> ParseOp {
        ParseOp {
            parser,
            spare: Record::new(),
            strict,
            watch,
        }
    }

    /// The record to fill when the caller lends none (give it back with
    /// [`ParseOp::give_back`]).
    #[inline]
    pub fn take_spare<'a>(&mut self) -> Record<'a> {
        std::mem::take(&mut self.spare).recycle()
    }

    #[inline]
    pub fn give_back(&mut self, rec: Record<'_>) {
        self.spare = rec.recycle();
    }

    /// Parse `value` into `rec`: `true` when it parsed (the record goes on), `false` when
    /// it did not (counted) or no parser was chosen yet.
    #[inline]
    pub fn parse<'a>(
        &mut self,
        ctx: &mut Ctx<'_>,
        value: &'a [u8],
        rec: &mut Record<'a>,
    ) -> Result<bool, RunError> {
        let ParserSlot::Ready(parser) = &mut self.parser else {
            return Ok(false);
        };
        // While names are watched for the "field never seen" report, records carry every
        // field (that report lists them), not only those the pipeline reads. Which lines
        // are accepted stays the projected parse's: a line the whole parse refuses is read
        // again as every later line will be (the fast path lets through what it does not
        // read, docs/formats.md), so that whether a line counts never depends on the lines
        // before it, nor on which worker read its file.
        let parsed = if self.watch.is_empty() {
            parser.parse(value, rec)
        } else {
            parser
                .parse_every_field(value, rec)
                .or_else(|_| parser.parse(value, rec))
        };
        match parsed {
            Ok(()) => {
                ctx.stats.failures.add_parsed();
                if !self.watch.is_empty() {
                    watch_names(&mut self.watch, &mut ctx.stats.unseen, rec);
                }
                Ok(true)
            }
            Err(failure) => {
                if self.strict {
                    return Err(RunError::Input(Error::Parse {
                        name: ctx.input.clone(),
                        line: ctx.line_no,
                        message: parser.describe(&failure.reason),
                    }));
                }
                ctx.stats
                    .failures
                    .add(failure, ctx.input, ctx.line_no, value);
                Ok(false)
            }
        }
    }
}

/// Note the field names of a record whose parser names them per record, until every
/// name in `watch` was seen.
#[cold]
fn watch_names(watch: &mut Vec<String>, unseen: &mut Unseen, rec: &Record<'_>) {
    if rec.schema().is_some() {
        // A fixed schema (`parse auto` chose one): its names were checked when chosen.
        watch.clear();
        return;
    }
    unseen.watch(watch);
    unseen.saw(rec);
    if !unseen.pending() {
        watch.clear();
    }
}
