"""Time, in one Spark session (session start excluded), what a Spark user writes today
(`spark.read.text` + `regexp_extract`) against the same questions through
`logrill.spark.run`, on one combined log and its gzip copy. Answers are compared before
anything is timed. Each query runs once to warm up (page cache, Spark's Python workers,
which are reused), then RUNS times; printed: the best and the median wall time, and the
CPU time (user + sys) of the whole process tree of the best run (this driver, Spark's JVM
and its Python workers: on a loaded machine the CPU is the fairer figure), and the
ratios Spark SQL / logrill of each.

    python bench/spark_inprocess.py MASTER RUNS PLAIN GZ [INDEX_DIR]

INDEX_DIR: where `logrill index` put the gzip copy's index (then the gzip file is split
across tasks by its chunks).
"""

import os
import sys
import time

os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

from pyspark.sql import SparkSession, functions as F  # noqa: E402

import logrill.spark  # noqa: E402

master, runs, plain, gz = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
index_dir = sys.argv[5] if len(sys.argv) > 5 else None
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
    r = logrill.spark.run(spark, "parse combined | count by status", [path],
                          index_dir=index_dir).check()
    return {row["status"]: row["count"] for row in r.rows}


def logrill_top_hosts(path):
    r = logrill.spark.run(
        spark, "parse combined | sum bytes by host | sort sum_bytes desc, host asc | head 3",
        [path], index_dir=index_dir).check()
    return [(row["host"], row["sum_bytes"]) for row in r.rows]


TICK = os.sysconf("SC_CLK_TCK")


def tree_cpu():
    """CPU seconds (user + sys) so far of this process and all its descendants (Spark's
    JVM, its Python daemon and workers), from /proc."""
    stats = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the name: state, ppid, ... utime (14th field overall), stime (15th).
        stats[int(pid)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    children = {}
    for pid, (ppid, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0, [os.getpid()]
    while todo:
        pid = todo.pop()
        total += stats.get(pid, (0, 0))[1]
        todo.extend(children.get(pid, []))
    return total / TICK


def timed(fn, path):
    """(best wall, median wall, CPU of the process tree in the best run)."""
    fn(path)
    runs_ = []
    for _ in range(runs):
        c, t = tree_cpu(), time.perf_counter()
        fn(path)
        runs_.append((time.perf_counter() - t, tree_cpu() - c))
    walls = sorted(w for w, _ in runs_)
    best = min(runs_)
    return best[0], walls[len(walls) // 2], best[1]


for name, path in [("plain", plain), ("gzip", gz)]:
    a, b = spark_status(path), logrill_status(path)
    assert a == b, f"count by status differs on {name}: {a} vs {b}"
    a, b = spark_top_hosts(path), logrill_top_hosts(path)
    assert a == b, f"top hosts differ on {name}: {a} vs {b}"
    for q, (s_fn, l_fn) in {"count by status": (spark_status, logrill_status),
                            "top 3 hosts by bytes": (spark_top_hosts, logrill_top_hosts)}.items():
        s, l = timed(s_fn, path), timed(l_fn, path)
        print(f"| {master} | {name} | {q} | {s[0]:.2f} / {s[1]:.2f} s, CPU {s[2]:.2f} s "
              f"| {l[0]:.2f} / {l[1]:.2f} s, CPU {l[2]:.2f} s "
              f"| {s[0] / l[0]:.1f}× / {s[1] / l[1]:.1f}× / {s[2] / max(l[2], 0.01):.1f}× |",
              flush=True)
spark.stop()
