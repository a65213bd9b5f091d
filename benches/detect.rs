//! Detector throughput, with a baseline measured in the same run.
//!
//! * `baseline_csv_parse`: parse the same cells as CSV with the `csv` crate (what any
//!   reader must pay);
//! * `detect_profile_all`: run every detector over every cell (`ColumnProfile::observe`);
//! * `detect_profile_by_kind`: the same per kind of cell, to see which one dominates.
//!
//! Divan prints bytes/s per benchmark (one thread); compare `detect` against `baseline`.
//! Run: `cargo bench --bench detect`.
use anonkos::detect::{ColumnProfile, PatternSet, Scratch};
use divan::Bencher;
use divan::counter::BytesCount;

fn main() {
    divan::main();
}

/// Synthetic cells of the kinds found in Kosovo tables (no real person).
fn cells() -> Vec<(&'static str, Vec<String>)> {
    let n = 20_000;
    let make = |f: &dyn Fn(usize) -> String| (0..n).map(f).collect::<Vec<_>>();
    vec![
        (
            "personal_number",
            make(&|i| format!("{}", 1_000_000_000u64 + (i as u64) * 7919)),
        ),
        (
            "phone",
            make(&|i| format!("044 {:03} {:03}", i % 1000, (i * 7) % 1000)),
        ),
        ("email", make(&|i| format!("arben.k{i}@example.com"))),
        (
            "name",
            make(&|i| {
                [
                    "Arben Krasniqi",
                    "Jelena Petrović",
                    "Drita Gashi",
                    "Nikola Ilić",
                ][i % 4]
                    .to_string()
            }),
        ),
        (
            "municipality",
            make(&|i| ["Prishtinë", "Gjakovë", "Štrpce", "Приштина"][i % 4].to_string()),
        ),
        ("amount", make(&|i| format!("{}.{:02}", i * 3, i % 100))),
        (
            "free_text",
            make(&|i| {
                format!(
                    "Pacienti u paraqit me diabet, tel 044 {:03} 456, kontroll pas {} ditësh.",
                    i % 1000,
                    i % 30
                )
            }),
        ),
    ]
}

fn bytes(cells: &[String]) -> usize {
    cells.iter().map(|c| c.len() + 1).sum()
}

#[divan::bench]
fn baseline_csv_parse(b: Bencher) {
    let all: Vec<String> = cells().into_iter().flat_map(|(_, c)| c).collect();
    let mut text = String::new();
    for c in &all {
        text.push('"');
        text.push_str(c);
        text.push_str("\"\n");
    }
    b.counter(BytesCount::new(text.len())).bench(|| {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        let mut rec = csv::ByteRecord::new();
        let mut n = 0usize;
        while rdr.read_byte_record(&mut rec).unwrap_or(false) {
            n += rec.len();
        }
        n
    });
}

#[divan::bench]
fn detect_profile_all(b: Bencher) {
    let set = PatternSet::embedded().expect("embedded patterns load");
    let all: Vec<String> = cells().into_iter().flat_map(|(_, c)| c).collect();
    b.counter(BytesCount::new(bytes(&all))).bench(|| {
        let mut p = ColumnProfile::new(set.identifiers.len());
        let mut s = Scratch::default();
        for c in &all {
            p.observe(c, &set, &mut s);
        }
        p.non_empty
    });
}

#[divan::bench(args = ["personal_number", "phone", "email", "name", "municipality", "amount", "free_text"])]
fn detect_profile_by_kind(b: Bencher, kind: &str) {
    let set = PatternSet::embedded().expect("embedded patterns load");
    let cells = cells()
        .into_iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, c)| c)
        .unwrap_or_default();
    b.counter(BytesCount::new(bytes(&cells))).bench(|| {
        let mut p = ColumnProfile::new(set.identifiers.len());
        let mut s = Scratch::default();
        for c in &cells {
            p.observe(c, &set, &mut s);
        }
        p.non_empty
    });
}
