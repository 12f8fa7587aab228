"""Time, in one Spark session (session start excluded), what a Spark user writes today
(`spark.read.text` + `regexp_extract`) against the same questions through
`logrill.spark.run`, on one combined log and its gzip copy. Answers are compared before
anything is timed. Best of RUNS wall times, page cache warm (every query runs once first):
run it on a quiet machine.

    python bench/spark_inprocess.py MASTER RUNS PLAIN GZ
"""

import os
import sys
import time

os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

from pyspark.sql import SparkSession, functions as F  # noqa: E402

import logrill.spark  # noqa: E402

master, runs, plain, gz = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
spark = (SparkSession.builder.master(master).appName("logrill-bench")
         .config("spark.ui.enabled", "false")
         .config("spark.sql.shuffle.partitions", master[6:-1] if master != "local[*]" else "2")
         .config("spark.driver.memory", "2g")
         .getOrCreate())
spark.sparkContext.setLogLevel("ERROR")

LINE = r'^(\S+) \S+ \S+ \[[^\]]*\] "[^"]*" (\d{3}) (\S+)'


def spark_status(path):
    df = spark.read.text(path).select(F.regexp_extract("value", LINE, 2).alias("status"))
    rows = df.where(F.col("status") != "").groupBy("status").count().collect()
    return {int(r["status"]): r["count"] for r in rows}


def spark_top_hosts(path):
    df = spark.read.text(path).select(
        F.regexp_extract("value", LINE, 1).alias("host"),
        F.regexp_extract("value", LINE, 3).alias("bytes"))
    df = df.where(F.col("host") != "").withColumn("bytes", F.expr("try_cast(bytes as bigint)"))
    rows = (df.groupBy("host").agg(F.sum("bytes").alias("b"))
            .orderBy(F.desc("b"), F.asc("host")).limit(3).collect())
    return [(r["host"], r["b"]) for r in rows]


def logrill_status(path):
    r = logrill.spark.run(spark, "parse combined | count by status", [path]).check()
    return {row["status"]: row["count"] for row in r.rows}


def logrill_top_hosts(path):
    r = logrill.spark.run(
        spark, "parse combined | sum bytes by host | sort sum_bytes desc, host asc | head 3",
        [path]).check()
    return [(row["host"], row["sum_bytes"]) for row in r.rows]


def best(fn, path):
    fn(path)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn(path)
        times.append(time.perf_counter() - t)
    return min(times)


for name, path in [("plain", plain), ("gzip", gz)]:
    a, b = spark_status(path), logrill_status(path)
    assert a == b, f"count by status differs on {name}: {a} vs {b}"
    a, b = spark_top_hosts(path), logrill_top_hosts(path)
    assert a == b, f"top hosts differ on {name}: {a} vs {b}"
    for q, (s_fn, l_fn) in {"count by status": (spark_status, logrill_status),
                            "top 3 hosts by bytes": (spark_top_hosts, logrill_top_hosts)}.items():
        s, l = best(s_fn, path), best(l_fn, path)
        print(f"| {master} | {name} | {q} | {s:.2f} s | {l:.2f} s | {s / l:.1f}x |", flush=True)
spark.stop()
