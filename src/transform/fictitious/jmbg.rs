//! Fictitious JMBGs: `DDMMYYYRRBBBK` becomes a valid JMBG in a registration area that was
//! never used (60–69), so it cannot be anyone's.
//!
//! The birth day (1900-01-01 … 2049-12-31, as a day number) and the serial `BBB` go together
//! through a keyed [`Feistel`] permutation of `0..54,787,000`, tweaked by the input's area;
//! the output area is `60 + (input area mod 10)` (or the ranges file's list). So the map is
//! one-to-one within an area, and Kosovo's areas 90–99 map one-to-one onto 60–69; inputs of
//! areas ten apart (91 and 71) collide only by chance. The birth date changes with the rest
//! (a test copy needs no real one); the control digit is recomputed (remainder 1 gives 0, the
//! convention of the validator). The input's control digit is not used.
use chrono::{Datelike, NaiveDate};

use super::feistel::Feistel;
use super::phone::write_digits;
use super::ranges::{JmbgRanges, two_digits};
use crate::detect::validators::jmbg;

/// Days in 1900-01-01 ..= 2049-12-31.
const DAYS: u64 = 54_787;

/// Fictitious JMBGs for one key.
pub struct Jmbgs {
    regions: Vec<u8>,
    feistel: Feistel,
    epoch: NaiveDate,
}

impl Jmbgs {
    /// JMBGs in the fictitious areas of the ranges.
    pub fn new(subkey: &[u8; 32], r: &JmbgRanges) -> Jmbgs {
        Jmbgs {
            regions: r
                .fictitious_regions
                .iter()
                .filter_map(|c| two_digits(c))
                .collect(),
            feistel: Feistel::new(subkey, DAYS, 1000),
            epoch: NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN),
        }
    }

    /// The fictitious JMBG for `v` (13 digits with optional separators); `false` when it is
    /// not one, its date is outside 1900–2049, or its area is a fictitious one already.
    pub fn apply(&self, v: &str, out: &mut String) -> bool {
        let mut d = [0u32; 13];
        let mut n = 0;
        for c in v.bytes() {
            match c {
                b'0'..=b'9' if n < 13 => {
                    d[n] = u32::from(c - b'0');
                    n += 1;
                }
                b' ' | b'-' | b'.' | b'/' => {}
                _ => return false,
            }
        }
        if n != 13 || self.regions.is_empty() {
            return false;
        }
        let Some(date) = jmbg::birth_date(&d) else {
            return false;
        };
        let Ok(day) = u64::try_from((date - self.epoch).num_days()) else {
            return false;
        };
        let area = d[7] * 10 + d[8];
        if day >= DAYS || self.regions.iter().any(|&r| u32::from(r) == area) {
            return false;
        }
        let serial = u64::from(d[9] * 100 + d[10] * 10 + d[11]);
        let y = self.feistel.encrypt(day * 1000 + serial, u64::from(area));
        let Some(new_date) = self.epoch.checked_add_days(chrono::Days::new(y / 1000)) else {
            return false;
        };
        let region = self.regions[usize::try_from(area).unwrap_or(0) % self.regions.len()];
        let s = y % 1000;
        let yyy = new_date.year().rem_euclid(1000) as u32;
        let mut o = [
            new_date.day() / 10,
            new_date.day() % 10,
            new_date.month() / 10,
            new_date.month() % 10,
            yyy / 100,
            yyy / 10 % 10,
            yyy % 10,
            u32::from(region / 10),
            u32::from(region % 10),
            (s / 100) as u32,
            (s / 10 % 10) as u32,
            (s % 10) as u32,
            0,
        ];
        o[12] = jmbg::check_digit(&o[..12]);
        let ascii: Vec<u8> = o.iter().map(|&x| b'0' + x as u8).collect();
        write_digits(v, &ascii, out);
        true
    }
}
