"""logrill: David Beazley's generator pipelines over logs, run by logrill's Rust engine.

The seed's pipeline, stage for stage::

    import logrill
    total = (logrill.find("www")          # gen_find
             .glob("access-log*")
             .open()                      # gen_open: plain, gz, bz2, xz, zst
             .lines()                     # gen_cat
             .grep(r"robots.txt")         # gen_grep
             .field(-1)                   # line.rsplit(None, 1)[1]
             .sum())                      # sum(int(x) for x if x != '-')

Every stage of logrill's pipeline language is a method here, typed; ``query(text,
paths)`` takes the pipeline as text. Each method writes one stage of that text and the
engine's own parser compiles it (as the Rust builder does), so a Python chain, a Rust
chain and the command line make the same plan and give the same answers.

Pipelines are lazy: nothing is read until a result is asked for or the pipeline is
iterated (``for line in ...lines().grep("x")`` yields lines, after ``parse`` dicts), and
the engine runs with the GIL released, a few batches ahead of the loop.

Input problems (a file that cannot be opened, a corrupt ``.gz``) never stop the run: the
other files are read, and at the end :class:`InputErrors` is raised with every problem
(file, line, message) and the result of everything that could be read (``.partial``).
``run()`` returns a :class:`Result` with ``errors`` instead of raising.
"""

from __future__ import annotations

import itertools
import os
from typing import Any, Callable, Iterable, Iterator, Optional, Sequence, Union

from . import _native
from ._native import LogrillError, QueryError

__all__ = [
    "Agg", "Find", "Follow", "InputErrors", "LogrillError", "Pipeline", "QueryError",
    "Result", "Sink", "Term", "agg", "broadcast", "col", "files", "find", "follow", "lines",
    "lit", "query",
]

PathLike = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]


class InputErrors(LogrillError):
    """Some inputs could not be read (all the others were). ``errors``: a list of dicts
    with ``path``, ``line`` (where there is one) and ``message``; ``partial``: the
    :class:`Result` of everything that was read."""

    def __init__(self, errors: list, partial: "Result"):
        self.errors = errors
        self.partial = partial
        first = errors[0]["message"] if errors else ""
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"{first}{more}")


# ----- expressions ---------------------------------------------------------------------

def _binary(op: str) -> Callable[["Term", Any], "Term"]:
    def method(self: Term, other: Any) -> Term:
        return self._bin(op, other)

    method.__doc__ = f"``self {op} other``"
    return method


def _function(name: str) -> Callable[["Term"], "Term"]:
    def method(self: Term) -> Term:
        return Term(f"{name}({self.text})")

    method.__doc__ = f"``{name}(self)``"
    return method


