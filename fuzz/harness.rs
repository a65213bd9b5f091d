//! The fuzz harnesses: one function per target, each taking the raw fuzzer input.
//!
//! This file is the fuzz crate's library (`anonkos_fuzz`) and is also compiled into the main
//! crate's integration tests (`tests/it/fuzz_replay.rs` includes it with `#[path]`), so the
//! replay of `tests/fixtures/fuzz/` runs exactly the code the fuzzer ran. It uses only the
//! public API of `anonkos`, plus `arbitrary`, `arrow-array` and `tempfile`.
//!
//! Every harness returns normally for any input: input errors are expected results. A panic,
//! or a broken invariant (which panics with a message naming the invariant), is a bug.
#![allow(clippy::disallowed_methods)] // the harness writes its scratch input file directly
#![allow(dead_code)] // each fuzz target and the replay test use a different subset

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use anonkos::config::pipeline::Pipeline;
use anonkos::detect::patterns::{MatchScratch, Normalise};
use anonkos::detect::validators::VALIDATORS;
use anonkos::detect::{Category, ColumnProfile, PatternSet, Scratch};
use anonkos::key::Key;
use anonkos::source::csv::CsvSource;
use anonkos::source::parquet::ParquetSource;
use anonkos::source::{Format, ReadOptions, RowCount, Source, sqldump};
use anonkos::transform::generalise::Level;
use anonkos::transform::redact_entities::ReplaceWith;
use anonkos::transform::{ActionSpec, IdKind, build};
use arbitrary::{Arbitrary, Unstructured};
use arrow_array::{Array, ArrayRef, Float64Array, Int64Array, StringArray};

/// A harness: the fuzzer's raw input in, nothing out (a bug panics).
pub type Harness = fn(&[u8]);

/// Every fuzz target, by the name used for `fuzz/fuzz_targets/<name>.rs`,
/// `fuzz/corpus/<name>/` and `tests/fixtures/fuzz/<name>/`.
pub const TARGETS: &[(&str, Harness)] = &[
    ("csv", csv),
    ("pgdump", pgdump),
    ("mysqldump", mysqldump),
    ("parquet", parquet),
    ("validators", validators),
    ("pipeline_toml", pipeline_toml),
    ("transforms", transforms),
];

/// Most batches pulled from one source: a reader that never ends is a bug the fuzzer should
/// see as a timeout, but a long finite input must not make one run slow.
const MAX_BATCHES: usize = 10_000;

/// The embedded pattern set, loaded once.
fn patterns() -> Arc<PatternSet> {
    static SET: OnceLock<Arc<PatternSet>> = OnceLock::new();
    Arc::clone(
        SET.get_or_init(|| {
            Arc::new(PatternSet::embedded().expect("the embedded pattern set loads"))
        }),
    )
}

thread_local! {
    /// One scratch directory per thread (the replay test runs threads in parallel).
    static SCRATCH: RefCell<Option<tempfile::TempDir>> = const { RefCell::new(None) };
}

/// Write `data` to `name` in this thread's scratch directory: the readers take a path.
fn scratch_file(name: &str, data: &[u8]) -> PathBuf {
    SCRATCH.with(|s| {
        let mut s = s.borrow_mut();
        let dir = s.get_or_insert_with(|| {
            // tmpfs when there is one: the fuzzer writes a file per execution.
            let shm = Path::new("/dev/shm");
            let b = tempfile::Builder::new()
                .prefix("anonkos-fuzz-")
                .tempdir_in(shm);
            b.or_else(|_| tempfile::tempdir())
                .expect("a scratch directory")
        });
        let p = dir.path().join(name);
        std::fs::write(&p, data).expect("write the scratch input");
        p
    })
}

