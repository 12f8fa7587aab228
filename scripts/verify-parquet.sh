#!/usr/bin/env bash
# Check logrill's Parquet output with independent readers: pyarrow and DuckDB (installed
# from PyPI into a throw-away virtualenv). For the bundled sample logs, a SQL aggregate
# over the Parquet file (and over a Hive-partitioned directory) must equal logrill's own
# aggregate over the same logs, and pyarrow must see the documented column types.
#
#   scripts/verify-parquet.sh            # builds logrill (release) and checks
#   LOGRILL=path/to/logrill scripts/verify-parquet.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/common.sh
source scripts/common.sh pyarrow duckdb

"$LOGRILL" -q --output parquet "$work/logs.parquet" 'parse common' "$LOGS" -g 'access-log*'
"$LOGRILL" -q --output parquet "$work/by-day" --partition-by day 'parse common' "$LOGS" -g 'access-log*'
# logrill's own answer, as JSON lines.
"$LOGRILL" -q --json 'parse common | count, sum bytes by status | sort status' "$LOGS" -g 'access-log*' \
  > "$work/logrill.jsonl"
"$LOGRILL" -q --json 'parse common | count by day(time) as day | sort day' "$LOGS" -g 'access-log*' \
  > "$work/logrill-days.jsonl"

"$PY" - "$work" <<'PY'
import json, sys
import duckdb, pyarrow.parquet as pq, pyarrow as pa
work = sys.argv[1]
t = pq.read_table(f"{work}/logs.parquet")
types = {f.name: f.type for f in t.schema}
assert types["status"] == pa.int64(), types
assert types["bytes"] == pa.int64(), types
assert types["time"] == pa.timestamp("us", tz="+00:00"), types
assert types["host"] == pa.string(), types
meta = pq.ParquetFile(f"{work}/logs.parquet").metadata
assert meta.row_group(0).column(0).compression == "ZSTD", meta.row_group(0).column(0)
print(f"pyarrow: {t.num_rows} rows, {meta.num_row_groups} row groups, types ok")

want = [json.loads(l) for l in open(f"{work}/logrill.jsonl")]
want = [(r["status"], r["count"], r["sum_bytes"]) for r in want]
got = duckdb.sql(f"""select status, count(*), sum(bytes) from '{work}/logs.parquet'
                     group by status order by status""").fetchall()
got = [(s, c, int(b) if b is not None else None) for s, c, b in got]
assert got == want, (got, want)
print(f"duckdb: count, sum(bytes) by status equals logrill's ({len(got)} groups)")

days = [json.loads(l) for l in open(f"{work}/logrill-days.jsonl")]
want = [(d["day"][:10], d["count"]) for d in days]
got = duckdb.sql(f"""select cast(date as varchar), count(*) from
    read_parquet('{work}/by-day/*/*.parquet', hive_partitioning = true)
    group by date order by date""").fetchall()
assert got == want, (got, want)
print(f"duckdb: hive-partitioned count by date equals logrill's ({len(got)} partitions)")
PY
echo "verify-parquet: OK"
