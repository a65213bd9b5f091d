//! Text encodings: UTF-8 or a legacy single-byte encoding, forced or detected from the head.
use std::borrow::Cow;

use encoding_rs::{Encoding, ISO_8859_2, WINDOWS_1250, WINDOWS_1251};

use crate::error::{Error, Result};

/// What to do about text that is not UTF-8.
pub(super) const ENCODING_HINT: &str = "use --encoding windows-1250 (or windows-1251, iso-8859-2)";
/// Encodings `--encoding` accepts.
const SUPPORTED_ENCODINGS: &str =
    "utf-8, windows-1250, windows-1251, iso-8859-2, utf-16le, utf-16be";

/// Check a `--encoding` label up front, so a typo is a usage error before any file is read.
pub fn check_encoding_label(label: &str) -> Result<()> {
    TextEncoding::from_label(label).map(|_| ())
}

/// The text encoding of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TextEncoding {
    Utf8,
    /// A single-byte ASCII superset (windows-1250, windows-1251, ISO-8859-2).
    Single(&'static Encoding),
}

impl TextEncoding {
    pub(super) fn name(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Single(e) => e.name(),
        }
    }

    pub(super) fn from_label(label: &str) -> Result<Self> {
        match Encoding::for_label(label.trim().as_bytes()) {
            Some(e) if e == encoding_rs::UTF_8 => Ok(TextEncoding::Utf8),
            // Transcoded to UTF-8 as it is read (`utf16`).
            Some(e) if e == encoding_rs::UTF_16LE || e == encoding_rs::UTF_16BE => {
                Ok(TextEncoding::Utf8)
            }
            Some(e) if e == WINDOWS_1250 || e == WINDOWS_1251 || e == ISO_8859_2 => {
                Ok(TextEncoding::Single(e))
            }
            _ => Err(Error::Usage(format!(
                "unsupported encoding '{label}' for CSV input; supported: {SUPPORTED_ENCODINGS}"
            ))),
        }
    }

    /// Decode one field; for UTF-8, `Err` is the offset of the first invalid byte.
    pub(super) fn decode(self, bytes: &[u8]) -> std::result::Result<Cow<'_, str>, usize> {
        match self {
            TextEncoding::Utf8 => std::str::from_utf8(bytes)
                .map(Cow::Borrowed)
                .map_err(|e| e.valid_up_to()),
            TextEncoding::Single(e) => Ok(e.decode_without_bom_handling(bytes).0),
        }
    }

    pub(super) fn decode_lossy(self, bytes: &[u8]) -> Cow<'_, str> {
        match self {
            TextEncoding::Utf8 => String::from_utf8_lossy(bytes),
            TextEncoding::Single(e) => e.decode_without_bom_handling(bytes).0,
        }
    }
}

/// UTF-8 when the head is valid UTF-8, else the most plausible legacy encoding.
pub(super) fn detect_encoding(head: &[u8], at_eof: bool) -> TextEncoding {
    match std::str::from_utf8(head) {
        Ok(_) => return TextEncoding::Utf8,
        // Only a multi-byte character cut by the end of the head.
        Err(e) if e.error_len().is_none() && !at_eof => return TextEncoding::Utf8,
        Err(_) => {}
    }
    let (cyrillic, _) = WINDOWS_1251.decode_without_bom_handling(head);
    let (latin, _) = WINDOWS_1250.decode_without_bom_handling(head);
    if script_score(&cyrillic, true) > script_score(&latin, false) {
        TextEncoding::Single(WINDOWS_1251)
    } else if iso_8859_2_hint(head) {
        TextEncoding::Single(ISO_8859_2)
    } else {
        TextEncoding::Single(WINDOWS_1250)
    }
}

/// Non-ASCII letters in plausible words minus those in implausible ones.
pub(super) fn script_score(text: &str, cyrillic: bool) -> i64 {
    let mut score = 0i64;
    for word in text.split(|c: char| !c.is_alphabetic()) {
        let (mut ascii, mut cyr, mut latin, mut other, mut len) = (0i64, 0i64, 0i64, 0i64, 0);
        for c in word.chars() {
            len += 1;
            if c.is_ascii() {
                ascii += 1;
            } else if ('\u{0400}'..='\u{04FF}').contains(&c) {
                cyr += 1;
            } else if ('\u{00C0}'..='\u{024F}').contains(&c) {
                latin += 1;
            } else {
                other += 1;
            }
        }
        let non_ascii = cyr + latin + other;
        if non_ascii == 0 {
            continue;
        }
        let plausible = if cyrillic {
            ascii == 0 && latin == 0 && other == 0
        } else {
            cyr == 0 && other == 0 && (ascii > 0 || len <= 2)
        };
        score += if plausible { non_ascii } else { -non_ascii };
    }
    score
}

/// ISO-8859-2 rather than windows-1250: no 0x80–0x9F bytes, and `Š š Ž ž` at their
/// ISO-8859-2 places (0xA9 0xB9 0xAE 0xBE) next to an ASCII letter.
pub(super) fn iso_8859_2_hint(head: &[u8]) -> bool {
    if head.iter().any(|b| (0x80..0xA0).contains(b)) {
        return false;
    }
    let caron = |b: u8| matches!(b, 0xA9 | 0xB9 | 0xAE | 0xBE);
    head.windows(2).any(|w| match *w {
        [a, b] => (caron(a) && b.is_ascii_alphabetic()) || (a.is_ascii_alphabetic() && caron(b)),
        _ => false,
    })
}
