//! SQL dump output in the input's dialect: PostgreSQL (`CREATE TABLE` + `COPY … FROM stdin`,
//! loadable with `psql -f`) or MySQL/MariaDB (`CREATE TABLE` + extended `INSERT`s, loadable
//! with `mariadb DB < file`). Columns keep their declared SQL type when the action kept their
//! values (field metadata `anonkos.sql_type`); transformed columns become text.
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_cast::display::FormatOptions;
use arrow_schema::{DataType, SchemaRef};

use super::Writer;
use super::atomic::AtomicFile;
use super::text::TextRows;
use crate::error::{Error, Result};
use crate::source::rows::{SQL_TYPE_KEY, quote_ident};

/// The SQL dialect written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// PostgreSQL.
    Pg,
    /// MySQL / MariaDB.
    MySql,
}

/// Bytes per extended INSERT statement (mysqldump's default net_buffer_length is 1 MB).
const INSERT_BYTES: usize = 1 << 20;

/// Writes tables as one SQL dump.
pub struct DumpWriter {
    path: PathBuf,
    flavour: Flavour,
    out: Option<BufWriter<AtomicFile>>,
    table: Option<String>,
    stmt_bytes: usize,
    line: String,
}

impl DumpWriter {
    /// Start writing `path`.
    pub fn create(path: &Path, flavour: Flavour) -> Result<Self> {
        let file = AtomicFile::create(path)?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let header = match flavour {
            Flavour::Pg => {
                "--\n-- PostgreSQL database dump written by anonkos (anonymised)\n--\n\nSET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n\n"
            }
            Flavour::MySql => {
                "-- MySQL dump written by anonkos (anonymised)\n/*!40101 SET NAMES utf8mb4 */;\n/*!40014 SET FOREIGN_KEY_CHECKS=0 */;\n\n"
            }
        };
        out.write_all(header.as_bytes())
            .map_err(|e| Error::io(path, e))?;
        Ok(DumpWriter {
            path: path.to_path_buf(),
            flavour,
            out: Some(out),
            table: None,
            stmt_bytes: 0,
            line: String::new(),
        })
    }

    fn io(&self, e: std::io::Error) -> Error {
        Error::io(&self.path, e)
    }

    fn emit(&mut self, s: &str) -> Result<()> {
        let r = match self.out.as_mut() {
            Some(o) => o.write_all(s.as_bytes()),
            None => return Err(Error::Internal("dump writer already committed".into())),
        };
        r.map_err(|e| self.io(e))
    }

    fn ident(&self, name: &str) -> String {
        match self.flavour {
            Flavour::Pg => quote_ident(name),
            Flavour::MySql => format!("`{}`", name.replace('`', "``")),
        }
    }

    fn qualified(&self, name: &str) -> String {
        // `schema.table` from dumps and databases; PostgreSQL keeps the schema.
        match (self.flavour, name.split_once('.')) {
            (Flavour::Pg, Some((schema, table))) => {
                format!("{}.{}", self.ident(schema), self.ident(table))
            }
            (Flavour::MySql, Some((_, table))) => self.ident(table),
            _ => self.ident(name),
        }
    }
}

/// Column type for the CREATE TABLE: the declared SQL type if the values were kept, else a
/// type that holds any text the transforms produce.
fn column_type(field: &arrow_schema::Field, flavour: Flavour) -> String {
    if let Some(t) = field.metadata().get(SQL_TYPE_KEY) {
        return t.clone();
    }
    match (field.data_type(), flavour) {
        (DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64, _) => {
            "bigint".into()
        }
        (DataType::Float32 | DataType::Float64, Flavour::Pg) => "double precision".into(),
        (DataType::Float32 | DataType::Float64, Flavour::MySql) => "double".into(),
        (DataType::Boolean, _) => "boolean".into(),
        (_, Flavour::Pg) => "text".into(),
        (_, Flavour::MySql) => "longtext".into(),
    }
}

