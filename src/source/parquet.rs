//! Parquet reader: streams a file row group by row group into bounded [`Batch`]es.
//!
//! * **Memory**: one row group is decoded at a time, page by page, in batches of
//!   [`ReadOptions::batch_rows`] rows; the file is never read whole.
//! * **Types**: every column is passed through exactly as the Arrow reader decodes it (all
//!   primitive types, decimals, dates, timestamps, binary, dictionaries). Nested columns
//!   (struct, list, map, union) stay in the batch too, but are listed in
//!   [`ParquetSource::nested_columns`] and in a note, because their values are not scanned.
//! * **Sampling** (`ReadOptions::sample_rows = Some(n)`): when the file has more than `n` rows,
//!   row groups spread evenly across the file are read (always the first and the last), and
//!   within a group larger than its share of `n`, a [`RowSelection`] picks a few evenly spread
//!   runs of consecutive rows. About `n` rows are read in total.
//! * **Row numbers**: every [`Batch`] holds consecutive rows only, so `first_row` is the true
//!   1-based row number of its first row *and* `first_row + i` is the number of its `i`-th row.
//!   Where a row selection makes the decoded rows non-contiguous, a decoded batch is cut (zero
//!   copy) at each gap and the pieces are emitted as separate batches.
//! * **Errors**: a file that is empty, truncated or has a corrupt footer fails in
//!   [`ParquetSource::open`]; a page that cannot be decoded fails the batch with the row group
//!   and the first row being read. Such a row group is abandoned and the next call to
//!   [`Source::next_batch`] continues with the next one. Decoder panics on malformed input are
//!   caught and reported as input errors. Messages from the Parquet library are included with
//!   long digit runs and quoted text removed, so they cannot leak a cell value.
use std::collections::VecDeque;
use std::fs::File;
use std::ops::Range;
use std::path::Path;

use arrow_array::RecordBatch;
use arrow_schema::{DataType, SchemaRef};
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReader,
    ParquetRecordBatchReaderBuilder, RowSelection,
};
use parquet::file::metadata::PageIndexPolicy;

use super::csv::MAX_COLUMNS;
use super::{DatasetInfo, Format, ReadOptions, RowCount, Source};
use crate::error::{Error, Location, Result, catch_panic};
use crate::value::Batch;

/// When sampling, read at least this many rows from each chosen row group (so that a small
/// sample of a file with many small groups still reads whole runs rather than single rows).
const MIN_ROWS_PER_GROUP: usize = 256;
/// When sampling inside a row group, never cut it into more runs than this.
const MAX_RUNS_PER_GROUP: usize = 8;
/// When sampling inside a row group, runs are at least this long (unless the quota is smaller).
const MIN_RUN_ROWS: usize = 64;
/// Parquet files end with a 4-byte footer length and the `PAR1` magic.
const FOOTER_LEN: u64 = 8;
/// Longest library message quoted in an error.
const MAX_CAUSE_CHARS: usize = 300;

/// One row group to read, with the runs of rows (relative to the group) wanted from it.
#[derive(Debug, Clone)]
struct Segment {
    /// Index of the row group in the file.
    row_group: usize,
    /// 0-based file offset of the group's first row.
    offset: u64,
    /// Rows in the group.
    rows: usize,
    /// Sorted, non-overlapping runs of rows to read, relative to the group.
    runs: Vec<Range<usize>>,
}

impl Segment {
    /// Whether the whole group is read.
    fn is_whole(&self) -> bool {
        self.runs.len() == 1 && self.runs[0] == (0..self.rows)
    }

    /// 1-based row number of the group's first and last rows.
    fn row_span(&self) -> (u64, u64) {
        let first = self.offset + 1;
        (first, self.offset + self.rows as u64)
    }
}

/// The row group being decoded and how far into its runs the decoded rows have come.
struct Current {
    seg: Segment,
    reader: ParquetRecordBatchReader,
    run: usize,
    pos: usize,
}

impl Current {
    /// 1-based row number of the next row the reader will yield, if any run is left.
    fn next_row(&self) -> Option<u64> {
        self.seg
            .runs
            .get(self.run)
            .map(|r| self.seg.offset + (r.start + self.pos) as u64 + 1)
    }
}

/// Parquet reader (see the module documentation).
pub struct ParquetSource {
    info: DatasetInfo,
    schema: SchemaRef,
    file: File,
    metadata: ArrowReaderMetadata,
    batch_rows: usize,
    total_rows: u64,
    num_row_groups: usize,
    plan: VecDeque<Segment>,
    current: Option<Current>,
    pending: VecDeque<Batch>,
    nested: Vec<String>,
}

impl ParquetSource {
    /// Open the Parquet file at `path` (named `display` in messages) and plan what to read.
    ///
    /// Reads only the footer. Fails with an input error naming the file if it is empty,
    /// truncated, has a corrupt footer or a schema that cannot be mapped to Arrow.
    pub fn open(path: &Path, display: &str, opts: &ReadOptions) -> Result<Self> {
        let loc = Location::dataset(display);
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        check_envelope(&file, len).map_err(|e| match e {
            EnvelopeError::Io(e) => Error::io(path, e),
            EnvelopeError::Bad(msg) => Error::input(loc.clone(), msg),
        })?;

        let metadata = load_metadata(&file, opts.sample_rows.is_some(), &loc)?;
        let parquet_meta = metadata.metadata().clone();
        let total = parquet_meta.file_metadata().num_rows();
        let total_rows = u64::try_from(total).map_err(|_| {
            Error::input(
                loc.clone(),
                "corrupt Parquet footer: negative row count in the file metadata",
            )
        })?;

        let mut group_rows = Vec::with_capacity(parquet_meta.num_row_groups());
        for (i, rg) in parquet_meta.row_groups().iter().enumerate() {
            let rows = usize::try_from(rg.num_rows()).map_err(|_| {
                Error::input(
                    loc.clone(),
                    format!("corrupt Parquet footer: row group {i} has a negative row count"),
                )
            })?;
            group_rows.push(rows);
        }
        let group_total: u64 = group_rows.iter().map(|&r| r as u64).sum();

        let schema = metadata.schema().clone();
        let mut notes = vec![format!(
            "Parquet: {total_rows} rows in {} row group(s), {} column(s)",
            group_rows.len(),
            schema.fields().len()
        )];
        if group_total != total_rows {
            notes.push(format!(
                "the row groups hold {group_total} rows but the footer says {total_rows}; \
                 row numbers follow the row groups"
            ));
        }
        let mut nested = Vec::new();
        for field in schema.fields() {
            if field.data_type().is_nested() {
                nested.push(field.name().clone());
                notes.push(format!(
                    "column {} is nested ({}); its values are not scanned",
                    field.name(),
                    nested_kind(field.data_type())
                ));
            }
        }

        let picks = match opts.sample_rows {
            Some(n) => plan_sample(&group_rows, n),
            None => plan_all(&group_rows),
        };
        let mut offsets = Vec::with_capacity(group_rows.len());
        let mut acc = 0u64;
        for &r in &group_rows {
            offsets.push(acc);
            acc += r as u64;
        }
        let plan: VecDeque<Segment> = picks
            .into_iter()
            .map(|(row_group, runs)| Segment {
                row_group,
                offset: offsets[row_group],
                rows: group_rows[row_group],
                runs,
            })
            .collect();
        if let Some(n) = opts.sample_rows {
            let planned: usize = plan
                .iter()
                .flat_map(|s| s.runs.iter().map(|r| r.len()))
                .sum();
            if (planned as u64) < group_total {
                notes.push(format!(
                    "sampled: reading {planned} of {group_total} rows (about {n} asked) from {} \
                     of {} row group(s) spread across the file",
                    plan.len(),
                    group_rows.len()
                ));
            }
        }

        Ok(ParquetSource {
            info: DatasetInfo {
                source: display.to_string(),
                table: None,
                format: Format::Parquet,
                notes,
            },
            schema,
            file,
            metadata,
            batch_rows: opts.batch_rows.max(1),
            total_rows,
            num_row_groups: group_rows.len(),
            plan,
            current: None,
            pending: VecDeque::new(),
            nested,
        })
    }

