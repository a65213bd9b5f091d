//! CSV output: UTF-8, comma-separated, RFC 4180 quoting, a header row, empty cells for NULL.
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;

use super::Writer;
use super::atomic::AtomicFile;
use super::text::TextRows;
use crate::error::{Error, Result};

/// Writes one table as CSV.
pub struct CsvWriter {
    path: PathBuf,
    out: Option<::csv::Writer<BufWriter<AtomicFile>>>,
    file: Option<AtomicFile>,
    started: bool,
    /// Prefix cells that start like a spreadsheet formula with `'`.
    neutralise: bool,
}

/// Whether a spreadsheet would read `cell` as a formula (OWASP CSV injection).
fn starts_like_formula(cell: &[u8]) -> bool {
    matches!(
        cell.first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    )
}

/// `cell`, with a leading `'` when `neutralise` is set and it starts like a formula.
fn field(cell: &[u8], neutralise: bool) -> std::borrow::Cow<'_, [u8]> {
    if neutralise && starts_like_formula(cell) {
        let mut v = Vec::with_capacity(cell.len() + 1);
        v.push(b'\'');
        v.extend_from_slice(cell);
        std::borrow::Cow::Owned(v)
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

impl CsvWriter {
    /// Start writing `path`.
    pub fn create(path: &Path) -> Result<Self> {
        Ok(CsvWriter {
            path: path.to_path_buf(),
            out: None,
            file: Some(AtomicFile::create(path)?),
            started: false,
            neutralise: false,
        })
    }

    /// Prefix cells (header included) that start like a spreadsheet formula with `'`.
    pub fn neutralise_formulas(mut self, on: bool) -> Self {
        self.neutralise = on;
        self
    }

    fn csv_err(&self, e: ::csv::Error) -> Error {
        Error::io(&self.path, std::io::Error::other(e.to_string()))
    }
}

impl Writer for CsvWriter {
    fn begin_table(&mut self, _table: Option<&str>, schema: &SchemaRef) -> Result<()> {
        if self.started {
            return Err(Error::Internal("a CSV file holds one table".into()));
        }
        self.started = true;
        let file = self
            .file
            .take()
            .ok_or_else(|| Error::Internal("CSV writer reused".into()))?;
        let mut w =
            ::csv::WriterBuilder::new().from_writer(BufWriter::with_capacity(1 << 20, file));
        let neutralise = self.neutralise;
        w.write_record(
            schema
                .fields()
                .iter()
                .map(|f| field(f.name().as_bytes(), neutralise)),
        )
        .map_err(|e| self.csv_err(e))?;
        self.out = Some(w);
        Ok(())
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let opts = arrow_cast::display::FormatOptions::default();
        let mut rows = TextRows::new(batch, &opts)?;
        let mut record = ::csv::ByteRecord::new();
        for r in 0..batch.num_rows() {
            rows.load(r)?;
            record.clear();
            for j in 0..batch.num_columns() {
                record.push_field(&field(
                    rows.cell(j).unwrap_or("").as_bytes(),
                    self.neutralise,
                ));
            }
            let res = match self.out.as_mut() {
                Some(w) => w.write_byte_record(&record),
                None => return Err(Error::Internal("CSV write before begin_table".into())),
            };
            res.map_err(|e| self.csv_err(e))?;
        }
        Ok(())
    }

    fn end_table(&mut self) -> Result<()> {
        Ok(())
    }

    fn commit(mut self: Box<Self>) -> Result<()> {
        let w = self
            .out
            .take()
            .ok_or_else(|| Error::Internal("CSV commit before begin_table".into()))?;
        let buf = w
            .into_inner()
            .map_err(|e| Error::io(&self.path, std::io::Error::other(e.to_string())))?;
        let file = buf
            .into_inner()
            .map_err(|e| Error::io(&self.path, e.into_error()))?;
        file.commit()
    }
}
