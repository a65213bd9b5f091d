//! The rows of one sheet below its header, into batches (runs on the reader thread).
use arrow_schema::SchemaRef;

use super::book::{Book, CellText, Flow};
use super::guard::Merge;
use super::layout::Layout;
use crate::error::{Error, Location, Result};
use crate::source::RowCount;
use crate::source::header_find::{Tail, classify_row};
use crate::source::producer::Emit;
use crate::source::rows::RowBatcher;

/// Windows a sampled sheet is read in.
pub const WINDOWS: u64 = 16;

/// How to read one sheet.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The table.
    pub layout: Layout,
    /// Merged ranges, sorted by first row.
    pub merges: Vec<Merge>,
    /// Rows per batch.
    pub batch_rows: usize,
    /// Sampled reads: (estimated data rows, rows wanted).
    pub sample: Option<(u64, u64)>,
    /// The sheet, for messages.
    pub loc: Location,
    /// The columns.
    pub schema: SchemaRef,
}

impl Plan {
    /// Whether data row `idx` (0-based) is read: always on full reads; in one of the
    /// [`WINDOWS`] evenly spaced windows on sampled ones.
    fn wanted(&self, idx: u64) -> bool {
        match self.sample {
            None => true,
            Some((est, n)) => {
                let est = est.max(1);
                let per = n.div_ceil(WINDOWS);
                let k = (idx.saturating_mul(WINDOWS) / est).min(WINDOWS - 1);
                let start = k * est / WINDOWS;
                idx >= start && idx < start + per
            }
        }
    }
}

/// Fills merged cells in data rows with the value of their top-left cell.
struct Merges<'a> {
    sorted: &'a [Merge],
    next: usize,
    active: Vec<(Merge, Option<String>)>,
}

impl Merges<'_> {
    fn fill(&mut self, r: u32, first_col: u32, row: &mut [Option<String>]) {
        while self.next < self.sorted.len() && self.sorted[self.next].top <= r {
            let m = self.sorted[self.next];
            self.next += 1;
            if m.bottom >= r {
                let v = if m.top == r {
                    m.left
                        .checked_sub(first_col)
                        .and_then(|j| row.get(j as usize))
                        .cloned()
                        .flatten()
                } else {
                    None
                };
                self.active.push((m, v));
            }
        }
        self.active.retain(|(m, _)| m.bottom >= r);
        for (m, v) in &self.active {
            let Some(v) = v else { continue };
            for c in m.left..=m.right {
                if (r, c) == (m.top, m.left) {
                    continue;
                }
                if let Some(slot) = c
                    .checked_sub(first_col)
                    .and_then(|j| row.get_mut(j as usize))
                    && slot.is_none()
                {
                    *slot = Some(v.clone());
                }
            }
        }
    }
}

/// Stream the sheet's data rows into `emit`; returns the exact data row count.
pub fn run(book: &mut Book, sheet: &str, plan: &Plan, emit: &Emit) -> Result<Option<RowCount>> {
    let l = &plan.layout;
    let width = l.width();
    let first_data_row = match l.header_end {
        Some(he) => he + 1,
        None => l.data_from,
    };
    let mut batcher = RowBatcher::new(plan.schema.clone(), plan.batch_rows);
    let mut tail: Tail<(u32, Vec<Option<String>>)> = Tail::new(width);
    let mut merges = Merges {
        sorted: &plan.merges,
        next: 0,
        active: Vec::new(),
    };
    let (mut data_no, mut outside) = (0u64, 0u64);
    let mut last_read: Option<u64> = None;
    let sampled = plan.sample.is_some();
    let mut take_row = |r: u32, row: Vec<Option<String>>, batcher: &mut RowBatcher| -> Result<()> {
        // Sampled: numbered by place below the header (an estimate); full: counted.
        let idx = if sampled {
            u64::from(r.saturating_sub(first_data_row))
        } else {
            data_no
        };
        data_no += 1;
        if last_read.is_some_and(|p| p + 1 != idx) {
            if let Some(b) = batcher.take()? {
                emit.batch(b)?;
            }
            batcher.set_next_row(idx + 1);
        }
        last_read = Some(idx);
        batcher.push(&row);
        if batcher.is_full()
            && let Some(b) = batcher.take()?
        {
            emit.batch(b)?;
        }
        Ok(())
    };
    let first_data = first_data_row;
    // Sampled reads choose rows by their place in the sheet, before converting any cell.
    let keep = |r: u32| plan.wanted(u64::from(r.saturating_sub(first_data)));
    let mut last_row: Option<u32> = None;
    let mut on_row = |r: u32, cells: &[CellText]| -> Result<Flow> {
        crate::interrupt::check()?;
        if r < first_data {
            return Ok(Flow::More);
        }
        last_row = Some(r);
        if plan.sample.is_some() && !keep(r) {
            // A sampled read skips this row unread (it was parsed, not converted).
            return Ok(Flow::More);
        }
        let mut row: Vec<Option<String>> = vec![None; width];
        for (c, text, _) in cells {
            match c.checked_sub(l.first_col).map(|j| j as usize) {
                Some(j) if j < width => row[j] = Some(text.clone()),
                _ => outside += 1,
            }
        }
        merges.fill(r, l.first_col, &mut row);
        let kind = {
            let texts: Vec<&str> = row.iter().map(|c| c.as_deref().unwrap_or("")).collect();
            classify_row(&texts, width)
        };
        let ready = tail.push_kind(kind, (r, row));
        for (r, out) in ready {
            take_row(r, out, &mut batcher)?;
        }
        Ok(Flow::More)
    };
    let keep_all = |_: u32| true;
    let keep_fn: &dyn Fn(u32) -> bool = if plan.sample.is_some() {
        &keep
    } else {
        &keep_all
    };
    match book.rows_where(sheet, keep_fn, &mut on_row) {
        Ok(inner) => inner?,
        Err(m) => return Err(Error::input(plan.loc.clone(), m)),
    }
    if let Some(b) = batcher.take()? {
        emit.batch(b)?;
    }
    if let Some(n) = tail.finish().note() {
        emit.note(n)?;
    }
    if outside > 0 {
        emit.note(format!(
            "{outside} cell(s) outside the table's columns (right or left of the header's \
             span) were not read"
        ))?;
    }
    if plan.sample.is_some() {
        emit.note(format!(
            "sampled about {} rows in {WINDOWS} windows spread across the sheet (the whole \
             sheet is parsed: xlsx has no row index to seek by); row numbers and the row \
             count are estimates (places below the header)",
            plan.sample.map_or(0, |s| s.1)
        ))?;
    }
    if plan.sample.is_some() {
        // Rows between the windows were parsed but not read: the count is the sheet's rows
        // below the header (blank, total and footnote rows included).
        let rows = last_row.map_or(0, |r| u64::from(r - first_data) + 1);
        return Ok(Some(RowCount::Estimated(rows)));
    }
    Ok(Some(RowCount::Exact(data_no)))
}
