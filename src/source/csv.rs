//! CSV reader: delimited text in UTF-8 or a legacy Kosovo encoding, optionally compressed.
//!
//! Every column comes out as a nullable Arrow `Utf8` column (an empty field is an empty
//! string, never null), in batches of at most
//! [`ReadOptions::batch_rows`](super::ReadOptions::batch_rows) rows.
//!
//! # How a file is read
//!
//! 1. **Compression** is recognised by magic bytes (gzip `1f 8b`, zstd `28 b5 2f fd`), so a
//!    compressed file opens whatever its name; a `.gz`/`.zst` name *without* the magic bytes is
//!    an input error (the file is corrupt or misnamed). Compressed input cannot seek.
//!    **UTF-16** text (a byte-order mark, or NUL bytes at every other position of the first
//!    KiB; or `--encoding utf-16le|utf-16be`) is transcoded to UTF-8 as it is read
//!    (`csv/utf16.rs`); it cannot seek, so it is sampled like compressed text.
//! 2. **The head**, the first 64 KiB of (decompressed) text with any UTF-8 byte-order mark
//!    removed, drives every guess below. It grows (up to 8 MiB) until it holds two complete
//!    records, so a very wide header row is still seen whole. An Excel `sep=;` first line
//!    (`csv/sep.rs`) is skipped.
//! 3. **Encoding.** `--encoding` forces one of UTF-8, windows-1250, windows-1251 or ISO-8859-2.
//!    Otherwise a head that is valid UTF-8 (a multi-byte character cut by the end of the head
//!    is allowed) means UTF-8. If not, the head is decoded both as windows-1250 and as
//!    windows-1251 and each decoding is scored word by word: a word with non-ASCII letters is
//!    plausible Cyrillic when all its letters are Cyrillic, and plausible Latin when its
//!    non-ASCII letters are Latin (`č ć š ž đ ë ç` …) *and* it also has ASCII letters (Latin
//!    words such as `Arbër` mix both; Cyrillic bytes read as windows-1250 give words made of
//!    accented letters only). The better score wins; ties go to windows-1250. ISO-8859-2
//!    differs from windows-1250 mainly in where `Š š Ž ž` live, so it is chosen only when the
//!    head has none of the bytes 0x80–0x9F (C1 controls in ISO-8859-2, but `Š š Ž ž Ť ť …` in
//!    windows-1250) and has 0xA9/0xB9/0xAE/0xBE next to an ASCII letter (`Š š Ž ž` in
//!    ISO-8859-2, `© ą ® ľ` in windows-1250). All three legacy encodings are single-byte ASCII
//!    supersets, so the delimiter, quote and newline bytes mean the same in every one of them:
//!    records are parsed on raw bytes and each *field* is decoded afterwards, which is exact
//!    and lets a seek land anywhere. A UTF-8 file is validated record by record (a field is
//!    valid when its record is and it starts and ends on character boundaries), so invalid
//!    UTF-8 later in the file is an input error naming the row and column.
//! 4. **Delimiter.** `--delimiter` forces one, else a `sep=` line names it. Otherwise each of `,`
//!    `;` TAB `|` parses the head (quotes respected) and the candidate whose records most
//!    consistently have the same field count (at least two fields) wins, except that the
//!    extension's delimiter (`.tsv`/`.tab` → TAB, `.psv` → `|`) wins whenever at least 90% of
//!    records agree on its count; remaining ties go to more fields, then to the order above. A file
//!    where no candidate splits anything is one column.
//! 5. **Header.** `has_header` forces it. Otherwise the first row is a header unless there is
//!    clear evidence against it (`looks_like_header`): some evidence for data, that is a
//!    column whose first cell is a number, date, phone number or e-mail address above a column
//!    of at least 80% such values, or whose first cell recurs further down the same column; and
//!    no evidence for a header, that is no column with a text cell (or a year such as `2023`)
//!    above a column of at least 80% numbers/dates (that are not years), and the first row not
//!    repeated further down (concatenated files). A one-row file is data only when all its
//!    non-empty cells are numbers/dates. So a file of names without a header is read as having
//!    one (its first row becomes the column names): forcing `has_header` fixes that. Header names
//!    are trimmed and de-duplicated (`name`, `name_2`; empty → `colN`); without a header the
//!    columns are `col1..colN`. Columns of decimal-comma numbers in a file not separated by
//!    commas are read as numbers (`1.234,56` → `1234.56`; `csv/decimal.rs`).
//! 6. **Parsing** reads as the `csv` crate does (RFC 4180: `"` quotes, `""` escapes,
//!    CR/LF/CRLF line ends, blank lines skipped) into one reused [`ByteRecord`]: plain records
//!    are split by `csv/records.rs` itself, eight bytes at a time, the rest by `csv_core`.
//!    Rows whose field count differs from the header's are an input error: silently shifting
//!    columns would misclassify them.
//!    A guard under the parser (`Tracked`) follows the quoting state of every byte (with
//!    `memchr`, each quote-free stretch at once) so that a field longer than `max_field_bytes`
//!    is rejected before the parser has buffered more than the limit plus one 64 KiB read, and
//!    so that an unterminated quote at the end of the file, which the `csv` crate silently
//!    accepts, is an error naming the row and column where the quoted field started.
//!    `max_field_bytes` counts input bytes.
//! 7. **Sampling** (`sample_rows = Some(n)`). A small file (less than 4 × the bytes of `n`
//!    rows, estimated from the head) is read whole, which is exact and cheap. A compressed file
//!    cannot seek, so its first `n` rows are read. A large plain file is read in up to 16
//!    windows at evenly spaced byte offsets, about `n / 16` rows each; the first window starts
//!    right after the header. Every later window resynchronises on a record boundary: each
//!    position just after a newline is a candidate, accepted only when the next four records
//!    have exactly the header's field count and no quote out of place (a quote inside an
//!    unquoted field, or text after a closing quote, is what landing inside a quoted field with
//!    embedded newlines looks like); at most 256 candidates are tried before the window is
//!    skipped (and a note says so). A window stops before the record where the next window
//!    begins, so rows are never read twice. **Row numbers in windows after the first are
//!    estimates** (byte offset / mean row size seen so far); the row count of a sampled large
//!    file is [`RowCount::Estimated`] (per window: the bytes it stands for / its mean row size).
//! 8. **The tail.** Every stream holds its last 17 rows back (`csv/tail.rs`); at the end of the
//!    file a trailing run of up to 16 total, footnote and blank rows is dropped by the sheets'
//!    rules (`header_find.rs`), and a note says how many, when the file is a published table
//!    (a title block above the header, or a footnote in the run). A short footnote row there is no
//!    ragged-row error; anywhere else it is. A sample window that reaches the end of the file
//!    judges the tail the same way, so a sample never holds a row the full read drops.
//!
//! # Layout
//!
//! `open.rs` opens a file in named steps and picks the read strategy; `stream.rs` is one contiguous
//! read through the parser (`records.rs`) and `tail.rs` its held-back tail; `guard.rs` watches the
//! bytes under the parser; `ctx.rs` decodes records into columns and words the errors; `windows.rs`
//! places and resynchronises sample windows; `input.rs` (compression), `encoding.rs`, `utf16.rs`,
//! `sep.rs`, `head.rs` (delimiter, header, title block) and `decimal.rs` are the decisions made
//! from the head.
use std::sync::Arc;
use std::sync::atomic::Ordering;

