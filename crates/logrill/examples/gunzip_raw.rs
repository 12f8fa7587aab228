//! The raw gzip decoder on its own, for benchmarks: each file named is decoded with
//! flate2's `MultiGzDecoder` (the zlib-rs backend, the same decoder and buffer sizes logrill
//! uses) into a reused buffer that nothing reads, on one thread. It prints the number of
//! bytes decoded. `bench/compare.sh` times it next to logrill's seed job on the same .gz
//! files: the gap between the two is what logrill's line splitting, search and sum cost
//! beyond decoding.
//!
//! ```text
//! cargo run --release -p logrill --example gunzip_raw -- FILE.gz ...
//! ```

use std::fs::File;
use std::io::{BufReader, Read};
use std::process::ExitCode;

fn decode(path: &str, buf: &mut [u8]) -> std::io::Result<u64> {
    let file = BufReader::with_capacity(128 * 1024, File::open(path)?);
    let mut gz = flate2::bufread::MultiGzDecoder::new(file);
    let mut total = 0u64;
    loop {
        match gz.read(buf)? {
            0 => return Ok(total),
            n => total += n as u64,
        }
    }
}

fn main() -> ExitCode {
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    let mut failed = false;
    for path in std::env::args().skip(1) {
        match decode(&path, &mut buf) {
            Ok(n) => total += n,
            Err(e) => {
                eprintln!("gunzip_raw: {path}: {e}");
                failed = true;
            }
        }
    }
    println!("{total}");
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
