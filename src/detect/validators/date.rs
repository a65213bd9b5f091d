//! Dates as people write them in Kosovo data: `14.03.1987`, `14.03.1987.`, `1987-03-14`,
//! `14/3/87`, `14-03-1987`, `1987/03/14`, `19870314`, and ISO timestamps `1987-03-14T00:00:00`.
//!
//! Day-first is assumed for slash and dot forms (the local convention); two-digit years pivot
//! on the current year (`87` → 1987, `05` → 2005).
use chrono::{Datelike, NaiveDate};

/// Parse a date in one of the accepted forms.
pub fn parse(s: &str) -> Option<NaiveDate> {
    match parse_plain(s.as_bytes()) {
        Some(fast) => fast,
        None => parse_general(s),
    }
}

/// Every accepted shape, with trimming and a time part (the reference for [`parse_plain`]).
fn parse_general(s: &str) -> Option<NaiveDate> {
    let s = s.trim().trim_end_matches('.');
    // A time part ("1987-03-14T10:00:00", "2006-02-15 04:34:33.5+02:00") must be a real time
    // of day; then it is dropped.
    let (s, time) = match s.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    if time.is_some_and(|t| !valid_time(t)) {
        return None;
    }
    if let Some(d) = compact(s) {
        return d;
    }
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

/// `yyyymmdd` (exports from SAS, SPSS, mainframes): eight digits starting `19` or `20`, so a
/// day-first run (`14031987`) is never read year-first. `Some(result)` for that shape, `None`
/// for any other.
fn compact(s: &str) -> Option<Option<NaiveDate>> {
    let b = s.as_bytes();
    if b.len() != 8
        || !b.iter().all(u8::is_ascii_digit)
        || !(b.starts_with(b"19") || b.starts_with(b"20"))
    {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s[r].parse::<u32>().ok();
    let (y, m, d) = (n(0..4)?, n(4..6)?, n(6..8)?);
    Some(NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d))
}

/// `HH:MM[:SS[.fraction]]` then optionally `Z` or a UTC offset `±HH[[:]MM]` (PostgreSQL
/// writes `+00`, `+02:00`, `+0530`): hours < 24, minutes < 60, seconds < 61 (leap second),
/// offset hours <= 15 (PostgreSQL's range). Other text after a date is not a time.
fn valid_time(t: &str) -> bool {
    let (clock, offset) = match t.find(['Z', '+', '-']) {
        Some(i) => (&t[..i], Some(&t[i..])),
        None => (t, None),
    };
    let (hms, frac) = match clock.split_once('.') {
        Some((a, f)) => (a, Some(f)),
        None => (clock, None),
    };
    let two = |p: &str, max: u32| {
        p.len() == 2
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u32>().is_ok_and(|v| v < max)
    };
    let parts: Vec<&str> = hms.split(':').collect();
    let clock_ok = match parts.as_slice() {
        [h, m] => two(h, 24) && two(m, 60) && frac.is_none(),
        [h, m, s] => two(h, 24) && two(m, 60) && two(s, 61),
        _ => false,
    } && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    let offset_ok = match offset {
        None | Some("Z") => true,
        Some(o) => {
            let o = &o[1..];
            let (h, m) = match o.split_once(':') {
                Some((h, m)) => (h, Some(m)),
                None if o.len() == 4 && o.is_ascii() => (&o[..2], Some(&o[2..])),
                None => (o, None),
            };
            two(h, 16) && m.is_none_or(|m| two(m, 60))
        }
    };
    clock_ok && offset_ok
}

/// The common shapes `dd.mm.yyyy`, `yyyy-mm-dd` (any of `.` `-` `/`, one- or two-digit day
/// and month, no spaces or time) without splitting or integer parsing: `Some(result)` when the
/// cell has such a shape (the result is what [`parse`] would return), `None` to take the
/// general path. Dates are the most frequent validated value in a full scan.
fn parse_plain(b: &[u8]) -> Option<Option<NaiveDate>> {
    if !(6..=10).contains(&b.len()) {
        return None;
    }
    let sep = *b.iter().find(|x| !x.is_ascii_digit())?;
    if !matches!(sep, b'.' | b'-' | b'/') {
        return None;
    }
    // Three runs of digits separated by `sep`, nothing else.
    let mut runs = [(0u32, 0usize); 3];
    let mut k = 0;
    for &c in b {
        if c == sep {
            k += 1;
            if k == 3 {
                return None;
            }
        } else if c.is_ascii_digit() {
            let r = &mut runs[k];
            r.0 = r.0 * 10 + u32::from(c - b'0');
            r.1 += 1;
        } else {
            return None;
        }
    }
    if k != 2 || runs.iter().any(|r| r.1 == 0) {
        return None;
    }
    let ((y, ylen), (m, mlen), (d, dlen)) = if runs[0].1 == 4 {
        (runs[0], runs[1], runs[2])
    } else if runs[2].1 == 4 || runs[2].1 == 2 {
        (runs[2], runs[1], runs[0])
    } else {
        return Some(None);
    };
    if mlen > 2 || dlen > 2 {
        return Some(None);
    }
    let mut year = y as i32;
    if ylen == 2 {
        let now = current_year() % 100;
        year += if year > now { 1900 } else { 2000 };
    }
    Some(NaiveDate::from_ymd_opt(year, m, d))
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

    proptest::proptest! {
        /// The fast path answers exactly as the general parser wherever it answers at all.
        #[test]
        fn fast_path_agrees_with_general(s in "[0-9]{0,5}[-./ ]?[0-9]{0,3}[-./]?[0-9]{0,5}[-./]?[0-9]{0,2}") {
            if let Some(fast) = parse_plain(s.as_bytes()) {
                proptest::prop_assert_eq!(fast, parse_general(&s), "{}", s);
            }
        }
    }

    #[test]
    fn fast_path_takes_the_common_shapes() {
        for s in [
            "14.03.1987",
            "1987-03-14",
            "1.3.87",
            "14/03/1987",
            "31.02.1987",
        ] {
            assert!(parse_plain(s.as_bytes()).is_some(), "{s}");
            assert_eq!(parse(s), parse_general(s), "{s}");
        }
        assert_eq!(parse("31.02.1987"), None);
    }

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
            "19870314",
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
            // Compact dates are year first and 19xx/20xx only; near misses of that shape.
            "14031987",
            "19871314",
            "19870230",
            "1987031",
            "198703140",
            "18870314",
        ] {
            assert!(!is_valid(v), "{v}");
        }
        assert!(!is_valid("01.01.1850"));
    }

    #[test]
    fn postgres_timestamps_with_offsets() {
        for s in [
            "2006-02-15 04:34:33+00",
            "2006-02-15 04:34:33+02:00",
            "2006-02-15 04:34:33.123456+01",
            "2006-02-15 04:34:33-0530",
            "2006-02-15T04:34:33Z",
            "2006-02-15 04:34",
        ] {
            assert_eq!(parse(s), NaiveDate::from_ymd_opt(2006, 2, 15), "{s}");
        }
        for s in [
            "2006-02-15 24:34:33+00",
            "2006-02-15 04:60:33+00",
            "2006-02-15 04:34:33+16",
            "2006-02-15 04:34:33+0",
            "2006-02-15 04:34:33+02:",
            "2006-02-15 04:34:33.+01",
            "2006-02-15 4:34:33",
            "2006-02-15 garbage",
            "2006-02-30 04:34:33+00",
            // Multi-byte characters where an ASCII offset is expected (once a panic).
            "2006-02-15 04:34:33+\u{11d62}",
            "2006-02-15 04:34:33-ëë",
            "2006-02-15 04:34:33Zé",
        ] {
            assert_eq!(parse(s), None, "{s}");
        }
    }
}