    /// Names of the nested (struct, list, map, union) top-level columns, whose values are
    /// passed through in the batches but not scanned.
    pub fn nested_columns(&self) -> &[String] {
        &self.nested
    }

    /// Build the reader for the next planned row group.
    fn start(&self, seg: Segment) -> Result<Current> {
        let file = self.file.try_clone().map_err(|e| {
            Error::input(
                self.info.location(),
                format!(
                    "cannot reopen the file for row group {}: {e}",
                    seg.row_group
                ),
            )
        })?;
        let mut builder =
            ParquetRecordBatchReaderBuilder::new_with_metadata(file, self.metadata.clone())
                .with_batch_size(self.batch_rows)
                .with_row_groups(vec![seg.row_group]);
        if !seg.is_whole() {
            builder = builder.with_row_selection(RowSelection::from_consecutive_ranges(
                seg.runs.iter().cloned(),
                seg.rows,
            ));
        }
        let built = catch_panic(|| builder.build());
        match built {
            Ok(Ok(reader)) => Ok(Current {
                seg,
                reader,
                run: 0,
                pos: 0,
            }),
            Ok(Err(e)) => Err(self.group_error(&seg, seg.offset + 1, &e.to_string())),
            Err(_) => Err(self.group_error(&seg, seg.offset + 1, "the decoder crashed")),
        }
    }

    /// An input error in a row group, at the first row being read.
    fn group_error(&self, seg: &Segment, row: u64, cause: &str) -> Error {
        let (a, b) = seg.row_span();
        Error::input(
            self.info.location().at_row(row),
            format!(
                "row group {} of {} (rows {a}–{b}) cannot be decoded: {}",
                seg.row_group,
                self.num_row_groups,
                sanitize(cause)
            ),
        )
    }

    /// Cut a decoded batch at the gaps between runs and queue the pieces.
    fn split(&mut self, data: RecordBatch) -> Result<()> {
        let Some(cur) = self.current.as_mut() else {
            return Err(Error::Internal("Parquet batch without a row group".into()));
        };
        let mut done = 0;
        let n = data.num_rows();
        while done < n {
            let Some(run) = cur.seg.runs.get(cur.run) else {
                let (a, b) = cur.seg.row_span();
                let msg = format!(
                    "row group {} of {} (rows {a}–{b}) holds more rows than its metadata says",
                    cur.seg.row_group, self.num_row_groups
                );
                self.current = None;
                return Err(Error::input(self.info.location(), msg));
            };
            let first_row = cur.seg.offset + (run.start + cur.pos) as u64 + 1;
            let take = (run.len() - cur.pos).min(n - done);
            let piece = if take == n {
                data.clone()
            } else {
                data.slice(done, take)
            };
            self.pending.push_back(Batch {
                first_row,
                data: piece,
            });
            done += take;
            cur.pos += take;
            if cur.pos == run.len() {
                cur.run += 1;
                cur.pos = 0;
            }
        }
        Ok(())
    }
}

impl Source for ParquetSource {
    fn info(&self) -> &DatasetInfo {
        &self.info
    }

    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn next_batch(&mut self) -> Result<Option<Batch>> {
        loop {
            if let Some(b) = self.pending.pop_front() {
                return Ok(Some(b));
            }
            let Some(cur) = self.current.as_mut() else {
                let Some(seg) = self.plan.pop_front() else {
                    return Ok(None);
                };
                self.current = Some(self.start(seg)?);
                continue;
            };
            let row = cur.next_row().unwrap_or(cur.seg.offset + 1);
            match catch_panic(|| cur.reader.next()) {
                Ok(Some(Ok(data))) => self.split(data)?,
                Ok(None) => {
                    let short = cur.next_row().is_some();
                    let (seg, read) = (cur.seg.clone(), cur.pos);
                    let run = cur.run;
                    self.current = None;
                    if short {
                        let read_rows: usize =
                            seg.runs[..run].iter().map(|r| r.len()).sum::<usize>() + read;
                        let wanted: usize = seg.runs.iter().map(|r| r.len()).sum();
                        let cause = format!(
                            "the data ends after {read_rows} of {wanted} rows (truncated column chunk?)"
                        );
                        return Err(self.group_error(&seg, row, &cause));
                    }
                }
                Ok(Some(Err(e))) => {
                    let seg = cur.seg.clone();
                    self.current = None;
                    return Err(self.group_error(&seg, row, &e.to_string()));
                }
                Err(_) => {
                    let seg = cur.seg.clone();
                    self.current = None;
                    return Err(self.group_error(&seg, row, "the decoder crashed"));
                }
            }
        }
    }

    fn rows_total(&self) -> Option<RowCount> {
        Some(RowCount::Exact(self.total_rows))
    }

    /// One unit per row group (weighted by its compressed size) when there are several.
    fn shard_units(&self, _n: usize) -> Option<Vec<u64>> {
        let groups = self.metadata.metadata().row_groups();
        (groups.len() > 1).then(|| {
            groups
                .iter()
                .map(|g| u64::try_from(g.compressed_size()).unwrap_or(0))
                .collect()
        })
    }

    /// Keep only the planned segments of row groups in `range`; row numbers stay those of
    /// the whole file.
    fn select_units(&mut self, range: Range<usize>, _n: usize) -> Result<()> {
        if self.current.is_some() || !self.pending.is_empty() {
            return Err(Error::Internal(
                "Parquet: units selected after reading began".into(),
            ));
        }
        if self.num_row_groups <= 1 {
            return if range == (0..1) {
                Ok(())
            } else {
                Err(Error::Internal("Parquet: no such shard unit".into()))
            };
        }
        self.plan.retain(|seg| range.contains(&seg.row_group));
        Ok(())
    }
}

/// Why the file envelope (size and magic bytes) is not Parquet.
enum EnvelopeError {
    Io(std::io::Error),
    Bad(String),
}

