//! Decimal commas, as spreadsheets in most of Europe (Kosovo's included) save numbers:
//! `12,5`, `-0,75`, `1.234,56` (a dot between groups of three digits).
//!
//! Only where the delimiter is not a comma (a comma-separated file cannot hold an unquoted
//! decimal comma, and there `1,234` means something else), and only in columns that are
//! consistently so: every non-empty cell of the column in the head is such a number or an
//! integer (`1.234` with group dots counts), and at least one has a decimal comma. Such a
//! column is read as numbers: every cell of that shape, wherever it is in the file, becomes
//! the number in the usual notation (`1.234,56` → `1234.56`, `12,5` → `12.5`, digits kept:
//! `1,80` → `1.80`), which every later stage (numeric transforms, generalisation into ranges,
//! privacy hierarchies, typed outputs) reads as a number. Cells of any other shape further
//! down are kept as written. Dates (`12.03.2024`), codes and phone numbers never qualify.
use std::borrow::Cow;

/// The shape of one cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Not a decimal-comma number.
    Other,
    /// An integer, maybe with group dots (`1.234`).
    Integer,
    /// A number with a decimal comma.
    Decimal,
}

/// `-?` digits (or 1–3 digits then `.ddd` groups), then maybe `,` digits.
fn shape(s: &str) -> Shape {
    let b = s.as_bytes();
    let b = b.strip_prefix(b"-").unwrap_or(b);
    let (int, frac) = match memchr::memchr(b',', b) {
        Some(i) => (
            b.get(..i).unwrap_or(&[]),
            Some(b.get(i + 1..).unwrap_or(&[])),
        ),
        None => (b, None),
    };
    if int.is_empty() || !int_ok(int) {
        return Shape::Other;
    }
    match frac {
        None => Shape::Integer,
        Some(f) if !f.is_empty() && f.iter().all(u8::is_ascii_digit) => Shape::Decimal,
        Some(_) => Shape::Other,
    }
}

/// Digits, or 1–3 digits followed by groups of `.` and three digits.
fn int_ok(int: &[u8]) -> bool {
    let mut groups = int.split(|&c| c == b'.');
    let Some(first) = groups.next() else {
        return false;
    };
    let digits = |g: &[u8]| !g.is_empty() && g.iter().all(u8::is_ascii_digit);
    if !digits(first) {
        return false;
    }
    let mut grouped = false;
    for g in groups {
        if g.len() != 3 || !digits(g) {
            return false;
        }
        grouped = true;
    }
    !grouped || first.len() <= 3
}

/// The columns read as decimal-comma numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct DecimalCommas {
    cols: Vec<bool>,
}

impl DecimalCommas {
    /// The decimal-comma columns of the head's data `rows` (decoded, header excluded), for a
    /// file with delimiter `delim`; `None` when there are none.
    pub(super) fn detect(rows: &[Vec<String>], ncols: usize, delim: u8) -> Option<Self> {
        if delim == b',' {
            return None;
        }
        let mut cols = vec![false; ncols];
        for (j, col) in cols.iter_mut().enumerate() {
            let mut decimal = false;
            let mut consistent = true;
            for cell in rows.iter().filter_map(|r| r.get(j)) {
                match shape(cell.trim()) {
                    Shape::Decimal => decimal = true,
                    Shape::Integer => {}
                    Shape::Other if cell.trim().is_empty() => {}
                    Shape::Other => {
                        consistent = false;
                        break;
                    }
                }
            }
            *col = decimal && consistent;
        }
        cols.iter().any(|&c| c).then_some(DecimalCommas { cols })
    }

