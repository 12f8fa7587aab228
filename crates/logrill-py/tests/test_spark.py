"""logrill.spark on a local Spark (local[2], pyspark from PyPI, Java 17): its answers are
the command line's (and the generator's ground truth) on the sample logs and on a
generated tree of gzip and bzip2 files.

Few and small on purpose: one Spark session for the module, a 1 MB generated tree."""

import json
import os
import shutil
import subprocess

import pytest

from conftest import ROOT

pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed (pip install pyspark)")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("no Java runtime for Spark (apt-get install default-jre-headless)",
                allow_module_level=True)

import logrill  # noqa: E402
import logrill.spark  # noqa: E402


@pytest.fixture(scope="module")
def spark():
    import sys

    from pyspark.sql import SparkSession

    # The workers run this interpreter (with this logrill), not whatever `python3` is.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    s = (SparkSession.builder.master("local[2]").appName("logrill-tests")
         .config("spark.ui.enabled", "false")
         .config("spark.sql.shuffle.partitions", "2")
         .config("spark.sql.execution.arrow.pyspark.enabled", "true")
         .getOrCreate())
    yield s
    s.stop()


@pytest.fixture(scope="module")
def gen_tree(tmp_path_factory):
    """A generated tree of gzip and bzip2 access logs (combined format) and its truth."""
    out = tmp_path_factory.mktemp("tree")
    truth = subprocess.run(
        ["cargo", "run", "-q", "-p", "logrill-testgen", "--example", "mklogs", "--",
         str(out), "--mb", "1", "--sites", "2", "--seed", "7", "--combined",
         "--codecs", "gzip,bzip2"],
        cwd=ROOT, check=True, capture_output=True).stdout
    return out, json.loads(truth)


SAMPLE_PIPELINES = [
    "grep robots.txt | field -1 | sum",
    "parse common | count by status",
    "parse common | sum bytes by host | sort sum_bytes desc | head 3",
    "parse common | count_distinct host, p50 bytes, p99 bytes, max bytes",
    "parse common | top 3 path",
    "parse common | distinct status",
]


def local(text, paths, glob=None):
    return logrill.query(text, paths, glob=glob).run()


def same(a, b):
    assert a.value == b.value
    assert a.columns == b.columns
    assert a.rows == b.rows
    assert a.skipped == b.skipped
    assert a.unparsed == b.unparsed
    assert len(a.errors) == len(b.errors)


@pytest.mark.parametrize("text", SAMPLE_PIPELINES)
def test_sample_logs_equal_a_local_run(spark, logs, text):
    got = logrill.spark.run(spark, text, [str(logs)], glob="access-log*")
    same(got, local(text, [str(logs)], "access-log*"))


def test_sample_logs_equal_the_truth_and_the_cli(spark, logs, truth, cli, cli_rows):
    r = logrill.spark.run(spark, "grep robots.txt | field -1 | sum", [str(logs)],
                          glob="access-log*")
    assert r.value == truth["pattern_bytes"]
    assert cli("grep robots.txt | field -1 | sum", str(logs), "-g", "access-log*") == \
        [str(r.value)]
    rows = logrill.spark.run(spark, "parse common | count by status", [str(logs)],
                             glob="access-log*").rows
    assert {str(row["status"]): row["count"] for row in rows} == truth["status_counts"]
    assert rows == cli_rows("parse common | count by status")


def test_gzip_bzip2_tree_equals_the_truth(spark, gen_tree):
    tree, truth = gen_tree
    paths = [str(tree)]
    r = logrill.spark.run(spark, logrill.query("parse combined").aggregate(
        logrill.agg.count(), by="status"), paths, glob="access-log*", partitions=3)
    assert {str(row["status"]): row["count"] for row in r.rows} == truth["status_counts"]
    s = logrill.spark.run(spark, "grep robots.txt | field 10 | sum", paths,
                          glob="access-log*", partitions=3)
    assert s.value == truth["pattern_bytes"]
    for text in ["parse combined | top 3 host", "parse combined | p90 bytes by status",
                 "parse combined | distinct method"]:
        same(logrill.spark.run(spark, text, paths, glob="access-log*"),
             local(text, paths, "access-log*"))


