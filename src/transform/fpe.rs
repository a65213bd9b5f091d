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
use ::fpe::ff1::{FF1, FlexibleNumeralString};
use aes::Aes256;
use arrow_array::{ArrayRef, StringArray};
use arrow_schema::DataType;
use chrono::{Datelike, NaiveDate};

use super::{ColumnTransform, IdKind, Transformed, config_error, map_text};
use crate::detect::validators::{jmbg, kosovo_pn, phone};
use crate::error::{Error, Location, Result};
use crate::key::Key;

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
    tweak: Vec<u8>,
    ff10: FF1<Aes256>,
    ff36: FF1<Aes256>,
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
        let sub = key.derive("fpe");
        let mk = |radix| {
            FF1::<Aes256>::new(&sub, radix)
                .map_err(|e| Error::Internal(format!("FF1 setup failed: {e}")))
        };
        Ok(Fpe {
            kind,
            tweak: format!("anonkos.fpe/{}", kind.name()).into_bytes(),
            ff10: mk(10)?,
            ff36: mk(36)?,
        })
    }

    /// One FF1 step (encrypt or decrypt).
    fn step(&self, radix: u32, x: &[u16], decrypt: bool, tag: &[u8]) -> Option<Vec<u16>> {
        let c = if radix == 10 { &self.ff10 } else { &self.ff36 };
        let mut tweak = self.tweak.clone();
        tweak.extend_from_slice(tag);
        let ns = FlexibleNumeralString::from(x.to_vec());
        let r = if decrypt {
            c.decrypt(&tweak, &ns)
        } else {
            c.encrypt(&tweak, &ns)
        };
        r.ok().map(Vec::from)
    }

    /// Cycle-walk: apply FF1 until `ok` holds (a permutation of the set where `ok` holds).
    fn walk(
        &self,
        radix: u32,
        x: &[u16],
        decrypt: bool,
        tag: &[u8],
        ok: impl Fn(&[u16]) -> bool,
    ) -> Option<Vec<u16>> {
        let mut cur = x.to_vec();
        for _ in 0..MAX_WALK {
            cur = self.step(radix, &cur, decrypt, tag)?;
            if ok(&cur) {
                return Some(cur);
            }
        }
        None
    }

    /// Encrypt (or decrypt) one value; `None` when it is not of the kind's format.
    pub fn apply_one(&self, v: &str, decrypt: bool) -> Option<String> {
        if matches!(
            self.kind,
            IdKind::PersonalNumber | IdKind::Jmbg | IdKind::Account | IdKind::Digits
        ) {
            // Letters in a number are a problem, not something to keep in the output.
            super::normalise_identifier(self.kind, v)?;
        }
        match self.kind {
            IdKind::PersonalNumber => self.personal_number(v, decrypt),
            IdKind::Jmbg => self.jmbg(v, decrypt),
            IdKind::Iban => self.iban(v, decrypt),
            IdKind::Account => self.account(v, decrypt),
            IdKind::Phone => self.phone(v, decrypt),
            IdKind::Digits => {
                let d = digits_of(v)?;
                (d.len() >= 6)
                    .then(|| self.step(10, &d, decrypt, b"/d"))
                    .flatten()
                    .map(|n| rewrite_digits(v, &n))
            }
            IdKind::Passport | IdKind::IdCard | IdKind::Plate | IdKind::Alnum => {
                self.alnum(v, decrypt)
            }
            IdKind::Email | IdKind::Name | IdKind::Ip | IdKind::Text => None,
        }
    }

    fn personal_number(&self, v: &str, dec: bool) -> Option<String> {
        let d = digits_of(v)?;
        if d.len() != 10 {
            return None;
        }
        let valid = |x: &[u16]| {
            let w: Vec<u32> = x.iter().map(|&c| u32::from(c)).collect();
            x[0] == 9 || u32::from(x[9]) == kosovo_pn::check_digit(&w[..9])
        };
        let out = if d[0] == 9 {
            let mut r = vec![9];
            r.extend(self.step(10, &d[1..], dec, b"/pn9")?);
            r
        } else if valid(&d) {
            let mut r = self.walk(10, &d[..9], dec, b"/pnv", |x| x[0] != 9)?;
            let w: Vec<u32> = r.iter().map(|&c| u32::from(c)).collect();
            r.push(u16::try_from(kosovo_pn::check_digit(&w)).ok()?);
            r
        } else {
            self.walk(10, &d, dec, b"/pnx", |x| x[0] != 9 && !valid(x))?
        };
        Some(rewrite_digits(v, &out))
    }

    fn jmbg(&self, v: &str, dec: bool) -> Option<String> {
        let d = digits_of(v)?;
        if d.len() != 13 {
            return None;
        }
        let (idx, delta) = jmbg_split(&d)?;
        let ok = |x: &[u16]| jmbg_join(x, 0).is_some();
        let n = self.walk(10, &idx, dec, b"/jmbg", ok)?;
        Some(rewrite_digits(v, &jmbg_join(&n, delta)?))
    }

    fn account(&self, v: &str, dec: bool) -> Option<String> {
        let d = digits_of(v)?;
        if d.len() != 16 {
            return None;
        }
        Some(rewrite_digits(v, &self.bban(&d, dec)?))
    }

    /// Encrypt 14 account digits, recompute the two check digits keeping the mod-97 residue.
    fn bban(&self, d: &[u16], dec: bool) -> Option<Vec<u16>> {
        let c = d[14] * 10 + d[15];
        if !(2..=98).contains(&c) {
            return None;
        }
        let r = mod97(d);
        let mut n = self.step(10, &d[..14], dec, b"/bban")?;
        let x = mod97(&n) * 100 % 97;
        // c in 2..=98 with (x + c) mod 97 == r.
        let c = (r + 97 * 2 - x - 2) % 97 + 2;
        n.push(c / 10);
        n.push(c % 10);
        Some(n)
    }

    fn iban(&self, v: &str, dec: bool) -> Option<String> {
        let norm = super::normalise_identifier(IdKind::Iban, v)?;
        let b = norm.as_bytes();
        if b.len() != 20 || &b[..2] != b"XK" || !b[2..].iter().all(u8::is_ascii_digit) {
            return None;
        }
        let d = digits_of(&norm[2..])?; // check digits + BBAN
        if iban_check(&d[2..]) != d[0] * 10 + d[1] {
            return None;
        }
        let bban = self.bban(&d[2..], dec)?;
        let cd = iban_check(&bban);
        let mut all = vec![cd / 10, cd % 10];
        all.extend(bban);
        Some(rewrite_digits(v, &all))
    }

    fn phone(&self, v: &str, dec: bool) -> Option<String> {
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
        let mut out = d[..k].to_vec();
        out.extend(self.step(10, &d[k..], dec, b"/phone")?);
        Some(rewrite_digits(v, &out))
    }

    fn alnum(&self, v: &str, dec: bool) -> Option<String> {
        let d = digits_of(v).unwrap_or_default();
        if d.len() >= 6 {
            let n = self.step(10, &d, dec, b"/an-d")?;
            return Some(rewrite_digits(v, &n));
        }
        let x: Vec<u16> = v
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .filter_map(|c| c.to_digit(36).and_then(|n| u16::try_from(n).ok()))
            .collect();
        if x.len() < 4 || x.len() > MAX_ALNUM_CHARS {
            return None;
        }
        let n = self.walk(36, &x, dec, b"/an", |y| {
            y.iter().filter(|&&c| c < 10).count() < 6
        })?;
        let mut it = n.into_iter();
        let mut s = String::with_capacity(v.len());
        for c in v.chars() {
            if c.is_ascii_alphanumeric() {
                let k = it.next()?;
                s.push(char::from_digit(u32::from(k), 36)?.to_ascii_uppercase());
            } else {
                s.push(c);
            }
        }
        Some(s)
    }
}

