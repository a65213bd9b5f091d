//! One escaping routine for each place a value lands in a dump: a PostgreSQL `COPY` text
//! field, a PostgreSQL string literal, a MySQL/MariaDB string literal. Each is written so
//! that it means the same in any loading session: PostgreSQL literals are `E'…'` strings
//! (backslash escapes apply whatever `standard_conforming_strings` says), MySQL literals
//! never contain a backslash or a control byte (a value that needs one is written as a
//! `_utf8mb4 X'…'` hex literal), so `NO_BACKSLASH_ESCAPES` cannot change where a string
//! ends. Text is encoded in the dump's declared encoding, as the rest of the dump is.
use std::borrow::Cow;

use encoding_rs::Encoding;

/// Why a value cannot be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unwritable {
    /// PostgreSQL text cannot hold a NUL character.
    Nul,
    /// A character the dump's declared encoding cannot represent.
    Unmappable,
}

impl Unwritable {
    /// What went wrong, for an error message (never the value).
    pub fn describe(self, encoding: Option<&'static Encoding>) -> String {
        match self {
            Unwritable::Nul => {
                "the value contains a NUL character, which PostgreSQL text cannot hold".into()
            }
            Unwritable::Unmappable => format!(
                "the value has a character the dump's encoding ({}) cannot represent",
                encoding.map_or("UTF-8", |e| e.name())
            ),
        }
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// `v` in the dump's encoding (`None`: UTF-8).
fn encode<'a>(v: &'a str, enc: Option<&'static Encoding>) -> Result<Cow<'a, [u8]>, Unwritable> {
    match enc {
        None => Ok(Cow::Borrowed(v.as_bytes())),
        Some(e) => {
            let (bytes, _, unmappable) = e.encode(v);
            if unmappable {
                Err(Unwritable::Unmappable)
            } else {
                Ok(bytes)
            }
        }
    }
}

/// A field of a PostgreSQL `COPY … FROM stdin` text row: backslash, newline, carriage return
/// and tab escaped (so no data line can read as the `\.` terminator or split a row).
pub fn copy_field(
    v: &str,
    enc: Option<&'static Encoding>,
    out: &mut Vec<u8>,
) -> Result<(), Unwritable> {
    if v.contains('\0') {
        return Err(Unwritable::Nul);
    }
    let bytes = encode(v, enc)?;
    out.reserve(bytes.len());
    // Runs between the bytes to escape are copied whole (most fields have none): the COPY
    // writer was the largest single cost of a test copy.
    let mut rest: &[u8] = &bytes;
    while let Some(i) = rest
        .iter()
        .position(|b| matches!(b, b'\\' | b'\n' | b'\r' | b'\t'))
    {
        out.extend_from_slice(&rest[..i]);
        out.extend_from_slice(match rest[i] {
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            _ => b"\\t",
        });
        rest = &rest[i + 1..];
    }
    out.extend_from_slice(rest);
    Ok(())
}

/// A PostgreSQL string literal `E'…'`: quotes doubled, backslashes and control bytes escaped.
pub fn pg_literal(
    v: &str,
    enc: Option<&'static Encoding>,
    out: &mut Vec<u8>,
) -> Result<(), Unwritable> {
    if v.contains('\0') {
        return Err(Unwritable::Nul);
    }
    let bytes = encode(v, enc)?;
    out.extend_from_slice(b"E'");
    for &b in bytes.iter() {
        match b {
            b'\'' => out.extend_from_slice(b"''"),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            // Always two hex digits, so a following digit is never taken into the escape.
            0x00..=0x1f | 0x7f => out.extend_from_slice(&[
                b'\\',
                b'x',
                HEX[(b >> 4) as usize],
                HEX[(b & 15) as usize],
            ]),
            _ => out.push(b),
        }
    }
    out.push(b'\'');
    Ok(())
}

/// A MySQL/MariaDB string literal. Plain `'…'` (quotes doubled) when the value has no
/// backslash and no control byte and fits the dump's encoding; otherwise the UTF-8 bytes as
/// `_utf8mb4 X'…'`, which the server converts to the column's character set. Neither form
/// depends on `NO_BACKSLASH_ESCAPES` or `ANSI_QUOTES`, and neither can contain a line the
/// `mariadb` client would read as a command.
pub fn mysql_literal(v: &str, enc: Option<&'static Encoding>, out: &mut Vec<u8>) {
    let plain = !v.bytes().any(|b| b == b'\\' || b < 0x20 || b == 0x7f);
    if plain && let Ok(bytes) = encode(v, enc) {
        out.push(b'\'');
        for &b in bytes.iter() {
            if b == b'\'' {
                out.push(b'\'');
            }
            out.push(b);
        }
        out.push(b'\'');
        return;
    }
    out.extend_from_slice(b"_utf8mb4 ");
    mysql_hex(v.as_bytes(), out);
}

/// A MySQL binary literal `X'…'` (also valid for zero bytes, unlike `0x`).
pub fn mysql_hex(bytes: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(b"X'");
    for &b in bytes {
        out.push(HEX[(b >> 4) as usize]);
        out.push(HEX[(b & 15) as usize]);
    }
    out.push(b'\'');
}

/// The bytes of a binary value in the readers' text form (`\x` + hex, as PostgreSQL prints
/// `bytea`); `None` when `v` is not in that form (a transformed value, say).
pub fn unhex_bytea(v: &str) -> Option<Vec<u8>> {
    let h = v.strip_prefix("\\x")?.as_bytes();
    if h.len() % 2 != 0 {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    h.chunks_exact(2)
        .map(|p| Some(digit(p[0])? << 4 | digit(p[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn s(f: impl Fn(&mut Vec<u8>)) -> String {
        let mut v = Vec::new();
        f(&mut v);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn copy_fields_escape_what_ends_rows() {
        let out = s(|o| copy_field("a\tb\nc\\.\r", None, o).unwrap());
        assert_eq!(out, "a\\tb\\nc\\\\.\\r");
        assert_eq!(
            copy_field("a\0b", None, &mut Vec::new()),
            Err(Unwritable::Nul)
        );
        assert_eq!(s(|o| copy_field("\\.", None, o).unwrap()), "\\\\.");
    }

    proptest::proptest! {
        /// Byte for byte what escaping each byte alone gives.
        #[test]
        fn copy_fields_escape_like_byte_by_byte(v in "[a-z\\\\\t\r\n.ë ]{0,40}") {
            let mut want = Vec::new();
            for b in v.bytes() {
                match b {
                    b'\\' => want.extend_from_slice(b"\\\\"),
                    b'\n' => want.extend_from_slice(b"\\n"),
                    b'\r' => want.extend_from_slice(b"\\r"),
                    b'\t' => want.extend_from_slice(b"\\t"),
                    _ => want.push(b),
                }
            }
            let mut got = b"prefix".to_vec();
            copy_field(&v, None, &mut got).unwrap();
            proptest::prop_assert_eq!(&got[6..], &want[..]);
        }
    }

    #[test]
    fn pg_literals_are_e_strings() {
        assert_eq!(s(|o| pg_literal("it's", None, o).unwrap()), "E'it''s'");
        assert_eq!(
            s(|o| pg_literal("a\\b\n\u{1}2", None, o).unwrap()),
            "E'a\\\\b\\n\\x012'"
        );
        assert_eq!(
            pg_literal("\0", None, &mut Vec::new()),
            Err(Unwritable::Nul)
        );
        assert_eq!(s(|o| pg_literal("$$;--", None, o).unwrap()), "E'$$;--'");
    }

    #[test]
    fn mysql_literals_never_hold_a_backslash() {
        assert_eq!(s(|o| mysql_literal("O'Brien", None, o)), "'O''Brien'");
        assert_eq!(
            s(|o| mysql_literal("a\\'b", None, o)),
            "_utf8mb4 X'615c2762'"
        );
        assert_eq!(
            s(|o| mysql_literal("x\n\\! id", None, o)),
            "_utf8mb4 X'780a5c21206964'"
        );
        assert_eq!(s(|o| mysql_literal("", None, o)), "''");
        assert_eq!(s(|o| mysql_hex(b"", o)), "X''");
    }

    #[test]
    fn legacy_encodings_are_used_and_unmappable_text_is_refused_or_hexed() {
        let l2 = Encoding::for_label(b"iso-8859-2");
        let mut v = Vec::new();
        copy_field("Qendër", l2, &mut v).unwrap();
        assert_eq!(v, b"Qend\xebr");
        assert_eq!(
            copy_field("日本", l2, &mut Vec::new()),
            Err(Unwritable::Unmappable)
        );
        // MySQL falls back to the UTF-8 hex form, which the server converts.
        assert!(s(|o| mysql_literal("日", l2, o)).starts_with("_utf8mb4 X'"));
    }

    #[test]
    fn bytea_text_round_trips() {
        assert_eq!(unhex_bytea("\\x00ff27"), Some(vec![0, 255, 0x27]));
        assert_eq!(unhex_bytea("\\x"), Some(vec![]));
        for bad in ["\\x0", "x00", "\\xzz", "00"] {
            assert_eq!(unhex_bytea(bad), None, "{bad}");
        }
    }

    proptest! {
        /// Every escaped form decodes to the value with the dialect's own rules: the COPY
        /// reader of this crate, and a byte-level model of both string literal grammars.
        #[test]
        fn escapes_round_trip(v in "\\PC*|[\\\\'\"\n\r\t\u{1}\u{1a}$;.-]*") {
            let mut out = Vec::new();
            copy_field(&v, None, &mut out).unwrap();
            prop_assert!(!out.contains(&b'\n') && !out.contains(&b'\t'));
            let mut fields = Vec::new();
            crate::source::sqldump::copy::split_line(&out, 1, &mut fields).unwrap();
            prop_assert_eq!(fields[0].as_deref(), Some(v.as_str()));

            let mut lit = Vec::new();
            pg_literal(&v, None, &mut lit).unwrap();
            prop_assert_eq!(decode_e_string(&lit), v.as_bytes().to_vec());

            let mut my = Vec::new();
            mysql_literal(&v, None, &mut my);
            prop_assert!(!my.contains(&b'\\') && !my.iter().any(|b| *b < 0x20));
            prop_assert_eq!(decode_mysql(&my), v.as_bytes().to_vec());
        }
    }

    /// PostgreSQL's E-string grammar, for the escapes `pg_literal` writes.
    fn decode_e_string(lit: &[u8]) -> Vec<u8> {
        let body = &lit[2..lit.len() - 1];
        let mut out = Vec::new();
        let mut i = 0;
        while i < body.len() {
            match (body[i], body.get(i + 1)) {
                (b'\'', Some(b'\'')) => {
                    out.push(b'\'');
                    i += 2;
                }
                (b'\'', _) => panic!("unescaped quote in {lit:?}"),
                (b'\\', Some(b'x')) => {
                    let h = std::str::from_utf8(&body[i + 2..i + 4]).unwrap();
                    out.push(u8::from_str_radix(h, 16).unwrap());
                    i += 4;
                }
                (b'\\', Some(c)) => {
                    out.push(match c {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        c => *c,
                    });
                    i += 2;
                }
                (c, _) => {
                    out.push(c);
                    i += 1;
                }
            }
        }
        out
    }

    /// MySQL: `'…'` with doubled quotes, or `_utf8mb4 X'…'`.
    fn decode_mysql(lit: &[u8]) -> Vec<u8> {
        if let Some(h) = lit.strip_prefix(b"_utf8mb4 X'") {
            let h = std::str::from_utf8(&h[..h.len() - 1]).unwrap();
            return (0..h.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
                .collect();
        }
        let body = &lit[1..lit.len() - 1];
        let mut out = Vec::new();
        let mut i = 0;
        while i < body.len() {
            if body[i] == b'\'' {
                assert_eq!(body.get(i + 1), Some(&b'\''), "lone quote in {lit:?}");
                i += 1;
            }
            out.push(body[i]);
            i += 1;
        }
        out
    }
}
