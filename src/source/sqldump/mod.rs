//! SQL dump files: plain-format `pg_dump` (and custom-format through `pg_restore`) and
//! `mysqldump` / `mariadb-dump`.
//!
//! One index pass walks the whole dump in a bounded window and records, per table, its columns
//! and the byte ranges of its rows; each table then becomes its own [`Source`] that reads only
//! its ranges (or sampling windows spread across them). Memory stays flat whatever the size.
use std::path::Path;
use std::sync::Arc;

pub mod buf;
pub mod copy;
pub mod ddl;
pub mod index;
pub mod lexer;
pub mod table;
pub mod tok;
pub mod values;

use super::{DatasetInfo, Format, ReadOptions, Source, table_selected};
use crate::error::{Error, Location, Result};
use table::{DumpShared, DumpTableSource};

/// The SQL dialect of a dump.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// PostgreSQL (`pg_dump`).
    Pg,
    /// MySQL / MariaDB (`mysqldump`, `mariadb-dump`).
    MySql,
}

/// Recognise a dump by its content: `Some(Format::PgDump | Format::MysqlDump)`.
pub fn sniff(head: &[u8]) -> Option<Format> {
    if head.starts_with(b"PGDMP") {
        return Some(Format::PgDump);
    }
    let text = String::from_utf8_lossy(head);
    let pg = [
        "-- PostgreSQL database dump",
        "FROM stdin;",
        "SET client_encoding",
        "pg_catalog.",
    ];
    let my = [
        "-- MySQL dump",
        "-- MariaDB dump",
        "/*!40101 SET",
        "ENGINE=",
        "LOCK TABLES `",
    ];
    let score = |keys: &[&str]| keys.iter().filter(|k| text.contains(*k)).count();
    let (p, m) = (score(&pg), score(&my));
    if p > m {
        return Some(Format::PgDump);
    }
    if m > p {
        return Some(Format::MysqlDump);
    }
    // Plain SQL with neither tool's marks: it must start like SQL (so a CSV that merely
    // contains SQL text stays a CSV); backquotes mean MySQL, otherwise PostgreSQL syntax.
    if starts_like_sql(&text) {
        return Some(if text.contains('`') {
            Format::MysqlDump
        } else {
            Format::PgDump
        });
    }
    None
}

/// Whether the first statement (after comments) begins with a DDL/DML keyword.
fn starts_like_sql(text: &str) -> bool {
    let mut rest = text.trim_start_matches('\u{feff}');
    loop {
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix("--") {
            rest = r.split_once('\n').map_or("", |(_, after)| after);
        } else if rest.starts_with("/*!") {
            break;
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = r.split_once("*/").map_or("", |(_, after)| after);
        } else {
            break;
        }
    }
    if rest.starts_with("/*!") {
        return true;
    }
    // A whole keyword followed by a space: `user_id,username` and `set_id;…` are CSV headers.
    let word: String = rest
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect::<String>()
        .to_ascii_uppercase();
    let after = rest[word.len()..].chars().next();
    after.is_some_and(char::is_whitespace)
        && [
            "CREATE", "INSERT", "COPY", "SET", "BEGIN", "DROP", "USE", "LOCK", "START",
        ]
        .contains(&word.as_str())
}

/// How a dump input was turned into the plain SQL file that is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conversion {
    /// The input is plain SQL already; it is read in place.
    None,
    /// gzip-compressed plain SQL, decompressed to a temporary file.
    Gzip,
    /// zstd-compressed plain SQL, decompressed to a temporary file.
    Zstd,
    /// A `pg_dump -Fc` / `-Fd` / `-Ft` archive, converted with `pg_restore -f`.
    PgRestore(ArchiveKind),
}

/// The pg_dump archive formats `pg_restore` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveKind {
    /// `-Fc`: one file starting `PGDMP`.
    Custom,
    /// `-Fd`: a directory holding `toc.dat` and one data file per table.
    Directory,
    /// `-Ft`: a tar archive holding `toc.dat`.
    Tar,
}

impl Conversion {
    /// A note for reports (`None` when nothing was converted).
    pub fn note(self) -> Option<&'static str> {
        match self {
            Conversion::None => None,
            Conversion::Gzip => Some("gzip-compressed dump, decompressed to a temporary file"),
            Conversion::Zstd => Some("zstd-compressed dump, decompressed to a temporary file"),
            Conversion::PgRestore(ArchiveKind::Custom) => {
                Some("custom-format dump read through pg_restore")
            }
            Conversion::PgRestore(ArchiveKind::Directory) => {
                Some("directory-format dump read through pg_restore")
            }
            Conversion::PgRestore(ArchiveKind::Tar) => {
                Some("tar-format dump read through pg_restore")
            }
        }
    }
}

