//! Streaming reader of `INSERT … VALUES (…), (…);` rows in a byte range: PostgreSQL and MySQL
//! literal syntax (quoted strings with the dialect's escapes, `E'…'`, `X'…'`, `0x…`,
//! `_binary '…'`, `NULL`, numbers, casts). Values land in a reused arena, so a row costs no
//! allocation, and a single INSERT of any size streams through the window.
use std::io;
use std::ops::Range;

use super::Dialect;
use super::buf::Window;

/// One parsed value: a byte range of the arena, or NULL. `binary` marks hex/`_binary` literals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    /// Bytes in the arena; `None` is SQL NULL.
    pub bytes: Option<Range<usize>>,
    /// From a binary literal (the bytes may not be text).
    pub binary: bool,
}

/// Why a row could not be read.
#[derive(Debug)]
pub enum RowError {
    /// Reading failed.
    Io(io::Error),
    /// Syntax error at a line (message names what was expected, never a value).
    Syntax {
        /// 1-based line.
        line: u64,
        /// What went wrong.
        msg: String,
    },
}

impl From<io::Error> for RowError {
    fn from(e: io::Error) -> Self {
        RowError::Io(e)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    /// Before `INSERT …` (or at the end of the range).
    Statement,
    /// After `VALUES`: a `(` comes next.
    FirstTuple,
    /// After a `)`: `,` `;` or a trailing clause.
    AfterTuple,
}

/// Reads rows out of INSERT statements.
pub struct InsertReader {
    win: Window,
    /// Current 1-based line.
    pub line: u64,
    dialect: Dialect,
    standard_strings: bool,
    max_value: usize,
    at: At,
    /// Value bytes of the current row.
    pub arena: Vec<u8>,
    /// Values of the current row.
    pub row: Vec<Value>,
    /// Line the current row started on.
    pub row_line: u64,
    /// Statements starting at or after this absolute offset are not read (the next sampling
    /// window owns them).
    pub stop: u64,
}

impl InsertReader {
    /// A reader over `win`, which starts at an INSERT statement on `line`.
    pub fn new(
        win: Window,
        line: u64,
        dialect: Dialect,
        standard_strings: bool,
        max_value: usize,
    ) -> Self {
        InsertReader {
            win,
            line,
            dialect,
            standard_strings,
            max_value,
            at: At::Statement,
            arena: Vec::new(),
            row: Vec::new(),
            row_line: line,
            stop: u64::MAX,
        }
    }

    /// Absolute offset of the next unread byte.
    pub fn offset(&self) -> u64 {
        self.win.offset()
    }

    fn err<T>(&self, msg: impl Into<String>) -> Result<T, RowError> {
        Err(RowError::Syntax {
            line: self.line,
            msg: msg.into(),
        })
    }

    fn adv(&mut self, n: usize) {
        let b = &self.win.buf()[..n];
        self.line += memchr::memchr_iter(b'\n', b).count() as u64;
        self.win.consume(n);
    }

    fn peek(&mut self, k: usize) -> io::Result<Option<u8>> {
        if self.win.want(k + 1)? > k {
            Ok(Some(self.win.buf()[k]))
        } else {
            Ok(None)
        }
    }

    fn skip_ws(&mut self) -> Result<(), RowError> {
        loop {
            let Some(c) = self.peek(0)? else {
                return Ok(());
            };
            match c {
                b' ' | b'\t' | b'\r' | b'\n' | 0x0c => {
                    let b = self.win.buf();
                    let n = b
                        .iter()
                        .position(|c| !matches!(c, b' ' | b'\t' | b'\r' | b'\n' | 0x0c))
                        .unwrap_or(b.len());
                    self.adv(n);
                }
                b'-' if self.peek(1)? == Some(b'-') => self.skip_until(b"\n")?,
                b'/' if self.peek(1)? == Some(b'*') => {
                    self.adv(2);
                    self.skip_until(b"*/")?;
                }
                _ => return Ok(()),
            }
        }
    }

