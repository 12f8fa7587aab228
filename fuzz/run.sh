#!/usr/bin/env bash
# Run every fuzz target (or those named) one after the other, each for SECONDS (default
# 600), at low priority, and print a Markdown table of the figures.
#
#   fuzz/run.sh [SECONDS] [TARGET ...]
#
# Corpora grow in fuzz/corpus/TARGET (seeded from fuzz/seeds/TARGET), crashes land in
# fuzz/artifacts/TARGET, full logs in fuzz/target/fuzz-logs. A target that crashes is
# restarted for the rest of its time, so one bug does not hide the next; the crash count
# is in the table.
set -u
cd "$(dirname "$0")"
secs=${1:-600}
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(query expr logformat scan_presets json logfmt decode)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
logs=$CARGO_TARGET_DIR/fuzz-logs
mkdir -p "$logs"

# cargo-fuzz needs a nightly compiler (-Z sanitizer flags). Use the nightly toolchain if
# rustup has one; otherwise let the stable compiler accept nightly flags.
if rustup run nightly rustc --version >/dev/null 2>&1; then
    fuzz() { cargo +nightly fuzz "$@"; }
else
    fuzz() { RUSTC_BOOTSTRAP=1 cargo fuzz "$@"; }
fi

fuzz build -O -a || exit 1
echo "| target | seconds | executions | exec/s | coverage (cov / ft) | corpus | peak RSS MB | crashes |"
echo "|---|---|---|---|---|---|---|---|"
status=0
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    start=$(date +%s)
    execs=0 crashes=0 run=0 rss=0
    while :; do
        left=$((secs - ($(date +%s) - start)))
        [ "$left" -le 0 ] && break
        run=$((run + 1))
        log=$logs/$t.$run.log
        nice -n 10 "$CARGO_TARGET_DIR"/x86_64-unknown-linux-gnu/release/"$t" \
            "corpus/$t" "seeds/$t" -artifact_prefix="artifacts/$t/" \
            -max_total_time="$left" -rss_limit_mb=2048 -timeout=60 \
            -print_final_stats=1 >"$log" 2>&1
        rc=$?
        n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
        r=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
        execs=$((execs + ${n:-0}))
        [ "${r:-0}" -gt "$rss" ] && rss=${r:-0}
        if [ $rc -ne 0 ]; then
            crashes=$((crashes + 1))
            status=1
            echo "$t: crash (exit $rc), see $log and artifacts/$t/" >&2
            grep -m1 -E "panicked|ERROR: libFuzzer|SUMMARY" "$log" >&2
            sleep 1
        fi
    done
    elapsed=$(($(date +%s) - start))
    cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$logs/$t.$run.log" | tail -1 | sed 's/cov: //; s/ ft: / \/ /')
    corp=$(ls "corpus/$t" | wc -l)
    echo "| $t | $elapsed | $execs | $((execs / (elapsed > 0 ? elapsed : 1))) | ${cov:-?} | $corp | $rss | $crashes |"
done
exit $status
