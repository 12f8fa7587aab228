//! `--output parquet|arrow FILE` and `--partition-by`: the files are read back with the
//! `parquet` and `arrow` crates and every value is checked against what this file wrote
//! into the logs (never against logrill's own printing, except where the point is that
//! both agree).
#![cfg(feature = "columnar")]

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, TimestampMicrosecondType};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use tempfile::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_logrill");
/// 2023-10-01T00:00:00Z.
const BASE: i64 = 1_696_118_400;
const N: i64 = 50;

/// One generated line and what it holds.
struct Line {
    host: String,
    user: Option<String>,
    /// The instant, in seconds since the epoch (UTC).
    utc: i64,
    path: String,
    status: i64,
    bytes: Option<i64>,
}

fn lines() -> Vec<Line> {
    (0..N)
        .map(|i| Line {
            host: format!("10.0.0.{}", i % 7),
            user: (i % 3 != 0).then(|| format!("u{i}")),
            utc: BASE + i * 5400,
            path: format!("/p{i}"),
            status: [200, 404, 500][(i % 3) as usize],
            bytes: (i % 5 != 0).then_some(i * 10),
        })
        .collect()
}

/// Common log format; every other line written at +0200.
fn render(l: &Line, i: usize) -> String {
    let offset = if i.is_multiple_of(2) { 0 } else { 7200 };
    let local = l.utc + offset - BASE;
    let (day, sod) = (1 + local / 86400, local % 86400);
    format!(
        "{} - {} [{:02}/Oct/2023:{:02}:{:02}:{:02} {}] \"GET {} HTTP/1.1\" {} {}\n",
        l.host,
        l.user.as_deref().unwrap_or("-"),
        day,
        sod / 3600,
        sod % 3600 / 60,
        sod % 60,
        if offset == 0 { "+0000" } else { "+0200" },
        l.path,
        l.status,
        l.bytes.map_or("-".to_string(), |b| b.to_string()),
    )
}

fn write_log(dir: &Path) -> PathBuf {
    let text: String = lines()
        .iter()
        .enumerate()
        .map(|(i, l)| render(l, i))
        .collect();
    let path = dir.join("access.log");
    fs::write(&path, text).unwrap();
    path
}

fn logrill(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn read_parquet(path: &Path) -> (Vec<RecordBatch>, parquet::file::metadata::ParquetMetaData) {
    let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap()).unwrap();
    let meta = builder.metadata().as_ref().clone();
    let batches = builder.build().unwrap().map(Result::unwrap).collect();
    (batches, meta)
}

/// All batches as one.
fn concat(batches: &[RecordBatch]) -> RecordBatch {
    let schema = batches[0].schema();
    let columns = (0..schema.fields().len())
        .map(|c| {
            let parts: Vec<&dyn Array> = batches.iter().map(|b| b.column(c).as_ref()).collect();
            concat_arrays(&parts)
        })
        .collect();
    RecordBatch::try_new(schema, columns).unwrap()
}

fn concat_arrays(parts: &[&dyn Array]) -> arrow_array::ArrayRef {
    // Re-build by type: enough for the types these tests read.
    use arrow_array::builder::*;
    use std::sync::Arc;
    match parts[0].data_type() {
        DataType::Int64 => {
            let mut b = Int64Builder::new();
            for p in parts {
                b.extend(p.as_primitive::<Int64Type>().iter());
            }
            Arc::new(b.finish())
        }
        DataType::Timestamp(_, tz) => {
            let mut b = TimestampMicrosecondBuilder::new();
            for p in parts {
                b.extend(p.as_primitive::<TimestampMicrosecondType>().iter());
            }
            Arc::new(b.finish().with_timezone_opt(tz.clone()))
        }
        DataType::Utf8 => {
            let mut b = StringBuilder::new();
            for p in parts {
                b.extend(p.as_string::<i32>().iter());
            }
            Arc::new(b.finish())
        }
        DataType::Binary => {
            let mut b = BinaryBuilder::new();
            for p in parts {
                b.extend(p.as_binary::<i32>().iter());
            }
            Arc::new(b.finish())
        }
        other => panic!("test cannot concatenate {other}"),
    }
}

fn ints(batch: &RecordBatch, name: &str) -> Vec<Option<i64>> {
    batch
        .column_by_name(name)
        .unwrap()
        .as_primitive::<Int64Type>()
        .iter()
        .collect()
}

fn strings(batch: &RecordBatch, name: &str) -> Vec<Option<String>> {
    let c = batch.column_by_name(name).unwrap();
    c.as_string::<i32>()
        .iter()
        .map(|s| s.map(str::to_string))
        .collect()
}