class Term:
    """An expression of the pipeline language (what ``where`` tests, ``select``
    computes, ``by`` groups on, ``sort`` orders by). Python operators build it:
    ``(col("status") >= 400) & (col("method") == "GET")``."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return f"Term({self.text!r})"

    def _bin(self, op: str, other: Any) -> "Term":
        return Term(f"({self.text} {op} {_lit(other)})")

    __eq__ = _binary("==")  # type: ignore[assignment]
    __ne__ = _binary("!=")  # type: ignore[assignment]
    __lt__ = _binary("<")
    __le__ = _binary("<=")
    __gt__ = _binary(">")
    __ge__ = _binary(">=")
    __and__ = _binary("and")
    __or__ = _binary("or")
    __add__ = _binary("+")
    __sub__ = _binary("-")
    __mul__ = _binary("*")
    __truediv__ = _binary("/")
    __mod__ = _binary("%")
    __hash__ = None  # type: ignore[assignment]
    lower = _function("lower")
    upper = _function("upper")
    length = _function("length")
    minute = _function("minute")
    hour = _function("hour")
    day = _function("day")

    def matches(self, regex: str) -> "Term":
        return Term(f"({self.text} ~ {_native.quote(regex)})")

    def not_matches(self, regex: str) -> "Term":
        return Term(f"({self.text} !~ {_native.quote(regex)})")

    def isin(self, values: Iterable[Any]) -> "Term":
        return Term(f"({self.text} in ({', '.join(_lit(v) for v in values)}))")

    def is_null(self) -> "Term":
        return Term(f"({self.text} is null)")

    def is_not_null(self) -> "Term":
        return Term(f"({self.text} is not null)")

    def bucket(self, duration: str) -> "Term":
        """Round a time down to ``duration`` (``"5m"``, ``"1h"``)."""
        return Term(f"bucket({self.text}, {duration})")

    def alias(self, name: str) -> "_Column":
        """This expression as a column called ``name`` (``select``, ``by``)."""
        return _Column(f"{self.text} as {_native.field_name(name)}")

    def asc(self) -> "_Key":
        return _Key(f"{self.text} asc")

    def desc(self) -> "_Key":
        return _Key(f"{self.text} desc")


class _Column:
    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


class _Key:
    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


def col(name: str) -> Term:
    """The field ``name`` of a record."""
    return Term(_native.field_name(name))


def lit(value: Any) -> Term:
    """A literal: a number, a string, a bool."""
    return Term(_lit(value))


def _lit(v: Any) -> str:
    if isinstance(v, Term):
        return v.text
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        # A negative number is `-` applied to a number in the grammar.
        return f"({v})" if v < 0 else str(v)
    if isinstance(v, float):
        return f"({v!r})" if v < 0 else repr(v)
    if isinstance(v, str):
        return _native.quote(v)
    raise TypeError(f"no literal of the pipeline language for {type(v).__name__}")


def _column(c: Union[str, Term, _Column]) -> str:
    if isinstance(c, str):
        return _native.field_name(c)
    return c.text


def _key(k: Union[str, Term, _Key]) -> str:
    if isinstance(k, str):
        return _native.field_name(k)
    return k.text


def _arg(a: Union[str, Term]) -> str:
    return _native.field_name(a) if isinstance(a, str) else a.text


def _aggregate(name: str) -> Callable[[Union[str, "Term"]], "Agg"]:
    def make(x: Union[str, Term]) -> Agg:
        return Agg(f"{name} {_arg(x)}")

    make.__doc__ = f"``{name} x``"
    return staticmethod(make)  # type: ignore[return-value]


class Agg:
    """An aggregate (``agg.sum("bytes")``); ``.alias(name)`` names its column."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return f"Agg({self.text!r})"

    def alias(self, name: str) -> "Agg":
        return Agg(f"{self.text} as {_native.field_name(name)}")


class agg:  # noqa: N801 - a namespace, read as `agg.sum("bytes")`
    """The aggregates of the pipeline language: exact integers, mergeable."""

    @staticmethod
    def count() -> Agg:
        return Agg("count")

    sum = _aggregate("sum")
    min = _aggregate("min")
    max = _aggregate("max")
    avg = _aggregate("avg")
    distinct = _aggregate("distinct")
    count_distinct = _aggregate("count_distinct")
    p50 = _aggregate("p50")
    p90 = _aggregate("p90")
    p95 = _aggregate("p95")
    p99 = _aggregate("p99")
    first = _aggregate("first")
    last = _aggregate("last")

    @staticmethod
    def percentile(x: Union[str, Term], q: float) -> Agg:
        return Agg(f"percentile({_arg(x)}, {float(q)!r})")

    @staticmethod
    def top(n: int, x: Union[str, Term]) -> Agg:
        return Agg(f"top {int(n)} {_arg(x)}")



# ----- results -------------------------------------------------------------------------

