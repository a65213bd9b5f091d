//! Bottom-k (KMV) sketches of keyed hashes: how many distinct identifiers a column holds and
//! how many it shares with another column, without keeping any value.
//!
//! Every non-empty cell that could be an identifier (5–64 characters with a digit or an `@`)
//! is normalised (spaces, `-`, `.`, `/`, parentheses removed, upper case) and hashed with
//! HMAC-SHA256 under a **random 256-bit key drawn once per process and never written out**;
//! the first 8 bytes are kept as a `u64`. A sketch keeps the [`SKETCH_K`] smallest hashes.
//!
//! Why storing these hashes in a scan report is safe: a 10-digit personal number has only
//! 10¹⁰ possible values, so an *unkeyed* hash would be reversed by trying them all. Here the
//! key is needed to compute a single hash, and it exists only in the memory of the process
//! that wrote the report; once that process ends, a stored hash can be compared with the
//! other hashes **of the same report** (which is all overlap estimation needs) but tested
//! against no guessed value. Sketches from two different runs are not comparable; reports
//! carry a [`key_id`] so that mixing them is detected.
//!
//! Estimates (Beyer et al., "On synopses for distinct-value estimation", 2007): with fewer
//! than `k` hashes the sketch is the exact set of distinct (hashed) values; otherwise
//! `D ≈ (k − 1) / u_k` where `u_k` is the k-th smallest hash scaled to `[0, 1)`. The
//! overlap of two columns is the Jaccard ratio measured on the bottom-k of their union times
//! the union's estimate.
use std::collections::BTreeSet;
use std::sync::OnceLock;

use std::hash::Hasher;

use siphasher::sip::SipHasher24;

use super::Category;

/// Categories whose values can link filing systems: connecting codes (Art. 2(1.17) of
/// 03/L-172) and other unique identifiers. Only cells matched by a detector of one of these
/// categories are sketched, and only columns classified as one carry a sketch in reports.
pub fn is_linking_identifier(c: Category) -> bool {
    matches!(
        c,
        Category::KosovoPersonalNumber
            | Category::Jmbg
            | Category::PassportNumber
            | Category::IdCardNumber
            | Category::PhoneNumber
            | Category::Email
            | Category::Iban
            | Category::BankAccount
            | Category::VehiclePlate
    )
}

/// Hashes kept per sketch.
pub const SKETCH_K: usize = 1024;

/// The process key (two 64-bit SipHash keys), drawn once.
fn key() -> (u64, u64) {
    static KEY: OnceLock<(u64, u64)> = OnceLock::new();
    *KEY.get_or_init(|| {
        let mut key = [0u8; 16];
        if getrandom::fill(&mut key).is_err() {
            // No OS randomness: fall back on std's randomly seeded SipHash keys and the
            // clock (still never written out).
            use std::hash::BuildHasher;
            for chunk in key.chunks_mut(8) {
                let mut h = std::collections::hash_map::RandomState::new().build_hasher();
                h.write_u128(
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_nanos())
                        .unwrap_or(0),
                );
                chunk.copy_from_slice(&h.finish().to_le_bytes());
            }
        }
        let (a, b) = key.split_at(8);
        let word = |s: &[u8]| {
            let mut w = [0u8; 8];
            w.copy_from_slice(s);
            u64::from_le_bytes(w)
        };
        (word(a), word(b))
    })
}

/// The keyed hash of some bytes.
fn keyed_hash(bytes: &[u8]) -> u64 {
    let (k0, k1) = key();
    let mut h = SipHasher24::new_with_keys(k0, k1);
    h.write(bytes);
    h.finish()
}

/// A one-way identifier of the process key (the keyed hash of a fixed label), so reports can
/// tell whether two sketches were made under the same key.
pub fn key_id() -> String {
    format!("{:016x}", keyed_hash(b"anonkos.sketch.key-id"))
}

/// Whether a cell is worth hashing (identifiers have digits or an `@`, and a bounded length).
#[inline]
fn candidate(cell: &str) -> bool {
    let n = cell.len();
    (5..=64).contains(&n) && cell.bytes().any(|b| b.is_ascii_digit() || b == b'@')
}

/// The keyed 64-bit hash of a normalised value.
fn hash_value(cell: &str) -> u64 {
    let mut norm = [0u8; 64];
    let mut len = 0;
    for b in cell.bytes() {
        if matches!(b, b' ' | b'-' | b'.' | b'/' | b'(' | b')' | b'\t') {
            continue;
        }
        norm[len] = b.to_ascii_uppercase();
        len += 1;
    }
    keyed_hash(&norm[..len])
}

/// A bottom-k sketch.
#[derive(Debug, Clone)]
pub struct Sketch {
    hashes: BTreeSet<u64>,
    /// Hashes at or above this cannot enter the sketch it will be merged into (that sketch
    /// is full and its largest kept hash is this), so they are not kept here either.
    ceiling: u64,
    /// A part's sketch only collects hashes; the merge keeps the smallest (one ordered insert
    /// per hash that can still enter, instead of filling and trimming a tree per part).
    pending: Option<Vec<u64>>,
}

impl Default for Sketch {
    fn default() -> Self {
        Sketch {
            hashes: BTreeSet::new(),
            ceiling: u64::MAX,
            pending: None,
        }
    }
}

impl PartialEq for Sketch {
    fn eq(&self, o: &Self) -> bool {
        self.hashes == o.hashes
    }
}

