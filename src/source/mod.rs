//! Readers. Every format yields the same bounded [`Batch`] stream through [`Source`].
//!
//! [`open`] picks a reader by extension, then by sniffing the first bytes, so a Parquet file
//! named `.dat` still opens. Readers never modify their input.
use std::path::Path;
use std::time::Duration;

use arrow_schema::SchemaRef;

use crate::error::{Error, Location, Result};
use crate::value::{Batch, DEFAULT_BATCH_ROWS};

pub mod csv;
pub mod db;
pub mod header_find;
pub mod ipc;
pub mod parquet;
pub mod producer;
pub mod rows;
pub mod sqldump;
pub mod sqlite;
pub mod workbook;

/// The file formats anonkos reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Delimited text (CSV, TSV, semicolon or pipe separated), optionally gzip/zstd compressed.
    Csv,
    /// Apache Parquet.
    Parquet,
    /// A plain-format `pg_dump` file (`COPY … FROM stdin` and `INSERT` statements).
    PgDump,
    /// A `mysqldump` / `mariadb-dump` file.
    MysqlDump,
    /// An SQLite database file.
    Sqlite,
    /// A live PostgreSQL server.
    Postgres,
    /// A live MariaDB / MySQL server.
    Mysql,
    /// An Arrow IPC stream (`anonkos transform` on stdin).
    ArrowIpc,
    /// A workbook (`.xlsx`, `.xlsm`, `.xls`, `.ods`); every worksheet is a dataset.
    Workbook,
}

impl Format {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
            Format::PgDump => "pg_dump",
            Format::MysqlDump => "mysqldump",
            Format::Sqlite => "sqlite",
            Format::Postgres => "postgresql",
            Format::Mysql => "mysql",
            Format::ArrowIpc => "arrow_ipc",
            Format::Workbook => "workbook",
        }
    }
}

/// What a source says about the dataset it reads.
#[derive(Debug, Clone)]
pub struct DatasetInfo {
    /// The path or URL as the user gave it (passwords removed).
    pub source: String,
    /// Table name for multi-table sources, `None` for plain files.
    pub table: Option<String>,
    /// The format.
    pub format: Format,
    /// Human-readable notes on how the source was read (sniffed delimiter, encoding, ...).
    pub notes: Vec<String>,
}

impl DatasetInfo {
    /// A [`Location`] naming this dataset.
    pub fn location(&self) -> Location {
        match &self.table {
            // A sheet is named as spreadsheet users name one: `file.xlsx#Sheet name`.
            Some(t) if self.format == Format::Workbook => {
                Location::dataset(format!("{}#{t}", self.source))
            }
            Some(t) => Location::dataset(format!("{}:{t}", self.source)),
            None => Location::dataset(self.source.clone()),
        }
    }
}

/// How many rows a dataset has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowCount {
    /// Counted or read from metadata.
    Exact(u64),
    /// Extrapolated from a sample (e.g. file size / mean row size).
    Estimated(u64),
}

impl RowCount {
    /// The number, exact or not.
    pub fn value(self) -> u64 {
        match self {
            RowCount::Exact(n) | RowCount::Estimated(n) => n,
        }
    }
}

/// How to read. Built by the CLI, usable directly by library users.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// `Some(n)`: read about `n` rows spread across the whole input; `None`: read everything.
    pub sample_rows: Option<usize>,
    /// Rows per batch.
    pub batch_rows: usize,
    /// Force a text encoding (an `encoding_rs` label such as `windows-1250`); `None` sniffs.
    pub encoding: Option<String>,
    /// Force a delimiter; `None` sniffs among `, ; TAB |`.
    pub delimiter: Option<u8>,
    /// Force whether the first row is a header; `None` detects.
    pub has_header: Option<bool>,
    /// Largest single field accepted, in bytes; larger fields are an input error.
    pub max_field_bytes: usize,
    /// Multi-table sources (dumps, SQLite, databases): only tables matching one of these globs
    /// (`schema.table` or `table`, `*` and `?` wildcards); empty means all.
    pub include_tables: Vec<String>,
    /// Multi-table sources: skip tables matching one of these globs.
    pub exclude_tables: Vec<String>,
    /// Longest a single database statement may run (full reads of live databases and of
    /// SQLite views); see [`DEFAULT_STATEMENT_TIMEOUT`] and [`ReadOptions::quick_timeout`].
    pub statement_timeout: Duration,
}

/// Default of [`ReadOptions::statement_timeout`]: five minutes for one full read. Long enough
/// for a table of tens of millions of rows over a local network, short enough that a view over
/// `pg_sleep` or an endless recursive query does not hold a scan (and a server) for hours.
pub const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(300);

