//! The index pass: one streaming walk over a dump that records, per table, its columns (from
//! `CREATE TABLE`) and the byte ranges holding its rows (`COPY` blocks and runs of `INSERT`
//! statements). Tables are then read independently from their ranges.
use std::fs::File;

use super::Dialect;
use super::buf::Window;
use super::ddl;
use super::lexer::{LexError, Lexer, Stmt};
use super::tok::{Tok, ident_list, qualified_name, tokenize};

/// How a segment's rows are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SegKind {
    /// A `COPY … FROM stdin` block: one row per line.
    Copy,
    /// One or more consecutive `INSERT` statements.
    Insert,
}

/// A byte range of the dump holding rows of one table.
#[derive(Debug, Clone)]
pub struct Segment {
    /// Row syntax.
    pub kind: SegKind,
    /// Absolute start offset (COPY: first row; INSERT: the first statement).
    pub start: u64,
    /// Absolute end offset (exclusive).
    pub end: u64,
    /// 1-based line of `start`.
    pub line: u64,
    /// Columns named by the statement (`COPY t (a, b)`, `INSERT INTO t (a, b)`), if any.
    pub columns: Option<Vec<String>>,
    /// Rows, when the index knows them (COPY blocks).
    pub rows: Option<u64>,
    /// INSERT segments: absolute offset just after the first statement's `VALUES` keyword.
    /// The dump writer repeats `start..values_at` verbatim before the rows it writes.
    pub values_at: Option<u64>,
}

/// Everything the index knows about one table.
#[derive(Debug, Clone, Default)]
pub struct TableIndex {
    /// `schema.table` (PostgreSQL), `db.table` or `table` (MySQL).
    pub name: String,
    /// Columns and declared SQL types from `CREATE TABLE`.
    pub columns: Option<Vec<(String, String)>>,
    /// Row ranges in file order.
    pub segments: Vec<Segment>,
    /// A problem that ends this table's data (truncation inside its rows), with its line.
    pub error: Option<(u64, String)>,
    /// Keys and NOT NULL columns from the DDL; foreign keys name their tables qualified
    /// like [`TableIndex::name`].
    pub constraints: ddl::Constraints,
}

impl TableIndex {
    /// Bytes of row data.
    pub fn data_bytes(&self) -> u64 {
        self.segments.iter().map(|s| s.end - s.start).sum()
    }

    /// Row count, if every segment's is known.
    pub fn known_rows(&self) -> Option<u64> {
        self.segments.iter().map(|s| s.rows).sum()
    }
}

/// The result of the index pass.
#[derive(Debug, Default)]
pub struct DumpIndex {
    /// Tables in order of first appearance.
    pub tables: Vec<TableIndex>,
    /// Declared text encoding (`SET NAMES` / `client_encoding`), as an `encoding_rs` label.
    pub encoding: Option<String>,
    /// PostgreSQL `standard_conforming_strings` at the first row (pg_dump sets it once).
    pub standard_strings: bool,
    /// Observations for the report (unknown statements skipped, ...).
    pub notes: Vec<String>,
    /// An error that stopped the walk outside any table's rows.
    pub fatal: Option<(u64, String)>,
}

/// Statement keywords a dump may contain that carry no rows; anything else is noted.
const KNOWN: &[&str] = &[
    "ALTER",
    "ANALYZE",
    "BEGIN",
    "CALL",
    "CLUSTER",
    "COMMENT",
    "COMMIT",
    "CREATE",
    "DECLARE",
    "DELETE",
    "DELIMITER",
    "DO",
    "DROP",
    "END",
    "FLUSH",
    "GRANT",
    "LOCK",
    "REFRESH",
    "RESET",
    "REVOKE",
    "ROLLBACK",
    "SAVEPOINT",
    "SECURITY",
    "SELECT",
    "SET",
    "SHOW",
    "START",
    "TRUNCATE",
    "UNLOCK",
    "UPDATE",
    "USE",
    "VACUUM",
    "WITH",
    "REINDEX",
    "LISTEN",
    "NOTIFY",
    "IMPORT",
];