class Result:
    """Everything a run gave: ``value`` (the seed's aggregate, ``sum``), ``values``
    (lines or fields), ``rows`` (records or table rows, dicts) with ``columns``,
    ``branches`` (one Result per ``tee`` branch), and the report: ``errors``,
    ``skipped`` (values no stage could use, such as ``-`` byte counts), ``unparsed``,
    ``interrupted``."""

    def __init__(self, results: dict, report: dict):
        self.value = results["aggregate"]
        self.values = results["values"]
        self.rows = results["rows"]
        self.columns = results["columns"] or _columns_of(self.rows)
        self.branches = [Result(b, {**report, "errors": []}) for b in results["branches"]]
        self.errors = report["errors"]
        self.skipped = report["skipped"]
        self.unparsed = report["unparsed"]
        self.interrupted = report["interrupted"]

    def __repr__(self) -> str:
        what = (f"value={self.value!r}" if self.value is not None
                else f"{len(self.rows)} rows" if self.rows else f"{len(self.values)} values")
        return f"<logrill.Result {what}, {len(self.errors)} errors>"

    def check(self) -> "Result":
        """Raise :class:`InputErrors` if any input could not be read; else self."""
        if self.errors:
            raise InputErrors(self.errors, self)
        return self

    def to_arrow(self):
        """The rows as a ``pyarrow.Table`` (columns in order)."""
        import pyarrow as pa

        names = self.columns
        return pa.table({n: [r.get(n) for r in self.rows] for n in names})

    def to_pandas(self):
        """The rows as a pandas DataFrame (through Arrow)."""
        return self.to_arrow().to_pandas()


def _columns_of(rows: list) -> list:
    names: dict = {}
    for r in rows:
        for k in r:
            names.setdefault(k, None)
    return list(names)


# ----- pipelines -----------------------------------------------------------------------

_OPTIONS = ("threads", "strict", "state_limit", "max_line_bytes")


