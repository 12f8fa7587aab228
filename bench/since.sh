#!/usr/bin/env bash
# --since over one big time-sorted plain log: how many bytes a `--since 1h` run reads, and
# its time against a full scan computing the same answer (`where time >= …` over the
# whole file). Every answer is checked against the generator's count first.
#
#   bench/since.sh [--gb 2] [--hours 48] [--runs 3] [--dir /tmp/logrill-since] [--keep]
#
# The log (common format, 1 to 3 lines a second stamped up to 30 s before they are written,
# as Apache does) ends now, so `--since 1h` is its last hour. Bytes read are counted twice:
# by logrill's own notice, and independently by strace (the sum of what every read and
# pread64 call returned). The directory is removed at the end (unless --keep).
#
# Following: `-F --from-start --since 1h --exit-on-idle 1s` over the same log enters it by
# the same binary search and then follows it (it ends after 1 s without a new line); its
# answer is checked, its bytes read counted the same two ways, and it is timed against
# the same follow reading the whole file (`--time-margin 100000h` puts the search's target
# before the file's first line, so the file is read from its start and filtered).
# Needs: cargo, python3, hyperfine, strace.
set -euo pipefail
cd "$(dirname "$0")/.."
GB=2
HOURS=48
RUNS=3
DIR=/tmp/logrill-since
KEEP=
while [ $# -gt 0 ]; do
  case $1 in
    --gb) GB=$2; shift 2 ;;
    --hours) HOURS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
cargo build --release -q -p logrill-cli
BIN=$PWD/target/release/logrill
mkdir -p "$DIR"
[ -n "$KEEP" ] || trap 'rm -rf "$DIR"' EXIT
LOG=$DIR/access.log
NOW=$(date +%s)
# Writes the log and prints the number of lines stamped in the last hour (the answer).
EXPECTED=$(python3 - "$LOG" "$GB" "$HOURS" "$NOW" <<'PY'
import sys, time
path, gb, hours, now = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
target = int(gb * 1e9)
start = now - hours * 3600
line_len = 120
per_sec = max(1, target // line_len // (hours * 3600))
since = now - 3600
cache = {}
def stamp(t):
    s = cache.get(t)
    if s is None:
        if len(cache) > 100:
            cache.clear()
        s = cache[t] = time.strftime('%d/%b/%Y:%H:%M:%S +0000', time.gmtime(t))
    return s
pad = 'x' * 40
n_in = 0
with open(path, 'w', buffering=1 << 22) as f:
    t = start
    i = 0
    while t < now:
        block = []
        for k in range(per_sec):
            i += 1
            ts = t - (i * 7919 % 31)
            if ts >= since:
                n_in += 1
            block.append('10.%d.%d.%d - - [%s] "GET /%s/%d HTTP/1.1" %d %d\n' % (
                i % 200, i % 250, i % 7, stamp(ts), pad, i, (200, 304, 404, 500)[i % 4], i % 9000))
        f.write(''.join(block))
        t += 1
print(n_in)
PY
)
SIZE=$(stat -c %s "$LOG")
SINCE_ABS=$(date -u -d "@$((NOW - 3600))" +%Y-%m-%dT%H:%M:%SZ)
echo "log: $SIZE bytes, $HOURS hours; lines in the last hour: $EXPECTED"

# Check the answers (absolute bound, so that the check does not depend on when it runs).
got=$("$BIN" -q --since "$SINCE_ABS" 'count' "$LOG")
full=$("$BIN" -q "parse common | where time >= \"$SINCE_ABS\" | count" "$LOG")
[ "$got" = "$EXPECTED" ] && [ "$full" = "$EXPECTED" ] || { echo "wrong answer: --since $got, where $full, expected $EXPECTED" >&2; exit 1; }

echo "bytes read, logrill's notice:"
"$BIN" --since "$SINCE_ABS" 'count' "$LOG" 2>&1 >/dev/null | grep 'time range'
# Sums what every read and pread64 call of a run returned (strace's log in $1).
strace_bytes() {
  python3 - "$1" "$SIZE" <<'PY'
import re, sys
total = 0
for line in open(sys.argv[1]):
    # A call interrupted by another thread's is logged in two parts: its result is on
    # the `<... pread64 resumed>` line.
    m = re.search(r'= (\d+)$', line.strip())
    if m and re.search(r'\bp?read(64)?\(|<\.\.\. p?read(64)? resumed>', line):
        total += int(m.group(1))
size = int(sys.argv[2])
print(f"  {total} of {size} bytes = {100 * total / size:.2f}% (includes the binary's own small reads)")
PY
}
echo "bytes read, strace (sum of read/pread64 results):"
strace -f -qq -e trace=read,pread64 -o "$DIR/strace.txt" "$BIN" -q --since "$SINCE_ABS" 'count' "$LOG" >/dev/null
strace_bytes "$DIR/strace.txt"

echo "following: -F --from-start --since (1 s idle exit)"
FOLLOW=(-F --from-start --exit-on-idle 1s --since "$SINCE_ABS")
# (Following prints the count as it goes, then the final one: the last line.)
got=$("$BIN" -q "${FOLLOW[@]}" 'count' "$LOG" | tail -n 1)
[ "$got" = "$EXPECTED" ] || { echo "wrong answer following: $got, expected $EXPECTED" >&2; exit 1; }
echo "bytes read, logrill's notice:"
"$BIN" "${FOLLOW[@]}" 'count' "$LOG" 2>&1 >/dev/null | grep 'time range'
echo "bytes read, strace (sum of read/pread64 results):"
strace -f -qq -e trace=read,pread64 -o "$DIR/strace-follow.txt" "$BIN" -q "${FOLLOW[@]}" 'count' "$LOG" >/dev/null
strace_bytes "$DIR/strace-follow.txt"

hyperfine -N -w 1 -r "$RUNS" \
  -n "since 1h: count" "$BIN -q --since 1h count $LOG" \
  -n "since 1h: parse common | count by status" "$BIN -q --since 1h 'parse common | count by status' $LOG" \
  -n "full scan: where time >= … | count by status" "$BIN -q 'parse common | where time >= \"$SINCE_ABS\" | count by status' $LOG"

hyperfine -N -w 1 -r "$RUNS" \
  -n "follow --from-start --since 1h (1 s idle exit)" "$BIN -q -F --from-start --exit-on-idle 1s --since 1h count $LOG" \
  -n "follow --from-start --since 1h, whole file read (1 s idle exit)" "$BIN -q -F --from-start --exit-on-idle 1s --since 1h --time-margin 100000h count $LOG"
