//! A per-batch cache of a deterministic text action's outputs keyed by the input value
//! (`pseudonymise`): a column that repeats values (first names and surnames) computes each
//! distinct value once per batch. (`fpe` takes a batch at once and finds its repeats there;
//! it shares [`PROBE`] and [`MIN_HIT_RATE`].)
//!
//! Bounded: at most [`CAPACITY`] entries and their text per batch. A column whose values
//! hardly repeat (a primary key) stops using the cache after [`PROBE`] values, so it pays for
//! the probe only (`benches/transform.rs` measures both cases).
use hashbrown::HashTable;

use crate::detect::hash::hash_bytes;

/// Distinct values remembered per batch.
const CAPACITY: usize = 16_384;
/// Values looked at before deciding whether the column repeats enough to keep caching.
pub(crate) const PROBE: u32 = 2_048;
/// The cache stays on when at least one in this many probed values was a repeat.
pub(crate) const MIN_HIT_RATE: u32 = 8;

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
    seen: u32,
    hits: u32,
    on: bool,
}

impl Cache {
    /// An empty cache; `on = false` never caches.
    pub fn new(on: bool) -> Cache {
        Cache {
            table: HashTable::new(),
            arena: String::new(),
            seen: 0,
            hits: 0,
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
        self.seen += 1;
        if let Some(e) = self
            .table
            .find(hash, |e| e.hash == hash && slice(e.key) == v)
        {
            self.hits += 1;
            out.push_str(slice(e.out));
            return e.ok;
        }
        if self.seen == PROBE && self.hits * MIN_HIT_RATE < PROBE {
            // Few repeats: stop caching (and free what was kept).
            self.on = false;
            self.table = HashTable::new();
            self.arena = String::new();
            return f(v, out);
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

    #[test]
    fn a_column_without_repeats_stops_caching() {
        let mut c = Cache::new(true);
        let mut out = String::new();
        for i in 0..PROBE + 10 {
            c.get_or(&i.to_string(), &mut out, upper);
        }
        assert!(!c.on);
        assert!(c.table.is_empty() && c.arena.is_empty());
        // Still correct afterwards.
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
