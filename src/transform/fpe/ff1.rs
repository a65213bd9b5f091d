//! FF1 (NIST SP 800-38G) specialised for the short numeral strings `fpe` encrypts.
//!
//! The general implementation (the `fpe` crate) holds the halves of a value as big integers
//! and runs the PRF (a CBC-MAC) over the whole of `P ‖ Q` in every round: about 0.3 M
//! ten-digit values per second per core. Here, for a radix and length where `radix^v`
//! (`v = n − ⌊n/2⌋`) is below 2¹²⁰, so that both halves, `y mod radix^m` and the byte string
//! `NUM_b(B)` fit in a `u128`:
//!
//! * the AES key schedule is expanded once per key ([`Ff1::new`]);
//! * everything in `P ‖ Q` that does not depend on the value, the block `P` and every whole
//!   block of `Q` before the last, is run through the CBC-MAC once per tweak and length
//!   ([`Ff1::domain`]); a round then costs one AES block (two when `d` = 20 bytes);
//! * the halves are `u128` integers (no allocation);
//! * [`Ff1::encrypt_many`] runs the rounds of many values in lock step, so the AES
//!   instructions of different values overlap in the pipeline.
//!
//! The output is FF1's, bit for bit: the NIST sample vectors and a property test against the
//! general implementation (`tests`) check it. Other radices and lengths return `None` from
//! [`Ff1::domain`] and the caller uses the general implementation.
use aes::cipher::consts::U16;
use aes::cipher::{Array, BlockCipherEncrypt, BlockSizeUser, KeyInit};

/// A block cipher with 16-byte blocks (AES-128/192/256).
pub trait Cipher: BlockCipherEncrypt + BlockSizeUser<BlockSize = U16> + KeyInit {}
impl<C: BlockCipherEncrypt + BlockSizeUser<BlockSize = U16> + KeyInit> Cipher for C {}

type Block = Array<u8, U16>;

/// FF1's ten rounds.
const ROUNDS: u8 = 10;

/// Values per lock-step group in [`Ff1::encrypt_many`] (enough to fill the AES pipeline; small
/// enough to stay in L1).
const LANES: usize = 32;

/// FF1 under one key (key schedule expanded once) for one radix.
pub struct Ff1<C> {
    aes: C,
    radix: u32,
}

/// One (tweak, length) of an [`Ff1`]: the parts of the PRF input that do not depend on the
/// value, already through the CBC-MAC.
#[derive(Clone, Debug)]
pub struct Domain {
    radix: u32,
    n: usize,
    u: usize,
    b: usize,
    d: usize,
    mu: u128,
    mv: u128,
    /// The CBC-MAC state after `P` and the whole blocks of `Q` before the last, XORed with
    /// that last block's value-independent bytes (tweak tail and zero padding).
    hl: u128,
}

impl Domain {
    /// The number of numerals of the domain's strings.
    pub fn numerals(&self) -> usize {
        self.n
    }
}

impl<C: Cipher> Ff1<C> {
    /// FF1 with `key` (16, 24 or 32 bytes as `C` wants) over `radix` (2..=2¹⁶); `None` for a
    /// key of the wrong length or a radix out of range.
    pub fn new(key: &[u8], radix: u32) -> Option<Ff1<C>> {
        if !(2..=1 << 16).contains(&radix) {
            return None;
        }
        let aes = C::new_from_slice(key).ok()?;
        Some(Ff1 { aes, radix })
    }

    fn encrypt_block(&self, x: u128) -> u128 {
        let mut blk = Block::from(x.to_be_bytes());
        self.aes.encrypt_block(&mut blk);
        u128::from_be_bytes(blk.0)
    }