/// Read options from two configuration bytes, so the fuzzer explores sampling (with tiny
/// quotas, so that small inputs take the windowed paths), batch sizes, field limits and
/// forced settings.
fn read_options(a: u8, b: u8) -> ReadOptions {
    ReadOptions {
        sample_rows: (a & 1 == 1).then_some(1 + usize::from((a >> 1) & 0x1f)),
        batch_rows: [1, 2, 7, 8192][usize::from(a >> 6)],
        encoding: match b & 7 {
            1 => Some("utf-8".into()),
            2 => Some("windows-1250".into()),
            3 => Some("windows-1251".into()),
            4 => Some("iso-8859-2".into()),
            _ => None,
        },
        delimiter: match (b >> 3) & 7 {
            1 => Some(b','),
            2 => Some(b';'),
            3 => Some(b'\t'),
            4 => Some(b'|'),
            _ => None,
        },
        has_header: match b >> 6 {
            1 => Some(true),
            2 => Some(false),
            _ => None,
        },
        max_field_bytes: if a & 0x20 == 0 { 16 * 1024 * 1024 } else { 64 },
        include_tables: Vec::new(),
        exclude_tables: Vec::new(),
        ..ReadOptions::default()
    }
}

/// Split off the configuration bytes (missing ones read as 0).
fn split_config(data: &[u8]) -> (u8, u8, &[u8]) {
    match data {
        [a, b, rest @ ..] => (*a, *b, rest),
        [a] => (*a, 0, &[]),
        [] => (0, 0, &[]),
    }
}

/// Pull every batch of `src` and profile its columns as a scan would; with `past_errors`,
/// keep reading after an error (Parquet skips a bad row group and goes on).
///
/// Every batch must be non-empty, at most `batch_rows` long and as wide as the schema. With
/// `exact` (a whole read of a source that counts its rows) that ends without error, the
/// batches must number their rows 1, 2, 3 … without gaps and the row count must be exact
/// and equal to the rows read: errors name rows by these numbers.
fn drain(mut src: Box<dyn Source>, past_errors: bool, batch_rows: usize, mut exact: bool) {
    let set = patterns();
    let _ = src.info().location();
    let width = src.schema().fields().len();
    let mut profiles: Vec<ColumnProfile> = (0..width)
        .map(|_| ColumnProfile::new(set.identifiers.len()))
        .collect();
    let (mut rows, mut clean_end) = (0u64, false);
    for _ in 0..MAX_BATCHES {
        match src.next_batch() {
            Ok(Some(batch)) => {
                assert!(
                    batch.data.num_columns() == width,
                    "a batch has {} columns but the schema {width}",
                    batch.data.num_columns()
                );
                let n = batch.num_rows();
                assert!(
                    n > 0 && n <= batch_rows,
                    "a batch of {n} rows (batch_rows {batch_rows})"
                );
                if exact {
                    assert_eq!(batch.first_row, rows + 1, "batch row numbers have a gap");
                }
                rows += n as u64;
                for (col, prof) in batch.data.columns().iter().zip(profiles.iter_mut()) {
                    anonkos::scan::profile_array(col, prof, &set);
                }
            }
            Ok(None) => {
                clean_end = true;
                break;
            }
            Err(e) => {
                let _ = e.to_string();
                exact = false;
                if !past_errors {
                    break;
                }
            }
        }
    }
    let total = src.rows_total();
    if exact && clean_end {
        assert_eq!(
            total,
            Some(RowCount::Exact(rows)),
            "the row count disagrees with the rows read"
        );
    }
    for (field, prof) in src.schema().fields().iter().zip(&profiles) {
        let _ = anonkos::detect::classify(field.name(), prof, &set);
    }
}

/// CSV: sniff (encoding, delimiter, header), decode and read every batch through
/// [`CsvSource`]. The first two bytes choose the read options, the third the file name
/// (the extension steers the delimiter and the compression check).
pub fn csv(data: &[u8]) {
    let (a, b, rest) = split_config(data);
    let (name_byte, body) = rest.split_first().map_or((0, rest), |(n, r)| (*n, r));
    let name = ["in.csv", "in.tsv", "in.psv", "in.csv.gz", "in.txt"][usize::from(name_byte % 5)];
    let path = scratch_file(name, body);
    let opts = read_options(a, b);
    if let Ok(src) = CsvSource::open(&path, "fuzz.csv", &opts) {
        drain(
            Box::new(src),
            false,
            opts.batch_rows,
            opts.sample_rows.is_none(),
        );
    }
}