impl Writer for DumpWriter {
    fn begin_table(&mut self, table: Option<&str>, schema: &SchemaRef) -> Result<()> {
        let name = table.unwrap_or("data").to_string();
        let q = self.qualified(&name);
        let cols: Vec<String> = schema
            .fields()
            .iter()
            .map(|f| {
                format!(
                    "    {} {}",
                    self.ident(f.name()),
                    column_type(f, self.flavour)
                )
            })
            .collect();
        let mut ddl = String::new();
        if self.flavour == Flavour::Pg
            && let Some((schema_name, _)) = name.split_once('.')
            && schema_name != "public"
        {
            ddl.push_str(&format!(
                "CREATE SCHEMA IF NOT EXISTS {};\n",
                self.ident(schema_name)
            ));
        }
        ddl.push_str(&format!("CREATE TABLE {q} (\n{}\n);\n\n", cols.join(",\n")));
        if self.flavour == Flavour::Pg {
            let names: Vec<String> = schema
                .fields()
                .iter()
                .map(|f| self.ident(f.name()))
                .collect();
            ddl.push_str(&format!("COPY {q} ({}) FROM stdin;\n", names.join(", ")));
        }
        self.emit(&ddl)?;
        self.table = Some(q);
        self.stmt_bytes = 0;
        Ok(())
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let Some(q) = self.table.clone() else {
            return Err(Error::Internal("dump write before begin_table".into()));
        };
        let opts = FormatOptions::default();
        let mut rows = TextRows::new(batch, &opts)?;
        let mut line = std::mem::take(&mut self.line);
        for r in 0..batch.num_rows() {
            rows.load(r)?;
            line.clear();
            match self.flavour {
                Flavour::Pg => {
                    for j in 0..batch.num_columns() {
                        if j > 0 {
                            line.push('\t');
                        }
                        match rows.cell(j) {
                            None => line.push_str("\\N"),
                            Some(v) => copy_escape(v, &mut line),
                        }
                    }
                    line.push('\n');
                }
                Flavour::MySql => {
                    if self.stmt_bytes == 0 {
                        line.push_str(&format!("INSERT INTO {q} VALUES ("));
                    } else {
                        line.push_str(",(");
                    }
                    for j in 0..batch.num_columns() {
                        if j > 0 {
                            line.push(',');
                        }
                        match rows.cell(j) {
                            None => line.push_str("NULL"),
                            Some(v) => mysql_literal(v, &mut line),
                        }
                    }
                    line.push(')');
                    self.stmt_bytes += line.len();
                    if self.stmt_bytes >= INSERT_BYTES {
                        line.push_str(";\n");
                        self.stmt_bytes = 0;
                    }
                }
            }
            self.emit(&line)?;
        }
        self.line = line;
        Ok(())
    }

    fn end_table(&mut self) -> Result<()> {
        match self.flavour {
            Flavour::Pg => self.emit("\\.\n\n")?,
            Flavour::MySql => {
                if self.stmt_bytes > 0 {
                    self.emit(";\n")?;
                }
                self.emit("\n")?;
            }
        }
        self.table = None;
        self.stmt_bytes = 0;
        Ok(())
    }

    fn commit(mut self: Box<Self>) -> Result<()> {
        let out = self
            .out
            .take()
            .ok_or_else(|| Error::Internal("dump writer committed twice".into()))?;
        let file = out.into_inner().map_err(|e| self.io(e.into_error()))?;
        file.commit()
    }
}

/// PostgreSQL COPY text escaping.
fn copy_escape(v: &str, out: &mut String) {
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
}

/// A MySQL string literal with mysqldump's escapes.
fn mysql_literal(v: &str, out: &mut String) {
    out.push('\'');
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            '\u{1a}' => out.push_str("\\Z"),
            c => out.push(c),
        }
    }
    out.push('\'');
}
