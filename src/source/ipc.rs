//! Arrow IPC *stream* input (`anonkos transform` reads it on stdin; Spark's `mapInArrow` and
//! pyarrow write it). Batches are passed through as they arrive: no copy, no type change.
use std::io::Read;

use arrow_ipc::reader::StreamReader;
use arrow_schema::SchemaRef;

use super::{DatasetInfo, Format, RowCount, Source};
use crate::error::{Error, Location, Result};
use crate::value::Batch;

/// Batches of one Arrow IPC stream, optionally stopping after about `limit` rows.
pub struct IpcSource<R: Read + Send> {
    info: DatasetInfo,
    reader: StreamReader<R>,
    limit: Option<usize>,
    rows: u64,
    done: bool,
}

impl<R: Read + Send> IpcSource<R> {
    /// Read the stream's schema from `reader`; `name` names the dataset in messages and in
    /// pipeline `dataset = "…"` selectors. With `limit`, reading stops at the first batch
    /// boundary at or past that many rows (a sample for classification).
    pub fn open(reader: R, name: &str, limit: Option<usize>) -> Result<Self> {
        let reader = StreamReader::try_new(reader, None).map_err(|e| {
            Error::input(
                Location::dataset(name),
                format!("not an Arrow IPC stream (expected one on stdin): {e}"),
            )
        })?;
        Ok(IpcSource {
            info: DatasetInfo {
                source: name.to_string(),
                table: None,
                format: Format::ArrowIpc,
                notes: Vec::new(),
            },
            reader,
            limit,
            rows: 0,
            done: false,
        })
    }
}

impl<R: Read + Send> Source for IpcSource<R> {
    fn info(&self) -> &DatasetInfo {
        &self.info
    }

    fn schema(&self) -> SchemaRef {
        self.reader.schema()
    }

    fn next_batch(&mut self) -> Result<Option<Batch>> {
        if self.done || self.limit.is_some_and(|l| self.rows >= l as u64) {
            return Ok(None);
        }
        match self.reader.next() {
            None => {
                self.done = true;
                Ok(None)
            }
            Some(Err(e)) => {
                self.done = true;
                // Decoding errors name structure (lengths, offsets), never cell values.
                Err(Error::input(
                    Location::dataset(self.info.source.clone()).at_row(self.rows + 1),
                    format!("reading the Arrow IPC stream: {e}"),
                ))
            }
            Some(Ok(data)) => {
                let first_row = self.rows + 1;
                self.rows += data.num_rows() as u64;
                Ok(Some(Batch { first_row, data }))
            }
        }
    }

    fn rows_total(&self) -> Option<RowCount> {
        self.done.then_some(RowCount::Exact(self.rows))
    }
}
