//! A small tokenizer for statement heads (`CREATE TABLE …`, `COPY … FROM stdin`,
//! `INSERT INTO … VALUES`): enough SQL to read names, column lists and types. Row data never
//! goes through it.
use super::Dialect;

/// One token of a statement head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    /// A bare word (keyword or unquoted identifier), as written.
    Word(String),
    /// A quoted identifier (`"x"` in PostgreSQL, `` `x` `` in MySQL), unquoted.
    Quoted(String),
    /// A string literal, unquoted (escapes not decoded: heads only need it to be skipped).
    Str(String),
    /// A number.
    Number(String),
    /// Any other single character (`( ) , . ; =` ...).
    Punct(char),
}

impl Tok {
    /// Whether this is the bare word `kw` (case-insensitive).
    pub fn is(&self, kw: &str) -> bool {
        matches!(self, Tok::Word(w) if w.eq_ignore_ascii_case(kw))
    }

    /// An identifier's name: bare words as written (PostgreSQL folds unquoted names to lower
    /// case, MySQL keeps them; callers decide), quoted ones unquoted.
    pub fn ident(&self, dialect: Dialect) -> Option<String> {
        match self {
            Tok::Word(w) if dialect == Dialect::Pg => Some(w.to_lowercase()),
            Tok::Word(w) => Some(w.clone()),
            Tok::Quoted(q) => Some(q.clone()),
            // MySQL in ANSI_QUOTES-free mode still accepts "x" as a string; dumps never do that
            // for names, but hand-written files might.
            Tok::Str(s) if dialect == Dialect::MySql => Some(s.clone()),
            _ => None,
        }
    }
}

/// Tokenize a statement head. MySQL conditional-comment markers (`/*!40101 … */`) are dropped
/// so their content reads as plain SQL; other comments are skipped.
pub fn tokenize(head: &[u8], dialect: Dialect) -> Vec<Tok> {
    let s = String::from_utf8_lossy(head);
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'-' && b.get(i + 1) == Some(&b'-') {
            i = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |p| i + p + 1);
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            if b.get(i + 2) == Some(&b'!') {
                i += 3;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
            } else {
                i = memchr::memmem::find(&b[i + 2..], b"*/").map_or(b.len(), |p| i + 2 + p + 2);
            }
        } else if c == b'*' && b.get(i + 1) == Some(&b'/') {
            i += 2;
        } else if c == b'"' || c == b'`' || c == b'\'' {
            let (text, next) = quoted(b, i, c, c == b'\'' && dialect == Dialect::MySql);
            out.push(match c {
                b'\'' => Tok::Str(text),
                b'"' if dialect == Dialect::MySql => Tok::Str(text),
                _ => Tok::Quoted(text),
            });
            i = next;
        } else if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            let start = i;
            while i < b.len()
                && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$' || b[i] >= 0x80)
            {
                i += 1;
            }
            out.push(Tok::Word(s[start..i].to_string()));
        } else if c.is_ascii_digit() {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                i += 1;
            }
            out.push(Tok::Number(s[start..i].to_string()));
        } else {
            // Multi-byte UTF-8 starts are handled above (>= 0x80), so this is ASCII.
            out.push(Tok::Punct(c as char));
            i += 1;
        }
    }
    out
}

/// Read a quoted run starting at `b[i] == q`; doubled quotes (and backslash escapes when
/// `backslash`) are kept as the character they stand for. Returns the text and the index after.
fn quoted(b: &[u8], i: usize, q: u8, backslash: bool) -> (String, usize) {
    let mut out = Vec::new();
    let mut j = i + 1;
    while j < b.len() {
        let c = b[j];
        if backslash && c == b'\\' && j + 1 < b.len() {
            out.push(b[j + 1]);
            j += 2;
        } else if c == q {
            if b.get(j + 1) == Some(&q) {
                out.push(q);
                j += 2;
            } else {
                return (String::from_utf8_lossy(&out).into_owned(), j + 1);
            }
        } else {
            out.push(c);
            j += 1;
        }
    }
    (String::from_utf8_lossy(&out).into_owned(), j)
}

/// A qualified name (`a.b.c` with any quoting) starting at `toks[i]`: its parts and the index
/// after it.
pub fn qualified_name(
    toks: &[Tok],
    mut i: usize,
    dialect: Dialect,
) -> Option<(Vec<String>, usize)> {
    let mut parts = vec![toks.get(i)?.ident(dialect)?];
    i += 1;
    while toks.get(i) == Some(&Tok::Punct('.')) {
        parts.push(toks.get(i + 1)?.ident(dialect)?);
        i += 2;
    }
    Some((parts, i))
}

/// A parenthesised, comma-separated list of identifiers starting at `toks[i] == '('`.
pub fn ident_list(toks: &[Tok], mut i: usize, dialect: Dialect) -> Option<(Vec<String>, usize)> {
    if toks.get(i) != Some(&Tok::Punct('(')) {
        return None;
    }
    i += 1;
    let mut names = Vec::new();
    loop {
        names.push(toks.get(i)?.ident(dialect)?);
        i += 1;
        match toks.get(i)? {
            Tok::Punct(',') => i += 1,
            Tok::Punct(')') => return Some((names, i + 1)),
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_quotes_and_comments() {
        let t = tokenize(
            b"/*!40101 SET NAMES latin2 */ -- c\nCOPY \"Public\".\"My Table\" (id, \"Emri\") FROM stdin",
            Dialect::Pg,
        );
        assert!(t[0].is("set"));
        assert!(t[2].is("latin2"));
        let (name, next) = qualified_name(&t, 4, Dialect::Pg).unwrap();
        assert_eq!(name, vec!["Public", "My Table"]);
        let (cols, _) = ident_list(&t, next, Dialect::Pg).unwrap();
        assert_eq!(cols, vec!["id", "Emri"]);
    }

    #[test]
    fn mysql_backquotes_and_strings() {
        let t = tokenize(
            b"INSERT INTO `db`.`pac``ientet` VALUES ('a\\'b')",
            Dialect::MySql,
        );
        let (name, _) = qualified_name(&t, 2, Dialect::MySql).unwrap();
        assert_eq!(name, vec!["db", "pac`ientet"]);
        assert_eq!(t.last(), Some(&Tok::Punct(')')));
        assert!(t.contains(&Tok::Str("a'b".into())));
    }

    #[test]
    fn unquoted_pg_names_fold_to_lower_case() {
        let t = tokenize(b"CREATE TABLE Patients (Id int)", Dialect::Pg);
        assert_eq!(
            qualified_name(&t, 2, Dialect::Pg).unwrap().0,
            vec!["patients"]
        );
    }
}