/// Check the size and both `PAR1` magics before handing the file to the footer parser.
fn check_envelope(file: &File, len: u64) -> Result<(), EnvelopeError> {
    use std::io::{Read, Seek, SeekFrom};
    if len == 0 {
        return Err(EnvelopeError::Bad(
            "empty file (0 bytes); not a Parquet file".into(),
        ));
    }
    // Magic + footer length + magic: the smallest possible well-formed file is 12 bytes.
    if len < 4 + FOOTER_LEN {
        return Err(EnvelopeError::Bad(format!(
            "file too short to be Parquet ({len} bytes); it is truncated or not Parquet"
        )));
    }
    let mut f = file;
    let mut head = [0u8; 4];
    f.seek(SeekFrom::Start(0)).map_err(EnvelopeError::Io)?;
    f.read_exact(&mut head).map_err(EnvelopeError::Io)?;
    if &head != b"PAR1" {
        return Err(EnvelopeError::Bad(
            "not a Parquet file (missing leading PAR1 magic bytes)".into(),
        ));
    }
    let mut tail = [0u8; FOOTER_LEN as usize];
    f.seek(SeekFrom::Start(len - FOOTER_LEN))
        .map_err(EnvelopeError::Io)?;
    f.read_exact(&mut tail).map_err(EnvelopeError::Io)?;
    if &tail[4..] != b"PAR1" {
        return Err(EnvelopeError::Bad(format!(
            "truncated Parquet file ({len} bytes): the footer is missing (no trailing PAR1 magic)"
        )));
    }
    let meta_len = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    if meta_len + FOOTER_LEN + 4 > len {
        return Err(EnvelopeError::Bad(format!(
            "corrupt Parquet footer: metadata length {meta_len} does not fit in a {len}-byte file"
        )));
    }
    // The metadata is read again by the Parquet library; it is small next to the file.
    let meta_start = len - FOOTER_LEN - meta_len;
    let mut meta = vec![
        0u8;
        usize::try_from(meta_len)
            .unwrap_or(usize::MAX)
            .min(MAX_FOOTER)
    ];
    if meta.len() as u64 != meta_len {
        // Without this bound the schema checks below could not run before the library
        // decodes the footer.
        return Err(EnvelopeError::Bad(format!(
            "Parquet footer of {meta_len} bytes is larger than the {} MiB supported",
            MAX_FOOTER >> 20
        )));
    }
    f.seek(SeekFrom::Start(meta_start))
        .map_err(EnvelopeError::Io)?;
    f.read_exact(&mut meta).map_err(EnvelopeError::Io)?;
    if thrift_walk(&meta) == Walk::TooMuchWork {
        return Err(EnvelopeError::Bad(
            "corrupt Parquet footer: its metadata claims far more entries than its \
             size can hold"
                .into(),
        ));
    }
    if let Some(shape) = schema_shape(&meta) {
        if shape.depth > MAX_SCHEMA_DEPTH {
            return Err(EnvelopeError::Bad(format!(
                "the Parquet schema nests groups more than {MAX_SCHEMA_DEPTH} levels deep; at \
                 most {MAX_SCHEMA_DEPTH} levels are supported"
            )));
        }
        if shape.leaves > MAX_COLUMNS as u64 {
            return Err(EnvelopeError::Bad(format!(
                "the Parquet schema has {} columns; at most {MAX_COLUMNS} columns are supported",
                shape.leaves
            )));
        }
    }
    f.seek(SeekFrom::Start(0)).map_err(EnvelopeError::Io)?;
    Ok(())
}

/// Footers larger than this are refused: they are pre-checked in memory (see [`thrift_walk`]
/// and [`schema_shape`]); real ones are a few hundred KiB even for files with thousands of
/// columns and row groups.
const MAX_FOOTER: usize = 64 * 1024 * 1024;
/// Deepest schema nesting accepted (groups inside groups). The Parquet library builds its
/// schema tree and the Arrow types by recursion, one stack frame chain per level, so a footer
/// nested 10,000 levels deep overflowed the stack and aborted the process (a whole directory
/// scan with it). Real schemas nest a handful of levels.
const MAX_SCHEMA_DEPTH: u64 = 64;

/// Nesting depth and leaf-column count of a footer's schema, see [`schema_shape`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SchemaShape {
    /// Deepest nesting of a group below the root (0: flat columns only).
    depth: u64,
    /// Leaf (primitive) columns: what the library builds per-column state for.
    leaves: u64,
}

/// Read the schema of a footer (`FileMetaData.schema`, field 2: a flat, depth-first list of
/// `SchemaElement`s where a group says how many children follow) without recursion, before the
/// Parquet library builds its recursive tree from it. `None` when the footer is malformed
/// (the library then reports it).
fn schema_shape(buf: &[u8]) -> Option<SchemaShape> {
    let mut w = ThriftWalker {
        buf,
        pos: 0,
        budget: 4 * buf.len() as u64 + 4096,
        over_budget: false,
    };
    let mut id: i16 = 0;
    loop {
        let (field, ty) = w.field_header(&mut id)?;
        if ty == 0 {
            return None;
        }
        if field != 2 || ty != 9 {
            w.skip(ty, 128)?;
            continue;
        }
        let h = w.byte()?;
        if h & 0x0f != 12 {
            return None;
        }
        let n = match h >> 4 {
            15 => w.varint()?,
            n => u64::from(n),
        };
        return schema_elements(&mut w, n);
    }
}

/// Walk `n` `SchemaElement` structs, tracking open groups on an explicit stack.
fn schema_elements(w: &mut ThriftWalker<'_>, n: u64) -> Option<SchemaShape> {
    // Children still expected by each open group, root first.
    let mut open: Vec<u64> = Vec::new();
    let mut shape = SchemaShape {
        depth: 0,
        leaves: 0,
    };
    for _ in 0..n {
        let children = w.num_children()?;
        if let Some(top) = open.last_mut() {
            *top = top.saturating_sub(1);
        }
        if children > 0 {
            open.push(children);
            shape.depth = shape.depth.max(open.len() as u64 - 1);
            if shape.depth > MAX_SCHEMA_DEPTH {
                // Enough to refuse; the rest of the footer need not be walked.
                return Some(shape);
            }
        } else {
            shape.leaves += 1;
        }
        while open.last() == Some(&0) {
            open.pop();
        }
    }
    Some(shape)
}

/// What [`thrift_walk`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Walk {
    /// The footer walks within its work budget.
    Ok,
    /// It is malformed in a way the Parquet library reports itself (left to it).
    Malformed,
    /// It claims more entries than could be visited in time: refuse it.
    TooMuchWork,
}

