//! `date_shift`: move dates by a keyed offset of 1 to `max_days` days, either direction.
//!
//! The offset is drawn from HMAC(subkey `date_shift`, subject), so every date of one person
//! moves by the same number of days and the intervals between them are kept, in every table
//! and run that uses the key. Rows without a subject key on the date itself (deterministic,
//! but intervals are not kept). `Date32` columns stay `Date32`; text is parsed with the
//! date validator's formats (`14.03.1987`, `1987-03-14`, `14/3/87`, …) and written back in the
//! input's own format ([`write_like`]: same order, separators, padding, year width, and any
//! time part or trailing dot kept as written), since an application under test rejects a
//! date in a format it does not expect; other types are read as text. A value that is not a
//! date is a problem.
use std::sync::Arc;

use arrow_array::{Array, ArrayRef, Date32Array, StringArray};
use arrow_schema::DataType;
use chrono::{Days, NaiveDate};
use hmac::Mac;

use super::{ColumnTransform, Transformed, config_error, map_text};
use crate::detect::validators::date;
use crate::error::{Error, Result};
use crate::key::{HmacSha256, Key, hmac_with};

/// Keyed per-subject date shifting.
pub struct DateShift {
    mac: HmacSha256,
    max_days: u32,
}

impl DateShift {
    /// Shift by at most `max_days` (1–36500).
    pub fn new(key: &Key, max_days: u32) -> Result<DateShift> {
        if !(1..=36_500).contains(&max_days) {
            return Err(config_error("date_shift: max_days must be 1–36500"));
        }
        Ok(DateShift {
            mac: hmac_with(&key.derive("date_shift")),
            max_days,
        })
    }

    /// The offset in days for a subject (or, without one, for the date itself): never 0.
    pub fn offset(&self, subject: Option<&str>, d: NaiveDate) -> i64 {
        let mut m = self.mac.clone();
        match subject {
            Some(s) => {
                m.update(b"s");
                m.update(s.as_bytes());
            }
            None => {
                m.update(b"v");
                m.update(d.to_string().as_bytes());
            }
        }
        let h = m.finalize().into_bytes();
        let mut b = [0u8; 8];
        b.copy_from_slice(&h[..8]);
        let x = u64::from_le_bytes(b);
        let mag = 1 + (x >> 1) % u64::from(self.max_days);
        let mag = i64::try_from(mag).unwrap_or(1);
        if x & 1 == 0 { mag } else { -mag }
    }

    fn shift(&self, subject: Option<&str>, d: NaiveDate) -> Option<NaiveDate> {
        let o = self.offset(subject, d);
        if o >= 0 {
            d.checked_add_days(Days::new(o.unsigned_abs()))
        } else {
            d.checked_sub_days(Days::new(o.unsigned_abs()))
        }
    }
}

impl ColumnTransform for DateShift {
    fn name(&self) -> &'static str {
        "date_shift"
    }
    fn output_type(&self, input: &DataType) -> Option<DataType> {
        Some(if input == &DataType::Date32 {
            DataType::Date32
        } else {
            DataType::Utf8
        })
    }
    fn apply(&self, input: &ArrayRef, subjects: Option<&StringArray>) -> Result<Transformed> {
        let subject_at =
            |i: usize| subjects.and_then(|s| (i < s.len() && s.is_valid(i)).then(|| s.value(i)));
        if let Some(a) = input.as_any().downcast_ref::<Date32Array>() {
            let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)
                .ok_or_else(|| Error::Internal("epoch".into()))?;
            let (mut changed, mut problems) = (0, 0);
            let out: Date32Array = (0..a.len())
                .map(|i| {
                    if a.is_null(i) {
                        return None;
                    }
                    let d =
                        epoch.checked_add_signed(chrono::TimeDelta::days(i64::from(a.value(i))));
                    let s = d.and_then(|d| self.shift(subject_at(i), d));
                    match s.and_then(|s| i32::try_from((s - epoch).num_days()).ok()) {
                        Some(v) => {
                            changed += 1;
                            Some(v)
                        }
                        None => {
                            problems += 1;
                            None
                        }
                    }
                })
                .collect();
            return Ok(Transformed {
                array: Arc::new(out),
                changed,
                problems,
                problem_example: (problems > 0).then(|| "[date out of range]".to_string()),
            });
        }
        map_text(input, subjects, |v, subject, out| {
            match date::parse(v).and_then(|d| self.shift(subject, d)) {
                Some(s) => write_like(v, s, out),
                None => false,
            }
        })
    }
}

