//! Micro-benchmarks of the hot paths, each in bytes per second over in-memory data (no
//! disk): line splitting, field extraction, grep (batch-wide and per line), parsing the
//! combined format, and decoding each codec.
//!
//! ```text
//! cargo bench -p logrill --bench micro            # all
//! cargo bench -p logrill --bench micro -- codec   # only the decoders
//! ```
//!
//! The whole-tool comparison against peers is `bench/compare.sh`; figures of both are in
//! `bench/RESULTS.md`.

use std::hint::black_box;
use std::io::{Cursor, Read};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use logrill::error::InputName;
use logrill::source::{open_reader, LineReader};
use logrill::stage::field::whitespace_field;
use logrill::stage::parse::{Parser, Preset, Record};
use logrill::stage::{Grep, GrepOptions};
use logrill_testgen::{compress, Codec, LineGen};

/// About 32 MB of common-format lines, and the same in combined format.
fn data(combined: bool) -> Vec<u8> {
    LineGen::new(7).combined(combined).text(160_000).bytes
}

fn lines(c: &mut Criterion) {
    let text = data(false);
    let mut g = c.benchmark_group("lines");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("batches", |b| {
        b.iter(|| {
            let mut r = LineReader::new(Cursor::new(&text[..]));
            let mut n = 0u64;
            while let Some(batch) = r.next_batch().unwrap() {
                n += batch.len();
            }
            black_box(n)
        })
    });
    g.bench_function("each line", |b| {
        b.iter(|| {
            let mut r = LineReader::new(Cursor::new(&text[..]));
            let mut n = 0usize;
            r.for_each_line(|l| {
                n += l.len();
                true
            })
            .unwrap();
            black_box(n)
        })
    });
    g.finish();
}

fn fields(c: &mut Criterion) {
    let text = data(false);
    let mut g = c.benchmark_group("field");
    g.throughput(Throughput::Bytes(text.len() as u64));
    for (name, index) in [("last (-1)", -1i64), ("first (1)", 1), ("ninth (9)", 9)] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut n = 0usize;
                for line in text.split(|&c| c == b'\n') {
                    if let Some(f) = whitespace_field(line, index) {
                        n += f.len();
                    }
                }
                black_box(n)
            })
        });
    }
    g.finish();
}

fn grep(c: &mut Criterion) {
    let text = data(false);
    let mut g = c.benchmark_group("grep");
    g.throughput(Throughput::Bytes(text.len() as u64));
    for pattern in ["robots.txt", "GET /blog/[0-9]+", "zzzz-never"] {
        let grep = Grep::new(pattern, GrepOptions::default()).unwrap();
        g.bench_function(format!("batch {pattern}"), |b| {
            b.iter(|| {
                let mut n = 0usize;
                grep.matching_lines(&text, |_, l| {
                    n += l.len();
                    true
                });
                black_box(n)
            })
        });
        g.bench_function(format!("per line {pattern}"), |b| {
            b.iter(|| {
                let n = text
                    .split(|&c| c == b'\n')
                    .filter(|l| grep.keeps(l))
                    .count();
                black_box(n)
            })
        });
    }
    g.finish();
}

fn parse(c: &mut Criterion) {
    let text = data(true);
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.sample_size(10);
    // Every field, and a projection to the one field `count by status` reads.
    for (label, only) in [
        ("combined, all fields", None),
        ("combined, status only", Some("status")),
    ] {
        let mut parser = Parser::preset(Preset::Combined);
        if let Some(field) = only {
            let key = parser.resolve(field);
            parser.project(&[key]);
        }
        g.bench_function(label, |b| {
            b.iter(|| {
                let mut rec = Record::new();
                let mut ok = 0usize;
                for line in text.split(|&c| c == b'\n') {
                    ok += usize::from(parser.parse(line, &mut rec).is_ok());
                }
                black_box(ok)
            })
        });
    }
    g.finish();
}

fn codecs(c: &mut Criterion) {
    let text = data(false);
    let mut g = c.benchmark_group("codec");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.sample_size(10);
    for codec in [Codec::Gzip, Codec::Bzip2, Codec::Xz, Codec::Zstd] {
        let packed = compress(codec, &text).unwrap();
        g.bench_function(format!("decode {}", codec.name()), |b| {
            b.iter(|| {
                let mut input = open_reader(InputName::Stdin, Cursor::new(packed.clone())).unwrap();
                let mut buf = vec![0u8; 1 << 20];
                let mut n = 0usize;
                loop {
                    let got = input.read(&mut buf).unwrap();
                    if got == 0 {
                        break;
                    }
                    n += got;
                }
                black_box(n)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, lines, fields, grep, parse, codecs);
criterion_main!(benches);
