"""logrill's engine across a Spark cluster.

``logrill.spark.run(spark, pipeline, paths)`` spreads the inputs over Spark's executors and
runs logrill's engine there:

* a pipeline that gathers one answer (an aggregate, ``… by …``, ``distinct``, ``p99``,
  ``top``, ``sort``, a ``tee`` of them): each task runs its share of the files and sends
  back the *partial state* as bytes (``logrill::exec::PartialResult``, versioned, see
  docs/spark.md); the driver merges them in input order and finishes. The answer is a
  :class:`logrill.Result`, exactly what ``logrill.query(pipeline, paths).run()`` gives on
  one machine (exact integers, percentiles, distinct values, ``top`` ties);
* a pipeline of records (``parse …``, ``where``, ``select``): a Spark DataFrame with
  logrill's typed schema, made of the Arrow batches the executors' runs give
  (``mapInArrow``), for the user's own Spark SQL.

Where the inputs are read: paths without a scheme (or ``file:``) are opened by the
executors themselves (on a cluster they must be on a file system every executor sees: NFS,
a mounted bucket); other URIs (``hdfs://``, ``s3a://``, ``gs://`` …) are read by Spark
(``binaryFiles``, the Hadoop file systems) and handed to the engine as bytes. The unit of
work is one input; every task reads its inputs in the order logrill reads them locally.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any, Iterator, List, Optional, Sequence, Tuple, Union
from urllib.parse import urlparse

from . import InputErrors, LogrillError, Pipeline, Result, _native

__all__ = ["run", "mergeable"]

_OPTIONS = ("strict", "state_limit", "max_line_bytes")
# How the tasks of a gathering pipeline run: a JVM pipe to `python -m logrill._pipe`, or
# Spark's Python workers (see run()).
_ROUTES = ("pipe", "python")
# Records read on the driver's behalf to learn a record pipeline's column types.
_SCHEMA_SAMPLE = 2000
# No piece of a big file bigger than this (files are cut into one piece per task first).
_SPLIT = 1024 * 1024 * 1024
# The first bytes of the compressed formats logrill opens: such files are not cut.
_MAGIC = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd")


def _text_of(pipeline: Union[str, Pipeline]) -> str:
    text = pipeline.text if isinstance(pipeline, Pipeline) else str(pipeline)
    _native.check(text)
    return text


def mergeable(pipeline: Union[str, Pipeline]) -> bool:
    """Whether ``pipeline`` gathers one answer (then :func:`run` gives a
    :class:`logrill.Result`), rather than streaming records (then a DataFrame)."""
    return _native.mergeable(_text_of(pipeline))


def _is_local(uri: str) -> bool:
    scheme = urlparse(uri).scheme
    # A Windows drive letter parses as a one-letter scheme.
    return scheme in ("", "file") or len(scheme) == 1


def _local_path(uri: str) -> str:
    return urlparse(uri).path if uri.startswith("file:") else uri


def run(spark: Any, pipeline: Union[str, Pipeline], paths: Optional[Sequence[str]] = None, *,
        glob: Union[None, str, Sequence[str]] = None, partitions: Optional[int] = None,
        executors_open_paths: Optional[bool] = None, split_bytes: Optional[int] = _SPLIT,
        index_dir: Optional[str] = None, text: str = "str", route: str = "pipe",
        **options: Any) -> Any:
    """Run ``pipeline`` (text, or a :class:`logrill.Pipeline`) over ``paths`` with Spark.

    ``paths``: files or directories (searched for files matching ``glob``, as ``-g``), or
    URIs Spark can read; for a Pipeline made by ``logrill.query(text, paths)`` they may be
    left out. ``partitions``: how many tasks (default: Spark's default parallelism, at
    most one per piece). ``executors_open_paths=False``: local paths too are read by Spark
    (``file://`` on a cluster without a shared file system); URIs with a scheme always
    are (``glob`` applies to local directories; for URIs, put Hadoop's glob in the URI).
    For a gathering pipeline, big local files are cut so that each task gets about its
    share of the bytes: a plain file into byte ranges at line ends, a gzip file that has a
    logrill index (``logrill index FILE``, kept in ``index_dir``, default as for the
    command line) into runs of its chunks; no piece is bigger than ``split_bytes``
    (``None``: files are not cut).
    ``route`` (gathering pipelines over local paths): ``"pipe"`` (default) runs each
    task as a command of Spark's JVM, ``PYTHON -m logrill._pipe`` with PYTHON the
    executors' Python (``PYSPARK_PYTHON``, which spark-submit sets from
    ``spark.pyspark.python``), no Python worker;
    ``"python"`` runs them in Spark's Python workers (``mapPartitionsWithIndex``). The
    answers are the same; record pipelines and URIs read by Spark always use Python
    workers.
    ``options``: ``strict``, ``state_limit``, ``max_line_bytes`` as for a local run.

    Returns a :class:`logrill.Result` for a gathering pipeline (input problems in
    ``errors``, with path and line: ``.check()`` raises them), else a Spark DataFrame.
    """
    text_ = _text_of(pipeline)
    if paths is None:
        src = getattr(pipeline, "_source", None)
        if src is None or not hasattr(src, "roots"):
            raise LogrillError("no inputs: give paths, or a pipeline made with query(text, paths)")
        paths, globs = list(src.roots), list(src.globs)
    else:
        paths = [os.fsdecode(p) for p in paths]
        globs = [glob] if isinstance(glob, str) else list(glob or [])
    if isinstance(pipeline, Pipeline):
        options = {**{k: v for k, v in pipeline._options.items() if k in _OPTIONS}, **options}
        if text == "str":
            text = pipeline._options.get("text", "str")
    if route not in _ROUTES:
        raise ValueError(f"route must be one of {', '.join(map(repr, _ROUTES))}, not {route!r}")
    unknown = set(options) - set(_OPTIONS)
    if unknown:
        raise TypeError(f"unexpected run option(s) {sorted(unknown)} ({', '.join(_OPTIONS)})")

    local = [p for p in paths if _is_local(p)] if executors_open_paths is not False else []
    remote = [p for p in paths if p not in local]
    pieces, walk_errors = _pieces(local, globs)
    sc = spark.sparkContext
    if _native.mergeable(text_):
        # With `strict`, an error ends its file: ranges run apart could not stop the later
        # ranges of that file, so files are read whole.
        if split_bytes and not options.get("strict"):
            index_dir = os.fsdecode(index_dir) if index_dir is not None else None
            pieces = _cut(pieces, _slices(1 << 30, sc, partitions), split_bytes, index_dir)
        return _gather(sc, text_, pieces, remote, walk_errors, partitions, text, options,
                       route)
    if walk_errors:
        raise InputErrors(walk_errors, Result(
            {"aggregate": None, "values": [], "rows": [], "columns": [], "branches": []},
            {"errors": walk_errors, "skipped": 0, "unparsed": 0, "interrupted": False}))
    return _records(spark, text_, pieces, remote, partitions, options)


# ----- the unit of work ---------------------------------------------------------------

def _pieces(local: List[str], globs: List[str]) -> Tuple[List[Tuple[str, str]], list]:
    """The local inputs as work pieces ``("path", path)``, in logrill's reading order.

    A piece names one input; a big plain file is cut into ``("range", path, start, end)``
    pieces by :func:`_ranges` (gathering pipelines only)."""
    if not local:
        return [], []
    files, errors = _native.found([_local_path(p) for p in local], globs)
    return [("path", f) for f in files], list(errors)


def _is_gzip(head: bytes) -> bool:
    return head.startswith(b"\x1f\x8b")


def _cut(pieces: list, parts: int, split: Optional[int], index_dir: Optional[str]) -> list:
    """The pieces of a gathering pipeline's work, about ``parts`` of them of similar size
    (one per task: Spark starts each task, so fewer bigger pieces cost less than many small
    ones), never bigger than ``split`` bytes (``None``: files are not cut).

    * a plain file is cut into ``("range", path, start, end)`` pieces (lines that start in
      the range, see docs/spark.md);
    * a gzip file with a current logrill index (``logrill index FILE``) into
      ``("gzip", path, first, last, index_dir)`` pieces: runs of its chunks between seek
      points, each decoded where it is read; without an index it stays one piece;
    * any other input stays whole: ``("path", path)``."""
    if split is None or not pieces:
        return pieces
    sizes, heads = [], []
    for piece in pieces:
        try:
            sizes.append(os.path.getsize(piece[1]))
            with open(piece[1], "rb") as f:
                heads.append(f.read(6))
        except OSError:
            sizes.append(0)
            heads.append(b"")
    share = max(1, sum(sizes) // max(1, parts))
    out: list = []
    for piece, size, head in zip(pieces, sizes, heads):
        path = piece[1]
        # As many pieces as the file's share of the work (at least its size / split).
        want = min(parts, max(1, round(size / share))) if size else 1
        want = max(want, -(-size // split) if split > 0 else 1)
        if want <= 1 or size == 0:
            out.append(piece)
        elif not head.startswith(_MAGIC):
            bounds = [size * i // want for i in range(want + 1)]
            out.extend(("range", path, a, b) for a, b in zip(bounds, bounds[1:]))
        elif _is_gzip(head):
            try:
                chunks, dir_ = _native.gzip_chunks(path, index_dir)
            except LogrillError:
                chunks, dir_ = None, None
            if not chunks or chunks < 2:
                out.append(piece)
                continue
            want = min(want, chunks)
            bounds = [chunks * i // want for i in range(want + 1)]
            out.extend(("gzip", path, a, b, dir_) for a, b in zip(bounds, bounds[1:]) if b > a)
        else:
            out.append(piece)
    return out


def _slices(n: int, sc: Any, partitions: Optional[int]) -> int:
    want = partitions or sc.defaultParallelism
    return max(1, min(n, want))


# ----- gathering pipelines: partial states merged on the driver ------------------------

def _task(text_: str, options: dict):
    """The function a task of the Python-worker route runs over its slice of pieces:
    yields ``(index, n, partial bytes, errors, gzip checks or None)`` in piece order. Only
    ``logrill._native`` is imported on the executor (no pyarrow, no pandas)."""

    def task(index: int, it: Iterator[tuple]) -> Iterator[tuple]:
        from logrill import _pipe
        for part in _pipe.parts(list(it), text_, options):
            yield (index,) + part

    return task


def _slices_of(pieces: list, n: int) -> List[list]:
    """``pieces`` cut into ``n`` contiguous slices, as ``SparkContext.parallelize`` cuts a
    list (slice i from ``i * len // n``)."""
    k = len(pieces)
    return [pieces[i * k // n:(i + 1) * k // n] for i in range(n)]


def _piped_parts(sc: Any, text_: str, pieces: list, n: int, options: dict) -> list:
    """The parts of ``pieces`` in ``n`` tasks of a JVM ``PipedRDD`` whose command is
    ``logrill._pipe.command(PYTHON)`` (``PYTHON -S -c …``, the program of
    ``python -m logrill._pipe``), PYTHON the interpreter of Spark's Python workers
    (``PYSPARK_PYTHON``, which spark-submit sets from ``spark.pyspark.python``): no Python
    worker, no pickled function. ``(task, n, bytes, errors, checks)`` in task order."""
    from pyspark import RDD
    from pyspark.serializers import UTF8Deserializer
    from py4j.protocol import Py4JJavaError

    from . import _pipe

    lines = [_pipe.task_line(i, s, text_, options) for i, s in enumerate(_slices_of(pieces, n))]
    command = _pipe.command(sc.pythonExec)
    jrdd = sc._jsc.parallelize(lines, n).pipe(command)
    try:
        # Collected through Spark's socket (as textFile's lines are): no Python worker.
        out = RDD(jrdd, sc, UTF8Deserializer()).collect()
    except Py4JJavaError as e:
        raise LogrillError(
            f"logrill on a Spark executor: the command '{sc.pythonExec} -S -c …' "
            f"(logrill._pipe) failed (is this logrill installed for the executors' Python, "
            f"PYSPARK_PYTHON / "
            f"spark.pyspark.python? route='python' runs in Spark's Python workers instead): "
            f"{e.java_exception}") from e
    return sorted((_pipe.read_part(line) for line in out), key=lambda r: (r[0], r[1]))


def _gather(sc: Any, text_: str, pieces: list, remote: List[str], walk_errors: list,
            partitions: Optional[int], text_as: str, options: dict, route: str) -> Result:
    parts: List[bytes] = []
    errors = list(walk_errors)
    if pieces:
        n = _slices(len(pieces), sc, partitions)
        if route == "pipe":
            got = _piped_parts(sc, text_, pieces, n, options)
        else:
            got = sc.parallelize(pieces, n).mapPartitionsWithIndex(_task(text_, options)).collect()
        gz_checks: dict = {}
        for _, _, data, errs, checks in sorted(got, key=lambda r: (r[0], r[1])):
            parts.append(data)
            errors.extend(errs)
            if checks is not None:
                gz_checks.setdefault(checks[0], []).append(checks[1])
        # Every member's CRC-32 of a gzip file read in chunk runs, checked in file order.
        for path, checks in gz_checks.items():
            problem = _native.check_gzip(checks)
            if problem is not None:
                errors.append({"path": path, "line": None, "message": f"{path}: {problem}"})
    if remote:
        def task_bytes(item: tuple) -> tuple:
            from logrill import _native as native
            name, content = item
            data, errs = native.partial_of_bytes(name, bytes(content), text_, **options)
            return (name, data, list(errs))

        rdd = sc.binaryFiles(",".join(remote), minPartitions=partitions)
        # Remote inputs in name order (rotated copies are not recognised there).
        for name, data, errs in sorted(rdd.map(task_bytes).collect(), key=lambda r: r[0]):
            parts.append(data)
            errors.extend(errs)
    results, report = _native.finish(text_, parts, errors, text_as=text_as, **options)
    report["errors"] = _once_each_pipeline_error(report["errors"])
    return Result(results, report)


def _once_each_pipeline_error(errors: list) -> list:
    """``errors`` with each error of no input (the state over ``state_limit``, met by
    several parts and by their merge) kept once, as a local run reports it."""
    seen, out = set(), []
    for e in errors:
        if e.get("path") is None:
            if e.get("message") in seen:
                continue
            seen.add(e.get("message"))
        out.append(e)
    return out


# ----- record pipelines: a DataFrame of Arrow batches ---------------------------------

def _table_of(paths: List[str], text_: str, options: dict):
    """The records of ``paths`` as a pyarrow Table; an input problem is raised with its
    path and line (Spark fails the task, and the job, with this message)."""
    import pyarrow as pa

    table, report = _native.run_arrow(paths, [], text_, threads=1, **options)
    if report["errors"]:
        e = report["errors"][0]
        where = e["path"] or "input"
        if e["line"] is not None:
            where += f":{e['line']}"
        raise LogrillError(f"logrill on a Spark executor: {where}: {e['message']}")
    return pa.table(table)


def _with_bytes(name: str, content: bytes, fn):
    """Run ``fn(path)`` on ``content`` saved to a temporary file (named like ``name``)."""
    base = os.path.basename(urlparse(name).path) or "input"
    with tempfile.TemporaryDirectory(prefix="logrill-spark-") as d:
        p = os.path.join(d, base)
        with open(p, "wb") as f:
            f.write(content)
        return fn(p)


def _first_value(column) -> int:
    """The position of the first non-null value of ``column`` (-1 if none)."""
    for i, v in enumerate(column.is_null().to_pylist()):
        if not v:
            return i
    return -1


def _conform(table, schema, where: str, sampled_from: str):
    """``table`` (the records of ``where``) with exactly the columns of ``schema``, in
    order and of its types (a column the input lacks is all null).

    Nothing is dropped silently: a field the schema lacks (it was not in the sample), or
    a value of another type than its column's, is a :class:`LogrillError` naming the
    input and the record (its position among the input's records), except for the
    widenings that lose nothing: integers into a ``double`` column, any value into a
    ``string`` column (as text, the rule of logrill's own Arrow output for mixed
    columns), a column of only nulls into any type."""
    import pyarrow as pa

    def fail(name: str, column, why: str):
        at = _first_value(column)
        raise LogrillError(
            f"logrill on a Spark executor: {where}: record {at + 1}: field {name!r} {why} "
            f"(the DataFrame's schema was taken from {sampled_from}; select the fields "
            f"you need)")

    for name in table.column_names:
        if schema.get_field_index(name) < 0 and _first_value(table.column(name)) >= 0:
            fail(name, table.column(name), "is not in the schema")
    cols = []
    for field in schema:
        if field.name not in table.column_names:
            cols.append(pa.nulls(len(table), field.type))
            continue
        c = table.column(field.name)
        if c.type != field.type:
            if pa.types.is_null(c.type) or _first_value(c) < 0:
                c = pa.nulls(len(table), field.type)
            elif pa.types.is_string(field.type) or (
                    pa.types.is_floating(field.type) and pa.types.is_integer(c.type)):
                c = c.cast(field.type)
            elif pa.types.is_timestamp(field.type) and pa.types.is_timestamp(c.type):
                c = c.cast(field.type)
            else:
                fail(field.name, c, f"is {c.type}, its column {field.type}")
        cols.append(c)
    return pa.Table.from_arrays(cols, schema=schema)


def _records(spark: Any, text_: str, pieces: list, remote: List[str],
             partitions: Optional[int], options: dict):
    import pyarrow as pa
    from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema

    sc = spark.sparkContext
    sample_text = f"{text_} | head {_SCHEMA_SAMPLE}"
    work = [("path", p[1]) for p in pieces] + [("uri", u) for u in remote]
    if not work:
        raise LogrillError("no inputs found")

    # The columns and their types: from the plan where the format fixes them (no line
    # read); else, or for fields typed line by line, from the first records of the first
    # input (read by an executor, which sees the files the way the tasks will).
    planned = _native.record_fields(text_)
    by_kind = {"int": pa.int64(), "float": pa.float64(), "text": pa.string(),
               "time": pa.timestamp("us", tz="UTC")}

    def sample(item: tuple) -> bytes:
        kind, where, content = item
        if kind == "path":
            t = _table_of([where], sample_text, options)
        else:
            t = _with_bytes(where, content, lambda p: _table_of([p], sample_text, options))
        return t.schema.serialize().to_pybytes()

    if planned is not None and all(k in by_kind for _, k in planned):
        sampled_from = "the pipeline's format"
        fields = [pa.field(n, by_kind[k]) for n, k in planned]
    else:
        if work[0][0] == "uri":
            name, content = sc.binaryFiles(work[0][1]).first()
            first = ("uri", name, bytes(content))
        else:
            first = ("path", work[0][1], None)
        sampled_from = f"the first {_SCHEMA_SAMPLE} records of {first[1]}"
        schema_bytes = sc.parallelize([first], 1).map(sample).first()
        arrow_schema = pa.ipc.read_schema(pa.py_buffer(schema_bytes))
        seen = {f.name: (pa.string() if pa.types.is_null(f.type) else f.type)
                for f in arrow_schema}
        if planned is not None:
            # Names fixed by the plan; the kinds it leaves open from the sample.
            fields = [pa.field(n, by_kind.get(k) or seen.get(n, pa.string()))
                      for n, k in planned]
        else:
            fields = [pa.field(n, t) for n, t in seen.items()]
    spark_schema = from_arrow_schema(pa.schema(fields))
    # Spark's own idea of the Arrow types (timestamps in UTC, …): batches are cast to it.
    try:
        target = to_arrow_schema(spark_schema, timezone="UTC")
    except TypeError:  # pyspark before 4.0 has no timezone argument
        target = to_arrow_schema(spark_schema)

    def batches(tables: Iterator[Any]) -> Iterator[Any]:
        for t in tables:
            for row in t.to_pylist():
                if row["kind"] == "path":
                    got = _table_of([row["path"]], text_, options)
                else:
                    got = _with_bytes(row["path"], row["content"],
                                      lambda p: _table_of([p], text_, options))
                yield from _conform(got, target, row["path"], sampled_from).to_batches()

    rows: List[tuple] = [("path", p, None) for kind, p in work if kind == "path"]
    df_parts = []
    if rows:
        n = _slices(len(rows), sc, partitions)
        df_parts.append(spark.createDataFrame(
            sc.parallelize(rows, n), "kind string, path string, content binary"))
    if remote:
        bf = sc.binaryFiles(",".join(remote), minPartitions=partitions)
        df_parts.append(spark.createDataFrame(
            bf.map(lambda kv: ("uri", kv[0], bytes(kv[1]))),
            "kind string, path string, content binary"))
    df = df_parts[0]
    for more in df_parts[1:]:
        df = df.unionAll(more)
    return df.mapInArrow(batches, spark_schema)