    /// The domain of numeral strings of length `n` under `tweak`; `None` where FF1 does not
    /// allow the length (`radix^n` < 10⁶, NIST SP 800-38G Rev. 1) or where `radix^v` does not
    /// fit this implementation (use the general one).
    pub fn domain(&self, tweak: &[u8], n: usize) -> Option<Domain> {
        let radix = u128::from(self.radix);
        let (u, v) = (n / 2, n - n / 2);
        let n32 = u32::try_from(n).ok()?;
        let t32 = u32::try_from(tweak.len()).ok()?;
        let mv = radix.checked_pow(u32::try_from(v).ok()?)?;
        if n < 2 || mv >= 1 << 120 {
            return None;
        }
        let mu = radix.pow(u32::try_from(u).ok()?);
        if mu.checked_mul(mv).is_some_and(|all| all < 1_000_000) {
            return None;
        }
        // b = ⌈⌈v·log₂ radix⌉ / 8⌉, exactly: radix^v has ⌈log₂⌉ = its bit length unless it is a
        // power of two.
        let bits = if mv.is_power_of_two() {
            mv.trailing_zeros()
        } else {
            128 - mv.leading_zeros()
        };
        let b = bits.div_ceil(8) as usize;
        let d = 4 * b.div_ceil(4) + 4;
        // P = [1, 2, 1] ‖ [radix]³ ‖ [10] ‖ [u mod 256] ‖ [n]⁴ ‖ [t]⁴
        let mut p = [
            1,
            2,
            1,
            0,
            0,
            0,
            10,
            (u % 256) as u8,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
        ];
        p[3..6].copy_from_slice(&self.radix.to_be_bytes()[1..]);
        p[8..12].copy_from_slice(&n32.to_be_bytes());
        p[12..16].copy_from_slice(&t32.to_be_bytes());
        // Q = T ‖ [0]^((−t−b−1) mod 16) ‖ [i] ‖ [NUM(B)]^b; its last block holds [i] ‖ NUM(B)
        // (b ≤ 15) after value-independent bytes.
        let t = tweak.len();
        let pad = (16 - (t + b + 1) % 16) % 16;
        let mut q = tweak.to_vec();
        q.resize(t + pad + 1 + b, 0);
        let mut h = self.encrypt_block(u128::from_be_bytes(p));
        let (whole, last) = q.split_at(q.len() - 16);
        for blk in whole.chunks_exact(16) {
            h = self.encrypt_block(h ^ u128::from_be_bytes(blk.try_into().ok()?));
        }
        let last = u128::from_be_bytes(last.try_into().ok()?);
        Some(Domain {
            radix: self.radix,
            n,
            u,
            b,
            d,
            mu,
            mv,
            hl: h ^ last,
        })
    }

    /// The last PRF input block of round `i` for the half `x`.
    #[inline]
    fn round_block(dom: &Domain, i: u8, x: u128) -> u128 {
        dom.hl ^ (u128::from(i) << (8 * dom.b)) ^ x
    }

    /// `y mod m` from the PRF output `r` (`S` = the first `d` bytes of `R ‖ CIPH(R ⊕ [1]¹⁶)`).
    #[inline]
    fn y_mod(&self, dom: &Domain, r: u128, m: u128) -> u128 {
        if dom.d <= 16 {
            return mod_fast(r >> (8 * (16 - dom.d)), m);
        }
        // d = 20: four more bytes of S from a second block (m < 2¹²⁰, so acc·256 fits).
        let extra = self.encrypt_block(r ^ 1).to_be_bytes();
        let mut acc = r % m;
        for &byte in &extra[..dom.d - 16] {
            acc = ((acc << 8) | u128::from(byte)) % m;
        }
        acc
    }

    /// FF1.Encrypt of the halves `(NUM(A), NUM(B))` (each below `radix^u`, `radix^v`).
    pub fn encrypt_num(&self, dom: &Domain, mut a: u128, mut b: u128) -> (u128, u128) {
        for i in 0..ROUNDS {
            let m = if i % 2 == 0 { dom.mu } else { dom.mv };
            let r = self.encrypt_block(Self::round_block(dom, i, b));
            let c = add_mod(a, self.y_mod(dom, r, m), m);
            (a, b) = (b, c);
        }
        (a, b)
    }

    /// FF1.Decrypt of the halves `(NUM(A), NUM(B))`.
    pub fn decrypt_num(&self, dom: &Domain, mut a: u128, mut b: u128) -> (u128, u128) {
        for i in (0..ROUNDS).rev() {
            let m = if i % 2 == 0 { dom.mu } else { dom.mv };
            let r = self.encrypt_block(Self::round_block(dom, i, a));
            let c = sub_mod(b, self.y_mod(dom, r, m), m);
            (a, b) = (c, a);
        }
        (a, b)
    }

