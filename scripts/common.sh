# Shared set-up of the scripts that check logrill's output with outside readers
# (verify-parquet.sh, spark-demo.sh): sourced, not run.
#
# After `source scripts/common.sh MODULE...` from the repository root:
#   LOGS     the bundled sample logs
#   work     a temporary directory, removed on exit
#   LOGRILL  the logrill binary ($LOGRILL if set, else a fresh release build)
#   PY       a Python that imports every MODULE (python3, or a throw-away virtualenv
#            with the PyPI packages of the same names installed)
LOGS=examples/logs
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ -z "${LOGRILL:-}" ]; then
  cargo build --release -q -p logrill-cli --features columnar
  LOGRILL="${CARGO_TARGET_DIR:-target}/release/logrill"
fi
PY=python3
if ! $PY -c "import $(IFS=,; echo "$*")" 2>/dev/null; then
  $PY -m venv "$work/venv" && PY="$work/venv/bin/python"
  "$PY" -m pip install -q "$@"
fi