/// Walk a Thrift compact-protocol struct the way the Parquet library *skips* fields it does
/// not know, and count the entries it would visit.
///
/// Why: the library (parquet 60) skips a `list<bool>`, `set<bool>` or a `map` of booleans
/// element by element without reading a byte per element (booleans carry no payload in
/// struct fields, and its skip treats list elements alike). A 40-byte footer that claims
/// 2³¹ of them, or lists of such lists, keeps the decoder busy for minutes or forever
/// (found by the `parquet` fuzz target). Every entry costs a unit of a budget proportional
/// to the footer's size, so a real footer (well under one entry per byte) always fits and
/// the walk itself is linear.
fn thrift_walk(buf: &[u8]) -> Walk {
    let mut w = ThriftWalker {
        buf,
        pos: 0,
        budget: 4 * buf.len() as u64 + 4096,
        over_budget: false,
    };
    match w.skip(12, 128) {
        Some(()) => Walk::Ok,
        None if w.over_budget => Walk::TooMuchWork,
        None => Walk::Malformed,
    }
}

/// State of [`thrift_walk`].
struct ThriftWalker<'a> {
    buf: &'a [u8],
    pos: usize,
    budget: u64,
    over_budget: bool,
}

impl ThriftWalker<'_> {
    fn byte(&mut self) -> Option<u8> {
        let b = *self.buf.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    fn advance(&mut self, n: u64) -> Option<()> {
        let n = usize::try_from(n).ok()?;
        if self.buf.len() - self.pos < n {
            return None;
        }
        self.pos += n;
        Some(())
    }

    fn varint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..70).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f).checked_shl(shift)?;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }

    fn spend(&mut self, n: u64) -> Option<()> {
        match self.budget.checked_sub(n) {
            Some(left) => {
                self.budget = left;
                Some(())
            }
            None => {
                self.over_budget = true;
                None
            }
        }
    }

    /// The next struct field header as (field id, compact type); type 0 is the struct's end.
    fn field_header(&mut self, last: &mut i16) -> Option<(i16, u8)> {
        let h = self.byte()?;
        let ty = h & 0x0f;
        if ty == 0 {
            return Some((0, 0));
        }
        *last = match h >> 4 {
            0 => {
                let z = self.varint()?;
                i16::try_from((z >> 1) as i64 ^ -((z & 1) as i64)).ok()?
            }
            d => last.checked_add(i16::from(d))?,
        };
        Some((*last, ty))
    }

    /// Read one `SchemaElement` struct and return its `num_children` (field 5; 0 when absent,
    /// as for a leaf).
    fn num_children(&mut self) -> Option<u64> {
        let mut id = 0;
        let mut children = 0;
        loop {
            self.spend(1)?;
            match self.field_header(&mut id)? {
                (_, 0) => return Some(children),
                (5, 5) => {
                    let z = self.varint()?;
                    let v = (z >> 1) as i64 ^ -((z & 1) as i64);
                    children = u64::try_from(v).unwrap_or(0);
                }
                (_, ty) => self.skip(ty, 128)?,
            }
        }
    }

    /// Skip one value of compact type `ty`.
    fn skip(&mut self, ty: u8, depth: u8) -> Option<()> {
        let depth = depth.checked_sub(1)?;
        match ty {
            1 | 2 => Some(()),
            3 => self.advance(1),
            4..=6 => self.varint().map(|_| ()),
            7 => self.advance(8),
            8 => {
                let n = self.varint()?;
                self.advance(n)
            }
            9 | 10 => {
                let h = self.byte()?;
                if h == 0 {
                    return Some(());
                }
                let n = match h >> 4 {
                    15 => self.varint()?,
                    n => u64::from(n),
                };
                if n > i32::MAX as u64 {
                    return None;
                }
                self.spend(n)?;
                for _ in 0..n {
                    self.skip(h & 0x0f, depth)?;
                }
                Some(())
            }
            11 => {
                let n = self.varint()?;
                if n > i32::MAX as u64 {
                    return None;
                }
                if n > 0 {
                    let kv = self.byte()?;
                    self.spend(2 * n)?;
                    for _ in 0..n {
                        self.skip(kv >> 4, depth)?;
                        self.skip(kv & 0x0f, depth)?;
                    }
                }
                Some(())
            }
            12 => loop {
                let h = self.byte()?;
                if h & 0x0f == 0 {
                    return Some(());
                }
                if h >> 4 == 0 {
                    self.varint()?;
                }
                self.spend(1)?;
                self.skip(h & 0x0f, depth)?;
            },
            13 => self.advance(16),
            _ => None,
        }
    }
}

/// Parse the footer and map the schema to Arrow. With `page_index`, the page index is loaded
/// when present (it lets a row selection skip pages); a broken page index falls back to none.
fn load_metadata(file: &File, page_index: bool, loc: &Location) -> Result<ArrowReaderMetadata> {
    let load =
        |opts: ArrowReaderOptions| match catch_panic(|| ArrowReaderMetadata::load(file, opts)) {
            Ok(Ok(m)) => Ok(m),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("the footer parser crashed".to_string()),
        };
    if page_index {
        let opts = ArrowReaderOptions::new().with_page_index_policy(PageIndexPolicy::Optional);
        if let Ok(m) = load(opts) {
            return Ok(m);
        }
    }
    load(ArrowReaderOptions::new()).map_err(|cause| {
        Error::input(
            loc.clone(),
            format!(
                "corrupt Parquet footer or unsupported schema: {}",
                sanitize(&cause)
            ),
        )
    })
}

/// A short description of a nested type for notes.
fn nested_kind(dt: &DataType) -> String {
    match dt {
        DataType::Struct(fields) => format!("struct with {} field(s)", fields.len()),
        DataType::List(f)
        | DataType::LargeList(f)
        | DataType::ListView(f)
        | DataType::LargeListView(f)
        | DataType::FixedSizeList(f, _) => {
            let inner = f.data_type();
            if inner.is_nested() {
                format!("list of {}", nested_kind(inner))
            } else {
                format!("list of {inner}")
            }
        }
        DataType::Map(_, _) => "map".into(),
        DataType::Union(_, _) => "union".into(),
        DataType::Dictionary(_, v) => format!("dictionary of {}", nested_kind(v)),
        DataType::RunEndEncoded(_, v) => format!("run-end encoded {}", nested_kind(v.data_type())),
        other => other.to_string(),
    }
}

/// The single run of the first `n` rows of a group.
fn first_rows(n: usize) -> Vec<Range<usize>> {
    std::iter::once(0..n).collect()
}

/// Read every non-empty row group whole.
fn plan_all(group_rows: &[usize]) -> Vec<(usize, Vec<Range<usize>>)> {
    group_rows
        .iter()
        .enumerate()
        .filter(|(_, r)| **r > 0)
        .map(|(i, &r)| (i, first_rows(r)))
        .collect()
}