/// Write `d` in the format of `original` (a date the validator parsed): its first three digit
/// runs are day, month and year (year first when the first run has four digits, else
/// day-first, the validator's convention); each is rewritten with the original's width (a
/// one-digit day or month stays unpadded where it fits, a two-digit year stays two digits)
/// and every other character (separators, a time part, a trailing dot, spaces) is kept.
/// `false` when `original` has fewer than three digit runs or a year does not fit its width.
pub fn write_like(original: &str, d: NaiveDate, out: &mut String) -> bool {
    use chrono::Datelike;
    let b = original.as_bytes();
    // The first three digit runs (start, end).
    let mut runs = [(0usize, 0usize); 3];
    let (mut n, mut i) = (0, 0);
    while i < b.len() && n < 3 {
        if b[i].is_ascii_digit() {
            let s = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            runs[n] = (s, i);
            n += 1;
        } else {
            i += 1;
        }
    }
    if n == 1 && b.len() == 8 && b.iter().all(u8::is_ascii_digit) {
        // `yyyymmdd`, the one digit-run form the validator accepts.
        return (1000..10_000).contains(&d.year()) && {
            out.push_str(&d.format("%Y%m%d").to_string());
            true
        };
    }
    if n < 3 {
        return false;
    }
    let width = |k: usize| runs[k].1 - runs[k].0;
    let (y, m, dd) = if width(0) == 4 { (0, 1, 2) } else { (2, 1, 0) };
    let year = d.year();
    let year_text = match width(y) {
        4 if (0..10_000).contains(&year) => format!("{year:04}"),
        2 => format!("{:02}", year.rem_euclid(100)),
        _ => return false,
    };
    let part = |v: u32, w: usize| {
        if w == 1 && v < 10 {
            v.to_string()
        } else {
            format!("{v:02}")
        }
    };
    let mut texts = [String::new(), String::new(), String::new()];
    texts[y] = year_text;
    texts[m] = part(d.month(), width(m));
    texts[dd] = part(d.day(), width(dd));
    let mut at = 0;
    for (k, &(s, e)) in runs.iter().enumerate() {
        out.push_str(&original[at..s]);
        out.push_str(&texts[k]);
        at = e;
    }
    out.push_str(&original[at..]);
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::test_util::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn keeps_intervals_within_a_subject(days in proptest::collection::vec(0i64..40000, 1..10), max in 1u32..400, subj in "[0-9]{10}") {
            let ds = DateShift::new(&key(1), max).unwrap();
            let base = NaiveDate::from_ymd_opt(1920, 1, 1).unwrap();
            let dates: Vec<NaiveDate> = days.iter().map(|d| base + chrono::TimeDelta::days(*d)).collect();
            let texts: Vec<String> = dates.iter().map(|d| d.format("%d.%m.%Y").to_string()).collect();
            let a: ArrayRef = Arc::new(StringArray::from(texts.clone()));
            let s = StringArray::from(vec![subj.as_str(); texts.len()]);
            let t = ds.apply(&a, Some(&s)).unwrap();
            let o = out(&t);
            let shifted: Vec<NaiveDate> = o.iter().map(|x| NaiveDate::parse_from_str(x.as_deref().unwrap(), "%d.%m.%Y").unwrap()).collect();
            let off = (shifted[0] - dates[0]).num_days();
            prop_assert!(off != 0 && off.abs() <= i64::from(max));
            for (a, b) in dates.iter().zip(&shifted) {
                prop_assert_eq!((*b - *a).num_days(), off);
            }
            // Deterministic.
            prop_assert_eq!(out(&ds.apply(&a, Some(&s)).unwrap()), o);
        }
    }

    /// Each accepted format comes back in the same format, shifted by the same offset.
    #[test]
    fn keeps_the_input_format() {
        let ds = DateShift::new(&key(1), 30).unwrap();
        let d = NaiveDate::from_ymd_opt(1987, 3, 14).unwrap();
        let off = ds.offset(Some("s"), d);
        let n = d + chrono::TimeDelta::days(off);
        let f = |p: &str| n.format(p).to_string();
        let cases = [
            ("14.03.1987", f("%d.%m.%Y")),
            ("14.03.1987.", f("%d.%m.%Y.")),
            ("1987-03-14", f("%Y-%m-%d")),
            ("14-03-1987", f("%d-%m-%Y")),
            ("1987/03/14", f("%Y/%m/%d")),
            ("14/03/87", f("%d/%m/%y")),
            ("19870314", f("%Y%m%d")),
            ("1987-03-14T10:30:00", f("%Y-%m-%dT10:30:00")),
            ("1987-03-14 10:30:00+02", f("%Y-%m-%d 10:30:00+02")),
        ];
        for (v, want) in cases {
            let a: ArrayRef = Arc::new(StringArray::from(vec![v]));
            let s = StringArray::from(vec!["s"]);
            let t = ds.apply(&a, Some(&s)).unwrap();
            assert_eq!(out(&t)[0].as_deref(), Some(want.as_str()), "{v}");
            assert_eq!(date::parse(&want), Some(n), "{want} parses back");
        }
        // One-digit day and month stay unpadded where the new value fits.
        let mut o = String::new();
        assert!(write_like(
            "4.3.1987",
            NaiveDate::from_ymd_opt(1987, 3, 5).unwrap(),
            &mut o
        ));
        assert_eq!(o, "5.3.1987");
        o.clear();
        assert!(write_like(
            "4.3.1987",
            NaiveDate::from_ymd_opt(1987, 12, 25).unwrap(),
            &mut o
        ));
        assert_eq!(o, "25.12.1987");
        assert!(!write_like("1987", d, &mut o));
    }

    #[test]
    fn bad_dates_are_problems_and_date32_stays_date32() {
        let ds = DateShift::new(&key(1), 10).unwrap();
        let t = ds
            .apply(
                &strings(&[Some("31.02.1987"), Some("1987-03-14"), None]),
                None,
            )
            .unwrap();
        assert_eq!((t.problems, t.changed), (1, 1));
        assert_eq!(out(&t)[0], None);
        let a: ArrayRef = Arc::new(Date32Array::from(vec![Some(0), None]));
        let t = ds.apply(&a, None).unwrap();
        assert_eq!(t.array.data_type(), &DataType::Date32);
        assert!(DateShift::new(&key(1), 0).is_err());
    }
}
