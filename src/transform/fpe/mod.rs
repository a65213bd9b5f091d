//! `fpe`: format-preserving encryption with FF1 (NIST SP 800-38G) over AES-256, reversible
//! with the key ([`reveal`], `anonkos reveal`).
//!
//! One FF1 key, [`Key::derive`]`("fpe")`; the tweak is the identifier kind's name, so the same
//! digits encrypt differently as a phone and as a personal number. Formats kept per kind
//! (separators and spacing stay where they were; only the identifier's characters change):
//!
//! * **personal number** (10 digits): a number that passes the (unverified) mod-11 rule
//!   stays valid: its first nine digits are encrypted, cycle-walking until the first digit is
//!   not 9, and the check digit is recomputed. Numbers starting with 9 (which skip the check)
//!   keep the 9 and encrypt the other nine. Numbers that fail the rule are encrypted as ten
//!   digits, cycle-walking until the result fails it too. So validity is kept both ways.
//! * **JMBG** (13 digits): the birth date (1900-01-01 to 2049-12-31, as a day number), the
//!   region and the serial are encrypted together as one 10-digit number, cycle-walking until
//!   the day is in range and the combination's mod-11 remainder is not 1 (numbers that are
//!   never issued); the control digit is recomputed. A wrong control digit stays wrong by
//!   the same amount, so reversal is exact. Dates outside the range are problems.
//! * **IBAN** (`XK`, 20 characters) and **domestic accounts** (16 digits): the 14 account
//!   digits are encrypted, the two national check digits recomputed so the BBAN keeps its
//!   mod-97 remainder (valid stays valid), then the IBAN check digits are recomputed. IBANs
//!   of other countries and IBANs with wrong check digits are problems.
//! * **phone**: the country code, trunk prefix and operator/area code stay; the last six
//!   (subscriber) digits are encrypted. Toll-free and premium numbers are problems.
//! * **passport, ID card, plate, alnum**: with six digits or more, the digits are encrypted
//!   and the letters kept; otherwise all letters and digits are encrypted over `0-9A-Z`
//!   (upper-cased), cycle-walking so the result has fewer than six digits too.
//! * **digits**: all digits (at least six, FF1's minimum domain of 10⁶) are encrypted.
//!
//! E-mail, names, IP addresses and free text have no format FF1 can keep:
//! [`build`](super::build) refuses them.
use arrow_array::{ArrayRef, StringArray};
use arrow_schema::DataType;
use chrono::{Datelike, NaiveDate};
use smallvec::SmallVec;

use super::{ColumnTransform, IdKind, Transformed, config_error, map_text};
use crate::detect::validators::{jmbg, kosovo_pn, phone};
use crate::error::{Error, Location, Result};
use crate::key::Key;

mod engine;
pub mod ff1;

use engine::{Engine, Tag};

/// Numerals of one value (identifiers are short: no allocation up to 24).
type Numerals = SmallVec<[u16; 24]>;

/// Cycle-walking gives up after this many rounds (never reached in practice: the densest
/// restriction, JMBG, needs about two on average).
const MAX_WALK: usize = 10_000;

/// First day of the JMBG date range.
fn jmbg_epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN)
}
/// Longest letters-and-digits value (`alnum`, passport, ID card, plate kinds) encrypted over
/// `0-9A-Z`. The result must cycle-walk to fewer than six digits; beyond about 40 characters
/// almost no step does, so every value ran all [`MAX_WALK`] FF1 rounds (each dearer with the
/// length) before failing: seconds per value, found by the `transforms` fuzz target. No
/// identifier of these kinds is this long; longer values are problems.
const MAX_ALNUM_CHARS: usize = 32;
/// Days in 1900-01-01 ..= 2049-12-31.
const JMBG_DAYS: u32 = 54_787;

/// The FF1 ciphers for one key and kind.
pub struct Fpe {
    kind: IdKind,
    engine: Engine,
    /// Only the general FF1 implementation (the baseline of `benches/transform.rs`).
    general_only: bool,
    /// Whether [`apply`](ColumnTransform::apply) encrypts each distinct value once per batch.
    cache: bool,
}

