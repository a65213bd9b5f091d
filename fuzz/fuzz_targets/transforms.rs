//! Fuzz target `transforms`: see `anonkos_fuzz::transforms` (fuzz/harness.rs) for what it exercises.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| anonkos_fuzz::transforms(data));
