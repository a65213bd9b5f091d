//! Each identifier kind's format around FF1: what of a value FF1 steps ([`Work`], from
//! [`Fpe::start`]), when a step's result is kept ([`Work::accepted`]: cycle-walking keeps the
//! result inside the kind's valid set) and how the value is written back ([`Fpe::finish`]).
//! The stepping itself, one value or a batch, is in [`super::batch`].
use std::ops::Range;

use chrono::{Datelike, NaiveDate};

use super::engine::Tag;
use super::{Fpe, IdKind, Numerals};
use crate::detect::validators::{jmbg, kosovo_pn, phone};

/// First day of the JMBG date range.
fn jmbg_epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN)
}
/// Longest letters-and-digits value (`alnum`, passport, ID card, plate kinds) encrypted over
/// `0-9A-Z`. The result must cycle-walk to fewer than six digits; beyond about 40 characters
/// almost no step does, so every value ran all [`super::MAX_WALK`] FF1 rounds (each dearer
/// with the length) before failing: seconds per value, found by the `transforms` fuzz target.
/// No identifier of these kinds is this long; longer values are problems.
const MAX_ALNUM_CHARS: usize = 32;
/// Days in 1900-01-01 ..= 2049-12-31.
const JMBG_DAYS: u32 = 54_787;

/// One value between parsing and writing: FF1 steps `d[lo..hi]` under `tag` until
/// [`Work::accepted`] holds.
#[derive(Clone, Debug)]
pub(super) struct Work {
    /// The value's numerals (digits; base-36 numerals for [`Tag::Alnum`]; a JMBG's index).
    d: Numerals,
    lo: u32,
    hi: u32,
    tag: Tag,
    /// JMBG: the control digit's offset; BBAN: the account's mod-97 residue.
    extra: u16,
}

impl Work {
    fn new(d: Numerals, range: Range<usize>, tag: Tag, extra: u16) -> Option<Work> {
        let (lo, hi) = (
            u32::try_from(range.start).ok()?,
            u32::try_from(range.end).ok()?,
        );
        (range.end <= d.len()).then_some(Work {
            d,
            lo,
            hi,
            tag,
            extra,
        })
    }

    /// The FF1 step's tweak tag.
    pub fn tag(&self) -> Tag {
        self.tag
    }

    /// The numerals FF1 steps.
    pub fn x(&self) -> &[u16] {
        &self.d[self.lo as usize..self.hi as usize]
    }

    /// The numerals FF1 steps, to step them in place.
    pub fn x_mut(&mut self) -> &mut [u16] {
        &mut self.d[self.lo as usize..self.hi as usize]
    }

    /// Whether the last step's result is in the kind's set (otherwise FF1 steps again:
    /// cycle-walking, a permutation of that set).
    pub fn accepted(&self) -> bool {
        let x = self.x();
        match self.tag {
            Tag::PnValid => x[0] != 9,
            Tag::PnInvalid => x[0] != 9 && x[9] != pn_check(&x[..9]),
            Tag::Jmbg => jmbg_join(x, 0).is_some(),
            Tag::Alnum => x.iter().filter(|&&c| c < 10).count() < 6,
            Tag::Digits | Tag::Pn9 | Tag::Bban | Tag::Phone | Tag::AlnumDigits => true,
        }
    }
}

impl Fpe {
    /// What FF1 must step in `v`; `None` when `v` is not of the kind's format.
    pub(super) fn start(&self, v: &str) -> Option<Work> {
        if matches!(
            self.kind,
            IdKind::PersonalNumber | IdKind::Jmbg | IdKind::Account | IdKind::Digits
        ) && !digits_and_separators(v)
        {
            // Letters in a number are a problem, not something to keep in the output.
            return None;
        }
        match self.kind {
            IdKind::PersonalNumber => start_personal_number(v),
            IdKind::Jmbg => start_jmbg(v),
            IdKind::Iban => start_iban(v),
            IdKind::Account => start_account(v),
            IdKind::Phone => start_phone(v),
            IdKind::Digits => {
                let d = digits_of(v).filter(|d| d.len() >= 6)?;
                let n = d.len();
                Work::new(d, 0..n, Tag::Digits, 0)
            }
            IdKind::Passport | IdKind::IdCard | IdKind::Plate | IdKind::Alnum => start_alnum(v),
            IdKind::Email | IdKind::Name | IdKind::Ip | IdKind::Text => None,
        }
    }