    /// Skip past the next occurrence of `pat` (or to the end).
    fn skip_until(&mut self, pat: &[u8]) -> Result<(), RowError> {
        loop {
            let b = self.win.buf();
            if let Some(p) = memchr::memmem::find(b, pat) {
                self.adv(p + pat.len());
                return Ok(());
            }
            let keep = (pat.len() - 1).min(b.len());
            let n = b.len() - keep;
            self.adv(n);
            if !self.win.fill()? {
                let n = self.win.buf().len();
                self.adv(n);
                return Ok(());
            }
        }
    }

    /// Read the next row into `arena`/`row`. Returns false at the end of the range.
    pub fn next_row(&mut self) -> Result<bool, RowError> {
        loop {
            match self.at {
                At::Statement => {
                    self.skip_ws()?;
                    // An INSERT inside a MySQL `DELIMITER ;;` region ends with `;;`: the
                    // extra `;` is an empty statement.
                    while self.peek(0)? == Some(b';') {
                        self.adv(1);
                        self.skip_ws()?;
                    }
                    if self.win.at_end()? || self.offset() >= self.stop {
                        return Ok(false);
                    }
                    self.skip_to_values()?;
                    self.at = At::FirstTuple;
                }
                At::FirstTuple => {
                    self.tuple()?;
                    self.at = At::AfterTuple;
                    return Ok(true);
                }
                At::AfterTuple => {
                    self.skip_ws()?;
                    match self.peek(0)? {
                        Some(b',') => {
                            self.adv(1);
                            self.tuple()?;
                            return Ok(true);
                        }
                        Some(b';') => {
                            self.adv(1);
                            self.at = At::Statement;
                        }
                        None => return self.err("the INSERT statement ends without ';'"),
                        Some(b'O' | b'o' | b'R' | b'r') => {
                            // ON DUPLICATE KEY UPDATE / ON CONFLICT … / RETURNING: no rows.
                            self.skip_clause()?;
                            self.at = At::Statement;
                        }
                        Some(_) => {
                            return self.err("expected ',' or ';' after a row of INSERT values");
                        }
                    }
                }
            }
        }
    }

    /// From the start of an INSERT statement to just after its `VALUES` keyword.
    fn skip_to_values(&mut self) -> Result<(), RowError> {
        let got = self.win.want(64 << 10)?;
        match values_end(&self.win.buf()[..got]) {
            Some(end) => {
                self.adv(end);
                Ok(())
            }
            None => self.err("expected an INSERT … VALUES statement (INSERT … SELECT and DEFAULT VALUES carry no rows to read)"),
        }
    }

    fn skip_clause(&mut self) -> Result<(), RowError> {
        loop {
            let Some(c) = self.peek(0)? else {
                return self.err("the INSERT statement ends without ';'");
            };
            match c {
                b';' => {
                    self.adv(1);
                    return Ok(());
                }
                b'\'' | b'"' | b'`' => {
                    let start = self.arena.len();
                    self.string(c, self.dialect == Dialect::MySql && c != b'`')?;
                    self.arena.truncate(start);
                }
                _ => self.adv(1),
            }
        }
    }

    fn tuple(&mut self) -> Result<(), RowError> {
        self.skip_ws()?;
        self.arena.clear();
        self.row.clear();
        self.row_line = self.line;
        if self.peek(0)? != Some(b'(') {
            return self.err("expected '(' starting a row of INSERT values");
        }
        self.adv(1);
        self.skip_ws()?;
        if self.peek(0)? == Some(b')') {
            self.adv(1);
            return Ok(());
        }
        loop {
            self.skip_ws()?;
            let v = self.value()?;
            self.row.push(v);
            self.skip_ws()?;
            match self.peek(0)? {
                Some(b',') => self.adv(1),
                Some(b')') => {
                    self.adv(1);
                    return Ok(());
                }
                None => return self.err("the dump ends inside a row of INSERT values"),
                Some(_) => return self.err("expected ',' or ')' after a value in an INSERT row"),
            }
        }
    }

