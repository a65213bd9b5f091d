//! The spill of a two-pass `[privacy]` release: the first pass writes its transformed batches
//! (each QI as its code at the rules' level) here, the second pass reads them back, so the
//! input is read, parsed and transformed once.
//!
//! The spill is an Arrow IPC stream in the run's staging directory (private, removed with
//! it): no parsing on the way back, exact types, and nothing in it that the output will not
//! hold except the rows the privacy model may still suppress.
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_ipc::writer::StreamWriter;
use arrow_schema::SchemaRef;

use crate::error::{Error, Result};
use crate::sink::Writer;
use crate::source::ipc::IpcSource;

/// Writes the first pass's batches.
pub struct Spill {
    path: PathBuf,
    writer: StreamWriter<BufWriter<File>>,
}

fn spill_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("spill file {}: {e}", path.display()))
}

impl Spill {
    /// A new spill at `path` for batches of `schema`.
    pub fn create(path: &Path, schema: &SchemaRef) -> Result<Spill> {
        // A scratch file inside the private staging directory, never an output: it is
        // read back and deleted by the same run.
        #[allow(clippy::disallowed_methods)]
        let f = File::create(path).map_err(|e| Error::io(path, e).on_output())?;
        let writer = StreamWriter::try_new(BufWriter::with_capacity(1 << 20, f), schema)
            .map_err(|e| spill_error(path, e))?;
        Ok(Spill {
            path: path.to_path_buf(),
            writer,
        })
    }

    /// Finish writing and open the spill for the second pass; `name` names the dataset in
    /// messages.
    pub fn reopen(mut self, name: &str) -> Result<IpcSource<BufReader<File>>> {
        self.writer
            .finish()
            .map_err(|e| spill_error(&self.path, e))?;
        drop(self.writer);
        let f = File::open(&self.path).map_err(|e| Error::io(&self.path, e))?;
        IpcSource::open(BufReader::with_capacity(1 << 20, f), name, None)
    }
}

impl Writer for Spill {
    fn begin_table(&mut self, _table: Option<&str>, _schema: &SchemaRef) -> Result<()> {
        Ok(())
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.writer
            .write(batch)
            .map_err(|e| spill_error(&self.path, e))
    }

    fn end_table(&mut self) -> Result<()> {
        Ok(())
    }

    fn commit(self: Box<Self>) -> Result<()> {
        Ok(())
    }
}