    /// `v` written with the stepped numerals of `w` (check digits recomputed), appended to
    /// `out`; `None` when the result cannot be written (never for a value [`Fpe::start`]
    /// accepted and FF1 stepped).
    pub(super) fn finish(&self, v: &str, mut w: Work, out: &mut String) -> Option<()> {
        match w.tag {
            Tag::PnValid => {
                w.d[9] = pn_check(&w.d[..9]);
                rewrite_digits(v, &w.d, out);
            }
            Tag::Jmbg => rewrite_digits(v, &jmbg_join(&w.d, w.extra)?, out),
            Tag::Bban => {
                let lo = w.lo as usize;
                bban_finish(w.d.get_mut(lo..lo + 16)?, w.extra);
                if self.kind == IdKind::Iban {
                    let cd = iban_check(&w.d[2..]);
                    w.d[0] = cd / 10;
                    w.d[1] = cd % 10;
                }
                rewrite_digits(v, &w.d, out);
            }
            Tag::Alnum => {
                let mut it = w.d.into_iter();
                for c in v.chars() {
                    if c.is_ascii_alphanumeric() {
                        let k = it.next()?;
                        out.push(char::from_digit(u32::from(k), 36)?.to_ascii_uppercase());
                    } else {
                        out.push(c);
                    }
                }
            }
            Tag::Digits | Tag::Pn9 | Tag::PnInvalid | Tag::Phone | Tag::AlnumDigits => {
                rewrite_digits(v, &w.d, out);
            }
        }
        Some(())
    }
}

/// Personal number: a valid number keeps its validity (nine digits stepped, check digit
/// recomputed), an invalid one stays invalid, a leading 9 stays.
fn start_personal_number(v: &str) -> Option<Work> {
    let d = digits_of(v)?;
    if d.len() != 10 {
        return None;
    }
    if d[0] == 9 {
        Work::new(d, 1..10, Tag::Pn9, 0)
    } else if d[9] == pn_check(&d[..9]) {
        Work::new(d, 0..9, Tag::PnValid, 0)
    } else {
        Work::new(d, 0..10, Tag::PnInvalid, 0)
    }
}

fn start_jmbg(v: &str) -> Option<Work> {
    let d = digits_of(v)?;
    if d.len() != 13 {
        return None;
    }
    let (idx, delta) = jmbg_split(&d)?;
    Work::new(idx.into_iter().collect(), 0..10, Tag::Jmbg, delta)
}

fn start_account(v: &str) -> Option<Work> {
    let d = digits_of(v)?;
    if d.len() != 16 {
        return None;
    }
    let r = bban_residue(&d)?;
    Work::new(d, 0..14, Tag::Bban, r)
}

fn start_iban(v: &str) -> Option<Work> {
    let norm = super::super::normalise_identifier(IdKind::Iban, v)?;
    let b = norm.as_bytes();
    if b.len() != 20 || &b[..2] != b"XK" || !b[2..].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let d = digits_of(&norm[2..])?; // check digits + BBAN
    if iban_check(&d[2..]) != d[0] * 10 + d[1] {
        return None;
    }
    let r = bban_residue(&d[2..])?;
    Work::new(d, 2..16, Tag::Bban, r)
}

fn start_phone(v: &str) -> Option<Work> {
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
    let d = digits_of(v)?;
    let k = d.len().checked_sub(6)?;
    let n = d.len();
    Work::new(d, k..n, Tag::Phone, 0)
}

fn start_alnum(v: &str) -> Option<Work> {
    if let Some(d) = digits_of(v).filter(|d| d.len() >= 6) {
        let n = d.len();
        return Work::new(d, 0..n, Tag::AlnumDigits, 0);
    }
    let x: Numerals = v
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .filter_map(|c| c.to_digit(36).and_then(|n| u16::try_from(n).ok()))
        .collect();
    if x.len() < 4 || x.len() > MAX_ALNUM_CHARS {
        return None;
    }
    let n = x.len();
    Work::new(x, 0..n, Tag::Alnum, 0)
}

/// A BBAN's (16 digits) mod-97 residue, kept through the step; `None` when its national
/// check digits are out of their range.
fn bban_residue(d: &[u16]) -> Option<u16> {
    let c = d[14] * 10 + d[15];
    (2..=98).contains(&c).then(|| mod97(d))
}

/// The two national check digits of a BBAN whose 14 account digits were stepped, chosen so
/// that it keeps the residue `r` (valid stays valid).
fn bban_finish(d: &mut [u16], r: u16) {
    let x = mod97(&d[..14]) * 100 % 97;
    // c in 2..=98 with (x + c) mod 97 == r.
    let c = (r + 97 * 2 - x - 2) % 97 + 2;
    d[14] = c / 10;
    d[15] = c % 10;
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

pub(super) fn mod97(d: &[u16]) -> u16 {
    d.iter().fold(0, |acc, &x| (acc * 10 + x) % 97)
}

/// IBAN check digits of an `XK` IBAN with this BBAN: 98 − (BBAN ‖ "XK00" mod 97).
pub(super) fn iban_check(bban: &[u16]) -> u16 {
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

pub(super) fn remainder(first12: &[u32]) -> u32 {
    const W: [u32; 12] = [7, 6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
    first12.iter().zip(W).map(|(d, w)| d * w).sum::<u32>() % 11
}