use arrow_array::builder::StringBuilder;
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::SchemaRef;
use csv::ByteRecord;

use self::ctx::Ctx;
use self::head::delimiter_name;
use self::input::{ByteCounts, Compression};
use self::stream::{Stream, read_record};
use self::windows::Sampler;
use super::header_find::Dropped;
use super::{DatasetInfo, RowCount, Source};
use crate::error::{Error, Result};
use crate::value::Batch;

mod ctx;
mod decimal;
mod encoding;
mod guard;
mod head;
mod input;
mod open;
mod records;
mod sep;
mod stream;
mod tail;
#[cfg(test)]
mod tests;
mod utf16;
mod windows;

pub use self::encoding::check_encoding_label;
pub(crate) use self::head::{looks_like_header, unique_names};

/// Bytes of text the guesses start from.
const HEAD_BYTES: usize = 64 * 1024;
/// The head grows up to this size until it holds two complete records.
const HEAD_MAX: usize = 8 * 1024 * 1024;
/// Most columns a file may have (a spreadsheet's limit). Every column costs a profile of about
/// 13 KiB during a scan (100,000 columns measured 1.3 GB), so a million-column header would
/// cost gigabytes; wider files are refused.
pub const MAX_COLUMNS: usize = 16_384;
/// The UTF-8 byte-order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Delimited-text reader (CSV, TSV, semicolon or pipe separated; plain, gzip or zstd).
///
/// See the [module documentation](self) for how encoding, delimiter and header are decided and
/// how sampled reads work.
pub struct CsvSource {
    info: DatasetInfo,
    schema: SchemaRef,
    ctx: Ctx,
    batch_rows: usize,
    /// The record every row is parsed into (reused).
    record: ByteRecord,
    /// The contiguous read in progress.
    stream: Option<Stream>,
    plan: Plan,
    rows_total: Option<RowCount>,
    done: bool,
    /// Rows of the previous batch and text bytes of each of its columns (builder sizes).
    prev_rows: usize,
    prev_bytes: Vec<usize>,
    /// Total, footnote and blank rows dropped at the end of the file.
    dropped: Dropped,
}

impl Source for CsvSource {
    fn info(&self) -> &DatasetInfo {
        &self.info
    }

    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn next_batch(&mut self) -> Result<Option<Batch>> {
        if self.done {
            return Ok(None);
        }
        let res = self.next_batch_inner();
        if !matches!(res, Ok(Some(_))) {
            self.done = true;
            self.stream = None;
        }
        res
    }