    fn value(&mut self) -> Result<Value, RowError> {
        let start = self.arena.len();
        let Some(c) = self.peek(0)? else {
            return self.err("the dump ends inside a row of INSERT values");
        };
        let c1 = self.peek(1)?;
        let mysql = self.dialect == Dialect::MySql;
        let mut binary = false;
        match (c, c1) {
            (b'\'', _) => self.string(b'\'', mysql || !self.standard_strings)?,
            (b'"', _) if mysql => self.string(b'"', true)?,
            (b'E' | b'e', Some(b'\'')) if !mysql => {
                self.adv(1);
                self.string(b'\'', true)?;
            }
            (b'X' | b'x', Some(b'\'')) => {
                self.adv(1);
                self.string(b'\'', false)?;
                self.unhex(start)?;
                binary = true;
            }
            (b'0', Some(b'x' | b'X')) => {
                self.bare()?;
                self.arena.drain(start..start + 2);
                self.unhex(start)?;
                binary = true;
            }
            (b'_', _) if mysql => {
                // Character-set introducer: `_binary '…'`, `_utf8mb4'…'`.
                self.bare_word()?;
                let intro = self.arena[start..].to_ascii_lowercase();
                self.arena.truncate(start);
                self.skip_ws()?;
                let v = self.value()?;
                return Ok(Value {
                    bytes: v.bytes,
                    binary: v.binary || intro == b"_binary",
                });
            }
            _ => {
                self.bare()?;
                let word = &self.arena[start..];
                if word.eq_ignore_ascii_case(b"NULL") || word.eq_ignore_ascii_case(b"DEFAULT") {
                    self.arena.truncate(start);
                    return Ok(Value {
                        bytes: None,
                        binary: false,
                    });
                }
                return Ok(Value {
                    bytes: Some(start..self.arena.len()),
                    binary: false,
                });
            }
        }
        // `'…'::type` casts (PostgreSQL) and similar suffixes: skip to the value's end.
        self.skip_ws()?;
        if self.peek(0)? == Some(b':') {
            let keep = self.arena.len();
            self.bare()?;
            self.arena.truncate(keep);
        }
        Ok(Value {
            bytes: Some(start..self.arena.len()),
            binary,
        })
    }

    /// A word of letters, digits and `_` into the arena.
    fn bare_word(&mut self) -> Result<(), RowError> {
        loop {
            let b = self.win.buf();
            let n = b.iter().position(|c| !is_word(*c)).unwrap_or(b.len());
            self.arena.extend_from_slice(&b[..n]);
            let all = n == b.len();
            self.adv(n);
            if !all || !self.win.fill()? {
                return Ok(());
            }
        }
    }

    /// An unquoted value (number, keyword, function call, array): everything up to a `,` or
    /// `)` at nesting depth 0, with quoted parts kept as written.
    fn bare(&mut self) -> Result<(), RowError> {
        let start = self.arena.len();
        let mut depth = 0usize;
        loop {
            let Some(c) = self.peek(0)? else {
                return Ok(());
            };
            match c {
                b',' | b')' if depth == 0 => return Ok(()),
                b'(' | b'[' => depth += 1,
                b')' | b']' => depth = depth.saturating_sub(1),
                b'\'' | b'"' => {
                    self.arena.push(c);
                    self.string(c, self.dialect == Dialect::MySql)?;
                    self.arena.push(c);
                    continue;
                }
                _ if c.is_ascii_whitespace() && depth == 0 => {
                    // `'x'::character varying` has spaces; stop only before , or ).
                    self.skip_ws()?;
                    let next = self.peek(0)?;
                    let in_cast = memchr::memmem::find(&self.arena[start..], b"::").is_some();
                    match next {
                        Some(b':') => continue,
                        Some(b',' | b')') | None => return Ok(()),
                        Some(_) if in_cast => {
                            self.arena.push(b' ');
                            continue;
                        }
                        Some(_) => return Ok(()),
                    }
                }
                _ => {}
            }
            self.arena.push(c);
            self.adv(1);
            if self.arena.len() > self.max_value {
                return self.err(format!(
                    "a value is larger than the {} byte limit",
                    self.max_value
                ));
            }
        }
    }

