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

use super::{DatasetInfo, Format, ReadOptions, RowCount, Source};
use crate::error::{Error, Location, Result, catch_panic};
use crate::value::Batch;

mod envelope;
mod plan;

use envelope::{EnvelopeError, check_envelope};
use plan::{plan_all, plan_sample};

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
mod tests;