impl Fpe {
    /// FPE for `kind`; `Error::Config` for kinds whose format cannot be preserved.
    pub fn new(key: &Key, kind: IdKind) -> Result<Fpe> {
        if matches!(
            kind,
            IdKind::Email | IdKind::Name | IdKind::Ip | IdKind::Text
        ) {
            return Err(config_error(format!(
                "fpe cannot preserve the format of {} values; use pseudonymise (or kind = \"digits\"/\"alnum\")",
                kind.name()
            )));
        }
        let tweak = format!("anonkos.fpe/{}", kind.name()).into_bytes();
        Ok(Fpe {
            kind,
            engine: Engine::new(&key.derive("fpe"), tweak)?,
            general_only: false,
            cache: true,
        })
    }

    /// The same transform on the general FF1 implementation alone (big integers, no
    /// prepared domains, no per-batch cache): the same outputs, at the speed `fpe` had before
    /// the specialised one. For benchmarks and tests.
    #[doc(hidden)]
    pub fn new_general(key: &Key, kind: IdKind) -> Result<Fpe> {
        Ok(Fpe {
            general_only: true,
            cache: false,
            ..Fpe::new(key, kind)?
        })
    }

    /// The same transform without the per-batch cache (to measure it).
    #[doc(hidden)]
    pub fn without_cache(self) -> Fpe {
        Fpe {
            cache: false,
            ..self
        }
    }

    /// One FF1 step (encrypt or decrypt) of `x`, in place.
    fn step(&self, tag: Tag, x: &mut [u16], decrypt: bool) -> Option<()> {
        let ok = if self.general_only {
            self.engine.step_general(tag, x, decrypt)
        } else {
            self.engine.step(tag, x, decrypt)
        };
        ok.then_some(())
    }

    /// Cycle-walk: apply FF1 until `ok` holds (a permutation of the set where `ok` holds).
    fn walk(
        &self,
        tag: Tag,
        x: &mut [u16],
        decrypt: bool,
        ok: impl Fn(&[u16]) -> bool,
    ) -> Option<()> {
        for _ in 0..MAX_WALK {
            self.step(tag, x, decrypt)?;
            if ok(x) {
                return Some(());
            }
        }
        None
    }

    /// Encrypt (or decrypt) one value; `None` when it is not of the kind's format.
    pub fn apply_one(&self, v: &str, decrypt: bool) -> Option<String> {
        let mut out = String::with_capacity(v.len());
        self.write_one(v, decrypt, &mut out).then_some(out)
    }

    /// Encrypt (or decrypt) one value into `out`; `false` when it is not of the kind's format
    /// (`out` then holds nothing meaningful).
    fn write_one(&self, v: &str, decrypt: bool, out: &mut String) -> bool {
        if matches!(
            self.kind,
            IdKind::PersonalNumber | IdKind::Jmbg | IdKind::Account | IdKind::Digits
        ) && !digits_and_separators(v)
        {
            // Letters in a number are a problem, not something to keep in the output.
            return false;
        }
        let r = match self.kind {
            IdKind::PersonalNumber => self.personal_number(v, decrypt, out),
            IdKind::Jmbg => self.jmbg(v, decrypt, out),
            IdKind::Iban => self.iban(v, decrypt, out),
            IdKind::Account => self.account(v, decrypt, out),
            IdKind::Phone => self.phone(v, decrypt, out),
            IdKind::Digits => digits_of(v).filter(|d| d.len() >= 6).and_then(|mut d| {
                self.step(Tag::Digits, &mut d, decrypt)?;
                rewrite_digits(v, &d, out);
                Some(())
            }),
            IdKind::Passport | IdKind::IdCard | IdKind::Plate | IdKind::Alnum => {
                self.alnum(v, decrypt, out)
            }
            IdKind::Email | IdKind::Name | IdKind::Ip | IdKind::Text => None,
        };
        r.is_some()
    }

    fn personal_number(&self, v: &str, dec: bool, out: &mut String) -> Option<()> {
        let mut d = digits_of(v)?;
        if d.len() != 10 {
            return None;
        }
        let valid = |x: &[u16]| x[0] == 9 || x[9] == pn_check(&x[..9]);
        if d[0] == 9 {
            self.step(Tag::Pn9, &mut d[1..], dec)?;
        } else if valid(&d) {
            self.walk(Tag::PnValid, &mut d[..9], dec, |x| x[0] != 9)?;
            d[9] = pn_check(&d[..9]);
        } else {
            self.walk(Tag::PnInvalid, &mut d, dec, |x| x[0] != 9 && !valid(x))?;
        }
        rewrite_digits(v, &d, out);
        Some(())
    }

