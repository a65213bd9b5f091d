//! SQLite database files: every table and view (SQLite's own `sqlite_*` tables skipped) is one
//! dataset named by its table name.
//!
//! The file is opened read-only with `immutable=1`: SQLite then takes no locks and never
//! creates or touches `-wal`/`-shm`/journal files, so the database stays byte-identical. The
//! price: content still sitting in a `-wal` file next to the database (not yet checkpointed)
//! is not seen; a note says so when such a file exists.
//!
//! Values become text: integers and reals in decimal, text as is, blobs as lower-case hex (with
//! a note), NULL as null. Each table is read on its own thread (see [`super::producer`]),
//! started when the table is scanned, so a table that cannot be read fails alone. The threads
//! share a small pool of connections: opening a connection makes SQLite parse the whole schema
//! at the first statement, so one connection per table cost time in the square of the table
//! count (10,000 tables never finished).
//!
//! Bounds: at most [`MAX_TABLES`] selected tables and views per file (more is refused, naming
//! the count: choose some with `--include`/`--exclude`). A view is a query, not stored
//! rows: an endless recursive view would stream forever and a `run` would write an endless
//! output, so a view is read up to [`MAX_VIEW_ROWS`] rows (more fails that view alone,
//! nothing half-read is kept) and every statement on a view is interrupted after
//! [`ReadOptions::read_timeout`] (SQLite's progress handler). Any statement stops at Ctrl-C.
//!
//! Sampling (`sample_rows = Some(n)`) on rowid tables with more than `n` rows seeks `n` times
//! through the rowid B-tree at evenly spaced rowids between the smallest and largest, so the
//! sample covers the whole table at the cost of `n` index lookups. Views and `WITHOUT ROWID`
//! tables read their first `n` rows.
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use super::producer::{Emit, Producer, ProducerSource};
use super::rows::{RowBatcher, quote_ident, text_schema};
use super::{DatasetInfo, Format, ReadOptions, RowCount, Source, table_selected};
use crate::error::{Error, Location, Result};

/// Above this size (page count × page size) `count(*)` is skipped in sampled mode and the row
/// count is estimated from the rowid range.
const COUNT_LIMIT_BYTES: i64 = 512 * 1024 * 1024;
/// Most tables and views read from one file. Each one is a dataset with its own profile and
/// report entry; 10,000 covers the largest real schemas we know of by far.
pub const MAX_TABLES: usize = 10_000;
/// Most rows read from one view. Why a bound at all: a view's rows are computed, and a recursive
/// view can yield rows forever, which a `run` would write out forever. Why this figure: views
/// re-derive rows of tables that are read themselves; one larger than a million rows is almost
/// always a join or recursion mistake, and can be materialised into a table if it is meant.
pub const MAX_VIEW_ROWS: u64 = 1_000_000;
/// Virtual-machine steps between two calls of the progress handler (about a millisecond).
const PROGRESS_STEPS: std::ffi::c_int = 10_000;

/// One table or view as listed by `PRAGMA table_list`.
#[derive(Debug, Clone)]
struct TableMeta {
    name: String,
    view: bool,
    without_rowid: bool,
    columns: Vec<(String, Option<String>)>,
}