    fn rows_total(&self) -> Option<RowCount> {
        self.rows_total
    }
}

impl CsvSource {
    fn next_batch_inner(&mut self) -> Result<Option<Batch>> {
        loop {
            if self.stream.is_none() && !self.open_next_window()? {
                self.finish();
                return Ok(None);
            }
            if let Some(batch) = self.fill_batch()? {
                return Ok(Some(batch));
            }
            self.close_stream();
        }
    }

    /// Up to `batch_rows` consecutive rows of the current stream; `None` when it is exhausted.
    fn fill_batch(&mut self) -> Result<Option<Batch>> {
        let Some(stream) = self.stream.as_mut() else {
            return Ok(None);
        };
        let ncols = self.ctx.names.len();
        // Sized from the previous batch, so a batch like it never regrows (copying and
        // touching fresh pages at every doubling); an eighth more absorbs the usual variation.
        let rows = self
            .prev_rows
            .clamp(4096.min(self.batch_rows), self.batch_rows);
        let mut builders: Vec<StringBuilder> = (0..ncols)
            .map(|j| {
                let bytes = self.prev_bytes.get(j).copied().unwrap_or(0);
                StringBuilder::with_capacity(rows, bytes + bytes / 8)
            })
            .collect();
        let mut first_row = None;
        let mut count = 0;
        while count < self.batch_rows {
            let Some(row) = read_record(&self.ctx, stream, &mut self.record)? else {
                break;
            };
            self.ctx
                .append_row(&self.record, row, stream, &mut builders)?;
            first_row.get_or_insert(row);
            count += 1;
        }
        let Some(first_row) = first_row else {
            return Ok(None);
        };
        self.prev_rows = count;
        self.prev_bytes.clear();
        self.prev_bytes
            .extend(builders.iter().map(|b| b.values_slice().len()));
        let columns: Vec<ArrayRef> = builders
            .iter_mut()
            .map(|b| Arc::new(b.finish()) as ArrayRef)
            .collect();
        let data = RecordBatch::try_new(self.schema.clone(), columns)
            .map_err(|e| Error::Internal(format!("building a CSV batch: {e}")))?;
        Ok(Some(Batch { first_row, data }))
    }

    /// Start the next sample window; `false` when there is none (or the plan has one stream).
    fn open_next_window(&mut self) -> Result<bool> {
        let Plan::Windows(w) = &mut self.plan else {
            return Ok(false);
        };
        self.stream = w.next_stream(&self.ctx)?;
        Ok(self.stream.is_some())
    }

    /// Account for the finished stream and drop it.
    fn close_stream(&mut self) {
        let Some(s) = self.stream.take() else {
            return;
        };
        self.dropped.merge(s.held.dropped());
        match &mut self.plan {
            Plan::Single {
                text_len,
                file_len,
                counts,
            } => {
                self.rows_total = Some(if s.hit_eof {
                    RowCount::Exact(s.rows)
                } else {
                    // Stopped early (compressed sample): text size / mean row size, the text
                    // size extrapolated from the compression ratio seen so far.
                    let text_total = match self.ctx.compression {
                        Compression::None if !self.ctx.transcoded => *text_len as f64,
                        _ => {
                            let read = counts.compressed.load(Ordering::Relaxed).max(1) as f64;
                            let out = counts.text.load(Ordering::Relaxed) as f64;
                            out * *file_len as f64 / read
                        }
                    };
                    let est = if s.data_end > 0 {
                        (s.rows as f64 * text_total / s.data_end as f64).round() as u64
                    } else {
                        s.rows
                    };
                    RowCount::Estimated(est.max(s.rows))
                });
                if s.hit_eof && s.rows == 0 && self.ctx.has_header {
                    let note = "header only: no data rows";
                    if !self.info.notes.iter().any(|n| n == note) {
                        self.info.notes.push(note.to_string());
                    }
                }
            }
            Plan::Windows(w) => w.record(&s),
        }
    }

    /// All windows read: settle the row count and notes.
    fn finish(&mut self) {
        if let Some(note) = self.dropped.note() {
            self.info.notes.push(note);
        }
        if let Plan::Windows(w) = &self.plan {
            self.rows_total = Some(if w.contiguous && w.last_hit_eof {
                RowCount::Exact(w.rows)
            } else {
                RowCount::Estimated(w.estimate_rows().max(w.rows))
            });
            if w.skipped > 0 {
                self.info.notes.push(format!(
                    "{} of {} sample windows skipped: no verifiable record boundary found",
                    w.skipped,
                    w.offsets.len()
                ));
            }
        }
    }
}

/// How the rows are read.
enum Plan {
    /// One stream from the start of the text.
    Single {
        /// Bytes of text after any byte-order mark (plain files).
        text_len: u64,
        /// Bytes of the file.
        file_len: u64,
        /// Bytes read so far (for compressed row estimates).
        counts: ByteCounts,
    },
    /// Sample windows across a large plain file.
    Windows(Sampler),
}
