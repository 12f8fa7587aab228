#!/usr/bin/env bash
# gzip index benchmark (issue 16): one 450 MB log as .gz from GNU gzip, decoded by ISA-L
# `igzip` (PyPI `isal`), by logrill's first read (which records the index), and by logrill
# reading through the index on 2 threads. Answers are checked against zcat|mawk first.
# Then the same log as gzip files of many members (BGZF, and `cat`-like members of very
# different sizes, made by bench/gz_members.py): their first read on one thread against
# their first read split at the members on two (no index).
# Run by bench/compare.sh at its end, or alone:
#
#   bench/gzindex.sh [--mb 450] [--runs 5] [--dir /tmp/logrill-bench]
#
# Each table prints, against its first row, the speed-up (wall) and the CPU ratio, and for
# the `-j2` row the most two idle cores could give (its CPU spread over both).
#
# Needs: cargo, python3 (a venv with `isal` is made in DIR), hyperfine, mawk, gzip, taskset
# (util-linux). The input is generated in DIR/gzindex and removed at the end.
set -euo pipefail
MB=450
RUNS=5
DIR=/tmp/logrill-bench
source "$(dirname "$0")/common.sh"
build_release
GZI=$DIR/gzindex
fresh_dir "$GZI"
one_log "$GZI" | gzip -6 > "$GZI/one.log.gz"
ONE=$GZI/one.log.gz
ISAL=$DIR/venv/bin/python
"$ISAL" -c 'import isal' 2>/dev/null || { python3 -m venv "$DIR/venv" && "$DIR/venv/bin/pip" install -q isal; }

# The first read, every time: a fresh index directory per run.
cat > "$GZI/first_read.sh" <<SH
#!/bin/sh
rm -rf "$GZI/idx-first"
LOGRILL_INDEX_DIR="$GZI/idx-first" exec "$LOGRILL" -q "\$@" "$ONE"
SH
chmod +x "$GZI/first_read.sh"
export LOGRILL_INDEX_DIR=$GZI/idx
"$LOGRILL" index "$ONE"

BYTES=$(zcat "$ONE" | wc -c)
LINES=$(zcat "$ONE" | wc -l)
SUM=$(zcat "$ONE" | mawk '{ if ($NF ~ /^[0-9]+$/) s += $NF } END { printf "%.0f\n", s }')

run() { # label, expected, then name=command pairs; the first pair is the base of the ratios
  local label=$1 expected=$2; shift 2
  echo
  echo "## $label (expected $expected)"
  local args=()
  for pair in "$@"; do
    local name=${pair%%=*} cmd=${pair#*=} got
    got=$(bash -c "$cmd" 2>/dev/null | tail -1 | tr -d ' ')
    [ "$got" = "$expected" ] || { echo "MISMATCH: $name printed '$got'" >&2; return 1; }
    args+=(-n "$name" "$cmd")
  done
  local json=$GZI/result.json
  hyperfine --style none --warmup 1 --runs "$RUNS" --export-json "$json" "${args[@]}" >/dev/null
  python3 - "$json" "$BYTES" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
size = int(sys.argv[2])
base = res[0]
cpu = lambda r: r["user"] + r["system"]
print(f"| command | median s | speed vs {base['command']} | GB/s | CPU s | CPU vs {base['command']} |")
print("|---|---:|---:|---:|---:|---:|")
for r in res:
    print(f"| {r['command']} | {r['median']:.3f} | {base['median'] / r['median']:.2f}× "
          f"| {size / r['median'] / 1e9:.2f} | {cpu(r):.3f} | {cpu(r) / cpu(base):.2f}× |")
# The most two cores can give through the index: its CPU spread evenly over both. Only
# meaningful when the first row ran on idle cores (its wall time not above its CPU time).
if base["median"] > 1.2 * cpu(base):
    print(f"\nthe machine is loaded ({base['command']}: wall {base['median']:.3f} s, CPU "
          f"{cpu(base):.3f} s): compare the CPU column; no speed-up bound")
    res = res[:1]
for r in res[1:]:
    if "-j2" in r["command"]:
        bound = base["median"] / (cpu(r) / 2)
        print(f"\nupper bound of `{r['command']}` on 2 idle cores: {base['median']:.3f} s "
              f"÷ ({cpu(r):.3f} s CPU ÷ 2) = {bound:.2f}× the first row")
PY
}

run "bare decode, one ${MB} MB file as .gz" "$LINES" \
  "igzip=$ISAL -m isal.igzip -dc $ONE | wc -l" \
  "logrill first read (records the index)=$GZI/first_read.sh count" \
  "logrill --no-index=$LOGRILL --no-index -q count $ONE" \
  "logrill through the index, -j2=$LOGRILL -j2 -q count $ONE"

# The first read decodes on one thread and runs the plan on another (two cores already);
# "one core" pins that same read to a single core, so decode and plan take turns.
run "field -1 | sum, one ${MB} MB file as .gz" "$SUM" \
  "first read=$GZI/first_read.sh 'field -1 | sum'" \
  "logrill through the index, -j2=$LOGRILL -j2 -q 'field -1 | sum' $ONE" \
  "logrill -j1 (plain decoder)=$LOGRILL -j1 -q 'field -1 | sum' $ONE" \
  "logrill -j1 on one core=taskset -c 0 $LOGRILL -j1 --no-index -q 'field -1 | sum' $ONE" \
  "zcat|mawk=zcat $ONE | mawk '{ if (\$NF ~ /^[0-9]+\$/) s += \$NF } END { printf \"%.0f\\n\", s }'"

run "field -1 | sum against one core" "$SUM" \
  "one core=taskset -c 0 $LOGRILL -j1 --no-index -q 'field -1 | sum' $ONE" \
  "logrill through the index, -j2=$LOGRILL -j2 -q 'field -1 | sum' $ONE"
echo
echo "index: $(stat -c %s "$LOGRILL_INDEX_DIR"/*.lgzi) bytes for $(stat -c %s "$ONE") compressed"

# Multi-member files: the first read, split at the members (-j2) or not (-j1).
python3 "$ROOT/bench/gz_members.py" bgzf < <(zcat "$ONE") > "$GZI/bgzf.log.gz"
python3 "$ROOT/bench/gz_members.py" cat < <(zcat "$ONE") > "$GZI/cat.log.gz"
cat > "$GZI/first_read_of.sh" <<SH
#!/bin/sh
# first_read_of.sh FILE ARGS...: a first read of FILE (a fresh index directory).
f=\$1; shift
rm -rf "$GZI/idx-first"
LOGRILL_INDEX_DIR="$GZI/idx-first" exec "$LOGRILL" -q "\$@" "\$f"
SH
chmod +x "$GZI/first_read_of.sh"
for kind in bgzf cat; do
  F=$GZI/$kind.log.gz
  run "first read of $kind.log.gz ($(stat -c %s "$F") bytes), field -1 | sum" "$SUM" \
    "one thread=$GZI/first_read_of.sh $F -j1 'field -1 | sum'" \
    "two threads, split at members=$GZI/first_read_of.sh $F -j2 'field -1 | sum'"
  run "first read of $kind.log.gz, count" "$LINES" \
    "one thread=$GZI/first_read_of.sh $F -j1 count" \
    "two threads, split at members=$GZI/first_read_of.sh $F -j2 count"
done
