//! PostgreSQL `COPY` text format: one row per line, fields separated by TAB, `\N` for NULL and
//! backslash escapes. Used for `COPY … FROM stdin` blocks in pg_dump files and for
//! `COPY … TO STDOUT` from a live server.
use std::borrow::Cow;

/// Why a COPY line could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyError {
    /// The line has a different number of fields than the table has columns.
    FieldCount {
        /// Fields found.
        found: usize,
    },
    /// A decoded field is not valid text in the dump's encoding (1-based field number).
    BadText {
        /// 1-based field number.
        field: usize,
    },
}

/// Split one COPY line (without its newline) into fields, decoding escapes. `fields` is cleared
/// first; `None` is SQL NULL. Text is decoded as UTF-8 (callers transcode legacy encodings
/// before). Expects exactly `width` fields.
pub fn split_line<'a>(
    line: &'a [u8],
    width: usize,
    fields: &mut Vec<Option<Cow<'a, str>>>,
) -> Result<(), CopyError> {
    fields.clear();
    let mut found = 0usize;
    for raw in line.split(|&b| b == b'\t') {
        found += 1;
        if found > width {
            continue;
        }
        fields.push(decode_field(raw).map_err(|InvalidText| CopyError::BadText { field: found })?);
    }
    if found != width {
        return Err(CopyError::FieldCount { found });
    }
    Ok(())
}

/// A decoded field that is not valid UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidText;

/// Decode one raw COPY field: `\N` is NULL; `\b \f \n \r \t \v \\`, octal `\ooo` and hex `\xhh`
/// escapes; any other escaped character stands for itself.
pub fn decode_field(raw: &[u8]) -> Result<Option<Cow<'_, str>>, InvalidText> {
    if raw == b"\\N" {
        return Ok(None);
    }
    if memchr::memchr(b'\\', raw).is_none() {
        return std::str::from_utf8(raw)
            .map(|s| Some(Cow::Borrowed(s)))
            .map_err(|_| InvalidText);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b != b'\\' || i + 1 == raw.len() {
            out.push(b);
            i += 1;
            continue;
        }
        let c = raw[i + 1];
        i += 2;
        match c {
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(11),
            b'0'..=b'7' => {
                let mut v = u32::from(c - b'0');
                let mut k = 0;
                while k < 2 && i < raw.len() && (b'0'..=b'7').contains(&raw[i]) {
                    v = v * 8 + u32::from(raw[i] - b'0');
                    i += 1;
                    k += 1;
                }
                out.push((v & 0xff) as u8);
            }
            b'x' if i < raw.len() && raw[i].is_ascii_hexdigit() => {
                let mut v = hex(raw[i]);
                i += 1;
                if i < raw.len() && raw[i].is_ascii_hexdigit() {
                    v = v * 16 + hex(raw[i]);
                    i += 1;
                }
                out.push(v);
            }
            other => out.push(other),
        }
    }
    String::from_utf8(out)
        .map(|s| Some(Cow::Owned(s)))
        .map_err(|_| InvalidText)
}

fn hex(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        _ => b - b'A' + 10,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &str, width: usize) -> Result<Vec<Option<String>>, CopyError> {
        let mut f = Vec::new();
        split_line(line.as_bytes(), width, &mut f)?;
        Ok(f.into_iter().map(|v| v.map(|c| c.into_owned())).collect())
    }

    #[test]
    fn plain_null_and_escapes() {
        assert_eq!(
            split("1\tArta\t\\N", 3).unwrap(),
            vec![Some("1".into()), Some("Arta".into()), None]
        );
        assert_eq!(
            split("a\\tb\\nc\\\\d\t\\101\\x42", 2).unwrap(),
            vec![Some("a\tb\nc\\d".into()), Some("AB".into())]
        );
        // An empty field is an empty string, not NULL.
        assert_eq!(
            split("\t", 2).unwrap(),
            vec![Some(String::new()), Some(String::new())]
        );
        // `\\N` (escaped backslash then N) is the text "\N", not NULL.
        assert_eq!(split("\\\\N", 1).unwrap(), vec![Some("\\N".into())]);
    }

    #[test]
    fn wrong_field_count_is_an_error() {
        assert_eq!(split("1\t2", 3), Err(CopyError::FieldCount { found: 2 }));
        assert_eq!(
            split("1\t2\t3\t4", 3),
            Err(CopyError::FieldCount { found: 4 })
        );
    }

    #[test]
    fn invalid_utf8_is_reported_with_its_field() {
        let mut f = Vec::new();
        assert_eq!(
            split_line(b"ok\t\xff", 2, &mut f),
            Err(CopyError::BadText { field: 2 })
        );
        assert_eq!(
            split_line(b"\\377", 1, &mut f),
            Err(CopyError::BadText { field: 1 })
        );
    }

    #[test]
    fn utf8_multibyte_via_octal_escapes() {
        // ë = C3 AB
        assert_eq!(
            split("Qend\\303\\253r", 1).unwrap(),
            vec![Some("Qendër".into())]
        );
    }
}
