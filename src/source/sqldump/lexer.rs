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
    /// MySQL client `DELIMITER`: what ends a statement (`;` unless a `DELIMITER` command said
    /// otherwise). Always `;` for PostgreSQL.
    pub delimiter: Vec<u8>,
    /// psql's BEGIN/CASE/END tracking inside `CREATE FUNCTION|PROCEDURE` statements.
    track: Track,
}

/// psql's heuristic (psqlscan.l) for SQL-standard function bodies (`BEGIN ATOMIC … END`): in a
/// statement that starts `CREATE [OR REPLACE] FUNCTION|PROCEDURE`, the words BEGIN (and CASE
/// inside a BEGIN) open a level and END closes one, counted only outside parentheses; `;` ends
/// the statement only at level 0. Reset at every statement start.
#[derive(Debug, Clone, Copy, Default)]
struct Track {
    /// Identifiers seen so far (only the first four decide whether the statement qualifies).
    words: u8,
    /// First letters of those of the first four that are CREATE/OR/REPLACE/FUNCTION/PROCEDURE.
    letters: [u8; 4],
    /// The statement is not a CREATE FUNCTION/PROCEDURE: stop looking at words.
    off: bool,
    /// Open BEGIN/CASE levels.
    begin_depth: u32,
    /// Open parentheses (words inside them do not count).
    paren_depth: u32,
}

impl Track {
    fn qualifies(&self) -> bool {
        let l = self.letters;
        l[0] == b'c'
            && (matches!(l[1], b'f' | b'p')
                || (l[1] == b'o' && l[2] == b'r' && matches!(l[3], b'f' | b'p')))
    }

    /// Account for one identifier-like word outside quotes and comments.
    fn word(&mut self, w: &[u8]) {
        let is = |k: &str| w.eq_ignore_ascii_case(k.as_bytes());
        if self.words < 4 {
            if is("create") || is("or") || is("replace") || is("function") || is("procedure") {
                self.letters[self.words as usize] = w[0].to_ascii_lowercase();
            }
            self.words += 1;
            if self.letters[0] != b'c' || (self.words == 4 && !self.qualifies()) {
                // Cheap exit for every other statement (INSERTs with millions of words).
                self.off = true;
                return;
            }
        }
        if !self.qualifies() || self.paren_depth > 0 {
            return;
        }
        if is("begin") {
            self.begin_depth += 1;
        } else if is("case") {
            if self.begin_depth >= 1 {
                self.begin_depth += 1;
            }
        } else if is("end") {
            self.begin_depth = self.begin_depth.saturating_sub(1);
        }
    }
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
            delimiter: b";".to_vec(),
            track: Track::default(),
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
        if self.dialect == Dialect::MySql
            && let Some(st) = self.delimiter_command()?
        {
            return Ok(Some(st));
        }
        self.track = Track {
            off: self.dialect != Dialect::Pg,
            ..Track::default()
        };
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
                Ctx {
                    dialect: self.dialect,
                    standard_strings: self.standard_strings,
                    delimiter: &self.delimiter,
                    line: self.line,
                },
                &mut prev,
                &mut self.dollar_tag,
                &mut self.track,
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

