//! Benchmark dumps: the bench patients table written as a plain `pg_dump`-style file (one
//! `COPY` block) or a `mysqldump`-style file (extended `INSERT`s of about 1 MB, as mysqldump's
//! default `net_buffer_length` makes them), streamed with bounded memory.
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::error::{Error, Result};
use crate::sink::atomic::AtomicFile;

/// The SQL flavour of a benchmark dump.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DumpKind {
    /// `pg_dump` plain format with `COPY … FROM stdin`.
    Pg,
    /// `mysqldump` with extended inserts.
    MySql,
}

/// Convert a CSV (header row first) into a dump of one table named `patients`. Returns the
/// dump's size in bytes.
pub fn csv_to_dump(csv_path: &Path, out: &Path, kind: DumpKind) -> Result<u64> {
    let mut rdr = csv::ReaderBuilder::new()
        .from_path(csv_path)
        .map_err(|e| Error::Internal(format!("{}: {e}", csv_path.display())))?;
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| Error::Internal(format!("{}: {e}", csv_path.display())))?
        .iter()
        .map(str::to_string)
        .collect();
    let mut file = AtomicFile::create(out)?;
    let mut w = BufWriter::with_capacity(1 << 20, &mut file);
    let io = |e: std::io::Error| Error::io(out, e);
    match kind {
        DumpKind::Pg => {
            writeln!(w, "--\n-- PostgreSQL database dump\n--\n\nSET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n").map_err(io)?;
            let cols: Vec<String> = header.iter().map(|c| format!("    {c} text")).collect();
            writeln!(
                w,
                "CREATE TABLE public.patients (\n{}\n);\n",
                cols.join(",\n")
            )
            .map_err(io)?;
            writeln!(
                w,
                "COPY public.patients ({}) FROM stdin;",
                header.join(", ")
            )
            .map_err(io)?;
        }
        DumpKind::MySql => {
            writeln!(w, "-- MySQL dump 10.13\n/*!40101 SET NAMES utf8mb4 */;\n").map_err(io)?;
            let cols: Vec<String> = header
                .iter()
                .map(|c| format!("  `{c}` varchar(255)"))
                .collect();
            writeln!(
                w,
                "CREATE TABLE `patients` (\n{}\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n",
                cols.join(",\n")
            )
            .map_err(io)?;
        }
    }
    let mut stmt_bytes = 0usize;
    let mut rec = csv::StringRecord::new();
    let mut line = String::new();
    loop {
        match rdr.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(Error::Internal(format!("{}: {e}", csv_path.display()))),
        }
        line.clear();
        match kind {
            DumpKind::Pg => {
                for (i, v) in rec.iter().enumerate() {
                    if i > 0 {
                        line.push('\t');
                    }
                    if v.is_empty() {
                        line.push_str("\\N");
                    }
                    for c in v.chars() {
                        match c {
                            '\\' => line.push_str("\\\\"),
                            '\n' => line.push_str("\\n"),
                            '\r' => line.push_str("\\r"),
                            '\t' => line.push_str("\\t"),
                            c => line.push(c),
                        }
                    }
                }
                line.push('\n');
            }
            DumpKind::MySql => {
                line.push_str(if stmt_bytes == 0 {
                    "INSERT INTO `patients` VALUES ("
                } else {
                    ",("
                });
                for (i, v) in rec.iter().enumerate() {
                    if i > 0 {
                        line.push(',');
                    }
                    if v.is_empty() {
                        line.push_str("NULL");
                        continue;
                    }
                    line.push('\'');
                    for c in v.chars() {
                        match c {
                            '\\' => line.push_str("\\\\"),
                            '\'' => line.push_str("\\'"),
                            '\n' => line.push_str("\\n"),
                            '\r' => line.push_str("\\r"),
                            c => line.push(c),
                        }
                    }
                    line.push('\'');
                }
                line.push(')');
                stmt_bytes += line.len();
                if stmt_bytes > 1_000_000 {
                    line.push_str(";\n");
                    stmt_bytes = 0;
                }
            }
        }
        w.write_all(line.as_bytes()).map_err(io)?;
    }
    match kind {
        DumpKind::Pg => w
            .write_all(b"\\.\n\n-- PostgreSQL database dump complete\n")
            .map_err(io)?,
        DumpKind::MySql => {
            if stmt_bytes > 0 {
                w.write_all(b";\n").map_err(io)?;
            }
        }
    }
    w.flush().map_err(io)?;
    drop(w);
    file.commit()?;
    std::fs::metadata(out).map(|m| m.len()).map_err(io)
}