impl Eq for Sketch {}

impl Sketch {
    /// An empty sketch for a part of a column whose sketch so far is `whole`, to be merged
    /// into it: hashes that could not enter `whole` are dropped at once, the others are only
    /// collected (merging the part gives the same result as inserting into `whole`).
    pub fn for_part_of(whole: &Sketch) -> Self {
        Sketch {
            hashes: BTreeSet::new(),
            ceiling: whole.admission_ceiling(),
            pending: Some(Vec::new()),
        }
    }

    /// Hashes at or above this value would be dropped by [`insert`](Self::insert).
    fn admission_ceiling(&self) -> u64 {
        if self.hashes.len() >= SKETCH_K {
            self.hashes
                .last()
                .copied()
                .unwrap_or(u64::MAX)
                .min(self.ceiling)
        } else {
            self.ceiling
        }
    }

    /// Observe one trimmed, non-empty cell.
    #[inline]
    pub fn observe(&mut self, cell: &str) {
        if !candidate(cell) {
            return;
        }
        self.insert(hash_value(cell));
    }

    /// Insert one hash, keeping the `k` smallest.
    pub fn insert(&mut self, h: u64) {
        if h >= self.ceiling {
            return;
        }
        if let Some(p) = &mut self.pending {
            p.push(h);
            return;
        }
        if self.hashes.len() >= SKETCH_K {
            match self.hashes.last() {
                Some(&max) if h >= max => return,
                _ => {}
            }
        }
        self.hashes.insert(h);
        if self.hashes.len() > SKETCH_K {
            self.hashes.pop_last();
        }
    }

    /// Merge another sketch (of the same column, or to build a union).
    pub fn merge(&mut self, o: &Sketch) {
        for &h in o.hashes.iter().chain(o.pending.iter().flatten()) {
            self.insert(h);
        }
    }

    /// The kept hashes, ascending.
    pub fn hashes(&self) -> impl Iterator<Item = u64> + '_ {
        self.hashes.iter().copied()
    }

    /// Rebuild from stored hashes (e.g. read back from a scan report).
    pub fn from_hashes(hs: impl IntoIterator<Item = u64>) -> Self {
        // A stored sketch has no ceiling: every hash it holds is kept.
        let mut s = Sketch::default();
        for h in hs {
            s.insert(h);
        }
        s
    }

    /// Whether nothing was hashed.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// Whether the sketch holds every distinct value seen (fewer than `k`).
    pub fn is_exact(&self) -> bool {
        self.hashes.len() < SKETCH_K
    }

    /// Estimated distinct values.
    pub fn distinct(&self) -> f64 {
        let n = self.hashes.len();
        if n < SKETCH_K {
            return n as f64;
        }
        match self.hashes.last() {
            Some(&max) => {
                let u = (max as f64 + 1.0) / 18_446_744_073_709_551_616.0;
                (SKETCH_K as f64 - 1.0) / u
            }
            None => 0.0,
        }
    }

    /// Estimated number of values present in both sketches (exact when both are exact).
    pub fn overlap(&self, o: &Sketch) -> f64 {
        let mut union = self.clone();
        union.merge(o);
        if union.hashes.is_empty() {
            return 0.0;
        }
        let both = union
            .hashes
            .iter()
            .filter(|h| self.hashes.contains(h) && o.hashes.contains(h))
            .count();
        let jaccard = both as f64 / union.hashes.len() as f64;
        jaccard * union.distinct()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_sets_are_exact_and_normalised() {
        let mut a = Sketch::default();
        let mut b = Sketch::default();
        for i in 0..300u32 {
            a.observe(&format!("12{i:08}"));
        }
        for i in 200..700u32 {
            b.observe(&format!("12-{i:08}"));
        }
        a.observe("short");
        assert_eq!(a.distinct(), 300.0);
        assert_eq!(b.distinct(), 500.0);
        assert_eq!(a.overlap(&b), 100.0);
    }

    #[test]
    fn large_sets_are_estimated_within_ten_percent() {
        let mut a = Sketch::default();
        let mut b = Sketch::default();
        for i in 0..50_000u32 {
            a.observe(&format!("{i:010}"));
        }
        for i in 40_000..100_000u32 {
            b.observe(&format!("{i:010}"));
        }
        let d = a.distinct();
        assert!((d - 50_000.0).abs() < 5_000.0, "{d}");
        let o = a.overlap(&b);
        assert!((o - 10_000.0).abs() < 3_000.0, "{o}");
    }

    /// Parts collected with the whole's ceiling and merged give exactly the sketch of
    /// inserting every hash into the whole.
    #[test]
    fn parts_merge_like_one_pass() {
        let mut one = Sketch::default();
        let mut whole = Sketch::default();
        for part in 0..20u32 {
            let mut p = Sketch::for_part_of(&whole);
            for i in 0..3000u32 {
                let v = format!("{:010}", part * 3000 + i);
                one.observe(&v);
                p.observe(&v);
            }
            whole.merge(&p);
        }
        assert_eq!(whole, one);
        assert_eq!(whole.hashes().count(), SKETCH_K);
    }

    #[test]
    fn key_is_not_a_constant() {
        assert_eq!(key_id().len(), 16);
        // The same value hashes the same within a process.
        assert_eq!(hash_value("1234567892"), hash_value("123 456 7892"));
    }
}
