#!/usr/bin/env bash
# Latency of `follow`: from a write(2) to the line coming out of the follower.
# Paced writes (one line every 2 ms, so each one measures a wake-up, not throughput);
# median, p90, p99 and max, with change notification and with polling.
#
#   bench/follow_latency.sh            # 3000 lines with inotify, fewer when polling
#   LOGRILL_LATENCY_LINES=10000 bench/follow_latency.sh
#
# Figures go to stdout; bench/RESULTS.md has the ones measured so far.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --release -q -p logrill --test follow_latency -- \
    --ignored --exact latency_benchmark --nocapture --test-threads=1 2>&1 |
    grep -E '^(notify|poll)'