    fn jmbg(&self, v: &str, dec: bool, out: &mut String) -> Option<()> {
        let d = digits_of(v)?;
        if d.len() != 13 {
            return None;
        }
        let (mut idx, delta) = jmbg_split(&d)?;
        let ok = |x: &[u16]| jmbg_join(x, 0).is_some();
        self.walk(Tag::Jmbg, &mut idx, dec, ok)?;
        rewrite_digits(v, &jmbg_join(&idx, delta)?, out);
        Some(())
    }

    fn account(&self, v: &str, dec: bool, out: &mut String) -> Option<()> {
        let mut d = digits_of(v)?;
        if d.len() != 16 {
            return None;
        }
        self.bban(&mut d, dec)?;
        rewrite_digits(v, &d, out);
        Some(())
    }

    /// Encrypt 14 account digits, recompute the two check digits keeping the mod-97 residue.
    fn bban(&self, d: &mut [u16], dec: bool) -> Option<()> {
        let c = d[14] * 10 + d[15];
        if !(2..=98).contains(&c) {
            return None;
        }
        let r = mod97(d);
        self.step(Tag::Bban, &mut d[..14], dec)?;
        let x = mod97(&d[..14]) * 100 % 97;
        // c in 2..=98 with (x + c) mod 97 == r.
        let c = (r + 97 * 2 - x - 2) % 97 + 2;
        d[14] = c / 10;
        d[15] = c % 10;
        Some(())
    }

    fn iban(&self, v: &str, dec: bool, out: &mut String) -> Option<()> {
        let norm = super::normalise_identifier(IdKind::Iban, v)?;
        let b = norm.as_bytes();
        if b.len() != 20 || &b[..2] != b"XK" || !b[2..].iter().all(u8::is_ascii_digit) {
            return None;
        }
        let mut d = digits_of(&norm[2..])?; // check digits + BBAN
        if iban_check(&d[2..]) != d[0] * 10 + d[1] {
            return None;
        }
        self.bban(&mut d[2..], dec)?;
        let cd = iban_check(&d[2..]);
        d[0] = cd / 10;
        d[1] = cd % 10;
        rewrite_digits(v, &d, out);
        Some(())
    }

    fn phone(&self, v: &str, dec: bool, out: &mut String) -> Option<()> {
        let n: String = v
            .replace("(0)", "")
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '+')
            .collect();
        if !phone::is_valid(&n) {
            return None;
        }
        let (_, nsn) = phone::split(&n)?;
        if nsn.starts_with("800") || nsn.starts_with("900") {
            return None;
        }
        let mut d = digits_of(v)?;
        let k = d.len().checked_sub(6)?;
        self.step(Tag::Phone, &mut d[k..], dec)?;
        rewrite_digits(v, &d, out);
        Some(())
    }

    fn alnum(&self, v: &str, dec: bool, out: &mut String) -> Option<()> {
        if let Some(mut d) = digits_of(v).filter(|d| d.len() >= 6) {
            self.step(Tag::AlnumDigits, &mut d, dec)?;
            rewrite_digits(v, &d, out);
            return Some(());
        }
        let mut x: Numerals = v
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .filter_map(|c| c.to_digit(36).and_then(|n| u16::try_from(n).ok()))
            .collect();
        if x.len() < 4 || x.len() > MAX_ALNUM_CHARS {
            return None;
        }
        self.walk(Tag::Alnum, &mut x, dec, |y| {
            y.iter().filter(|&&c| c < 10).count() < 6
        })?;
        let mut it = x.into_iter();
        for c in v.chars() {
            if c.is_ascii_alphanumeric() {
                let k = it.next()?;
                out.push(char::from_digit(u32::from(k), 36)?.to_ascii_uppercase());
            } else {
                out.push(c);
            }
        }
        Some(())
    }
}

/// Whether `v` is digits and separators only (what a number may be written with).
fn digits_and_separators(v: &str) -> bool {
    let t = v.trim();
    !t.is_empty()
        && t.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '/' | '\u{a0}'))
}

/// The personal number's check digit of its first nine digits.
fn pn_check(first9: &[u16]) -> u16 {
    let mut w = [0u32; 9];
    for (w, &d) in w.iter_mut().zip(first9) {
        *w = u32::from(d);
    }
    kosovo_pn::check_digit(&w) as u16
}

