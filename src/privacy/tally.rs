//! Rows counted per combination of attribute codes: the first pass's inner loop, run once per
//! row. In: each row's codes (one per QI and sensitive attribute). Out: every distinct
//! combination with its count.
//!
//! A combination is packed into one `u64`, each attribute's code in as many bits as its codes
//! so far need (plus headroom), while all of them fit in 64 bits: a one-word key is hashed with
//! one multiply and compared with one instruction, and the table entry is 16 bytes, so more of
//! the table stays in cache (a table of 100,000 birth-date bands × diagnoses is 2 MB instead
//! of 6). When a code outgrows its field the table is re-keyed with a wider one (a handful of
//! times per run: widths grow by two bits at a time, codes are dense). Attributes whose codes
//! need more than 64 bits together fall back to keys of one `u32` per attribute. The keys are
//! dense codes handed out in order of first sight, which the data cannot choose, so an
//! unkeyed hash cannot be flooded.
use smallvec::SmallVec;

use crate::detect::hash::{FxHashMap, MixBuild};

/// The codes of one row, inline for up to eight attributes (no allocation, no pointer to
/// follow when the counts are looked up).
pub(super) type Key = SmallVec<[u32; 8]>;

/// Bits added beyond what a code needs when a field is widened, so that a growing attribute
/// is re-keyed about every fourfold growth, not at every new bit.
const HEADROOM: u32 = 2;

/// Counts of rows per combination of codes.
#[derive(Debug, Clone)]
pub(super) struct Tally {
    /// Bits of each attribute's field in a packed key (the first attribute highest).
    widths: Vec<u32>,
    /// Packed key → rows, while the fields fit in 64 bits …
    packed: std::collections::HashMap<u64, u64, MixBuild>,
    /// … and one `u32` per attribute once they do not.
    wide: Option<FxHashMap<Key, u64>>,
}

/// Bits a code needs (at least one).
fn bits(code: u32) -> u32 {
    (u32::BITS - code.leading_zeros()).max(1)
}

impl Tally {
    /// An empty tally of rows of `n` attributes.
    pub(super) fn new(n: usize) -> Tally {
        Tally {
            widths: vec![HEADROOM; n],
            packed: Default::default(),
            wide: (n as u32 * HEADROOM > u64::BITS).then(FxHashMap::default),
        }
    }

    /// Count `n` rows with these codes (one per attribute, in order).
    #[inline]
    pub(super) fn add(&mut self, codes: &[u32], n: u64) {
        if let Some(wide) = &mut self.wide {
            *wide.entry(Key::from_slice(codes)).or_insert(0) += n;
            return;
        }
        match pack(codes, &self.widths) {
            Some(key) => *self.packed.entry(key).or_insert(0) += n,
            None => {
                self.widen(codes);
                self.add(codes, n);
            }
        }
    }

    /// Make every field wide enough for `codes`: re-key the table with the new widths, or
    /// move it to one-word-per-attribute keys when they no longer fit in 64 bits.
    #[cold]
    fn widen(&mut self, codes: &[u32]) {
        let old = std::mem::take(&mut self.packed);
        let old_widths = self.widths.clone();
        for (w, &c) in self.widths.iter_mut().zip(codes) {
            if bits(c) > *w {
                *w = (bits(c) + HEADROOM).min(u32::BITS);
            }
        }
        let entries = old.into_iter().map(|(k, n)| (unpack(k, &old_widths), n));
        if self.widths.iter().sum::<u32>() > u64::BITS {
            self.wide = Some(entries.collect());
            return;
        }
        self.packed.reserve(entries.len());
        for (codes, n) in entries {
            // The old codes fit the old fields, which are no wider than the new ones.
            if let Some(key) = pack(&codes, &self.widths) {
                self.packed.insert(key, n);
            }
        }
    }

    /// Number of distinct combinations.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.wide.as_ref().map_or(self.packed.len(), |w| w.len())
    }

    /// Every combination's codes with its count, in no particular order.
    pub(super) fn into_entries(self) -> Box<dyn Iterator<Item = (Key, u64)>> {
        match self.wide {
            Some(wide) => Box::new(wide.into_iter()),
            None => {
                let widths = self.widths;
                Box::new(
                    self.packed
                        .into_iter()
                        .map(move |(k, n)| (unpack(k, &widths), n)),
                )
            }
        }
    }
}

/// `codes` packed into one key with these field widths; `None` when a code does not fit its
/// field.
#[inline]
fn pack(codes: &[u32], widths: &[u32]) -> Option<u64> {
    let mut key = 0u64;
    for (&c, &w) in codes.iter().zip(widths) {
        if u64::from(c) >> w != 0 {
            return None;
        }
        key = (key << w) | u64::from(c);
    }
    Some(key)
}

/// The codes packed in `key` with these field widths.
fn unpack(mut key: u64, widths: &[u32]) -> Key {
    let mut codes: Key = widths
        .iter()
        .rev()
        .map(|&w| {
            let c = key & ((1u64 << w) - 1);
            key >>= w;
            c as u32
        })
        .collect();
    codes.reverse();
    codes
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn sorted(t: Tally) -> BTreeMap<Vec<u32>, u64> {
        t.into_entries().map(|(k, n)| (k.to_vec(), n)).collect()
    }

    proptest! {
        /// The tally equals a plain map of code vectors, whatever the codes' sizes and the
        /// order they grow in (re-keying on the way, or moving to wide keys).
        #[test]
        fn counts_like_a_map(
            n in 1usize..10,
            rows in proptest::collection::vec(
                (proptest::collection::vec(
                    prop_oneof![0u32..4, 0u32..300, 0u32..70_000, Just(u32::MAX - 1)], 10),
                 1u64..5),
                0..300,
            ),
        ) {
            let mut t = Tally::new(n);
            let mut want: BTreeMap<Vec<u32>, u64> = BTreeMap::new();
            for (codes, c) in &rows {
                t.add(&codes[..n], *c);
                *want.entry(codes[..n].to_vec()).or_insert(0) += c;
            }
            prop_assert_eq!(t.len(), want.len());
            prop_assert_eq!(sorted(t), want);
        }
    }

    #[test]
    fn small_codes_stay_packed_and_large_ones_go_wide() {
        let mut t = Tally::new(3);
        t.add(&[1, 2, 3], 1);
        t.add(&[1000, 2, 3], 2);
        t.add(&[1, 2, 3], 4);
        assert!(t.wide.is_none());
        assert_eq!(t.len(), 2);
        t.add(&[1 << 30, 1 << 30, 1 << 30], 1);
        assert!(t.wide.is_some());
        let got = sorted(t);
        assert_eq!(got[&vec![1, 2, 3]], 5);
        assert_eq!(got[&vec![1000, 2, 3]], 2);
        assert_eq!(got[&vec![1 << 30, 1 << 30, 1 << 30]], 1);
    }

    #[test]
    fn many_attributes_start_wide() {
        let mut t = Tally::new(40);
        t.add(&[0; 40], 3);
        assert!(t.wide.is_some());
        assert_eq!(sorted(t)[&vec![0; 40]], 3);
    }
}