/// Any SQL dump through the real index pass and table readers, in one dialect.
fn dump(data: &[u8], format: Format) {
    let (a, b, body) = split_config(data);
    let path = scratch_file("in.sql", body);
    let mut opts = read_options(a, b);
    opts.encoding = None;
    if let Ok(sources) = sqldump::open_as(&path, "fuzz.sql", &opts, format) {
        for src in sources {
            drain(src, false, opts.batch_rows, opts.sample_rows.is_none());
        }
    }
}

/// Plain `pg_dump` text (`COPY … FROM stdin`, `INSERT`s, dollar quotes, E-strings …).
pub fn pgdump(data: &[u8]) {
    dump(data, Format::PgDump);
}

/// `mysqldump` / `mariadb-dump` text (backquotes, backslash escapes, hex literals …).
pub fn mysqldump(data: &[u8]) {
    dump(data, Format::MysqlDump);
}

/// Corrupt Parquet through [`ParquetSource`]: footer, metadata, every page.
pub fn parquet(data: &[u8]) {
    let (a, body) = data.split_first().map_or((0, data), |(a, r)| (*a, r));
    let path = scratch_file("in.parquet", body);
    let opts = read_options(a, 0);
    if let Ok(src) = ParquetSource::open(&path, "fuzz.parquet", &opts) {
        let _ = src.nested_columns();
        drain(Box::new(src), true, opts.batch_rows, false);
    }
}

/// Every validator on the input as one string and on each line, every normalisation
/// feeding each validator, the anchored identifier detectors, the embedded-entity finder
/// (spans must lie on character boundaries), and the per-value profile plus column
/// classification (first line as the header, the other lines as cells).
pub fn validators(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let set = patterns();
    let mut norm = Vec::new();
    for s in std::iter::once(text.as_ref()).chain(text.lines()) {
        for (_, f) in VALIDATORS {
            let _ = f(s);
            for n in [
                Normalise::Digits,
                Normalise::Phone,
                Normalise::AlnumUpper,
                Normalise::Lower,
                Normalise::None,
            ] {
                n.apply(s.as_bytes(), &mut norm);
                if let Ok(t) = std::str::from_utf8(&norm) {
                    let _ = f(t);
                }
            }
        }
    }
    let mut ms = MatchScratch::default();
    for line in text.lines() {
        set.match_identifiers(line.trim(), &mut ms, |i, _| {
            assert!(i < set.identifiers.len(), "detector index out of range");
        });
    }
    set.find_embedded_spans(text.as_bytes(), &mut ms, |s, e, i| {
        assert!(s <= e && e <= text.len(), "entity span out of range");
        assert!(
            text.is_char_boundary(s) && text.is_char_boundary(e),
            "entity span cuts a character"
        );
        assert!(i < set.identifiers.len(), "detector index out of range");
    });
    let folded = anonkos::detect::fold::fold(&text);
    set.find_words(&folded, |_| {});
    let _ = set.cell_terms(&folded);
    let _ = set.municipality(&folded);
    let mut lines = text.lines();
    let header = lines.next().unwrap_or("");
    let _ = anonkos::detect::header::header_words(header);
    let _ = set.match_header(header);
    let mut prof = ColumnProfile::new(set.identifiers.len());
    let mut scratch = Scratch::default();
    let mut cells = 0u64;
    for cell in lines {
        prof.observe(cell, &set, &mut scratch);
        cells += 1;
    }
    assert_eq!(prof.cells, cells, "the profile lost cells");
    assert!(
        prof.non_empty <= prof.cells,
        "more non-empty cells than cells"
    );
    let c = anonkos::detect::classify(header, &prof, &set);
    assert!(
        (0.0..=1.0).contains(&c.confidence),
        "confidence {} outside [0, 1]",
        c.confidence
    );
}

