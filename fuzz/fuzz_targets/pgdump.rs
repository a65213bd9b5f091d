//! Fuzz target `pgdump`: see `anonkos_fuzz::pgdump` (fuzz/harness.rs) for what it exercises.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| anonkos_fuzz::pgdump(data));
