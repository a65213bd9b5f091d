//! Fuzz target `validators`: see `anonkos_fuzz::validators` (fuzz/harness.rs) for what it exercises.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| anonkos_fuzz::validators(data));
