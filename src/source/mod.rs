//! Readers. Every format yields the same bounded [`Batch`] stream through [`Source`].
//!
//! [`open`] picks a reader by extension, then by sniffing the first bytes, so a Parquet file
//! named `.dat` still opens. Readers never modify their input.
use std::path::Path;

use arrow_schema::SchemaRef;

use crate::error::{Error, Location, Result};
use crate::value::{Batch, DEFAULT_BATCH_ROWS};

pub mod csv;
pub mod parquet;

/// The file formats anonkos reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Delimited text (CSV, TSV, semicolon or pipe separated), optionally gzip/zstd compressed.
    Csv,
    /// Apache Parquet.
    Parquet,
}

impl Format {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
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
}

/// Open every dataset in the file at `path`. `display` is how the path is named in messages.
pub fn open(path: &Path, display: &str, opts: &ReadOptions) -> Result<Vec<Box<dyn Source>>> {
    let format = detect_format(path, display)?;
    Ok(match format {
        Format::Csv => vec![Box::new(csv::CsvSource::open(path, display, opts)?)],
        Format::Parquet => vec![Box::new(parquet::ParquetSource::open(path, display, opts)?)],
    })
}

/// File extensions anonkos recognises when walking a directory.
pub const KNOWN_EXTENSIONS: &[&str] = &[
    "csv", "tsv", "txt", "psv", "csv.gz", "csv.zst", "tsv.gz", "tsv.zst", "parquet", "pq",
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

/// Format by magic bytes first (Parquet starts with `PAR1`), then by extension.
fn detect_format(path: &Path, display: &str) -> Result<Format> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut magic = [0u8; 4];
    let n = f.read(&mut magic).map_err(|e| Error::io(path, e))?;
    if n == 4 && &magic == b"PAR1" {
        return Ok(Format::Parquet);
    }
    let name = path.to_string_lossy().to_lowercase();
    if name.ends_with(".parquet") || name.ends_with(".pq") {
        return Err(Error::input(
            Location::dataset(display),
            "not a Parquet file (missing PAR1 magic bytes); the file may be truncated or corrupt",
        ));
    }
    Ok(Format::Csv)
}
