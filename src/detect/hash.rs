//! A fast non-cryptographic hasher (the Fx hash of rustc/Firefox) for the detector's
//! internal maps: vocabulary lookups and distinct counting run once per cell, and the
//! standard SipHash (built against hash flooding, which trusted pattern files and
//! already-hashed keys do not need) costs several times more there.
use std::hash::{BuildHasherDefault, Hasher};

const K: u64 = 0x517c_c1b7_2722_0a95;

/// The Fx hasher.
#[derive(Debug, Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(K);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

/// `BuildHasher` for [`FxHasher`].
pub type FxBuild = BuildHasherDefault<FxHasher>;
/// A `HashMap` with [`FxHasher`].
pub type FxHashMap<K, V> = std::collections::HashMap<K, V, FxBuild>;
/// A `HashSet` with [`FxHasher`].
pub type FxHashSet<K> = std::collections::HashSet<K, FxBuild>;

/// A hasher for keys that are one `u64` made of packed small integers (the privacy tables'
/// class keys): [`FxHasher`] would leave a key's high bits out of the low bits the table
/// indexes by, so keys differing only there would share a bucket. One folded 64×64→128-bit
/// multiply mixes every bit into every bit.
#[derive(Debug, Default, Clone, Copy)]
pub struct MixHasher {
    hash: u64,
}

impl Hasher for MixHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        self.hash = hash_bytes(bytes) ^ self.hash.rotate_left(17);
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.hash = fold(self.hash, i);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

/// Mix word `w` into `h`: a folded 64×64→128-bit multiply (both halves of the product, so
/// every input bit reaches every output bit).
#[inline]
fn fold(h: u64, w: u64) -> u64 {
    const M: u64 = 0x9e37_79b9_7f4a_7c15;
    let p = u128::from(h ^ w) * u128::from(M);
    (p as u64) ^ ((p >> 64) as u64)
}

/// `BuildHasher` for [`MixHasher`].
pub type MixBuild = BuildHasherDefault<MixHasher>;

/// Hash bytes to 64 bits (distinct counting, where a collision undercounts).
///
/// Not [`FxHasher`]: its multiply carries differences upwards only, so strings that differ in
/// their last bytes (`KRT141728`, `KRT141730`) collide far more often than 64 bits allow (200
/// such codes counted as 197 distinct, and a unique key looked repeated). Each 8-byte word is
/// mixed by a folded 64×64→128-bit multiply (both halves of the product, so every input bit
/// reaches every output bit). No finaliser: the fold alone keeps the sequential codes of the
/// test below apart, and the hash runs once per scanned cell.
#[inline]
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h = K ^ bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = fold(h, u64::from_le_bytes(w));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        h = fold(h, u64::from_le_bytes(w));
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differs_on_small_changes() {
        assert_ne!(hash_bytes(b"1234567892"), hash_bytes(b"1234567893"));
        assert_ne!(hash_bytes(b"a"), hash_bytes(b"a\0"));
        assert_eq!(hash_bytes(b"Prishtine"), hash_bytes(b"Prishtine"));
    }

    /// Sequential codes and numbers, the shape of record keys, never collide.
    #[test]
    fn sequential_keys_hash_apart() {
        for fmt in [
            |i: u32| format!("KRT{i:06}"),
            |i: u32| format!("{}", 1_000_000_000 + i),
            |i: u32| format!("B-{i}"),
        ] {
            let hashes: std::collections::HashSet<u64> = (0..200_000)
                .map(|i| hash_bytes(fmt(i).as_bytes()))
                .collect();
            assert_eq!(hashes.len(), 200_000, "{}", fmt(0));
        }
    }
}
