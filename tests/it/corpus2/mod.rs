//! A second corpus (issue 16), generated independently of `sample-data/` and `patterns/`:
//! labelled Kosovo-style datasets in CSV, Parquet, SQLite and real `pg_dump`/`mariadb-dump`
//! dumps, covering the failure classes of the issue. The tests measure the scan's accuracy
//! per class and whether `research-release` leaks any identifier value of its input.
//!
//! Reproduce (and see the tables): `cargo test --test it corpus2 -- --nocapture`.
#![allow(clippy::disallowed_macros)] // the tests print their figures (names and counts, no values)
mod formats;
mod layouts;
mod leaks;
mod names;
mod report;
mod rng;
mod values;

use std::collections::BTreeSet;
use std::path::Path;

use crate::util::{TestDir, anonkos, root, stderr, stdout};
use layouts::{Class, Gen, Table};

/// The corpus seed: one seed, one corpus, on every platform.
const SEED: u64 = 0x1616_2026;

// Floors and ceilings: the figures measured on the committed classifier (2026-12-03, after
// record keys, credentials, photos, inflected headers and check-digit rates compared with
// chance; docs/corpus2.md), not the goal, so any regression fails.
// Raise them as the classifier improves; issue 16 wants ACCURACY_FLOOR ≥ 0.98,
// DIRECT_SPECIAL_MISS_CEILING = 0 and LEAK_CEILING = 0.
/// Share of labelled columns the scan must classify as labelled (measured 205/207 = 0.990;
/// 155/207 = 0.749 before issue 16's work; seeds 7 and 99: 206/207). `uncertain` counts as
/// wrong here, though it is safe.
const ACCURACY_FLOOR: f64 = 0.989;
/// Direct-identifier and special-category columns the scan may miss (measured 0 of 97; 17
/// before).
const DIRECT_SPECIAL_MISS_CEILING: usize = 0;
/// Distinct identifier values found in release outputs, summed over datasets and the four
/// output formats (measured 0 in 132 runs; 24,152 in 60 before).
const LEAK_CEILING: usize = 0;

/// Every category name a label may use (the scan's vocabulary).
const CATEGORIES: &[&str] = &[
    "person_name",
    "kosovo_personal_number",
    "jmbg",
    "passport_number",
    "id_card_number",
    "phone_number",
    "email",
    "iban",
    "bank_account",
    "street_address",
    "vehicle_plate",
    "ip_address",
    "record_key",
    "credential",
    "photo",
    "date_of_birth",
    "age",
    "gender",
    "municipality",
    "postal_code",
    "place_of_birth",
    "nationality",
    "occupation",
    "marital_status",
    "date",
    "health",
    "ethnic_origin",
    "religion",
    "political_opinion",
    "trade_union",
    "sex_life",
    "criminal_record",
    "biometric",
    "genetic",
    "free_text",
    "business_id",
    "none",
];

