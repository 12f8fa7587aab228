#!/usr/bin/env bash
# Peer benchmark: logrill against the Python reference pipeline, zcat|grep|mawk and
# rg|mawk on the same generated data, in one run (ratios, not absolute times, are what
# matter on a shared machine). Every tool's answer is checked against the generator's
# ground truth before anything is timed.
#
#   bench/compare.sh [--mb 500] [--runs 5] [--dir /tmp/logrill-bench] [--quick]
#                    [--app-lines 1500000] [--applogs-only]
#
# The last section (JSON lines and logfmt, against DuckDB and ClickHouse's chdb from PyPI,
# installed into a venv in the bench directory) runs alone with --applogs-only.
#
# Needs: cargo, python3; installs hyperfine, ripgrep, mawk, zstd, xz-utils with apt-get
# when they are missing. The Python reference is ../shared/reference/beazley.py when that
# file exists (it is not part of this repository); otherwise the seed's pipeline is
# written out to the bench directory from bench/beazley_seed.py.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
MB=500
RUNS=5
DIR=/tmp/logrill-bench
APP_LINES=1500000
APPLOGS_ONLY=
while [ $# -gt 0 ]; do
  case $1 in
    --mb) MB=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    --quick) MB=60; RUNS=3; APP_LINES=300000; shift ;;
    --app-lines) APP_LINES=$2; shift 2 ;;
    --applogs-only) APPLOGS_ONLY=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

need=()
for tool in hyperfine rg mawk zstd xz; do command -v $tool >/dev/null || need+=($tool); done
if [ ${#need[@]} -gt 0 ]; then
  pkgs=$(printf '%s\n' "${need[@]}" | sed 's/^rg$/ripgrep/; s/^xz$/xz-utils/' | tr '\n' ' ')
  echo "installing: $pkgs" >&2
  apt-get update -qq >/dev/null && apt-get install -y -qq $pkgs >/dev/null
fi

if [ -z "$APPLOGS_ONLY" ]; then
  cargo build --release -q -p logrill-cli -p logrill-testgen --example mklogs
  cargo build --release -q -p logrill --example gunzip_raw
else
  cargo build --release -q -p logrill-cli
fi
LOGRILL=$ROOT/target/release/logrill
MKLOGS=$ROOT/target/release/examples/mklogs
GUNZIP_RAW=$ROOT/target/release/examples/gunzip_raw
PYREF=$ROOT/../shared/reference/beazley.py
[ -f "$PYREF" ] || PYREF=$ROOT/bench/beazley_seed.py

mkdir -p "$DIR"
# gzip indexes recorded by the runs stay with the bench data, not in ~/.cache.
export LOGRILL_INDEX_DIR=$DIR/index-cache
if [ -z "$APPLOGS_ONLY" ]; then
gen() { # name, codecs, sites
  local out=$DIR/$1
  if [ ! -f "$out/TRUTH.json" ]; then
    rm -rf "$out"
    "$MKLOGS" "$out" --mb "$MB" --sites "$3" --codecs "$2" > "$out.truth.tmp"
    mv "$out.truth.tmp" "$out/TRUTH.json"
  fi
}
gen plain plain 3
gen gz gzip 3
gen mixed plain,gzip,bzip2,xz,zstd 2
gen_combined() {
  local out=$DIR/combined
  if [ ! -f "$out/TRUTH.json" ]; then
    rm -rf "$out"
    "$MKLOGS" "$out" --mb "$MB" --sites 3 --codecs plain --combined > "$out.truth.tmp"
    mv "$out.truth.tmp" "$out/TRUTH.json"
  fi
}
gen_combined
SINGLE=$(find "$DIR/plain" -name 'access-log*' -type f | sort | head -1)
fi

truth() { python3 -c "import json,sys; print(json.load(open('$DIR/$1/TRUTH.json'))['$2'])"; }

# Shell peers: decompress each file by its name, as people do.
cat > "$DIR/zcat_all.sh" <<'SH'
#!/usr/bin/env bash
# usage: zcat_all.sh DIR  -> every access-log* file's text on stdout
find "$1" -name 'access-log*' -type f -print0 | sort -z | while IFS= read -r -d '' f; do
  case $f in
    *.gz) zcat -- "$f" ;; *.bz2) bzcat -- "$f" ;; *.xz) xzcat -- "$f" ;;
    *.zst) zstdcat -q -- "$f" ;; *) cat -- "$f" ;;
  esac
done
SH
chmod +x "$DIR/zcat_all.sh"
AWK_SUM='{ if ($NF ~ /^[0-9]+$/) s += $NF } END { printf "%.0f\n", s }'