/// Cap on the timeout of catalogue queries and sampled reads: they touch a bounded number of
/// rows (a sample is `LIMIT n` or `TABLESAMPLE`), so a minute means the server is stuck.
pub const QUICK_TIMEOUT_CAP: Duration = Duration::from_secs(60);

impl ReadOptions {
    /// The timeout for catalogue queries and sampled reads: the statement timeout, at most
    /// [`QUICK_TIMEOUT_CAP`].
    pub fn quick_timeout(&self) -> Duration {
        self.statement_timeout.min(QUICK_TIMEOUT_CAP)
    }

    /// The timeout for this read's table statements: [`ReadOptions::quick_timeout`] when
    /// sampling, the full statement timeout otherwise.
    pub fn read_timeout(&self) -> Duration {
        if self.sample_rows.is_some() {
            self.quick_timeout()
        } else {
            self.statement_timeout
        }
    }
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            sample_rows: None,
            batch_rows: DEFAULT_BATCH_ROWS,
            encoding: None,
            delimiter: None,
            has_header: None,
            max_field_bytes: 16 * 1024 * 1024,
            include_tables: Vec::new(),
            exclude_tables: Vec::new(),
            statement_timeout: DEFAULT_STATEMENT_TIMEOUT,
        }
    }
}

/// A stream of batches from one dataset.
pub trait Source: Send {
    /// What is being read.
    fn info(&self) -> &DatasetInfo;
    /// The columns. Text formats give every column as Utf8.
    fn schema(&self) -> SchemaRef;
    /// The next batch, or `None` at the end.
    fn next_batch(&mut self) -> Result<Option<Batch>>;
    /// The dataset's total row count, once known (at the latest after the last batch).
    fn rows_total(&self) -> Option<RowCount>;
    /// A fingerprint of the dataset's content that changes whenever its rows may have
    /// changed, computed without decoding rows, with the bytes read to compute it; `None`
    /// when the source has no reliable marker (an incremental scan then reads it again).
    /// Hashes are salted with `salt`.
    fn content_fingerprint(&self, salt: &[u8]) -> Option<(String, u64)> {
        let _ = salt;
        None
    }
    /// The work units this dataset splits into for a run cut into `n` shards, in read
    /// order, as estimated weights (bytes); `None`: one unit of unknown weight (the default).
    /// Readers that return several units must read them in this order, with global row
    /// numbers, so any contiguous range of units reads exactly those rows of a full read.
    fn shard_units(&self, n: usize) -> Option<Vec<u64>> {
        let _ = n;
        None
    }
    /// Read only units `range` of [`Source::shard_units`] (same `n`); called before the
    /// first batch. The default accepts only the whole dataset.
    fn select_units(&mut self, range: std::ops::Range<usize>, n: usize) -> Result<()> {
        let _ = n;
        if range == (0..1) {
            Ok(())
        } else {
            Err(Error::Internal(format!(
                "{}: this reader cannot be split into shard units",
                self.info().location()
            )))
        }
    }
}

/// Feed `src` into `tx` batch by batch until its end or first error (both are sent), or
/// until the receiver hangs up: the body of a reader thread, so reading overlaps the work on
/// the batches. Returns the source, whose row count is final once it has been drained.
pub fn pump(
    mut src: Box<dyn Source>,
    tx: std::sync::mpsc::SyncSender<Result<Option<Batch>>>,
) -> Box<dyn Source> {
    loop {
        let next = src.next_batch();
        let stop = !matches!(next, Ok(Some(_)));
        if tx.send(next).is_err() || stop {
            return src;
        }
    }
}

/// Whether an input names a live database rather than a file.
pub fn is_database_url(input: &str) -> bool {
    ["postgres://", "postgresql://", "mysql://", "mariadb://"]
        .iter()
        .any(|p| input.starts_with(p))
}

/// Open every dataset of a database URL (one source per table).
pub fn open_url(url: &str, opts: &ReadOptions) -> Result<Vec<Box<dyn Source>>> {
    db::open_url(url, opts)
}

/// Open every dataset in the file at `path`. `display` is how the path is named in messages.
pub fn open(path: &Path, display: &str, opts: &ReadOptions) -> Result<Vec<Box<dyn Source>>> {
    if path.is_dir() {
        // A `pg_dump -Fd` directory is one dataset source; other directories are walked by
        // the caller.
        return sqldump::open(path, display, opts);
    }
    let format = detect_format(path, display)?;
    Ok(match format {
        Format::Csv => vec![Box::new(csv::CsvSource::open(path, display, opts)?)],
        Format::Parquet => vec![Box::new(parquet::ParquetSource::open(path, display, opts)?)],
        Format::PgDump | Format::MysqlDump => sqldump::open(path, display, opts)?,
        Format::Sqlite => sqlite::open(path, display, opts)?,
        Format::Workbook => workbook::open(path, display, opts)?,
        Format::Postgres | Format::Mysql | Format::ArrowIpc => {
            return Err(Error::Internal(
                "a database URL or stream reached the file opener".into(),
            ));
        }
    })
}

