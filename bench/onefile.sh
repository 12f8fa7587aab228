#!/usr/bin/env bash
# One plain file on every core (issue 16): one ~150 MB log, read whole by one thread
# (`-j1`) and in pieces by two (`-j2`), against `rg | mawk`. Answers are checked first
# (every logrill run against mawk's); the table gives wall and CPU (user + system) per
# command, since on a shared machine the CPU figure is the trustworthy one.
#
#   bench/onefile.sh [--mb 150] [--runs 5] [--dir /tmp/logrill-bench]
#
# Needs: cargo, python3, hyperfine, rg, mawk. The inputs are generated in DIR/onefile and
# removed at the end.
set -euo pipefail
MB=150
RUNS=5
DIR=/tmp/logrill-bench
source "$(dirname "$0")/common.sh"
build_release
ONE=$DIR/onefile
fresh_dir "$ONE"
# Common format for the seed job, combined for `parse combined`: each tree made into one file.
one_log "$ONE" > "$ONE/common.log"
one_log "$ONE" --combined > "$ONE/combined.log"
P=robots.txt
AWK_SUM='{ if ($NF ~ /^[0-9]+$/) s += $NF } END { printf "%.0f\n", s }'

run() { # label, input, expected, then name=command pairs
  local label=$1 input=$2 expected=$3; shift 3
  echo
  echo "## $label (expected $expected)"
  local args=()
  for pair in "$@"; do
    local name=${pair%%=*} cmd=${pair#*=} got
    got=$(bash -c "$cmd" 2>/dev/null | md5sum | cut -d' ' -f1)
    [ "$got" = "$expected" ] || { echo "MISMATCH: $name" >&2; return 1; }
    args+=(-n "$name" "$cmd")
  done
  local json=$ONE/result.json
  hyperfine --style none --warmup 1 --runs "$RUNS" --export-json "$json" "${args[@]}" >/dev/null
  python3 - "$json" "$(stat -c %s "$input")" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
size = int(sys.argv[2])
base = res[0]["median"]
print("| command | median wall s | speed vs first row | GB/s | CPU s |")
print("|---|---:|---:|---:|---:|")
for r in res:
    print(f"| {r['command']} | {r['median']:.3f} | {base / r['median']:.2f}× "
          f"| {size / r['median'] / 1e9:.2f} | {r['user'] + r['system']:.3f} |")
# The first two rows are logrill -j1 and -j2: the target is -j2 at least 1.8x as fast.
j1, j2 = res[0], res[1]
cpu = lambda r: r["user"] + r["system"]
print(f"\n-j2 against -j1: {j1['median'] / j2['median']:.2f}x as fast (wall, medians; "
      f"target >= 1.8x), CPU -j2/-j1 {cpu(j2) / cpu(j1):.2f}")
PY
}

C=$ONE/common.log
SEED=$(rg -a -N -F $P "$C" | mawk "$AWK_SUM" | md5sum | cut -d' ' -f1)
run "seed job, one plain file ($(du -m --apparent-size "$C" | cut -f1) MB)" "$C" "$SEED" \
  "logrill -j1=$LOGRILL -j1 -q 'grep $P | field -1 | sum' $C" \
  "logrill -j2=$LOGRILL -j2 -q 'grep $P | field -1 | sum' $C" \
  "rg|mawk=rg -a -N -F $P $C | mawk '$AWK_SUM'"

B=$ONE/combined.log
# `count by status` as sorted "status<TAB>count" rows, from mawk and from logrill (whose
# table, piped, is tab-separated under a header line).
# mawk counts only lines with a status (the generator puts in blank and broken lines,
# which logrill counts as unparsed).
ROWS=$(mawk '$9 ~ /^[0-9][0-9][0-9]$/ { n[$9]++ } END { for (s in n) print s "\t" n[s] }' "$B" | sort | md5sum | cut -d' ' -f1)
run "parse combined | count by status, one plain file ($(du -m --apparent-size "$B" | cut -f1) MB)" "$B" "$ROWS" \
  "logrill -j1=$LOGRILL -j1 -q 'parse combined | count by status' $B | tail -n +2 | sort" \
  "logrill -j2=$LOGRILL -j2 -q 'parse combined | count by status' $B | tail -n +2 | sort" \
  "mawk \$9=mawk '\$9 ~ /^[0-9][0-9][0-9]\$/ { n[\$9]++ } END { for (s in n) print s \"\t\" n[s] }' $B | sort"