job() { # label, expected, then name=command pairs
  local label=$1 expected=$2; shift 2
  echo
  echo "## $label (expected $expected)"
  local args=() ok=1
  for pair in "$@"; do
    local name=${pair%%=*} cmd=${pair#*=}
    local got
    got=$(bash -c "$cmd" 2>/dev/null | grep -Eo '[0-9]+' | tail -1)
    if [ "$got" != "$expected" ]; then
      echo "MISMATCH: $name printed '$got', expected $expected" >&2
      ok=0
    else
      echo "  $name: $got ✓"
    fi
    args+=(-n "$name" "$cmd")
  done
  [ $ok = 1 ] || { echo "answers differ: not timing $label" >&2; return 1; }
  timed "$label" 1 "${args[@]}"
}

# Time the commands with hyperfine and print the table. no_shell=1: without a shell
# first (less noise), with one if a command needs it (pipes).
timed() { # label, no_shell, then hyperfine's -n NAME COMMAND arguments
  local label=$1 no_shell=$2; shift 2
  local json
  json=$DIR/$(echo "$label" | tr -c 'a-zA-Z0-9' _).json
  if [ "$no_shell" != 1 ] \
    || ! hyperfine -N --style none --warmup 1 --runs "$RUNS" --export-json "$json" "$@" >/dev/null 2>&1; then
    hyperfine --style none --warmup 1 --runs "$RUNS" --export-json "$json" "$@" >/dev/null
  fi
  summarize "$json" "$label"
}

# A table of median times and ratios to the first command, with the rate over BYTES (the
# text read, decompressed): per wall-clock second and per CPU second (user + system: the
# rate per core, whatever the number of threads).
summarize() { # json, label
  python3 - "$1" "$2" "$BYTES" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
label, size = sys.argv[2], int(sys.argv[3])
base = res[0]["median"]
print("| job | tool | median s | vs logrill | GB/s | GB/s per CPU second |")
print("|---|---|---:|---:|---:|---:|")
for r in res:
    cpu = r["user"] + r["system"]
    print(f"| {label} | {r['command']} | {r['median']:.3f} | {r['median']/base:.2f}× "
          f"| {size/r['median']/1e9:.2f} | {size/cpu/1e9:.2f} |")
PY
}

if [ -z "$APPLOGS_ONLY" ]; then
P=robots.txt
BYTES=$(truth plain raw_bytes) job "seed job, plain tree ($MB MB, $(find $DIR/plain -name 'access-log*' | wc -l) files)" "$(truth plain pattern_bytes)" \
  "logrill=$LOGRILL -q 'grep $P | field -1 | sum' $DIR/plain -g 'access-log*'" \
  "logrill -j1=$LOGRILL -j1 -q 'grep $P | field -1 | sum' $DIR/plain -g 'access-log*'" \
  "python-reference=python3 $PYREF $P 'access-log*' $DIR/plain" \
  "cat|grep|mawk=$DIR/zcat_all.sh $DIR/plain | grep -aF $P | mawk '$AWK_SUM'" \
  "rg|mawk=rg -a -N --no-filename -F $P -g 'access-log*' $DIR/plain | mawk '$AWK_SUM'"

expected_single=$($LOGRILL -q "grep $P | field -1 | sum" "$SINGLE")
BYTES=$(stat -c %s "$SINGLE") job "seed job, one plain file ($(du -m --apparent-size "$SINGLE" | cut -f1) MB)" "$expected_single" \
  "logrill=$LOGRILL -q 'grep $P | field -1 | sum' $SINGLE" \
  "logrill -j1=$LOGRILL -j1 -q 'grep $P | field -1 | sum' $SINGLE" \
  "rg|mawk=rg -a -N -F $P $SINGLE | mawk '$AWK_SUM'" \
  "python-reference=python3 $PYREF $P '$(basename "$SINGLE")' $(dirname "$SINGLE")" \
  "grep|mawk=grep -aF $P $SINGLE | mawk '$AWK_SUM'"

BYTES=$(truth gz raw_bytes) job "seed job, gzip tree" "$(truth gz pattern_bytes)" \
  "logrill=$LOGRILL -q 'grep $P | field -1 | sum' $DIR/gz -g 'access-log*'" \
  "logrill -j1=$LOGRILL -j1 -q 'grep $P | field -1 | sum' $DIR/gz -g 'access-log*'" \
  "python-reference=python3 $PYREF $P 'access-log*' $DIR/gz" \
  "zcat|grep|mawk=$DIR/zcat_all.sh $DIR/gz | grep -aF $P | mawk '$AWK_SUM'" \
  "rg -z|mawk=rg -a -z -N --no-filename -F $P -g 'access-log*' $DIR/gz | mawk '$AWK_SUM'"

# The decoder alone, to put the seed job's .gz time against the raw decode rate: flate2
# with zlib-rs decoding every file into a buffer nothing reads, one thread
# (crates/logrill/examples/gunzip_raw.rs), against logrill -j1, whose decoding runs on its
# own thread next to the scan. The target is logrill at >= 90% of the raw decoder's rate.
GZ_FILES=$(find "$DIR/gz" -name 'access-log*' -type f | sort | tr '\n' ' ')
BYTES=$(truth gz raw_bytes) job "decode only, gzip tree" "$(truth gz raw_bytes)" \
  "raw flate2 decode=$GUNZIP_RAW $GZ_FILES" \
  "logrill seed job -j1=$LOGRILL -j1 -q 'grep $P | field -1 | sum' $DIR/gz -g 'access-log*' >/dev/null; echo $(truth gz raw_bytes)" \
  "logrill decode + scan -j1=$LOGRILL -j1 -q 'grep -F zzzzzzzz | count' $DIR/gz -g 'access-log*' >/dev/null; echo $(truth gz raw_bytes)" \
  "zcat=$DIR/zcat_all.sh $DIR/gz | wc -c"

BYTES=$(truth mixed raw_bytes) job "seed job, mixed tree (plain, gz, bz2, xz, zst)" "$(truth mixed pattern_bytes)" \
  "logrill=$LOGRILL -q 'grep $P | field -1 | sum' $DIR/mixed -g 'access-log*'" \
  "logrill -j1=$LOGRILL -j1 -q 'grep $P | field -1 | sum' $DIR/mixed -g 'access-log*'" \
  "zcat|grep|mawk=$DIR/zcat_all.sh $DIR/mixed | grep -aF $P | mawk '$AWK_SUM'"

# Parse + aggregate over combined logs, in Python: `status` prints "status count bytes"
# rows (count and bytes per status); `tee` prints "status count" rows, then "host bytes"
# rows (the issue's job: two tables in one pass). Tables are compared as sorted rows.
cat > "$DIR/parse_tables.py" <<'PY'
import os, re, sys, fnmatch
mode, top = sys.argv[1], sys.argv[2]
pat = re.compile(rb'^(\S+) (\S+) (\S+) \[([^\]]+)\] "(\S+) (\S+) (\S+)" (\d{3}) (\S+) "([^"]*)" "([^"]*)"$')
count, total, by_host = {}, {}, {}
for path, _, names in os.walk(top):
    for n in fnmatch.filter(names, "access-log*"):
        with open(os.path.join(path, n), "rb") as f:
            for line in f:
                m = pat.match(line.rstrip(b"\r\n"))
                if not m:
                    continue
                s = int(m.group(8)); b = m.group(9)
                n_bytes = int(b) if b != b"-" else 0
                count[s] = count.get(s, 0) + 1
                if mode == "status":
                    total[s] = total.get(s, 0) + n_bytes
                else:
                    h = m.group(1)
                    by_host[h] = by_host.get(h, 0) + n_bytes
out = sys.stdout.buffer
for s in sorted(count):
    if mode == "status":
        out.write(b"%d\t%d\t%d\n" % (s, count[s], total[s]))
    else:
        out.write(b"%d\t%d\n" % (s, count[s]))
for h in sorted(by_host):
    out.write(b"%s\t%d\n" % (h, by_host[h]))
PY
AWK_TABLE='$9 ~ /^[0-9][0-9][0-9]$/ { c[$9]++; if ($10 ~ /^[0-9]+$/) b[$9] += $10 } END { for (s in c) printf "%s\t%d\t%.0f\n", s, c[s], b[s] }'
table_job() { # label, then name=command pairs; every command prints rows "status count bytes"
  local label=$1; shift
  echo
  echo "## $label"
  local args=() want="" ok=1
  for pair in "$@"; do
    local name=${pair%%=*} cmd=${pair#*=}
    local got
    got=$(bash -c "$cmd" 2>/dev/null | grep -E "$ROWS" | sort | md5sum | cut -c1-12)
    [ -z "$want" ] && want=$got
    if [ "$got" != "$want" ]; then echo "MISMATCH: $name ($got, expected $want)" >&2; ok=0; else echo "  $name: table $got ✓"; fi
    args+=(-n "$name" "$cmd")
  done
  [ $ok = 1 ] || { echo "answers differ: not timing $label" >&2; return 1; }
  timed "$label" 0 "${args[@]}"
}
BYTES=$(truth combined raw_bytes)
ROWS='^[0-9]{3}\s'
table_job "parse combined + count, sum bytes by status ($MB MB)" \
  "logrill=$LOGRILL -q 'parse combined | count, sum bytes by status' $DIR/combined -g 'access-log*'" \
  "logrill -j1=$LOGRILL -j1 -q 'parse combined | count, sum bytes by status' $DIR/combined -g 'access-log*'" \
  "python=python3 $DIR/parse_tables.py status $DIR/combined" \
  "mawk=$DIR/zcat_all.sh $DIR/combined | mawk '$AWK_TABLE'"

# The issue's parse job: `count by status` and `sum bytes by host` in one pass (two
# tables; the generated logs have tens of thousands of hosts).
AWK_TEE='$9 ~ /^[0-9][0-9][0-9]$/ { c[$9]++; h[$1] += ($10 ~ /^[0-9]+$/) ? $10 : 0 } END { for (s in c) printf "%s\t%d\n", s, c[s]; for (x in h) printf "%s\t%.0f\n", x, h[x] }'
ROWS=$'^[^[:space:]]+\t[0-9]+$'
TEE_Q='parse combined | tee (count by status) (sum bytes by host)'
table_job "parse combined + count by status, sum bytes by host ($MB MB)" \
  "logrill=$LOGRILL -q '$TEE_Q' $DIR/combined -g 'access-log*'" \
  "logrill -j1=$LOGRILL -j1 -q '$TEE_Q' $DIR/combined -g 'access-log*'" \
  "python=python3 $DIR/parse_tables.py tee $DIR/combined" \
  "mawk=$DIR/zcat_all.sh $DIR/combined | mawk '$AWK_TEE'"

# One gzip file on every core through its index (issue 16): its own script.
"$ROOT/bench/gzindex.sh" --mb 450 --runs "$RUNS" --dir "$DIR"

# One plain file on every core, in pieces (issue 16): its own script.
"$ROOT/bench/onefile.sh" --mb 150 --runs "$RUNS" --dir "$DIR"
fi

# JSON lines and logfmt (issue 17): the same records (ts, level, service, msg, latency_ms,
# nested user.id/user.plan, path; bench/gen_applogs.py) as JSON lines and as logfmt, about
# 190 bytes a JSON line. Peers: DuckDB's read_json and ClickHouse's JSONEachRow (chdb), one
# thread and two, from PyPI. `--strict` rows: every byte checked (the fast path off). Every answer is checked against the generator's truth (counts
# exact, sums to 1e-9 relative) before anything is timed.
APP=$DIR/applogs
if [ ! -f "$APP/TRUTH.json" ] || [ "$(python3 -c "import json; print(json.load(open('$APP/TRUTH.json'))['lines'])" 2>/dev/null)" != "$APP_LINES" ]; then
  rm -rf "$APP"
  python3 "$ROOT/bench/gen_applogs.py" "$APP" --lines "$APP_LINES"
fi
PEERS=$DIR/peers-venv
if ! "$PEERS/bin/python" -c 'import duckdb, chdb' 2>/dev/null; then
  python3 -m venv "$PEERS"
  "$PEERS/bin/pip" install -q duckdb chdb
fi
cat > "$DIR/app_peers.py" <<'PY'
# usage: app_peers.py duckdb|chdb level|service THREADS FILE -> "key\tcount[\tsum]" rows
import sys
engine, job, threads, path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
cols = "level, count(*)" if job == "level" else "service, count(*), sum(latency_ms)"
key = job
if engine == "duckdb":
    import duckdb
    con = duckdb.connect()
    con.execute(f"SET threads={threads}")
    rows = con.execute(f"SELECT {cols} FROM read_json('{path}', format='newline_delimited') "
                       f"GROUP BY {key}").fetchall()
    for r in rows:
        print(*r, sep="\t")
else:
    import chdb
    print(chdb.query(f"SELECT {cols} FROM file('{path}', JSONEachRow) GROUP BY {key} "
                     f"SETTINGS max_threads={threads}", "TSV"), end="")
PY
cat > "$DIR/app_check.py" <<'PY'
# usage: app_check.py TRUTH level|service|lines < output; exit 1 when it is not the truth
import json, sys
truth, job = json.load(open(sys.argv[1])), sys.argv[2]
rows = [l.split("\t") for l in sys.stdin.read().splitlines()]
if job == "lines":
    ok = rows and rows[-1][-1].strip() == str(truth["lines"])
elif job == "level":
    got = {r[0]: int(r[1]) for r in rows if len(r) == 2 and r[1].isdigit()}
    ok = got == truth["count_by_level"]
else:
    want = truth["count_sum_by_service"]
    got = {r[0]: (int(r[1]), float(r[2])) for r in rows if len(r) == 3 and r[1].isdigit()}
    ok = got.keys() == want.keys() and all(
        got[k][0] == c and abs(got[k][1] - s) <= 1e-9 * abs(s) for k, (c, s) in want.items())
sys.exit(0 if ok else 1)
PY
app_job() { # label, truth job, then name=command pairs
  local label=$1 what=$2; shift 2
  echo
  echo "## $label"
  local args=() ok=1
  for pair in "$@"; do
    local name=${pair%%=*} cmd=${pair#*=}
    if bash -c "$cmd" 2>/dev/null | python3 "$DIR/app_check.py" "$APP/TRUTH.json" "$what"; then
      echo "  $name: ✓"
    else
      echo "MISMATCH: $name" >&2
      ok=0
    fi
    args+=(-n "$name" "$cmd")
  done
  [ $ok = 1 ] || { echo "answers differ: not timing $label" >&2; return 1; }
  timed "$label" 1 "${args[@]}"
}
PY_PEERS="$PEERS/bin/python $DIR/app_peers.py"
JSONL=$APP/app.jsonl
LOGFMT=$APP/app.logfmt
BYTES=$(stat -c %s "$JSONL")
app_job "parse json, count by level ($(du -m --apparent-size "$JSONL" | cut -f1) MB, $APP_LINES lines)" level \
  "logrill -j1=$LOGRILL -j1 -q 'parse json | count by level' $JSONL" \
  "logrill -j1 --strict (every byte checked)=$LOGRILL -j1 -q --strict 'parse json | count by level' $JSONL" \
  "logrill=$LOGRILL -q 'parse json | count by level' $JSONL" \
  "logrill -j1 parse auto=$LOGRILL -j1 -q 'parse auto | count by level' $JSONL" \
  "duckdb 1 thread=$PY_PEERS duckdb level 1 $JSONL" \
  "duckdb 2 threads=$PY_PEERS duckdb level 2 $JSONL" \
  "chdb 1 thread=$PY_PEERS chdb level 1 $JSONL" \
  "chdb 2 threads=$PY_PEERS chdb level 2 $JSONL"
app_job "reading and splitting the lines only; and checking every line as JSON" lines \
  "logrill -j1 count=$LOGRILL -j1 -q count $JSONL" \
  "logrill -j1 parse json, count=$LOGRILL -j1 -q 'parse json | count' $JSONL" \
  "logrill -j1 --strict parse json, count=$LOGRILL -j1 -q --strict 'parse json | count' $JSONL"
app_job "parse json, count and sum latency_ms by service" service \
  "logrill -j1=$LOGRILL -j1 -q 'parse json | count, sum latency_ms by service' $JSONL" \
  "logrill -j1 --strict=$LOGRILL -j1 -q --strict 'parse json | count, sum latency_ms by service' $JSONL" \
  "logrill=$LOGRILL -q 'parse json | count, sum latency_ms by service' $JSONL" \
  "duckdb 1 thread=$PY_PEERS duckdb service 1 $JSONL" \
  "duckdb 2 threads=$PY_PEERS duckdb service 2 $JSONL" \
  "chdb 1 thread=$PY_PEERS chdb service 1 $JSONL" \
  "chdb 2 threads=$PY_PEERS chdb service 2 $JSONL"
# logfmt: no peer reads it; the same records, against the JSON figures above. The GB/s
# columns are over the logfmt file's own size (smaller than the JSON's).
BYTES=$(stat -c %s "$LOGFMT")
app_job "parse logfmt, count by level, the same records ($(du -m --apparent-size "$LOGFMT" | cut -f1) MB)" level \
  "logrill -j1 logfmt count by level=$LOGRILL -j1 -q 'parse logfmt | count by level' $LOGFMT" \
  "logrill -j1 --strict logfmt count by level=$LOGRILL -j1 -q --strict 'parse logfmt | count by level' $LOGFMT" \
  "logrill -j1 json count by level=$LOGRILL -j1 -q 'parse json | count by level' $JSONL"
app_job "parse logfmt, count and sum latency_ms by service" service \
  "logrill -j1 logfmt=$LOGRILL -j1 -q 'parse logfmt | count, sum latency_ms by service' $LOGFMT" \
  "logrill -j1 --strict logfmt=$LOGRILL -j1 -q --strict 'parse logfmt | count, sum latency_ms by service' $LOGFMT" \
  "logrill -j1 json=$LOGRILL -j1 -q 'parse json | count, sum latency_ms by service' $JSONL"
