//! One FF1 step of `fpe`: the specialised implementation ([`super::ff1`]) where the radix
//! and length fit it, the general one (the `fpe` crate) otherwise. Both compute the same
//! function (tested), so which one ran never shows in the output.
use std::sync::OnceLock;

use ::fpe::ff1::{FF1, FlexibleNumeralString};
use aes::Aes256;

use super::ff1::{Domain, Ff1};
use crate::error::{Error, Result};

/// The FF1 steps `fpe` takes, each under its own tweak (`anonkos.fpe/<kind>/<tag>`), so
/// that the same digits encrypt differently as, say, a valid and an invalid personal number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tag {
    /// All digits of a `digits` value.
    Digits,
    /// The nine digits after a personal number's leading 9.
    Pn9,
    /// The first nine digits of a valid personal number.
    PnValid,
    /// All ten digits of a personal number that fails the check rule.
    PnInvalid,
    /// A JMBG's 10-digit index (day, region, serial).
    Jmbg,
    /// The 14 account digits of a BBAN.
    Bban,
    /// A phone's six subscriber digits.
    Phone,
    /// The digits of a code with six digits or more.
    AlnumDigits,
    /// The letters and digits of a code, over `0-9A-Z`.
    Alnum,
}

const TAGS: [Tag; 9] = [
    Tag::Digits,
    Tag::Pn9,
    Tag::PnValid,
    Tag::PnInvalid,
    Tag::Jmbg,
    Tag::Bban,
    Tag::Phone,
    Tag::AlnumDigits,
    Tag::Alnum,
];

impl Tag {
    fn suffix(self) -> &'static [u8] {
        match self {
            Tag::Digits => b"/d",
            Tag::Pn9 => b"/pn9",
            Tag::PnValid => b"/pnv",
            Tag::PnInvalid => b"/pnx",
            Tag::Jmbg => b"/jmbg",
            Tag::Bban => b"/bban",
            Tag::Phone => b"/phone",
            Tag::AlnumDigits => b"/an-d",
            Tag::Alnum => b"/an",
        }
    }

    fn radix(self) -> u32 {
        if self == Tag::Alnum { 36 } else { 10 }
    }
}

/// Lengths whose domains are prepared once per transform (longer `digits` values, rare,
/// prepare theirs per value).
const CACHED_LEN: usize = 48;

/// FF1 under `fpe`'s subkey for one identifier kind.
pub struct Engine {
    /// `anonkos.fpe/<kind>`; a step's tweak appends its tag.
    base: Vec<u8>,
    fast10: Ff1<Aes256>,
    fast36: Ff1<Aes256>,
    general10: FF1<Aes256>,
    general36: FF1<Aes256>,
    /// Per tag, per length: the prepared domain, or `None` where the general implementation
    /// runs.
    domains: Vec<Vec<OnceLock<Option<Domain>>>>,
}

impl Engine {
    /// FF1 with the 32-byte `key` under tweaks starting with `base`.
    pub fn new(key: &[u8; 32], base: Vec<u8>) -> Result<Engine> {
        let setup = || Error::Internal("FF1 setup failed".into());
        let general = |radix| FF1::<Aes256>::new(key, radix).map_err(|_| setup());
        Ok(Engine {
            base,
            fast10: Ff1::new(key, 10).ok_or_else(setup)?,
            fast36: Ff1::new(key, 36).ok_or_else(setup)?,
            general10: general(10)?,
            general36: general(36)?,
            domains: TAGS
                .iter()
                .map(|_| (0..CACHED_LEN).map(|_| OnceLock::new()).collect())
                .collect(),
        })
    }

    fn tweak(&self, tag: Tag) -> Vec<u8> {
        [&self.base[..], tag.suffix()].concat()
    }

    fn fast(&self, tag: Tag) -> &Ff1<Aes256> {
        if tag.radix() == 10 {
            &self.fast10
        } else {
            &self.fast36
        }
    }

    /// The specialised FF1 and its prepared domain for `tag` and length `n`; `None` where
    /// the general implementation runs (lengths the fast path does not fit, or that FF1
    /// refuses).
    pub fn prepared(&self, tag: Tag, n: usize) -> Option<(&Ff1<Aes256>, &Domain)> {
        let fast = self.fast(tag);
        let cell = self.domains[tag as usize].get(n)?;
        let dom = cell.get_or_init(|| fast.domain(&self.tweak(tag), n));
        dom.as_ref().map(|d| (fast, d))
    }

    /// One FF1 encryption (or decryption) of the numerals `x`, in place; `false` when FF1
    /// refuses them (too short, a numeral out of the radix).
    pub fn step(&self, tag: Tag, x: &mut [u16], decrypt: bool) -> bool {
        let n = x.len();
        if n < CACHED_LEN {
            return match self.prepared(tag, n) {
                Some((fast, dom)) => fast.crypt(dom, x, decrypt),
                None => self.general(tag, x, decrypt),
            };
        }
        let fast = self.fast(tag);
        match fast.domain(&self.tweak(tag), n) {
            Some(dom) => fast.crypt(&dom, x, decrypt),
            None => self.general(tag, x, decrypt),
        }
    }

    /// The general implementation (big integers): lengths beyond the fast path's.
    fn general(&self, tag: Tag, x: &mut [u16], decrypt: bool) -> bool {
        let c = if tag.radix() == 10 {
            &self.general10
        } else {
            &self.general36
        };
        let tweak = self.tweak(tag);
        let ns = FlexibleNumeralString::from(x.to_vec());
        let r = if decrypt {
            c.decrypt(&tweak, &ns)
        } else {
            c.encrypt(&tweak, &ns)
        };
        match r.map(Vec::from) {
            Ok(out) if out.len() == x.len() => {
                x.copy_from_slice(&out);
                true
            }
            _ => false,
        }
    }

    /// The general implementation alone (the baseline of `benches/transform.rs` and the
    /// property tests).
    pub fn step_general(&self, tag: Tag, x: &mut [u16], decrypt: bool) -> bool {
        self.general(tag, x, decrypt)
    }
}
