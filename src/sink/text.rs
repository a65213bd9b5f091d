//! Cell text for text outputs (CSV, dumps): Arrow values formatted the way `scan` reads them.
use std::fmt::Write;
use std::ops::Range;

use arrow_array::{Array, RecordBatch};
use arrow_cast::display::{ArrayFormatter, FormatOptions};

use crate::error::{Error, Result};

/// One row of a batch at a time as text; reuses one buffer for every row.
pub struct TextRows<'a> {
    batch: &'a RecordBatch,
    fmts: Vec<ArrayFormatter<'a>>,
    buf: String,
    cells: Vec<Option<Range<usize>>>,
}

impl<'a> TextRows<'a> {
    /// Formatters for every column of `batch`.
    pub fn new(batch: &'a RecordBatch, opts: &'a FormatOptions<'a>) -> Result<Self> {
        let fmts = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), opts))
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| Error::Internal(format!("formatting a column: {e}")))?;
        Ok(TextRows {
            batch,
            fmts,
            buf: String::new(),
            cells: Vec::new(),
        })
    }

    /// Format row `r`.
    pub fn load(&mut self, r: usize) -> Result<()> {
        self.buf.clear();
        self.cells.clear();
        for (j, col) in self.batch.columns().iter().enumerate() {
            if col.is_null(r) {
                self.cells.push(None);
                continue;
            }
            let start = self.buf.len();
            write!(self.buf, "{}", self.fmts[j].value(r))
                .map_err(|e| Error::Internal(format!("formatting a value: {e}")))?;
            self.cells.push(Some(start..self.buf.len()));
        }
        Ok(())
    }

    /// Cell `j` of the loaded row (`None` is NULL).
    pub fn cell(&self, j: usize) -> Option<&str> {
        self.cells[j].clone().map(|r| &self.buf[r])
    }
}
