"""Lazy iteration, text or bytes, errors, the push side, Python iterables as input,
follow as a generator with clean-up, Arrow."""

import gzip
import os
import time

import pytest

import logrill
from logrill import InputErrors, QueryError, agg, col, query


def test_lines_are_lazy_and_a_break_stops_the_run(tmp_path):
    p = tmp_path / "big.log"
    p.write_text("".join(f"line {i}\n" for i in range(200_000)))
    it = iter(logrill.files(p).lines())
    first = [next(it) for _ in range(3)]
    assert first == ["line 0", "line 1", "line 2"]
    del it  # dropping the iterator stops the engine
    assert list(logrill.files(p).lines().grep("line 19999[0-9]")) == [f"line 19999{i}" for i in range(10)]


def test_bytes_on_request_and_surrogateescape_by_default(tmp_path):
    p = tmp_path / "odd.log"
    p.write_bytes(b"caf\xe9 latin-1\nplain\n")
    as_str = list(logrill.files(p).lines())
    assert as_str[0].encode("utf-8", "surrogateescape") == b"caf\xe9 latin-1"
    assert list(logrill.files(p).lines().options(text="bytes")) == [b"caf\xe9 latin-1", b"plain"]


def test_records_are_dicts_with_typed_values(tmp_path):
    p = tmp_path / "a.log"
    p.write_text('1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /x HTTP/1.0" 404 17\n')
    (r,) = list(logrill.files(p).lines().parse("common"))
    assert r["status"] == 404 and r["bytes"] == 17 and r["path"] == "/x"
    assert r["time"].utcoffset().total_seconds() == -7 * 3600
    assert r["time"].isoformat() == "2000-10-10T13:55:36-07:00"


def test_a_wrong_pipeline_is_a_query_error_with_its_column():
    with pytest.raises(QueryError) as e:
        query("parse common | where stauts == 404")
    assert e.value.column == len("parse common | where ") + 1
    assert "status" in str(e.value)


