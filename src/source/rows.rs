//! Shared plumbing for row-oriented sources (SQL dumps, SQLite, live databases): a text schema
//! that remembers each column's SQL type, and a builder that turns rows into bounded [`Batch`]es.
use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::builder::StringBuilder;
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};

use crate::error::{Error, Result};
use crate::value::Batch;

/// Field metadata key holding the column's declared SQL type (`integer`, `varchar(40)`, ...).
/// Reports show it instead of the Arrow type, which is `Utf8` for every row-source column.
pub const SQL_TYPE_KEY: &str = "anonkos.sql_type";

/// Field metadata keys for a column's keys (from the DDL of dumps): `anonkos.key` lists
/// `primary`/`unique`/`foreign`, `anonkos.references` names the referenced `table` and
/// `column` (separated by a unit separator), `anonkos.not_null` is `true` for NOT NULL.
const KEY_KEY: &str = "anonkos.key";
const REFERENCES_KEY: &str = "anonkos.references";
const NOT_NULL_KEY: &str = "anonkos.not_null";

/// What the source's schema declares about a column's keys.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ColumnKeys {
    /// Part of the primary key.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub primary: bool,
    /// Part of a UNIQUE constraint.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unique: bool,
    /// References `(table, column)` through a foreign key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub references: Option<(String, String)>,
    /// Declared NOT NULL.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub not_null: bool,
    /// Part of the partition key (rows are placed in partitions by it).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub partition: bool,
}

impl ColumnKeys {
    /// Whether the column is part of any key: its values identify rows or join tables.
    pub fn is_key(&self) -> bool {
        self.primary || self.unique || self.references.is_some()
    }

    /// Read from a field's metadata.
    pub fn of(field: &Field) -> ColumnKeys {
        let m = field.metadata();
        let kinds = m.get(KEY_KEY).map(String::as_str).unwrap_or("");
        ColumnKeys {
            primary: kinds.split(',').any(|k| k == "primary"),
            partition: kinds.split(',').any(|k| k == "partition"),
            unique: kinds.split(',').any(|k| k == "unique"),
            references: m
                .get(REFERENCES_KEY)
                .and_then(|r| r.split_once('\u{1f}'))
                .map(|(t, c)| (t.to_string(), c.to_string())),
            not_null: m.get(NOT_NULL_KEY).is_some_and(|v| v == "true"),
        }
    }

    /// `field` with these keys in its metadata.
    pub fn annotate(&self, field: Field) -> Field {
        let mut m = field.metadata().clone();
        let mut kinds = Vec::new();
        if self.primary {
            kinds.push("primary");
        }
        if self.unique {
            kinds.push("unique");
        }
        if self.partition {
            kinds.push("partition");
        }
        if let Some((t, c)) = &self.references {
            kinds.push("foreign");
            m.insert(REFERENCES_KEY.to_string(), format!("{t}\u{1f}{c}"));
        }
        if !kinds.is_empty() {
            m.insert(KEY_KEY.to_string(), kinds.join(","));
        }
        if self.not_null {
            m.insert(NOT_NULL_KEY.to_string(), "true".to_string());
        }
        field.with_metadata(m)
    }
}

/// A schema of nullable Utf8 columns, each tagged with its SQL type when one is known.
pub fn text_schema<S: AsRef<str>>(columns: &[(S, Option<S>)]) -> SchemaRef {
    let fields: Vec<Field> = columns
        .iter()
        .map(|(name, ty)| {
            let f = Field::new(name.as_ref(), DataType::Utf8, true);
            match ty {
                Some(t) => f.with_metadata(HashMap::from([(
                    SQL_TYPE_KEY.to_string(),
                    t.as_ref().to_string(),
                )])),
                None => f,
            }
        })
        .collect();
    Arc::new(Schema::new(fields))
}

/// Whether a declared SQL type holds raw bytes: MySQL `binary(n)`, `varbinary(n)`,
/// `tinyblob`, `blob`, `mediumblob`, `longblob`; PostgreSQL `bytea` (not arrays of them).
/// Values of such columns are carried as [`bytea_hex`] text.
pub fn is_binary_sql_type(ty: &str) -> bool {
    let t = ty.trim().to_ascii_lowercase();
    if t.contains('[') {
        return false;
    }
    let base = t
        .split(|c: char| c == '(' || c.is_ascii_whitespace())
        .next()
        .unwrap_or("");
    matches!(
        base,
        "binary" | "varbinary" | "tinyblob" | "blob" | "mediumblob" | "longblob" | "bytea"
    )
}

/// Raw bytes as text in PostgreSQL's bytea hex form: `\x` then two lower-case hex digits per
/// byte. This is the contract between the dump readers and writers: a binary value read from
/// any dump is exactly this string, and writers turn it back into `0x…` / bytea.
pub fn bytea_hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(2 + bytes.len() * 2);
    s.push_str("\\x");
    s.push_str(&crate::digest::hex(bytes));
    s
}

/// A double-quoted SQL identifier (PostgreSQL, SQLite), embedded quotes doubled.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The type to show for a field: its SQL type if tagged, else the Arrow type.
pub fn display_type(field: &Field) -> String {
    field
        .metadata()
        .get(SQL_TYPE_KEY)
        .cloned()
        .unwrap_or_else(|| field.data_type().to_string())
}