#[test]
fn corpus2_generator_valid() {
    let a = layouts::corpus(SEED);
    let b = layouts::corpus(SEED);
    let other = layouts::corpus(SEED + 1);
    assert!(a.len() >= 25, "{} datasets", a.len());
    let cols: usize = a.iter().map(|t| t.spec.cols.len()).sum();
    assert!(cols >= 190, "{cols} labelled columns");
    let mut names = BTreeSet::new();
    for ((t, u), o) in a.iter().zip(&b).zip(&other) {
        assert!(names.insert(t.spec.name), "{}: name twice", t.spec.name);
        assert!(t.cells == u.cells, "{}: not deterministic", t.spec.name);
        assert!(t.cells != o.cells, "{}: seed has no effect", t.spec.name);
        assert_eq!(t.cells.len(), t.spec.cols.len(), "{}", t.spec.name);
        let headerless_ok = matches!(t.spec.fmt, layouts::Fmt::Csv { .. });
        assert!(
            t.spec.header || headerless_ok,
            "{}: only CSV may lack a header",
            t.spec.name
        );
        for (col, cells) in t.spec.cols.iter().zip(&t.cells) {
            let at = format!("{}.{}", t.spec.name, col.header);
            assert_eq!(cells.len(), layouts::ROWS, "{at}");
            assert!(!t.spec.header || !col.header.is_empty(), "{at}: no header");
            for e in col.expect.split('|') {
                assert!(CATEGORIES.contains(&e), "{at}: unknown label {e}");
            }
            check_column(&at, col.make, cells);
        }
    }
    for class in [
        Class::Headerless,
        Class::Inflected,
        Class::HeaderDecoy,
        Class::KeysCredsPhotos,
        Class::NonPersonal,
    ] {
        let n = a
            .iter()
            .flat_map(|t| &t.spec.cols)
            .filter(|c| c.class == class)
            .count();
        assert!(n >= 15, "class {}: {n} columns", class.label());
    }
    // The validators themselves, on the published vectors (DOMAIN.md).
    assert!(values::jmbg_valid("0101006500006") && !values::jmbg_valid("0101006500007"));
    assert!(values::iban_valid("XK051212012345678906"));
    assert!(!values::iban_valid("XK051212012345678907"));
    assert!(values::pn_passes("1234567892") && !values::pn_passes("1234567890"));
    assert!(values::pn_passes("1001234567"));
    assert_eq!(values::base64(b"Man is", true), "TWFuIGlz");
    assert_eq!(values::base64(b"Ma", true), "TWE=");
}

/// Check digits valid where the label says so, record keys unique, and the share of personal
/// numbers passing the (unverified) rule as asked, never reported with a value.
fn check_column(at: &str, make: Gen, cells: &[layouts::Cell]) {
    let texts: Vec<String> = cells.iter().map(layouts::Cell::text).collect();
    match make {
        Gen::Jmbg => assert!(
            texts.iter().all(|v| values::jmbg_valid(v)),
            "{at}: bad JMBG"
        ),
        Gen::Iban(_) => assert!(
            texts.iter().all(|v| values::iban_valid(v)),
            "{at}: bad IBAN"
        ),
        Gen::Pn(p) => {
            assert!(
                texts.iter().all(|v| v.len() == 10 && !v.starts_with('0')),
                "{at}"
            );
            let rate =
                texts.iter().filter(|v| values::pn_passes(v)).count() as f64 / texts.len() as f64;
            // A random check digit passes one time in ten.
            let want = p + (1.0 - p) * 0.1;
            assert!(
                (rate - want).abs() < 0.1,
                "{at}: pass rate {rate:.2}, want {want:.2}"
            );
        }
        Gen::RowId | Gen::Code(_) | Gen::Login => {
            let distinct: BTreeSet<&String> = texts.iter().collect();
            assert_eq!(distinct.len(), texts.len(), "{at}: record key not unique");
        }
        Gen::TenDigits => {
            let distinct: BTreeSet<&String> = texts.iter().collect();
            assert!(
                distinct.len() < texts.len(),
                "{at}: decoy numbers should repeat"
            );
            assert!(texts.iter().all(|v| v.len() == 10), "{at}");
        }
        _ => assert!(texts.iter().all(|v| !v.is_empty()), "{at}: empty cell"),
    }
}

/// The seed: `ANONKOS_CORPUS2_SEED` (decimal or `0x` hex) to explore other corpora, else
/// [`SEED`]; the floors and ceilings hold for [`SEED`] only, so they are checked only then.
fn seed() -> (u64, bool) {
    let parsed = std::env::var("ANONKOS_CORPUS2_SEED").ok().and_then(|v| {
        v.strip_prefix("0x")
            .map_or_else(|| v.parse().ok(), |h| u64::from_str_radix(h, 16).ok())
    });
    match parsed {
        Some(s) if s != SEED => (s, false),
        _ => (SEED, true),
    }
}

/// The corpus written into `dir`, with the datasets that were written.
fn write(dir: &Path) -> (Vec<Table>, Vec<formats::Written>) {
    let tables = layouts::corpus(seed().0);
    let written = formats::write_corpus(&tables, dir);
    (tables, written)
}

