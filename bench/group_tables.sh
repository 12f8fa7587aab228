#!/usr/bin/env bash
# Group-table benchmark: `parse common | count by path` over an access log with millions of
# distinct paths (bench/gen_paths.py, with its ground truth), on one file and on the same
# lines as two files, with -j1 and -j2: wall and CPU time (hyperfine) and peak memory
# (/usr/bin/time -v), reported as bytes of RSS per group beyond the key bytes. The paths
# are long keys (about 35 bytes, in the table's arena); the same again with millions of
# short paths (8 bytes, `--short`: keys held in the table's slots). Then the few-groups
# jobs (`parse combined | count by status`, `count by host`, JSON `count by level` from
# bench/gen_applogs.py) to show they did not get slower. BASE=/path/to/another/logrill adds
# its rows (before/after in one run).
#
#   bench/group_tables.sh [--paths 5000000] [--lines 5500000] [--runs 3] [--combined-mb 300]
#                         [--dir /tmp/logrill-groups] [--keep] [--no-long] [--no-short]
#
# Needs: cargo, python3, hyperfine, GNU time. The data (about 600 MB at most at a time for
# 5 M paths) is removed as each case ends unless --keep.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PATHS=5000000
LINES=5500000
RUNS=3
COMBINED_MB=300
DIR=/tmp/logrill-groups
KEEP=
LONG=1
SHORT=1
while [ $# -gt 0 ]; do
  case $1 in
    --paths) PATHS=$2; shift 2 ;;
    --lines) LINES=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --combined-mb) COMBINED_MB=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --no-long) LONG=; shift ;;
    --no-short) SHORT=; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
for tool in hyperfine python3; do
  command -v $tool >/dev/null || { echo "needs $tool" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "needs GNU time (/usr/bin/time)" >&2; exit 2; }

# Two builds: with --example, cargo builds only the example, not logrill-cli's binary.
cargo build --release -q -p logrill-cli
cargo build --release -q -p logrill-testgen --example mklogs
LOGRILL=$ROOT/target/release/logrill
MKLOGS=$ROOT/target/release/examples/mklogs
mkdir -p "$DIR"
[ -n "$KEEP" ] || trap 'rm -rf "$DIR"' EXIT

# With BASE, this checkout against it, command by command (wall medians and CPU: user +
# sys), from hyperfine's JSON at $1 whose first $2 results are this checkout's and the next
# $2 BASE's; nothing without BASE.
base_against_this() {
  python3 - "$1" "$2" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
n = int(sys.argv[2])
cpu = lambda r: r["user"] + r["system"]
if len(res) == 2 * n:
    for new, old in zip(res[:n], res[n:]):
        print(f"{new['command']}: base/this wall {old['median'] / new['median']:.2f}x, "
              f"CPU {cpu(old) / cpu(new):.2f}x")
PY
}