/// Walk the dump at `file` and index it: statement by statement, each by its leading keyword
/// (`Indexer::statement`), then the keys resolved across tables.
pub fn build(file: File, len: u64, dialect: Dialect) -> std::io::Result<DumpIndex> {
    let mut w = Indexer {
        lx: Lexer::new(Window::new(file, 0, len)?, dialect),
        ix: DumpIndex {
            standard_strings: true,
            ..DumpIndex::default()
        },
        names: Names {
            dialect,
            search_path: None,
            database: None,
        },
        unknown: 0,
        last_insert: None,
    };
    loop {
        let stmt = match w.lx.next_statement() {
            Ok(Some(s)) => s,
            Ok(None) => break,
            Err(LexError::Io(e)) => return Err(e),
            Err(LexError::Unterminated { line, what, head }) => {
                w.cut_statement(line, what, &head);
                break;
            }
        };
        if w.statement(&stmt)? {
            break;
        }
    }
    Ok(w.finish())
}

/// The index being built, and what the walk remembers between statements.
struct Indexer {
    lx: Lexer,
    ix: DumpIndex,
    /// The dialect, and what unqualified table names resolve against.
    names: Names,
    /// Statements not recognised (the first five are named in notes).
    unknown: usize,
    /// The table and column list of the previous statement if it was an INSERT, so that runs
    /// of INSERTs coalesce into one segment.
    last_insert: Option<(usize, Option<Vec<String>>)>,
}

impl Indexer {
    /// The dump ends inside a statement: a cut INSERT fails its own table (its earlier
    /// statements are still read), anything else the whole dump.
    fn cut_statement(&mut self, line: u64, what: &str, head: &[u8]) {
        let msg =
            format!("the dump ends inside a {what} that began on line {line} (truncated dump?)");
        match insert_target(head, &self.names) {
            Some(name) => {
                let t = table_slot(&mut self.ix, &name);
                self.ix.tables[t].error = Some((line, msg));
            }
            None => self.ix.fatal = Some((line, msg)),
        }
    }

    /// Index one statement by its leading keyword; true when the walk must stop (a cut COPY).
    fn statement(&mut self, stmt: &Stmt) -> std::io::Result<bool> {
        let dialect = self.names.dialect;
        let toks = tokenize(&stmt.head, dialect);
        let Some(first) = toks.first() else {
            return Ok(false);
        };
        let kw = match first {
            Tok::Word(w) => w.to_ascii_uppercase(),
            _ => String::new(),
        };
        let prev_insert = self.last_insert.take();
        let mut this_insert = None;
        match kw.as_str() {
            "CREATE" => self.create(&toks),
            "ALTER" => self.alter(&toks),
            "COPY" => {
                if self.copy(&toks)? {
                    return Ok(true);
                }
            }
            "INSERT" | "REPLACE" => this_insert = self.insert(stmt, &toks, prev_insert),
            "SET" => settings(
                &toks,
                dialect,
                &mut self.ix,
                &mut self.lx,
                &mut self.names.search_path,
            ),
            "SELECT" => self.select(&toks),
            "USE" => {
                self.names.database = toks.get(1).and_then(|t| t.ident(dialect));
            }
            k if KNOWN.contains(&k) => {}
            _ => self.unrecognised(&kw, stmt.line),
        }
        self.last_insert = this_insert;
        Ok(false)
    }

    /// `CREATE TABLE` (columns and constraints) or `CREATE TABLE … PARTITION OF`.
    fn create(&mut self, toks: &[Tok]) {
        let dialect = self.names.dialect;
        let Indexer { ix, names, .. } = self;
        if let Some((child, parent)) = ddl::partition_of(toks, dialect) {
            let child = names.qualify(child);
            let parent = names.qualify(parent);
            let t = table_slot(ix, &child);
            ix.tables[t].constraints.partition_of = Some(parent);
        } else if let Some((name, cols, mut cons)) = create_table(toks, dialect) {
            let full = names.qualify(name);
            names.qualify_references(&mut cons);
            let t = table_slot(ix, &full);
            ix.tables[t].columns = Some(cols);
            ix.tables[t].constraints.merge(cons);
        }
    }

