//! One cell of a sheet as text, the same text a CSV export of the sheet would hold.
//!
//! - numbers: integers without a decimal point (`42`, not `42.0`), other numbers in Rust's
//!   shortest round-trip form (`0.1`, `1234.5`); numbers stored as text stay text as written
//!   (`00123` keeps its zeros: it is an identifier, not a number);
//! - dates and times stored as serial numbers (the 1900 and the 1904 system; calamine knows
//!   which one the workbook uses): `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS`, or `HH:MM:SS` for a
//!   time of day; ODS dates come as ISO text already;
//! - booleans `TRUE`/`FALSE`; error cells (`#N/A`, `#DIV/0!`) their Excel code; formulas their
//!   cached value (calamine reads the value, never the formula).
use calamine::{Data, DataRef};

/// What a cell held, before it became text: drives the column's type hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text (including numbers stored as text).
    Text,
    /// A number.
    Number,
    /// A date (no time of day).
    Date,
    /// A date and time, or a time of day.
    DateTime,
    /// TRUE/FALSE.
    Bool,
    /// An error value such as `#N/A`.
    Error,
}

impl Kind {
    /// The hint's name in the schema metadata ([`super::CELL_TYPE_KEY`]).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Number => "number",
            Kind::Date => "date",
            Kind::DateTime => "datetime",
            Kind::Bool => "bool",
            Kind::Error => "error",
        }
    }
}

/// A number as text: integers without `.0`, others in shortest round-trip form.
pub fn number_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

fn date_text(dt: &calamine::ExcelDateTime) -> (String, Kind) {
    if dt.is_duration() {
        let secs = (dt.as_f64() * 86_400.0).round() as i64;
        let sign = if secs < 0 { "-" } else { "" };
        let s = secs.abs();
        return (
            format!("{sign}{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60),
            Kind::DateTime,
        );
    }
    let (y, mo, d, h, mi, s, ms) = dt.to_ymd_hms_milli();
    let serial = dt.as_f64();
    let (h, mi, s) = if ms >= 500 {
        // Round to the second: 12:59:59.6 reads as 13:00:00 in Excel's own display.
        let t = (u32::from(h) * 3600 + u32::from(mi) * 60 + u32::from(s) + 1).min(86_399);
        (t / 3600, t / 60 % 60, t % 60)
    } else {
        (u32::from(h), u32::from(mi), u32::from(s))
    };
    if serial.abs() < 1.0 && serial != 0.0 {
        return (format!("{h:02}:{mi:02}:{s:02}"), Kind::DateTime);
    }
    if h == 0 && mi == 0 && s == 0 {
        (format!("{y:04}-{mo:02}-{d:02}"), Kind::Date)
    } else {
        (
            format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}"),
            Kind::DateTime,
        )
    }
}

fn iso_kind(s: &str) -> Kind {
    if s.len() > 10 {
        Kind::DateTime
    } else {
        Kind::Date
    }
}

/// The text and kind of a streamed xlsx cell; `None` for an empty cell.
pub fn from_ref(v: &DataRef<'_>) -> Option<(String, Kind)> {
    Some(match v {
        DataRef::Empty => return None,
        DataRef::String(s) => (s.clone(), Kind::Text),
        DataRef::SharedString(s) => ((*s).to_string(), Kind::Text),
        DataRef::Int(i) => (i.to_string(), Kind::Number),
        DataRef::Float(f) => (number_text(*f), Kind::Number),
        DataRef::Bool(b) => (bool_text(*b), Kind::Bool),
        DataRef::DateTime(dt) => date_text(dt),
        DataRef::DateTimeIso(s) => (s.clone(), iso_kind(s)),
        DataRef::DurationIso(s) => (s.clone(), Kind::DateTime),
        DataRef::Error(e) => (e.to_string(), Kind::Error),
    })
}