def test_a_bad_input_is_named_and_the_rest_is_read(tmp_path):
    import zlib

    good = tmp_path / "a.log"
    good.write_text("x 1\nx 2\n")
    bad = tmp_path / "b.log.gz"
    data = gzip.compress("".join(f"x {i * 7919 % 100003}\n" for i in range(50_000)).encode())
    bad.write_bytes(data[: len(data) // 2])  # truncated
    # Independent truth: the complete lines Python's zlib gets from the truncated file.
    prefix = zlib.decompressobj(wbits=31).decompress(data[: len(data) // 2])
    readable = prefix[: prefix.rfind(b"\n") + 1].decode().splitlines()
    assert len(readable) > 1000
    with pytest.raises(InputErrors) as e:
        logrill.files(good, bad).lines().field(2).sum()
    err = e.value.errors[0]
    assert err["path"] == str(bad) and "b.log.gz" in err["message"]
    # Nothing already read is lost: the partial sum has the good file and every line of
    # the broken one before the damage.
    assert e.value.partial.value == 3 + sum(int(l.split()[1]) for l in readable)
    # Iterating: every line first, then the exception.
    got = []
    with pytest.raises(InputErrors):
        for line in logrill.files(good, bad).lines():
            got.append(line)
    assert got == ["x 1", "x 2"] + readable
    # run() reports instead of raising.
    r = logrill.files(good, bad).lines().field(2).stage("sum").run()
    assert r.errors and r.value == e.value.partial.value


def test_push_sink_send_and_close_like_a_coroutine():
    s = query().parse("common").count_by("status").sort("status").sink()
    for status in (200, 404, 200):
        assert s.send(f'h - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" {status} 5')
    assert s.snapshot().rows == [{"status": 200, "count": 2}, {"status": 404, "count": 1}]
    assert s.close().rows == [{"status": 200, "count": 2}, {"status": 404, "count": 1}]
    with pytest.raises(logrill.LogrillError):
        s.send("more")


def test_head_says_when_no_more_is_wanted():
    s = query().head(2).sink()
    assert s.send("a") is True
    assert s.send("b") is False


def test_python_iterables_in_and_out(tmp_path):
    def numbers():
        for i in range(1, 101):
            yield f"n {i}"

    assert logrill.lines(numbers()).field(2).sum() == 5050
    p = tmp_path / "f.log"
    p.write_text("".join(f"n {i}\n" for i in range(10)))
    with open(p) as f:  # a Python file object: its line ends are dropped
        assert logrill.lines(f).field(2).sum() == 45
    # ... and logrill's output into a Python generator.
    doubled = (int(v) * 2 for v in logrill.files(p).lines().field(2))
    assert sum(doubled) == 90


def test_broadcast_to_sinks_and_a_python_coroutine():
    seen = []

    def printer():
        while True:
            line = yield
            seen.append(line)

    co = printer()
    next(co)
    hits = query().grep("x").stage("count").sink()
    b = logrill.broadcast(hits, co)
    for line in ("x1", "y", "x2"):
        b.send(line)
    co.close()
    assert hits.close().value == 2
    assert seen == ["x1", "y", "x2"]


def test_tee_branches(tmp_path):
    p = tmp_path / "a.log"
    p.write_text("a 1\nb 2\na 3\n")
    r = logrill.files(p).lines().tee(query().grep("a").field(2).stage("sum"),
                                     query().stage("count")).run()
    assert [b.value for b in r.branches] == [4, 3]


def test_follow_is_a_generator_whose_close_writes_the_checkpoint(tmp_path):
    log = tmp_path / "app.log"
    state = tmp_path / "state"
    log.write_text("1\n2\n")
    with logrill.follow(log, state=state, from_start=True, exit_on_idle=0.5) as f:
        got = [next(f), next(f)]
        with open(log, "a") as w:
            w.write("3\n")
        got.append(next(f))
    assert got == ["1", "2", "3"]
    assert state.exists()
    # A restart goes on after the checkpoint: only what was written since.
    with open(log, "a") as w:
        w.write("4\n")
    assert list(logrill.follow(log, state=state, exit_on_idle=0.5)) == ["4"]


def test_follow_through_a_rotation(tmp_path):
    log = tmp_path / "app.log"
    log.write_text("a\n")
    f = logrill.follow(log, from_start=True, exit_on_idle=1.0)
    assert next(f) == "a"
    with open(log, "a") as w:
        w.write("b\n")
    os.rename(log, tmp_path / "app.log.1")
    log.write_text("c\n")
    rest = list(f)
    assert rest == ["b", "c"]
    assert any("has been replaced" in n for n in f.notices()), f.notices()
    assert "3 lines" in f.close()


def test_arrow_table(tmp_path):
    pa = pytest.importorskip("pyarrow")
    p = tmp_path / "a.log"
    p.write_text("".join(
        f'h{i % 3} - - [10/Oct/2000:13:55:36 -0700] "GET /p{i % 2} HTTP/1.0" 200 {i}\n' for i in range(30)))
    t = logrill.files(p).lines().parse("common").aggregate(agg.count(), agg.sum("bytes"), by="host").sort("host").to_arrow()
    assert isinstance(t, pa.Table)
    assert t.column_names == ["host", "count", "sum_bytes"]
    assert t.column("count").to_pylist() == [10, 10, 10]
    assert sum(t.column("sum_bytes").to_pylist()) == sum(range(30))


def test_arrow_through_the_c_stream_has_typed_columns(logs, truth):
    pa = pytest.importorskip("pyarrow")
    t = (logrill.find(logs).glob("access-log*").open().lines().parse("common")
         .count_by("status").sort("status").to_arrow())
    assert t.schema.field("status").type == pa.int64()
    assert {str(s): c for s, c in zip(t.column("status").to_pylist(), t.column("count").to_pylist())} == truth["status_counts"]
    recs = logrill.find(logs).glob("access-log*").open().lines().parse("common").head(5).to_arrow()
    assert recs.num_rows == 5
    assert recs.schema.field("time").type == pa.timestamp("us", tz="+00:00")
    rows = logrill.find(logs).glob("access-log*").open().lines().parse("common").head(5).rows()
    assert recs.column_names == list(rows[0])
    # The same values as the dicts (times as the same instants).
    assert recs.to_pylist() == rows


def test_closing_after_one_line_checkpoints_only_that_line(tmp_path):
    # Three lines come in one read; only the first was taken when the follow was closed:
    # a restart gives the other two.
    log = tmp_path / "app.log"
    state = tmp_path / "state"
    log.write_text("1\n2\n3\n")
    with logrill.follow(log, state=state, from_start=True, exit_on_idle=0.5) as f:
        assert next(f) == "1"
    assert list(logrill.follow(log, state=state, exit_on_idle=0.5)) == ["2", "3"]


def test_close_from_another_thread_while_waiting_does_not_hang(tmp_path):
    import threading

    log = tmp_path / "app.log"
    log.write_text("")
    f = logrill.follow(log)
    threading.Timer(0.3, f.close).start()
    t0 = time.monotonic()
    assert list(f) == []
    assert time.monotonic() - t0 < 5


def test_send_all_lets_the_iterable_look_at_the_sink():
    s = query().stage("count").sink()
    seen = []

    def lines():
        for i in range(3000):
            if i % 1000 == 999:
                seen.append(s.snapshot().rows)
            yield f"l{i}"

    s.send_all(lines())
    assert s.close().value == 3000
    assert len(seen) == 3


def test_a_repeated_json_key_reads_as_the_engine_reads_it(tmp_path):
    p = tmp_path / "a.json"
    p.write_text('{"a":1,"a":2}\n')
    (r,) = logrill.files(p).lines().parse("json").rows()
    assert r["a"] == 1
    assert logrill.files(p).lines().parse("json").where(col("a") == 1).count() == 1


def test_exit_on_idle_must_be_a_duration(tmp_path):
    log = tmp_path / "app.log"
    log.write_text("")
    with pytest.raises(ValueError):
        logrill.follow(log, exit_on_idle=float("inf"))


def test_paths_that_are_not_utf8_are_read(tmp_path):
    # Linux file names are bytes: Python hands such a name over as a `str` with
    # surrogates (os.fsdecode) or as `bytes`; both must reach the same file.
    root = os.fsencode(tmp_path) + b"/caf\xe9"
    os.mkdir(root)
    name = root + b"/access-log\xff"
    with open(name, "wb") as f:
        f.write(b"x 5\nx 7\n")
    as_str = os.fsdecode(name)
    assert list(logrill.files(as_str).lines().field(-1)) == ["5", "7"]
    assert logrill.files(name).lines().field(-1).sum() == 12
    assert logrill.find(os.fsdecode(root)).glob("access-log*").open().lines().field(-1).sum() == 12
    assert query("field -1 | sum", [as_str]).run().check().value == 12
    state = os.fsdecode(root + b"/state\xfe")
    with logrill.follow(as_str, state=state, from_start=True, exit_on_idle=0.3) as f:
        assert list(f) == ["x 5", "x 7"]
    assert os.path.exists(state)
    # The Spark route hands out the found files' names as they are.
    files, errors = logrill._native.found([os.fsdecode(root)], ["access-log*"])
    assert files == [as_str] and errors == []
    # An input problem names the file as it was given.
    bad = root + b"/bad\xfe.gz"
    with open(bad, "wb") as f:
        data = gzip.compress(b"".join(b"x %d\n" % (i * 7919 % 100003) for i in range(20_000)))
        f.write(data[: len(data) // 2])  # truncated
    r = query("field -1 | sum", [os.fsdecode(bad)]).run()
    assert [e["path"] for e in r.errors] == [os.fsdecode(bad)]