/// Choose row groups and runs so that about `n` rows spread across the file are read.
///
/// Groups: `k` non-empty groups at even spacing, always including the first and the last;
/// `k` is enough groups to hold `n` rows at the average group size, and at least
/// `n / MIN_ROWS_PER_GROUP` (for spread), at least 2, at most all. Each picked group gets an
/// equal share of `n`; a group no larger than its share is read whole, a larger one is read as
/// up to [`MAX_RUNS_PER_GROUP`] evenly spread runs (see [`spread_runs`]).
fn plan_sample(group_rows: &[usize], n: usize) -> Vec<(usize, Vec<Range<usize>>)> {
    let nonempty: Vec<usize> = (0..group_rows.len())
        .filter(|&i| group_rows[i] > 0)
        .collect();
    let g = nonempty.len();
    if g == 0 {
        return Vec::new();
    }
    let n = n.max(1);
    let total = group_rows.iter().fold(0usize, |a, &r| a.saturating_add(r));
    if total <= n {
        return plan_all(group_rows);
    }
    let avg = (total / g).max(1);
    let k = n.div_ceil(avg).max(n / MIN_ROWS_PER_GROUP).max(2).min(g);
    let (base, extra) = (n / k, n % k);
    (0..k)
        .map(|j| {
            let idx = if k == 1 { 0 } else { j * (g - 1) / (k - 1) };
            let rg = nonempty[idx];
            let rows = group_rows[rg];
            let quota = (base + usize::from(j < extra)).max(1);
            let runs = if rows <= quota {
                first_rows(rows)
            } else {
                spread_runs(rows, quota)
            };
            (rg, runs)
        })
        .collect()
}

/// About `quota` rows of a group of `rows` rows (`quota < rows`) as evenly spread runs: the
/// first run starts at the group's first row and, with more than one run, the last ends at its
/// last row.
fn spread_runs(rows: usize, quota: usize) -> Vec<Range<usize>> {
    let m = quota
        .div_ceil(MIN_RUN_ROWS)
        .clamp(1, MAX_RUNS_PER_GROUP)
        .min(rows);
    let len = (quota / m).min(rows / m).max(1);
    if m == 1 {
        return first_rows(len);
    }
    (0..m)
        .map(|j| {
            let s = j * (rows - len) / (m - 1);
            s..s + len
        })
        .collect()
}

