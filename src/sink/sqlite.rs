//! SQLite output: one table per dataset in one database file. The database is built under a
//! temporary name in the target directory and renamed into place on commit.
use std::path::{Path, PathBuf};

use arrow_array::{Array, RecordBatch};
use arrow_cast::display::FormatOptions;
use arrow_schema::{DataType, SchemaRef};
use rusqlite::Connection;

use super::Writer;
use super::text::TextRows;
use crate::error::{Error, Result};
use crate::source::rows::quote_ident;

/// Writes tables into one SQLite file.
pub struct SqliteWriter {
    path: PathBuf,
    temp: Option<tempfile::TempPath>,
    conn: Option<Connection>,
    table: Option<(String, usize, Vec<DataType>)>,
}

impl SqliteWriter {
    /// Start writing `path`.
    pub fn create(path: &Path) -> Result<Self> {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let temp = tempfile::Builder::new()
            .prefix(".anonkos-")
            .suffix(".sqlite.tmp")
            .tempfile_in(&dir)
            .map_err(|e| Error::io(path, e))?
            .into_temp_path();
        let conn = Connection::open(&temp).map_err(|e| sql_err(path, e))?;
        // One writer, a file renamed only when complete: no journal needed.
        conn.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")
            .map_err(|e| sql_err(path, e))?;
        Ok(SqliteWriter {
            path: path.to_path_buf(),
            temp: Some(temp),
            conn: Some(conn),
            table: None,
        })
    }

    fn conn(&self) -> Result<&Connection> {
        self.conn
            .as_ref()
            .ok_or_else(|| Error::Internal("SQLite writer already committed".into()))
    }
}

fn sql_err(path: &Path, e: rusqlite::Error) -> Error {
    Error::io(path, std::io::Error::other(e.to_string()))
}

fn affinity(t: &DataType) -> &'static str {
    match t {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64
        | DataType::Boolean => "INTEGER",
        DataType::Float16 | DataType::Float32 | DataType::Float64 => "REAL",
        DataType::Binary | DataType::LargeBinary | DataType::FixedSizeBinary(_) => "BLOB",
        _ => "TEXT",
    }
}

impl Writer for SqliteWriter {
    fn begin_table(&mut self, table: Option<&str>, schema: &SchemaRef) -> Result<()> {
        let name = table.unwrap_or("data").to_string();
        let cols: Vec<String> = schema
            .fields()
            .iter()
            .map(|f| format!("{} {}", quote_ident(f.name()), affinity(f.data_type())))
            .collect();
        let conn = self.conn()?;
        conn.execute_batch(&format!(
            "CREATE TABLE {} ({}); BEGIN;",
            quote_ident(&name),
            cols.join(", ")
        ))
        .map_err(|e| sql_err(&self.path, e))?;
        let types = schema
            .fields()
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        self.table = Some((name, schema.fields().len(), types));
        Ok(())
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let Some((name, width, types)) = &self.table else {
            return Err(Error::Internal("SQLite write before begin_table".into()));
        };
        let conn = self.conn()?;
        let marks = vec!["?"; *width].join(", ");
        let mut stmt = conn
            .prepare(&format!(
                "INSERT INTO {} VALUES ({marks})",
                quote_ident(name)
            ))
            .map_err(|e| sql_err(&self.path, e))?;
        let opts = FormatOptions::default();
        let mut rows = TextRows::new(batch, &opts)?;
        let mut params: Vec<rusqlite::types::Value> = Vec::with_capacity(*width);
        for r in 0..batch.num_rows() {
            rows.load(r)?;
            params.clear();
            for (j, t) in types.iter().enumerate() {
                let v = match rows.cell(j) {
                    None => rusqlite::types::Value::Null,
                    Some(s) => match affinity(t) {
                        "INTEGER" => match s {
                            "true" => rusqlite::types::Value::Integer(1),
                            "false" => rusqlite::types::Value::Integer(0),
                            _ => s.parse::<i64>().map_or_else(
                                |_| rusqlite::types::Value::Text(s.to_string()),
                                rusqlite::types::Value::Integer,
                            ),
                        },
                        "REAL" => s.parse::<f64>().map_or_else(
                            |_| rusqlite::types::Value::Text(s.to_string()),
                            rusqlite::types::Value::Real,
                        ),
                        "BLOB" => blob(batch.column(j).as_ref(), r),
                        _ => rusqlite::types::Value::Text(s.to_string()),
                    },
                };
                params.push(v);
            }
            stmt.execute(rusqlite::params_from_iter(params.iter()))
                .map_err(|e| sql_err(&self.path, e))?;
        }
        Ok(())
    }

    fn end_table(&mut self) -> Result<()> {
        self.conn()?
            .execute_batch("COMMIT;")
            .map_err(|e| sql_err(&self.path, e))?;
        self.table = None;
        Ok(())
    }

    fn commit(mut self: Box<Self>) -> Result<()> {
        if let Some(conn) = self.conn.take() {
            conn.close().map_err(|(_, e)| sql_err(&self.path, e))?;
        }
        let temp = self
            .temp
            .take()
            .ok_or_else(|| Error::Internal("SQLite writer committed twice".into()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&temp, std::fs::Permissions::from_mode(0o644))
                .map_err(|e| Error::io(&self.path, e))?;
        }
        let f = std::fs::File::open(&temp).map_err(|e| Error::io(&self.path, e))?;
        f.sync_all().map_err(|e| Error::io(&self.path, e))?;
        temp.persist(&self.path)
            .map_err(|e| Error::io(&self.path, e.error))?;
        Ok(())
    }
}

fn blob(col: &dyn Array, r: usize) -> rusqlite::types::Value {
    use arrow_array::cast::AsArray;
    match col.data_type() {
        DataType::Binary => rusqlite::types::Value::Blob(col.as_binary::<i32>().value(r).to_vec()),
        DataType::LargeBinary => {
            rusqlite::types::Value::Blob(col.as_binary::<i64>().value(r).to_vec())
        }
        DataType::FixedSizeBinary(_) => {
            rusqlite::types::Value::Blob(col.as_fixed_size_binary().value(r).to_vec())
        }
        _ => rusqlite::types::Value::Null,
    }
}