class Pipeline:
    """A pipeline of stages over inputs (files found by :func:`find`, the files named,
    a Python iterable of lines), or over none (:func:`query`: a sink, a ``tee`` branch).
    Every method returns a new pipeline; nothing runs until a result is asked for."""

    __slots__ = ("_stages", "_source", "_options")

    def __init__(self, source: Any = None, stages: Sequence[str] = (), options: Optional[dict] = None):
        self._source = source
        self._stages = tuple(stages)
        self._options = dict(options or {})

    # -- building

    def stage(self, text: str) -> "Pipeline":
        """Append stages written in the pipeline language (``"parse combined | ..."``)."""
        _native.check(" | ".join(self._stages + (text,)))
        return Pipeline(self._source, self._stages + (text,), self._options)

    def _with(self, text: str) -> "Pipeline":
        return Pipeline(self._source, self._stages + (text,), self._options)

    @property
    def text(self) -> str:
        """The pipeline in the pipeline language (what ``logrill`` on the command line takes)."""
        return " | ".join(self._stages)

    def options(self, *, threads: Optional[int] = None, strict: Optional[bool] = None,
                state_limit: Optional[int] = None, max_line_bytes: Optional[int] = None,
                text: Optional[str] = None) -> "Pipeline":
        """Run options: ``threads`` (files read in parallel), ``strict`` (the first line
        ``parse`` cannot read is an error), ``state_limit`` (most groups or kept values),
        ``max_line_bytes``, ``text`` (``"str"``, the default, or ``"bytes"``)."""
        o = dict(self._options)
        for k, v in (("threads", threads), ("strict", strict), ("state_limit", state_limit),
                     ("max_line_bytes", max_line_bytes), ("text", text)):
            if v is not None:
                o[k] = v
        return Pipeline(self._source, self._stages, o)

    def grep(self, pattern: str, *, ignore_case: bool = False, invert: bool = False,
             fixed: bool = False) -> "Pipeline":
        """Keep the values matching the regular expression ``pattern`` (``fixed``: a
        plain string; ``invert``: those that do not match)."""
        flags = "".join(f for on, f in ((ignore_case, "-i "), (invert, "-v "), (fixed, "-F ")) if on)
        return self._with(f"grep {flags}{_native.quote(pattern)}")

    def field(self, index: int, *, delimiter: Optional[str] = None) -> "Pipeline":
        """Field ``index`` (1-based; negative counts from the end) of each value, split
        on runs of blanks, or on ``delimiter``."""
        if delimiter is None:
            return self._with(f"field {int(index)}")
        return self._with(f"field -d {_native.quote(delimiter)} {int(index)}")

    def head(self, n: int) -> "Pipeline":
        """The first ``n`` values (or records); reading stops there."""
        return self._with(f"head {int(n)}")

    def parse(self, format: str = "auto", *, apache: Optional[str] = None,
              nginx: Optional[str] = None, regex: Optional[str] = None) -> "Pipeline":
        """Lines as records: a preset (``"combined"``, ``"common"``, ``"vhost_combined"``,
        ``"nginx"``), ``"json"``, ``"logfmt"``, ``"auto"``, or a format string:
        ``apache="%h %l %u %t ..."``, ``nginx="$remote_addr ..."``, ``regex=r"(?P<x>..)"``."""
        if apache is not None:
            return self._with(f"parse apache {_native.quote(apache)}")
        if nginx is not None:
            return self._with(f"parse nginx {_native.quote(nginx)}")
        if regex is not None:
            return self._with(f"parse regex {_native.quote(regex)}")
        return self._with(f"parse {format}")

    def where(self, condition: Term) -> "Pipeline":
        """Keep the records for which ``condition`` holds."""
        return self._with(f"where {condition.text}")

    filter = where

    def select(self, *columns: Union[str, Term, _Column]) -> "Pipeline":
        """Keep (or compute) these columns."""
        return self._with("select " + ", ".join(_column(c) for c in columns))

    def sort(self, *keys: Union[str, Term, _Key]) -> "Pipeline":
        """Order records or table rows (``col("count").desc()``)."""
        return self._with("sort " + ", ".join(_key(k) for k in keys))

    def aggregate(self, *aggs: Agg, by: Union[None, str, Term, _Column,
                                              Sequence[Union[str, Term, _Column]]] = None) -> "Pipeline":
        """Aggregates of records, overall or ``by`` groups: a table."""
        text = ", ".join(a.text for a in aggs)
        if by is not None:
            keys = [by] if isinstance(by, (str, Term, _Column)) else list(by)
            text += " by " + ", ".join(_column(k) for k in keys)
        return self._with(text)

    def count_by(self, key: Union[str, Term, _Column]) -> "Pipeline":
        """How many records per value of ``key``."""
        return self.aggregate(agg.count(), by=key)

    def tee(self, *branches: "Pipeline") -> "Pipeline":
        """Run several pipelines (built with :func:`query`) over the same records:
        the course's ``broadcast``, one pass over the files."""
        return self._with("tee " + " ".join(f"({b.text})" for b in branches))

    # -- running

    def _kwargs(self) -> dict:
        kw = {k: self._options[k] for k in _OPTIONS if k in self._options}
        kw["text_as"] = self._options.get("text", "str")
        return kw

    def run(self) -> Result:
        """Run to the end: a :class:`Result` (input problems in ``errors``, not raised)."""
        src = self._source
        if src is None:
            raise LogrillError("this pipeline has no inputs: give it some with "
                               "lines(iterable), or use it as a sink()")
        if isinstance(src, _Iterable):
            s = self.sink()
            s.send_all(src.lines)
            return s.close()
        results, report = _native.run(src.roots, src.globs, self.text, **self._kwargs())
        return Result(results, report)

    def _value(self, final: str) -> Any:
        r = self._with(final).run().check()
        # After `parse`, a lone aggregate is a one-row table: its one value.
        if r.value is None and len(r.rows) == 1 and len(r.rows[0]) == 1:
            return next(iter(r.rows[0].values()))
        return r.value

    def sum(self) -> Any:
        """The sum of the values (``-`` and other non-numbers skipped and counted)."""
        return self._value("sum")

    def count(self) -> int:
        """How many values (or records)."""
        return self._value("count")

    def min(self) -> Any:
        return self._value("min")

    def max(self) -> Any:
        return self._value("max")

    def avg(self) -> Any:
        return self._value("avg")

    def rows(self) -> list:
        """The records or table rows, as dicts (raises :class:`InputErrors`)."""
        return self.run().check().rows

    def collect(self) -> list:
        """Every value or record that comes out, as a list."""
        r = self.run().check()
        return r.rows if r.rows else r.values

    def to_arrow(self):
        """The records or table rows as a ``pyarrow.Table``, built in Rust and handed over
        through the Arrow C stream interface (no Python object per value). Column types:
        integers ``int64``, floats ``double``, times ``timestamp[us, tz=+00:00]``, strings
        ``string`` (``binary`` if some are not UTF-8), a mix ``string`` (again ``binary`` if
        some string is not UTF-8)."""
        import pyarrow as pa

        src = self._source
        if src is None or isinstance(src, _Iterable):
            return self.run().check().to_arrow()
        kw = self._kwargs()
        kw.pop("text_as", None)
        table, report = _native.run_arrow(src.roots, src.globs, self.text, **kw)
        if report["errors"]:
            raise InputErrors(report["errors"], Result(
                {"aggregate": None, "values": [], "rows": [], "columns": [], "branches": []}, report))
        return pa.table(table)

    def to_pandas(self):
        return self.run().check().to_pandas()

    def __iter__(self) -> Iterator[Any]:
        """Lazily: lines or fields (``str``, or ``bytes`` with ``options(text="bytes")``),
        or dicts after ``parse``. Raises :class:`InputErrors` after the last one if some
        input could not be read."""
        src = self._source
        if src is None or isinstance(src, _Iterable):
            return iter(self.collect())
        batches = _native.Batches(src.roots, src.globs, self.text, **self._kwargs())
        return itertools.chain.from_iterable(_Checked(batches))

    def sink(self) -> "Sink":
        """This pipeline as a sink to ``send`` lines into (the push side)."""
        kw = {k: self._options[k] for k in ("strict", "state_limit") if k in self._options}
        return Sink(_native.Sink(self.text, text_as=self._options.get("text", "str"), **kw))