/// A library error message with anything that could be a cell value removed: quoted text and
/// runs of seven or more digits are replaced by `…`, and the length is capped.
fn sanitize(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len().min(MAX_CAUSE_CHARS + 3));
    let mut digits = 0usize;
    let mut quoted = false;
    let flush = |out: &mut String, digits: &mut usize, src: &str, end: usize| {
        if *digits > 0 {
            if *digits >= 7 {
                out.push('…');
            } else {
                out.push_str(&src[end - *digits..end]);
            }
            *digits = 0;
        }
    };
    for (i, c) in msg.char_indices() {
        if quoted {
            if c == '"' {
                quoted = false;
                out.push_str("…\"");
            }
            continue;
        }
        if c.is_ascii_digit() {
            digits += 1;
            continue;
        }
        flush(&mut out, &mut digits, msg, i);
        if c == '"' {
            quoted = true;
            out.push('"');
        } else {
            out.push(c);
        }
        if out.chars().count() > MAX_CAUSE_CHARS {
            out.push('…');
            return out;
        }
    }
    if quoted {
        out.push_str("…\"");
    } else {
        flush(&mut out, &mut digits, msg, msg.len());
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Arc;

    #[test]
    fn footer_walk_refuses_boolean_lists_claiming_more_than_fits() {
        // struct { 1: list<bool> of i32::MAX } — the library would skip it element by element.
        let huge = [0x19, 0xF1, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00];
        assert_eq!(thrift_walk(&huge), Walk::TooMuchWork);
        // struct { 1: map<bool, bool> of 100 000 entries }.
        let map = [0x1B, 0xA0, 0x8D, 0x06, 0x11, 0x00];
        assert_eq!(thrift_walk(&map), Walk::TooMuchWork);
        // A small list of booleans and an ordinary struct are fine.
        assert_eq!(thrift_walk(&[0x19, 0x31, 0x15, 0x04, 0x00]), Walk::Ok);
        // Truncated input is left to the library to report.
        assert_eq!(thrift_walk(&[0x19, 0xF5]), Walk::Malformed);
    }

    #[test]
    fn footer_walk_accepts_real_footers() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/employees.parquet");
        #[allow(clippy::disallowed_methods)] // a test reads a sample directly
        let bytes = std::fs::read(path).unwrap();
        let n = bytes.len();
        let meta_len = u32::from_le_bytes(bytes[n - 8..n - 4].try_into().unwrap()) as usize;
        assert_eq!(thrift_walk(&bytes[n - 8 - meta_len..n - 8]), Walk::Ok);
    }

    use arrow_array::builder::{Int32Builder, ListBuilder};
    use arrow_array::cast::AsArray;
    use arrow_array::types::{
        Date32Type, Decimal128Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type,
        Int64Type, TimestampMicrosecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
    };
    use arrow_array::{
        ArrayRef, BinaryArray, BooleanArray, Date32Array, Decimal128Array, Float32Array,
        Float64Array, Int8Array, Int16Array, Int32Array, Int64Array, LargeStringArray, StringArray,
        StructArray, TimestampMicrosecondArray, UInt8Array, UInt16Array, UInt32Array, UInt64Array,
    };
    use arrow_schema::{Field, Schema, TimeUnit};
    use parquet::arrow::ArrowWriter;
    use parquet::basic::Compression;
    use parquet::file::properties::WriterProperties;

    use super::*;
    use crate::sink::atomic::{AtomicFile, write_atomic};

    fn all_types_batch(start: i64, n: usize) -> RecordBatch {
        let ids: Vec<i64> = (0..n as i64).map(|i| start + i).collect();
        let struct_arr = StructArray::from(vec![
            (
                Arc::new(Field::new("a", DataType::Int32, false)),
                Arc::new(Int32Array::from_iter_values(ids.iter().map(|&i| i as i32))) as ArrayRef,
            ),
            (
                Arc::new(Field::new("b", DataType::Utf8, false)),
                Arc::new(StringArray::from_iter_values(
                    ids.iter().map(|i| format!("s{i}")),
                )) as ArrayRef,
            ),
        ]);
        let mut list = ListBuilder::new(Int32Builder::new());
        for &i in &ids {
            list.values().append_value(i as i32);
            list.values().append_value(i as i32 + 1);
            list.append(true);
        }
        let cols: Vec<(&str, ArrayRef)> = vec![
            (
                "b",
                Arc::new(BooleanArray::from_iter(
                    ids.iter().map(|i| Some(i % 2 == 0)),
                )),
            ),
            (
                "i8",
                Arc::new(Int8Array::from_iter_values(
                    ids.iter().map(|&i| (i % 100) as i8),
                )),
            ),
            (
                "i16",
                Arc::new(Int16Array::from_iter_values(ids.iter().map(|&i| i as i16))),
            ),
            (
                "i32",
                Arc::new(Int32Array::from_iter_values(ids.iter().map(|&i| i as i32))),
            ),
            ("i64", Arc::new(Int64Array::from(ids.clone()))),
            (
                "u8",
                Arc::new(UInt8Array::from_iter_values(
                    ids.iter().map(|&i| (i % 200) as u8),
                )),
            ),
            (
                "u16",
                Arc::new(UInt16Array::from_iter_values(ids.iter().map(|&i| i as u16))),
            ),
            (
                "u32",
                Arc::new(UInt32Array::from_iter_values(ids.iter().map(|&i| i as u32))),
            ),
            (
                "u64",
                Arc::new(UInt64Array::from_iter_values(
                    ids.iter().map(|&i| i as u64 + (1 << 63)),
                )),
            ),
            (
                "f32",
                Arc::new(Float32Array::from_iter_values(
                    ids.iter().map(|&i| i as f32 + 0.5),
                )),
            ),
            (
                "f64",
                Arc::new(Float64Array::from_iter_values(
                    ids.iter().map(|&i| i as f64 * 1.25),
                )),
            ),
            (
                "utf8",
                Arc::new(StringArray::from_iter_values(
                    ids.iter().map(|i| format!("Prishtinë {i}")),
                )),
            ),
            (
                "large_utf8",
                Arc::new(LargeStringArray::from_iter_values(
                    ids.iter().map(|i| format!("Đakovica {i}")),
                )),
            ),
            (
                "bin",
                Arc::new(BinaryArray::from_iter_values(
                    ids.iter().map(|i| i.to_le_bytes().to_vec()),
                )),
            ),
            (
                "d32",
                Arc::new(Date32Array::from_iter_values(ids.iter().map(|&i| i as i32))),
            ),
            (
                "ts",
                Arc::new(TimestampMicrosecondArray::from_iter_values(
                    ids.iter().map(|&i| i * 1_000_000),
                )),
            ),
            (
                "dec",
                Arc::new(
                    Decimal128Array::from_iter_values(ids.iter().map(|&i| i128::from(i) * 100 + 5))
                        .with_precision_and_scale(12, 2)
                        .unwrap(),
                ),
            ),
            ("st", Arc::new(struct_arr)),
            ("li", Arc::new(list.finish())),
        ];
        RecordBatch::try_from_iter(cols).unwrap()
    }

    /// Write `groups` row groups of `rows` rows each.
    fn write_file(path: &Path, groups: usize, rows: usize, compression: Compression) {
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(rows))
            .set_compression(compression)
            .build();
        let first = all_types_batch(0, rows);
        let file = AtomicFile::create(path).unwrap();
        let mut w = ArrowWriter::try_new(file, first.schema(), Some(props)).unwrap();
        w.write(&first).unwrap();
        w.flush().unwrap();
        for g in 1..groups {
            w.write(&all_types_batch((g * rows) as i64, rows)).unwrap();
            w.flush().unwrap();
        }
        w.into_inner().unwrap().commit().unwrap();
    }

    fn read_all(src: &mut ParquetSource) -> Vec<Batch> {
        let mut out = Vec::new();
        while let Some(b) = src.next_batch().unwrap() {
            out.push(b);
        }
        out
    }

    fn opts(batch_rows: usize, sample: Option<usize>) -> ReadOptions {
        ReadOptions {
            batch_rows,
            sample_rows: sample,
            ..ReadOptions::default()
        }
    }

    /// Every batch's i64 column equals its 0-based row numbers, i.e. first_row is right.
    fn assert_rows_match(batches: &[Batch]) {
        for b in batches {
            let col = b
                .data
                .column_by_name("i64")
                .unwrap()
                .as_primitive::<Int64Type>();
            for (i, v) in col.values().iter().enumerate() {
                assert_eq!(*v as u64 + 1, b.first_row + i as u64);
            }
        }
    }

    #[test]
    fn reads_every_primitive_type_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("all.parquet");
        write_file(&path, 3, 100, Compression::SNAPPY);
        let mut src = ParquetSource::open(&path, "all.parquet", &opts(64, None)).unwrap();
        assert_eq!(src.rows_total(), Some(RowCount::Exact(300)));
        assert_eq!(src.info().format, Format::Parquet);
        assert_eq!(src.nested_columns(), ["st".to_string(), "li".to_string()]);
        assert!(
            src.info()
                .notes
                .iter()
                .any(|n| n.contains("column st is nested (struct") && n.contains("not scanned"))
        );
        assert!(
            src.info()
                .notes
                .iter()
                .any(|n| n.contains("column li is nested (list"))
        );
        let schema = src.schema();
        assert_eq!(
            schema.field_with_name("u64").unwrap().data_type(),
            &DataType::UInt64
        );
        assert_eq!(
            schema.field_with_name("large_utf8").unwrap().data_type(),
            &DataType::LargeUtf8
        );
        assert_eq!(
            schema.field_with_name("ts").unwrap().data_type(),
            &DataType::Timestamp(TimeUnit::Microsecond, None)
        );
        let batches = read_all(&mut src);
        assert_eq!(batches.iter().map(Batch::num_rows).sum::<usize>(), 300);
        assert!(batches.iter().all(|b| b.num_rows() <= 64));
        assert_eq!(batches[0].first_row, 1);
        assert_rows_match(&batches);

        // Row 151 (0-based 150) in row group 1, spot-check every column.
        let b = batches
            .iter()
            .find(|b| b.first_row <= 151 && 151 < b.first_row + b.num_rows() as u64)
            .unwrap();
        let i = (151 - b.first_row) as usize;
        let d = &b.data;
        let col = |n: &str| d.column_by_name(n).unwrap().clone();
        assert!(col("b").as_boolean().value(i));
        assert_eq!(col("i8").as_primitive::<Int8Type>().value(i), 50);
        assert_eq!(col("i16").as_primitive::<Int16Type>().value(i), 150);
        assert_eq!(col("i32").as_primitive::<Int32Type>().value(i), 150);
        assert_eq!(col("u8").as_primitive::<UInt8Type>().value(i), 150);
        assert_eq!(col("u16").as_primitive::<UInt16Type>().value(i), 150);
        assert_eq!(col("u32").as_primitive::<UInt32Type>().value(i), 150);
        assert_eq!(
            col("u64").as_primitive::<UInt64Type>().value(i),
            150 + (1 << 63)
        );
        assert_eq!(col("f32").as_primitive::<Float32Type>().value(i), 150.5);
        assert_eq!(col("f64").as_primitive::<Float64Type>().value(i), 187.5);
        assert_eq!(col("utf8").as_string::<i32>().value(i), "Prishtinë 150");
        assert_eq!(
            col("large_utf8").as_string::<i64>().value(i),
            "Đakovica 150"
        );
        assert_eq!(col("bin").as_binary::<i32>().value(i), 150i64.to_le_bytes());
        assert_eq!(col("d32").as_primitive::<Date32Type>().value(i), 150);
        assert_eq!(
            col("ts")
                .as_primitive::<TimestampMicrosecondType>()
                .value(i),
            150_000_000
        );
        assert_eq!(col("dec").as_primitive::<Decimal128Type>().value(i), 15005);
        let st = col("st");
        let st = st.as_struct();
        assert_eq!(st.column(0).as_primitive::<Int32Type>().value(i), 150);
        assert_eq!(st.column(1).as_string::<i32>().value(i), "s150");
        let li = col("li");
        let li = li.as_list::<i32>().value(i);
        assert_eq!(li.as_primitive::<Int32Type>().values(), &[150, 151]);
    }

    #[test]
    fn other_codecs_read() {
        let dir = tempfile::tempdir().unwrap();
        for (name, c) in [
            ("none", Compression::UNCOMPRESSED),
            ("zstd", Compression::ZSTD(Default::default())),
            ("gzip", Compression::GZIP(Default::default())),
            ("lz4", Compression::LZ4_RAW),
        ] {
            let path = dir.path().join(format!("{name}.parquet"));
            write_file(&path, 2, 50, c);
            let mut src = ParquetSource::open(&path, name, &opts(1000, None)).unwrap();
            let batches = read_all(&mut src);
            assert_eq!(
                batches.iter().map(Batch::num_rows).sum::<usize>(),
                100,
                "{name}"
            );
            assert_rows_match(&batches);
        }
    }

    #[test]
    fn sampling_spreads_over_row_groups() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("many.parquet");
        write_file(&path, 100, 1000, Compression::SNAPPY);
        let mut src =
            ParquetSource::open(&path, "many.parquet", &opts(16 * 1024, Some(2000))).unwrap();
        assert_eq!(src.rows_total(), Some(RowCount::Exact(100_000)));
        assert!(src.info().notes.iter().any(|n| n.starts_with("sampled")));
        let batches = read_all(&mut src);
        let total: usize = batches.iter().map(Batch::num_rows).sum();
        assert!((1800..=2200).contains(&total), "{total}");
        assert_rows_match(&batches);
        let groups: std::collections::BTreeSet<u64> =
            batches.iter().map(|b| (b.first_row - 1) / 1000).collect();
        assert!(groups.contains(&0) && groups.contains(&99), "{groups:?}");
        assert!(groups.len() >= 3, "{groups:?}");
        assert_eq!(batches[0].first_row, 1);
        let last = batches.last().unwrap();
        assert_eq!(last.first_row + last.num_rows() as u64 - 1, 100_000);
    }

    #[test]
    fn sampling_inside_one_huge_row_group() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("one.parquet");
        write_file(&path, 1, 20_000, Compression::SNAPPY);
        let mut src = ParquetSource::open(&path, "one.parquet", &opts(1024, Some(1000))).unwrap();
        let batches = read_all(&mut src);
        let total: usize = batches.iter().map(Batch::num_rows).sum();
        assert_eq!(total, 1000);
        assert_rows_match(&batches);
        // Runs are spread: rows near the start, the middle and the end.
        assert_eq!(batches[0].first_row, 1);
        assert!(
            batches
                .iter()
                .any(|b| (8_000..12_000).contains(&b.first_row))
        );
        let last = batches.last().unwrap();
        assert_eq!(last.first_row + last.num_rows() as u64 - 1, 20_000);
    }

    #[test]
    fn sample_larger_than_file_reads_everything() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("small.parquet");
        write_file(&path, 2, 10, Compression::SNAPPY);
        let mut src = ParquetSource::open(&path, "small.parquet", &opts(1024, Some(1000))).unwrap();
        assert!(!src.info().notes.iter().any(|n| n.starts_with("sampled")));
        let batches = read_all(&mut src);
        assert_eq!(batches.iter().map(Batch::num_rows).sum::<usize>(), 20);
        assert_rows_match(&batches);
    }

    #[test]
    fn plan_sample_shapes() {
        // 100 groups × 1000 rows, 2000 wanted: first and last group, ~2000 rows.
        let plan = plan_sample(&[1000; 100], 2000);
        assert_eq!(plan.first().unwrap().0, 0);
        assert_eq!(plan.last().unwrap().0, 99);
        let rows: usize = plan
            .iter()
            .flat_map(|(_, r)| r.iter().map(|r| r.len()))
            .sum();
        assert!((1900..=2000).contains(&rows), "{rows}");
        // Runs are sorted, disjoint and inside their group.
        for (_, runs) in &plan {
            for w in runs.windows(2) {
                assert!(w[0].end <= w[1].start);
            }
            assert!(runs.iter().all(|r| r.end <= 1000 && !r.is_empty()));
        }
        // Small file: everything.
        assert_eq!(
            plan_sample(&[10, 0, 10], 100),
            vec![(0, first_rows(10)), (2, first_rows(10))]
        );
        // Empty groups are never picked.
        let plan = plan_sample(&[0, 500, 0, 500, 0], 100);
        assert!(plan.iter().all(|(g, _)| *g == 1 || *g == 3));
        assert!(plan_sample(&[], 10).is_empty());
        // One row asked of a big group.
        assert_eq!(plan_sample(&[1000], 1), vec![(0, first_rows(1))]);
        assert_eq!(spread_runs(10, 9), first_rows(9));
    }

    fn open_err(bytes: &[u8], name: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        write_atomic(&path, bytes).unwrap();
        match ParquetSource::open(&path, name, &ReadOptions::default()) {
            Ok(_) => panic!("{name} opened"),
            Err(e @ Error::Input { .. }) => e.to_string(),
            Err(e) => panic!("{name}: not an input error: {e}"),
        }
    }

    fn valid_bytes() -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.parquet");
        write_file(&path, 2, 100, Compression::SNAPPY);
        std::fs::read(&path).unwrap()
    }

    #[test]
    fn bad_files_are_input_errors() {
        let valid = valid_bytes();
        let msg = open_err(b"", "empty.parquet");
        assert!(
            msg.starts_with("empty.parquet: ") && msg.contains("empty"),
            "{msg}"
        );
        let msg = open_err(&valid[..100], "trunc.parquet");
        assert!(
            msg.starts_with("trunc.parquet: ") && msg.contains("truncated"),
            "{msg}"
        );
        let msg = open_err(b"PAR1PAR1", "tiny.parquet");
        assert!(msg.starts_with("tiny.parquet: "), "{msg}");

        let mut garbage = b"PAR1".to_vec();
        let mut x: u32 = 12345;
        for _ in 0..500 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            garbage.push((x >> 16) as u8);
        }
        garbage.extend_from_slice(&200u32.to_le_bytes());
        garbage.extend_from_slice(b"PAR1");
        let msg = open_err(&garbage, "garbage.parquet");
        assert!(
            msg.starts_with("garbage.parquet: ") && msg.contains("footer"),
            "{msg}"
        );

        // Footer length pointing before the start of the file.
        let mut long = valid.clone();
        let n = long.len();
        long[n - 8..n - 4].copy_from_slice(&u32::MAX.to_le_bytes());
        let msg = open_err(&long, "len.parquet");
        assert!(msg.contains("footer"), "{msg}");

        // Corrupt footer: overwrite the metadata with noise.
        let mut corrupt = valid.clone();
        let meta_len = u32::from_le_bytes(corrupt[n - 8..n - 4].try_into().unwrap()) as usize;
        for (i, b) in corrupt[n - 8 - meta_len..n - 8].iter_mut().enumerate() {
            *b = (i * 37 % 251) as u8;
        }
        let msg = open_err(&corrupt, "corrupt.parquet");
        assert!(
            msg.starts_with("corrupt.parquet: ") && msg.contains("footer"),
            "{msg}"
        );

        // Every truncation of a valid file fails cleanly, never panics.
        for cut in (0..valid.len()).step_by(97) {
            let _ = open_err(&valid[..cut], "cut.parquet");
        }
        let msg = open_err(b"hello,world\n", "csv.parquet");
        assert!(msg.contains("PAR1"), "{msg}");
    }

    #[test]
    fn decode_error_names_row_group_and_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.parquet");
        write_file(&path, 3, 1000, Compression::SNAPPY);
        // Find row group 1's first column chunk and smash its page header.
        let meta = {
            let f = File::open(&path).unwrap();
            ArrowReaderMetadata::load(&f, ArrowReaderOptions::new()).unwrap()
        };
        let (start, _) = meta.metadata().row_group(1).column(0).byte_range();
        let mut bytes = std::fs::read(&path).unwrap();
        for b in &mut bytes[start as usize..start as usize + 24] {
            *b = 0xFF;
        }
        write_atomic(&path, &bytes).unwrap();

        let mut src = ParquetSource::open(&path, "bad.parquet", &opts(4096, None)).unwrap();
        let first = src.next_batch().unwrap().unwrap();
        assert_eq!((first.first_row, first.num_rows()), (1, 1000));
        let err = src.next_batch().unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, Error::Input { .. }));
        assert!(
            msg.starts_with("bad.parquet: row 1001: row group 1 of 3 (rows 1001–2000)"),
            "{msg}"
        );
        // The broken group is abandoned; reading goes on with the next one.
        let next = src.next_batch().unwrap().unwrap();
        assert_eq!(next.first_row, 2001);
        assert_rows_match(&[next]);
    }

    #[test]
    fn smashed_bytes_anywhere_never_escape_as_panics() {
        let valid = valid_bytes();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("smashed.parquet");
        let step = (valid.len() / 60).max(1);
        for at in (4..valid.len().saturating_sub(8)).step_by(step) {
            let mut bytes = valid.clone();
            let end = (at + 8).min(bytes.len() - 8);
            for (i, b) in bytes[at..end].iter_mut().enumerate() {
                *b ^= 0x5A ^ (i as u8);
            }
            write_atomic(&path, &bytes).unwrap();
            let Ok(mut src) = ParquetSource::open(&path, "smashed.parquet", &opts(64, None)) else {
                continue;
            };
            for _ in 0..100 {
                match src.next_batch() {
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                    Err(e) => assert!(matches!(e, Error::Input { .. }), "{e}"),
                }
            }
        }
    }

    /// A Parquet file with no rows whose schema nests `depth` groups and ends in `leaves`
    /// INT32 columns, its footer written by hand (the writer would overflow on deep schemas).
    fn schema_only_file(depth: usize, leaves: usize) -> Vec<u8> {
        fn varint(out: &mut Vec<u8>, mut v: u64) {
            while v >= 0x80 {
                out.push((v as u8) | 0x80);
                v >>= 7;
            }
            out.push(v as u8);
        }
        fn int(out: &mut Vec<u8>, delta: u8, v: i64) {
            out.push(delta << 4 | 5);
            varint(out, ((v << 1) ^ (v >> 63)) as u64);
        }
        fn name(out: &mut Vec<u8>, delta: u8, n: &str) {
            out.push(delta << 4 | 8);
            varint(out, n.len() as u64);
            out.extend_from_slice(n.as_bytes());
        }
        let mut m = Vec::new();
        int(&mut m, 1, 1);
        m.push(0x19);
        m.push(0xFC);
        varint(&mut m, (1 + depth + leaves) as u64);
        let first = if depth > 0 { 1 } else { leaves };
        name(&mut m, 4, "schema");
        int(&mut m, 1, first as i64);
        m.push(0);
        for d in 0..depth {
            int(&mut m, 3, 0);
            name(&mut m, 1, &format!("g{d}"));
            int(&mut m, 1, if d + 1 < depth { 1 } else { leaves as i64 });
            m.push(0);
        }
        for l in 0..leaves {
            int(&mut m, 1, 1);
            int(&mut m, 2, 1);
            name(&mut m, 1, &format!("c{l}"));
            m.push(0);
        }
        m.push(0x16);
        m.push(0);
        m.push(0x19);
        m.push(0x0C);
        m.push(0);
        let mut f = b"PAR1".to_vec();
        f.extend_from_slice(&m);
        f.extend_from_slice(&(m.len() as u32).to_le_bytes());
        f.extend_from_slice(b"PAR1");
        f
    }

    #[test]
    fn deep_and_wide_schemas_are_refused_before_the_library_reads_them() {
        let dir = tempfile::tempdir().unwrap();
        let open = |bytes: &[u8], name: &str| {
            let path = dir.path().join(name);
            write_atomic(&path, bytes).unwrap();
            ParquetSource::open(&path, name, &ReadOptions::default())
        };
        // At the limits: read by the library.
        let src = open(
            &schema_only_file(MAX_SCHEMA_DEPTH as usize, 3),
            "deep64.parquet",
        )
        .unwrap();
        assert_eq!(src.rows_total(), Some(RowCount::Exact(0)));
        let src = open(&schema_only_file(0, MAX_COLUMNS), "wide.parquet").unwrap();
        assert_eq!(src.schema().fields().len(), MAX_COLUMNS);
        // Beyond them: refused, naming the file and the figure.
        let msg = open_err(&schema_only_file(10_000, 1), "deep.parquet");
        assert!(
            msg.starts_with("deep.parquet: ") && msg.contains("at most 64 levels"),
            "{msg}"
        );
        let msg = open_err(&schema_only_file(0, MAX_COLUMNS + 1), "wider.parquet");
        assert!(
            msg.starts_with("wider.parquet: ") && msg.contains("16385 columns"),
            "{msg}"
        );
        let msg = open_err(&schema_only_file(3, 20_000), "nested_wide.parquet");
        assert!(msg.contains("20000 columns"), "{msg}");
        assert_eq!(
            schema_shape(&schema_only_file(5, 7)[4..]),
            Some(SchemaShape {
                depth: 5,
                leaves: 7
            })
        );
    }

    #[test]
    fn sanitize_hides_values() {
        assert_eq!(sanitize("bad value 1234567892 at 12"), "bad value … at 12");
        assert_eq!(
            sanitize("cannot parse \"Arben\" as int"),
            "cannot parse \"…\" as int"
        );
        assert_eq!(sanitize("open \"x"), "open \"…\"");
        assert!(sanitize(&"x".repeat(1000)).chars().count() <= MAX_CAUSE_CHARS + 2);
    }

    #[test]
    fn empty_file_with_schema_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("zero.parquet");
        let schema = Arc::new(Schema::new(vec![Field::new("a", DataType::Int64, true)]));
        let w = ArrowWriter::try_new(AtomicFile::create(&path).unwrap(), schema, None).unwrap();
        w.into_inner().unwrap().commit().unwrap();
        let mut src = ParquetSource::open(&path, "zero", &opts(10, Some(5))).unwrap();
        assert_eq!(src.rows_total(), Some(RowCount::Exact(0)));
        assert!(src.next_batch().unwrap().is_none());
    }
}
