//! Writers. Every output is written through [`atomic::AtomicFile`] (or, for SQLite, a
//! temporary database renamed into place), so an output appears complete or not at all.
//!
//! A [`Writer`] takes one or more tables as Arrow batches: CSV and Parquet files hold one
//! table each; SQLite files, SQL dumps and workbooks hold every table of the source they came
//! from.
use std::path::Path;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;

use crate::error::Result;

pub mod atomic;
pub mod csv;
pub mod parquet;
pub mod sqldump;
pub mod sqlite;
mod text;
pub mod xlsx;

/// Output file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutFormat {
    /// Comma-separated UTF-8 with a header row.
    Csv,
    /// Parquet (zstd), Arrow types kept.
    Parquet,
    /// An SQLite database, one table per dataset.
    Sqlite,
    /// A plain pg_dump file, loadable with `psql -f`: the input dump with its rows rewritten.
    PgDump,
    /// A mysqldump file, loadable with `mariadb DB < file`: the input dump with its rows
    /// rewritten.
    MysqlDump,
    /// An Excel workbook (`.xlsx`), one sheet per table, cell types kept.
    Xlsx,
}

impl OutFormat {
    /// File extension.
    pub fn extension(self) -> &'static str {
        match self {
            OutFormat::Csv => "csv",
            OutFormat::Parquet => "parquet",
            OutFormat::Sqlite => "sqlite",
            OutFormat::PgDump | OutFormat::MysqlDump => "sql",
            OutFormat::Xlsx => "xlsx",
        }
    }

    /// Whether one file holds many tables.
    pub fn is_multi_table(self) -> bool {
        matches!(
            self,
            OutFormat::Sqlite | OutFormat::PgDump | OutFormat::MysqlDump | OutFormat::Xlsx
        )
    }
}

/// Writes tables to one output file.
pub trait Writer: Send {
    /// Start a table (`None` for single-table formats).
    fn begin_table(&mut self, table: Option<&str>, schema: &SchemaRef) -> Result<()>;
    /// Append rows to the current table.
    fn write(&mut self, batch: &RecordBatch) -> Result<()>;
    /// Close the current table.
    fn end_table(&mut self) -> Result<()>;
    /// Finish the file and move it into place. Dropping a writer without committing leaves
    /// no output behind.
    fn commit(self: Box<Self>) -> Result<()>;
}

/// A writer for `path` in `format`, with the pipeline's output options (`[output]
/// csv_formulas`). Dump outputs are a copy of their input dump with the rows rewritten, so they
/// need `input` (the dump the tables come from; its dialect is the output's).
pub fn create(
    path: &Path,
    format: OutFormat,
    input: Option<&Path>,
    spec: &crate::config::pipeline::OutputSpec,
) -> Result<Box<dyn Writer>> {
    use crate::config::pipeline::CsvFormulas;
    Ok(match format {
        OutFormat::Csv => Box::new(
            csv::CsvWriter::create(path)?
                .neutralise_formulas(spec.csv_formulas == CsvFormulas::Neutralise),
        ),
        OutFormat::Parquet => Box::new(parquet::ParquetWriter::create(path)?),
        OutFormat::Sqlite => Box::new(sqlite::SqliteWriter::create(path)?),
        OutFormat::Xlsx => Box::new(xlsx::XlsxWriter::create(path)?),
        OutFormat::PgDump | OutFormat::MysqlDump => {
            let input = input.ok_or_else(|| {
                crate::error::Error::Internal("a dump output needs the dump it comes from".into())
            })?;
            Box::new(sqldump::SpliceWriter::create(path, input)?)
        }
    })
}