/// Open every selected table and view of the SQLite file at `path`.
pub fn open(path: &Path, display: &str, opts: &ReadOptions) -> Result<Vec<Box<dyn Source>>> {
    let file_loc = Location::dataset(display);
    let conn = connect(path).map_err(|e| sqlite_error(&file_loc, &e))?;
    let names = list_names(&conn).map_err(|e| sqlite_error(&file_loc, &e))?;
    let selected: Vec<(String, bool, bool)> = names
        .into_iter()
        .filter(|(name, _, _)| table_selected(name, opts))
        .collect();
    if selected.len() > MAX_TABLES {
        return Err(Error::input(
            file_loc,
            format!(
                "the database has {} tables and views to read; at most {MAX_TABLES} are \
                 supported per file (choose some with --include or --exclude)",
                selected.len()
            ),
        ));
    }
    let mut tables = Vec::with_capacity(selected.len());
    for (name, view, without_rowid) in selected {
        let columns = table_columns(&conn, &name).map_err(|e| sqlite_error(&file_loc, &e))?;
        tables.push(TableMeta {
            name,
            view,
            without_rowid,
            columns,
        });
    }
    let pool = Arc::new(Pool {
        path: path.to_path_buf(),
        idle: Mutex::new(vec![conn]),
    });
    let mut notes = vec!["opened read-only (SQLite immutable mode)".to_string()];
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    if Path::new(&wal).exists() {
        notes.push(
            "a -wal file exists next to the database; changes not yet checkpointed into the \
             main file are not seen"
                .to_string(),
        );
    }
    let mut out: Vec<Box<dyn Source>> = Vec::new();
    for t in tables {
        let info = DatasetInfo {
            source: display.to_string(),
            table: Some(t.name.clone()),
            format: Format::Sqlite,
            notes: notes.clone(),
        };
        let schema = text_schema(&t.columns);
        let loc = info.location();
        let job_schema = schema.clone();
        let batch_rows = opts.batch_rows;
        let sample = opts.sample_rows;
        let timeout = opts.read_timeout();
        let pool = pool.clone();
        let producer = Producer::new(format!("sqlite:{}", t.name), move |emit| {
            let mut conn = pool.take().map_err(|e| sqlite_error(&loc, &e))?;
            let deadline = t.view.then(|| Instant::now() + timeout);
            let read = watch(&mut conn, deadline).and_then(|()| {
                let mut reader = TableReader {
                    conn: &conn,
                    table: &t,
                    batcher: RowBatcher::new(job_schema, batch_rows),
                    emit,
                    blob_noted: false,
                    bad_text_noted: false,
                    loc: &loc,
                };
                reader.run(sample)
            });
            let _ = watch(&mut conn, None);
            pool.give(conn);
            read.map_err(|e| match e {
                ReadError::Sqlite(e) => read_error(&loc, &e, deadline, timeout),
                ReadError::Other(e) => e,
            })
        });
        out.push(Box::new(ProducerSource::new(info, schema, producer)));
    }
    Ok(out)
}

/// Connections to one file, shared by the reader threads of its tables: a thread takes an
/// idle one (or opens one when none is idle) and gives it back when its table is read, so a
/// file is connected to (and its schema parsed) about as many times as tables are read at
/// once, not once per table.
struct Pool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Pool {
    fn take(&self) -> rusqlite::Result<Connection> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        match idle {
            Some(c) => Ok(c),
            None => connect(&self.path),
        }
    }

    fn give(&self, conn: Connection) {
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(conn);
    }
}

/// Interrupt statements on `conn` at Ctrl-C and, with a `deadline`, once it has passed.
fn watch(conn: &mut Connection, deadline: Option<Instant>) -> Result<(), ReadError> {
    conn.progress_handler(
        PROGRESS_STEPS,
        Some(move || {
            crate::interrupt::requested() || deadline.is_some_and(|d| Instant::now() >= d)
        }),
    )?;
    Ok(())
}

/// A read error; an interrupted statement says why (Ctrl-C, or the view's time bound).
fn read_error(
    loc: &Location,
    e: &rusqlite::Error,
    deadline: Option<Instant>,
    timeout: Duration,
) -> Error {
    if e.sqlite_error_code() == Some(rusqlite::ErrorCode::OperationInterrupted) {
        if crate::interrupt::requested() {
            return Error::Interrupted;
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Error::input(
                loc.clone(),
                format!(
                    "the view's query ran longer than the statement timeout of {} s and was \
                     stopped (--statement-timeout)",
                    timeout.as_secs()
                ),
            );
        }
    }
    sqlite_error(loc, e)
}