# One case of many groups: NAME, then gen_paths.py's options for its log.
many_groups() {
  local name=$1; shift
  local log=$DIR/$name.log
  if [ ! -f "$log.truth.json" ]; then
    python3 bench/gen_paths.py "$log" --paths "$PATHS" --lines "$LINES" "$@"
  fi
  if [ ! -f "$DIR/$name-halves/part-2.log" ]; then
    mkdir -p "$DIR/$name-halves"
    split -n l/2 -d -a 1 "$log" "$DIR/$name-halves/part-"
    mv "$DIR/$name-halves/part-0" "$DIR/$name-halves/part-1.log"
    mv "$DIR/$name-halves/part-1" "$DIR/$name-halves/part-2.log"
  fi
  local halves="$DIR/$name-halves/part-1.log $DIR/$name-halves/part-2.log"
  truth() { python3 -c "import json; print(json.load(open('$log.truth.json'))['$1'])"; }
  local key_bytes sample sample_count
  key_bytes=$(truth key_bytes)
  sample=$(truth sample_path)
  sample_count=$(truth sample_count)

  # The answer first: one row per distinct path, and the sampled path's count.
  for bin in $LOGRILL ${BASE:-}; do
    for j in 1 2; do
      out=$("$bin" -q -j$j "$Q" "$log" | awk -v p="$sample" '$1 == p { c = $2 } END { print NR - 1, c }')
      [ "$out" = "$PATHS $sample_count" ] || { echo "wrong answer from $bin -j$j ($name): $out" >&2; exit 1; }
    done
  done

  echo "## $name paths: peak memory ($PATHS groups, key bytes $key_bytes)"
  echo "| binary | input | -j | peak RSS MB | bytes per group beyond the keys |"
  echo "|---|---|---:|---:|---:|"
  for bin in $LOGRILL ${BASE:-}; do
    for input in one two; do
      files=$log; [ $input = two ] && files=$halves
      for j in 1 2; do
        # shellcheck disable=SC2086
        kb=$(/usr/bin/time -v "$bin" -q -j$j "$Q" $files 2>&1 >/dev/null | awk '/Maximum resident/ { print $NF }')
        python3 -c "kb=$kb; print(f'| $bin | $input file(s) | $j | {kb/1024:.0f} | {(kb*1024-$key_bytes)/$PATHS:.0f} |')"
      done
    done
  done

  echo "## $name paths: time"
  cmds=()
  for bin in $LOGRILL ${BASE:-}; do
    local tag=this
    [ "$bin" = "$LOGRILL" ] || tag=base
    cmds+=(-n "$tag -j1 one file" "$bin -q -j1 '$Q' $log")
    cmds+=(-n "$tag -j2 one file" "$bin -q -j2 '$Q' $log")
    cmds+=(-n "$tag -j1 two files" "$bin -q -j1 '$Q' $halves")
    cmds+=(-n "$tag -j2 two files" "$bin -q -j2 '$Q' $halves")
  done
  hyperfine -N --warmup 1 --runs "$RUNS" --export-markdown "$DIR/$name.md" \
    --export-json "$DIR/$name.json" "${cmds[@]}" >/dev/null
  cat "$DIR/$name.md"
  # This checkout's -j2 against its -j1 (the first four commands), one file and two files:
  # the target is -j2 faster than -j1; with BASE, this checkout against it, command by
  # command (CPU: user + sys).
  python3 - "$DIR/$name.json" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
cpu = lambda r: r["user"] + r["system"]
for what, (j1, j2) in (("one file", (res[0], res[1])), ("two files", (res[2], res[3]))):
    print(f"-j2 against -j1, {what}: {j1['median'] / j2['median']:.2f}x as fast (wall, "
          f"medians; target > 1), CPU -j2/-j1 {cpu(j2) / cpu(j1):.2f}")
PY
  base_against_this "$DIR/$name.json" 4
  [ -n "$KEEP" ] || rm -rf "$log" "$log.truth.json" "$DIR/$name-halves"
}

Q='parse common | count by path'
[ -z "$LONG" ] || many_groups long
[ -z "$SHORT" ] || many_groups short --short

echo "## few groups (nothing slower)"
if [ ! -f "$DIR/combined/TRUTH.json" ]; then
  "$MKLOGS" "$DIR/combined" --mb "$COMBINED_MB" --sites 1 --codecs plain --combined > "$DIR/combined.truth"
  mv "$DIR/combined.truth" "$DIR/combined/TRUTH.json"
fi
[ -f "$DIR/app/app.jsonl" ] || python3 bench/gen_applogs.py "$DIR/app" >/dev/null
combined=$(find "$DIR/combined" -name 'access-log*' -type f | sort | head -1)
cmds=()
for bin in $LOGRILL ${BASE:-}; do
  tag=this
  [ "$bin" = "$LOGRILL" ] || tag=base
  for j in 1 2; do
    cmds+=(-n "$tag -j$j count by status" "$bin -q -j$j 'parse combined | count by status' $combined")
    cmds+=(-n "$tag -j$j count by host" "$bin -q -j$j 'parse combined | count by host' $combined")
    cmds+=(-n "$tag -j$j JSON count by level" "$bin -q -j$j 'parse json | count by level' $DIR/app/app.jsonl")
  done
done
hyperfine -N --warmup 1 --runs "$RUNS" --export-markdown "$DIR/few.md" \
  --export-json "$DIR/few.json" "${cmds[@]}" >/dev/null
cat "$DIR/few.md"
base_against_this "$DIR/few.json" 6
