//! [`Masked`]: the only way a cell value may reach a message or a report.
//!
//! Masking keeps at most the first character and the last two, and replaces the rest with
//! bullets so the reader sees the shape and length (`1•••••••92`) but never the value. Short
//! values are masked completely, because keeping three characters of a four-character value
//! would reveal it. Long free text is summarised by length only.
use std::fmt;

/// A cell value that prints masked. It has no `Debug` that shows the raw value.
pub struct Masked<'a>(pub &'a str);

/// Longer values than this are summarised as free text.
const FREE_TEXT_LEN: usize = 40;
/// Never print more bullets than this, however long the value.
const MAX_BULLETS: usize = 16;

impl fmt::Display for Masked<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let chars: Vec<char> = self.0.trim().chars().collect();
        let n = chars.len();
        if n > FREE_TEXT_LEN {
            return write!(f, "[text, {n} chars]");
        }
        let (head, tail) = match n {
            0..=3 => (0, 0),
            4..=7 => (1, 1),
            _ => (1, 2),
        };
        for c in &chars[..head] {
            fmt::Write::write_char(f, *c)?;
        }
        for _ in 0..(n - head - tail).min(MAX_BULLETS) {
            f.write_str("•")?;
        }
        for c in &chars[n - tail..] {
            fmt::Write::write_char(f, *c)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Masked<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Masked({self})")
    }
}

/// Mask a value into an owned string.
pub fn mask(value: &str) -> String {
    Masked(value).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_shape_not_value() {
        assert_eq!(mask("1234567892"), "1•••••••92");
        assert_eq!(mask("abcd"), "a••d");
        assert_eq!(mask("abc"), "•••");
        assert_eq!(mask(""), "");
        assert_eq!(mask(&"x".repeat(50)), "[text, 50 chars]");
    }

    #[test]
    fn never_contains_the_middle() {
        let v = "arben.krasniqi@example.com";
        let m = mask(v);
        assert!(!m.contains("krasniqi"));
        assert!(!m.contains("example"));
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::mask;

    proptest! {
        /// A masked value never shows more than three characters of the original, and never
        /// the original itself when it is longer than three characters.
        #[test]
        fn mask_reveals_at_most_three_characters(v in "\\PC{0,60}") {
            let m = mask(&v);
            let shown = m.chars().filter(|c| *c != '•').count();
            let len = v.trim().chars().count();
            if len > 40 {
                prop_assert!(m.starts_with("[text, "));
            } else {
                prop_assert!(shown <= 3, "{m}");
                if len > 3 {
                    prop_assert_ne!(m.as_str(), v.trim());
                }
            }
        }
    }
}