/// Whether `name` (`schema.table` or `table`) passes the include/exclude globs.
pub fn table_selected(name: &str, opts: &ReadOptions) -> bool {
    let short = name.rsplit('.').next().unwrap_or(name);
    let hit = |globs: &[String]| {
        globs
            .iter()
            .any(|g| glob_match(g, name) || glob_match(g, short))
    };
    (opts.include_tables.is_empty() || hit(&opts.include_tables)) && !hit(&opts.exclude_tables)
}

/// `*` (any run) and `?` (one character) wildcard match, case-sensitive.
pub fn glob_match(glob: &str, text: &str) -> bool {
    let g: Vec<char> = glob.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut gi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if gi < g.len() && (g[gi] == '?' || g[gi] == t[ti]) {
            gi += 1;
            ti += 1;
        } else if gi < g.len() && g[gi] == '*' {
            star = Some((gi, ti));
            gi += 1;
        } else if let Some((sg, st)) = star {
            gi = sg + 1;
            ti = st + 1;
            star = Some((sg, st + 1));
        } else {
            return false;
        }
    }
    g[gi..].iter().all(|c| *c == '*')
}

/// File extensions anonkos recognises when walking a directory.
pub const KNOWN_EXTENSIONS: &[&str] = &[
    "csv", "tsv", "txt", "psv", "csv.gz", "csv.zst", "tsv.gz", "tsv.zst", "parquet", "pq", "sql",
    "sql.gz", "sql.zst", "dump", "tar", "sqlite", "sqlite3", "db", "xlsx", "xlsm", "xls", "ods",
];

/// Whether a directory walk should pick up this file.
pub fn is_supported(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    KNOWN_EXTENSIONS
        .iter()
        .any(|ext| name.ends_with(&format!(".{ext}")))
}

/// Format by content first (Parquet `PAR1`, SQLite header, pg_dump custom `PGDMP`, SQL dump
/// text), then by extension.
fn detect_format(path: &Path, display: &str) -> Result<Format> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut head = vec![0u8; 64 * 1024];
    let mut n = 0;
    while n < head.len() {
        let k = f.read(&mut head[n..]).map_err(|e| Error::io(path, e))?;
        if k == 0 {
            break;
        }
        n += k;
    }
    head.truncate(n);
    if head.starts_with(b"PAR1") {
        return Ok(Format::Parquet);
    }
    if head.starts_with(b"SQLite format 3\0") {
        return Ok(Format::Sqlite);
    }
    if let Some(dialect) = sqldump::sniff_file(path, &head) {
        return Ok(dialect);
    }
    let name = path.to_string_lossy().to_lowercase();
    // A workbook by name, or an xlsx/ods zip or an OLE2 (xls) file by content whatever its
    // name; the workbook reader tells a broken or encrypted one apart.
    if workbook::is_workbook_name(&name) || head.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") {
        return Ok(Format::Workbook);
    }
    if head.starts_with(b"PK\x03\x04") && zip_is_workbook(&head) {
        return Ok(Format::Workbook);
    }
    if name.ends_with(".parquet") || name.ends_with(".pq") {
        return Err(Error::input(
            Location::dataset(display),
            "not a Parquet file (missing PAR1 magic bytes); the file may be truncated or corrupt",
        ));
    }
    if name.ends_with(".sqlite") || name.ends_with(".sqlite3") || name.ends_with(".db") {
        return Err(Error::input(
            Location::dataset(display),
            "not an SQLite database (missing the 'SQLite format 3' header)",
        ));
    }
    Ok(Format::Csv)
}

/// Whether a zip's first bytes show a workbook part (`xl/…`, an ODS `mimetype` entry).
fn zip_is_workbook(head: &[u8]) -> bool {
    memchr::memmem::find(head, b"xl/").is_some()
        || memchr::memmem::find(head, b"application/vnd.oasis.opendocument.spreadsheet").is_some()
        || memchr::memmem::find(head, b"[Content_Types].xml").is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("*", "public.patients"));
        assert!(glob_match("public.*", "public.patients"));
        assert!(glob_match("pat?ents", "patients"));
        assert!(!glob_match("public.*", "audit.log"));
        assert!(glob_match("*log*", "audit.log_2024"));
        let opts = ReadOptions {
            exclude_tables: vec!["*_log".into()],
            ..ReadOptions::default()
        };
        assert!(table_selected("public.patients", &opts));
        assert!(!table_selected("public.access_log", &opts));
        let opts = ReadOptions {
            include_tables: vec!["patients".into()],
            ..ReadOptions::default()
        };
        assert!(table_selected("public.patients", &opts));
        assert!(!table_selected("public.visits", &opts));
    }
}