def test_file_names_that_are_not_utf8_reach_the_executors(spark, tmp_path):
    # The driver finds them; their names go to the tasks (JSON on the pipe, \u escapes)
    # and must name the same files there.
    root = os.fsencode(tmp_path) + b"/caf\xe9"
    os.mkdir(root)
    for i, name in enumerate([b"access-log\xff", b"access-log.1\xfe"]):
        with open(root + b"/" + name, "wb") as f:
            f.write(b"".join(b"x %d\n" % (i * 100 + k) for k in range(50)))
    r = logrill.spark.run(spark, "field -1 | sum", [os.fsdecode(root)], glob="access-log*")
    assert r.errors == [] and r.value == sum(range(50)) + sum(range(100, 150))


def test_bytes_read_by_spark_equal_paths_opened_by_executors(spark, gen_tree):
    """The route for URIs executors cannot open (HDFS, object stores): Spark reads the
    bytes. Forced here on local files, it must answer the same."""
    tree, truth = gen_tree
    files = sorted(str(p) for p in tree.rglob("access-log*"))
    text = "parse combined | count by status"
    via_bytes = logrill.spark.run(spark, text, ["file://" + f for f in files],
                                  executors_open_paths=False)
    assert {str(row["status"]): row["count"] for row in via_bytes.rows} == \
        truth["status_counts"]


def test_record_pipeline_is_a_typed_dataframe(spark, logs):
    text = "parse common | where status == 404 | select host, status, bytes, time"
    df = logrill.spark.run(spark, text, [str(logs)], glob="access-log*")
    types = dict(df.dtypes)
    assert types["status"] == "bigint" and types["bytes"] == "bigint"
    assert types["time"] == "timestamp" and types["host"] == "string"
    want = local(text, [str(logs)], "access-log*").to_arrow()
    got = df.collect()  # in input order: one partition after another
    assert len(got) == want.num_rows > 0
    assert [r["status"] for r in got] == want.column("status").to_pylist()
    assert [r["host"] for r in got] == want.column("host").to_pylist()
    assert df.groupBy().sum("bytes").collect()[0][0] == sum(
        b for b in want.column("bytes").to_pylist() if b is not None)


