//! Fuzz target `decode`: see `logrill_fuzz::decode` (fuzz/src/lib.rs) for what it checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| logrill_fuzz::decode(data));
