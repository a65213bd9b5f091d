//! `generalise`: replace values by coarser bucket labels.
//!
//! | `to` | input | output |
//! | --- | --- | --- |
//! | `year` | a date (any accepted format) or a year | `1987` |
//! | `year_month` | a date | `1987-03` |
//! | `year_band` | a date or a year | `1985-1989` (`width`, default 5) |
//! | `age_band` | an age | `30-34` (`width`, default 5) |
//! | `district` | a municipality name (any script or spelling in `patterns/`) | the district, `Prishtinë` |
//! | `country` | a municipality name | `Kosovo` |
//! | `postal_prefix` | a postal code | its first `digits` digits (default 2), `10` |
//! | `bins` | a number | `[10, 20)`, `< 10`, `>= 90` for edges `bins = [10, 20, …, 90]` |
//!
//! The output is always text. A value that does not fit (an unknown municipality, a date
//! that does not parse) is a problem.
use std::sync::Arc;

use arrow_array::{ArrayRef, StringArray};
use arrow_schema::DataType;
use chrono::Datelike;
use serde::Deserialize;

use super::{ColumnTransform, Transformed, config_error, map_text, numeric::parse_number};
use crate::detect::PatternSet;
use crate::detect::fold::fold;
use crate::detect::validators::date;
use crate::error::Result;

/// The target level of `generalise`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Date → year.
    Year,
    /// Date → year and month.
    YearMonth,
    /// Date or year → band of `width` years.
    YearBand,
    /// Age → band of `width` years.
    AgeBand,
    /// Municipality → district.
    District,
    /// Municipality → `Kosovo`.
    Country,
    /// Postal code → its leading digits.
    PostalPrefix,
    /// Number → bin.
    Bins,
}

/// The `generalise` transform.
pub struct Generalise {
    to: Level,
    width: u32,
    bins: Vec<f64>,
    digits: usize,
    patterns: Arc<PatternSet>,
}

impl Generalise {
    /// Check parameters and build.
    pub fn new(
        to: Level,
        width: Option<u32>,
        bins: Option<Vec<f64>>,
        digits: Option<usize>,
        patterns: Arc<PatternSet>,
    ) -> Result<Generalise> {
        let width = width.unwrap_or(5);
        if width == 0 || width > 1000 {
            return Err(config_error("generalise: width must be 1–1000"));
        }
        let bins = bins.unwrap_or_default();
        if to == Level::Bins
            && (bins.is_empty()
                || bins.iter().any(|b| !b.is_finite())
                || bins.windows(2).any(|w| w[0] >= w[1]))
        {
            return Err(config_error(
                "generalise to bins needs `bins`: ascending finite edges, e.g. [18, 30, 65]",
            ));
        }
        let digits = digits.unwrap_or(2);
        if !(1..=4).contains(&digits) {
            return Err(config_error("generalise: postal_prefix digits must be 1–4"));
        }
        Ok(Generalise {
            to,
            width,
            bins,
            digits,
            patterns,
        })
    }

    /// The label of one value, or `None` for a problem.
    pub fn label(&self, v: &str) -> Option<String> {
        let year = || -> Option<i32> {
            let t = v.trim();
            if t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()) {
                return t.parse().ok();
            }
            date::parse(t).map(|d| d.year())
        };
        let w = i32::try_from(self.width).ok()?;
        match self.to {
            Level::Year => year().map(|y| y.to_string()),
            Level::YearMonth => date::parse(v).map(|d| format!("{:04}-{:02}", d.year(), d.month())),
            Level::YearBand => year().map(|y| {
                let s = y - y.rem_euclid(w);
                format!("{s}-{}", s + w - 1)
            }),
            Level::AgeBand => {
                let a = parse_number(v)?;
                if !(0.0..=150.0).contains(&a) {
                    return None;
                }
                let a = a.floor() as i32;
                let s = a - a.rem_euclid(w);
                Some(format!("{s}-{}", s + w - 1))
            }
            Level::District => self.municipality(v).map(|m| m.district_name.clone()),
            Level::Country => self.municipality(v).map(|_| "Kosovo".to_string()),
            Level::PostalPrefix => {
                let t = v.trim();
                (t.len() == 5 && t.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| t[..self.digits].to_string())
            }
            Level::Bins => {
                let x = parse_number(v)?;
                let b = &self.bins;
                let i = b.partition_point(|e| *e <= x);
                Some(if i == 0 {
                    format!("< {}", b[0])
                } else if i == b.len() {
                    format!(">= {}", b[i - 1])
                } else {
                    format!("[{}, {})", b[i - 1], b[i])
                })
            }
        }
    }

    fn municipality(&self, v: &str) -> Option<&crate::detect::patterns::Municipality> {
        self.patterns
            .municipality(&crate::detect::patterns::squash(&fold(v)))
    }
}