    /// The cell of column `j` as read: a decimal-comma number in the usual notation, anything
    /// else unchanged.
    pub(super) fn apply<'a>(&self, j: usize, cell: &'a str) -> Cow<'a, str> {
        if !self.cols.get(j).copied().unwrap_or(false) {
            return Cow::Borrowed(cell);
        }
        let t = cell.trim();
        match shape(t) {
            Shape::Decimal => {}
            Shape::Integer if t.contains('.') => {}
            _ => return Cow::Borrowed(cell),
        }
        Cow::Owned(
            t.chars()
                .filter(|&c| c != '.')
                .map(|c| if c == ',' { '.' } else { c })
                .collect(),
        )
    }

    /// The note naming the columns (by `names`).
    pub(super) fn note(&self, names: &[String]) -> String {
        let cols: Vec<&str> = self
            .cols
            .iter()
            .zip(names)
            .filter(|(c, _)| **c)
            .map(|(_, n)| n.as_str())
            .collect();
        format!(
            "decimal commas read as numbers in {} (1.234,56 → 1234.56): {}",
            if cols.len() == 1 { "column" } else { "columns" },
            cols.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Vec<Vec<String>> {
        text.lines()
            .map(|l| l.split(';').map(str::to_string).collect())
            .collect()
    }

    #[test]
    fn shapes() {
        for s in ["12,5", "-0,75", "1.234,56", "1.234.567,8", "0,0", "123,456"] {
            assert_eq!(shape(s), Shape::Decimal, "{s}");
        }
        for s in ["12", "-3", "1.234", "12.345.678", "007"] {
            assert_eq!(shape(s), Shape::Integer, "{s}");
        }
        for s in [
            "",
            "-",
            ",5",
            "12,",
            "1,2,3",
            "12.5",
            "1234.567",
            "12.34,5",
            "1.23,4",
            "12.03.2024",
            "+12,5",
            "12,5%",
            "12,5 €",
            "1 234,5",
            "abc",
            "044 123 456",
            "1,2a",
            ".5",
            "1..234",
            "--1",
        ] {
            assert_eq!(shape(s), Shape::Other, "{s}");
        }
    }

    #[test]
    fn consistent_columns_only_and_never_with_a_comma_delimiter() {
        let head = rows("Alfa;70,5;1,80;12;2024-01-03;1,5\nBeta;81;1,75;13;2024-02-01;x\n;;;;;");
        let d = DecimalCommas::detect(&head, 6, b';').unwrap();
        assert_eq!(d.cols, [false, true, true, false, false, false]);
        assert_eq!(DecimalCommas::detect(&head, 6, b','), None);
        assert!(DecimalCommas::detect(&head, 6, b'\t').is_some());
        // Integers only (even with group dots): nothing to convert, nothing claimed.
        assert_eq!(DecimalCommas::detect(&rows("1.234;5\n12;6"), 2, b';'), None);
        assert_eq!(DecimalCommas::detect(&[], 2, b';'), None);
    }

    #[test]
    fn conversion_keeps_digits_and_leaves_other_shapes() {
        let d = DecimalCommas {
            cols: vec![true, false],
        };
        let cases = [
            ("12,5", "12.5"),
            ("1,80", "1.80"),
            ("-0,75", "-0.75"),
            ("1.234,56", "1234.56"),
            (" 1.234.567,8 ", "1234567.8"),
            ("1.234", "1234"),
            ("42", "42"),
            ("007", "007"),
            ("", ""),
            ("n/a", "n/a"),
            ("12.5", "12.5"),
        ];
        for (cell, want) in cases {
            assert_eq!(d.apply(0, cell), want, "{cell}");
        }
        assert_eq!(d.apply(1, "12,5"), "12,5");
        assert_eq!(d.apply(7, "12,5"), "12,5");
        assert!(matches!(d.apply(0, "42"), Cow::Borrowed(_)));
    }

    #[test]
    fn note_names_the_columns() {
        let d = DecimalCommas {
            cols: vec![false, true, true],
        };
        let names = ["a", "Pesha", "Gjatësia"].map(String::from);
        assert_eq!(
            d.note(&names),
            "decimal commas read as numbers in columns (1.234,56 → 1234.56): Pesha, Gjatësia"
        );
    }
}