/// Open `path` read-only and immutable.
fn connect(path: &Path) -> rusqlite::Result<Connection> {
    let uri = format!("file:{}?mode=ro&immutable=1", uri_escape(path));
    Connection::open_with_flags(
        uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
}

/// Percent-encode a path for an SQLite `file:` URI (everything but unreserved characters and
/// `/`).
fn uri_escape(path: &Path) -> String {
    let mut out = String::new();
    for &b in path.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn sqlite_error(loc: &Location, e: &rusqlite::Error) -> Error {
    Error::input(loc.clone(), format!("cannot read the SQLite database: {e}"))
}

/// Tables and views of the main schema as (name, is a view, is `WITHOUT ROWID`), SQLite
/// internals and FTS shadow tables excluded.
fn list_names(conn: &Connection) -> rusqlite::Result<Vec<(String, bool, bool)>> {
    let mut stmt = conn.prepare(
        "SELECT name, type, wr FROM pragma_table_list WHERE schema = 'main' \
         AND type IN ('table', 'view', 'virtual') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
         ORDER BY name",
    )?;
    stmt.query_map([], |r| {
        let kind: String = r.get(1)?;
        let wr: i64 = r.get(2)?;
        Ok((r.get(0)?, kind == "view", wr != 0))
    })?
    .collect()
}

/// Column names and declared types of one table or view.
fn table_columns(conn: &Connection, name: &str) -> rusqlite::Result<Vec<(String, Option<String>)>> {
    let mut cols = conn.prepare("SELECT name, type FROM pragma_table_info(?1) ORDER BY cid")?;
    cols.query_map([name], |r| {
        let ty: Option<String> = r.get(1)?;
        Ok((r.get(0)?, ty.filter(|t| !t.is_empty())))
    })?
    .collect()
}

enum ReadError {
    Sqlite(rusqlite::Error),
    Other(Error),
}

impl From<rusqlite::Error> for ReadError {
    fn from(e: rusqlite::Error) -> Self {
        ReadError::Sqlite(e)
    }
}

impl From<Error> for ReadError {
    fn from(e: Error) -> Self {
        ReadError::Other(e)
    }
}

struct TableReader<'a> {
    conn: &'a Connection,
    table: &'a TableMeta,
    batcher: RowBatcher,
    emit: &'a Emit,
    blob_noted: bool,
    bad_text_noted: bool,
    loc: &'a Location,
}

impl TableReader<'_> {
    fn column_list(&self) -> String {
        if self.table.columns.is_empty() {
            return "NULL".to_string();
        }
        self.table
            .columns
            .iter()
            .map(|(c, _)| quote_ident(c))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn run(&mut self, sample: Option<usize>) -> std::result::Result<Option<RowCount>, ReadError> {
        let cols = self.column_list();
        let table = quote_ident(&self.table.name);
        let Some(n) = sample else {
            let rows = self.stream(&format!("SELECT {cols} FROM {table}"))?;
            return Ok(Some(RowCount::Exact(rows)));
        };
        if self.table.view || self.table.without_rowid {
            let rows = self.stream(&format!("SELECT {cols} FROM {table} LIMIT {n}"))?;
            return Ok(if rows < n as u64 {
                Some(RowCount::Exact(rows))
            } else {
                None
            });
        }
        let (lo, hi): (Option<i64>, Option<i64>) = self.conn.query_row(
            &format!("SELECT min(rowid), max(rowid) FROM {table}"),
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let (Some(lo), Some(hi)) = (lo, hi) else {
            return Ok(Some(RowCount::Exact(0)));
        };
        let span = u64::try_from(i128::from(hi) - i128::from(lo) + 1).unwrap_or(u64::MAX);
        let total = if span <= n as u64 {
            None
        } else if self.db_bytes()? <= COUNT_LIMIT_BYTES {
            let c: i64 =
                self.conn
                    .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
            Some(RowCount::Exact(u64::try_from(c).unwrap_or(0)))
        } else {
            Some(RowCount::Estimated(span))
        };
        if total.is_none_or(|t| t.value() <= n as u64) {
            let rows = self.stream(&format!("SELECT {cols} FROM {table}"))?;
            return Ok(Some(RowCount::Exact(rows)));
        }
        self.seek_sample(&cols, &table, lo, span, n)?;
        Ok(total)
    }

    fn db_bytes(&self) -> rusqlite::Result<i64> {
        let pages: i64 = self.conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
        let size: i64 = self.conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        Ok(pages.saturating_mul(size))
    }

    /// `n` index seeks at evenly spaced rowids in `[lo, lo + span)`, never the same row twice.
    fn seek_sample(
        &mut self,
        cols: &str,
        table: &str,
        lo: i64,
        span: u64,
        n: usize,
    ) -> std::result::Result<(), ReadError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT rowid, {cols} FROM {table} WHERE rowid >= ?1 ORDER BY rowid LIMIT 1"
        ))?;
        let step = span as f64 / n as f64;
        let mut last: Option<i64> = None;
        let mut fields: Vec<Option<String>> = Vec::with_capacity(self.batcher.width());
        for i in 0..n {
            let target = lo.saturating_add((i as f64 * step) as i64);
            let from = match last {
                Some(l) => target.max(l.saturating_add(1)),
                None => target,
            };
            let mut rows = stmt.query([from])?;
            let Some(row) = rows.next()? else { break };
            last = Some(row.get(0)?);
            fields.clear();
            for c in 0..self.batcher.width() {
                fields.push(self.text(row.get_ref(c + 1)?)?);
            }
            self.push(&fields)?;
        }
        self.flush()?;
        Ok(())
    }

    /// Run `sql` and push every row; returns the number of rows.
    fn stream(&mut self, sql: &str) -> std::result::Result<u64, ReadError> {
        let mut stmt = self.conn.prepare(sql)?;
        let mut rows = stmt.query([])?;
        let mut fields: Vec<Option<String>> = Vec::with_capacity(self.batcher.width());
        let mut count = 0u64;
        while let Some(row) = rows.next()? {
            if self.table.view && count == MAX_VIEW_ROWS {
                return Err(ReadError::Other(Error::input(
                    self.loc.clone(),
                    format!(
                        "the view yields more than {MAX_VIEW_ROWS} rows (a recursive or \
                         cross-joined query?); it is not read (skip it with --exclude, \
                         or store its rows in a table)"
                    ),
                )));
            }
            fields.clear();
            for c in 0..self.batcher.width() {
                fields.push(self.text(row.get_ref(c)?)?);
            }
            self.push(&fields)?;
            count += 1;
        }
        self.flush()?;
        Ok(count)
    }

    fn push(&mut self, fields: &[Option<String>]) -> Result<()> {
        self.batcher.push(fields);
        if self.batcher.is_full() {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if let Some(b) = self.batcher.take()? {
            self.emit.batch(b)?;
        }
        Ok(())
    }

    fn text(&mut self, v: ValueRef<'_>) -> Result<Option<String>> {
        Ok(match v {
            ValueRef::Null => None,
            ValueRef::Integer(i) => Some(i.to_string()),
            ValueRef::Real(f) => Some(f.to_string()),
            ValueRef::Text(t) => Some(match std::str::from_utf8(t) {
                Ok(s) => s.to_string(),
                Err(_) => {
                    if !self.bad_text_noted {
                        self.bad_text_noted = true;
                        self.emit
                            .note("text values that are not valid UTF-8 were read lossily")?;
                    }
                    String::from_utf8_lossy(t).into_owned()
                }
            }),
            ValueRef::Blob(b) => {
                if !self.blob_noted {
                    self.blob_noted = true;
                    self.emit.note("blob values are shown as lower-case hex")?;
                }
                Some(super::db::hex(b))
            }
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn fixture(dir: &Path) -> std::path::PathBuf {
        let p = dir.join("t.sqlite");
        let c = Connection::open(&p).unwrap();
        c.execute_batch(
            "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, score REAL, photo BLOB);
             CREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT);
             CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID;
             CREATE VIEW named AS SELECT name FROM people WHERE name IS NOT NULL;
             INSERT INTO people VALUES (1, 'Arta', 1.5, x'00ff'), (2, NULL, NULL, NULL);
             INSERT INTO kv VALUES ('a', '1');
             WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 1000)
             INSERT INTO big SELECT i, 'v' || i FROM s;",
        )
        .unwrap();
        p
    }

    fn read_all(src: &mut Box<dyn Source>) -> Vec<Vec<Option<String>>> {
        use arrow_array::{Array, StringArray};
        let mut rows = Vec::new();
        while let Some(b) = src.next_batch().unwrap() {
            for r in 0..b.num_rows() {
                rows.push(
                    (0..b.data.num_columns())
                        .map(|c| {
                            let a = b
                                .data
                                .column(c)
                                .as_any()
                                .downcast_ref::<StringArray>()
                                .unwrap();
                            (!a.is_null(r)).then(|| a.value(r).to_string())
                        })
                        .collect(),
                );
            }
        }
        rows
    }

    #[test]
    fn tables_views_values_and_sampling() {
        let d = tempfile::tempdir().unwrap();
        let p = fixture(d.path());
        let mut srcs = open(&p, "t.sqlite", &ReadOptions::default()).unwrap();
        let names: Vec<_> = srcs
            .iter()
            .map(|s| s.info().table.clone().unwrap())
            .collect();
        assert_eq!(names, ["big", "kv", "named", "people"]);
        let people = &mut srcs[3];
        assert_eq!(
            super::super::rows::display_type(people.schema().field(2)),
            "REAL"
        );
        let rows = read_all(people);
        assert_eq!(
            rows[0],
            vec![
                Some("1".into()),
                Some("Arta".into()),
                Some("1.5".into()),
                Some("00ff".into())
            ]
        );
        assert_eq!(rows[1], vec![Some("2".into()), None, None, None]);
        assert_eq!(people.rows_total(), Some(RowCount::Exact(2)));
        assert!(people.info().notes.iter().any(|n| n.contains("hex")));

        let opts = ReadOptions {
            sample_rows: Some(100),
            batch_rows: 30,
            exclude_tables: vec!["k*".into()],
            ..ReadOptions::default()
        };
        let mut srcs = open(&p, "t.sqlite", &opts).unwrap();
        assert_eq!(srcs.len(), 3);
        let rows = read_all(&mut srcs[0]);
        assert_eq!(rows.len(), 100);
        // Spread over the table: the last sampled row is near the end.
        let last: u64 = rows[99][0].as_ref().unwrap().parse().unwrap();
        assert!(last > 950, "{last}");
        assert_eq!(srcs[0].rows_total(), Some(RowCount::Exact(1000)));
        let rows = read_all(&mut srcs[1]);
        assert_eq!(rows, vec![vec![Some("Arta".to_string())]]);
    }

    #[test]
    fn not_a_database_names_the_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.sqlite");
        let mut bytes = b"SQLite format 3\0".to_vec();
        bytes.extend(std::iter::repeat_n(0x55u8, 4096));
        #[allow(clippy::disallowed_methods)]
        std::fs::write(&p, bytes).unwrap();
        let e = match open(&p, "x.sqlite", &ReadOptions::default()) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("opened a corrupt file"),
        };
        assert!(e.starts_with("x.sqlite: "), "{e}");
    }

    #[test]
    fn endless_views_are_bounded_in_rows_and_time_and_fail_alone() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("v.sqlite");
        let c = Connection::open(&p).unwrap();
        c.execute_batch(
            "CREATE TABLE a (x INTEGER); INSERT INTO a VALUES (1), (2);
             CREATE VIEW endless AS WITH RECURSIVE c(x) AS
               (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c;
             CREATE VIEW silent AS WITH RECURSIVE c(x) AS
               (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c WHERE x < 0;",
        )
        .unwrap();
        drop(c);
        let opts = ReadOptions {
            statement_timeout: Duration::from_secs(1),
            ..ReadOptions::default()
        };
        let mut srcs = open(&p, "v.sqlite", &opts).unwrap();
        let drain = |s: &mut Box<dyn Source>| -> Result<u64> {
            let mut n = 0;
            while let Some(b) = s.next_batch()? {
                n += b.num_rows() as u64;
            }
            Ok(n)
        };
        // An endless view yielding no row: stopped by the statement timeout.
        let start = Instant::now();
        let e = drain(&mut srcs[2]).unwrap_err().to_string();
        assert!(start.elapsed() < Duration::from_secs(5));
        assert!(
            e.starts_with("v.sqlite:silent: ") && e.contains("statement timeout"),
            "{e}"
        );
        // An endless view yielding rows: stopped after MAX_VIEW_ROWS (before the timeout
        // with a generous one).
        let opts = ReadOptions::default();
        let mut srcs = open(&p, "v.sqlite", &opts).unwrap();
        let e = drain(&mut srcs[1]).unwrap_err().to_string();
        assert!(e.contains("more than 1000000 rows"), "{e}");
        // The table still reads (on a connection from the pool).
        assert_eq!(drain(&mut srcs[0]).unwrap(), 2);
        // Sampled: the endless view reads its first rows only.
        let opts = ReadOptions {
            sample_rows: Some(10),
            ..ReadOptions::default()
        };
        let mut srcs = open(&p, "v.sqlite", &opts).unwrap();
        assert_eq!(drain(&mut srcs[1]).unwrap(), 10);
    }

    #[test]
    fn too_many_tables_are_refused_naming_the_count() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("many.sqlite");
        let c = Connection::open(&p).unwrap();
        let mut sql = String::from("BEGIN;");
        for i in 0..=MAX_TABLES {
            sql.push_str(&format!("CREATE TABLE t{i} (x INTEGER);"));
        }
        sql.push_str("COMMIT;");
        c.execute_batch(&sql).unwrap();
        drop(c);
        let e = match open(&p, "many.sqlite", &ReadOptions::default()) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("opened"),
        };
        assert!(
            e.starts_with("many.sqlite: ") && e.contains("10001 tables") && e.contains("at most"),
            "{e}"
        );
        // Excluding one brings the file within the limit.
        let opts = ReadOptions {
            exclude_tables: vec!["t0".into()],
            ..ReadOptions::default()
        };
        assert_eq!(open(&p, "many.sqlite", &opts).unwrap().len(), MAX_TABLES);
    }

    #[test]
    fn uri_escaping() {
        assert_eq!(uri_escape(Path::new("/a b/c?d#e%")), "/a%20b/c%3Fd%23e%25");
    }
}
