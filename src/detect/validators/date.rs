//! Dates as people write them in Kosovo data: `14.03.1987`, `14.03.1987.`, `1987-03-14`,
//! `14/3/87`, `14-03-1987`, `1987/03/14`, and ISO timestamps `1987-03-14T00:00:00`.
//!
//! Day-first is assumed for slash and dot forms (the local convention); two-digit years pivot
//! on the current year (`87` → 1987, `05` → 2005).
use chrono::{Datelike, NaiveDate};

/// Parse a date in one of the accepted forms.
pub fn parse(s: &str) -> Option<NaiveDate> {
    let s = s.trim().trim_end_matches('.');
    // Drop a time part: "1987-03-14T10:00:00", "1987-03-14 10:00".
    let s = s.split(['T', ' ']).next().unwrap_or(s);
    let sep = s.bytes().find(|b| matches!(b, b'.' | b'-' | b'/'))?;
    let mut parts = s.split(char::from(sep)).map(str::trim);
    let (a, b, c) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some()
        || [a, b, c]
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|x| x.is_ascii_digit()))
    {
        return None;
    }
    let (y, m, d) = if a.len() == 4 {
        (a, b, c)
    } else if c.len() == 4 || c.len() == 2 {
        (c, b, a)
    } else {
        return None;
    };
    if m.len() > 2 || d.len() > 2 {
        return None;
    }
    let mut year: i32 = y.parse().ok()?;
    if y.len() == 2 {
        let now = current_year() % 100;
        year += if year > now { 1900 } else { 2000 };
    }
    NaiveDate::from_ymd_opt(year, m.parse().ok()?, d.parse().ok()?)
}

/// This year, read from the clock once per process (dates are checked per cell).
pub fn current_year() -> i32 {
    static YEAR: std::sync::OnceLock<i32> = std::sync::OnceLock::new();
    *YEAR.get_or_init(|| chrono::Utc::now().year())
}

/// Whether the value is a real calendar date between 1900 and 2100.
pub fn is_valid(s: &str) -> bool {
    parse(s).is_some_and(|d| (1900..=2100).contains(&d.year()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let d = NaiveDate::from_ymd_opt(1987, 3, 14);
        for v in [
            "14.03.1987",
            "14.03.1987.",
            "1987-03-14",
            "14/3/87",
            "14-03-1987",
            "1987/03/14",
            "1987-03-14T00:00:00",
        ] {
            assert_eq!(parse(v), d, "{v}");
        }
    }

    #[test]
    fn invalid() {
        for v in [
            "31.02.1987",
            "14.13.1987",
            "1987-3",
            "14.03",
            "abc",
            "14.03.19877",
            "1.2.3.4",
            "2024",
        ] {
            assert!(!is_valid(v), "{v}");
        }
        assert!(!is_valid("01.01.1850"));
    }
}
