//! Fuzz target `csv`: see `anonkos_fuzz::csv` (fuzz/harness.rs) for what it exercises.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| anonkos_fuzz::csv(data));
