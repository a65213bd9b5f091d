//! A per-batch cache of a deterministic text action's outputs keyed by the input value
//! (`pseudonymise`): a column that repeats values (first names and surnames) computes each
//! distinct value once per batch. (`fpe` takes a batch at once and finds its repeats there.)
//!
//! Whether a batch repeats enough to use it is judged once, on [`PROBE`] rows drawn over the
//! whole batch ([`repeats_enough`]): a column whose values hardly repeat (a primary key)
//! pays for the sample only, and a column sorted by another key (visits by date) is not
//! mistaken for unique by its first rows. Bounded: at most [`CAPACITY`] entries and their
//! text per batch (`benches/transform.rs` measures both cases).
use arrow_array::{Array, StringArray};
use hashbrown::HashTable;

use super::text_at;
use crate::detect::hash::hash_bytes;

/// Distinct values remembered per batch.
const CAPACITY: usize = 16_384;
/// Rows sampled to judge whether a batch repeats enough to use the cache.
const PROBE: u32 = 2_048;
/// The cache pays when at least one value in this many repeats an earlier one.
const MIN_HIT_RATE: u32 = 8;

struct Entry {
    hash: u64,
    key: (u32, u32),
    out: (u32, u32),
    ok: bool,
}

/// Outputs of one batch, by input value.
pub struct Cache {
    table: HashTable<Entry>,
    arena: String,
    on: bool,
}

impl Cache {
    /// An empty cache for `batch`: on when the batch repeats enough to pay for it
    /// ([`repeats_enough`]).
    pub fn for_batch(batch: &StringArray) -> Cache {
        Cache::new(repeats_enough(batch))
    }

    /// An empty cache; `on = false` never caches.
    pub fn new(on: bool) -> Cache {
        Cache {
            table: HashTable::new(),
            arena: String::new(),
            on,
        }
    }

    /// The output of `v` appended to `out` (and whether `v` was of the kind), from the cache
    /// or from `f`, which appends to `out` and says whether it succeeded.
    pub fn get_or(
        &mut self,
        v: &str,
        out: &mut String,
        f: impl FnOnce(&str, &mut String) -> bool,
    ) -> bool {
        if !self.on {
            return f(v, out);
        }
        let hash = hash_bytes(v.as_bytes());
        let arena = &self.arena;
        let slice = |(s, l): (u32, u32)| &arena[s as usize..(s + l) as usize];
        if let Some(e) = self
            .table
            .find(hash, |e| e.hash == hash && slice(e.key) == v)
        {
            out.push_str(slice(e.out));
            return e.ok;
        }
        let start = out.len();
        let ok = f(v, out);
        if self.table.len() < CAPACITY {
            let key = self.push(v);
            let produced = if ok { &out[start.min(out.len())..] } else { "" };
            let out_range = self.push(produced);
            if let (Some(key), Some(out_range)) = (key, out_range) {
                let e = Entry {
                    hash,
                    key,
                    out: out_range,
                    ok,
                };
                self.table.insert_unique(hash, e, |e| e.hash);
            }
        }
        ok
    }

    /// Append `s` to the arena; its range (`None` past 4 GiB, never in a batch).
    fn push(&mut self, s: &str) -> Option<(u32, u32)> {
        let start = u32::try_from(self.arena.len()).ok()?;
        let len = u32::try_from(s.len()).ok()?;
        start.checked_add(len)?;
        self.arena.push_str(s);
        Some((start, len))
    }
}

