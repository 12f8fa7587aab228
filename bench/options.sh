# shellcheck shell=bash
# What the one-input bench scripts share: sourced after the script has set its defaults in
# MB, RUNS and DIR (and KEEP=0 if it takes --keep). Moves to the checkout's root (ROOT) and
# reads the options --mb MB, --runs N, --dir DIR and, where KEEP is set, --keep.
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
