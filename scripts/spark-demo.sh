#!/usr/bin/env bash
# The Spark recipe: logrill writes the sample logs as Hive-partitioned Parquet, a local
# Spark session (pyspark from PyPI; needs a Java 17+ runtime) reads the directory as a
# partitioned table, and its answer is compared with logrill's own. Not run in CI (pyspark
# is a ~300 MB download); the last run is recorded in bench/RESULTS.md.
#
#   scripts/spark-demo.sh
#   LOGRILL=path/to/logrill scripts/spark-demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v java >/dev/null || { echo "spark-demo: needs java (apt-get install default-jre-headless)" >&2; exit 2; }
# shellcheck source=scripts/common.sh
source scripts/common.sh pyspark

"$LOGRILL" -q --output parquet "$work/logs" --partition-by day 'parse common' "$LOGS" -g 'access-log*'
"$LOGRILL" -q --json 'parse common | count, sum bytes by status | sort status' "$LOGS" -g 'access-log*' \
  > "$work/logrill.jsonl"

"$PY" - "$work" <<'PY'
import json, sys, time
from pyspark.sql import SparkSession
work = sys.argv[1]
t0 = time.time()
spark = (SparkSession.builder.master("local[2]").appName("logrill-demo")
         .config("spark.sql.session.timeZone", "UTC")
         .config("spark.ui.enabled", "false").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
df = spark.read.parquet(f"{work}/logs")   # discovers date=... as a partition column
df.createOrReplaceTempView("logs")
rows = spark.sql("""select status, count(*) as count, sum(bytes) as sum_bytes
                    from logs group by status order by status""").collect()
got = [(r["status"], r["count"], r["sum_bytes"]) for r in rows]
want = [json.loads(l) for l in open(f"{work}/logrill.jsonl")]
want = [(r["status"], r["count"], r["sum_bytes"]) for r in want]
assert got == want, (got, want)
parts = df.select("date").distinct().count()
print(f"spark {spark.version}: {df.count()} rows in {parts} partitions; "
      f"count, sum(bytes) by status equals logrill's ({len(got)} groups) "
      f"in {time.time() - t0:.1f} s")
spark.stop()
PY
echo "spark-demo: OK"
