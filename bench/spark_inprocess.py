"""Time, in one Spark session (session start excluded), what a Spark user writes today
(`spark.read.text` + `regexp_extract`) against the same questions through
`logrill.spark.run`, on one combined log and its gzip copy. Answers are compared before
anything is timed.

Two measurements, printed apart because they answer different questions:

* **warm** (the default): each query runs once to warm up (page cache, the JVM's JIT and
  Spark's generated code, Spark's Python workers, which are reused), then RUNS times;
  printed: the best and the median wall time, and the CPU time (user + sys) of the whole
  process tree of the best run (this driver, Spark's JVM and its Python workers: on a
  loaded machine the CPU is the fairer figure), and the ratios Spark SQL / logrill of each.

      python bench/spark_inprocess.py MASTER RUNS PLAIN GZ [INDEX_DIR]

* **first query** (`--first`): ONE query of ONE side, the first thing this fresh process
  and its fresh SparkSession do after the session has started (the session's start is not
  timed; the page cache is warm, the JVM's JIT and Spark's code generation are not, nor
  are Spark's Python workers started). Prints `wall cpu` in seconds. bench/spark.sh runs
  each side in a process of its own, RUNS times, and prints the medians.

      python bench/spark_inprocess.py --first SIDE QUERY MASTER INPUT [INDEX_DIR]

  SIDE: `spark` or `logrill`, or `jvm`: the bound of any route through Spark's JVM, a
  job of as many tasks as the session's default parallelism that the JVM alone runs
  (`JavaRDD.pipe(["cat"])` of one short string a task; QUERY and INPUT are then
  ignored); QUERY: `status` or `hosts`. The table of these (each side of each query in
  RUNS fresh processes, one after the other, the JVM-only job RUNS times first; medians
  and ratios):

      python bench/spark_inprocess.py --first-table MASTER RUNS PLAIN GZ [INDEX_DIR]

LOGRILL_SPARK_ROUTE=python times the Python-worker route instead of the default pipe.

INDEX_DIR: where `logrill index` put the gzip copy's index (then the gzip file is split
across tasks by its chunks).
"""

import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

from pyspark.sql import SparkSession, functions as F  # noqa: E402

import logrill.spark  # noqa: E402

QUERIES = {"status": "count by status", "hosts": "top 3 hosts by bytes"}
# The route of logrill.spark.run's tasks: its default ("pipe": a JVM pipe to
# logrill._pipe run by `python -S`), or LOGRILL_SPARK_ROUTE=python (Spark's Python workers).
ROUTE = os.environ.get("LOGRILL_SPARK_ROUTE", "pipe")


def first_table():
    """Each side's first query in fresh processes (``--first``), RUNS of each, in turn
    (spark, logrill, spark, …): a table row per input and query, of the medians."""
    master, runs, plain, gz = sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
    extra = sys.argv[6:7]

    def first(side, query, path):
        out = subprocess.run([sys.executable, __file__, "--first", side, query, master, path,
                              *extra], check=True, capture_output=True, text=True).stdout
        wall, cpu = map(float, out.split()[-2:])
        return wall, cpu

    jvm = [first("jvm", "status", plain) for _ in range(runs)]
    jw, jc = statistics.median(w for w, _ in jvm), statistics.median(c for _, c in jvm)
    for name, path in [("plain", plain), ("gzip", gz)]:
        for query, label in QUERIES.items():
            got = {"spark": [], "logrill": []}
            for _ in range(runs):
                for side in got:
                    got[side].append(first(side, query, path))
            (sw, sc), (lw, lc) = [
                (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
                for v in got.values()]
            print(f"| {master} | {name} | {label} | {sw:.2f} s, CPU {sc:.2f} s "
                  f"| {lw:.2f} s, CPU {lc:.2f} s | {jw:.2f} s, CPU {jc:.2f} s "
                  f"| {sw / lw:.1f}× / {sc / max(lc, 0.01):.1f}× |",
                  flush=True)


if sys.argv[1] == "--first-table":
    first_table()
    sys.exit(0)
FIRST = sys.argv[1] == "--first"
if FIRST:
    side, query, master, first_input = sys.argv[2:6]
    index_dir = sys.argv[6] if len(sys.argv) > 6 else None
else:
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
                          index_dir=index_dir, route=ROUTE).check()
    return {row["status"]: row["count"] for row in r.rows}


def logrill_top_hosts(path):
    r = logrill.spark.run(
        spark, "parse combined | sum bytes by host | sort sum_bytes desc, host asc | head 3",
        [path], index_dir=index_dir, route=ROUTE).check()
    return [(row["host"], row["sum_bytes"]) for row in r.rows]


TICK = os.sysconf("SC_CLK_TCK")


def tree_cpu():
    """CPU seconds (user + sys) so far of this process and all its descendants (Spark's
    JVM, its Python daemon and workers, the tasks' commands), from /proc."""
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
        # With cutime and cstime: the CPU of children that have ended and been waited
        # for (the tasks' pipe processes, reaped by the JVM).
        stats[int(pid)] = (int(fields[1]), sum(int(x) for x in fields[11:15]))
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


def jvm_only(_path):
    """The bound (``--first jvm``): a job that Spark's JVM alone runs, one task per
    core of the session, each piping one short string through `cat`."""
    sc = spark.sparkContext
    n = sc.defaultParallelism
    sc._jsc.parallelize([str(i) for i in range(n)], n).pipe(["cat"]).collect()


def first_query():
    """The first query of a fresh session: `wall cpu` on standard output."""
    fn = {("spark", "status"): spark_status, ("spark", "hosts"): spark_top_hosts,
          ("logrill", "status"): logrill_status, ("logrill", "hosts"): logrill_top_hosts,
          ("jvm", "status"): jvm_only, ("jvm", "hosts"): jvm_only}
    with open(first_input, "rb") as f:  # the page cache warm, as for the warm runs
        while f.read(1 << 24):
            pass
    c, t = tree_cpu(), time.perf_counter()
    fn[(side, query)](first_input)
    print(f"{time.perf_counter() - t:.3f} {tree_cpu() - c:.3f}", flush=True)


def warm():
    for name, path in [("plain", plain), ("gzip", gz)]:
        a, b = spark_status(path), logrill_status(path)
        assert a == b, f"count by status differs on {name}: {a} vs {b}"
        a, b = spark_top_hosts(path), logrill_top_hosts(path)
        assert a == b, f"top hosts differ on {name}: {a} vs {b}"
        for q, (s_fn, l_fn) in {"count by status": (spark_status, logrill_status),
                                "top 3 hosts by bytes": (spark_top_hosts,
                                                         logrill_top_hosts)}.items():
            s, l = timed(s_fn, path), timed(l_fn, path)
            print(f"| {master} | {name} | {q} | {s[0]:.2f} / {s[1]:.2f} s, CPU {s[2]:.2f} s "
                  f"| {l[0]:.2f} / {l[1]:.2f} s, CPU {l[2]:.2f} s "
                  f"| {s[0] / l[0]:.1f}× / {s[1] / l[1]:.1f}× / "
                  f"{s[2] / max(l[2], 0.01):.1f}× |", flush=True)


if FIRST:
    first_query()
else:
    warm()
spark.stop()