class _Checked:
    """The engine's batches, then :class:`InputErrors` if some input failed."""

    __slots__ = ("_b",)

    def __init__(self, batches):
        self._b = batches

    def __iter__(self):
        return self

    def __next__(self):
        try:
            return next(self._b)
        except StopIteration:
            report = self._b.report()
            if report is not None and report["errors"]:
                partial = Result({"aggregate": report["aggregate"], "values": [], "rows": [],
                                  "columns": report["columns"], "branches": []}, report)
                raise InputErrors(report["errors"], partial) from None
            raise

    def __del__(self):
        try:
            self._b.close()
        except Exception:
            pass


class Sink:
    """A pipeline that lines are pushed into (the course's coroutine): ``send(line)``
    (returns False once no more are wanted), ``send_all(iterable)``, ``snapshot()``,
    ``close()`` → :class:`Result`."""

    def __init__(self, native):
        self._s = native

    def send(self, line: Union[str, bytes]) -> bool:
        return self._s.send(line)

    def send_all(self, lines: Iterable[Union[str, bytes]]) -> bool:
        return self._s.send_all(lines)

    def input(self, name: str) -> None:
        """Name the input the next lines come from (errors name it; lines count from 1)."""
        self._s.input(name)

    def snapshot(self) -> Result:
        return Result(self._s.snapshot(), {"errors": [], "skipped": 0, "unparsed": 0,
                                            "interrupted": False})

    def close(self) -> Result:
        results, report = self._s.close()
        return Result(results, report)

    def __enter__(self) -> "Sink":
        return self

    def __exit__(self, *exc) -> None:
        try:
            self._s.close()
        except LogrillError:
            pass


def broadcast(*targets: Any) -> "_Broadcast":
    """Send each line to every target (sinks, or the course's coroutines with ``send``);
    ``close()`` closes them all and returns their results in order."""
    return _Broadcast(targets)


class _Broadcast:
    def __init__(self, targets):
        self.targets = list(targets)

    def send(self, line: Union[str, bytes]) -> bool:
        more = False
        for t in self.targets:
            r = t.send(line)
            more = more or (r is not False)
        return more

    def close(self) -> list:
        return [t.close() for t in self.targets]