/// Whether at least one value in [`MIN_HIT_RATE`] of the batch repeats an earlier one, so
/// that computing each distinct value once (an `fpe` encryption, a `pseudonymise` token)
/// pays for hashing every value. Judged on
/// [`PROBE`] rows drawn over the whole batch (a column sorted by another key repeats far
/// apart, so its first rows say nothing): the batch's distinct count is estimated with Chao1
/// from the values seen once (`f1`) and twice (`f2`) in the sample, `d + f1²/2f2`, which
/// neither mistakes one frequent value for a repeating column nor misses values repeated a
/// few times each; exact when the sample is the batch. (Values that occur exactly twice each
/// look unique to a sample this small: Chao1 doubles them. They are encrypted twice: slower,
/// never wrong.)
pub(crate) fn repeats_enough(arr: &StringArray) -> bool {
    let n = arr.len();
    let s = n.min(PROBE as usize);
    if s < 2 {
        return false;
    }
    // Rows drawn at random (a fixed sequence: the same batch is always judged alike), each
    // once. An arithmetic progression of rows would line up with columns that cycle.
    let mut rows: Vec<usize> = if s == n {
        (0..n).collect()
    } else {
        (0..s as u64)
            .map(|k| (splitmix64(k) % n as u64) as usize)
            .collect()
    };
    rows.sort_unstable();
    rows.dedup();
    let mut counts: HashTable<(u64, u32)> = HashTable::with_capacity(s);
    let mut sampled = 0usize;
    for &i in &rows {
        let Some(v) = text_at(arr, i) else { continue };
        sampled += 1;
        let h = hash_bytes(v.as_bytes());
        match counts.find_mut(h, |e| e.0 == h) {
            Some(e) => e.1 += 1,
            None => {
                counts.insert_unique(h, (h, 1), |e| e.0);
            }
        }
    }
    let d = counts.len() as f64;
    let distinct = if s == n {
        d
    } else {
        let f = |c: u32| counts.iter().filter(|e| e.1 == c).count() as f64;
        let (f1, f2) = (f(1), f(2));
        if f2 > 0.0 {
            d + f1 * f1 / (2.0 * f2)
        } else {
            d + f1 * (f1 - 1.0).max(0.0) / 2.0
        }
    };
    let values = if s == n { sampled } else { n } as f64;
    sampled > 0 && distinct <= values * (1.0 - 1.0 / f64::from(MIN_HIT_RATE))
}

/// SplitMix64's output function: a well-spread 64-bit value for each `k`.
fn splitmix64(k: u64) -> u64 {
    let mut z = k.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upper(v: &str, out: &mut String) -> bool {
        out.push_str(&v.to_uppercase());
        !v.contains('!')
    }

    #[test]
    fn repeats_come_from_the_cache_with_their_outcome() {
        let mut c = Cache::new(true);
        let mut calls = 0;
        let mut out = String::from("prefix:");
        for v in ["ab", "cd!", "ab", "cd!", "ab"] {
            let before = out.len();
            let ok = c.get_or(v, &mut out, |v, o| {
                calls += 1;
                upper(v, o)
            });
            assert_eq!(ok, !v.contains('!'));
            if ok {
                assert_eq!(&out[before..], v.to_uppercase());
            }
        }
        assert_eq!(calls, 2);
    }

    /// A batch is judged as a whole: a primary key leaves the cache off, a column of names
    /// turns it on even when its first rows are all different (sorted by another key).
    #[test]
    fn the_batch_decides_whether_to_cache() {
        let col = |f: &dyn Fn(usize) -> String| StringArray::from_iter_values((0..65_536).map(f));
        assert!(!Cache::for_batch(&col(&|i| i.to_string())).on);
        assert!(Cache::for_batch(&col(&|i| (i % 3_000).to_string())).on);
        // Unique for its first 10,000 rows, then ten repeats of each of 5,000 values.
        let late = |i: usize| {
            if i < 10_000 {
                format!("u{i}")
            } else {
                format!("r{}", i % 5_000)
            }
        };
        assert!(Cache::for_batch(&col(&late)).on);
        // Still correct when off.
        let mut c = Cache::for_batch(&col(&|i| i.to_string()));
        let mut o = String::new();
        assert!(c.get_or("x", &mut o, upper));
        assert_eq!(o, "X");
    }

    #[test]
    fn bounded() {
        let mut c = Cache::new(true);
        let mut out = String::new();
        // Every value repeats once right away, so the cache stays on.
        for i in 0..(CAPACITY as u32 + 100) {
            for _ in 0..2 {
                out.clear();
                c.get_or(&i.to_string(), &mut out, upper);
            }
        }
        assert!(c.on);
        assert_eq!(c.table.len(), CAPACITY);
    }
}
