//! Replays every file under `tests/fixtures/fuzz/<target>/` through the fuzz harness of that
//! target (`fuzz/harness.rs`, compiled in here unchanged), so that inputs the fuzzers once
//! crashed on stay fixed. Each must return without a panic (a broken invariant panics too)
//! and within a time bound. Inputs: minimised crashes and timeouts found by fuzzing, plus a
//! few seeds per target, so the test exercises every harness even where fuzzing found nothing.
#[path = "../../fuzz/harness.rs"]
mod harness;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

/// A debug build is some 10–30× slower than the fuzzers' optimised one (where a run must
/// finish within libFuzzer's `-timeout=10`), and CI shares two cores: this bound only catches
/// inputs that hang or blow up, not slow machines.
const MAX_PER_INPUT: Duration = Duration::from_secs(30);

#[test]
fn every_fuzz_fixture_replays_without_panic() {
    let root = super::util::root().join("tests/fixtures/fuzz");
    let mut replayed = 0;
    let mut failures = Vec::new();
    let mut empty = Vec::new();
    for (name, harness) in harness::TARGETS {
        let dir = root.join(name);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.is_file())
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        if files.is_empty() {
            empty.push(*name);
        }
        for file in files {
            let data = std::fs::read(&file).expect("read a fuzz fixture");
            let started = Instant::now();
            let outcome = catch_unwind(AssertUnwindSafe(|| harness(&data)));
            let took = started.elapsed();
            let label = format!("{name}/{}", file.file_name().unwrap_or_default().display());
            if outcome.is_err() {
                failures.push(format!("{label}: panicked"));
            } else if took > MAX_PER_INPUT {
                failures.push(format!("{label}: took {took:?} (bound {MAX_PER_INPUT:?})"));
            }
            replayed += 1;
        }
    }
    assert!(
        empty.is_empty(),
        "no fuzz fixtures under {} for {empty:?}: every target needs at least one",
        root.display()
    );
    assert!(replayed > 0);
    assert!(
        failures.is_empty(),
        "fuzz fixtures failed:\n{}",
        failures.join("\n")
    );
}