# ----- inputs --------------------------------------------------------------------------

class _Files:
    __slots__ = ("roots", "globs")

    def __init__(self, roots: Sequence[str], globs: Sequence[str]):
        self.roots = list(roots)
        self.globs = list(globs)


class _Iterable:
    __slots__ = ("lines",)

    def __init__(self, lines: Iterable[Union[str, bytes]]):
        self.lines = lines


class Find:
    """Files under directory trees (``gen_find``): ``.glob(pattern)`` keeps them by name,
    ``.open()`` reads them whatever their compression."""

    def __init__(self, roots: Sequence[str], globs: Sequence[str] = ()):
        self.roots = [os.fsdecode(r) for r in roots]
        self.globs = list(globs)

    def glob(self, *patterns: str) -> "Find":
        return Find(self.roots, self.globs + list(patterns))

    def open(self) -> "Opened":
        return Opened(_Files(self.roots, self.globs))


class Opened:
    """Opened files (``gen_open``); ``.lines()`` is the start of a pipeline (``gen_cat``)."""

    def __init__(self, files: _Files):
        self._files = files

    def lines(self) -> Pipeline:
        return Pipeline(self._files)


def find(*roots: PathLike) -> Find:
    """Walk directory trees (``gen_find``); a root that is a file is taken as it is."""
    return Find([os.fsdecode(r) for r in roots] or ["."])


def files(*paths: PathLike) -> Opened:
    """These files (or trees), opened."""
    return Opened(_Files([os.fsdecode(p) for p in paths], []))


def lines(source: Iterable[Union[str, bytes]]) -> Pipeline:
    """A pipeline over a Python iterable of lines (a file, a generator of yours)."""
    return Pipeline(_Iterable(source))


def query(text: str = "", paths: Optional[Sequence[PathLike]] = None, *,
          glob: Union[None, str, Sequence[str]] = None, **options: Any) -> Pipeline:
    """The pipeline ``text`` (the command line's language), over ``paths`` if given (files,
    or trees whose files match ``glob``, as ``-g``), else without inputs (a sink, a ``tee``
    branch). Checked at once: a wrong pipeline raises :class:`QueryError` with the column."""
    globs = [glob] if isinstance(glob, str) else list(glob or [])
    source = _Files([os.fsdecode(p) for p in paths], globs) if paths is not None else None
    p = Pipeline(source, (), {})
    if text.strip():
        p = p.stage(text)
    return p.options(**options) if options else p


# ----- follow --------------------------------------------------------------------------

class Follow:
    """Lines of live files, ``tail -F`` through rotation and truncation, as a generator.
    ``close()`` (or leaving a ``with`` block, or the garbage collector) closes the files
    and writes the checkpoint (``state=``), as the seed's ``GeneratorExit`` clean-up."""

    def __init__(self, native):
        self._f = native

    def __iter__(self) -> "Follow":
        return self

    def __next__(self) -> Any:
        return next(self._f)

    def notices(self) -> list:
        """What happened to the files (rotated, truncated, lines lost), as text."""
        return self._f.notices()

    def close(self) -> Optional[str]:
        return self._f.close()

    def __enter__(self) -> "Follow":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def follow(*paths: PathLike, state: Optional[PathLike] = None, from_start: bool = False,
           last: Optional[int] = None, exit_on_idle: Optional[float] = None,
           text: str = "str") -> Follow:
    """Follow files by name (``tail -F``). ``state``: a checkpoint file (a restart goes
    on where the last run stopped, through rotations in between); ``from_start``: read
    what is there first; ``last``: the last N lines first; ``exit_on_idle``: stop after
    that many seconds without a new line."""
    native = _native.Follower([os.fsdecode(p) for p in paths],
                              state=os.fsdecode(state) if state is not None else None,
                              from_start=from_start, last=last, exit_on_idle=exit_on_idle,
                              text_as=text)
    return Follow(native)