def test_input_errors_surface_on_the_driver_with_file_and_line(spark, tmp_path, logs):
    good = tmp_path / "good.log"
    good.write_bytes((logs / "www" / "site0" / "access-log").read_bytes()
                     if (logs / "www" / "site0" / "access-log").exists()
                     else b"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 5\n")
    bad = tmp_path / "bad.log.gz"
    import gzip
    data = gzip.compress(b"x 1\n" * 50000)
    bad.write_bytes(data[: len(data) // 2])
    r = logrill.spark.run(spark, "field -1 | count", [str(good), str(bad)])
    assert len(r.errors) == 1
    e = r.errors[0]
    assert e["path"] == str(bad) and e["line"] is not None and e["line"] > 0
    with pytest.raises(logrill.InputErrors):
        r.check()


@pytest.mark.parametrize("split", [1, 7, 64, 1000, 4096])
def test_byte_ranges_cover_every_line_once(tmp_path, split):
    """Every line in exactly one range, as the library cuts a file for its own threads."""
    from logrill import _native as native
    from logrill.spark import _cut

    data = b"".join(b"line %d %s\n" % (i, b"x" * (i % 13)) for i in range(500)) + b"no newline"
    p = tmp_path / "plain.log"
    p.write_bytes(data)
    pieces = _cut([("path", str(p))], 1, split, None)
    assert all(k == "range" for k, *_ in pieces) and len(pieces) == -(-len(data) // split)
    # Lines told apart by their text: a line in two ranges or in none changes the answer.
    text = "parse regex '(?P<text>.*)' | count, count_distinct text"
    parts = [native.partial_range(path, s, e, text)[0] for _, path, s, e in pieces]
    results, report = native.finish(text, parts, [])
    same(logrill.Result(results, report), local(text, [str(p)]))


def test_a_big_plain_file_in_byte_ranges_equals_a_local_run(spark, logs):
    """One plain file cut into ranges of 40 kB, spread over the tasks: same answer."""
    f = str(logs / "www" / "site0" / "access-log")
    assert os.path.getsize(f) > 200_000
    for text in ["parse common | count by status", "parse common | top 3 host",
                 "parse common | p99 bytes, first path, last path, count_distinct host"]:
        got = logrill.spark.run(spark, text, [f], split_bytes=40_000, partitions=2)
        same(got, local(text, [f]))


def test_head_is_refused_not_taken_per_part(spark, logs):
    """`head` counts the first lines of the whole input: parts run apart cannot (review:
    `head 100 | count` gave up to 100 per part)."""
    f = str(logs / "www" / "site0" / "access-log")
    for text in ["parse common | head 100 | count", "parse common | head 3"]:
        with pytest.raises(logrill.LogrillError, match="head"):
            logrill.spark.run(spark, text, [f])


def test_tasks_are_as_many_as_cores_not_one_per_small_range(tmp_path):
    """A gathering pipeline's big file is cut into one piece per task (Spark starts every
    task: few big pieces cost less than many small ones), each at most `split` bytes."""
    from logrill.spark import _cut

    p = tmp_path / "plain.log"
    p.write_bytes(b"a line\n" * 100_000)
    small = tmp_path / "small.log"
    small.write_bytes(b"a line\n" * 10)
    pieces = _cut([("path", str(p)), ("path", str(small))], 2, 1 << 30, None)
    assert [k for k, *_ in pieces] == ["range", "range", "path"]
    assert len(_cut([("path", str(p))], 2, 100_000, None)) == 7  # 700 000 bytes
    assert _cut([("path", str(p))], 2, None, None) == [("path", str(p))]


@pytest.fixture(scope="module")
def indexed_gz(tmp_path_factory, cli):
    """A gzip file of about 3 MB (combined lines whose paths are random, so that they
    compress little) with a logrill index of 3 or more seek points, in its own index
    directory; and a copy without an index."""
    import gzip
    import random

    d = tmp_path_factory.mktemp("gz")
    rnd = random.Random(18)
    lines = []
    for i in range(100_000):
        host = f"10.0.{rnd.randrange(40)}.{rnd.randrange(250)}"
        status = rnd.choice([200, 200, 200, 304, 404, 500])
        size = rnd.choice(["-", str(rnd.randrange(50_000))])
        path = "/%032x" % rnd.getrandbits(128)
        lines.append(f'{host} - - [10/Oct/2000:13:{i % 60:02d}:36 -0700] "GET {path} HTTP/1.0" '
                     f'{status} {size} "-" "agent {i % 7}"\n')
    data = gzip.compress("".join(lines).encode(), 6)
    gz = d / "access.log.gz"
    gz.write_bytes(data)
    bare = d / "bare.log.gz"
    bare.write_bytes(data)
    index_dir = d / "index"
    cli("index", "--index-dir", str(index_dir), str(gz))
    return gz, bare, str(index_dir)


def test_an_index_directory_that_is_not_utf8_is_found_by_the_tasks(indexed_gz, cli, tmp_path):
    # gzip_chunks names the directory the tasks then read the index from: it must be
    # the same directory, not a lossy spelling of it.
    gz, _, _ = indexed_gz
    index_dir = os.fsencode(tmp_path) + b"/idx\xfd"
    cli("index", "--index-dir", index_dir, str(gz))
    chunks, dir_ = logrill._native.gzip_chunks(str(gz), os.fsdecode(index_dir))
    assert chunks >= 3 and dir_ == os.fsdecode(index_dir)
    _, errors, _ = logrill._native.partial_gzip(str(gz), 0, 2, "count", dir_)
    assert errors == []


def _tasks_of_last_job(spark, group):
    sc = spark.sparkContext
    st = sc.statusTracker()
    job = max(st.getJobIdsForGroup(group))
    return sum(st.getStageInfo(s).numTasks for s in st.getJobInfo(job).stageIds)


def test_an_indexed_gzip_file_is_split_across_tasks_and_equals_the_cli(spark, indexed_gz, cli):
    from logrill import _native as native
    from logrill.spark import _cut

    gz, bare, index_dir = indexed_gz
    chunks, _ = native.gzip_chunks(str(gz), index_dir)
    assert chunks is not None and chunks >= 3
    pieces = _cut([("path", str(gz))], 2, 1 << 30, index_dir)
    assert [p[0] for p in pieces] == ["gzip", "gzip"]
    assert pieces[0][2] == 0 and pieces[0][3] == pieces[1][2] and pieces[1][3] == chunks

    sc = spark.sparkContext
    for text in ["parse combined | count by status",
                 "parse combined | sum bytes by host | sort sum_bytes desc, host asc | head 3",
                 "parse combined | count_distinct path, p50 bytes, first path, last path"]:
        sc.setJobGroup("gz-indexed", text)
        got = logrill.spark.run(spark, text, [str(gz)], index_dir=index_dir).check()
        assert _tasks_of_last_job(spark, "gz-indexed") == 2
        same(got, local(text, [str(gz)]))
        want = [json.loads(l) for l in cli(text, str(gz), "--json", "--no-index")]
        assert got.rows == want
    # Without an index: one piece, one task.
    assert _cut([("path", str(bare))], 2, 1 << 30, index_dir) == [("path", str(bare))]
    sc.setJobGroup("gz-bare", "bare")
    got = logrill.spark.run(spark, "parse combined | count by status", [str(bare)],
                            index_dir=index_dir).check()
    assert _tasks_of_last_job(spark, "gz-bare") == 1
    same(got, local("parse combined | count by status", [str(bare)]))


def _json_lines(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return str(path)


def test_a_field_missing_from_the_schema_sample_is_an_error_not_a_silent_drop(spark, tmp_path):
    """The schema of a JSON pipeline is learnt from the first records of the first input;
    a later record with a field that sample lacked fails the job, naming the file and the
    record (review: it was dropped without a word)."""
    from pyspark.errors import PythonException

    first = _json_lines(tmp_path / "a.json", [{"n": i} for i in range(2100)])
    later = _json_lines(tmp_path / "b.json", [{"n": 1}, {"n": 2, "extra": "x"}])
    df = logrill.spark.run(spark, "parse json", [first, later])
    with pytest.raises(PythonException) as e:
        df.collect()
    assert "b.json: record 2: field 'extra' is not in the schema" in str(e.value)
    # A value of another type than its column's: an error too.
    typed = _json_lines(tmp_path / "c.json", [{"n": "text"}])
    with pytest.raises(PythonException, match="c.json: record 1: field 'n' is string"):
        logrill.spark.run(spark, "parse json", [first, typed]).collect()


def test_integers_after_a_float_sample_widen_to_double(spark, tmp_path):
    """The one widening into a number column: integers into a `double` column (no value
    lost); the sum equals a local run's."""
    first = _json_lines(tmp_path / "f.json", [{"x": i + 0.5} for i in range(10)])
    later = _json_lines(tmp_path / "i.json", [{"x": i} for i in range(5)])
    df = logrill.spark.run(spark, "parse json", [first, later])
    assert dict(df.dtypes)["x"] == "double"
    got = sorted(r["x"] for r in df.collect())
    assert got == sorted([i + 0.5 for i in range(10)] + [float(i) for i in range(5)])


def test_a_fixed_format_types_the_dataframe_from_the_plan_without_sampling(spark, tmp_path):
    """`parse combined` names and types its fields: the schema comes from the plan. Here the
    first 2100 records have no byte count (`-`, null): a sample would have typed `bytes` as
    a string column (review); the plan says integer."""
    from logrill import _native as native

    fields = dict(native.record_fields("parse combined"))
    assert fields["status"] == "int" and fields["bytes"] == "int"
    assert fields["host"] == "text" and fields["time"] == "time"
    assert native.record_fields("parse combined | where status == 200 | select host as h, "
                                "bytes") == [("h", "text"), ("bytes", "int")]
    # Seconds (%D, %T) are floats, whatever the line says; status and sizes integers.
    assert native.record_fields("parse apache '%h %D %>s'") == [
        ("host", "text"), ("duration", "float"), ("status", "int")]
    assert native.record_fields("parse json") is None
    assert native.record_fields("parse json | select a") == [("a", "any")]

    line = '10.0.0.{} - - [10/Oct/2000:13:55:36 -0700] "GET /x HTTP/1.0" 200 {} "-" "ua"\n'
    f = tmp_path / "access.log"
    f.write_text("".join(line.format(i % 7, "-") for i in range(2100)) +
                 "".join(line.format(i % 7, i) for i in range(50)))
    df = logrill.spark.run(spark, "parse combined", [str(f)])
    types = dict(df.dtypes)
    assert types["bytes"] == "bigint" and types["status"] == "bigint"
    assert types["time"] == "timestamp" and types["host"] == "string"
    assert df.groupBy().sum("bytes").collect()[0][0] == sum(range(50))
    assert df.count() == 2150


def test_many_groups_across_tasks_are_exact_and_ties_keep_the_cli_order(spark, tmp_path, cli):
    """Thousands of groups, each in several tasks' parts (sent in each table's own order,
    not sorted by key), merged on the driver: every group's sum is the Python-computed one,
    and `sort … | head` over sums that tie gives the command line's rows."""
    hosts = 6000
    want = {}
    lines = []
    for rep in range(3):
        for h in range(hosts):
            b = (h * 7 + rep) % 4 + 1
            host = f"10.{h // 250}.{h % 250}.{rep % 2}"
            want[host] = want.get(host, 0) + b
            lines.append(f'{host} - - [10/Oct/2000:13:55:36 -0700] "GET /x HTTP/1.0" 200 {b}\n')
    f = tmp_path / "many.log"
    f.write_text("".join(lines))
    kw = dict(split_bytes=60_000, partitions=2)  # many ranges, two tasks
    sums = logrill.spark.run(spark, "parse common | sum bytes by host", [str(f)], **kw).check()
    assert {r["host"]: r["sum_bytes"] for r in sums.rows} == want
    assert len(sums.rows) == len(want) == 2 * hosts
    text = "parse common | sum bytes by host | sort sum_bytes desc | head 7"
    got = logrill.spark.run(spark, text, [str(f)], **kw).check()
    expect = [line.split("\t") for line in cli(text, str(f))[1:]]
    assert [[r["host"], str(r["sum_bytes"])] for r in got.rows] == expect
    # Ties: more hosts share the top sum than the 7 rows hold.
    top = max(want.values())
    assert sum(1 for v in want.values() if v == top) > 7
    assert all(r["sum_bytes"] == top for r in got.rows)


# ----- the routes of a gathering pipeline: a JVM pipe (default) or Python workers -------

def test_the_pipe_protocol_round_trips_parts_and_input_errors(tmp_path, logs):
    """`python -m logrill._pipe` without Spark: a task's line in, its parts' lines out,
    merged on the driver's side as the route merges them: the local answer, and an input
    error keeps its file and line."""
    import io

    from logrill import _native as native
    from logrill import _pipe

    good = str(logs / "www" / "site0" / "access-log")
    bad = tmp_path / "bad.log.gz"
    import gzip
    data = gzip.compress(b"x 1\n" * 50000)
    bad.write_bytes(data[: len(data) // 2])
    text = "parse common | count, p50 bytes by status"
    size = os.path.getsize(good)
    pieces = [("range", good, 0, size // 2), ("range", good, size // 2, size),
              ("path", str(bad))]
    out = io.StringIO()
    _pipe.main(io.StringIO(_pipe.task_line(0, pieces, text, {}) + "\n"), out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 and all(l.isascii() for l in lines)
    got = [_pipe.read_part(l) for l in lines]
    assert [(t, n) for t, n, *_ in got] == [(0, 0), (0, 1), (0, 2)]
    errors = [e for *_, errs, _ in got for e in errs]
    assert len(errors) == 1 and errors[0]["path"] == str(bad) and errors[0]["line"] > 0
    results, report = native.finish(text, [b for _, _, b, _, _ in got], errors)
    same(logrill.Result(results, report), local(text, [good, str(bad)]))


def test_a_task_failure_on_the_pipe_is_raised_on_the_driver(spark, logs):
    """Not an input problem but the task's own failure (here an option the engine
    refuses, which only the executor sees): the executor writes it as a line, the driver
    raises it. A state over its limit stays an error of the result, as in a local run."""
    from logrill import _pipe

    f = str(logs / "www" / "site0" / "access-log")
    with pytest.raises(logrill.LogrillError,
                       match="logrill on a Spark executor: OverflowError"):
        logrill.spark.run(spark, "parse common | count", [f], max_line_bytes=-1)
    text = "parse common | distinct path"
    over = logrill.spark.run(spark, text, [f], state_limit=10)
    assert any("more than 10" in e["message"] for e in over.errors)
    same(over, logrill.query(text, [f], state_limit=10).run())
    with pytest.raises(logrill.LogrillError, match="another logrill version"):
        _pipe.read_part('{"protocol": 999, "task": 0}')
    with pytest.raises(logrill.LogrillError, match="cannot read"):
        _pipe.read_part("Traceback (most recent call last):")
    # Lines of this protocol that do not hold a readable part: raised as logrill's own
    # error, not as a KeyError or a zlib error from deep inside the driver.
    for broken in (f'{{"protocol": {_pipe.PROTOCOL}, "task": 0}}',
                   f'{{"protocol": {_pipe.PROTOCOL}, "task": 0, "n": 0, "part": "AAAA", '
                   f'"errors": [], "checks": null}}',
                   f'{{"protocol": {_pipe.PROTOCOL}, "task": 0, "n": 0, "part": "%%", '
                   f'"errors": [], "checks": null}}'):
        with pytest.raises(logrill.LogrillError, match="a part this driver cannot read"):
            _pipe.read_part(broken)


@pytest.fixture
def logging_python(spark, tmp_path):
    """Spark's executor interpreter (`sc.pythonExec`, from PYSPARK_PYTHON /
    spark.pyspark.python) replaced by a script that notes its arguments, then runs this
    Python: which route ran is read from the notes."""
    import sys

    sc = spark.sparkContext
    notes = tmp_path / "notes"
    wrapper = tmp_path / "python"
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> {notes}\nexec {sys.executable} "$@"\n')
    wrapper.chmod(0o755)
    before = sc.pythonExec
    sc.pythonExec = str(wrapper)
    yield sc, notes, wrapper
    sc.pythonExec = before


def test_the_route_is_the_pipe_by_default_with_sparks_python(spark, logs, logging_python):
    sc, notes, wrapper = logging_python
    f = str(logs / "www" / "site0" / "access-log")
    text = "parse common | count by status"
    want = local(text, [f])
    same(logrill.spark.run(spark, text, [f], split_bytes=100_000, partitions=2), want)
    # One process per task, each logrill._pipe's command (`-S -c START WHERE`), run by
    # Spark's Python setting.
    from logrill import _pipe
    args = " ".join(_pipe.command("python")[1:])
    assert notes.read_text() == f"{args}\n" * 2
    notes.unlink()
    same(logrill.spark.run(spark, text, [f], route="python"), want)
    assert "logrill._pipe" not in notes.read_text()  # Spark's Python workers
    with pytest.raises(ValueError, match="route"):
        logrill.spark.run(spark, text, [f], route="jvm")


def test_a_pipe_command_that_cannot_run_says_which_python(spark, logs, logging_python):
    sc, notes, wrapper = logging_python
    wrapper.write_text("#!/bin/sh\necho 'No module named logrill' >&2\nexit 1\n")
    f = str(logs / "www" / "site0" / "access-log")
    with pytest.raises(logrill.LogrillError,
                       match=f"{wrapper} -S -c …' \\(logrill._pipe\\).*PYSPARK_PYTHON"):
        logrill.spark.run(spark, "parse common | count by status", [f])


def test_the_pipe_command_imports_neither_spark_nor_arrow(logs):
    """What makes the pipe's process start cheap: `python -m logrill._pipe` loads the
    native module and the standard library, not pyspark, py4j, pyarrow or pandas."""
    import sys

    probe = ("import runpy, sys; sys.argv = ['x']; sys.stdin = open('/dev/null'); "
             "runpy.run_module('logrill._pipe', run_name='not_main'); "
             "import logrill._pipe; "
             "print(sorted({m.split('.')[0] for m in sys.modules} & "
             "{'pyspark', 'py4j', 'pyarrow', 'pandas', 'numpy'}))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
    # And it answers a task from its standard input, as the JVM runs it.
    from logrill import _native as native
    from logrill import _pipe

    f = str(logs / "www" / "site0" / "access-log")
    got = subprocess.run([sys.executable, "-m", "logrill._pipe"], capture_output=True,
                         text=True, check=True,
                         input=_pipe.task_line(3, [("path", f)], "count", {}) + "\n").stdout
    [(task, n, data, errors, checks)] = [_pipe.read_part(l) for l in got.splitlines()]
    assert (task, n, errors, checks) == (3, 0, [], None)
    results, report = native.finish("count", [data], errors)
    same(logrill.Result(results, report), local("count", [f]))


def test_the_pipe_command_starts_without_site_and_falls_back_to_it(logs, tmp_path):
    """The pipe's command (`python -S -c …`) imports logrill from where the driver's
    logrill is, without running `site` (its .pth files cost most of a bare start); where
    that directory does not hold logrill (another machine's layout), or holds one this
    Python cannot load, it runs `site` and imports logrill as installed. All answer a
    task as `python -m logrill._pipe` does."""
    import sys

    from logrill import _native as native
    from logrill import _pipe

    f = str(logs / "www" / "site0" / "access-log")
    task = _pipe.task_line(1, [("path", f)], "parse common | count by status", {}) + "\n"
    want = local("parse common | count by status", [f])
    fast = _pipe.command(sys.executable)
    assert fast[1:3] == ["-S", "-c"]
    elsewhere = fast[:-1] + ["/nonexistent/site-packages"]
    broken = tmp_path / "lib" / "logrill"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text("raise RuntimeError('not a logrill to load')\n")
    unloadable = fast[:-1] + [str(tmp_path / "lib")]
    for cmd in (fast, elsewhere, unloadable):
        got = subprocess.run(cmd, capture_output=True, text=True, check=True, input=task)
        [(t, n, data, errors, checks)] = [_pipe.read_part(l) for l in got.stdout.splitlines()]
        assert (t, n, errors, checks) == (1, 0, [], None)
        same(logrill.Result(*native.finish("parse common | count by status", [data], [])),
             want)
    # The fast start really skips `site`: with -S and the driver's directory on the path,
    # logrill._pipe imports, and `site` is not loaded.
    probe = (f"import sys; sys.path.append({fast[-1]!r}); from logrill import _pipe; "
             f"print('site' in sys.modules)")
    out = subprocess.run([sys.executable, "-S", "-c", probe], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"