    /// A quoted string whose opening `q` is next; its decoded bytes go to the arena.
    fn string(&mut self, q: u8, esc: bool) -> Result<(), RowError> {
        let open_line = self.line;
        let start = self.arena.len();
        self.adv(1);
        loop {
            if self.win.want(2)? == 0 {
                return Err(RowError::Syntax {
                    line: open_line,
                    msg: "unterminated string (the dump ends inside it)".into(),
                });
            }
            let b = self.win.buf();
            let hit = if esc {
                memchr::memchr2(q, b'\\', b)
            } else {
                memchr::memchr(q, b)
            };
            let Some(p) = hit else {
                let n = b.len();
                self.arena.extend_from_slice(b);
                self.adv(n);
                self.check_size(start, open_line)?;
                if !self.win.fill()? {
                    return Err(RowError::Syntax {
                        line: open_line,
                        msg: "unterminated string (the dump ends inside it)".into(),
                    });
                }
                continue;
            };
            self.arena.extend_from_slice(&b[..p]);
            self.adv(p);
            self.check_size(start, open_line)?;
            if self.win.want(2)? < 2 {
                if self.win.buf().first() == Some(&q) {
                    self.adv(1);
                    return Ok(());
                }
                return Err(RowError::Syntax {
                    line: open_line,
                    msg: "unterminated string (the dump ends inside it)".into(),
                });
            }
            let (c, n) = (self.win.buf()[0], self.win.buf()[1]);
            if c == q {
                if n == q {
                    self.arena.push(q);
                    self.adv(2);
                    continue;
                }
                self.adv(1);
                return Ok(());
            }
            // Backslash escape.
            self.adv(2);
            match self.dialect {
                Dialect::MySql => match n {
                    b'0' => self.arena.push(0),
                    b'b' => self.arena.push(8),
                    b'n' => self.arena.push(b'\n'),
                    b'r' => self.arena.push(b'\r'),
                    b't' => self.arena.push(b'\t'),
                    b'Z' => self.arena.push(0x1a),
                    b'%' | b'_' => self.arena.extend_from_slice(&[b'\\', n]),
                    other => self.arena.push(other),
                },
                Dialect::Pg => self.pg_escape(n)?,
            }
        }
    }

    /// PostgreSQL `E'…'` escapes after the backslash and `n` were consumed.
    fn pg_escape(&mut self, n: u8) -> Result<(), RowError> {
        match n {
            b'b' => self.arena.push(8),
            b'f' => self.arena.push(12),
            b'n' => self.arena.push(b'\n'),
            b'r' => self.arena.push(b'\r'),
            b't' => self.arena.push(b'\t'),
            b'0'..=b'7' => {
                let mut v = u32::from(n - b'0');
                for _ in 0..2 {
                    match self.peek(0)? {
                        Some(d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            self.adv(1);
                        }
                        _ => break,
                    }
                }
                self.arena.push((v & 0xff) as u8);
            }
            b'x' => {
                let mut v = 0u32;
                for _ in 0..2 {
                    match self.peek(0)? {
                        Some(d) if d.is_ascii_hexdigit() => {
                            v = v * 16 + hex_val(d);
                            self.adv(1);
                        }
                        _ => break,
                    }
                }
                self.arena.push(v as u8);
            }
            b'u' | b'U' => {
                let digits = if n == b'u' { 4 } else { 8 };
                let mut v = 0u32;
                for _ in 0..digits {
                    match self.peek(0)? {
                        Some(d) if d.is_ascii_hexdigit() => {
                            v = v * 16 + hex_val(d);
                            self.adv(1);
                        }
                        _ => return self.err("a \\u escape needs hexadecimal digits"),
                    }
                }
                let ch = char::from_u32(v).unwrap_or(char::REPLACEMENT_CHARACTER);
                let mut tmp = [0u8; 4];
                self.arena
                    .extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
            }
            other => self.arena.push(other),
        }
        Ok(())
    }

