//! Transform throughput per core, with `mask` as the baseline measured in the same run.
//!
//! * `mask`: the cheapest text action (what building the output column costs);
//! * `pseudonymise`: HMAC-SHA256 with a pre-keyed, cloned instance, after normalisation;
//! * `fpe`: FF1/AES-256 (cycle-walking where the format needs it), the specialised FF1
//!   (`u128` halves, prepared AES key schedule and PRF prefix, per-batch cache of repeated
//!   values); `fpe_general` is the same transform on the general implementation (the `fpe`
//!   crate's big integers, what `fpe` ran before issue 21), measured in the same run: the ratio
//!   `fpe`/`fpe_general` is the figure to read. `personal_number_x10` repeats each of 10,000
//!   personal numbers ten times (a visits table), to measure the cache against
//!   `fpe_no_cache`;
//! * `fictitious`: the keyed Feistel permutation into ranges no one holds (issue 21), on the
//!   same phone column as `fpe` (the same-run ratio `fictitious`/`fpe` is the figure to read),
//!   plus IBANs and e-mails.
//!
//! Each runs on 100,000 synthetic personal numbers, phone numbers, IBANs or e-mails (no real
//! person), one thread. Divan prints items/s; compare against `mask`. Run:
//! `cargo bench --bench transform` (or `-- fictitious fpe` for those two).
use std::sync::Arc;

use anonkos::detect::{Category, PatternSet};
use anonkos::key::Key;
use anonkos::transform::fpe::Fpe;
use anonkos::transform::{ActionSpec, ColumnTransform, IdKind, build};
use arrow_array::{ArrayRef, StringArray};
use divan::Bencher;
use divan::counter::ItemsCount;

fn main() {
    divan::main();
}

const N: usize = 100_000;

fn column(kind: &str) -> (ArrayRef, Category) {
    let v: Vec<String> = match kind {
        "personal_number_x10" => (0..N)
            .map(|i| format!("{}", 1_000_000_000u64 + (i as u64 % (N as u64 / 10)) * 7919))
            .collect(),
        "personal_number" => (0..N)
            .map(|i| format!("{}", 1_000_000_000u64 + (i as u64) * 7919))
            .collect(),
        "iban" => (0..N)
            .map(|i| {
                let first14 = format!("12{:012}", (i as u64) * 7919);
                let r = first14
                    .bytes()
                    .fold(0u32, |a, c| (a * 10 + u32::from(c - b'0')) % 97);
                let bban = format!("{first14}{:02}", 98 - r * 100 % 97);
                let t = format!("{bban}332000")
                    .bytes()
                    .fold(0u32, |a, c| (a * 10 + u32::from(c - b'0')) % 97);
                format!("XK{:02}{bban}", 98 - t)
            })
            .collect(),
        "email" => (0..N)
            .map(|i| format!("p{}.{}@example.net", i % 997, i))
            .collect(),
        _ => (0..N)
            .map(|i| format!("044 {:03} {:03}", i % 1000, (i * 7) % 1000))
            .collect(),
    };
    let cat = match kind {
        "personal_number" | "personal_number_x10" => Category::KosovoPersonalNumber,
        "iban" => Category::Iban,
        "email" => Category::Email,
        _ => Category::PhoneNumber,
    };
    (Arc::new(StringArray::from(v)), cat)
}

fn transform(action: &str, cat: Category) -> Box<dyn ColumnTransform> {
    let spec: ActionSpec = match action {
        "mask" => toml::from_str("action = \"mask\"\nkeep_last = 3"),
        "pseudonymise" => toml::from_str("action = \"pseudonymise\""),
        "fictitious" => toml::from_str("action = \"fictitious\""),
        _ => toml::from_str("action = \"fpe\""),
    }
    .expect("spec");
    let key = Key::from_bytes([42; 32]);
    let patterns = Arc::new(PatternSet::embedded().expect("patterns"));
    build(&spec, cat, Some(&key), patterns).expect("build")
}

fn bench(b: Bencher, action: &str, kind: &str) {
    let (col, cat) = column(kind);
    let key = Key::from_bytes([42; 32]);
    let t: Box<dyn ColumnTransform> = if action == "fpe_general" {
        Box::new(Fpe::new_general(&key, IdKind::from_category(cat)).expect("fpe"))
    } else if action == "fpe_no_cache" {
        Box::new(
            Fpe::new(&key, IdKind::from_category(cat))
                .expect("fpe")
                .without_cache(),
        )
    } else {
        transform(action, cat)
    };
    b.counter(ItemsCount::new(N)).bench(|| {
        let r = t.apply(&col, None).expect("apply");
        assert_eq!(r.problems, 0);
        r.changed
    });
}

/// Baseline.
#[divan::bench(args = ["personal_number", "phone"], sample_count = 10, sample_size = 1)]
fn mask(b: Bencher, kind: &str) {
    bench(b, "mask", kind);
}

#[divan::bench(args = ["personal_number", "phone"], sample_count = 10, sample_size = 1)]
fn pseudonymise(b: Bencher, kind: &str) {
    bench(b, "pseudonymise", kind);
}

/// Issue 21: ≥ 2 M values/s per core on 10-digit numbers; read against `fpe_general`.
#[divan::bench(args = ["personal_number", "personal_number_x10", "phone", "iban"], sample_count = 10, sample_size = 1)]
fn fpe(b: Bencher, kind: &str) {
    bench(b, "fpe", kind);
}

/// `fpe` without its per-batch cache of repeated values.
#[divan::bench(args = ["personal_number", "personal_number_x10"], sample_count = 10, sample_size = 1)]
fn fpe_no_cache(b: Bencher, kind: &str) {
    bench(b, "fpe_no_cache", kind);
}

/// Baseline of `fpe`: the general FF1 implementation (big integers), same values and outputs.
#[divan::bench(args = ["personal_number", "personal_number_x10", "phone", "iban"], sample_count = 5, sample_size = 1)]
fn fpe_general(b: Bencher, kind: &str) {
    bench(b, "fpe_general", kind);
}

/// Issue 21: ≥ 1 M values/s per core on phones; read against `fpe` on the same column.
#[divan::bench(args = ["phone", "iban", "email"], sample_count = 10, sample_size = 1)]
fn fictitious(b: Bencher, kind: &str) {
    bench(b, "fictitious", kind);
}

/// The specialised FF1 alone on 100,000 ten-digit numbers (radix 10, halves as integers):
/// one value at a time (`single`) and in lock step (`batch`, `Ff1::encrypt_many`).
#[divan::bench(args = ["single", "batch"], sample_count = 10, sample_size = 1)]
fn ff1_core(b: Bencher, mode: &str) {
    use anonkos::transform::fpe::ff1::Ff1;
    let f = Ff1::<aes::Aes256>::new(&[42; 32], 10).expect("ff1");
    let dom = f.domain(b"anonkos.fpe/bench", 10).expect("domain");
    let vals: Vec<(u128, u128)> = (0..N as u128)
        .map(|i| ((i * 7919) % 100_000, (i * 104_729) % 100_000))
        .collect();
    b.counter(ItemsCount::new(N)).bench(|| {
        let mut v = vals.clone();
        if mode == "batch" {
            f.encrypt_many(&dom, &mut v);
        } else {
            for x in &mut v {
                *x = f.encrypt_num(&dom, x.0, x.1);
            }
        }
        v
    });
}