/// A dump input as a plain, seekable SQL file.
#[derive(Debug, Clone)]
pub struct PlainDump {
    /// The plain SQL file: the input itself, or a temporary file.
    pub path: std::path::PathBuf,
    /// Keeps a temporary plain file alive (deleted when the last clone is dropped).
    pub keep: Option<Arc<tempfile::TempPath>>,
    /// [`Format::PgDump`] or [`Format::MysqlDump`] (the dialect of the plain SQL).
    pub format: Format,
    /// How the input was converted.
    pub conversion: Conversion,
}

impl PlainDump {
    /// The SQL dialect of the plain file.
    pub fn dialect(&self) -> Dialect {
        if self.format == Format::MysqlDump {
            Dialect::MySql
        } else {
            Dialect::Pg
        }
    }
}

/// Whether `path` is a `pg_dump -Fd` directory (it holds `toc.dat`).
pub fn is_pg_directory_dump(path: &Path) -> bool {
    path.is_dir() && path.join("toc.dat").is_file()
}

/// Turn any dump input into a plain, seekable SQL file: plain SQL as it is; `.sql.gz` /
/// `.sql.zst` (recognised by magic bytes, whatever the name) decompressed to a temporary file;
/// `pg_dump -Fc`, `-Fd` (a directory with `toc.dat`) and `-Ft` (tar) converted with
/// `pg_restore -f`. Readers and writers read tables from byte ranges of the result, so it must
/// be a real file. `loc` names the input in errors. Errors: unreadable input, not a dump,
/// `pg_restore` missing or failing.
pub fn plain_dump(path: &Path, loc: &Location) -> Result<PlainDump> {
    if path.is_dir() {
        if !is_pg_directory_dump(path) {
            return Err(Error::input(
                loc.clone(),
                "a directory that is not a pg_dump directory-format dump (no toc.dat)",
            ));
        }
        return restored(path, loc, ArchiveKind::Directory);
    }
    let head = read_head(path, 64 * 1024)?;
    if head.starts_with(b"PGDMP") {
        return restored(path, loc, ArchiveKind::Custom);
    }
    if is_pg_tar(&head) {
        return restored(path, loc, ArchiveKind::Tar);
    }
    let compression = if head.starts_with(&[0x1f, 0x8b]) {
        Some(Conversion::Gzip)
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some(Conversion::Zstd)
    } else {
        None
    };
    let Some(conversion) = compression else {
        let format = sniff(&head).ok_or_else(|| Error::input(loc.clone(), "not an SQL dump"))?;
        return Ok(PlainDump {
            path: path.to_path_buf(),
            keep: None,
            format,
            conversion: Conversion::None,
        });
    };
    let temp = decompress(path, loc, conversion)?;
    let head = read_head(&temp, 64 * 1024)?;
    if head.starts_with(b"PGDMP") {
        // `pg_dump -Fc | gzip`: restore the decompressed archive.
        return restored(&temp, loc, ArchiveKind::Custom);
    }
    let format = sniff(&head)
        .ok_or_else(|| Error::input(loc.clone(), "a compressed file that is not an SQL dump"))?;
    Ok(PlainDump {
        path: temp.to_path_buf(),
        keep: Some(Arc::new(temp)),
        format,
        conversion,
    })
}

/// Recognise a dump file from its first bytes `head`: what [`sniff`] recognises, pg_dump tar
/// archives, and gzip/zstd files whose decompressed start is a dump (only the start is
/// decompressed, so this stays cheap on large files).
pub fn sniff_file(path: &Path, head: &[u8]) -> Option<Format> {
    use std::io::Read;
    if is_pg_tar(head) {
        return Some(Format::PgDump);
    }
    let gzip = head.starts_with(&[0x1f, 0x8b]);
    let zstd = head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]);
    if !gzip && !zstd {
        return sniff(head);
    }
    let f = std::io::BufReader::new(std::fs::File::open(path).ok()?);
    let reader: Box<dyn Read> = if gzip {
        Box::new(flate2::read::MultiGzDecoder::new(f))
    } else {
        Box::new(zstd::stream::read::Decoder::new(f).ok()?)
    };
    let mut start = Vec::with_capacity(64 * 1024);
    // A truncated or corrupt stream still yields what decompressed before the fault.
    let _ = reader.take(64 * 1024).read_to_end(&mut start);
    if start.starts_with(b"PGDMP") {
        return Some(Format::PgDump);
    }
    sniff(&start)
}

