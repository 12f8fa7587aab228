#!/usr/bin/env bash
# The Python package against plain Python on one file, in one run (ratios matter, not
# absolute times, on a shared machine):
#   * the seed's pipeline in Python (generators, re, rsplit) against the same pipeline
#     through the package (target: >= 10x faster);
#   * iterating the file's lines into a Python loop through the package against a bare
#     `for line in open(f, "rb")` (target: within 2x).
# Every answer is checked against the generator's ground truth (or the bare loop's count)
# before anything is timed.
#
#   bench/python.sh [--mb 150] [--runs 5] [--dir /tmp/logrill-pybench]
#
# Needs cargo, python3 (venv, pip: maturin from PyPI); installs hyperfine with apt-get.
set -euo pipefail
MB=150
RUNS=5
DIR=/tmp/logrill-pybench
source "$(dirname "$0")/common.sh"
command -v hyperfine >/dev/null || (apt-get update -qq >/dev/null && apt-get install -y -qq hyperfine >/dev/null)

cargo build --release -q -p logrill-testgen --example mklogs
mkdir -p "$DIR"
if [ ! -f "$DIR/one.log" ]; then
  # One site, plain: its rotated files, oldest first, make one file of about MB.
  rm -rf "$DIR/tree"
  "$ROOT/target/release/examples/mklogs" "$DIR/tree" --mb "$MB" --sites 1 --codecs plain > "$DIR/TRUTH.json"
  find "$DIR/tree" -name 'access-log*' -type f | sort -r | xargs cat > "$DIR/one.log"
  rm -rf "$DIR/tree"
fi
PY="$DIR/venv/bin/python"
[ -x "$PY" ] || python3 -m venv "$DIR/venv"
"$PY" -m pip install -q --disable-pip-version-check "$ROOT/crates/logrill-py"

F=$DIR/one.log
EXPECT=$(python3 -c "import json; print(json.load(open('$DIR/TRUTH.json'))['pattern_bytes'])")
PYREF=$ROOT/../shared/reference/beazley.py
[ -f "$PYREF" ] || PYREF=$ROOT/bench/beazley_seed.py
SEED_PY="$PY $PYREF robots.txt one.log $DIR"
# The seed's pipeline through the package, stage for stage (find, glob, open, lines, grep,
# field -1, sum), with the package's defaults: all cores, a big file read in pieces.
SEED_PKG="$PY -c \"import logrill; print('Total', logrill.find('$DIR').glob('one.log').open().lines().grep('robots.txt').field(-1).sum())\""
LOOP_BARE="$PY -c \"n=0
for line in open('$F', 'rb'): n += 1
print(n)\""
LOOP_BYTES="$PY -c \"import logrill
n=0
for line in logrill.files('$F').lines().options(text='bytes'): n += 1
print(n)\""
LOOP_STR="$PY -c \"import logrill
n=0
for line in logrill.files('$F').lines(): n += 1
print(n)\""

check() { # name, expected, command
  local got
  got=$(bash -c "$3" | grep -Eo '[0-9]+' | tail -1)
  [ "$got" = "$2" ] || { echo "MISMATCH: $1 printed '$got', expected $2" >&2; exit 1; }
  echo "  $1: $got ✓"
}
LINES=$(wc -l < "$F")
echo "## one file: $(du -m "$F" | cut -f1) MB, $LINES lines"
check "seed in Python" "$EXPECT" "$SEED_PY"
check "seed through logrill" "$EXPECT" "$SEED_PKG"
check "bare loop" "$LINES" "$LOOP_BARE"
check "logrill lines (bytes)" "$LINES" "$LOOP_BYTES"
check "logrill lines (str)" "$LINES" "$LOOP_STR"

hyperfine -N --warmup 1 --runs "$RUNS" --export-markdown "$DIR/seed.md" --export-json "$DIR/seed.json" \
  -n "seed in Python" "$SEED_PY" -n "seed through logrill" "$SEED_PKG" 2>/dev/null || \
hyperfine --warmup 1 --runs "$RUNS" --export-markdown "$DIR/seed.md" --export-json "$DIR/seed.json" \
  -n "seed in Python" "$SEED_PY" -n "seed through logrill" "$SEED_PKG"
hyperfine --warmup 1 --runs "$RUNS" --export-markdown "$DIR/loop.md" --export-json "$DIR/loop.json" \
  -n "for line in open(f, 'rb')" "$LOOP_BARE" \
  -n "for line in logrill (bytes)" "$LOOP_BYTES" \
  -n "for line in logrill (str)" "$LOOP_STR"
cat "$DIR/seed.md" "$DIR/loop.md"
# The ratios, from hyperfine's figures: mean wall, and CPU (user + sys) of the mean run.
python3 - "$DIR/seed.json" "$DIR/loop.json" <<'PYEOF'
import json, sys
def figures(path):
    return {r["command"]: (r["mean"], r["user"] + r["system"])
            for r in json.load(open(path))["results"]}
seed, loop = figures(sys.argv[1]), figures(sys.argv[2])
py, pkg = seed["seed in Python"], seed["seed through logrill"]
print(f"seed pipeline: logrill {py[0] / pkg[0]:.1f}x faster (wall), "
      f"{py[1] / pkg[1]:.1f}x less CPU (target >= 10x)")
bare = loop["for line in open(f, 'rb')"]
for name in ("for line in logrill (bytes)", "for line in logrill (str)"):
    w = loop[name]
    print(f"{name}: {w[0] / bare[0]:.2f}x the bare loop's wall, "
          f"{w[1] / bare[1]:.2f}x its CPU (target <= 2x)")
PYEOF
echo
echo "## in one process (CPU s, best of 5)"
"$PY" "$ROOT/bench/python_inprocess.py" "$F"