/// Collects rows of optional strings into batches of at most `batch_rows` rows.
pub struct RowBatcher {
    schema: SchemaRef,
    builders: Vec<StringBuilder>,
    batch_rows: usize,
    rows: usize,
    /// 1-based number of the next row to be pushed.
    next_row: u64,
    /// Row number of the first row in the builders.
    first_row: u64,
}

impl RowBatcher {
    /// A batcher for `schema` (all Utf8) whose first row is row 1.
    pub fn new(schema: SchemaRef, batch_rows: usize) -> Self {
        let builders = (0..schema.fields().len())
            .map(|_| StringBuilder::with_capacity(batch_rows.min(4096), 0))
            .collect();
        RowBatcher {
            schema,
            builders,
            batch_rows: batch_rows.max(1),
            rows: 0,
            next_row: 1,
            first_row: 1,
        }
    }

    /// Number of columns.
    pub fn width(&self) -> usize {
        self.builders.len()
    }

    /// Rows pushed so far in total.
    pub fn rows_pushed(&self) -> u64 {
        self.next_row - 1
    }

    /// Whether the current batch is full and should be taken.
    pub fn is_full(&self) -> bool {
        self.rows >= self.batch_rows
    }

    /// Set the row number of the next row (sampled reads that skip ahead).
    pub fn set_next_row(&mut self, row: u64) {
        if self.rows == 0 {
            self.first_row = row;
        }
        self.next_row = row;
    }

    /// Append one row; `values.len()` must equal [`RowBatcher::width`].
    pub fn push<S: AsRef<str>>(&mut self, values: &[Option<S>]) {
        debug_assert_eq!(values.len(), self.builders.len());
        if self.rows == 0 {
            self.first_row = self.next_row;
        }
        for (b, v) in self.builders.iter_mut().zip(values) {
            match v {
                Some(s) => b.append_value(s.as_ref()),
                None => b.append_null(),
            }
        }
        self.rows += 1;
        self.next_row += 1;
    }

    /// Append one cell of the row being built (cells in column order; finish with
    /// [`RowBatcher::end_row`]). Avoids building a row vector when values are decoded in place.
    pub fn append_cell(&mut self, col: usize, value: Option<&str>) {
        let b = &mut self.builders[col];
        match value {
            Some(s) => b.append_value(s),
            None => b.append_null(),
        }
    }

    /// Close a row whose cells were added with [`RowBatcher::append_cell`].
    pub fn end_row(&mut self) {
        if self.rows == 0 {
            self.first_row = self.next_row;
        }
        self.rows += 1;
        self.next_row += 1;
    }

    /// Room left in the current batch.
    pub fn room(&self) -> usize {
        self.batch_rows.saturating_sub(self.rows)
    }

    /// Take the rows collected so far as a batch (`None` if there are none).
    pub fn take(&mut self) -> Result<Option<Batch>> {
        if self.rows == 0 {
            return Ok(None);
        }
        let arrays: Vec<ArrayRef> = self
            .builders
            .iter_mut()
            .map(|b| Arc::new(b.finish()) as ArrayRef)
            .collect();
        let data = RecordBatch::try_new(self.schema.clone(), arrays)
            .map_err(|e| Error::Internal(format!("building a batch: {e}")))?;
        self.rows = 0;
        Ok(Some(Batch {
            first_row: self.first_row,
            data,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Array, StringArray};

    #[test]
    fn batches_rows_and_keeps_types() {
        let schema = text_schema(&[("id", Some("integer")), ("name", None)]);
        assert_eq!(display_type(schema.field(0)), "integer");
        assert_eq!(display_type(schema.field(1)), "Utf8");
        let mut b = RowBatcher::new(schema, 2);
        b.push(&[Some("1"), Some("Arta")]);
        b.push(&[Some("2"), None::<&str>]);
        assert!(b.is_full());
        let batch = b.take().unwrap().unwrap();
        assert_eq!(batch.first_row, 1);
        let names = batch
            .data
            .column(1)
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap();
        assert!(names.is_null(1));
        b.set_next_row(10);
        b.push(&[Some("10"), Some("x")]);
        let batch = b.take().unwrap().unwrap();
        assert_eq!(batch.first_row, 10);
        assert_eq!(b.rows_pushed(), 10);
        assert!(b.take().unwrap().is_none());
    }

    #[test]
    fn binary_types_and_their_text_form() {
        for t in [
            "blob",
            "LONGBLOB",
            "binary(16)",
            "varbinary(255)",
            "bytea",
            "tinyblob",
            "mediumblob",
        ] {
            assert!(is_binary_sql_type(t), "{t}");
        }
        for t in [
            "bytea[]",
            "varchar(10)",
            "char(10) binary",
            "text",
            "blobby",
            "",
            "bit(8)",
        ] {
            assert!(!is_binary_sql_type(t), "{t}");
        }
        assert_eq!(bytea_hex(&[0, 0x27, 0x5c, 0xff]), "\\x00275cff");
        assert_eq!(bytea_hex(&[]), "\\x");
    }
}
