//! The statement scanner of the index pass: walks a whole dump once, quote- and comment-aware,
//! and yields each statement's byte range with a bounded copy of its head. It never keeps row
//! data, so a dump larger than memory is indexed in a 1 MiB window.
use std::io;

use super::Dialect;
use super::buf::Window;

/// Heads longer than this are cut (and `truncated` set); CREATE TABLE needs all of its text.
const HEAD_CAP: usize = 16 << 20;
/// INSERT heads need only the part before the rows.
const INSERT_HEAD_CAP: usize = 64 << 10;

/// One statement.
#[derive(Debug, Default)]
pub struct Stmt {
    /// Absolute offset of its first byte.
    pub start: u64,
    /// Absolute offset just after its terminating `;`.
    pub end: u64,
    /// 1-based line it starts on.
    pub line: u64,
    /// Its first bytes (up to a cap).
    pub head: Vec<u8>,
    /// Whether `head` was cut.
    pub truncated: bool,
}

/// Why the scan stopped early.
#[derive(Debug)]
pub enum LexError {
    /// Reading failed.
    Io(io::Error),
    /// The dump ends inside a statement, string or COPY block (1-based line where it began).
    Unterminated {
        /// Where the unterminated construct began.
        line: u64,
        /// What was open.
        what: &'static str,
        /// The head of the statement that was cut (empty inside COPY data).
        head: Vec<u8>,
    },
}

impl From<io::Error> for LexError {
    fn from(e: io::Error) -> Self {
        LexError::Io(e)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Normal,
    /// Inside a quoted run closed by `q`; `esc`: backslash escapes apply.
    Quote {
        q: u8,
        esc: bool,
        line: u64,
    },
    LineComment,
    Block {
        depth: u32,
        line: u64,
    },
    Dollar {
        line: u64,
    },
}

/// Scans statements one after another.
pub struct Lexer {
    /// The window over the dump.
    pub win: Window,
    /// Current 1-based line.
    pub line: u64,
    dialect: Dialect,
    /// PostgreSQL `standard_conforming_strings`: when off, backslashes escape in every string.
    pub standard_strings: bool,
    dollar_tag: Vec<u8>,
    /// Progress of the last COPY block: data start, end of its last complete row, rows. Kept so
    /// a truncated block's complete rows can still be read.
    pub copy_progress: (u64, u64, u64),
}

impl Lexer {
    /// A lexer at the start of the window.
    pub fn new(win: Window, dialect: Dialect) -> Self {
        Lexer {
            win,
            line: 1,
            dialect,
            standard_strings: true,
            dollar_tag: Vec::new(),
            copy_progress: (0, 0, 0),
        }
    }

    fn consume(&mut self, n: usize) {
        let b = &self.win.buf()[..n];
        self.line += memchr::memchr_iter(b'\n', b).count() as u64;
        self.win.consume(n);
    }

    /// Skip whitespace and comments between statements. Returns false at the end of input.
    fn skip_gap(&mut self) -> Result<bool, LexError> {
        loop {
            if self.win.want(3)? == 0 {
                return Ok(false);
            }
            let b = self.win.buf();
            match b[0] {
                b'\n' | b' ' | b'\t' | b'\r' | 0x0c => {
                    let n = b
                        .iter()
                        .position(|c| !matches!(c, b'\n' | b' ' | b'\t' | b'\r' | 0x0c))
                        .unwrap_or(b.len());
                    self.consume(n);
                }
                b'-' if b.get(1) == Some(&b'-') => self.skip_line()?,
                b'#' if self.dialect == Dialect::MySql => self.skip_line()?,
                // psql meta-commands (`\restrict`, `\connect`, ...) fill a line, no `;`.
                b'\\' if self.dialect == Dialect::Pg => self.skip_line()?,
                b'/' if b.get(1) == Some(&b'*') && b.get(2) != Some(&b'!') => {
                    let line = self.line;
                    self.consume(2);
                    self.skip_block(line)?;
                }
                _ => return Ok(true),
            }
        }
    }

