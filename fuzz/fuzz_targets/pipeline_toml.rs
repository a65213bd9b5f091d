//! Fuzz target `pipeline_toml`: see `anonkos_fuzz::pipeline_toml` (fuzz/harness.rs) for what it exercises.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| anonkos_fuzz::pipeline_toml(data));