fn times(batch: &RecordBatch, name: &str) -> Vec<Option<i64>> {
    batch
        .column_by_name(name)
        .unwrap()
        .as_primitive::<TimestampMicrosecondType>()
        .iter()
        .collect()
}

/// Every column of the generated log, checked value by value.
fn check_all(batch: &RecordBatch) {
    let want = lines();
    assert_eq!(batch.num_rows(), want.len());
    let schema = batch.schema();
    let ty = |n: &str| schema.field_with_name(n).unwrap().data_type().clone();
    assert_eq!(ty("status"), DataType::Int64);
    assert_eq!(ty("bytes"), DataType::Int64);
    assert_eq!(ty("host"), DataType::Utf8);
    assert_eq!(
        ty("time"),
        DataType::Timestamp(TimeUnit::Microsecond, Some("+00:00".into()))
    );
    let (host, user, time, path, status, bytes) = (
        strings(batch, "host"),
        strings(batch, "user"),
        times(batch, "time"),
        strings(batch, "path"),
        ints(batch, "status"),
        ints(batch, "bytes"),
    );
    for (i, l) in want.iter().enumerate() {
        assert_eq!(host[i].as_deref(), Some(l.host.as_str()), "host row {i}");
        assert_eq!(user[i], l.user, "user row {i}");
        assert_eq!(time[i], Some(l.utc * 1_000_000), "time row {i}");
        assert_eq!(path[i].as_deref(), Some(l.path.as_str()), "path row {i}");
        assert_eq!(status[i], Some(l.status), "status row {i}");
        assert_eq!(bytes[i], l.bytes, "bytes row {i}");
    }
    assert_eq!(strings(batch, "ident"), vec![None; want.len()]);
}

#[test]
fn parquet_holds_every_value_in_row_groups_with_zstd() {
    let dir = TempDir::new().unwrap();
    let log = write_log(dir.path());
    let out = dir.path().join("out.parquet");
    let (code, _, err) = logrill(&[
        "--output",
        "parquet",
        out.to_str().unwrap(),
        "--row-group-rows",
        "7",
        "parse common",
        log.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("wrote 50 rows in 8 row groups"), "{err}");
    let (batches, meta) = read_parquet(&out);
    assert_eq!(meta.num_row_groups(), 8);
    assert!(meta.row_groups().iter().all(|rg| rg.num_rows() <= 7));
    assert!(matches!(
        meta.row_group(0).column(0).compression(),
        Compression::ZSTD(_)
    ));
    check_all(&concat(&batches));
}

#[test]
fn arrow_ipc_holds_every_value() {
    let dir = TempDir::new().unwrap();
    let log = write_log(dir.path());
    let out = dir.path().join("out.arrow");
    let (code, _, err) = logrill(&[
        "--output",
        "arrow",
        out.to_str().unwrap(),
        "parse common",
        log.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let reader = arrow_ipc::reader::FileReader::try_new(File::open(&out).unwrap(), None).unwrap();
    let batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
    check_all(&concat(&batches));
}

fn part_files(root: &Path) -> BTreeMap<String, Vec<PathBuf>> {
    let mut out: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.parent().unwrap().strip_prefix(root).unwrap();
                out.entry(rel.to_string_lossy().into_owned())
                    .or_default()
                    .push(p);
            }
        }
    }
    out
}

