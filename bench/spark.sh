#!/usr/bin/env bash
# logrill through Spark (logrill.spark.run) against what a Spark user writes today,
# `spark.read.text` + `regexp_extract`, in the same session (session start excluded), at
# local[1] and local[2], on one ~237 MB combined log and its gzip copy: `count by status`
# and the top 3 hosts by bytes. Answers are compared before timing (bench/spark_inprocess.py).
# The gzip copy gets a logrill index first (`logrill index`), so logrill.spark splits it
# across tasks by its chunks; Spark reads a .gz as one partition.
# logrill.spark.run is timed on the route users get by default (its tasks piped to
# logrill._pipe, `python -S`, by Spark's JVM); LOGRILL_SPARK_ROUTE=python times the
# Python-worker route instead.
# Printed per query, two tables:
# * warm: best / median wall of RUNS warm runs in one session (each query run once before),
#   the CPU (user+sys) of the whole process tree (driver, JVM, Python workers) in the best
#   run, and the ratios Spark / logrill of best wall, median wall and CPU. Target: >= 10x
#   at local[2].
# * first query: each side's query as the first thing a fresh process and SparkSession do
#   (session start not timed, page cache warm; the JVM's JIT, Spark's code generation and
#   its Python workers cold), RUNS processes per side, medians of wall and CPU.
#
#   bench/spark.sh [--mb 237] [--runs 3] [--dir /tmp/logrill-sparkbench] [--keep]
#
# Needs cargo, python3 (venv; maturin, pyspark from PyPI), Java 17 (apt-get install -y
# default-jre-headless), gzip. The inputs go in --dir and are removed at the end unless --keep.
set -euo pipefail
MB=237
RUNS=3
DIR=/tmp/logrill-sparkbench
KEEP=0
source "$(dirname "$0")/common.sh"
command -v java >/dev/null || (apt-get update -qq >/dev/null && apt-get install -y -qq default-jre-headless >/dev/null)

build_release
mkdir -p "$DIR"
if [ ! -f "$DIR/access.log" ]; then
  rm -rf "$DIR/tree"
  "$MKLOGS" "$DIR/tree" --mb "$MB" --sites 1 --combined --codecs plain > "$DIR/TRUTH.json"
  find "$DIR/tree" -name 'access-log*' -type f | sort -r | xargs cat > "$DIR/access.log"
  rm -rf "$DIR/tree"
  gzip -k -6 "$DIR/access.log"
fi
rm -rf "$DIR/index"
"$LOGRILL" index -q --index-dir "$DIR/index" "$DIR/access.log.gz"
PY="$DIR/venv/bin/python"
[ -x "$PY" ] || python3 -m venv "$DIR/venv"
"$PY" -m pip install -q --disable-pip-version-check pyspark pyarrow pandas "$ROOT/crates/logrill-py"

echo "## $(du -mL "$DIR/access.log" | cut -f1) MB combined log ($(wc -l < "$DIR/access.log") lines), gzip copy $(du -m "$DIR/access.log.gz" | cut -f1) MB (indexed); $RUNS warm runs; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| master | input | query | spark.read.text + regexp_extract: best / median wall, CPU | logrill.spark.run: best / median wall, CPU | ratio best / median / CPU |"
echo "|---|---|---|---|---|---|"
for m in "local[1]" "local[2]"; do
  "$PY" bench/spark_inprocess.py "$m" "$RUNS" "$DIR/access.log" "$DIR/access.log.gz" "$DIR/index" 2>/dev/null
done
echo
echo "## The FIRST query of a fresh session: each side in a process and SparkSession of its own (session start excluded, page cache warm; JIT, code generation and Python workers cold); median of $RUNS processes each"
echo "(the bound of any route through Spark's JVM: a job the JVM alone runs, one task a core, each piping a short string to cat, as a session's first job)"
echo "| master | input | query | spark.read.text + regexp_extract: wall, CPU | logrill.spark.run: wall, CPU | JVM-only job (bound): wall, CPU | ratio wall / CPU |"
echo "|---|---|---|---|---|---|---|"
for m in "local[1]" "local[2]"; do
  "$PY" bench/spark_inprocess.py --first-table "$m" "$RUNS" "$DIR/access.log" "$DIR/access.log.gz" "$DIR/index" 2>/dev/null
done
[ "$KEEP" = 1 ] || rm -rf "$DIR"