/// ASCII digits of `v` as numerals; `None` when `v` has none.
fn digits_of(v: &str) -> Option<Vec<u16>> {
    let d: Vec<u16> = v
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| u16::from(b - b'0'))
        .collect();
    (!d.is_empty()).then_some(d)
}

/// `v` with its ASCII digits replaced, in order, by `new`.
fn rewrite_digits(v: &str, new: &[u16]) -> String {
    let mut it = new.iter();
    v.chars()
        .map(|c| {
            if c.is_ascii_digit() {
                it.next()
                    .and_then(|&d| char::from_digit(u32::from(d), 10))
                    .unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
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
        map_text(input, subjects, |v, _, out| {
            match self.apply_one(v, false) {
                Some(s) => {
                    out.push_str(&s);
                    true
                }
                None => false,
            }
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
mod tests {
    use super::*;
    use crate::detect::validators::iban;
    use crate::transform::test_util::*;
    use proptest::prelude::*;

    fn f(kind: IdKind) -> Fpe {
        Fpe::new(&key(5), kind).unwrap()
    }

    #[test]
    fn long_alphanumeric_values_are_problems_not_endless_walks() {
        let t = std::time::Instant::now();
        let long = "ABCDEFGHJKLMNPQRSTUVWXYZABCDEFGHJKLMNPQRSTUVWXYZ12";
        assert_eq!(f(IdKind::Alnum).apply_one(long, false), None);
        assert_eq!(f(IdKind::Passport).apply_one(&long[..33], false), None);
        assert!(t.elapsed() < std::time::Duration::from_secs(2));
        // The longest accepted value still round-trips.
        let e = f(IdKind::Alnum)
            .apply_one(&long[..32], false)
            .expect("encrypts");
        assert_eq!(
            f(IdKind::Alnum).apply_one(&e, true).as_deref(),
            Some(&long[..32])
        );
    }

    fn round_trip(kind: IdKind, v: &str) -> String {
        let e = f(kind).apply_one(v, false).expect("encrypts");
        assert_eq!(reveal(kind, &key(5), &e).unwrap(), v, "{kind:?} {v} -> {e}");
        e
    }

    #[test]
    fn refuses_formats_it_cannot_keep() {
        for k in [IdKind::Email, IdKind::Name, IdKind::Text, IdKind::Ip] {
            assert!(matches!(Fpe::new(&key(1), k), Err(Error::Config { .. })));
        }
    }

    #[test]
    fn examples_keep_format() {
        let e = round_trip(IdKind::Phone, "+383 44 123 456");
        assert!(e.starts_with("+383 44 ") && e.len() == 15, "{e}");
        let e = round_trip(IdKind::Iban, "XK05 1212 0123 4567 8906");
        assert!(iban::is_valid_iban(&e.replace(' ', "")), "{e}");
        let e = round_trip(IdKind::Passport, "P12345678");
        assert!(e.starts_with('P') && e.len() == 9, "{e}");
        round_trip(IdKind::Plate, "01-123-AB");
        round_trip(IdKind::Jmbg, "0101980910122");
        round_trip(IdKind::PersonalNumber, "9000000001");
        assert!(reveal(IdKind::Iban, &key(5), "DE89370400440532013000").is_err());
    }

    #[test]
    fn near_misses_are_problems() {
        let t = f(IdKind::PersonalNumber)
            .apply(
                &strings(&[Some("12345"), Some("12345678a2"), Some("1234567892")]),
                None,
            )
            .unwrap();
        assert_eq!(t.problems, 2);
        let o = out(&t);
        assert_eq!((&o[0], &o[1]), (&None, &None));
        assert!(o[2].is_some());
        for (k, v) in [
            (IdKind::Jmbg, "3102980910122"),        // no such date
            (IdKind::Jmbg, "0101180910122"),        // 1180 out of range
            (IdKind::Iban, "XK051212012345678907"), // wrong IBAN check
            (IdKind::Phone, "080012345"),           // toll-free
            (IdKind::Digits, "12345"),              // below FF1's minimum domain
        ] {
            assert_eq!(f(k).apply_one(v, false), None, "{v}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn personal_numbers_round_trip_and_keep_validity(pn in "[0-9]{10}") {
            let e = round_trip(IdKind::PersonalNumber, &pn);
            prop_assert_eq!(e.len(), 10);
            prop_assert!(e.bytes().all(|b| b.is_ascii_digit()));
            prop_assert_eq!(kosovo_pn::is_valid(&e), kosovo_pn::is_valid(&pn));
            prop_assert_eq!(Some(e), f(IdKind::PersonalNumber).apply_one(&pn, false));
        }

        #[test]
        fn jmbg_round_trip_and_stays_valid(day in 1u32..=28, month in 1u32..=12, year in 1900i32..2049, rr in 0u32..100, bbb in 0u32..1000) {
            let first = format!("{day:02}{month:02}{:03}{rr:02}{bbb:03}", year.rem_euclid(1000));
            let w: Vec<u32> = first.bytes().map(|b| u32::from(b - b'0')).collect();
            prop_assume!(remainder(&w) != 1);
            let v = format!("{first}{}", jmbg::check_digit(&w));
            prop_assert!(jmbg::is_valid(&v));
            let e = round_trip(IdKind::Jmbg, &v);
            prop_assert!(jmbg::is_valid(&e), "{}", e);
        }

        #[test]
        fn accounts_and_ibans_stay_valid(x in "[0-9]{14}") {
            let d: Vec<u16> = x.bytes().map(|b| u16::from(b - b'0')).collect();
            let c = 98 - mod97(&[d.clone(), vec![0, 0]].concat());
            let acct = format!("{x}{c:02}");
            prop_assert!(iban::is_valid_xk_account(&acct));
            let e = round_trip(IdKind::Account, &acct);
            prop_assert!(iban::is_valid_xk_account(&e));
            let full: Vec<u16> = acct.bytes().map(|b| u16::from(b - b'0')).collect();
            let ib = format!("XK{:02}{acct}", iban_check(&full));
            prop_assert!(iban::is_valid_iban(&ib));
            let e = round_trip(IdKind::Iban, &ib);
            prop_assert!(iban::is_valid_iban(&e), "{}", e);
        }

        #[test]
        fn phones_keep_prefix_and_validity(op in "4[3-9]", sub in "[0-9]{6}") {
            let v = format!("0{op} {} {}", &sub[..3], &sub[3..]);
            let e = round_trip(IdKind::Phone, &v);
            let want = format!("0{op} ");
            prop_assert!(e.starts_with(&want));
            prop_assert!(phone::is_valid(&e.replace(' ', "")));
        }

        #[test]
        fn generic_codes_round_trip(v in "[A-Z0-9]{4,12}") {
            let e = round_trip(IdKind::Alnum, &v);
            prop_assert_eq!(e.len(), v.len());
        }
    }
}
