//! Names from the data (column, table and file names) made safe for the people who read them.
//!
//! A terminal obeys control characters: an escape sequence in a column name can move the
//! cursor, rewrite or hide rows of a report, and a bidi override (U+202E) reverses what
//! follows it. [`visible`] turns every such character into a visible escape (`\x1b`,
//! `\u{202e}`), and every text written for a terminal or a person passes names through it.
//! CommonMark renders raw HTML and reads `|`, `*`, `_`, `` ` `` and `[` as structure:
//! [`markdown`] escapes them as well, so a name is always shown as the text it is.
use std::borrow::Cow;
use std::fmt::Write;

/// Whether `c` must not reach a terminal or a reader as it is: C0 controls, DEL, C1
/// controls, and the bidi embeddings, overrides and isolates (U+202A–U+202E,
/// U+2066–U+2069), which reorder the text around them.
fn is_hidden(c: char) -> bool {
    c.is_control()
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// `s` with control and bidi characters replaced by visible escapes: `\n`, `\r`, `\t`,
/// `\x1b` for the other C0 controls and DEL, `\u{85}` for C1 controls and bidi
/// characters. A backslash is doubled only when the text has something to escape, so that
/// ordinary names are unchanged and an escape cannot be forged by a name that already
/// spells one.
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_hidden) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_hidden(c) && (c as u32) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if is_hidden(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A message for a terminal: [`visible`] line by line, keeping the line breaks the message
/// itself has (names inside it were escaped where they were put in, or are escaped here).
pub fn visible_lines(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && is_hidden(c)) {
        return Cow::Borrowed(s);
    }
    let lines: Vec<Cow<'_, str>> = s.split('\n').map(visible).collect();
    Cow::Owned(lines.join("\n"))
}

/// Text for Markdown (a table cell, a heading, a paragraph): [`visible`], then HTML
/// metacharacters as entities and Markdown punctuation backslash-escaped.
pub fn markdown(s: &str) -> String {
    let v = visible(s);
    let mut out = String::with_capacity(v.len() + 8);
    for c in v.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_become_visible() {
        assert_eq!(visible("patient_id"), "patient_id");
        assert_eq!(visible("a\u{1b}[2Jb"), "a\\x1b[2Jb");
        assert_eq!(visible("x\u{202e}gpj.exe"), "x\\u{202e}gpj.exe");
        assert_eq!(
            visible("a\nb\t\u{7f}\u{85}\u{2066}"),
            "a\\nb\\t\\x7f\\u{85}\\u{2066}"
        );
        assert_eq!(visible("c:\\x1b\u{7}"), "c:\\\\x1b\\x07");
        assert_eq!(visible_lines("one\ntwo\u{1b}"), "one\ntwo\\x1b");
        for c in (0u32..0x110000)
            .filter_map(char::from_u32)
            .filter(|&c| is_hidden(c))
        {
            assert!(!visible(&c.to_string()).chars().any(is_hidden), "{c:?}");
        }
    }

    #[test]
    fn markdown_shows_names_as_text() {
        assert_eq!(
            markdown("<img src=x onerror=alert(1)>"),
            "&lt;img src=x onerror=alert(1)&gt;"
        );
        assert_eq!(
            markdown("a|b *c* _d_ `e` [f](g) &amp;"),
            "a\\|b \\*c\\* \\_d\\_ \\`e\\` \\[f\\](g) &amp;amp;"
        );
        assert_eq!(markdown("x\ny"), "x\\\\ny");
    }
}