/// A small synthetic CSV scanned once, so parsed pipelines can be planned against real
/// column classifications.
fn plan_scans() -> &'static [anonkos::scan::DatasetScan] {
    static SCANS: OnceLock<Vec<anonkos::scan::DatasetScan>> = OnceLock::new();
    SCANS.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a scratch directory");
        let p = dir.path().join("people.csv");
        std::fs::write(
            &p,
            "emri,mbiemri,nr_personal,telefoni,data_lindjes,komuna,diagnoza,shenime\n\
             Arta,Krasniqi,1234567892,+383 44 123 456,1984-03-12,Prishtinë,E11.9,thirr 044 123 456\n\
             Besnik,Gashi,1111111116,049 555 111,1990-11-02,Prizren,I10,asgjë\n",
        )
        .expect("write the planning sample");
        let scanner = anonkos::scan::Scanner::new(patterns(), ReadOptions::default());
        scanner.scan_path(&p, "people.csv")
    })
}

/// Pipeline TOML: parse and validate, build every rule's transform (checks its parameters),
/// and plan it against a scanned sample.
pub fn pipeline_toml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(p) = Pipeline::parse(text, Path::new("fuzz.toml")) else {
        return;
    };
    let key = Key::from_bytes([7; 32]);
    for rule in &p.rules {
        let _ = rule.selector.specificity();
        let _ = build(&rule.action, Category::PhoneNumber, Some(&key), patterns());
        let _ = build(&rule.action, Category::None, None, patterns());
    }
    if let Some(privacy) = &p.privacy {
        let _ = privacy.models();
    }
    let plan = anonkos::plan::plan(&p, plan_scans());
    let _ = plan.is_safe();
}

/// A value the transforms see: mostly strings near an identifier's shape.
fn arbitrary_value(u: &mut Unstructured) -> arbitrary::Result<Option<String>> {
    const SHAPES: &[&str] = &[
        "1234567892",
        "0101990710006",
        "XK051212012345678906",
        "1212012345678906",
        "+383 44 123 456",
        "044-123-456",
        "1984-03-12",
        "12.03.1984",
        "Prishtinë",
        "10000",
        "42",
        "-3.5",
        "P01234567",
        "01-123-AB",
        "arta@example.com",
        "192.168.1.10",
        "thirr 044 123 456 ose arta@example.com",
    ];
    Ok(match u.int_in_range(0u8..=5)? {
        0 => None,
        1 | 2 => Some(String::arbitrary(u)?),
        3 => Some(u.choose(SHAPES)?.to_string()),
        _ => {
            // A shape with a few characters replaced: near misses of the formats.
            let mut s: Vec<char> = u.choose(SHAPES)?.chars().collect();
            for _ in 0..u.int_in_range(1u8..=3)? {
                let i = u.choose_index(s.len())?;
                s[i] = char::arbitrary(u)?;
            }
            Some(s.into_iter().collect())
        }
    })
}

fn arbitrary_kind(u: &mut Unstructured) -> arbitrary::Result<Option<String>> {
    Ok(match u.int_in_range(0u8..=3)? {
        0 => None,
        1 => Some(String::arbitrary(u)?),
        _ => Some(u.choose(&IdKind::ALL)?.name().to_string()),
    })
}

fn arbitrary_f64(u: &mut Unstructured) -> arbitrary::Result<f64> {
    Ok(match u.int_in_range(0u8..=2)? {
        0 => f64::arbitrary(u)?,
        1 => f64::from(u.int_in_range(-1000i32..=1000)?),
        _ => f64::from(u.int_in_range(0u16..=100)?) / 100.0,
    })
}

fn arbitrary_opt<T>(
    u: &mut Unstructured,
    f: impl FnOnce(&mut Unstructured) -> arbitrary::Result<T>,
) -> arbitrary::Result<Option<T>> {
    Ok(if bool::arbitrary(u)? {
        Some(f(u)?)
    } else {
        None
    })
}