/// ASCII digits of `v` as numerals; `None` when `v` has none.
fn digits_of(v: &str) -> Option<Numerals> {
    let d: Numerals = v
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| u16::from(b - b'0'))
        .collect();
    (!d.is_empty()).then_some(d)
}

/// `v` with its ASCII digits replaced, in order, by `new`, appended to `out`.
fn rewrite_digits(v: &str, new: &[u16], out: &mut String) {
    let mut it = new.iter();
    for c in v.chars() {
        if c.is_ascii_digit() {
            out.push(
                it.next()
                    .and_then(|&d| char::from_digit(u32::from(d), 10))
                    .unwrap_or(c),
            );
        } else {
            out.push(c);
        }
    }
}

fn mod97(d: &[u16]) -> u16 {
    d.iter().fold(0, |acc, &x| (acc * 10 + x) % 97)
}

/// IBAN check digits of an `XK` IBAN with this BBAN: 98 − (BBAN ‖ "XK00" mod 97).
fn iban_check(bban: &[u16]) -> u16 {
    let tail = [3, 3, 2, 0, 0, 0]; // X = 33, K = 20, "00"
    let r = bban
        .iter()
        .chain(tail.iter())
        .fold(0u16, |acc, &x| (acc * 10 + x) % 97);
    98 - r
}

/// JMBG → (10-digit index `day(5) ‖ region(2) ‖ serial(3)`, control-digit offset).
fn jmbg_split(d: &[u16]) -> Option<(Vec<u16>, u16)> {
    let w: Vec<u32> = d.iter().map(|&c| u32::from(c)).collect();
    let date = jmbg::birth_date(&w)?;
    let day = u32::try_from((date - jmbg_epoch()).num_days()).ok()?;
    if day >= JMBG_DAYS || remainder(&w[..12]) == 1 {
        return None;
    }
    let expected = u16::try_from(jmbg::check_digit(&w[..12])).ok()?;
    let delta = (d[12] + 10 - expected) % 10;
    let mut idx: Vec<u16> = format!("{day:05}")
        .bytes()
        .map(|b| u16::from(b - b'0'))
        .collect();
    idx.extend_from_slice(&d[7..12]);
    Some((idx, delta))
}

/// Index → JMBG digits with the control digit offset by `delta`; `None` when the day is out
/// of range or the combination is never issued (remainder 1).
fn jmbg_join(idx: &[u16], delta: u16) -> Option<Vec<u16>> {
    let day = idx[..5].iter().fold(0u32, |a, &x| a * 10 + u32::from(x));
    if day >= JMBG_DAYS {
        return None;
    }
    let date = jmbg_epoch() + chrono::Days::new(u64::from(day));
    let s = format!(
        "{:02}{:02}{:03}",
        date.day(),
        date.month(),
        date.year().rem_euclid(1000)
    );
    let mut d: Vec<u16> = s.bytes().map(|b| u16::from(b - b'0')).collect();
    d.extend_from_slice(&idx[5..10]);
    let w: Vec<u32> = d.iter().map(|&c| u32::from(c)).collect();
    if remainder(&w) == 1 {
        return None;
    }
    let k = u16::try_from(jmbg::check_digit(&w)).ok()?;
    d.push((k + delta) % 10);
    Some(d)
}

fn remainder(first12: &[u32]) -> u32 {
    const W: [u32; 12] = [7, 6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
    first12.iter().zip(W).map(|(d, w)| d * w).sum::<u32>() % 11
}

impl ColumnTransform for Fpe {
    fn name(&self) -> &'static str {
        "fpe"
    }
    fn output_type(&self, _: &DataType) -> Option<DataType> {
        Some(DataType::Utf8)
    }
    fn apply(&self, input: &ArrayRef, subjects: Option<&StringArray>) -> Result<Transformed> {
        let mut cache = super::cache::Cache::new(self.cache);
        map_text(input, subjects, |v, _, out| {
            cache.get_or(v, out, |v, out| self.write_one(v, false, out))
        })
    }
}

/// Reverse an `fpe` value of `kind` made with `key` (`anonkos reveal`). The error names the
/// value only masked.
pub fn reveal(kind: IdKind, key: &Key, value: &str) -> Result<String> {
    Fpe::new(key, kind)?.apply_one(value, true).ok_or_else(|| {
        Error::input(
            Location::dataset("reveal"),
            format!(
                "{} is not an fpe value of kind {}",
                crate::redact::mask(value),
                kind.name()
            ),
        )
    })
}

#[cfg(test)]
mod tests;
