//! Fictitious Kosovo accounts and IBANs: the 16-digit BBAN `bank(2) branch(2) account(10)
//! check(2)` becomes one under a bank code no bank uses, with a valid national check
//! (`BBAN mod 97 = 1`) and, for an IBAN, valid ISO 13616 check digits (always `05` for such a
//! BBAN). Layout (spaces, dashes, the case of `XK`) stays as written.
//!
//! The twelve branch-and-account digits go through a keyed [`Feistel`] permutation of
//! `0..10¹²`, tweaked by the input's bank code; the output bank code is the
//! `(input code mod n)`-th fictitious code. So the map is one-to-one within a bank, and
//! accounts of two input banks that share a fictitious code (codes `n` apart) collide only
//! by chance: about `n₁·n₂/10¹²` expected collisions. The input's check digits are not used:
//! an account with a wrong check maps where its corrected twin does.
use super::feistel::Feistel;
use super::phone::write_digits;
use super::ranges::{BankRanges, two_digits};

const SPACE: u64 = 1_000_000_000_000;

/// Fictitious accounts for one key.
pub struct Accounts {
    codes: Vec<u8>,
    assigned_below: u8,
    feistel: Feistel,
}

impl Accounts {
    /// Accounts under the fictitious bank codes of the ranges.
    pub fn new(subkey: &[u8; 32], r: &BankRanges) -> Accounts {
        Accounts {
            codes: r
                .fictitious_bank_codes
                .iter()
                .filter_map(|c| two_digits(c))
                .collect(),
            assigned_below: r.assigned_below,
            feistel: Feistel::new(subkey, 1_000_000, 1_000_000),
        }
    }

    /// The fictitious BBAN digits (ASCII) for 16 BBAN digits; `None` for a bank code in the
    /// fictitious space (the input may be fictitious already).
    fn bban(&self, d: &[u8]) -> Option<[u8; 16]> {
        let bank = (d[0] - b'0') * 10 + (d[1] - b'0');
        if bank >= self.assigned_below || self.codes.is_empty() {
            return None;
        }
        let x = d[2..14]
            .iter()
            .fold(0u64, |a, &c| a * 10 + u64::from(c - b'0'));
        let y = self.feistel.encrypt(x, u64::from(bank));
        let code = self.codes[usize::from(bank) % self.codes.len()];
        let mut out = [b'0'; 16];
        out[0] = b'0' + code / 10;
        out[1] = b'0' + code % 10;
        let mut rest = y % SPACE;
        for c in out[2..14].iter_mut().rev() {
            *c = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        // National check: the two digits that make the BBAN ≡ 1 (mod 97).
        let r = out[..14]
            .iter()
            .fold(0u32, |a, &c| (a * 10 + u32::from(c - b'0')) % 97);
        let check = 98 - r * 100 % 97;
        out[14] = b'0' + (check / 10) as u8;
        out[15] = b'0' + (check % 10) as u8;
        Some(out)
    }

    /// A 16-digit domestic account (digits and ` -./` separators).
    pub fn account(&self, v: &str, out: &mut String) -> bool {
        let mut d = [0u8; 16];
        let mut n = 0;
        for c in v.bytes() {
            match c {
                b'0'..=b'9' if n < 16 => {
                    d[n] = c;
                    n += 1;
                }
                b' ' | b'-' | b'.' | b'/' => {}
                _ => return false,
            }
        }
        if n != 16 {
            return false;
        }
        match self.bban(&d) {
            Some(b) => {
                write_digits(v, &b, out);
                true
            }
            None => false,
        }
    }

    /// An `XK` IBAN with valid check digits (spaces and dashes allowed); other countries and
    /// wrong check digits are problems.
    pub fn iban(&self, v: &str, out: &mut String) -> bool {
        // `XK`, then 18 digits: 2 IBAN check digits and the 16-digit BBAN. Checked here
        // without allocating (this runs once per value).
        let mut d = [0u8; 18];
        let (mut n, mut letters) = (0, 0);
        for c in v.bytes() {
            match c {
                b'X' | b'x' if letters == 0 && n == 0 => letters = 1,
                b'K' | b'k' if letters == 1 && n == 0 => letters = 2,
                b'0'..=b'9' if letters == 2 && n < 18 => {
                    d[n] = c;
                    n += 1;
                }
                b' ' | b'-' | b'\t' => {}
                _ => return false,
            }
        }
        let m97 = |s: &[u8], init: u32| {
            s.iter()
                .fold(init, |a, &c| (a * 10 + u32::from(c - b'0')) % 97)
        };
        // ISO 13616: BBAN ‖ "XK" (33 20) ‖ check digits ≡ 1 (mod 97); national: BBAN ≡ 1.
        if n != 18 || m97(&d[..2], m97(b"3320", m97(&d[2..], 0))) != 1 || m97(&d[2..], 0) != 1 {
            return false;
        }
        let Some(b) = self.bban(&d[2..]) else {
            return false;
        };
        // BBAN ≡ 1 (mod 97) gives IBAN check digits 05 (98 − (1·10⁶ + "XK00") mod 97).
        let mut all = [0u8; 18];
        all[..2].copy_from_slice(&iban_check(&b));
        all[2..].copy_from_slice(&b);
        write_digits(v, &all, out);
        true
    }
}

/// ISO 13616 check digits of `XK` + this BBAN, as ASCII.
fn iban_check(bban: &[u8; 16]) -> [u8; 2] {
    let tail = b"332000"; // X = 33, K = 20, "00"
    let r = bban
        .iter()
        .chain(tail)
        .fold(0u32, |a, &c| (a * 10 + u32::from(c - b'0')) % 97);
    let c = 98 - r;
    [b'0' + (c / 10) as u8, b'0' + (c % 10) as u8]
}