#[test]
fn corpus2_accuracy() {
    let d = TestDir::new();
    let (tables, written) = write(d.path());
    let o = anonkos()
        .args(["scan", "--format", "json"])
        .arg(d.path())
        .output()
        .expect("run anonkos scan");
    // Exit 3: a dataset could not be read; its columns count as misses (`unreadable`).
    assert!(
        matches!(o.status.code(), Some(0 | 3)),
        "scan failed: {}",
        stderr(&o)
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("scan JSON");
    let outcomes = report::compare(&tables, &written, &json);
    let table = report::table(&outcomes);
    let (seed, default) = seed();
    eprintln!("corpus2 accuracy (seed {seed:#x}):\n{table}");
    let missing: Vec<String> = outcomes
        .iter()
        .filter(|x| x.got == "missing")
        .map(|x| format!("{}.{}", x.dataset, x.column))
        .collect();
    assert!(missing.is_empty(), "not in the scan report: {missing:?}");
    if !default {
        return;
    }
    let sum = report::Summary::of(&outcomes);
    assert!(
        sum.accuracy() >= ACCURACY_FLOOR,
        "accuracy {:.3} < floor {ACCURACY_FLOOR}\n{table}",
        sum.accuracy()
    );
    assert!(
        sum.direct_special_missed
            .saturating_sub(DIRECT_SPECIAL_MISS_CEILING)
            == 0,
        "{} direct/special columns missed (ceiling {DIRECT_SPECIAL_MISS_CEILING})\n{table}",
        sum.direct_special_missed
    );
}

/// Output formats of a release: the input's own, and each one `[output] format` names.
const RELEASE_FORMATS: [&str; 4] = ["same", "csv", "parquet", "sqlite"];

/// What one release run did.
struct Release {
    dataset: &'static str,
    format: &'static str,
    /// Exit code: 0 ran, 1 a policy gate (strict refusal, or a failed verification).
    code: i32,
    /// Whether any data file was written (a refusal writes none: safe).
    wrote: bool,
    leaks: usize,
    /// The columns whose values leaked.
    columns: BTreeSet<String>,
}

/// `research-release` with its output format set, written into `dir`.
fn pipeline_copy(dir: &Path, format: &str) -> String {
    let text = std::fs::read_to_string(root().join("pipelines/research-release.toml"))
        .expect("research-release.toml");
    assert!(
        text.contains("format = \"parquet\""),
        "pipeline output format line moved"
    );
    let text = text.replacen("format = \"parquet\"", &format!("format = \"{format}\""), 1);
    let path = dir.join(format!("research-{format}.toml"));
    std::fs::write(&path, text).expect("write pipeline");
    path.display().to_string()
}

fn release(
    tables: &[Table],
    w: &formats::Written,
    pipeline: &str,
    fmt: &'static str,
    out: &Path,
) -> Release {
    let o = anonkos()
        .arg("run")
        .arg(pipeline)
        .arg("--input")
        .arg(&w.path)
        .arg("--out-dir")
        .arg(out)
        .output()
        .expect("run anonkos run");
    let code = o.status.code().unwrap_or(-1);
    assert_ne!(code, 101, "{}/{fmt}: anonkos panicked", w.name);
    let t = tables
        .iter()
        .find(|t| t.spec.name == w.name)
        .expect("table");
    let needles = leaks::Needles::of(t);
    let found = needles.found_under(out);
    let (leaks, columns) = (found.len(), needles.columns_of(&found));
    // The run's own files (its report, the lock it takes on the folder) are no output.
    let wrote = crate::util::files_under(out).iter().any(|f| {
        !f.file_name().is_some_and(|n| {
            let n = n.to_string_lossy();
            n.starts_with("anonkos-") || n == ".anonkos-run.lock"
        })
    });
    Release {
        dataset: w.name,
        format: fmt,
        code,
        wrote,
        leaks,
        columns,
    }
}

/// The test's scratch directory, or `ANONKOS_CORPUS2_DIR` (kept, to look at the corpus and
/// the releases after a run).
fn scratch() -> (TestDir, std::path::PathBuf) {
    let d = TestDir::new();
    let p = std::env::var_os("ANONKOS_CORPUS2_DIR").map_or(d.path().to_path_buf(), Into::into);
    (d, p)
}

#[test]
fn corpus2_release_leaks() {
    let (_guard, dir) = scratch();
    let d = dir.as_path();
    let input = d.join("in");
    std::fs::create_dir_all(&input).expect("mkdir");
    let (tables, written) = write(&input);
    let pipelines: Vec<String> = RELEASE_FORMATS
        .iter()
        .map(|f| pipeline_copy(d, f))
        .collect();
    let jobs: Vec<(usize, usize)> = (0..written.len())
        .flat_map(|w| (0..RELEASE_FORMATS.len()).map(move |f| (w, f)))
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::new());
    // A few runs at a time: each is a separate process, mostly waiting on its own I/O.
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(&(w, f)) = jobs.get(i) else { break };
                    let out = d
                        .join("out")
                        .join(format!("{}-{}", written[w].name, RELEASE_FORMATS[f]));
                    let r = release(
                        &tables,
                        &written[w],
                        &pipelines[f],
                        RELEASE_FORMATS[f],
                        &out,
                    );
                    results.lock().expect("results").push(r);
                }
            });
        }
    });
    let mut results = results.into_inner().expect("results");
    results.sort_by_key(|r| (r.dataset, r.format));
    let table = release_table(&results);
    eprintln!("corpus2 release leaks (research-release):\n{table}");
    let leaks: usize = results.iter().map(|r| r.leaks).sum();
    assert!(
        !seed().1 || leaks.saturating_sub(LEAK_CEILING) == 0,
        "{leaks} identifier values in releases (ceiling {LEAK_CEILING})\n{table}"
    );
}