    /// The MySQL client command `DELIMITER x` at a statement start: it fills the rest of its
    /// line and has no terminator. Sets the delimiter (the first word after the command, or a
    /// quoted string, as the `mariadb` client's `get_arg` reads it) and returns the command as
    /// a statement of its own, ending at the end of its line (newline excluded). `None` when the
    /// statement does not start with the command.
    fn delimiter_command(&mut self) -> Result<Option<Stmt>, LexError> {
        const KW: &[u8] = b"DELIMITER";
        let got = self.win.want(KW.len() + 1)?;
        let b = self.win.buf();
        if got <= KW.len()
            || !b[..KW.len()].eq_ignore_ascii_case(KW)
            || !matches!(b[KW.len()], b' ' | b'\t' | b'\r' | b'\n')
        {
            return Ok(None);
        }
        // The whole line must be in view (it is short; a longer one is not a real command).
        let mut line_end = None;
        while line_end.is_none() {
            let b = self.win.buf();
            line_end = memchr::memchr(b'\n', b);
            if line_end.is_none() && (b.len() > 64 << 10 || !self.win.fill()?) {
                break;
            }
        }
        let b = self.win.buf();
        let mut n = line_end.unwrap_or(b.len());
        let text = &b[..n];
        let arg = delimiter_arg(&text[KW.len()..]);
        if n > 0 && text[n - 1] == b'\r' {
            n -= 1;
        }
        let st = Stmt {
            start: self.win.offset(),
            end: self.win.offset() + n as u64,
            line: self.line,
            head: b[..n].to_vec(),
            truncated: false,
        };
        // The client refuses an empty delimiter and one with a backslash; so do we (the
        // previous delimiter stays).
        if !arg.is_empty() && !arg.contains(&b'\\') {
            self.delimiter = arg;
        }
        self.consume(n);
        Ok(Some(st))
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

/// The argument of a `DELIMITER` command: a quoted string up to its closing quote, else the
/// first run of non-blank bytes.
fn delimiter_arg(rest: &[u8]) -> Vec<u8> {
    let rest = rest.trim_ascii_start();
    match rest.first() {
        Some(&q @ (b'\'' | b'"' | b'`')) => {
            let body = &rest[1..];
            let end = memchr::memchr(q, body).unwrap_or(body.len());
            body[..end].to_vec()
        }
        _ => {
            let end = rest
                .iter()
                .position(|c| c.is_ascii_whitespace())
                .unwrap_or(rest.len());
            rest[..end].to_vec()
        }
    }
}

/// What [`step`] needs to know about the dump and the statement.
#[derive(Clone, Copy)]
struct Ctx<'a> {
    dialect: Dialect,
    standard_strings: bool,
    /// The statement terminator (`;`, or a MySQL `DELIMITER`).
    delimiter: &'a [u8],
    /// The current line (for messages about unterminated constructs).
    line: u64,
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

/// Where [`step_normal`] leaves the scan.
enum Next {
    /// Go on at this index in this state.
    Go(usize, State),
    /// Stop this step: bytes consumed, state, whether the statement ended.
    Return(usize, State, bool),
}

impl Next {
    /// Remember byte `c` as the last one seen (for `E'…'` and `$tag$` starts).
    fn after(self, prev: &mut [u8; 2], c: u8) -> Self {
        *prev = [prev[1], c];
        self
    }
}

/// One byte (or word) of [`step`] outside quotes and comments, at `b[i]`.
#[allow(clippy::too_many_arguments)]
fn step_normal(
    b: &[u8],
    i: usize,
    limit: usize,
    at_end: bool,
    cx: &Ctx<'_>,
    prev: &mut [u8; 2],
    tag: &mut Vec<u8>,
    track: &mut Track,
) -> Next {
    let Ctx {
        dialect,
        standard_strings,
        delimiter,
        line,
    } = *cx;
    let c = b[i];
    // The delimiter is checked first, as the mysql client does (it may start with
    // a quote or comment character).
    if c == delimiter[0] {
        if b[i..].starts_with(delimiter) {
            if track.begin_depth == 0 {
                return Next::Return(i + delimiter.len(), State::Normal, true);
            }
        } else if i + delimiter.len() > b.len() && !at_end {
            // It may straddle the window's end: ask for more bytes.
            return Next::Return(i, State::Normal, false);
        }
    }
    if !track.off && (c.is_ascii_alphabetic() || c == b'_' || c >= 0x80) && !is_ident_byte(prev[1])
    {
        // A word (psql's BEGIN ATOMIC tracking); it must be wholly in view.
        let len = b[i..].iter().position(|c| !is_ident_byte(*c) && *c != b'$');
        let Some(len) = len.or(at_end.then(|| b.len() - i)) else {
            return Next::Return(i, State::Normal, false);
        };
        track.word(&b[i..i + len]);
        *prev = if len >= 2 {
            [b[i + len - 2], b[i + len - 1]]
        } else {
            [prev[1], c]
        };
        return Next::Go(i + len, State::Normal);
    }
    if !track.off {
        match c {
            b'(' => track.paren_depth += 1,
            b')' => track.paren_depth = track.paren_depth.saturating_sub(1),
            _ => {}
        }
    }
    match c {
        b'\'' => {
            let e_string =
                dialect == Dialect::Pg && matches!(prev[1], b'E' | b'e') && !is_ident_byte(prev[0]);
            let esc = dialect == Dialect::MySql || !standard_strings || e_string;
            return Next::Go(i + 1, State::Quote { q: c, esc, line }).after(prev, c);
        }
        b'"' => {
            let esc = dialect == Dialect::MySql;
            return Next::Go(i + 1, State::Quote { q: c, esc, line }).after(prev, c);
        }
        b'`' if dialect == Dialect::MySql => {
            let esc = false;
            return Next::Go(i + 1, State::Quote { q: c, esc, line }).after(prev, c);
        }
        b'-' if b[i + 1..].first() == Some(&b'-') => {
            return Next::Go(i + 1, State::LineComment).after(prev, c);
        }
        b'#' if dialect == Dialect::MySql => {
            return Next::Go(i + 1, State::LineComment).after(prev, c);
        }
        b'/' if b[i + 1..].first() == Some(&b'*') => {
            if dialect == Dialect::MySql && b.get(i + 2) == Some(&b'!') {
                // Conditional comment: its content is SQL.
            } else if i + 2 > limit && !at_end {
                return Next::Return(i, State::Normal, false);
            } else {
                *prev = [b' ', b' '];
                return Next::Go(i + 2, State::Block { depth: 1, line });
            }
        }
        b'$' if dialect == Dialect::Pg && !is_ident_byte(prev[1]) => {
            // `$tag$` opens a dollar-quoted string; needs the whole tag in view.
            let rest = &b[i + 1..];
            match rest.iter().position(|c| !is_ident_byte(*c)) {
                Some(p)
                    if rest[p] == b'$' && !rest[..p].first().is_some_and(u8::is_ascii_digit) =>
                {
                    tag.clear();
                    tag.extend_from_slice(&b[i..i + p + 2]);
                    return Next::Go(i + p + 2, State::Dollar { line });
                }
                None if !at_end => return Next::Return(i, State::Normal, false),
                _ => {}
            }
        }
        _ => {}
    }
    Next::Go(i + 1, State::Normal).after(prev, c)
}

/// Advance through `b` in `state`: returns bytes consumed, the new state and whether the
/// statement ended (its `;` consumed). Needs one byte of lookahead, so it stops before the last
/// byte unless `at_end`.
fn step(
    b: &[u8],
    state: State,
    at_end: bool,
    cx: Ctx<'_>,
    prev: &mut [u8; 2],
    tag: &mut Vec<u8>,
    track: &mut Track,
) -> (usize, State, bool) {
    let Ctx { dialect, .. } = cx;
    let limit = if at_end { b.len() } else { b.len() - 1 };
    let mut i = 0;
    let mut state = state;
    while i < limit {
        match state {
            State::Normal => match step_normal(b, i, limit, at_end, &cx, prev, tag, track) {
                Next::Go(next, st) => {
                    i = next;
                    state = st;
                }
                Next::Return(n, st, done) => return (n, st, done),
            },
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

#[cfg(test)]
mod delimiter_tests {
    use super::*;
    use std::io::Write;

    fn heads(sql: &[u8], dialect: Dialect) -> Vec<String> {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(sql).unwrap();
        let mut lx = Lexer::new(Window::new(f, 0, sql.len() as u64).unwrap(), dialect);
        let mut out = Vec::new();
        while let Some(s) = lx.next_statement().unwrap() {
            assert_eq!(&sql[s.start as usize..s.end as usize], &s.head[..]);
            out.push(String::from_utf8_lossy(&s.head).into_owned());
        }
        out
    }

    #[test]
    fn mariadb_routines_are_single_statements() {
        let sql = "INSERT INTO `t` VALUES (1);\n/*!50003 SET sql_mode = '' */ ;\nDELIMITER ;;\nCREATE DEFINER=`root`@`localhost` PROCEDURE `p`()\nBEGIN\n  CREATE TEMPORARY TABLE tmp (a int);\n  INSERT INTO t VALUES (2);\n  SELECT ';;' FROM tmp; -- c ;;\nEND ;;\n/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER `tr` BEFORE INSERT ON `t` FOR EACH ROW BEGIN SET NEW.a = 1; END */;;\nDELIMITER ;\nINSERT INTO `t` VALUES (3);\n";
        let h = heads(sql.as_bytes(), Dialect::MySql);
        assert_eq!(h.len(), 7, "{h:#?}");
        assert_eq!(h[2], "DELIMITER ;;");
        assert!(
            h[3].starts_with("CREATE DEFINER") && h[3].ends_with("END ;;"),
            "{}",
            h[3]
        );
        assert!(h[4].starts_with("/*!50003 CREATE*/") && h[4].ends_with("*/;;"));
        assert_eq!(h[5], "DELIMITER ;");
        assert_eq!(h[6], "INSERT INTO `t` VALUES (3);");
    }

    #[test]
    fn delimiter_arguments_like_the_client() {
        // Lower case, a tab, a quoted delimiter; an empty one and one with a backslash are
        // refused (the delimiter stays what it was).
        let sql = "delimiter\t//\nSELECT 1; SELECT 2 //\nDELIMITER '$$'  trailing\nSELECT 3 $$\nDELIMITER \nSELECT 4 $$\nDELIMITER a\\b\nSELECT 5 $$\nDELIMITER\nSELECT 7 $$\nDELIMITER ;\r\nSELECT 6;";
        let h = heads(sql.as_bytes(), Dialect::MySql);
        assert_eq!(
            h,
            vec![
                "delimiter\t//",
                "SELECT 1; SELECT 2 //",
                "DELIMITER '$$'  trailing",
                "SELECT 3 $$",
                "DELIMITER ",
                "SELECT 4 $$",
                "DELIMITER a\\b",
                "SELECT 5 $$",
                "DELIMITER",
                "SELECT 7 $$",
                "DELIMITER ;",
                "SELECT 6;"
            ]
        );
        // Near misses: a column named delimiter, and DELIMITER in PostgreSQL (not a command).
        let h = heads(b"SELECT 1 AS delimiter ;\nSELECT 2;", Dialect::MySql);
        assert_eq!(h.len(), 2);
        let h = heads(b"DELIMITER ;;\nSELECT 1;", Dialect::Pg);
        assert_eq!(h, vec!["DELIMITER ;", ";", "SELECT 1;"]);
    }

    #[test]
    fn a_long_delimiter_straddling_window_refills_is_found() {
        // The 1 MiB window ends inside the delimiter for some of these offsets.
        for shift in 0..6 {
            let mut sql = b"DELIMITER @@END@@\n".to_vec();
            let body = (1 << 20) - sql.len() - 3 + shift;
            sql.extend(std::iter::repeat_n(b'x', body));
            sql.extend_from_slice(b"@@END@@\nDELIMITER ;\nSELECT 1;");
            let h = heads(&sql, Dialect::MySql);
            assert_eq!(h.len(), 4, "shift {shift}");
            assert!(h[1].ends_with("x@@END@@"));
            assert_eq!(h[3], "SELECT 1;");
        }
    }

    #[test]
    fn pg_begin_atomic_bodies_hold_semicolons() {
        let sql = "CREATE FUNCTION public.f(a integer) RETURNS integer\n    LANGUAGE sql\n    BEGIN ATOMIC\n SELECT CASE WHEN (a > 0) THEN 1 ELSE 0 END AS x;\n SELECT (a + 1);\nEND;\nCREATE OR REPLACE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1); END;\nBEGIN;\nCREATE TABLE public.\"begin\" (\"end\" int, case_x int);\nCREATE FUNCTION g() RETURNS int LANGUAGE plpgsql AS $$ begin return 1; end $$;\nSELECT 'begin';\nCOMMIT;";
        let h = heads(sql.as_bytes(), Dialect::Pg);
        assert_eq!(h.len(), 7, "{h:#?}");
        assert!(h[0].ends_with("SELECT (a + 1);\nEND;"));
        assert!(h[1].ends_with("VALUES (1); END;"));
        assert_eq!(h[2], "BEGIN;");
        assert!(h[3].starts_with("CREATE TABLE"));
        // Near miss: BEGIN inside parentheses or after CREATE TABLE does not open a level.
        let h = heads(
            b"CREATE TABLE t (begin int);\nCREATE FUNCTION h(begin int) RETURNS int LANGUAGE sql RETURN 1;\nSELECT 1;",
            Dialect::Pg,
        );
        assert_eq!(h.len(), 3, "{h:#?}");
    }
}
