"""The seed's pipeline and the course's record questions: the same answers as the
command line (its `--json` rows), and as the generator's ground truth where it has one."""

import logrill
from logrill import agg, col, query


def www(logs):
    return logrill.find(logs).glob("access-log*").open().lines()


def test_the_seed_pipeline_totals_the_pattern_bytes(logs, truth, cli):
    total = www(logs).grep("robots.txt").field(-1).sum()
    assert total == truth["pattern_bytes"]
    assert cli("grep robots.txt | field -1 | sum", str(logs), "-g", "access-log*") == [str(total)]


def test_text_and_typed_calls_are_one_pipeline(logs, truth):
    typed = www(logs).grep("robots.txt").field(-1)
    assert typed.text == "grep 'robots.txt' | field -1"
    assert query(typed.text + " | sum", [logs], glob="access-log*").run().value == truth["pattern_bytes"]


def test_count_by_status_is_the_truth(logs, truth, cli_rows):
    rows = www(logs).parse("common").count_by("status").sort("status").rows()
    assert {str(r["status"]): r["count"] for r in rows} == truth["status_counts"]
    assert rows == cli_rows("parse common | count by status | sort status")


def test_404_paths(logs, truth, cli_rows):
    q = (query().parse("common").where(col("status") == 404).count_by("path")
         .sort(col("count").desc(), col("path").asc()))
    rows = www(logs).stage(q.text).rows()
    assert sum(r["count"] for r in rows) == truth["status_counts"]["404"]
    assert rows == cli_rows(q.text)
    # The course's set of 404 paths, iterated as records.
    paths = {r["path"] for r in www(logs).parse("common").where(col("status") == 404)}
    assert paths == {r["path"] for r in rows}


def test_largest_transfer(logs, truth, cli_rows):
    q = (query().parse("common").where(col("bytes").is_not_null())
         .sort(col("bytes").desc()).head(1).select("bytes", "request"))
    rows = www(logs).stage(q.text).rows()
    assert rows[0]["bytes"] == truth["max_bytes"]
    assert rows == cli_rows(q.text)
    assert www(logs).parse("common").aggregate(agg.max("bytes")).rows() == [{"max_bytes": truth["max_bytes"]}]


def test_hosts(logs, cli_rows):
    hosts = {r["host"] for r in www(logs).parse("common").select("host")}
    n = www(logs).parse("common").aggregate(agg.count_distinct("host").alias("hosts")).rows()
    assert n == [{"hosts": len(hosts)}]
    assert n == cli_rows("parse common | count_distinct host as hosts")


def test_robots(logs, cli_rows):
    q = (query().grep("robots.txt").parse("common").where(col("path") == "/robots.txt")
         .count_by("host").sort("host"))
    rows = www(logs).stage(q.text).rows()
    assert rows and rows == cli_rows(q.text)


def test_ply_downloads(logs, cli_rows):
    q = (query().parse("common").where(col("path").matches(r"ply-.*\.gz"))
         .aggregate(agg.count().alias("downloads"), agg.count_distinct("host").alias("hosts")))
    rows = www(logs).stage(q.text).rows()
    assert rows == cli_rows(q.text)
