//! Fuzz target `query`: see `logrill_fuzz::query` (fuzz/src/lib.rs) for what it checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| logrill_fuzz::query(data));