/// Per dataset: leaks per output format; `refused` for a policy refusal (exit 1, nothing
/// written), `no output (exit n)` for another failure that wrote nothing (an unreadable input).
fn release_table(results: &[Release]) -> String {
    use std::fmt::Write as _;
    let mut s = format!(
        "| dataset | {} | leaked columns |\n|---|{}---|\n",
        RELEASE_FORMATS.join(" | "),
        "---:|".repeat(RELEASE_FORMATS.len())
    );
    let mut names: Vec<&str> = results.iter().map(|r| r.dataset).collect();
    names.dedup();
    for n in names {
        let cells: Vec<String> = RELEASE_FORMATS
            .iter()
            .map(
                |f| match results.iter().find(|r| r.dataset == n && r.format == *f) {
                    Some(r) if r.code == 1 && !r.wrote => "refused".to_string(),
                    Some(r) if r.code != 0 && !r.wrote => format!("no output (exit {})", r.code),
                    Some(r) if r.code == 0 => r.leaks.to_string(),
                    Some(r) => format!("{} (exit {})", r.leaks, r.code),
                    None => "-".to_string(),
                },
            )
            .collect();
        let cols: BTreeSet<&String> = results
            .iter()
            .filter(|r| r.dataset == n)
            .flat_map(|r| &r.columns)
            .collect();
        let cols: Vec<&str> = cols.into_iter().map(String::as_str).collect();
        let _ = writeln!(s, "| {n} | {} | {} |", cells.join(" | "), cols.join(", "));
    }
    let ran = results.iter().filter(|r| r.code == 0).count();
    let refused = results.iter().filter(|r| r.code == 1 && !r.wrote).count();
    let no_output = results.iter().filter(|r| r.code > 1 && !r.wrote).count();
    let leaks: usize = results.iter().map(|r| r.leaks).sum();
    let leaky = results.iter().filter(|r| r.leaks > 0).count();
    let _ = writeln!(
        s,
        "\nruns {} (exit 0: {ran}; refused: {refused}; no output, exit > 1: {no_output}; \
         wrote outputs but exit ≠ 0: {}); identifier values leaked: {leaks} in {leaky} runs",
        results.len(),
        results.len() - ran - refused - no_output
    );
    s
}
