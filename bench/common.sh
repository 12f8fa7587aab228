# shellcheck shell=bash
# What the one-input bench scripts share. Sourced after the script has set its defaults in
# MB, RUNS and DIR (and KEEP=0 if it takes --keep): moves to the checkout's root (ROOT),
# reads the options --mb MB, --runs N, --dir DIR and (where KEEP is set) --keep, and gives
# the functions below.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
while [ $# -gt 0 ]; do
  case $1 in
    --mb) MB=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    --keep) if [ -n "${KEEP+set}" ]; then KEEP=1; shift; else echo "unknown option $1" >&2; exit 2; fi ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

# The release binaries that the scripts time: LOGRILL, and MKLOGS (the log generator).
build_release() {
  cargo build --release -q -p logrill-cli -p logrill-testgen --bin logrill --example mklogs
  LOGRILL=$ROOT/target/release/logrill
  MKLOGS=$ROOT/target/release/examples/mklogs
}

# fresh_dir DIR: DIR made empty now and removed when the script ends.
fresh_dir() {
  rm -rf "$1"
  mkdir -p "$1"
  # shellcheck disable=SC2064 # the path is fixed now, on purpose
  trap "rm -rf '$1'" EXIT
}

# one_log DIR [mklogs options…]: one site's generated tree of MB megabytes, its files put
# together oldest first, on standard output (DIR/tree is made and removed).
one_log() {
  local dir=$1
  shift
  "$MKLOGS" "$dir/tree" --mb "$MB" --sites 1 --codecs plain "$@" >/dev/null
  find "$dir/tree" -name 'access-log*' -type f | sort | xargs cat
  rm -rf "$dir/tree"
}