/// The first `cap` bytes of a file (fewer if it is shorter).
fn read_head(path: &Path, cap: usize) -> Result<Vec<u8>> {
    use std::io::Read;
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut head = Vec::with_capacity(cap);
    f.take(cap as u64)
        .read_to_end(&mut head)
        .map_err(|e| Error::io(path, e))?;
    Ok(head)
}

/// A tar archive (ustar magic at 257) whose first member is pg_dump's `toc.dat`.
fn is_pg_tar(head: &[u8]) -> bool {
    head.len() >= 512
        && &head[257..262] == b"ustar"
        && head[..100].split(|b| *b == 0).next() == Some(&b"toc.dat"[..])
}

/// Decompress a gzip/zstd file into a temporary file.
fn decompress(path: &Path, loc: &Location, how: Conversion) -> Result<tempfile::TempPath> {
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let raw = std::io::BufReader::new(f);
    let mut reader: Box<dyn std::io::Read> = match how {
        Conversion::Zstd => {
            Box::new(zstd::stream::read::Decoder::new(raw).map_err(|e| Error::io(path, e))?)
        }
        _ => Box::new(flate2::read::MultiGzDecoder::new(raw)),
    };
    let mut temp = tempfile::Builder::new()
        .prefix("anonkos-dump-")
        .suffix(".sql")
        .tempfile()
        .map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let mut out = std::io::BufWriter::new(temp.as_file_mut());
    std::io::copy(&mut reader, &mut out).map_err(|e| {
        Error::input(
            loc.clone(),
            format!("the compressed dump could not be decompressed: {e}"),
        )
    })?;
    std::io::Write::flush(&mut out).map_err(|e| Error::io(std::env::temp_dir(), e))?;
    drop(out);
    Ok(temp.into_temp_path())
}

/// A pg_dump archive restored to a temporary plain file.
fn restored(path: &Path, loc: &Location, kind: ArchiveKind) -> Result<PlainDump> {
    let temp = restore_archive(path, loc, kind)?;
    Ok(PlainDump {
        path: temp.to_path_buf(),
        keep: Some(Arc::new(temp)),
        format: Format::PgDump,
        conversion: Conversion::PgRestore(kind),
    })
}

/// Open every selected table of a dump file (any input [`plain_dump`] accepts).
pub fn open(path: &Path, display: &str, opts: &ReadOptions) -> Result<Vec<Box<dyn Source>>> {
    let loc = Location::dataset(display);
    let plain = plain_dump(path, &loc)?;
    let note = plain.conversion.note();
    open_plain(&plain.path, display, opts, plain.keep, plain.format, note)
}

/// Open a plain-text dump in a dialect the caller already knows (`Format::PgDump` or
/// `Format::MysqlDump`), skipping the content sniff and the custom-format (`PGDMP`) check.
/// For callers that must exercise one dialect's parser whatever the bytes look like (the
/// fuzz targets); [`open`] is the entry point for files of unknown kind.
pub fn open_as(
    path: &Path,
    display: &str,
    opts: &ReadOptions,
    format: Format,
) -> Result<Vec<Box<dyn Source>>> {
    if !matches!(format, Format::PgDump | Format::MysqlDump) {
        return Err(Error::Internal(format!(
            "open_as called with a non-dump format ({})",
            format.name()
        )));
    }
    open_plain(path, display, opts, None, format, None)
}