    /// Encrypt (or decrypt) the numeral string `x` in place; `false` (and `x` unchanged) when
    /// its length is not the domain's or a numeral is not below the radix.
    pub fn crypt(&self, dom: &Domain, x: &mut [u16], decrypt: bool) -> bool {
        let Some((a, b)) = split_num(dom, x) else {
            return false;
        };
        let (a, b) = if decrypt {
            self.decrypt_num(dom, a, b)
        } else {
            self.encrypt_num(dom, a, b)
        };
        join_num(dom, (a, b), x);
        true
    }

    /// FF1.Encrypt of many `(NUM(A), NUM(B))` pairs in place, rounds in lock step over groups
    /// of values (one `encrypt_blocks` call per round and group).
    pub fn encrypt_many(&self, dom: &Domain, vals: &mut [(u128, u128)]) {
        let mut blocks = [Block::default(); LANES];
        for group in vals.chunks_mut(LANES) {
            let blocks = &mut blocks[..group.len()];
            for i in 0..ROUNDS {
                let m = if i % 2 == 0 { dom.mu } else { dom.mv };
                for (blk, &(_, b)) in blocks.iter_mut().zip(group.iter()) {
                    *blk = Block::from(Self::round_block(dom, i, b).to_be_bytes());
                }
                self.aes.encrypt_blocks(blocks);
                for (blk, (a, b)) in blocks.iter().zip(group.iter_mut()) {
                    let y = self.y_mod(dom, u128::from_be_bytes(blk.0), m);
                    (*a, *b) = (*b, add_mod(*a, y, m));
                }
            }
        }
    }
}

/// The halves of `x` as integers (`None` for a wrong length or numeral).
pub fn split_num(dom: &Domain, x: &[u16]) -> Option<(u128, u128)> {
    if x.len() != dom.n {
        return None;
    }
    let num = |s: &[u16]| {
        s.iter().try_fold(0u128, |acc, &c| {
            (u32::from(c) < dom.radix).then(|| acc * u128::from(dom.radix) + u128::from(c))
        })
    };
    Some((num(&x[..dom.u])?, num(&x[dom.u..])?))
}

/// The halves `(a, b)` written back into `x` (the inverse of [`split_num`]; `x` has the
/// domain's length).
pub fn join_num(dom: &Domain, (a, b): (u128, u128), x: &mut [u16]) {
    write_num(a, &mut x[..dom.u], dom.radix);
    write_num(b, &mut x[dom.u..], dom.radix);
}

/// `STR^len_radix(v)` into `out` (most significant numeral first). Division by a constant
/// radix (10, 36) and by `u64` where the value fits is several times cheaper than `u128`.
pub fn write_num(v: u128, out: &mut [u16], radix: u32) {
    fn digits<const R: u64>(mut v: u64, out: &mut [u16]) {
        for o in out.iter_mut().rev() {
            *o = (v % R) as u16;
            v /= R;
        }
    }
    match (u64::try_from(v), radix) {
        (Ok(v), 10) => digits::<10>(v, out),
        (Ok(v), 36) => digits::<36>(v, out),
        _ => {
            let (mut v, r) = (v, u128::from(radix));
            for o in out.iter_mut().rev() {
                *o = (v % r) as u16;
                v /= r;
            }
        }
    }
}

#[inline]
fn mod_fast(y: u128, m: u128) -> u128 {
    match (u64::try_from(y), u64::try_from(m)) {
        (Ok(y), Ok(m)) => u128::from(y % m),
        _ => y % m,
    }
}

#[inline]
fn add_mod(a: u128, y: u128, m: u128) -> u128 {
    let s = a + y; // both below m < 2¹²⁰
    if s >= m { s - m } else { s }
}

#[inline]
fn sub_mod(b: u128, y: u128, m: u128) -> u128 {
    if b >= y { b - y } else { b + m - y }
}

#[cfg(test)]
#[path = "ff1_tests.rs"]
mod tests;
