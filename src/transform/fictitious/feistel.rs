//! A keyed permutation of `0..a·b` (a Feistel network over the mixed-radix domain
//! `Z_a × Z_b`), the bijection every fictitious identifier is drawn through.
//!
//! A value `x` is split into `l = x / b` and `r = x % b`; round `i` adds a pseudo-random
//! function of one half to the other, modulo its own radix (`l += F(i, r) mod a` on even
//! rounds, `r += F(i, l) mod b` on odd ones). Each round is invertible whatever `F` is, so
//! the whole network is a permutation: distinct inputs give distinct outputs, which keeps a
//! column's distinct values distinct (unique keys survive). `F` is one AES-256 block of
//! (round, tweak, half) under a subkey of the run's key, as in FF1 (NIST SP 800-38G), with
//! FF1's ten rounds; unlike FF1 the halves are integers, not numeral strings, so a value costs
//! ten AES blocks and no big-integer arithmetic. Unlike FF1 it has no published security
//! analysis of its own: it is used for pseudonyms that must not collide, not to keep a value
//! secret from someone who sees many pairs (the outputs carry no information that is not
//! already in the key and the input).
use aes::Aes256;
use aes::cipher::{Array, BlockCipherEncrypt, KeyInit};

/// Rounds, as FF1.
const ROUNDS: u8 = 10;

/// A keyed permutation of `0..a·b`.
pub struct Feistel {
    aes: Aes256,
    a: u64,
    b: u64,
}

impl Feistel {
    /// The permutation of `0..a·b` under a 32-byte subkey. `a` and `b` are at least 2 and
    /// `a·b` fits in a `u64` (checked by the callers' range sizes).
    pub fn new(subkey: &[u8; 32], a: u64, b: u64) -> Feistel {
        Feistel {
            aes: Aes256::new(&Array::from(*subkey)),
            a: a.max(2),
            b: b.max(2),
        }
    }

    /// The size of the domain.
    pub fn size(&self) -> u64 {
        self.a.saturating_mul(self.b)
    }

    /// The pseudo-random function of round `i`: the first eight bytes of
    /// AES(round ‖ tweak ‖ half).
    #[inline]
    fn f(&self, round: u8, tweak: u64, half: u64) -> u64 {
        let mut block = [0u8; 16];
        block[..8].copy_from_slice(&tweak.to_le_bytes());
        block[0] ^= round; // the tweak's low byte is free: callers use small tweaks
        block[8..].copy_from_slice(&half.to_le_bytes());
        let mut blk = Array::from(block);
        self.aes.encrypt_block(&mut blk);
        let mut out = [0u8; 8];
        out.copy_from_slice(&blk[..8]);
        u64::from_le_bytes(out)
    }

    /// The image of `x` (`x < size()`; larger values are reduced first). `tweak` selects one
    /// of 2⁵⁶ independent permutations (its low byte is taken by the round number).
    pub fn encrypt(&self, x: u64, tweak: u64) -> u64 {
        let t = tweak << 8;
        let x = x % self.size();
        let (mut l, mut r) = (x / self.b, x % self.b);
        for i in 0..ROUNDS {
            if i % 2 == 0 {
                l = add_mod(l, self.f(i, t, r) % self.a, self.a);
            } else {
                r = add_mod(r, self.f(i, t, l) % self.b, self.b);
            }
        }
        l * self.b + r
    }

    /// The inverse of [`encrypt`](Self::encrypt) (tests; nothing reverses a fictitious value
    /// in a run).
    #[cfg(test)]
    pub fn decrypt(&self, y: u64, tweak: u64) -> u64 {
        let t = tweak << 8;
        let (mut l, mut r) = (y / self.b, y % self.b);
        for i in (0..ROUNDS).rev() {
            if i % 2 == 0 {
                l = add_mod(l, self.a - self.f(i, t, r) % self.a, self.a);
            } else {
                r = add_mod(r, self.b - self.f(i, t, l) % self.b, self.b);
            }
        }
        l * self.b + r
    }
}

/// `(x + y) mod m` for `x, y < m`, without overflow.
#[inline]
fn add_mod(x: u64, y: u64, m: u64) -> u64 {
    let s = x + y; // x, y < m ≤ 2³² in every domain used, so no overflow
    if s >= m { s - m } else { s }
}

/// Split `n` into two factors as close to √n as the digit structure allows: `(n / 10^k, 10^k)`
/// with `10^k` the power of ten nearest below √n, so both halves are large.
pub fn halves(n: u64) -> (u64, u64) {
    let mut b = 1u64;
    while b.saturating_mul(b).saturating_mul(100) <= n {
        b *= 10;
    }
    // n is a multiple of every power of ten used by the callers' ranges.
    (n / b, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_permutation_of_small_domains() {
        for (a, b) in [(2, 2), (19, 1000), (37, 10), (1000, 1000)] {
            let f = Feistel::new(&[3; 32], a, b);
            let n = f.size();
            let mut seen = vec![false; usize::try_from(n).unwrap()];
            for x in 0..n {
                let y = f.encrypt(x, 5);
                assert!(y < n);
                assert!(!seen[y as usize], "{a}×{b}: collision at {x}");
                seen[y as usize] = true;
                assert_eq!(f.decrypt(y, 5), x);
            }
        }
    }

    #[test]
    fn tweaks_and_keys_give_other_permutations() {
        let f = Feistel::new(&[3; 32], 1000, 1000);
        let g = Feistel::new(&[4; 32], 1000, 1000);
        let same_t = (0..1000)
            .filter(|&x| f.encrypt(x, 1) == f.encrypt(x, 2))
            .count();
        let same_k = (0..1000)
            .filter(|&x| f.encrypt(x, 1) == g.encrypt(x, 1))
            .count();
        assert!(same_t < 5 && same_k < 5, "{same_t} {same_k}");
    }

    #[test]
    fn halves_are_balanced() {
        assert_eq!(halves(19_000_000), (19_000, 1000));
        let (a, b) = halves(10_000_000_000);
        assert_eq!(a * b, 10_000_000_000);
        assert!(a >= 1000 && b >= 1000);
    }
}