#[test]
fn partition_by_day_and_hour_is_hive_layout_in_utc() {
    let dir = TempDir::new().unwrap();
    let log = write_log(dir.path());
    for by in ["day", "hour"] {
        let out = dir.path().join(format!("by-{by}"));
        let (code, _, err) = logrill(&[
            "--output",
            "parquet",
            out.to_str().unwrap(),
            "--partition-by",
            by,
            "parse common",
            log.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{err}");
        // What each partition must hold, from the generator.
        let mut want: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        for l in lines() {
            let s = l.utc - BASE;
            let key = match by {
                "day" => format!("date=2023-10-{:02}", 1 + s / 86400),
                _ => format!(
                    "date=2023-10-{:02}/hour={:02}",
                    1 + s / 86400,
                    s % 86400 / 3600
                ),
            };
            want.entry(key).or_default().push(l.utc * 1_000_000);
        }
        let parts = part_files(&out);
        assert_eq!(
            parts.keys().cloned().collect::<Vec<_>>(),
            want.keys().cloned().collect::<Vec<_>>()
        );
        for (key, files) in parts {
            let mut got = Vec::new();
            for f in files {
                assert!(f.to_string_lossy().ends_with(".parquet"));
                let (batches, _) = read_parquet(&f);
                for b in &batches {
                    got.extend(times(b, "time").into_iter().map(Option::unwrap));
                }
            }
            got.sort();
            assert_eq!(got, want[&key], "{key}");
        }
    }
}

#[test]
fn aggregate_table_equals_printed_table() {
    let dir = TempDir::new().unwrap();
    let log = write_log(dir.path());
    let out = dir.path().join("agg.parquet");
    let pipeline = "parse common | count, sum bytes by status | sort status";
    let (code, _, err) = logrill(&[
        "-q",
        "--output",
        "parquet",
        out.to_str().unwrap(),
        pipeline,
        log.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let batch = concat(&read_parquet(&out).0);
    // From the generator.
    let mut want: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for l in lines() {
        let e = want.entry(l.status).or_default();
        e.0 += 1;
        e.1 += l.bytes.unwrap_or(0);
    }
    let got: Vec<(i64, i64, i64)> = ints(&batch, "status")
        .into_iter()
        .zip(ints(&batch, "count"))
        .zip(ints(&batch, "sum_bytes"))
        .map(|((s, c), b)| (s.unwrap(), c.unwrap(), b.unwrap()))
        .collect();
    let want: Vec<(i64, i64, i64)> = want.into_iter().map(|(s, (c, b))| (s, c, b)).collect();
    assert_eq!(got, want);
}

#[test]
fn non_utf8_is_binary_mixed_is_utf8_late_misfits_are_null() {
    let dir = TempDir::new().unwrap();
    let log = dir.path().join("raw.log");
    let mut text = Vec::new();
    text.extend_from_slice(
        b"1.2.3.4 - - [01/Oct/2023:00:00:00 +0000] \"GET /caf\xe9 HTTP/1.1\" 200 5\n",
    );
    text.extend_from_slice(
        b"1.2.3.4 - - [01/Oct/2023:00:00:01 +0000] \"GET /ok HTTP/1.1\" 200 6\n",
    );
    fs::write(&log, &text).unwrap();
    let out = dir.path().join("raw.parquet");
    let (code, _, err) = logrill(&[
        "--output",
        "parquet",
        out.to_str().unwrap(),
        "parse common",
        log.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let batch = concat(&read_parquet(&out).0);
    let path = batch.column_by_name("path").unwrap();
    assert_eq!(path.data_type(), &DataType::Binary);
    let got: Vec<&[u8]> = path.as_binary::<i32>().iter().map(Option::unwrap).collect();
    assert_eq!(got, vec![&b"/caf\xe9"[..], b"/ok"]);

    // JSON: `a` mixes types in the first row group (a string column), `n` is an integer
    // there and a string later (null, reported), `late` appears after (dropped, reported).
    let log = dir.path().join("mixed.json");
    fs::write(
        &log,
        "{\"a\":1,\"n\":1}\n{\"a\":\"x\",\"n\":2}\n{\"a\":true,\"n\":\"three\",\"late\":1}\n",
    )
    .unwrap();
    let out = dir.path().join("mixed.parquet");
    let (code, _, err) = logrill(&[
        "--output",
        "parquet",
        out.to_str().unwrap(),
        "--row-group-rows",
        "2",
        "parse json",
        log.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("column `n`: 1 value of another type"), "{err}");
    assert!(err.contains("field `late`"), "{err}");
    let batch = concat(&read_parquet(&out).0);
    assert_eq!(batch.schema().fields().len(), 2);
    assert_eq!(
        strings(&batch, "a"),
        vec![Some("1".into()), Some("x".into()), Some("true".into())]
    );
    assert_eq!(ints(&batch, "n"), vec![Some(1), Some(2), None]);
}

#[test]
fn values_and_errors() {
    let dir = TempDir::new().unwrap();
    let log = write_log(dir.path());
    let l = log.to_str().unwrap();
    // A pipeline of values: file, line, value.
    let out = dir.path().join("v.parquet");
    let (code, _, err) = logrill(&[
        "--output",
        "parquet",
        out.to_str().unwrap(),
        "grep p7 | field 1",
        l,
    ]);
    assert_eq!(code, 0, "{err}");
    let batch = concat(&read_parquet(&out).0);
    assert_eq!(strings(&batch, "value"), vec![Some("10.0.0.0".to_string())]);
    assert_eq!(ints(&batch, "line"), vec![Some(8)]);
    // Partitioning needs a time field.
    let out = dir.path().join("p");
    let (code, _, err) = logrill(&[
        "--output",
        "parquet",
        out.to_str().unwrap(),
        "--partition-by",
        "day",
        "field 1",
        l,
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--partition-by needs a field holding times"),
        "{err}"
    );
    // tee is refused before reading; an unknown format too.
    let (code, _, err) = logrill(&["--output", "parquet", "x.parquet", "tee (count) (count)", l]);
    assert_eq!(code, 2);
    assert!(err.contains("tee"), "{err}");
    let (code, _, err) = logrill(&["--output", "orc", "x.orc", "count", l]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown output format"), "{err}");
}
