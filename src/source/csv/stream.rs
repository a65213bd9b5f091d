//! One contiguous read through the record parser (`csv/records.rs`): the rows of a stream,
//! through its held-back tail (`tail.rs`).
use std::borrow::Cow;
use std::io::Read;

use csv::ByteRecord;

use super::ctx::Ctx;
use super::guard::{Tracked, Tracker};
use super::records::Records;
use super::tail;
use crate::error::Result;
use crate::source::header_find::RowKind;

/// Buffer of the `csv` reader (and so the guard's read size).
pub(super) const CSV_BUFFER: usize = 64 * 1024;

/// The next data row of `s` into `rec`, with its row number; `None` at the stream's end.
///
/// Rows pass through the stream's held-back tail (`csv/tail.rs`), which drops the total,
/// footnote and blank rows at the end of the input.
pub(super) fn read_record(ctx: &Ctx, s: &mut Stream, rec: &mut ByteRecord) -> Result<Option<u64>> {
    loop {
        if s.finished {
            return Ok(None);
        }
        if s.max_rows.is_some_and(|m| s.rows >= m) {
            s.finished = true;
            // Exact only when nothing is left: a sample that covers the whole input counts.
            s.hit_eof = s.raw_eof && s.held.is_empty();
            return Ok(None);
        }
        if let Some(out) = s.held.pop(rec) {
            return Ok(Some(s.emit(out)));
        }
        if s.raw_done {
            s.finished = true;
            s.hit_eof = s.raw_eof;
            return Ok(None);
        }
        let Some((row, end)) = read_raw(ctx, s, rec)? else {
            s.raw_done = true;
            if s.raw_eof {
                let width = ctx.names.len();
                s.held
                    .end_of_input(ctx.titled, |r| tail_kind(ctx, r, width));
            } else {
                s.held.release_all();
            }
            continue;
        };
        let width = ctx.names.len();
        let ragged = rec.len() != width;
        let kind = (ragged || s.held.holds_ragged()).then(|| tail_kind(ctx, rec, width));
        if kind == Some(RowKind::Data) {
            // Not the tail: a ragged row before it is the error it always was.
            let (at, found) = s.held.first_ragged().unwrap_or((row, rec.len()));
            if ragged || at != row {
                return Err(ctx.ragged(at, found, s.estimated));
            }
        }
        if let Some(out) = s.held.push(rec, row, end, ragged, kind) {
            return Ok(Some(s.emit(out)));
        }
    }
}

/// What `rec` is at the end of a table of `width` columns (see `csv/tail.rs`).
pub(super) fn tail_kind(ctx: &Ctx, rec: &ByteRecord, width: usize) -> RowKind {
    let cells: Vec<Cow<'_, str>> = rec.iter().map(|f| ctx.enc.decode_lossy(f)).collect();
    tail::row_kind(&cells, width)
}

/// The next data record read from `s`, with its row number and end offset; `None` at the end
/// of the input (`s.raw_eof`) or of the stream's stretch.
pub(super) fn read_raw(
    ctx: &Ctx,
    s: &mut Stream,
    rec: &mut ByteRecord,
) -> Result<Option<(u64, u64)>> {
    loop {
        let more = match s.rdr.read_byte_record(rec) {
            Ok(more) => more,
            Err(e) => return Err(ctx.csv_error(e, s)),
        };
        if !more {
            s.raw_eof = true;
            return Ok(None);
        }
        s.records += 1;
        if s.records < s.first_data_record {
            continue; // the header, already read at open
        }
        let start = rec.position().map(|p| p.byte());
        if let (Some(stop), Some(start)) = (s.stop_at, start)
            && start >= stop
        {
            return Ok(None);
        }
        if s.data_start.is_none() {
            s.data_start = start;
        }
        let row = s.next_row();
        s.read_rows += 1;
        return Ok(Some((row, s.rdr.position())));
    }
}

/// Where a contiguous read starts and when it stops.
pub(super) struct StreamSpec {
    /// 1-based index (among this stream's records) of the first data record: 2 after a header.
    pub(super) first_data_record: u64,
    /// Data-row number of that record.
    pub(super) base_row: u64,
    /// Whether `base_row` is an estimate.
    pub(super) estimated: bool,
    pub(super) max_rows: Option<u64>,
    /// Stop before a record starting at or after this stream offset.
    pub(super) stop_at: Option<u64>,
    /// File offset of stream offset 0 (plain files).
    pub(super) file_offset: u64,
}

/// One contiguous read through the record parser.
pub(super) struct Stream {
    pub(super) rdr: Records<Tracked>,
    pub(super) first_data_record: u64,
    pub(super) base_row: u64,
    pub(super) estimated: bool,
    pub(super) max_rows: Option<u64>,
    pub(super) stop_at: Option<u64>,
    pub(super) file_offset: u64,
    /// Records parsed (header included).
    pub(super) records: u64,
    /// Data rows read from the input.
    pub(super) read_rows: u64,
    /// Data rows yielded (the rows read, less those still held or dropped as the tail).
    pub(super) rows: u64,
    /// Stream offset where the first yielded row starts, and just past the last one.
    pub(super) data_start: Option<u64>,
    pub(super) data_end: u64,
    /// Rows held back until the end shows whether they are a table's tail.
    pub(super) held: tail::HeldTail,
    /// The parser has no more records for this stream (`raw_eof`: the input ended).
    pub(super) raw_done: bool,
    pub(super) raw_eof: bool,
    pub(super) finished: bool,
    /// Every row to the end of the input was yielded or dropped.
    pub(super) hit_eof: bool,
}

impl Stream {
    pub(super) fn new(
        inner: Box<dyn Read + Send>,
        delim: u8,
        max_field: usize,
        spec: StreamSpec,
    ) -> Self {
        let tracked = Tracked {
            inner,
            tracker: Tracker::new(delim, max_field),
            failure: None,
            nul_seen: false,
        };
        Stream {
            rdr: Records::new(tracked, delim, CSV_BUFFER),
            first_data_record: spec.first_data_record,
            base_row: spec.base_row,
            estimated: spec.estimated,
            max_rows: spec.max_rows,
            stop_at: spec.stop_at,
            file_offset: spec.file_offset,
            records: 0,
            read_rows: 0,
            rows: 0,
            data_start: None,
            data_end: 0,
            held: tail::HeldTail::new(tail::HELD_ROWS + 1),
            raw_done: false,
            raw_eof: false,
            finished: false,
            hit_eof: false,
        }
    }

    /// Yield a row released by the held tail.
    pub(super) fn emit(&mut self, out: tail::Released) -> u64 {
        self.rows += 1;
        self.data_end = out.end;
        out.row
    }

    /// Data-row number of this stream's `record`-th record (0 for the header).
    pub(super) fn row_of_record(&self, record: u64) -> u64 {
        match record.checked_sub(self.first_data_record) {
            Some(k) => self.base_row + k,
            None => 0,
        }
    }

    /// Number of the next data row read from the input.
    pub(super) fn next_row(&self) -> u64 {
        self.base_row + self.read_rows
    }
}

/// The `csv` reader the head is parsed with (`csv/head.rs`); `csv/records.rs` parses
/// exactly as it does (a proptest holds them equal).
pub(super) fn csv_builder(delim: u8) -> csv::ReaderBuilder {
    let mut b = csv::ReaderBuilder::new();
    b.has_headers(false)
        .flexible(true)
        .delimiter(delim)
        .quote(b'"')
        .quoting(true)
        .double_quote(true)
        .buffer_capacity(CSV_BUFFER);
    b
}