impl ColumnTransform for Generalise {
    fn name(&self) -> &'static str {
        "generalise"
    }
    fn output_type(&self, _: &DataType) -> Option<DataType> {
        Some(DataType::Utf8)
    }
    fn apply(&self, input: &ArrayRef, subjects: Option<&StringArray>) -> Result<Transformed> {
        map_text(input, subjects, |v, _, out| match self.label(v) {
            Some(l) => {
                out.push_str(&l);
                true
            }
            None => false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::test_util::*;
    use proptest::prelude::*;

    fn g(to: Level) -> Generalise {
        Generalise::new(to, None, Some(vec![18.0, 30.0, 65.0]), None, patterns()).unwrap()
    }

    #[test]
    fn examples() {
        assert_eq!(g(Level::Year).label("14.03.1987").as_deref(), Some("1987"));
        assert_eq!(
            g(Level::YearMonth).label("1987-03-14").as_deref(),
            Some("1987-03")
        );
        assert_eq!(
            g(Level::YearBand).label("14/3/87").as_deref(),
            Some("1985-1989")
        );
        assert_eq!(g(Level::AgeBand).label("34").as_deref(), Some("30-34"));
        assert_eq!(g(Level::PostalPrefix).label("10000").as_deref(), Some("10"));
        assert_eq!(g(Level::Bins).label("17").as_deref(), Some("< 18"));
        assert_eq!(g(Level::Bins).label("30").as_deref(), Some("[30, 65)"));
        assert_eq!(g(Level::Bins).label("70,5").as_deref(), Some(">= 65"));
        assert_eq!(
            g(Level::Country).label("Gjakovë").as_deref(),
            Some("Kosovo")
        );
        let d1 = g(Level::District).label("Gjakovë");
        assert!(d1.is_some());
        assert_eq!(g(Level::District).label("Ђаковица"), d1);
        assert_eq!(
            g(Level::District).label("Fushë Kosovë").as_deref(),
            g(Level::District).label("Prishtinë").as_deref()
        );
    }

    #[test]
    fn near_misses_are_problems() {
        let t = g(Level::Year)
            .apply(
                &strings(&[Some("31.02.1987"), Some("abc"), Some("1987")]),
                None,
            )
            .unwrap();
        assert_eq!(t.problems, 2);
        assert_eq!(out(&t), vec![None, None, Some("1987".into())]);
        assert_eq!(g(Level::District).label("Atlantis"), None);
        assert_eq!(g(Level::AgeBand).label("-3"), None);
        assert_eq!(g(Level::PostalPrefix).label("1000"), None);
        assert!(
            Generalise::new(Level::Bins, None, Some(vec![3.0, 1.0]), None, patterns()).is_err()
        );
    }

    proptest! {
        #[test]
        fn outputs_are_only_labels(y in 1900i32..2100, m in 1u32..=12, d in 1u32..=28, age in 0u32..120) {
            let v = format!("{d:02}.{m:02}.{y}");
            let l = g(Level::YearMonth).label(&v).unwrap();
            prop_assert_eq!(l.len(), 7);
            let dd = format!("{d:02}.");
            prop_assert!(!l.contains(&dd));
            let yb = g(Level::YearBand).label(&v).unwrap();
            let (a, b) = yb.split_once('-').unwrap();
            let (a, b): (i32, i32) = (a.parse().unwrap(), b.parse().unwrap());
            prop_assert!(a <= y && y <= b && b - a == 4 && a % 5 == 0);
            let ab = g(Level::AgeBand).label(&age.to_string()).unwrap();
            prop_assert!(ab.contains('-'));
        }
    }
}