/// The text and kind of a cell of a whole-sheet range (xls, ods); `None` for an empty cell.
pub fn from_data(v: &Data) -> Option<(String, Kind)> {
    Some(match v {
        Data::Empty => return None,
        Data::String(s) => (s.clone(), Kind::Text),
        Data::Int(i) => (i.to_string(), Kind::Number),
        Data::Float(f) => (number_text(*f), Kind::Number),
        Data::Bool(b) => (bool_text(*b), Kind::Bool),
        Data::DateTime(dt) => date_text(dt),
        Data::DateTimeIso(s) => (s.clone(), iso_kind(s)),
        Data::DurationIso(s) => (s.clone(), Kind::DateTime),
        Data::Error(e) => (e.to_string(), Kind::Error),
    })
}

fn bool_text(b: bool) -> String {
    if b { "TRUE" } else { "FALSE" }.to_string()
}

/// A column's type hint from the kinds of its first cells: the one kind they all share
/// (numbers stored as text count as numbers when every one of them reads as a plain number),
/// else `text`.
pub fn column_hint<'a>(cells: impl Iterator<Item = (&'a str, Kind)>) -> Kind {
    let mut hint: Option<Kind> = None;
    for (text, kind) in cells {
        let k = match kind {
            Kind::Text if plain_number(text) => Kind::Number,
            Kind::Date if hint == Some(Kind::DateTime) => Kind::DateTime,
            Kind::DateTime if hint == Some(Kind::Date) => {
                hint = Some(Kind::DateTime);
                continue;
            }
            k => k,
        };
        match hint {
            None => hint = Some(k),
            Some(h) if h == k => {}
            Some(_) => return Kind::Text,
        }
    }
    hint.unwrap_or(Kind::Text)
}

/// A number as a spreadsheet writes one: optional minus, digits without a leading zero (bar
/// `0` itself), optional fraction. `00123`, `+5`, `1e3` and `12 345` are not.
pub fn plain_number(s: &str) -> bool {
    let t = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match t.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (t, None),
    };
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && (int == "0" || !int.starts_with('0'))
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
        && int.len() <= 15
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use calamine::{ExcelDateTime, ExcelDateTimeType};

    fn date(serial: f64, is_1904: bool) -> String {
        let dt = ExcelDateTime::new(serial, ExcelDateTimeType::DateTime, is_1904);
        from_data(&Data::DateTime(dt)).unwrap().0
    }

    #[test]
    fn serial_dates_in_both_systems() {
        // 1985-03-12 is serial 31118 in the 1900 system and 29656 in the 1904 system.
        assert_eq!(date(31118.0, false), "1985-03-12");
        assert_eq!(date(29656.0, true), "1985-03-12");
        assert_eq!(date(31118.5, false), "1985-03-12 12:00:00");
        assert_eq!(date(0.75, false), "18:00:00");
        // Excel's phantom 1900-02-29 does not shift later dates.
        assert_eq!(date(61.0, false), "1900-03-01");
    }

    #[test]
    fn numbers_and_text() {
        assert_eq!(number_text(42.0), "42");
        assert_eq!(number_text(0.1), "0.1");
        assert_eq!(number_text(-1234.5), "-1234.5");
        assert_eq!(number_text(1e20), "100000000000000000000");
        assert_eq!(
            from_data(&Data::String("00123".into())).unwrap(),
            ("00123".into(), Kind::Text)
        );
        assert_eq!(from_data(&Data::Bool(true)).unwrap().0, "TRUE");
        assert!(from_data(&Data::Empty).is_none());
        for s in ["0", "12", "-3.25", "1234567"] {
            assert!(plain_number(s), "{s}");
        }
        for s in ["00123", "+5", "1e3", "12 345", "", "-", "1.", ".5", "0x10"] {
            assert!(!plain_number(s), "{s}");
        }
    }

    #[test]
    fn hints() {
        let h = |v: &[(&str, Kind)]| column_hint(v.iter().copied());
        assert_eq!(h(&[("1", Kind::Number), ("2", Kind::Text)]), Kind::Number);
        assert_eq!(h(&[("1", Kind::Number), ("0044", Kind::Text)]), Kind::Text);
        assert_eq!(
            h(&[
                ("2020-01-01", Kind::Date),
                ("2020-01-01 10:00:00", Kind::DateTime)
            ]),
            Kind::DateTime
        );
        assert_eq!(h(&[]), Kind::Text);
    }
}
