#!/usr/bin/env bash
# Group-table benchmark: `parse common | count by path` over an access log with millions of
# distinct paths (bench/gen_paths.py, with its ground truth), on one file and on the same
# lines as two files, with -j1 and -j2: wall and CPU time (hyperfine) and peak memory
# (/usr/bin/time -v), reported as bytes of RSS per group beyond the key bytes. Then the
# few-groups jobs (`parse combined | count by status`, `count by host`) to show they did
# not get slower. BASE=/path/to/another/logrill adds its rows (before/after in one run).
#
#   bench/group_tables.sh [--paths 5000000] [--lines 5500000] [--runs 3] [--combined-mb 300]
#                         [--dir /tmp/logrill-groups] [--keep]
#
# Needs: cargo, python3, hyperfine, GNU time. The data (about 550 MB for 5 M paths) is
# removed at the end unless --keep.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PATHS=5000000
LINES=5500000
RUNS=3
COMBINED_MB=300
DIR=/tmp/logrill-groups
KEEP=
while [ $# -gt 0 ]; do
  case $1 in
    --paths) PATHS=$2; shift 2 ;;
    --lines) LINES=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --combined-mb) COMBINED_MB=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
for tool in hyperfine python3; do
  command -v $tool >/dev/null || { echo "needs $tool" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "needs GNU time (/usr/bin/time)" >&2; exit 2; }

cargo build --release -q -p logrill-cli -p logrill-testgen --example mklogs
LOGRILL=$ROOT/target/release/logrill
MKLOGS=$ROOT/target/release/examples/mklogs
mkdir -p "$DIR"
[ -n "$KEEP" ] || trap 'rm -rf "$DIR"' EXIT

LOG=$DIR/paths.log
if [ ! -f "$LOG.truth.json" ]; then
  python3 bench/gen_paths.py "$LOG" --paths "$PATHS" --lines "$LINES"
fi
if [ ! -f "$DIR/halves/part-2.log" ]; then
  mkdir -p "$DIR/halves"
  split -n l/2 -d -a 1 "$LOG" "$DIR/halves/part-"
  mv "$DIR/halves/part-0" "$DIR/halves/part-1.log"
  mv "$DIR/halves/part-1" "$DIR/halves/part-2.log"
fi
if [ ! -f "$DIR/combined/TRUTH.json" ]; then
  "$MKLOGS" "$DIR/combined" --mb "$COMBINED_MB" --sites 1 --codecs plain --combined > "$DIR/combined.truth"
  mv "$DIR/combined.truth" "$DIR/combined/TRUTH.json"
fi
truth() { python3 -c "import json; print(json.load(open('$LOG.truth.json'))['$1'])"; }
KEY_BYTES=$(truth key_bytes)
SAMPLE=$(truth sample_path)
SAMPLE_COUNT=$(truth sample_count)

Q='parse common | count by path'
# The answer first: one row per distinct path, and the sampled path's count.
for bin in $LOGRILL ${BASE:-}; do
  for j in 1 2; do
    out=$("$bin" -q -j$j "$Q" "$LOG" | awk -v p="$SAMPLE" '$1 == p { c = $2 } END { print NR - 1, c }')
    [ "$out" = "$PATHS $SAMPLE_COUNT" ] || { echo "wrong answer from $bin -j$j: $out" >&2; exit 1; }
  done
done

echo "## peak memory ($PATHS groups, key bytes $KEY_BYTES)"
echo "| binary | input | -j | peak RSS MB | bytes per group beyond the keys |"
echo "|---|---|---:|---:|---:|"
for bin in $LOGRILL ${BASE:-}; do
  for input in one two; do
    files=$LOG; [ $input = two ] && files="$DIR/halves/part-1.log $DIR/halves/part-2.log"
    for j in 1 2; do
      # shellcheck disable=SC2086
      kb=$(/usr/bin/time -v "$bin" -q -j$j "$Q" $files 2>&1 >/dev/null | awk '/Maximum resident/ { print $NF }')
      python3 -c "kb=$kb; print(f'| $bin | $input file(s) | $j | {kb/1024:.0f} | {(kb*1024-$KEY_BYTES)/$PATHS:.0f} |')"
    done
  done
done

echo "## time"
cmds=()
for bin in $LOGRILL ${BASE:-}; do
  cmds+=(-n "$(basename "$(dirname "$(dirname "$(dirname "$bin")")")") -j1 one file" "$bin -q -j1 '$Q' $LOG")
  cmds+=(-n "$(basename "$(dirname "$(dirname "$(dirname "$bin")")")") -j2 one file" "$bin -q -j2 '$Q' $LOG")
  cmds+=(-n "$(basename "$(dirname "$(dirname "$(dirname "$bin")")")") -j1 two files" "$bin -q -j1 '$Q' $DIR/halves/part-1.log $DIR/halves/part-2.log")
  cmds+=(-n "$(basename "$(dirname "$(dirname "$(dirname "$bin")")")") -j2 two files" "$bin -q -j2 '$Q' $DIR/halves/part-1.log $DIR/halves/part-2.log")
done
hyperfine -N --warmup 1 --runs "$RUNS" --export-markdown "$DIR/paths.md" \
  --export-json "$DIR/paths.json" "${cmds[@]}" >/dev/null
cat "$DIR/paths.md"
# This checkout's -j2 against its -j1 (the first four commands), one file and two files:
# the target is -j2 faster than -j1.
python3 - "$DIR/paths.json" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
cpu = lambda r: r["user"] + r["system"]
for what, (j1, j2) in (("one file", (res[0], res[1])), ("two files", (res[2], res[3]))):
    print(f"-j2 against -j1, {what}: {j1['median'] / j2['median']:.2f}x as fast (wall, "
          f"medians; target > 1), CPU -j2/-j1 {cpu(j2) / cpu(j1):.2f}")
PY

echo "## few groups (nothing slower)"
cmds=()
for bin in $LOGRILL ${BASE:-}; do
  for q in 'parse combined | count by status' 'parse common | count by host'; do
    f=$(find "$DIR/combined" -name 'access-log*' -type f | sort | head -1)
    [ "$q" = 'parse common | count by host' ] && f=$LOG
    cmds+=(-n "$bin -j1 $q" "$bin -q -j1 '$q' $f")
  done
done
hyperfine -N --warmup 1 --runs "$RUNS" --export-markdown "$DIR/few.md" "${cmds[@]}" >/dev/null
cat "$DIR/few.md"