    fn check_size(&self, start: usize, line: u64) -> Result<(), RowError> {
        if self.arena.len() - start > self.max_value {
            return Err(RowError::Syntax {
                line,
                msg: format!("a value is larger than the {} byte limit", self.max_value),
            });
        }
        Ok(())
    }

    /// Replace the hex digits at `arena[start..]` by the bytes they spell.
    fn unhex(&mut self, start: usize) -> Result<(), RowError> {
        let digits = &self.arena[start..];
        if !digits.len().is_multiple_of(2) || !digits.iter().all(u8::is_ascii_hexdigit) {
            return self.err("a hexadecimal literal has an odd length or a non-hex digit");
        }
        let bytes: Vec<u8> = digits
            .chunks(2)
            .map(|p| (hex_val(p[0]) * 16 + hex_val(p[1])) as u8)
            .collect();
        self.arena.truncate(start);
        self.arena.extend_from_slice(&bytes);
        Ok(())
    }

    /// The reader starts just after a row's `)` inside a statement (a paused sampling window
    /// continues where it stopped).
    pub fn resume_after_row(&mut self) {
        self.at = At::AfterTuple;
    }

    /// Move to the first INSERT statement at or after absolute offset `pos` that starts a
    /// line (sampling). Returns false if there is none in the range.
    pub fn resync_to_statement(&mut self, upper_keyword: &[u8]) -> Result<bool, RowError> {
        loop {
            let b = self.win.buf();
            let mut from = 0;
            while let Some(p) = memchr::memmem::find(&b[from..], upper_keyword) {
                let at = from + p;
                if at > 0 && b[at - 1] == b'\n' {
                    self.adv(at);
                    self.at = At::Statement;
                    return Ok(true);
                }
                from = at + 1;
            }
            let keep = upper_keyword.len().min(b.len());
            let n = b.len() - keep;
            self.adv(n);
            if !self.win.fill()? {
                return Ok(false);
            }
        }
    }
}

/// In the head of an `INSERT` statement, the offset just after its `VALUES` (or `VALUE`)
/// keyword, skipping quoted names; `None` for `INSERT … SELECT` / `DEFAULT VALUES` or when
/// the keyword is not in `b`. The dump writer copies the statement up to here verbatim.
pub fn values_end(b: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'\'' || c == b'"' || c == b'`' {
            i = memchr::memchr(c, &b[i + 1..]).map_or(b.len(), |p| i + p + 2);
            continue;
        }
        if c.is_ascii_alphabetic() && (i == 0 || !is_word(b[i - 1])) {
            let end = b[i..]
                .iter()
                .position(|c| !is_word(*c))
                .map_or(b.len(), |p| i + p);
            let w = &b[i..end];
            if w.eq_ignore_ascii_case(b"VALUES") || w.eq_ignore_ascii_case(b"VALUE") {
                return Some(end);
            }
            if w.eq_ignore_ascii_case(b"SELECT") || w.eq_ignore_ascii_case(b"DEFAULT") {
                return None;
            }
            i = end;
            continue;
        }
        i += 1;
    }
    None
}

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn hex_val(d: u8) -> u32 {
    u32::from(match d {
        b'0'..=b'9' => d - b'0',
        b'a'..=b'f' => d - b'a' + 10,
        _ => d - b'A' + 10,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn rows(sql: &str, dialect: Dialect) -> Result<Vec<Vec<Option<String>>>, String> {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(sql.as_bytes()).unwrap();
        let win = Window::new(f, 0, sql.len() as u64).unwrap();
        let mut r = InsertReader::new(win, 1, dialect, true, 1 << 20);
        let mut out = Vec::new();
        loop {
            match r.next_row() {
                Ok(true) => out.push(
                    r.row
                        .iter()
                        .map(|v| {
                            v.bytes.clone().map(|b| {
                                let bytes = &r.arena[b];
                                if v.binary {
                                    format!("bin:{}", String::from_utf8_lossy(bytes))
                                } else {
                                    String::from_utf8_lossy(bytes).into_owned()
                                }
                            })
                        })
                        .collect(),
                ),
                Ok(false) => return Ok(out),
                Err(RowError::Syntax { line, msg }) => return Err(format!("line {line}: {msg}")),
                Err(RowError::Io(e)) => return Err(e.to_string()),
            }
        }
    }

    fn s(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    #[test]
    fn mysql_extended_insert_with_escapes() {
        let sql = "INSERT INTO `t` VALUES (1,'O\\'Brien','a\\nb',NULL,_binary 'xy',0x4142,X'4344'),(2,'it''s','\\\\',-3.5e2,'\\0','\\Z','\\%');\n";
        let r = rows(sql, Dialect::MySql).unwrap();
        assert_eq!(
            r[0],
            vec![
                s("1"),
                s("O'Brien"),
                s("a\nb"),
                None,
                s("bin:xy"),
                s("bin:AB"),
                s("bin:CD")
            ]
        );
        assert_eq!(
            r[1],
            vec![
                s("2"),
                s("it's"),
                s("\\"),
                s("-3.5e2"),
                s("\0"),
                s("\u{1a}"),
                s("\\%")
            ]
        );
    }

    #[test]
    fn postgres_inserts_with_column_lists_casts_and_e_strings() {
        let sql = "INSERT INTO public.t (id, name) VALUES (1, 'Qendër\\n');\nINSERT INTO public.t (id, name) VALUES (2, E'a\\tb\\u00EB');\n-- c\nINSERT INTO public.t (id, name) VALUES (3, '2020-01-01'::date), (4, 'x;y'), (5, NULL);\n";
        let r = rows(sql, Dialect::Pg).unwrap();
        assert_eq!(r.len(), 5);
        assert_eq!(r[0], vec![s("1"), s("Qendër\\n")]);
        assert_eq!(r[1], vec![s("2"), s("a\tbë")]);
        assert_eq!(r[2], vec![s("3"), s("2020-01-01")]);
        assert_eq!(r[3], vec![s("4"), s("x;y")]);
        assert_eq!(r[4], vec![s("5"), None]);
    }

    #[test]
    fn multi_line_strings_and_trailing_clauses() {
        let sql = "INSERT INTO t VALUES (1,'line1\nline2') ON DUPLICATE KEY UPDATE a='x;';\nINSERT INTO t VALUES (2,'z');";
        let r = rows(sql, Dialect::MySql).unwrap();
        assert_eq!(
            r,
            vec![vec![s("1"), s("line1\nline2")], vec![s("2"), s("z")]]
        );
    }

    #[test]
    fn errors_name_the_line() {
        let e = rows("INSERT INTO t VALUES (1,'abc", Dialect::MySql).unwrap_err();
        assert!(
            e.contains("line 1") && e.contains("unterminated string"),
            "{e}"
        );
        let e = rows("INSERT INTO t VALUES\n(1,2)\n(3,4);", Dialect::MySql).unwrap_err();
        assert!(e.contains("line 3"), "{e}");
        let e = rows("INSERT INTO t VALUES (1 2);", Dialect::MySql).unwrap_err();
        assert!(e.contains("expected ','"), "{e}");
        let e = rows("INSERT INTO t VALUES (1,2)", Dialect::MySql).unwrap_err();
        assert!(e.contains("without ';'"), "{e}");
    }
}
