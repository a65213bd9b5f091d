//! Fuzz target `mysqldump`: see `anonkos_fuzz::mysqldump` (fuzz/harness.rs) for what it exercises.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| anonkos_fuzz::mysqldump(data));