/// Any action with arbitrary parameters.
fn arbitrary_spec(u: &mut Unstructured) -> arbitrary::Result<ActionSpec> {
    let small = |u: &mut Unstructured| -> arbitrary::Result<usize> {
        Ok(if bool::arbitrary(u)? {
            usize::from(u.int_in_range(0u8..=64)?)
        } else {
            usize::arbitrary(u)?
        })
    };
    Ok(match u.int_in_range(0u8..=12)? {
        0 => ActionSpec::Keep {},
        1 => ActionSpec::Drop {},
        2 => ActionSpec::Redact {
            with: Option::<String>::arbitrary(u)?,
        },
        3 => ActionSpec::Mask {
            keep_first: arbitrary_opt(u, small)?,
            keep_last: arbitrary_opt(u, small)?,
            char: Option::<char>::arbitrary(u)?,
        },
        4 => ActionSpec::Pseudonymise {
            kind: arbitrary_kind(u)?,
            length: arbitrary_opt(u, small)?,
            prefix: Option::<String>::arbitrary(u)?,
        },
        5 => ActionSpec::Fpe {
            kind: arbitrary_kind(u)?,
        },
        6 => ActionSpec::Generalise {
            to: *u.choose(&[
                Level::Year,
                Level::YearMonth,
                Level::YearBand,
                Level::AgeBand,
                Level::District,
                Level::Country,
                Level::PostalPrefix,
                Level::Bins,
            ])?,
            width: Option::<u32>::arbitrary(u)?,
            bins: arbitrary_opt(u, |u| {
                let n = u.int_in_range(0u8..=6)?;
                (0..n).map(|_| arbitrary_f64(u)).collect()
            })?,
            digits: arbitrary_opt(u, small)?,
        },
        7 => ActionSpec::DateShift {
            max_days: if bool::arbitrary(u)? {
                u.int_in_range(0u32..=4000)?
            } else {
                u32::arbitrary(u)?
            },
        },
        8 => ActionSpec::Noise {
            max_abs: arbitrary_opt(u, arbitrary_f64)?,
            max_relative: arbitrary_opt(u, arbitrary_f64)?,
        },
        9 => ActionSpec::TopCode {
            at: arbitrary_f64(u)?,
        },
        10 => ActionSpec::BottomCode {
            at: arbitrary_f64(u)?,
        },
        11 => ActionSpec::Fictitious {
            kind: arbitrary_kind(u)?,
        },
        _ => ActionSpec::RedactEntities {
            replace_with: *u.choose(&[
                None,
                Some(ReplaceWith::Placeholder),
                Some(ReplaceWith::Pseudonym),
            ])?,
        },
    })
}

/// Transforms: every action with arbitrary parameters, category, key and column (text or
/// numeric, with subjects). Invariants, beyond never panicking:
/// * the output has the input's length and its declared type;
/// * applying twice (same key, same input) gives the same output;
/// * `mask` keeps at most half of a value's characters and changes every non-blank value
///   unless the value already holds the mask character everywhere it masks;
/// * `pseudonymise` never outputs a non-blank input unchanged;
/// * `fpe` changes nothing but the identifier's characters: decrypting its output gives the
///   input back (upper-cased for the letter-and-digit kinds, whose alphabet is `0-9A-Z`).
pub fn transforms(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let _ = transforms_inner(&mut u);
}

