//! [`Batch`]: the one in-memory currency between stages.
//!
//! A batch wraps an Arrow [`RecordBatch`] (bounded: [`DEFAULT_BATCH_ROWS`] rows by default) and
//! the 1-based row number of its first row, so any stage can name the row an error comes from.
//! Arrow was chosen over a home-made column type because the Parquet reader yields it anyway and
//! because it is what DataFusion, Spark and pyarrow exchange (see DESIGN.md §3).
use arrow_array::RecordBatch;

/// Rows per batch unless a reader is told otherwise.
pub const DEFAULT_BATCH_ROWS: usize = 64 * 1024;

/// A bounded columnar chunk of one dataset.
#[derive(Debug, Clone)]
pub struct Batch {
    /// 1-based number of the first data row in this batch (header not counted). For sampled
    /// reads this is the row number as far as the reader knows it, or an estimate.
    pub first_row: u64,
    /// The columns.
    pub data: RecordBatch,
}

impl Batch {
    /// Number of rows in the batch.
    pub fn num_rows(&self) -> usize {
        self.data.num_rows()
    }
}