    fn skip_line(&mut self) -> Result<(), LexError> {
        loop {
            let b = self.win.buf();
            if let Some(p) = memchr::memchr(b'\n', b) {
                self.consume(p + 1);
                return Ok(());
            }
            let n = b.len();
            self.consume(n);
            if !self.win.fill()? {
                return Ok(());
            }
        }
    }

    /// Skip a block comment whose `/*` was consumed (PostgreSQL nests them, MySQL does not).
    fn skip_block(&mut self, line: u64) -> Result<(), LexError> {
        let mut depth = 1u32;
        loop {
            if self.win.want(2)? < 2 {
                return Err(LexError::Unterminated {
                    line,
                    what: "comment",
                    head: Vec::new(),
                });
            }
            let b = self.win.buf();
            match memchr::memchr2(b'*', b'/', &b[..b.len() - 1]) {
                None => {
                    let n = b.len() - 1;
                    self.consume(n);
                }
                Some(p) => {
                    let pair = (b[p], b[p + 1]);
                    if pair == (b'*', b'/') {
                        self.consume(p + 2);
                        depth -= 1;
                        if depth == 0 {
                            return Ok(());
                        }
                    } else if pair == (b'/', b'*') && self.dialect == Dialect::Pg {
                        self.consume(p + 2);
                        depth += 1;
                    } else {
                        self.consume(p + 1);
                    }
                }
            }
        }
    }

    /// The next statement, or `None` at the end of the dump.
    pub fn next_statement(&mut self) -> Result<Option<Stmt>, LexError> {
        if !self.skip_gap()? {
            return Ok(None);
        }
        let mut st = Stmt {
            start: self.win.offset(),
            line: self.line,
            ..Stmt::default()
        };
        let mut cap = HEAD_CAP;
        let mut state = State::Normal;
        // The last two bytes seen, for `E'…'` strings and `$tag$` starts.
        let mut prev = [b' ', b' '];
        let mut need = 2;
        loop {
            let got = self.win.want(need)?;
            if got == 0 {
                let (line, what) = match state {
                    State::Quote { q: b'\'', line, .. } => (line, "string"),
                    State::Quote { line, .. } => (line, "quoted identifier"),
                    State::Block { line, .. } => (line, "comment"),
                    State::Dollar { line } => (line, "dollar-quoted string"),
                    State::Normal | State::LineComment => (st.line, "statement (no closing ';')"),
                };
                return Err(LexError::Unterminated {
                    line,
                    what,
                    head: std::mem::take(&mut st.head),
                });
            }
            let b = self.win.buf();
            let at_end = got < need;
            let (n, next, done) = step(
                b,
                state,
                at_end,
                self.dialect,
                self.standard_strings,
                &mut prev,
                &mut self.dollar_tag,
                self.line,
            );
            if st.head.len() < cap {
                let take = n.min(cap - st.head.len());
                st.head.extend_from_slice(&b[..take]);
                if take < n {
                    st.truncated = true;
                }
                if cap == HEAD_CAP && st.head.len() >= 16 && is_insert(&st.head) {
                    cap = INSERT_HEAD_CAP;
                    if st.head.len() > cap {
                        st.head.truncate(cap);
                        st.truncated = true;
                    }
                }
            } else {
                st.truncated = true;
            }
            // No progress means the lookahead was too short: ask for more next time.
            need = if n == 0 && !done { got + 1 } else { 2 };
            self.consume(n);
            state = next;
            if done {
                st.end = self.win.offset();
                self.win.shrink();
                return Ok(Some(st));
            }
        }
    }

