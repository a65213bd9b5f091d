//! SQL dump output: **the input dump with only its row data changed**.
//!
//! Every statement of the input — session settings, types, `CREATE TABLE` with its
//! constraints, sequences and `setval`, indexes, views, routines and triggers, comments,
//! grants, ownership — is copied byte for byte and in order. Only the row data of each table
//! (`COPY` blocks, runs of `INSERT` statements, as the dump index found them) is replaced by
//! the transformed rows, written through [`escape`], one routine per dialect. Nothing of the
//! input's DDL is re-emitted from parsed text, so no type or name text can turn into new SQL.
//!
//! Tables arrive one at a time in the order the sources are read, which need not be the
//! order of their data in the file; each table's rows go to an anonymous spill file next to
//! the output, and [`Writer::commit`] splices them into the copy of the input. Memory stays
//! bounded whatever the dump's size. A table of the input that was not written (left out by
//! `--include`/`--exclude`) keeps its definition and loses its rows: nothing of the input's
//! data passes through unprocessed.
use std::fs::File;
use std::io::{BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_cast::display::FormatOptions;
use arrow_schema::SchemaRef;
use encoding_rs::Encoding;

use super::Writer;
use super::atomic::AtomicFile;
use super::text::TextRows;
use crate::error::{Error, Location, Result};
use crate::plan::fit::{SqlKind, sql_kind};
use crate::source::sqldump::index::{self, SegKind, TableIndex};
use crate::source::sqldump::{Dialect, PlainDump, plain_dump};

pub mod escape;

/// Bytes of rows per written `INSERT` statement (mysqldump's default net_buffer_length).
const INSERT_BYTES: usize = 1 << 20;

/// Where a column of the written rows comes from.
#[derive(Debug, Clone)]
enum Slot {
    /// Column `idx` of the batches; `binary` for byte columns (MySQL writes them as hex);
    /// `max_chars` for declared lengths (`varchar(n)`), checked before anything is written.
    Col {
        idx: usize,
        binary: bool,
        max_chars: Option<usize>,
    },
    /// A column the pipeline dropped: written as NULL.
    Null,
    /// A generated column: in an INSERT the server computes it (from the rewritten values).
    Default,
}

/// Where column `name` of the written rows comes from.
fn slot(
    name: &str,
    schema: &SchemaRef,
    declared: &[(String, String)],
    generated: &[String],
) -> Slot {
    if generated.iter().any(|g| g == name) {
        return Slot::Default;
    }
    let Some(idx) = schema.fields().iter().position(|f| f.name() == name) else {
        return Slot::Null;
    };
    let kind = declared
        .iter()
        .find(|(d, _)| d == name)
        .map(|(_, t)| sql_kind(t));
    Slot::Col {
        idx,
        binary: kind == Some(SqlKind::Binary),
        max_chars: match kind {
            Some(SqlKind::Text(limit)) => limit,
            _ => None,
        },
    }
}

/// The table being written.
struct Current {
    table: usize,
    name: String,
    slots: Vec<Slot>,
    /// Column names in slot order (for error messages).
    names: Vec<String>,
    kind: SegKind,
    /// INSERT tables: the input's statement text up to and including `VALUES`.
    prefix: Vec<u8>,
    spill: BufWriter<File>,
    stmt_bytes: usize,
    rows: u64,
}

/// Writes a transformed copy of one input dump.
pub struct SpliceWriter {
    out: PathBuf,
    /// The input as plain SQL (a temporary copy of a compressed or archive input lives as long
    /// as this).
    plain: PlainDump,
    dialect: Dialect,
    encoding: Option<&'static Encoding>,
    mariadb: bool,
    tables: Vec<TableIndex>,
    /// Per table of the index: its rewritten rows, once written.
    spills: Vec<Option<File>>,
    cur: Option<Current>,
    line: Vec<u8>,
}

impl SpliceWriter {
    /// Start the output `out` for the dump at `input`: plain SQL, or anything
    /// [`plain_dump`] turns into plain SQL (compressed dumps, `pg_dump -Fc`/`-Fd`/`-Ft`), whose
    /// plain text is then the base of the output. The output's dialect is the input's.
    pub fn create(out: &Path, input: &Path) -> Result<Self> {
        let loc = Location::dataset(input.display().to_string());
        let plain = plain_dump(input, &loc)?;
        let dialect = plain.dialect();
        let plain_path = plain.path.clone();
        let file = File::open(&plain_path).map_err(|e| Error::io(&plain_path, e))?;
        let len = file
            .metadata()
            .map_err(|e| Error::io(&plain_path, e))?
            .len();
        let ix = index::build(file, len, dialect).map_err(|e| Error::io(&plain_path, e))?;
        if let Some((line, msg)) = &ix.fatal {
            return Err(Error::input(loc, format!("line {line}: {msg}")));
        }
        let encoding = ix
            .encoding
            .as_deref()
            .and_then(|l| Encoding::for_label(l.as_bytes()));
        let mariadb = dialect == Dialect::MySql && head_says(&plain_path, b"MariaDB dump");
        Ok(SpliceWriter {
            out: out.to_path_buf(),
            plain,
            dialect,
            encoding,
            mariadb,
            spills: ix.tables.iter().map(|_| None).collect(),
            tables: ix.tables,
            cur: None,
            line: Vec::new(),
        })
    }

    fn loc(&self, table: &str) -> Location {
        Location::dataset(format!("{}:{table}", self.out.display()))
    }

    /// The columns rows are written in, and where each comes from in the batches.
    fn layout(&self, t: &TableIndex, schema: &SchemaRef) -> Result<(Vec<String>, Vec<Slot>)> {
        let lists: Vec<&Option<Vec<String>>> = t.segments.iter().map(|s| &s.columns).collect();
        if lists.windows(2).any(|w| w[0] != w[1]) {
            return Err(Error::input(
                self.loc(&t.name),
                "the table's data statements name different column lists; write this input \
                 to CSV, Parquet or SQLite instead (output.format)",
            ));
        }
        let declared: Vec<(String, String)> = t.columns.clone().unwrap_or_default();
        let names: Vec<String> = match lists.first().and_then(|l| l.as_ref()) {
            Some(cols) => cols.clone(),
            None if !declared.is_empty() => declared.iter().map(|(n, _)| n.clone()).collect(),
            None => schema.fields().iter().map(|f| f.name().clone()).collect(),
        };
        let slots = names
            .iter()
            .map(|n| slot(n, schema, &declared, &t.constraints.generated))
            .collect();
        Ok((names, slots))
    }

    /// The input's bytes `from..to`.
    fn input_bytes(&self, from: u64, to: u64) -> Result<Vec<u8>> {
        let mut f = File::open(&self.plain.path).map_err(|e| Error::io(&self.plain.path, e))?;
        f.seek(std::io::SeekFrom::Start(from))
            .map_err(|e| Error::io(&self.plain.path, e))?;
        let mut b = Vec::new();
        f.take(to.saturating_sub(from))
            .read_to_end(&mut b)
            .map_err(|e| Error::io(&self.plain.path, e))?;
        Ok(b)
    }

    /// Encode row `r` of `rows` into `self.line` (no statement framing).
    fn encode_row(&mut self, rows: &TextRows<'_>, cur_rows: u64) -> Result<()> {
        let Some(cur) = self.cur.as_ref() else {
            return Err(Error::Internal("dump write before begin_table".into()));
        };
        let line = &mut self.line;
        line.clear();
        let sep: &[u8] = if cur.kind == SegKind::Copy {
            b"\t"
        } else {
            b","
        };
        for (k, slot) in cur.slots.iter().enumerate() {
            if k > 0 {
                line.extend_from_slice(sep);
            }
            let (value, binary) = match slot {
                Slot::Default if cur.kind == SegKind::Insert => {
                    line.extend_from_slice(b"DEFAULT");
                    continue;
                }
                Slot::Null | Slot::Default => (None, false),
                Slot::Col { idx, binary, .. } => (rows.cell(*idx), *binary),
            };
            if let (
                Slot::Col {
                    max_chars: Some(n), ..
                },
                Some(v),
            ) = (slot, value)
                && v.len() > *n
                && v.chars().count() > *n
            {
                return Err(Error::input(
                    Location::dataset(format!("{}:{}", self.out.display(), cur.name))
                        .at_row(cur_rows + 1)
                        .in_column(cur.names[k].clone()),
                    format!(
                        "the transformed value is longer than the column's declared {n} characters; \
                         choose an action whose output fits, or another output format"
                    ),
                ));
            }
            let res = match (value, &cur.kind, self.dialect) {
                (None, SegKind::Copy, _) => {
                    line.extend_from_slice(b"\\N");
                    Ok(())
                }
                (None, SegKind::Insert, _) => {
                    line.extend_from_slice(b"NULL");
                    Ok(())
                }
                (Some(v), SegKind::Copy, _) => escape::copy_field(v, self.encoding, line),
                (Some(v), SegKind::Insert, Dialect::Pg) => {
                    escape::pg_literal(v, self.encoding, line)
                }
                (Some(v), SegKind::Insert, Dialect::MySql) => {
                    match binary.then(|| escape::unhex_bytea(v)).flatten() {
                        Some(bytes) => escape::mysql_hex(&bytes, line),
                        None => escape::mysql_literal(v, self.encoding, line),
                    }
                    Ok(())
                }
            };
            if let Err(why) = res {
                return Err(Error::input(
                    Location::dataset(format!("{}:{}", self.out.display(), cur.name))
                        .at_row(cur_rows + 1)
                        .in_column(cur.names[k].clone()),
                    format!(
                        "cannot be written to the dump: {}",
                        why.describe(self.encoding)
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The text put before the input: settings that make the rows mean the same in any
    /// loading session (the input's own settings, copied after it, still take precedence).
    fn preamble(&self) -> &'static [u8] {
        match (self.dialect, self.mariadb) {
            (Dialect::Pg, _) => {
                b"-- Anonymised by anonkos: the statements below are the input dump's, byte for byte;\n\
                  -- only the rows of its tables were rewritten.\n\
                  SET client_encoding = 'UTF8';\n\
                  SET standard_conforming_strings = on;\n\n"
            }
            // MariaDB's client refuses shell and file commands after this line (sandbox mode).
            (Dialect::MySql, true) => {
                b"/*M!999999\\- enable the sandbox mode */\n\
                  -- Anonymised by anonkos: the statements below are the input dump's, byte for byte;\n\
                  -- only the rows of its tables were rewritten.\n\
                  /*!40101 SET NAMES utf8mb4 */;\n\
                  /*!40101 SET @ANONKOS_OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;\n\n"
            }
            (Dialect::MySql, false) => {
                b"-- Anonymised by anonkos: the statements below are the input dump's, byte for byte;\n\
                  -- only the rows of its tables were rewritten.\n\
                  /*!40101 SET NAMES utf8mb4 */;\n\
                  /*!40101 SET @ANONKOS_OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;\n\n"
            }
        }
    }
}

/// Whether the first KiB of `path` contains `mark`.
fn head_says(path: &Path, mark: &[u8]) -> bool {
    let mut b = [0u8; 1024];
    let n = File::open(path)
        .and_then(|mut f| f.read(&mut b))
        .unwrap_or(0);
    memchr::memmem::find(&b[..n], mark).is_some()
}

impl Writer for SpliceWriter {
    fn begin_table(&mut self, table: Option<&str>, schema: &SchemaRef) -> Result<()> {
        let name = table.unwrap_or_default();
        let Some(ti) = self.tables.iter().position(|t| t.name == name) else {
            return Err(Error::Internal(format!(
                "the dump writer was given table {name}, which the input's index does not hold"
            )));
        };
        let t = &self.tables[ti];
        let (names, slots) = self.layout(t, schema)?;
        let kind = t.segments.first().map_or(SegKind::Copy, |s| s.kind.clone());
        let prefix = match t.segments.first() {
            Some(s) if s.kind == SegKind::Insert => match s.values_at {
                Some(v) => self.input_bytes(s.start, v)?,
                None => {
                    return Err(Error::input(
                        self.loc(name),
                        format!(
                            "line {}: the INSERT statement's VALUES keyword was not found",
                            s.line
                        ),
                    ));
                }
            },
            _ => Vec::new(),
        };
        let dir = self.out.parent().unwrap_or(Path::new("."));
        let spill = tempfile::tempfile_in(dir).map_err(|e| Error::io(dir, e))?;
        self.cur = Some(Current {
            table: ti,
            name: name.to_string(),
            slots,
            names,
            kind,
            prefix,
            spill: BufWriter::with_capacity(1 << 20, spill),
            stmt_bytes: 0,
            rows: 0,
        });
        Ok(())
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let opts = FormatOptions::default();
        let mut rows = TextRows::new(batch, &opts)?;
        for r in 0..batch.num_rows() {
            rows.load(r)?;
            let done = self.cur.as_ref().map_or(0, |c| c.rows);
            self.encode_row(&rows, done)?;
            let Some(cur) = self.cur.as_mut() else {
                return Err(Error::Internal("dump write before begin_table".into()));
            };
            let io = |e| Error::io(&self.out, e);
            match cur.kind {
                SegKind::Copy => {
                    cur.spill.write_all(&self.line).map_err(io)?;
                    cur.spill.write_all(b"\n").map_err(io)?;
                }
                SegKind::Insert => {
                    if cur.stmt_bytes == 0 {
                        // Statements after the first start on their own line; the last ends
                        // at its `;`, where the input's own line break follows.
                        if cur.rows > 0 {
                            cur.spill.write_all(b"\n").map_err(io)?;
                        }
                        cur.spill.write_all(&cur.prefix).map_err(io)?;
                        cur.spill.write_all(b" (").map_err(io)?;
                    } else {
                        cur.spill.write_all(b",\n(").map_err(io)?;
                    }
                    cur.spill.write_all(&self.line).map_err(io)?;
                    cur.spill.write_all(b")").map_err(io)?;
                    cur.stmt_bytes += self.line.len() + 3;
                    if cur.stmt_bytes >= INSERT_BYTES {
                        cur.spill.write_all(b";").map_err(io)?;
                        cur.stmt_bytes = 0;
                    }
                }
            }
            cur.rows += 1;
        }
        Ok(())
    }

    fn end_table(&mut self) -> Result<()> {
        let Some(mut cur) = self.cur.take() else {
            return Err(Error::Internal("dump end_table before begin_table".into()));
        };
        let io = |e| Error::io(&self.out, e);
        if cur.kind == SegKind::Insert && cur.stmt_bytes > 0 {
            cur.spill.write_all(b";").map_err(io)?;
        }
        let file = cur.spill.into_inner().map_err(|e| io(e.into_error()))?;
        self.spills[cur.table] = Some(file);
        Ok(())
    }

    fn commit(mut self: Box<Self>) -> Result<()> {
        if self.cur.is_some() {
            return Err(Error::Internal("dump committed inside a table".into()));
        }
        let io_out = |e| Error::io(&self.out, e);
        let mut out = BufWriter::with_capacity(1 << 20, AtomicFile::create(&self.out)?);
        out.write_all(self.preamble()).map_err(io_out)?;
        // Every table's row ranges, in file order; a table's rows go where its first range was.
        let mut ranges: Vec<(u64, u64, usize, bool)> = Vec::new();
        for (t, ti) in self.tables.iter().enumerate() {
            for (k, s) in ti.segments.iter().enumerate() {
                ranges.push((s.start, s.end, t, k == 0));
            }
        }
        ranges.sort_unstable();
        let mut input = File::open(&self.plain.path).map_err(|e| Error::io(&self.plain.path, e))?;
        let mut pos = 0u64;
        for (start, end, t, first) in ranges {
            copy_range(&mut input, pos, start, &mut out)
                .map_err(|e| Error::io(&self.plain.path, e))?;
            if first && let Some(spill) = self.spills[t].as_mut() {
                spill.rewind().map_err(io_out)?;
                std::io::copy(spill, &mut out).map_err(io_out)?;
            }
            pos = end;
        }
        let len = input
            .metadata()
            .map_err(|e| Error::io(&self.plain.path, e))?
            .len();
        copy_range(&mut input, pos, len, &mut out).map_err(|e| Error::io(&self.plain.path, e))?;
        if self.dialect == Dialect::MySql {
            out.write_all(b"\n/*!40101 SET SQL_MODE=@ANONKOS_OLD_SQL_MODE */;\n")
                .map_err(io_out)?;
        }
        let file = out.into_inner().map_err(|e| io_out(e.into_error()))?;
        file.commit()
    }
}

/// Copy `input[from..to]` to `out`.
fn copy_range(input: &mut File, from: u64, to: u64, out: &mut impl Write) -> std::io::Result<()> {
    if to <= from {
        return Ok(());
    }
    input.seek(std::io::SeekFrom::Start(from))?;
    let n = std::io::copy(&mut (&mut *input).take(to - from), out)?;
    if n != to - from {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "the input dump changed while it was being written",
        ));
    }
    Ok(())
}
