//! Fuzz target `scan_presets`: see `logrill_fuzz::scan_presets` (fuzz/src/lib.rs) for what it checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| logrill_fuzz::scan_presets(data));
