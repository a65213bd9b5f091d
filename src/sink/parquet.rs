//! Parquet output: one table, Arrow types kept, zstd compression, row groups of 128 Ki rows
//! (bounded writer memory).
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use super::Writer;
use super::atomic::AtomicFile;
use crate::error::{Error, Result};

/// Rows per row group.
const ROW_GROUP_ROWS: usize = 128 * 1024;

/// Writes one table as Parquet.
pub struct ParquetWriter {
    path: PathBuf,
    file: Option<AtomicFile>,
    out: Option<ArrowWriter<AtomicFile>>,
}

impl ParquetWriter {
    /// Start writing `path`.
    pub fn create(path: &Path) -> Result<Self> {
        Ok(ParquetWriter {
            path: path.to_path_buf(),
            file: Some(AtomicFile::create(path)?),
            out: None,
        })
    }

    fn err(&self, e: impl std::fmt::Display) -> Error {
        Error::io(&self.path, std::io::Error::other(e.to_string()))
    }
}

impl Writer for ParquetWriter {
    fn begin_table(&mut self, _table: Option<&str>, schema: &SchemaRef) -> Result<()> {
        let file = self
            .file
            .take()
            .ok_or_else(|| Error::Internal("a Parquet file holds one table".into()))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_created_by(format!("anonkos {}", env!("CARGO_PKG_VERSION")))
            .build();
        let w = ArrowWriter::try_new(file, schema.clone(), Some(props)).map_err(|e| self.err(e))?;
        self.out = Some(w);
        Ok(())
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let path = self.path.clone();
        let w = self
            .out
            .as_mut()
            .ok_or_else(|| Error::Internal("Parquet write before begin_table".into()))?;
        w.write(batch)
            .map_err(|e| Error::io(&path, std::io::Error::other(e.to_string())))
    }

    fn end_table(&mut self) -> Result<()> {
        Ok(())
    }

    fn commit(mut self: Box<Self>) -> Result<()> {
        let w = self
            .out
            .take()
            .ok_or_else(|| Error::Internal("Parquet commit before begin_table".into()))?;
        let file = w.into_inner().map_err(|e| self.err(e))?;
        file.commit()
    }
}