    /// `ALTER TABLE`: keys added after the data (pg_dump), partitions attached.
    fn alter(&mut self, toks: &[Tok]) {
        let dialect = self.names.dialect;
        let Indexer { ix, names, .. } = self;
        // pg_dump adds keys after the data; only tables the dump defines matter.
        if let Some(alter) = ddl::alter_table(toks, dialect) {
            let full = names.qualify(alter.table);
            let mut cons = alter.constraints;
            names.qualify_references(&mut cons);
            if let Some(child) = alter.attached {
                let child = names.qualify(child);
                if let Some(t) = ix.tables.iter_mut().find(|t| t.name == child) {
                    t.constraints.partition_of = Some(full.clone());
                }
            }
            if let Some(t) = ix.tables.iter_mut().find(|t| t.name == full) {
                t.constraints.merge(cons);
            }
        }
    }

    /// `COPY … FROM stdin`: the data block that follows is the table's rows; true when the
    /// dump ends inside it.
    fn copy(&mut self, toks: &[Tok]) -> std::io::Result<bool> {
        let dialect = self.names.dialect;
        let Indexer { lx, ix, names, .. } = self;
        let Some((name, next)) = qualified_name(toks, 1, dialect) else {
            return Ok(false);
        };
        let cols = ident_list(toks, next, dialect).map(|(c, _)| c);
        let from_stdin = toks.windows(2).any(|w| w[0].is("FROM") && w[1].is("stdin"));
        if !from_stdin {
            return Ok(false);
        }
        let full = names.qualify(name);
        let t = table_slot(ix, &full);
        if ix.standard_strings != lx.standard_strings {
            ix.standard_strings = lx.standard_strings;
        }
        match lx.copy_block() {
            Ok((start, end, line, rows)) => ix.tables[t].segments.push(Segment {
                kind: SegKind::Copy,
                start,
                end,
                line,
                columns: cols,
                rows: Some(rows),
                values_at: None,
            }),
            Err(LexError::Io(e)) => return Err(e),
            Err(LexError::Unterminated { line, what, .. }) => {
                // Keep the complete rows before the cut: they are still worth scanning.
                let (start, end, rows) = lx.copy_progress;
                ix.tables[t].segments.push(Segment {
                    kind: SegKind::Copy,
                    start,
                    end,
                    line: line + 1,
                    columns: cols,
                    rows: Some(rows),
                    values_at: None,
                });
                ix.tables[t].error = Some((
                    line,
                    format!("the dump ends inside the {what} of the COPY on line {line}"),
                ));
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// `INSERT`/`REPLACE`: a segment of the table's rows, coalesced with the previous
    /// statement's when it inserted into the same table and columns; this statement's table
    /// and columns.
    fn insert(
        &mut self,
        stmt: &Stmt,
        toks: &[Tok],
        prev_insert: Option<(usize, Option<Vec<String>>)>,
    ) -> Option<(usize, Option<Vec<String>>)> {
        let dialect = self.names.dialect;
        let Indexer { ix, names, .. } = self;
        let Some((name, cols)) = insert_head(toks, dialect) else {
            ix.notes.push(format!(
                "line {}: an INSERT without a table name was skipped",
                stmt.line
            ));
            return None;
        };
        let full = names.qualify(name);
        let t = table_slot(ix, &full);
        match &prev_insert {
            Some((lt, lc)) if *lt == t && *lc == cols => {
                if let Some(seg) = ix.tables[t].segments.last_mut() {
                    seg.end = stmt.end;
                }
            }
            _ => ix.tables[t].segments.push(Segment {
                kind: SegKind::Insert,
                start: stmt.start,
                end: stmt.end,
                line: stmt.line,
                columns: cols.clone(),
                rows: None,
                values_at: super::values::values_end(&stmt.head).map(|p| stmt.start + p as u64),
            }),
        }
        Some((t, cols))
    }

    /// pg_dump's `SELECT pg_catalog.set_config('search_path', …)`.
    fn select(&mut self, toks: &[Tok]) {
        let search_path = &mut self.names.search_path;
        // pg_dump: SELECT pg_catalog.set_config('search_path', '', false);
        if let Some(p) = toks
            .iter()
            .position(|t| *t == Tok::Str("search_path".into()))
            && let Some(Tok::Str(v)) = toks.get(p + 2)
        {
            *search_path = first_schema(v);
        }
    }

    /// A statement of no known kind: named (by its keyword only) in the first five notes.
    fn unrecognised(&mut self, kw: &str, line: u64) {
        let (ix, unknown) = (&mut self.ix, &mut self.unknown);
        *unknown += 1;
        if *unknown <= 5 {
            // Name only the leading keyword: the statement may hold personal data.
            let word: String = kw.chars().take(24).collect();
            ix.notes.push(format!(
                "line {}: unrecognised statement{} skipped",
                line,
                if word.is_empty() {
                    String::new()
                } else {
                    format!(" starting with {word}")
                }
            ));
        }
    }

    /// Resolve keys across tables; the count of unrecognised statements past the fifth.
    fn finish(self) -> DumpIndex {
        let (mut ix, unknown) = (self.ix, self.unknown);
        resolve_primary_references(&mut ix.tables);
        ddl::inherit_partition_keys(&mut ix.tables);
        if unknown > 5 {
            ix.notes.push(format!(
                "{} more unrecognised statements skipped",
                unknown - 5
            ));
        }
        ix
    }
}

/// `INSERT [IGNORE] INTO name [(cols)]`: the name parts and column list.
fn insert_head(toks: &[Tok], dialect: Dialect) -> Option<(Vec<String>, Option<Vec<String>>)> {
    let mut i = 1;
    while toks.get(i).is_some_and(|t| {
        ["IGNORE", "INTO", "LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY"]
            .iter()
            .any(|k| t.is(k))
    }) {
        i += 1;
    }
    let (name, next) = qualified_name(toks, i, dialect)?;
    let cols = ident_list(toks, next, dialect).map(|(c, _)| c);
    Some((name, cols))
}

/// The table a (possibly cut) INSERT statement head fills.
fn insert_target(head: &[u8], names: &Names) -> Option<String> {
    let dialect = names.dialect;
    let toks = tokenize(head, dialect);
    if !(toks.first()?.is("INSERT") || toks.first()?.is("REPLACE")) {
        return None;
    }
    let (name, _) = insert_head(&toks, dialect)?;
    Some(names.qualify(name))
}

fn table_slot(ix: &mut DumpIndex, name: &str) -> usize {
    if let Some(p) = ix.tables.iter().position(|t| t.name == name) {
        return p;
    }
    ix.tables.push(TableIndex {
        name: name.to_string(),
        ..TableIndex::default()
    });
    ix.tables.len() - 1
}

/// What an unqualified table name resolves against: the dialect, pg_dump's `search_path`
/// (the schema of unqualified names) and mysqldump's `USE` (their database).
struct Names {
    dialect: Dialect,
    search_path: Option<String>,
    database: Option<String>,
}

impl Names {
    /// `schema.table`: PostgreSQL names without a schema take the search path's first schema
    /// (`public` when none was set); MySQL names take the database of the last `USE`.
    fn qualify(&self, parts: Vec<String>) -> String {
        if parts.len() > 1 {
            return parts.join(".");
        }
        let table = parts.into_iter().next().unwrap_or_default();
        let prefix = match self.dialect {
            Dialect::Pg => Some(self.search_path.as_deref().unwrap_or("public")),
            Dialect::MySql => self.database.as_deref(),
        };
        match prefix {
            Some(p) if !p.is_empty() => format!("{p}.{table}"),
            _ => table,
        }
    }

    /// Qualify the tables that foreign keys reference.
    fn qualify_references(&self, c: &mut ddl::Constraints) {
        for f in &mut c.foreign {
            let parts = std::mem::take(&mut f.table);
            f.table = vec![self.qualify(parts)];
        }
    }
}

/// A foreign key without a column list references the primary key of its table.
fn resolve_primary_references(tables: &mut [TableIndex]) {
    let primaries: Vec<(String, Vec<String>)> = tables
        .iter()
        .map(|t| (t.name.clone(), t.constraints.primary.clone()))
        .collect();
    for t in tables.iter_mut() {
        for f in t
            .constraints
            .foreign
            .iter_mut()
            .filter(|f| f.references.is_empty())
        {
            if let Some((_, pk)) = primaries.iter().find(|(n, _)| f.table.first() == Some(n)) {
                f.references = pk.clone();
            }
        }
    }
}

/// Name referenced tables the way the index names tables.
fn first_schema(v: &str) -> Option<String> {
    let s = v.split(',').next()?.trim().trim_matches('"');
    (!s.is_empty()).then(|| s.to_string())
}

/// `SET NAMES x`, `SET client_encoding = 'x'`, `SET standard_conforming_strings = off`,
/// `SET search_path = a, b`.
fn settings(
    toks: &[Tok],
    dialect: Dialect,
    ix: &mut DumpIndex,
    lx: &mut Lexer,
    search_path: &mut Option<String>,
) {
    let value = |i: usize| -> Option<String> {
        let mut i = i;
        if matches!(toks.get(i), Some(Tok::Punct('='))) || toks.get(i).is_some_and(|t| t.is("TO")) {
            i += 1;
        }
        match toks.get(i)? {
            Tok::Word(w) | Tok::Str(w) | Tok::Quoted(w) => Some(w.clone()),
            _ => None,
        }
    };
    let Some(name) = toks.get(1) else { return };
    if name.is("NAMES") || name.is("client_encoding") || name.is("CHARACTER") {
        let at = if name.is("CHARACTER") { 3 } else { 2 };
        if let Some(v) = value(at) {
            ix.encoding = encoding_label(&v).map(str::to_string);
        }
    } else if name.is("standard_conforming_strings") && dialect == Dialect::Pg {
        if let Some(v) = value(2) {
            lx.standard_strings =
                !v.eq_ignore_ascii_case("off") && !v.eq_ignore_ascii_case("false");
            ix.standard_strings = lx.standard_strings;
        }
    } else if name.is("search_path")
        && let Some(v) = value(2)
    {
        *search_path = first_schema(&v);
    }
}

/// The `encoding_rs` label for a PostgreSQL or MySQL character-set name; `None` for UTF-8 and
/// for sets we do not know (the reader then checks UTF-8 and reports bad bytes).
pub fn encoding_label(name: &str) -> Option<&'static str> {
    match name.to_ascii_lowercase().replace(['-', '_'], "").as_str() {
        "utf8" | "utf8mb4" | "utf8mb3" | "unicode" | "binary" => None,
        // MySQL's latin1 is really windows-1252.
        "latin1" | "iso88591" | "cp1252" | "win1252" => Some("windows-1252"),
        "latin2" | "iso88592" => Some("iso-8859-2"),
        "cp1250" | "win1250" => Some("windows-1250"),
        "cp1251" | "win1251" => Some("windows-1251"),
        "koi8r" => Some("koi8-r"),
        "iso88595" | "latin5cyrillic" => Some("iso-8859-5"),
        _ => None,
    }
}

/// `CREATE [UNLOGGED|TEMPORARY] TABLE [IF NOT EXISTS] name ( col type …, constraint … )`:
/// the name and each column with its declared type. `None` for other CREATE statements and
/// for tables defined without a column list (`AS SELECT`, `PARTITION OF`).
/// A table definition: name parts, `(column, type)` pairs and its constraints.
type TableDef = (Vec<String>, Vec<(String, String)>, ddl::Constraints);

fn create_table(toks: &[Tok], dialect: Dialect) -> Option<TableDef> {
    let mut i = 1;
    while toks.get(i).is_some_and(|t| {
        [
            "UNLOGGED",
            "TEMPORARY",
            "TEMP",
            "GLOBAL",
            "LOCAL",
            "FOREIGN",
        ]
        .iter()
        .any(|k| t.is(k))
    }) {
        i += 1;
    }
    if !toks.get(i)?.is("TABLE") {
        return None;
    }
    i += 1;
    if toks.get(i).is_some_and(|t| t.is("IF")) {
        i += 3;
    }
    let (name, next) = qualified_name(toks, i, dialect)?;
    if toks.get(next) != Some(&Tok::Punct('(')) {
        return None;
    }
    // Split the body at top-level commas.
    let mut cols = Vec::new();
    let mut cons = ddl::Constraints::default();
    let mut depth = 0usize;
    let mut item: Vec<&Tok> = Vec::new();
    for (k, t) in toks.iter().enumerate().skip(next + 1) {
        match t {
            Tok::Punct('(') => depth += 1,
            Tok::Punct(')') if depth == 0 => {
                column_def(&item, dialect, &mut cols);
                ddl::table_item(&item, dialect, &mut cons);
                let names: Vec<&str> = cols.iter().map(|(n, _)| n.as_str()).collect();
                cons.partition_key = ddl::partition_key(&toks[k + 1..], dialect, &names);
                return Some((name, cols, cons));
            }
            Tok::Punct(')') => depth -= 1,
            Tok::Punct(',') if depth == 0 => {
                column_def(&item, dialect, &mut cols);
                ddl::table_item(&item, dialect, &mut cons);
                item.clear();
                continue;
            }
            _ => {}
        }
        item.push(t);
    }
    None
}

/// Words that end a column's type.
const TYPE_END: &[&str] = &[
    "NOT",
    "NULL",
    "DEFAULT",
    "COLLATE",
    "PRIMARY",
    "REFERENCES",
    "GENERATED",
    "COMMENT",
    "CONSTRAINT",
    "CHECK",
    "UNIQUE",
    "AUTO_INCREMENT",
    "CHARACTER",
    "CHARSET",
    "ON",
    "AS",
    "STORAGE",
    "COMPRESSION",
    "INVISIBLE",
    "VISIBLE",
];

/// Words that start a table constraint rather than a column.
const CONSTRAINT_START: &[&str] = &[
    "CONSTRAINT",
    "PRIMARY",
    "UNIQUE",
    "KEY",
    "INDEX",
    "FOREIGN",
    "CHECK",
    "FULLTEXT",
    "SPATIAL",
    "EXCLUDE",
    "LIKE",
    "PERIOD",
];

fn column_def(item: &[&Tok], dialect: Dialect, cols: &mut Vec<(String, String)>) {
    let Some(first) = item.first() else { return };
    if matches!(first, Tok::Word(_)) && CONSTRAINT_START.iter().any(|k| first.is(k)) {
        return;
    }
    let Some(name) = first.ident(dialect) else {
        return;
    };
    let mut ty = String::new();
    for (k, t) in item.iter().enumerate().skip(1) {
        // `character varying(10)` is a type; only `CHARACTER SET x` ends one.
        let charset = t.is("CHARACTER") && item.get(k + 1).is_some_and(|n| n.is("SET"));
        if charset || (!t.is("CHARACTER") && TYPE_END.iter().any(|w| t.is(w))) {
            break;
        }
        let piece = match t {
            Tok::Word(w) | Tok::Number(w) => w.to_lowercase(),
            Tok::Quoted(q) => q.clone(),
            Tok::Str(s) => format!("'{s}'"),
            Tok::Punct(c) => c.to_string(),
        };
        let glue = !ty.is_empty()
            && !matches!(piece.as_str(), "(" | ")" | "," | "[" | "]" | ".")
            && !ty.ends_with(['(', ',', '.']);
        if glue {
            ty.push(' ');
        }
        ty.push_str(&piece);
    }
    cols.push((name, ty));
}
