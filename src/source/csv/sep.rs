//! Excel's delimiter hint: a first line `sep=;` (any one character after `sep=`), written by
//! Excel's and some exporters' CSV, read by Excel to split the file. It is not data: the line
//! is skipped, and the character it names is the delimiter unless `--delimiter` says
//! otherwise. Quoted forms (`"sep=;"`, `"sep=;";;;` as a spreadsheet saves a cell holding the
//! hint) and `sep=\t` spelled with a backslash are accepted; `sep=` with nothing after it is a
//! hint that names nothing (skipped; the delimiter is sniffed). `SEP=` in capitals is the same.

/// A `sep=` first line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SepLine {
    /// The delimiter it names; `None` for a bare `sep=`.
    pub delim: Option<u8>,
    /// Bytes of the line, its line end included.
    pub len: usize,
}

impl SepLine {
    /// The note that says what was done with it.
    pub(super) fn note(&self, delim: u8, forced: bool) -> String {
        match self.delim {
            None => "empty sep= line skipped (it names no delimiter)".to_string(),
            Some(d) if forced && d != delim => format!(
                "sep={} line skipped; its delimiter overridden by --delimiter",
                super::delimiter_name(d)
            ),
            Some(d) => format!("sep={} line skipped", super::delimiter_name(d)),
        }
    }
}

/// The `sep=` line `head` starts with (after any byte-order mark), if it does. `Err` for a
/// hint naming a character the reader cannot use as a delimiter (the message says why).
pub(super) fn parse(head: &[u8]) -> Result<Option<SepLine>, String> {
    let end = memchr::memchr2(b'\r', b'\n', head).unwrap_or(head.len());
    let line = head.get(..end).unwrap_or(&[]);
    let len = match (head.get(end), head.get(end + 1)) {
        (Some(b'\r'), Some(b'\n')) => end + 2,
        (Some(_), _) => end + 1,
        (None, _) => end,
    };
    let (inner, after) = match line.strip_prefix(b"\"") {
        Some(rest) => match memchr::memchr(b'"', rest) {
            Some(q) => (
                rest.get(..q).unwrap_or(&[]),
                rest.get(q + 1..).unwrap_or(&[]),
            ),
            None => return Ok(None),
        },
        None => (line, &[][..]),
    };
    let Some(prefix) = inner.get(..4) else {
        return Ok(None);
    };
    if !prefix.eq_ignore_ascii_case(b"sep=") {
        return Ok(None);
    }
    let named = inner.get(4..).unwrap_or(&[]);
    let delim = match named {
        [] => None,
        [b'\\', b't'] => Some(b'\t'),
        [d, rest @ ..] if d.is_ascii() => {
            // Unquoted, a spreadsheet row holding only the hint has the delimiter repeated
            // after it (`sep=;;;`); anything else makes this an ordinary first line.
            if !rest.iter().all(|b| b == d) {
                return Ok(None);
            }
            // (A line break cannot be here: the line ends before it.)
            if *d == b'"' {
                return Err(
                    "the first line `sep=\"` names a quote, which cannot be a delimiter; \
                     use --delimiter"
                        .to_string(),
                );
            }
            Some(*d)
        }
        _ => {
            let shown = String::from_utf8_lossy(named);
            if shown.chars().count() == 1 {
                return Err(format!(
                    "the first line `sep={shown}` names a delimiter of more than one byte; only \
                     single-byte delimiters are read: re-save the file with `,` `;` or TAB"
                ));
            }
            return Ok(None);
        }
    };
    // After a quoted hint only delimiters may follow (the other, empty cells of its row).
    if !after.is_empty() && !delim.is_some_and(|d| after.iter().all(|&b| b == d)) {
        return Ok(None);
    }
    Ok(Some(SepLine { delim, len }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hint(s: &str) -> Option<(Option<u8>, usize)> {
        parse(s.as_bytes()).unwrap().map(|l| (l.delim, l.len))
    }

    #[test]
    fn the_forms_spreadsheets_write() {
        assert_eq!(hint("sep=;\r\na;b\r\n"), Some((Some(b';'), 7)));
        assert_eq!(hint("sep=,\na,b\n"), Some((Some(b','), 6)));
        assert_eq!(hint("sep=\t\na\tb\n"), Some((Some(b'\t'), 6)));
        assert_eq!(hint("sep=\\t\na\tb\n"), Some((Some(b'\t'), 7)));
        assert_eq!(hint("sep=|\ra|b\r"), Some((Some(b'|'), 6)));
        assert_eq!(hint("SEP=;\na\n"), Some((Some(b';'), 6)));
        assert_eq!(hint("\"sep=;\"\na;b\n"), Some((Some(b';'), 8)));
        assert_eq!(hint("\"sep=;\";;;\r\na;b;c;d\r\n"), Some((Some(b';'), 12)));
        assert_eq!(hint("sep=;;;\na;b;c;d\n"), Some((Some(b';'), 8)));
        // The whole file, no line end.
        assert_eq!(hint("sep=;"), Some((Some(b';'), 5)));
    }

    #[test]
    fn sep_with_nothing_after_names_no_delimiter() {
        assert_eq!(hint("sep=\na,b\n"), Some((None, 5)));
        assert_eq!(hint("sep=\r\n"), Some((None, 6)));
        assert_eq!(hint("sep="), Some((None, 4)));
        assert_eq!(hint("\"sep=\"\na,b\n"), Some((None, 7)));
    }

    #[test]
    fn near_misses_are_ordinary_lines() {
        for s in [
            "separator;x\n",
            "sep;x\n",
            "sep =;\n",
            " sep=;\n",
            "sep=;x\n",
            "sep=ab\n",
            "\"sep=;\";x\n",
            "\"sep=;\n",
            "a;b\nsep=;\n",
            "se",
            "",
        ] {
            assert_eq!(hint(s), None, "{s:?}");
        }
    }

    #[test]
    fn impossible_delimiters_are_explained() {
        let e = parse("sep=€\na€b\n".as_bytes()).unwrap_err();
        assert!(
            e.contains("sep=€") && e.contains("more than one byte"),
            "{e}"
        );
        let e = parse(b"sep=\"\n").unwrap_err();
        assert!(e.contains("a quote"), "{e}");
    }
}