fn open_plain(
    path: &Path,
    display: &str,
    opts: &ReadOptions,
    keep: Option<Arc<tempfile::TempPath>>,
    format: Format,
    conversion_note: Option<&str>,
) -> Result<Vec<Box<dyn Source>>> {
    let dialect = if format == Format::MysqlDump {
        Dialect::MySql
    } else {
        Dialect::Pg
    };
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let ix = index::build(file, len, dialect).map_err(|e| Error::io(path, e))?;
    let encoding = ix
        .encoding
        .as_deref()
        .and_then(|l| encoding_rs::Encoding::for_label(l.as_bytes()));
    let mut notes = ix.notes.clone();
    if let Some(n) = conversion_note {
        notes.push(n.into());
    }
    if let Some(enc) = encoding {
        notes.push(format!("encoding {} (declared in the dump)", enc.name()));
    }
    let shared = Arc::new(DumpShared {
        path: path.to_path_buf(),
        keep,
        dialect,
        encoding,
        standard_strings: ix.standard_strings,
        max_value: opts.max_field_bytes,
    });
    let mut out: Vec<Box<dyn Source>> = Vec::new();
    for t in ix.tables {
        if !table_selected(&t.name, opts) {
            continue;
        }
        // Tables without rows and without a definition are noise (e.g. a bare INSERT target).
        let info = DatasetInfo {
            source: display.to_string(),
            table: Some(t.name.clone()),
            format,
            notes: notes.clone(),
        };
        let loc = info.location();
        match DumpTableSource::new(info, shared.clone(), t, opts.sample_rows, opts.batch_rows) {
            Ok(src) => out.push(Box::new(src)),
            Err(e) => out.push(Box::new(FailedSource::new(loc, format, display, e))),
        }
    }
    if let Some((line, msg)) = ix.fatal {
        let e = Error::input(Location::dataset(display), format!("line {line}: {msg}"));
        out.push(Box::new(FailedSource::new(
            Location::dataset(display),
            format,
            display,
            e,
        )));
    } else if out.is_empty() {
        notes.push("the dump holds no tables (or none selected)".into());
    }
    Ok(out)
}

/// Turn a pg_dump archive (custom, directory or tar format) into a temporary plain SQL file
/// with `pg_restore -f` (no database involved).
fn restore_archive(path: &Path, loc: &Location, kind: ArchiveKind) -> Result<tempfile::TempPath> {
    let (flag, what) = match kind {
        ArchiveKind::Custom => ("-Fc", "custom-format pg_dump (-Fc)"),
        ArchiveKind::Directory => ("-Fd", "directory-format pg_dump (-Fd)"),
        ArchiveKind::Tar => ("-Ft", "tar-format pg_dump (-Ft)"),
    };
    let temp = tempfile::Builder::new()
        .prefix("anonkos-pgrestore-")
        .suffix(".sql")
        .tempfile()
        .map_err(|e| Error::io(std::env::temp_dir(), e))?
        .into_temp_path();
    let out = std::process::Command::new("pg_restore")
        .arg("--no-owner")
        .arg(flag)
        .arg("-f")
        .arg(&*temp)
        .arg(path)
        .output();
    match out {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::input(
            loc.clone(),
            format!(
                "this is a {what} and pg_restore is not installed; install the PostgreSQL client tools, or convert it with `pg_restore -f dump.sql INPUT` and scan dump.sql"
            ),
        )),
        Err(e) => Err(Error::input(
            loc.clone(),
            format!("could not run pg_restore: {e}"),
        )),
        Ok(o) if !o.status.success() => {
            let why = String::from_utf8_lossy(&o.stderr);
            let first = why
                .lines()
                .next()
                .unwrap_or("")
                .chars()
                .take(200)
                .collect::<String>();
            Err(Error::input(
                loc.clone(),
                format!("pg_restore could not read this {what}: {first}"),
            ))
        }
        Ok(_) => Ok(temp),
    }
}

/// A dataset that failed before any row could be read; reports its error on the first read.
struct FailedSource {
    info: DatasetInfo,
    error: Option<Error>,
    schema: arrow_schema::SchemaRef,
}

impl FailedSource {
    fn new(loc: Location, format: Format, display: &str, error: Error) -> Self {
        let table = loc
            .dataset
            .strip_prefix(&format!("{display}:"))
            .map(str::to_string);
        FailedSource {
            info: DatasetInfo {
                source: display.to_string(),
                table,
                format,
                notes: Vec::new(),
            },
            error: Some(error),
            schema: Arc::new(arrow_schema::Schema::empty()),
        }
    }
}

impl Source for FailedSource {
    fn info(&self) -> &DatasetInfo {
        &self.info
    }
    fn schema(&self) -> arrow_schema::SchemaRef {
        self.schema.clone()
    }
    fn next_batch(&mut self) -> Result<Option<crate::value::Batch>> {
        match self.error.take() {
            Some(e) => Err(e),
            None => Ok(None),
        }
    }
    fn rows_total(&self) -> Option<super::RowCount> {
        None
    }
}