    /// After a `COPY … FROM stdin;` statement: skip its data block. Returns the byte range of
    /// the rows (terminator excluded), the line of the first row and the row count.
    pub fn copy_block(&mut self) -> Result<(u64, u64, u64, u64), LexError> {
        // The rest of the statement's line.
        self.skip_line()?;
        let start = self.win.offset();
        let first_line = self.line;
        let mut rows = 0u64;
        let mut at_line_start = true;
        self.copy_progress = (start, start, 0);
        loop {
            let got = self.win.want(4)?;
            if got == 0 {
                return Err(LexError::Unterminated {
                    line: first_line.saturating_sub(1),
                    what: "COPY data (no '\\.' terminator: truncated dump?)",
                    head: Vec::new(),
                });
            }
            let b = self.win.buf();
            if at_line_start && b.starts_with(b"\\.") && is_line_end(&b[2..], got < 4) {
                let end = self.win.offset();
                self.skip_line()?;
                return Ok((start, end, first_line, rows));
            }
            // Rows are whole lines: find the next newline and check what follows it.
            match memchr::memchr(b'\n', b) {
                Some(p) => {
                    rows += 1;
                    self.win.consume(p + 1);
                    self.line += 1;
                    self.copy_progress = (start, self.win.offset(), rows);
                    at_line_start = true;
                }
                None => {
                    let n = b.len();
                    self.win.consume(n);
                    at_line_start = false;
                    if !self.win.fill()? {
                        return Err(LexError::Unterminated {
                            line: first_line.saturating_sub(1),
                            what: "COPY data (no '\\.' terminator: truncated dump?)",
                            head: Vec::new(),
                        });
                    }
                }
            }
        }
    }
}

fn is_line_end(rest: &[u8], at_eof: bool) -> bool {
    match rest.first() {
        None => at_eof,
        Some(b'\n') => true,
        Some(b'\r') => rest.get(1).is_none_or(|c| *c == b'\n'),
        _ => false,
    }
}

fn is_insert(head: &[u8]) -> bool {
    let h = head.trim_ascii_start();
    [&b"INSERT"[..], b"REPLACE", b"insert", b"replace"]
        .iter()
        .any(|k| h.starts_with(k))
}

fn is_ident_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

/// Advance through `b` in `state`: returns bytes consumed, the new state and whether the
/// statement ended (its `;` consumed). Needs one byte of lookahead, so it stops before the last
/// byte unless `at_end`.
#[allow(clippy::too_many_arguments)]
fn step(
    b: &[u8],
    state: State,
    at_end: bool,
    dialect: Dialect,
    standard_strings: bool,
    prev: &mut [u8; 2],
    tag: &mut Vec<u8>,
    line: u64,
) -> (usize, State, bool) {
    let limit = if at_end { b.len() } else { b.len() - 1 };
    let mut i = 0;
    let mut state = state;
    while i < limit {
        match state {
            State::Normal => {
                let c = b[i];
                match c {
                    b';' => {
                        return (i + 1, State::Normal, true);
                    }
                    b'\'' => {
                        let e_string = dialect == Dialect::Pg
                            && matches!(prev[1], b'E' | b'e')
                            && !is_ident_byte(prev[0]);
                        let esc = dialect == Dialect::MySql || !standard_strings || e_string;
                        state = State::Quote { q: c, esc, line };
                    }
                    b'"' => {
                        state = State::Quote {
                            q: c,
                            esc: dialect == Dialect::MySql,
                            line,
                        }
                    }
                    b'`' if dialect == Dialect::MySql => {
                        state = State::Quote {
                            q: c,
                            esc: false,
                            line,
                        }
                    }
                    b'-' if b[i + 1..].first() == Some(&b'-') => state = State::LineComment,
                    b'#' if dialect == Dialect::MySql => state = State::LineComment,
                    b'/' if b[i + 1..].first() == Some(&b'*') => {
                        if dialect == Dialect::MySql && b.get(i + 2) == Some(&b'!') {
                            // Conditional comment: its content is SQL.
                        } else if i + 2 > limit && !at_end {
                            return (i, state, false);
                        } else {
                            state = State::Block { depth: 1, line };
                            i += 2;
                            *prev = [b' ', b' '];
                            continue;
                        }
                    }
                    b'$' if dialect == Dialect::Pg && !is_ident_byte(prev[1]) => {
                        // `$tag$` opens a dollar-quoted string; needs the whole tag in view.
                        let rest = &b[i + 1..];
                        match rest.iter().position(|c| !is_ident_byte(*c)) {
                            Some(p)
                                if rest[p] == b'$'
                                    && !rest[..p].first().is_some_and(u8::is_ascii_digit) =>
                            {
                                tag.clear();
                                tag.extend_from_slice(&b[i..i + p + 2]);
                                i += p + 2;
                                state = State::Dollar { line };
                                continue;
                            }
                            None if !at_end => return (i, state, false),
                            _ => {}
                        }
                    }
                    _ => {}
                }
                *prev = [prev[1], c];
                i += 1;
            }
            State::Quote { q, esc, .. } => {
                let hit = if esc {
                    memchr::memchr2(q, b'\\', &b[i..limit])
                } else {
                    memchr::memchr(q, &b[i..limit])
                };
                match hit {
                    None => i = limit,
                    Some(p) => {
                        i += p;
                        if b[i] == b'\\' || b.get(i + 1) == Some(&q) {
                            // An escape or a doubled quote: skip both bytes.
                            i += 2;
                        } else {
                            i += 1;
                            state = State::Normal;
                            *prev = [b' ', q];
                        }
                    }
                }
            }
            State::LineComment => match memchr::memchr(b'\n', &b[i..limit]) {
                None => i = limit,
                Some(p) => {
                    i += p;
                    state = State::Normal;
                }
            },
            State::Block { depth, line } => match memchr::memchr2(b'*', b'/', &b[i..limit]) {
                None => i = limit,
                Some(p) => {
                    i += p;
                    let pair = (b[i], b.get(i + 1).copied());
                    if pair == (b'*', Some(b'/')) {
                        i += 2;
                        state = if depth == 1 {
                            State::Normal
                        } else {
                            State::Block {
                                depth: depth - 1,
                                line,
                            }
                        };
                    } else if pair == (b'/', Some(b'*')) && dialect == Dialect::Pg {
                        i += 2;
                        state = State::Block {
                            depth: depth + 1,
                            line,
                        };
                    } else {
                        i += 1;
                    }
                }
            },
            State::Dollar { .. } => {
                match memchr::memmem::find(&b[i..], tag) {
                    Some(p) => {
                        i += p + tag.len();
                        state = State::Normal;
                        *prev = [b' ', b'$'];
                    }
                    None => {
                        // Keep the last tag.len() bytes: the closing tag may straddle refills.
                        let keep = tag.len().min(b.len() - i);
                        let stop = b.len() - keep;
                        if stop > i {
                            i = stop;
                        } else if at_end {
                            i = b.len();
                        }
                        return (i, state, false);
                    }
                }
            }
        }
    }
    (i.min(b.len()), state, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn lexer(sql: &[u8], dialect: Dialect) -> Lexer {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(sql).unwrap();
        Lexer::new(Window::new(f, 0, sql.len() as u64).unwrap(), dialect)
    }

    fn heads(sql: &str, dialect: Dialect) -> Vec<(u64, String)> {
        let mut lx = lexer(sql.as_bytes(), dialect);
        let mut out = Vec::new();
        while let Some(s) = lx.next_statement().unwrap() {
            out.push((s.line, String::from_utf8(s.head).unwrap()));
        }
        out
    }

    #[test]
    fn splits_on_semicolons_outside_quotes_comments_and_dollar_bodies() {
        let sql = "SET a = 'x;y';\n-- c; c\nCREATE FUNCTION f() AS $body$ a; 'b $$ c; $body$;\n/* x; /* y; */ z; */ SELECT \"a;b\" FROM t;\nSELECT E'it\\'s;';";
        let h = heads(sql, Dialect::Pg);
        assert_eq!(h.len(), 4, "{h:?}");
        assert_eq!(h[0], (1, "SET a = 'x;y';".to_string()));
        assert!(h[1].1.ends_with("$body$;"));
        assert_eq!(h[1].0, 3);
        assert_eq!(h[2].1, "SELECT \"a;b\" FROM t;");
        assert_eq!(h[3].1, "SELECT E'it\\'s;';");
    }

    #[test]
    fn mysql_escapes_backquotes_and_conditional_comments() {
        let sql = "/*!40101 SET NAMES latin2 */;\nINSERT INTO `a;b` VALUES ('x\\';y',\"q;\");\n# hash comment;\nLOCK TABLES `t` WRITE;";
        let h = heads(sql, Dialect::MySql);
        assert_eq!(h.len(), 3, "{h:?}");
        assert!(h[0].1.starts_with("/*!40101 SET NAMES"));
        assert_eq!(h[1].0, 2);
        assert_eq!(h[2], (4, "LOCK TABLES `t` WRITE;".to_string()));
    }

    #[test]
    fn copy_blocks_are_skipped_with_their_rows_counted() {
        let sql = b"COPY t (a) FROM stdin;\nx;y\n\\\\.\n\\.\nSELECT 1;";
        let mut lx = lexer(sql, Dialect::Pg);
        lx.next_statement().unwrap().unwrap();
        let (start, end, line, rows) = lx.copy_block().unwrap();
        assert_eq!((line, rows), (2, 2));
        assert_eq!(&sql[start as usize..end as usize], b"x;y\n\\\\.\n");
        let next = lx.next_statement().unwrap().unwrap();
        assert_eq!((next.line, next.head.as_slice()), (5, &b"SELECT 1;"[..]));
    }

    #[test]
    fn empty_copy_block_and_crlf_terminator() {
        let sql = b"COPY t (a) FROM stdin;\r\n\\.\r\nSELECT 1;";
        let mut lx = lexer(sql, Dialect::Pg);
        lx.next_statement().unwrap().unwrap();
        let (start, end, _, rows) = lx.copy_block().unwrap();
        assert_eq!((rows, start, end), (0, 24, 24));
    }

    #[test]
    fn truncation_is_reported_with_the_opening_line() {
        for (sql, want_line, what) in [
            ("SELECT 1;\nINSERT INTO t VALUES ('abc", 2, "string"),
            ("SELECT 1;\n\nCREATE TABLE t (a int", 3, "statement"),
            ("/* open\n comment", 1, "comment"),
            ("CREATE FUNCTION f() AS $$ body", 1, "dollar"),
        ] {
            let mut lx = lexer(sql.as_bytes(), Dialect::Pg);
            let err = loop {
                match lx.next_statement() {
                    Ok(Some(_)) => continue,
                    Ok(None) => panic!("{sql}: no error"),
                    Err(e) => break e,
                }
            };
            match err {
                LexError::Unterminated { line, what: w, .. } => {
                    assert_eq!(line, want_line, "{sql}");
                    assert!(w.contains(what), "{sql}: {w}");
                }
                LexError::Io(e) => panic!("{e}"),
            }
        }
        let mut lx = lexer(b"COPY t FROM stdin;\na\nb", Dialect::Pg);
        lx.next_statement().unwrap().unwrap();
        assert!(matches!(
            lx.copy_block(),
            Err(LexError::Unterminated { .. })
        ));
        assert_eq!(lx.copy_progress.2, 1, "one complete row before the cut");
    }

    #[test]
    fn statements_spanning_many_refills_are_found() {
        // Longer than the 1 MiB window: the lexer must carry state across refills.
        let mut sql = String::from("INSERT INTO t VALUES ");
        for i in 0..120_000 {
            sql.push_str(&format!("({i}, 'v;{i}'),"));
        }
        sql.push_str("(0,'end');\nSELECT 2;");
        let h = heads(&sql, Dialect::MySql);
        assert_eq!(h.len(), 2);
        assert_eq!(h[1].1, "SELECT 2;");
    }
}