fn transforms_inner(u: &mut Unstructured) -> arbitrary::Result<()> {
    let spec = arbitrary_spec(u)?;
    let category = *u.choose(&Category::ALL)?;
    let key = Key::from_bytes(<[u8; 32]>::arbitrary(u)?);
    let with_key = u.int_in_range(0u8..=7)? != 0;
    let n = u.int_in_range(1u8..=8)?;
    let values: Vec<Option<String>> = (0..n)
        .map(|_| arbitrary_value(u))
        .collect::<arbitrary::Result<_>>()?;
    let subjects: Option<StringArray> = if bool::arbitrary(u)? {
        Some(
            (0..n)
                .map(|_| arbitrary_value(u))
                .collect::<arbitrary::Result<Vec<_>>>()?
                .into_iter()
                .collect(),
        )
    } else {
        None
    };
    let input: ArrayRef = match u.int_in_range(0u8..=5)? {
        0 => Arc::new(
            (0..n)
                .map(|_| Option::<i64>::arbitrary(u))
                .collect::<arbitrary::Result<Int64Array>>()?,
        ),
        1 => Arc::new(
            (0..n)
                .map(|_| arbitrary_opt(u, arbitrary_f64))
                .collect::<arbitrary::Result<Float64Array>>()?,
        ),
        _ => Arc::new(values.iter().map(Option::as_deref).collect::<StringArray>()),
    };
    let Ok(t) = build(&spec, category, with_key.then_some(&key), patterns()) else {
        return Ok(());
    };
    let Ok(first) = t.apply(&input, subjects.as_ref()) else {
        return Ok(());
    };
    let again = t
        .apply(&input, subjects.as_ref())
        .expect("a second apply of the same input fails where the first succeeded");
    assert!(
        first.array.to_data() == again.array.to_data(),
        "{}: same key and input gave different outputs",
        t.name()
    );
    assert_eq!(
        first.array.len(),
        input.len(),
        "{}: length changed",
        t.name()
    );
    if let Some(ty) = t.output_type(input.data_type()) {
        assert_eq!(
            first.array.data_type(),
            &ty,
            "{}: output type differs from output_type()",
            t.name()
        );
    }
    assert!(first.problems <= input.len() as u64);
    assert!(first.changed <= input.len() as u64);
    let (Some(inp), Some(out)) = (
        input.as_any().downcast_ref::<StringArray>(),
        first.array.as_any().downcast_ref::<StringArray>(),
    ) else {
        return Ok(());
    };
    for i in 0..inp.len() {
        if inp.is_null(i) || out.is_null(i) || inp.value(i).trim().is_empty() {
            continue;
        }
        let (v, o) = (inp.value(i), out.value(i));
        match &spec {
            ActionSpec::Mask { char, .. } => check_mask(v, o, char.unwrap_or('*')),
            ActionSpec::Pseudonymise { .. } => {
                assert_ne!(o, v, "pseudonymise output equals its input");
            }
            ActionSpec::Fpe { kind } => check_fpe(v, o, &key, kind.as_deref(), category),
            _ => {}
        }
    }
    Ok(())
}

fn check_mask(v: &str, o: &str, ch: char) {
    let n = v.chars().count();
    assert_eq!(o.chars().count(), n, "mask changed the length");
    let kept = v
        .chars()
        .zip(o.chars())
        .filter(|(a, b)| a == b && *b != ch)
        .count();
    assert!(kept <= n / 2, "mask kept {kept} of {n} characters");
    let already_masked = v.chars().filter(|c| *c != ch).count() <= n / 2;
    assert!(
        o != v || already_masked,
        "mask output equals its input ({n} characters, not already masked)"
    );
}

fn check_fpe(v: &str, o: &str, key: &Key, kind: Option<&str>, category: Category) {
    let kind = match kind {
        Some(k) => IdKind::from_name(k).expect("build accepted the kind"),
        None => IdKind::from_category(category),
    };
    let f = anonkos::transform::fpe::Fpe::new(key, kind).expect("build accepted the kind");
    let back = f
        .apply_one(o, true)
        .unwrap_or_else(|| panic!("fpe ({}) output does not decrypt", kind.name()));
    let upper = matches!(
        kind,
        IdKind::Passport | IdKind::IdCard | IdKind::Plate | IdKind::Alnum
    );
    // Compared without printing either value: the messages name the kind only.
    let same = back == v || (upper && back == v.to_ascii_uppercase());
    assert!(same, "fpe ({}) does not round-trip", kind.name());
}