#[cfg(test)]
mod sniff_tests {
    use super::*;

    #[test]
    fn csv_headers_that_begin_like_sql_words_stay_csv() {
        for head in [
            "user_id,username\n1,a\n",
            "set_id;name\n",
            "create_date,x\n",
            "username\n",
        ] {
            assert_eq!(sniff(head.as_bytes()), None, "{head}");
        }
        for head in [
            "USE `shop`;\n",
            "CREATE TABLE t (a int);\n",
            "SET x = 1;\n",
            "/*!40101 SET x */;\n",
        ] {
            assert!(sniff(head.as_bytes()).is_some(), "{head}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialect_is_sniffed_from_content() {
        assert_eq!(
            sniff(b"--\n-- PostgreSQL database dump\n--\nSET client_encoding = 'UTF8';"),
            Some(Format::PgDump)
        );
        assert_eq!(
            sniff(b"-- MariaDB dump 10.19\n/*!40101 SET NAMES utf8mb4 */;"),
            Some(Format::MysqlDump)
        );
        assert_eq!(sniff(b"PGDMP\x01\x0e"), Some(Format::PgDump));
        // Hand-written SQL: backquotes mean MySQL.
        assert_eq!(
            sniff(b"CREATE TABLE `t` (`a` int);"),
            Some(Format::MysqlDump)
        );
        assert_eq!(
            sniff(b"-- x\nINSERT INTO t VALUES (1);"),
            Some(Format::PgDump)
        );
        // A CSV that contains SQL text is not a dump.
        assert_eq!(sniff(b"id,query\n1,\"INSERT INTO t VALUES (1)\"\n"), None);
        assert_eq!(sniff(b"emri,mbiemri\nArta,Krasniqi\n"), None);
    }

    /// A table read back: name, cells, and the row count the source reports.
    pub(crate) type ReadTable = (
        String,
        Vec<Vec<Option<String>>>,
        Option<super::super::RowCount>,
    );

    /// Every table of the dump `sql`.
    pub(crate) fn read_dump(sql: &[u8], sample_rows: Option<usize>) -> Vec<ReadTable> {
        use arrow_array::{Array, StringArray};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.sql");
        #[allow(clippy::disallowed_methods)] // a test fixture, not an output
        std::fs::write(&path, sql).unwrap();
        let opts = ReadOptions {
            sample_rows,
            batch_rows: 1000,
            ..ReadOptions::default()
        };
        let mut out = Vec::new();
        for mut src in open(&path, "d.sql", &opts).unwrap() {
            let mut rows = Vec::new();
            while let Some(b) = src.next_batch().unwrap() {
                for r in 0..b.data.num_rows() {
                    rows.push(
                        (0..b.data.num_columns())
                            .map(|c| {
                                let a = b.data.column(c);
                                let a = a.as_any().downcast_ref::<StringArray>().unwrap();
                                (!a.is_null(r)).then(|| a.value(r).to_string())
                            })
                            .collect(),
                    );
                }
            }
            let name = src.info().table.clone().unwrap_or_default();
            out.push((name, rows, src.rows_total()));
        }
        out
    }

    #[test]
    fn procedure_bodies_are_neither_tables_nor_rows() {
        let sql = "-- MariaDB dump 10.19\n/*!40101 SET NAMES utf8mb4 */;\nCREATE TABLE `t` (`a` int, `b` varchar(10));\nINSERT INTO `t` VALUES (1,'x'),(2,'y');\nDELIMITER ;;\nCREATE DEFINER=`root`@`localhost` PROCEDURE `p`()\nBEGIN\n  CREATE TEMPORARY TABLE tmp (a int);\n  INSERT INTO t VALUES (99,'phantom');\n  INSERT INTO tmp SELECT a FROM t;\nEND ;;\n/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER `tr` BEFORE INSERT ON `t` FOR EACH ROW BEGIN INSERT INTO t VALUES (98,'z'); END */;;\nDELIMITER ;\nINSERT INTO `t` VALUES (3,'w');\n";
        let t = read_dump(sql.as_bytes(), None);
        assert_eq!(
            t.len(),
            1,
            "{:?}",
            t.iter().map(|x| &x.0).collect::<Vec<_>>()
        );
        assert_eq!(t[0].0, "t");
        let ids: Vec<_> = t[0].1.iter().map(|r| r[0].clone().unwrap()).collect();
        assert_eq!(ids, ["1", "2", "3"]);
        assert_eq!(t[0].2, Some(super::super::RowCount::Exact(3)));
    }

    /// `n` rows with unique ids in the given style: one row per INSERT, multi-row INSERTs of
    /// 7 rows, or COPY.
    pub(crate) fn styled_dump(style: &str, n: usize) -> Vec<u8> {
        let mut s = String::new();
        let pad = "p".repeat(60);
        match style {
            "copy" => {
                s.push_str("-- PostgreSQL database dump\nSET client_encoding = 'UTF8';\nCREATE TABLE public.t (id integer, pad text);\nCOPY public.t (id, pad) FROM stdin;\n");
                for i in 0..n {
                    s.push_str(&format!("{i}\t{pad}\n"));
                }
                s.push_str("\\.\n");
            }
            "single" => {
                s.push_str("-- MariaDB dump\nCREATE TABLE `t` (`id` int, `pad` text);\n");
                for i in 0..n {
                    s.push_str(&format!("INSERT INTO `t` VALUES ({i},'{pad}');\n"));
                }
            }
            _ => {
                // "multi": 7 rows per INSERT; "one": every row in one INSERT (mariadb-dump's
                // extended INSERTs hold up to a megabyte), longer than any sampling window.
                let per = if style == "one" { n } else { 7 };
                s.push_str("-- MariaDB dump\nCREATE TABLE `t` (`id` int, `pad` text);\n");
                for chunk in (0..n).collect::<Vec<_>>().chunks(per) {
                    let rows: Vec<String> =
                        chunk.iter().map(|i| format!("({i},'{pad}')")).collect();
                    s.push_str(&format!("INSERT INTO `t` VALUES {};\n", rows.join(",")));
                }
            }
        }
        s.into_bytes()
    }

    #[test]
    fn sampling_windows_read_each_row_at_most_once() {
        // 4,581 rows (the size that showed the bug) and samples whose window quotas add up to
        // more rows than the table has, and to fewer.
        for style in ["single", "multi", "one", "copy"] {
            let n = 4581;
            let sql = styled_dump(style, n);
            for sample in [100, 1000, 5000, 20_000] {
                let t = read_dump(&sql, Some(sample));
                let mut ids: Vec<u64> = t[0]
                    .1
                    .iter()
                    .map(|r| r[0].as_deref().unwrap().parse().unwrap())
                    .collect();
                let read = ids.len();
                ids.sort_unstable();
                ids.dedup();
                assert_eq!(
                    ids.len(),
                    read,
                    "{style}, sample {sample}: a row was read twice"
                );
                assert!(
                    read <= n.min(sample),
                    "{style}, sample {sample}: {read} rows"
                );
                assert!(
                    read * 10 >= n.min(sample) * 9,
                    "{style}, sample {sample}: only {read} rows"
                );
            }
            let t = read_dump(&sql, None);
            assert_eq!(t[0].1.len(), n, "{style} --full");
            assert_eq!(t[0].2, Some(super::super::RowCount::Exact(n as u64)));
        }
    }

    #[test]
    fn binary_columns_read_as_bytea_hex() {
        // Raw bytes in a '…' literal (mariadb-dump's default): \0 ' \ newline, invalid UTF-8.
        let mut sql = b"-- MariaDB dump\n/*!40101 SET NAMES utf8mb4 */;\nCREATE TABLE `p` (`id` int, `photo` mediumblob, `b` binary(2), `v` varbinary(8), `note` varchar(9));\nINSERT INTO `p` VALUES (1,'".to_vec();
        sql.extend_from_slice(b"\\0\\'\\\\\\n\xff\xfe\x1a");
        sql.extend_from_slice(b"',_binary 'ok',0xC3AB,'plain'),(2,_binary '\xff',NULL,'',0x4869),(3,0xDEADbeef,'ab','\xc3\xab',X'ff');\n");
        let t = read_dump(&sql, None);
        let rows = &t[0].1;
        let s = |v: &str| Some(v.to_string());
        assert_eq!(
            rows[0],
            vec![
                s("1"),
                s("\\x00275c0afffe1a"),
                s("\\x6f6b"),
                s("\\xc3ab"),
                s("plain")
            ]
        );
        // A hex literal in a text column: UTF-8 gives the text, other bytes the \x form.
        assert_eq!(rows[1], vec![s("2"), s("\\xff"), None, s("\\x"), s("Hi")]);
        assert_eq!(
            rows[2],
            vec![
                s("3"),
                s("\\xdeadbeef"),
                s("\\x6162"),
                s("\\xc3ab"),
                s("\\xff")
            ]
        );
        // Near miss: raw invalid UTF-8 in a text column is still an error.
        let bad = b"-- MariaDB dump\nCREATE TABLE `q` (`a` varchar(3));\nINSERT INTO `q` VALUES ('\xff');\n";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.sql");
        #[allow(clippy::disallowed_methods)] // a test fixture, not an output
        std::fs::write(&path, bad).unwrap();
        let mut src = open(&path, "q.sql", &ReadOptions::default()).unwrap();
        assert!(src[0].next_batch().is_err());
    }

    #[test]
    fn postgres_bytea_text_is_kept() {
        let sql = b"-- PostgreSQL database dump\nSET standard_conforming_strings = on;\nCREATE TABLE public.p (id integer, photo bytea, tags bytea[]);\nCOPY public.p (id, photo, tags) FROM stdin;\n1\t\\\\x00ff27\t\\N\n2\t\\\\000abc\t\\N\n\\.\nINSERT INTO public.p VALUES (3, '\\x0a5c', NULL);\n";
        let t = read_dump(sql, None);
        let photos: Vec<_> = t[0].1.iter().map(|r| r[1].clone().unwrap()).collect();
        assert_eq!(photos, ["\\x00ff27", "\\000abc", "\\x0a5c"]);
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // test fixtures, not outputs
    fn plain_dump_decompresses_by_magic_bytes() {
        use std::io::Write;
        let sql =
            b"-- MariaDB dump\nCREATE TABLE `t` (`a` int);\nINSERT INTO `t` VALUES (1),(2);\n";
        let dir = tempfile::tempdir().unwrap();
        let loc = Location::dataset("x");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(sql).unwrap();
        // A misleading name: the magic bytes decide.
        let gz_path = dir.path().join("dump.txt");
        std::fs::write(&gz_path, gz.finish().unwrap()).unwrap();
        let zst_path = dir.path().join("dump.sql.zst");
        std::fs::write(&zst_path, zstd::encode_all(&sql[..], 3).unwrap()).unwrap();
        for (p, how) in [(&gz_path, Conversion::Gzip), (&zst_path, Conversion::Zstd)] {
            let plain = plain_dump(p, &loc).unwrap();
            assert_eq!(plain.conversion, how);
            assert_eq!(plain.format, Format::MysqlDump);
            assert_eq!(std::fs::read(&plain.path).unwrap(), sql);
            let temp = plain.path.clone();
            drop(plain);
            assert!(
                !temp.exists(),
                "the temporary plain file is removed with its guard"
            );
        }
        let plain_path = dir.path().join("p.sql");
        std::fs::write(&plain_path, sql).unwrap();
        let plain = plain_dump(&plain_path, &loc).unwrap();
        assert_eq!(
            (plain.conversion, plain.path.as_path()),
            (Conversion::None, plain_path.as_path())
        );
        assert!(plain.keep.is_none());
        // Near misses: compressed CSV, a corrupt gzip stream, a directory without toc.dat.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"emri,mbiemri\nArta,Krasniqi\n").unwrap();
        let csv_gz = dir.path().join("a.csv.gz");
        std::fs::write(&csv_gz, gz.finish().unwrap()).unwrap();
        assert!(plain_dump(&csv_gz, &loc).is_err());
        assert_eq!(sniff_file(&csv_gz, &[0x1f, 0x8b]), None);
        let bad = dir.path().join("bad.sql.gz");
        std::fs::write(&bad, [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff]).unwrap();
        assert!(plain_dump(&bad, &loc).is_err());
        // A tar archive is a pg_dump -Ft only if its first member is toc.dat.
        let mut tar = vec![0u8; 1024];
        tar[..7].copy_from_slice(b"toc.dat");
        tar[257..262].copy_from_slice(b"ustar");
        assert!(is_pg_tar(&tar));
        tar[..8].copy_from_slice(b"data.csv");
        assert!(!is_pg_tar(&tar));
        assert!(!is_pg_tar(&tar[..300]));
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        assert!(plain_dump(&sub, &loc).is_err());
        assert!(!is_pg_directory_dump(&sub));
    }
}
