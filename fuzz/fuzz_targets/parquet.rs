//! Fuzz target `parquet`: see `anonkos_fuzz::parquet` (fuzz/harness.rs) for what it exercises.
//!
//! `ParquetSource` catches panics of the Parquet decoder on corrupt pages and reports them as
//! input errors (its module docs say so). libfuzzer-sys installs a panic hook that aborts on
//! every panic, caught or not, which would report those handled panics as crashes. So this
//! target's hook only remembers the last panic, and a panic that escapes the library is
//! printed and aborts here: that one is a crash.
#![no_main]

use std::sync::Mutex;

static LAST_PANIC: Mutex<String> = Mutex::new(String::new());

libfuzzer_sys::fuzz_target!(
    init: {
        std::panic::set_hook(Box::new(|info| {
            if let Ok(mut last) = LAST_PANIC.lock() {
                *last = info.to_string();
            }
        }));
    },
    |data: &[u8]| {
        let run = std::panic::catch_unwind(|| anonkos_fuzz::parquet(data));
        if run.is_err() {
            let last = LAST_PANIC.lock().map(|s| s.clone()).unwrap_or_default();
            eprintln!("panic escaped the Parquet reader: {last}");
            std::process::abort();
        }
    }
);
