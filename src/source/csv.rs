//! CSV reader: delimited text in UTF-8 or a legacy Kosovo encoding, optionally compressed.
//!
//! Every column comes out as a nullable Arrow `Utf8` column (an empty field is an empty
//! string, never null), in batches of at most [`ReadOptions::batch_rows`] rows.
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
//! 4. **Delimiter.** `--delimiter` forces one, else a `sep=` line names it. Otherwise each of `,` `;` TAB `|` parses the head
//!    (quotes respected) and the candidate whose records most consistently have the same field
//!    count (at least two fields) wins, except that the extension's delimiter (`.tsv`/`.tab` →
//!    TAB, `.psv` → `|`) wins whenever at least 90% of records agree on its count; remaining
//!    ties go to more fields, then to the order above. A file where no
//!    candidate splits anything is one column.
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
//! 6. **Parsing** is the `csv` crate (RFC 4180: `"` quotes, `""` escapes, CR/LF/CRLF line
//!    ends, blank lines skipped) into one reused [`ByteRecord`]. Rows whose field count differs
//!    from the header's are an input error: silently shifting columns would misclassify them.
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
use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arrow_array::builder::StringBuilder;
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use csv::ByteRecord;
use encoding_rs::{Encoding, ISO_8859_2, WINDOWS_1250, WINDOWS_1251};

use super::header_find::{Dropped, RowKind};
use super::{DatasetInfo, Format, ReadOptions, RowCount, Source};
use crate::error::{Error, Location, Result};
use crate::value::Batch;

mod decimal;
mod sep;
mod tail;
mod utf16;

/// Bytes of text the guesses start from.
const HEAD_BYTES: usize = 64 * 1024;
/// The head grows up to this size until it holds two complete records.
const HEAD_MAX: usize = 8 * 1024 * 1024;
/// Most columns a file may have (a spreadsheet's limit). Every column costs a profile of about
/// 13 KiB during a scan (100,000 columns measured 1.3 GB), so a million-column header would
/// cost gigabytes; wider files are refused.
pub const MAX_COLUMNS: usize = 16_384;
/// Records of the head used for sniffing and header detection.
const HEAD_RECORDS: usize = 200;
/// Delimiter candidates, in order of preference on ties.
const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];
/// Windows a sampled large file is read in.
const WINDOWS: usize = 16;
/// Records that must parse cleanly after a candidate record boundary.
const VERIFY_RECORDS: usize = 4;
/// Candidate boundaries tried per window before the window is skipped.
const RESYNC_ATTEMPTS: usize = 256;
/// How far past the limit an over-long field is scanned to report its exact size.
const MEASURE_CAP: u64 = 256 * 1024 * 1024;
/// Buffer of the `csv` reader (and so the guard's read size).
const CSV_BUFFER: usize = 64 * 1024;
/// The UTF-8 byte-order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";
/// What to do about text that is not UTF-8.
const ENCODING_HINT: &str = "use --encoding windows-1250 (or windows-1251, iso-8859-2)";
/// Encodings `--encoding` accepts.
const SUPPORTED_ENCODINGS: &str =
    "utf-8, windows-1250, windows-1251, iso-8859-2, utf-16le, utf-16be";

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

impl CsvSource {
    /// Open the delimited-text file at `path`; `display` is how it is named in messages.
    ///
    /// Reads (at most) the first few KiB to decide compression, encoding, delimiter and header;
    /// rows are then streamed by [`Source::next_batch`].
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the file cannot be opened or read, [`Error::Usage`] for an unsupported
    /// `opts.encoding` or an impossible `opts.delimiter`, and [`Error::Input`] for an empty file,
    /// a corrupt compressed stream, invalid text in the header or a first row too long to see.
    pub fn open(path: &Path, display: &str, opts: &ReadOptions) -> Result<Self> {
        let io_err = |e| Error::io(path, e);
        let mut file = File::open(path).map_err(io_err)?;
        let file_len = file.metadata().map_err(io_err)?.len();
        let mut magic = Vec::with_capacity(4);
        Read::take(&mut file, 4)
            .read_to_end(&mut magic)
            .map_err(io_err)?;
        file.seek(SeekFrom::Start(0)).map_err(io_err)?;

        let lower = path
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let mut ctx = Ctx {
            loc: Location::dataset(display),
            path: path.to_path_buf(),
            names: Vec::new(),
            enc: TextEncoding::Utf8,
            enc_forced: opts.encoding.is_some(),
            compression: Compression::None,
            max_field: opts.max_field_bytes,
            has_header: true,
            delim: b',',
            transcoded: false,
            decimal: None,
        };
        let compression = Compression::detect(&lower, &magic, &ctx.loc)?;
        ctx.compression = compression;
        let stem = lower
            .strip_suffix(".gz")
            .or_else(|| lower.strip_suffix(".zst"))
            .or_else(|| lower.strip_suffix(".zstd"))
            .unwrap_or(&lower);
        let prefer = if stem.ends_with(".tsv") || stem.ends_with(".tab") {
            Some(b'\t')
        } else if stem.ends_with(".psv") {
            Some(b'|')
        } else {
            None
        };

        let forced_enc = opts
            .encoding
            .as_deref()
            .map(TextEncoding::from_label)
            .transpose()?;
        let forced_delim = match opts.delimiter {
            Some(b'"' | b'\n' | b'\r') => {
                return Err(Error::Usage(
                    "the CSV delimiter cannot be a quote or a line break".into(),
                ));
            }
            d => d,
        };

        let window_file = match compression {
            Compression::None => Some(file.try_clone().map_err(io_err)?),
            _ => None,
        };
        let counts = ByteCounts::default();
        let forced_utf16 = opts.encoding.as_deref().and_then(utf16::Order::from_label);
        let (mut text, utf16) = text_stream(file, compression, &counts, forced_utf16, forced_enc)
            .map_err(|e| ctx.read_error(e))?;
        // Transcoded text has no file offsets to seek to: it is read like compressed text.
        ctx.transcoded = utf16.is_some();
        let window_file = window_file.filter(|_| utf16.is_none());
        let (mut head, mut at_eof) =
            read_up_to(&mut *text, HEAD_BYTES).map_err(|e| ctx.read_error(e))?;
        let bom_len: u64 = if head.starts_with(BOM) {
            head.drain(..BOM.len());
            3
        } else {
            utf16.map_or(0, |u| u.bom)
        };
        if at_eof && head.iter().all(u8::is_ascii_whitespace) {
            return Err(Error::input(
                ctx.loc.clone(),
                "empty file: no header and no rows",
            ));
        }
        let sep_line = sep::parse(&head).map_err(|m| Error::input(ctx.loc.at_row(1), m))?;
        let skipped = bom_len + sep_line.as_ref().map_or(0, |l| l.len as u64);
        if let Some(l) = &sep_line {
            head.drain(..l.len.min(head.len()));
        }
        let (fixed_delim, fixed_how) = match (forced_delim, sep_line.as_ref()) {
            (Some(d), _) => (Some(d), "forced"),
            (None, Some(sep::SepLine { delim: Some(d), .. })) => (Some(*d), "from the sep= line"),
            _ => (None, ""),
        };

        // Grow the head until it holds two complete records, or the whole file.
        let (enc, delim, delim_how, complete) = loop {
            let enc = forced_enc.unwrap_or_else(|| detect_encoding(&head, at_eof));
            let (delim, how) = match fixed_delim {
                Some(d) => (d, fixed_how),
                None => match sniff_delimiter(&head, at_eof, prefer) {
                    Some(d) => (d, "sniffed"),
                    None => (prefer.unwrap_or(b','), "default: only one column found"),
                },
            };
            let complete = parse_head(&head, at_eof, delim, HEAD_RECORDS);
            if at_eof || complete.len() >= 2 || head.len() >= HEAD_MAX {
                break (enc, delim, how, complete);
            }
            let more = head.len();
            let got = Read::take(&mut *text, more as u64)
                .read_to_end(&mut head)
                .map_err(|e| ctx.read_error(e))?;
            at_eof = got < more;
        };
        ctx.enc = enc;
        ctx.delim = delim;
        // A spreadsheet's title block above the header is skipped, but only when its lines
        // are clearly titles (`csv_title_lines`), so a plain CSV reads exactly as before.
        let title_lines = match opts.has_header {
            Some(false) => 0,
            _ => csv_title_lines(&complete, enc),
        };
        let Some(first) = complete.get(title_lines) else {
            return Err(if at_eof {
                Error::input(ctx.loc.clone(), "empty file: no header and no rows")
            } else {
                Error::input(
                    ctx.loc.at_row(1),
                    format!(
                        "the first row is longer than {} MiB; cannot determine the columns",
                        HEAD_MAX / (1024 * 1024)
                    ),
                )
            });
        };
        let ncols = first.rec.len();
        if ncols > MAX_COLUMNS {
            return Err(Error::input(
                ctx.loc.clone(),
                format!(
                    "the first row has {ncols} columns; at most {MAX_COLUMNS} columns are supported"
                ),
            ));
        }

        let mut notes = Vec::new();
        match compression {
            Compression::None => {}
            Compression::Gzip => notes.push("gzip-compressed".to_string()),
            Compression::Zstd => notes.push("zstd-compressed".to_string()),
        }
        match utf16 {
            Some(u) => notes.push(u.note()),
            None => {
                if bom_len > 0 {
                    notes.push("UTF-8 byte-order mark skipped".to_string());
                }
                notes.push(format!(
                    "encoding {} ({})",
                    enc.name(),
                    if forced_enc.is_some() {
                        "forced"
                    } else {
                        "detected"
                    }
                ));
            }
        }
        if let Some(l) = &sep_line {
            notes.push(l.note(delim, forced_delim.is_some()));
        }
        notes.push(format!("delimiter {} ({delim_how})", delimiter_name(delim)));

        let (has_header, header_how) = match opts.has_header {
            Some(h) => (h, "forced"),
            None if title_lines > 0 => (true, "found below title lines"),
            None => (looks_like_header(&decoded(&complete, enc)), "detected"),
        };
        ctx.has_header = has_header;
        ctx.names = if has_header {
            let mut raw = Vec::with_capacity(ncols);
            for (j, field) in first.rec.iter().enumerate() {
                if field.len() > ctx.max_field {
                    return Err(ctx.too_large(0, j, field.len() as u64, true, false));
                }
                match enc.decode(field) {
                    Ok(s) => raw.push(s.into_owned()),
                    Err(at) => return Err(ctx.bad_utf8(0, j, at, false)),
                }
            }
            unique_names(raw)
        } else {
            (1..=ncols).map(|j| format!("col{j}")).collect()
        };
        notes.push(if has_header {
            format!("header row ({header_how})")
        } else {
            format!("no header row ({header_how}); columns named col1..col{ncols}")
        });
        if title_lines > 0 {
            notes.push(format!(
                "{title_lines} title line(s) above the header skipped"
            ));
        }
        if has_header && at_eof && complete.len() == title_lines + 1 {
            notes.push("header only: no data rows".to_string());
        }
        let head_rows: Vec<Vec<String>> = complete
            .get(usize::from(has_header)..)
            .unwrap_or(&[])
            .iter()
            .map(|r| {
                r.rec
                    .iter()
                    .map(|f| enc.decode_lossy(f).into_owned())
                    .collect()
            })
            .collect();
        ctx.decimal = decimal::DecimalCommas::detect(&head_rows, ncols, delim);
        if let Some(d) = &ctx.decimal {
            notes.push(d.note(&ctx.names));
        }

        let schema: SchemaRef = Arc::new(Schema::new(
            ctx.names
                .iter()
                .map(|n| Field::new(n.as_str(), DataType::Utf8, true))
                .collect::<Vec<_>>(),
        ));

        // Mean bytes per data row in the head: sizes the sample windows.
        let header_end = if has_header { first.end } else { 0 };
        let data_recs = complete
            .get(title_lines + usize::from(has_header)..)
            .unwrap_or(&[]);
        let head_mean = match (data_recs.first(), data_recs.last()) {
            (Some(a), Some(b)) => {
                (b.end.saturating_sub(a.start) as f64 / data_recs.len() as f64).max(1.0)
            }
            _ => (head.len() as f64).max(1.0),
        };
        // UTF-16 text: about half its bytes as UTF-8 (exact for ASCII), for progress only.
        let text_len = match utf16 {
            Some(_) => file_len.saturating_sub(skipped) / 2,
            None => file_len.saturating_sub(skipped),
        };
        let sample = opts.sample_rows.map(|n| n.max(1) as u64);

        let (plan, stream) = match (sample, window_file) {
            (Some(n), Some(wfile))
                if !at_eof
                    && text_len.saturating_sub(header_end) as f64 >= 4.0 * n as f64 * head_mean =>
            {
                let data_start = skipped + header_end;
                let windows = WINDOWS.min(usize::try_from(n).unwrap_or(WINDOWS)).max(1);
                let data_len = file_len.saturating_sub(data_start);
                let offsets = (0..windows as u64)
                    .map(|k| data_start + data_len / windows as u64 * k)
                    .collect();
                notes.push(format!(
                    "sampled about {n} rows in {windows} windows spread across the file; \
                     row numbers after the first window are estimates (byte offset / mean row size)"
                ));
                let sampler = Sampler {
                    file: wfile,
                    file_len,
                    data_start,
                    offsets,
                    next: 0,
                    per_window: n.div_ceil(windows as u64),
                    head_mean,
                    prev: None,
                    contiguous: true,
                    last_hit_eof: false,
                    rows: 0,
                    bytes: 0,
                    skipped: 0,
                    window_means: Vec::new(),
                };
                (Plan::Windows(sampler), None)
            }
            (sample, _) => {
                let max_rows = match (sample, compression) {
                    (Some(n), _)
                        if !at_eof && (ctx.transcoded || compression != Compression::None) =>
                    {
                        notes.push(format!(
                            "{} input cannot seek: sampled the first {n} rows",
                            if ctx.transcoded {
                                "UTF-16"
                            } else {
                                "compressed"
                            }
                        ));
                        Some(n)
                    }
                    _ => None,
                };
                let inner: Box<dyn Read + Send> = Box::new(io::Cursor::new(head).chain(text));
                let spec = StreamSpec {
                    first_data_record: title_lines as u64 + if has_header { 2 } else { 1 },
                    base_row: 1,
                    estimated: false,
                    max_rows,
                    stop_at: None,
                    file_offset: skipped,
                };
                let stream = Stream::new(inner, delim, ctx.max_field, spec);
                let plan = Plan::Single {
                    text_len,
                    file_len,
                    counts,
                };
                (plan, Some(stream))
            }
        };

        // A full read of a plain file: the file size over the head's mean row size gives the
        // progress line a total (and so an ETA) long before the end; the end replaces it by
        // the exact count.
        let rows_total = match (&plan, sample, compression) {
            (Plan::Single { .. }, None, Compression::None) if !at_eof => Some(RowCount::Estimated(
                (text_len.saturating_sub(header_end) as f64 / head_mean).round() as u64,
            )),
            _ => None,
        };

        Ok(CsvSource {
            info: DatasetInfo {
                source: display.to_string(),
                table: None,
                format: Format::Csv,
                notes,
            },
            schema,
            ctx,
            batch_rows: opts.batch_rows.max(1),
            record: ByteRecord::new(),
            stream,
            plan,
            rows_total,
            done: false,
            prev_rows: 0,
            prev_bytes: Vec::new(),
            dropped: Dropped::default(),
        })
    }
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
        let io_err = |e| Error::io(&self.ctx.path, e);
        while let Some(&offset) = w.offsets.get(w.next) {
            let k = w.next;
            w.next += 1;
            let stop = w.offsets.get(k + 1).copied().unwrap_or(w.file_len);
            let (start, base_row, estimated) = match w.prev {
                _ if k == 0 => (w.data_start, 1, false),
                Some((end, row, est)) if end >= offset => (end, row, est),
                _ => {
                    w.contiguous = false;
                    let ncols = self.ctx.names.len();
                    let mean = w.mean();
                    match resync(&mut w.file, offset, w.file_len, self.ctx.delim, ncols, mean)
                        .map_err(io_err)?
                    {
                        Some(pos) => {
                            let row =
                                1 + (pos.saturating_sub(w.data_start) as f64 / mean).round() as u64;
                            (pos, row, true)
                        }
                        None => {
                            w.skipped += 1;
                            continue;
                        }
                    }
                }
            };
            if start >= stop {
                continue;
            }
            let mut f = w.file.try_clone().map_err(io_err)?;
            f.seek(SeekFrom::Start(start)).map_err(io_err)?;
            let spec = StreamSpec {
                first_data_record: 1,
                base_row,
                estimated,
                max_rows: Some(w.per_window),
                stop_at: Some(stop - start),
                file_offset: start,
            };
            self.stream = Some(Stream::new(
                Box::new(f),
                self.ctx.delim,
                self.ctx.max_field,
                spec,
            ));
            return Ok(true);
        }
        Ok(false)
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

/// State of a windowed sample.
struct Sampler {
    file: File,
    file_len: u64,
    /// File offset of the first data record.
    data_start: u64,
    /// File offset where each window starts looking.
    offsets: Vec<u64>,
    next: usize,
    per_window: u64,
    head_mean: f64,
    /// After the previous window: offset just past its last row, the row after it, estimated.
    prev: Option<(u64, u64, bool)>,
    /// Every window started where the previous one ended (so nothing was skipped).
    contiguous: bool,
    last_hit_eof: bool,
    rows: u64,
    bytes: u64,
    skipped: usize,
    /// Mean bytes per row measured in each window, by window index.
    window_means: Vec<Option<f64>>,
}

impl Sampler {
    /// Mean bytes per row, from the windows read so far, else from the head.
    fn mean(&self) -> f64 {
        if self.rows > 0 && self.bytes > 0 {
            self.bytes as f64 / self.rows as f64
        } else {
            self.head_mean
        }
    }

    /// Rows in the whole file, estimated per stratum: each window's own mean row size over the
    /// stretch of file it stands for. A single overall mean is biased when row length varies
    /// along the file (short rows first, long rows last), because windows are placed by bytes.
    fn estimate_rows(&self) -> u64 {
        let overall = self.mean();
        let mut total = 0.0;
        for (k, &offset) in self.offsets.iter().enumerate() {
            let start = if k == 0 {
                self.data_start
            } else {
                offset.max(self.data_start)
            };
            let stop = self.offsets.get(k + 1).copied().unwrap_or(self.file_len);
            let mean = self
                .window_means
                .get(k)
                .copied()
                .flatten()
                .unwrap_or(overall);
            if mean > 0.0 {
                total += stop.saturating_sub(start) as f64 / mean;
            }
        }
        total.round() as u64
    }

    fn record(&mut self, s: &Stream) {
        self.last_hit_eof = s.hit_eof;
        if s.rows == 0 {
            return;
        }
        let start = s.data_start.unwrap_or(0);
        let bytes = s.data_end.saturating_sub(start);
        self.rows += s.rows;
        self.bytes += bytes;
        if let Some(k) = self.next.checked_sub(1) {
            if self.window_means.len() <= k {
                self.window_means.resize(k + 1, None);
            }
            self.window_means[k] = Some(bytes as f64 / s.rows as f64);
        }
        self.prev = Some((s.file_offset + s.data_end, s.base_row + s.rows, s.estimated));
    }
}

/// Everything row handling needs to know, apart from the stream.
struct Ctx {
    loc: Location,
    path: PathBuf,
    names: Vec<String>,
    enc: TextEncoding,
    enc_forced: bool,
    compression: Compression,
    max_field: usize,
    has_header: bool,
    delim: u8,
    /// The text is transcoded (UTF-16): no file offsets, no seeking.
    transcoded: bool,
    /// Columns read as decimal-comma numbers.
    decimal: Option<decimal::DecimalCommas>,
}

impl Ctx {
    fn column(&self, j: usize) -> String {
        self.names
            .get(j)
            .cloned()
            .unwrap_or_else(|| format!("col{}", j + 1))
    }

    fn at(&self, row: u64, col: Option<usize>) -> Location {
        let loc = self.loc.at_row(row);
        match col {
            Some(j) => loc.in_column(self.column(j)),
            None => loc,
        }
    }

    /// Decode one record into the column builders, checking its shape.
    fn append_row(
        &self,
        rec: &ByteRecord,
        row: u64,
        stream: &Stream,
        builders: &mut [StringBuilder],
    ) -> Result<()> {
        let estimated = stream.estimated;
        if rec.len() != builders.len() {
            return Err(self.ragged(row, rec.len(), estimated));
        }
        // A NUL byte means UTF-16 or binary data, not text; it would also break a PostgreSQL
        // output. The guard has looked for one in every byte read so far (a memchr per read,
        // not per record), so records need searching only once one turned up.
        if stream.rdr.get_ref().nul_seen && memchr::memchr(0, rec.as_slice()).is_some() {
            let j = rec
                .iter()
                .position(|f| memchr::memchr(0, f).is_some())
                .unwrap_or(0);
            return Err(Error::input(
                self.at(row, Some(j)),
                format!(
                    "NUL byte in the field: this is not a text file (UTF-16 or binary data?){}",
                    estimated_suffix(estimated)
                ),
            ));
        }
        // UTF-8 is validated once per record rather than once per field (and with SIMD, as
        // mixed Albanian text keeps leaving std's ASCII fast path): a slice of valid UTF-8 is
        // valid exactly when it starts and ends on character boundaries. A field that does not
        // (a character split by a delimiter) is invalid on its own, so from there on the
        // per-field path takes over and reports it as before.
        let mut done = 0;
        if self.enc == TextEncoding::Utf8
            && let Ok(text) = simdutf8::basic::from_utf8(rec.as_slice())
        {
            for (j, b) in builders.iter_mut().enumerate() {
                let Some(range) = rec.range(j) else { break };
                if range.len() > self.max_field {
                    return Err(self.too_large(row, j, range.len() as u64, true, estimated));
                }
                let Some(value) = text.get(range) else { break };
                match &self.decimal {
                    Some(d) => b.append_value(d.apply(j, value)),
                    None => b.append_value(value),
                }
                done = j + 1;
            }
        }
        let rest = rec.iter().zip(builders.iter_mut()).enumerate().skip(done);
        for (j, (field, b)) in rest {
            if field.len() > self.max_field {
                return Err(self.too_large(row, j, field.len() as u64, true, estimated));
            }
            match self.enc.decode(field) {
                Ok(s) => match &self.decimal {
                    Some(d) => b.append_value(d.apply(j, &s)),
                    None => b.append_value(s),
                },
                Err(at) => return Err(self.bad_utf8(row, j, at, estimated)),
            }
        }
        Ok(())
    }

    fn ragged(&self, row: u64, found: usize, estimated: bool) -> Error {
        let n = self.names.len();
        let what = if self.has_header {
            "header"
        } else {
            "first row"
        };
        Error::input(
            self.at(row, None),
            format!(
                "expected {n} fields, found {found}: the row does not line up with the {what}; \
                 refusing to guess how its columns shift, as that would misclassify data{}",
                estimated_suffix(estimated)
            ),
        )
    }

    fn too_large(&self, row: u64, j: usize, len: u64, exact: bool, estimated: bool) -> Error {
        Error::input(
            self.at(row, Some(j)),
            format!(
                "field of {}{len} bytes exceeds the limit of {} bytes{}",
                if exact { "" } else { "more than " },
                self.max_field,
                estimated_suffix(estimated)
            ),
        )
    }

    fn bad_utf8(&self, row: u64, j: usize, at: usize, estimated: bool) -> Error {
        Error::input(
            self.at(row, Some(j)),
            format!(
                "invalid UTF-8 at byte {} of the field (the file was {} as UTF-8 but is not UTF-8 \
                 throughout); {ENCODING_HINT}{}",
                at + 1,
                if self.enc_forced {
                    "declared"
                } else {
                    "detected from its first 64 KiB"
                },
                estimated_suffix(estimated)
            ),
        )
    }

    fn trip_error(&self, trip: Trip, s: &Stream) -> Error {
        match trip {
            Trip::TooLarge {
                record,
                field,
                len,
                complete,
            } => self.too_large(s.row_of_record(record), field, len, complete, s.estimated),
            Trip::Unterminated { record, field } => {
                let row = s.row_of_record(record);
                Error::input(
                    self.at(row, Some(field)),
                    format!(
                        "unterminated quoted field starting at row {row}, column \"{}\": the \
                         closing quote is missing, so the rest of the file would be one field{}",
                        self.column(field),
                        estimated_suffix(s.estimated)
                    ),
                )
            }
        }
    }

    /// An I/O error while reading the text.
    fn read_error(&self, e: io::Error) -> Error {
        if let Some(u) = utf16::utf16_error(&e) {
            return Error::input(self.loc.clone(), u.to_string());
        }
        match self.compression {
            Compression::None => Error::io(&self.path, e),
            c => Error::input(
                self.loc.clone(),
                format!("cannot decompress the {} stream: {e}", c.name()),
            ),
        }
    }

    fn csv_error(&self, e: csv::Error, s: &Stream) -> Error {
        if let Some(trip) = s.rdr.get_ref().failure {
            return self.trip_error(trip, s);
        }
        match e.into_kind() {
            // Its byte offset says where; the parser's row is ahead of the decoder's.
            csv::ErrorKind::Io(io) if utf16::utf16_error(&io).is_some() => self.read_error(io),
            csv::ErrorKind::Io(io) => match self.read_error(io) {
                Error::Input { msg, .. } => Error::input(self.at(s.next_row(), None), msg),
                other => other,
            },
            _ => Error::input(self.at(s.next_row(), None), "malformed CSV record"),
        }
    }
}

fn estimated_suffix(estimated: bool) -> &'static str {
    if estimated {
        " (row number estimated: sampled read)"
    } else {
        ""
    }
}

/// The next data row of `s` into `rec`, with its row number; `None` at the stream's end.
///
/// Rows pass through the stream's held-back tail (`csv/tail.rs`), which drops the total,
/// footnote and blank rows at the end of the input.
fn read_record(ctx: &Ctx, s: &mut Stream, rec: &mut ByteRecord) -> Result<Option<u64>> {
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
                s.held.end_of_input(|r| tail_kind(ctx, r, width));
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
fn tail_kind(ctx: &Ctx, rec: &ByteRecord, width: usize) -> RowKind {
    let cells: Vec<Cow<'_, str>> = rec.iter().map(|f| ctx.enc.decode_lossy(f)).collect();
    tail::row_kind(&cells, width)
}

/// The next data record read from `s`, with its row number and end offset; `None` at the end
/// of the input (`s.raw_eof`) or of the stream's stretch.
fn read_raw(ctx: &Ctx, s: &mut Stream, rec: &mut ByteRecord) -> Result<Option<(u64, u64)>> {
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
        return Ok(Some((row, s.rdr.position().byte())));
    }
}

/// Where a contiguous read starts and when it stops.
struct StreamSpec {
    /// 1-based index (among this stream's records) of the first data record: 2 after a header.
    first_data_record: u64,
    /// Data-row number of that record.
    base_row: u64,
    /// Whether `base_row` is an estimate.
    estimated: bool,
    max_rows: Option<u64>,
    /// Stop before a record starting at or after this stream offset.
    stop_at: Option<u64>,
    /// File offset of stream offset 0 (plain files).
    file_offset: u64,
}

/// One contiguous read through the `csv` parser.
struct Stream {
    rdr: csv::Reader<Tracked>,
    first_data_record: u64,
    base_row: u64,
    estimated: bool,
    max_rows: Option<u64>,
    stop_at: Option<u64>,
    file_offset: u64,
    /// Records parsed (header included).
    records: u64,
    /// Data rows read from the input.
    read_rows: u64,
    /// Data rows yielded (the rows read, less those still held or dropped as the tail).
    rows: u64,
    /// Stream offset where the first yielded row starts, and just past the last one.
    data_start: Option<u64>,
    data_end: u64,
    /// Rows held back until the end shows whether they are a table's tail.
    held: tail::HeldTail,
    /// The parser has no more records for this stream (`raw_eof`: the input ended).
    raw_done: bool,
    raw_eof: bool,
    finished: bool,
    /// Every row to the end of the input was yielded or dropped.
    hit_eof: bool,
}

impl Stream {
    fn new(inner: Box<dyn Read + Send>, delim: u8, max_field: usize, spec: StreamSpec) -> Self {
        let tracked = Tracked {
            inner,
            tracker: Tracker::new(delim, max_field),
            failure: None,
            nul_seen: false,
        };
        Stream {
            rdr: csv_builder(delim).from_reader(tracked),
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
    fn emit(&mut self, out: tail::Released) -> u64 {
        self.rows += 1;
        self.data_end = out.end;
        out.row
    }

    /// Data-row number of this stream's `record`-th record (0 for the header).
    fn row_of_record(&self, record: u64) -> u64 {
        match record.checked_sub(self.first_data_record) {
            Some(k) => self.base_row + k,
            None => 0,
        }
    }

    /// Number of the next data row read from the input.
    fn next_row(&self) -> u64 {
        self.base_row + self.read_rows
    }
}

fn csv_builder(delim: u8) -> csv::ReaderBuilder {
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

// ---------------------------------------------------------------------------------------------
// The guard under the parser.

/// Quoting state, mirroring `csv_core` (quotes only open a field; `""` inside quotes is a quote;
/// text after a closing quote is appended; CR, LF and CRLF end records; blank lines are skipped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QState {
    RecordStart,
    FieldStart,
    Unquoted,
    Quoted,
    QuoteInQuoted,
}

/// What the guard found. Records are 1-based within the stream, fields 0-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trip {
    /// A field longer than the limit; `complete` once its end was seen (`len` is then exact).
    TooLarge {
        record: u64,
        field: usize,
        len: u64,
        complete: bool,
    },
    /// End of input inside a quoted field.
    Unterminated { record: u64, field: usize },
}

/// Follows the quoting state of a byte stream and measures fields.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Tracker {
    delim: u8,
    limit: u64,
    state: QState,
    record: u64,
    field: usize,
    field_len: u64,
    quote_start: (u64, usize),
    over: Option<Trip>,
}

fn is_newline(b: u8) -> bool {
    b == b'\n' || b == b'\r'
}

impl Tracker {
    fn new(delim: u8, limit: usize) -> Self {
        Tracker {
            delim,
            limit: limit as u64,
            state: QState::RecordStart,
            record: 0,
            field: 0,
            field_len: 0,
            quote_start: (0, 0),
            over: None,
        }
    }

    /// Follow `buf`, ending in exactly the state [`Tracker::step`] would reach.
    ///
    /// Stepping costs a `memchr3` per field, which for short fields is most of the reader's
    /// time. Outside quoted fields, though, only a quote can change how bytes are read, so a
    /// stretch up to the next quote is applied at once by [`Tracker::skip_unquoted`] unless
    /// one of its fields could go over the limit (then the trip needs the exact steps).
    fn feed(&mut self, buf: &[u8]) {
        let mut i = 0;
        // The next quote at or after `i` (or `buf.len()`); kept between steps, so stepping
        // field by field through a long stretch does not search it again each time.
        let mut quote: Option<usize> = None;
        while i < buf.len() {
            if self.over.is_none() && !matches!(self.state, QState::Quoted | QState::QuoteInQuoted)
            {
                let q = match quote {
                    Some(q) if q >= i => q,
                    _ => buf
                        .get(i..)
                        .and_then(|rest| memchr::memchr(b'"', rest))
                        .map_or(buf.len(), |k| i + k),
                };
                quote = Some(q);
                let seg = buf.get(i..q).unwrap_or(&[]);
                if !seg.is_empty() && self.field_len + seg.len() as u64 <= self.limit {
                    self.skip_unquoted(seg);
                    i = q;
                    continue;
                }
            }
            i = self.step(buf, i);
        }
    }

    /// [`Tracker::feed`] without the shortcut: the reference the shortcut must agree with.
    #[cfg(test)]
    fn feed_stepwise(&mut self, buf: &[u8]) {
        let mut i = 0;
        while i < buf.len() {
            i = self.step(buf, i);
        }
    }

    /// Apply `seg`, which has no quote, starting outside a quoted field, when no field can go
    /// over the limit within it (so nothing can trip and `over` stays `None`).
    fn skip_unquoted(&mut self, seg: &[u8]) {
        let mut tail = seg;
        if let Some(last) = memchr::memrchr2(b'\n', b'\r', seg) {
            let (lines, rest) = seg.split_at(last + 1);
            // Every run of non-newline bytes before a newline is a record, except a first run
            // that continues the record in progress; CRLF and blank lines make empty runs.
            let mut runs = 0u64;
            let mut from = 0;
            for k in memchr::memchr2_iter(b'\n', b'\r', lines) {
                runs += u64::from(k > from);
                from = k + 1;
            }
            let continues =
                self.state != QState::RecordStart && lines.first().is_some_and(|&b| !is_newline(b));
            self.record += runs.saturating_sub(u64::from(continues));
            self.state = QState::RecordStart;
            self.field = 0;
            self.field_len = 0;
            tail = rest;
        }
        if tail.is_empty() {
            return;
        }
        if self.state == QState::RecordStart {
            self.record += 1;
            self.field = 0;
            self.field_len = 0;
        }
        match memchr::memrchr(self.delim, tail) {
            Some(d) => {
                self.field += memchr::memchr_iter(self.delim, tail).count();
                self.field_len = (tail.len() - d - 1) as u64;
                self.state = if self.field_len == 0 {
                    QState::FieldStart
                } else {
                    QState::Unquoted
                };
            }
            None => {
                self.field_len += tail.len() as u64;
                self.state = QState::Unquoted;
            }
        }
    }

    /// Follow `buf` from `i` through one state transition (a whole unquoted field, or the
    /// quoted text up to the next quote); returns where to go on.
    fn step(&mut self, buf: &[u8], mut i: usize) -> usize {
        let Some(&b) = buf.get(i) else {
            return i;
        };
        match self.state {
            QState::RecordStart => {
                if is_newline(b) {
                    i += 1;
                } else {
                    self.record += 1;
                    self.field = 0;
                    self.field_len = 0;
                    self.state = QState::FieldStart;
                }
            }
            QState::FieldStart => {
                if b == b'"' {
                    self.quote_start = (self.record, self.field);
                    self.state = QState::Quoted;
                    i += 1;
                } else if b == self.delim || is_newline(b) {
                    self.terminate(b);
                    i += 1;
                } else {
                    self.state = QState::Unquoted;
                }
            }
            QState::Unquoted => {
                let rest = buf.get(i..).unwrap_or(&[]);
                match memchr::memchr3(self.delim, b'\n', b'\r', rest) {
                    Some(k) => {
                        self.grow(k);
                        self.terminate(rest.get(k).copied().unwrap_or(b'\n'));
                        i += k + 1;
                    }
                    None => {
                        self.grow(rest.len());
                        i = buf.len();
                    }
                }
            }
            QState::Quoted => {
                let rest = buf.get(i..).unwrap_or(&[]);
                match memchr::memchr(b'"', rest) {
                    Some(k) => {
                        self.grow(k);
                        self.state = QState::QuoteInQuoted;
                        i += k + 1;
                    }
                    None => {
                        self.grow(rest.len());
                        i = buf.len();
                    }
                }
            }
            QState::QuoteInQuoted => {
                if b == b'"' {
                    self.grow(1);
                    self.state = QState::Quoted;
                    i += 1;
                } else if b == self.delim || is_newline(b) {
                    self.terminate(b);
                    i += 1;
                } else {
                    self.state = QState::Unquoted;
                }
            }
        }
        i
    }

    /// End of input: the last field (if any) ends here.
    fn finish(&mut self) {
        if self.state != QState::RecordStart && self.state != QState::Quoted {
            self.end_field();
        }
    }

    fn grow(&mut self, n: usize) {
        self.field_len += n as u64;
        if self.over.is_none() && self.field_len > self.limit {
            self.over = Some(Trip::TooLarge {
                record: self.record,
                field: self.field,
                len: self.field_len,
                complete: false,
            });
        }
    }

    /// The current field ends with byte `b` (a delimiter or a line end).
    fn terminate(&mut self, b: u8) {
        self.end_field();
        if b == self.delim {
            self.field += 1;
            self.field_len = 0;
            self.state = QState::FieldStart;
        } else {
            // Between records the field counters mean nothing (the next record resets them);
            // zeroing them here gives the shortcut in `feed` one exact state to agree with.
            self.field = 0;
            self.field_len = 0;
            self.state = QState::RecordStart;
        }
    }

    fn end_field(&mut self) {
        if let Some(Trip::TooLarge {
            record,
            field,
            len,
            complete,
        }) = &mut self.over
            && !*complete
            && *record == self.record
            && *field == self.field
        {
            *len = self.field_len;
            *complete = true;
        }
    }
}

/// The text stream under the `csv` parser, with a [`Tracker`] watching every byte.
///
/// When the tracker trips, `read` fails with a marker error and the finding stays in
/// `failure`, where the reader turns it into a located input error.
struct Tracked {
    inner: Box<dyn Read + Send>,
    tracker: Tracker,
    failure: Option<Trip>,
    /// Some byte read so far was NUL.
    nul_seen: bool,
}

fn guard_error() -> io::Error {
    io::Error::other("CSV input rejected by the field guard")
}

impl Tracked {
    /// After a field went over the limit: scan on (without keeping anything) to its end.
    fn measure(&mut self, trip: Trip) -> io::Result<Trip> {
        let Trip::TooLarge {
            record,
            field,
            complete: false,
            ..
        } = trip
        else {
            return Ok(trip);
        };
        let mut scratch = vec![0u8; CSV_BUFFER];
        let mut scanned = 0u64;
        while scanned < MEASURE_CAP {
            let n = self.inner.read(&mut scratch)?;
            if n == 0 {
                if self.tracker.state == QState::Quoted {
                    if self.tracker.quote_start == (record, field) {
                        return Ok(Trip::Unterminated { record, field });
                    }
                } else {
                    self.tracker.finish();
                }
                break;
            }
            scanned += n as u64;
            self.tracker.feed(scratch.get(..n).unwrap_or(&[]));
            if let Some(t @ Trip::TooLarge { complete: true, .. }) = self.tracker.over {
                return Ok(t);
            }
        }
        Ok(self.tracker.over.unwrap_or(trip))
    }
}

impl Read for Tracked {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.failure.is_some() {
            return Err(guard_error());
        }
        let n = self.inner.read(buf)?;
        if n == 0 {
            if self.tracker.state == QState::Quoted {
                let (record, field) = self.tracker.quote_start;
                self.failure = Some(Trip::Unterminated { record, field });
                return Err(guard_error());
            }
            return Ok(0);
        }
        let read = buf.get(..n).unwrap_or(&[]);
        self.tracker.feed(read);
        self.nul_seen = self.nul_seen || memchr::memchr(0, read).is_some();
        if let Some(trip) = self.tracker.over {
            self.failure = Some(self.measure(trip)?);
            return Err(guard_error());
        }
        Ok(n)
    }
}

// ---------------------------------------------------------------------------------------------
// Compression and raw input.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    fn name(self) -> &'static str {
        match self {
            Compression::None => "plain",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }

    /// By magic bytes; a compressed-looking name without them is an error.
    fn detect(lower_name: &str, magic: &[u8], loc: &Location) -> Result<Self> {
        if magic.starts_with(&[0x1f, 0x8b]) {
            return Ok(Compression::Gzip);
        }
        if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            return Ok(Compression::Zstd);
        }
        let claimed = if lower_name.ends_with(".gz") {
            Some("gzip")
        } else if lower_name.ends_with(".zst") || lower_name.ends_with(".zstd") {
            Some("zstd")
        } else {
            None
        };
        match claimed {
            Some(kind) if !magic.is_empty() => Err(Error::input(
                loc.clone(),
                format!(
                    "the file name says {kind} but the file does not start with the {kind} magic \
                     bytes; it is corrupt or misnamed"
                ),
            )),
            _ => Ok(Compression::None),
        }
    }
}

/// Counts the bytes read through it (for row estimates of compressed input).
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Bytes read from the file and text bytes produced from them.
#[derive(Default)]
struct ByteCounts {
    compressed: Arc<AtomicU64>,
    text: Arc<AtomicU64>,
}

/// The (decompressed) text of `file`, as UTF-8 when it is UTF-16 (forced, or found by
/// [`utf16::sniff`] unless another encoding is forced).
fn text_stream(
    file: File,
    compression: Compression,
    counts: &ByteCounts,
    forced_utf16: Option<utf16::Order>,
    forced_enc: Option<TextEncoding>,
) -> io::Result<(Box<dyn Read + Send>, Option<utf16::Found>)> {
    let raw = Counting {
        inner: file,
        count: Arc::clone(&counts.compressed),
    };
    let text: Box<dyn Read + Send> = match compression {
        Compression::None => Box::new(raw),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(raw)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::new(raw)?),
    };
    let (text, found) = utf16::wrap(text, forced_utf16, forced_enc.is_none())?;
    Ok((
        Box::new(Counting {
            inner: text,
            count: Arc::clone(&counts.text),
        }),
        found,
    ))
}

/// Read up to `limit` bytes; `true` when the input ended before the limit.
fn read_up_to(r: &mut dyn Read, limit: usize) -> io::Result<(Vec<u8>, bool)> {
    let mut buf = Vec::with_capacity(limit.min(HEAD_BYTES));
    let n = Read::take(r, limit as u64).read_to_end(&mut buf)?;
    Ok((buf, n < limit))
}

// ---------------------------------------------------------------------------------------------
// Encoding.

/// Check a `--encoding` label up front, so a typo is a usage error before any file is read.
pub fn check_encoding_label(label: &str) -> Result<()> {
    TextEncoding::from_label(label).map(|_| ())
}

/// The text encoding of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextEncoding {
    Utf8,
    /// A single-byte ASCII superset (windows-1250, windows-1251, ISO-8859-2).
    Single(&'static Encoding),
}

impl TextEncoding {
    fn name(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Single(e) => e.name(),
        }
    }

    fn from_label(label: &str) -> Result<Self> {
        match Encoding::for_label(label.trim().as_bytes()) {
            Some(e) if e == encoding_rs::UTF_8 => Ok(TextEncoding::Utf8),
            // Transcoded to UTF-8 as it is read (`utf16`).
            Some(e) if e == encoding_rs::UTF_16LE || e == encoding_rs::UTF_16BE => {
                Ok(TextEncoding::Utf8)
            }
            Some(e) if e == WINDOWS_1250 || e == WINDOWS_1251 || e == ISO_8859_2 => {
                Ok(TextEncoding::Single(e))
            }
            _ => Err(Error::Usage(format!(
                "unsupported encoding '{label}' for CSV input; supported: {SUPPORTED_ENCODINGS}"
            ))),
        }
    }

    /// Decode one field; for UTF-8, `Err` is the offset of the first invalid byte.
    fn decode(self, bytes: &[u8]) -> std::result::Result<Cow<'_, str>, usize> {
        match self {
            TextEncoding::Utf8 => std::str::from_utf8(bytes)
                .map(Cow::Borrowed)
                .map_err(|e| e.valid_up_to()),
            TextEncoding::Single(e) => Ok(e.decode_without_bom_handling(bytes).0),
        }
    }

    fn decode_lossy(self, bytes: &[u8]) -> Cow<'_, str> {
        match self {
            TextEncoding::Utf8 => String::from_utf8_lossy(bytes),
            TextEncoding::Single(e) => e.decode_without_bom_handling(bytes).0,
        }
    }
}

/// UTF-8 when the head is valid UTF-8, else the most plausible legacy encoding.
fn detect_encoding(head: &[u8], at_eof: bool) -> TextEncoding {
    match std::str::from_utf8(head) {
        Ok(_) => return TextEncoding::Utf8,
        // Only a multi-byte character cut by the end of the head.
        Err(e) if e.error_len().is_none() && !at_eof => return TextEncoding::Utf8,
        Err(_) => {}
    }
    let (cyrillic, _) = WINDOWS_1251.decode_without_bom_handling(head);
    let (latin, _) = WINDOWS_1250.decode_without_bom_handling(head);
    if script_score(&cyrillic, true) > script_score(&latin, false) {
        TextEncoding::Single(WINDOWS_1251)
    } else if iso_8859_2_hint(head) {
        TextEncoding::Single(ISO_8859_2)
    } else {
        TextEncoding::Single(WINDOWS_1250)
    }
}

/// Non-ASCII letters in plausible words minus those in implausible ones.
fn script_score(text: &str, cyrillic: bool) -> i64 {
    let mut score = 0i64;
    for word in text.split(|c: char| !c.is_alphabetic()) {
        let (mut ascii, mut cyr, mut latin, mut other, mut len) = (0i64, 0i64, 0i64, 0i64, 0);
        for c in word.chars() {
            len += 1;
            if c.is_ascii() {
                ascii += 1;
            } else if ('\u{0400}'..='\u{04FF}').contains(&c) {
                cyr += 1;
            } else if ('\u{00C0}'..='\u{024F}').contains(&c) {
                latin += 1;
            } else {
                other += 1;
            }
        }
        let non_ascii = cyr + latin + other;
        if non_ascii == 0 {
            continue;
        }
        let plausible = if cyrillic {
            ascii == 0 && latin == 0 && other == 0
        } else {
            cyr == 0 && other == 0 && (ascii > 0 || len <= 2)
        };
        score += if plausible { non_ascii } else { -non_ascii };
    }
    score
}

/// ISO-8859-2 rather than windows-1250: no 0x80–0x9F bytes, and `Š š Ž ž` at their
/// ISO-8859-2 places (0xA9 0xB9 0xAE 0xBE) next to an ASCII letter.
fn iso_8859_2_hint(head: &[u8]) -> bool {
    if head.iter().any(|b| (0x80..0xA0).contains(b)) {
        return false;
    }
    let caron = |b: u8| matches!(b, 0xA9 | 0xB9 | 0xAE | 0xBE);
    head.windows(2).any(|w| match *w {
        [a, b] => (caron(a) && b.is_ascii_alphabetic()) || (a.is_ascii_alphabetic() && caron(b)),
        _ => false,
    })
}

// ---------------------------------------------------------------------------------------------
// Head analysis: records, delimiter, header.

/// A complete record of the head and its byte range (in head offsets).
struct HeadRecord {
    rec: ByteRecord,
    start: u64,
    end: u64,
}

/// Up to `max` complete records of the head (a record running into the end of a head that is
/// not the whole file is incomplete and left out).
fn parse_head(head: &[u8], at_eof: bool, delim: u8, max: usize) -> Vec<HeadRecord> {
    let mut rdr = csv_builder(delim).from_reader(head);
    let mut out = Vec::new();
    let mut rec = ByteRecord::new();
    while out.len() < max {
        let before = rdr.position().byte();
        if !matches!(rdr.read_byte_record(&mut rec), Ok(true)) {
            break;
        }
        let end = rdr.position().byte();
        if !at_eof && end >= head.len() as u64 {
            break;
        }
        out.push(HeadRecord {
            rec: rec.clone(),
            start: rec.position().map_or(before, |p| p.byte()),
            end,
        });
    }
    out
}

/// How a delimiter candidate ranks: consistent enough, the extension's own, consistency in
/// per mille, field count, earlier in [`CANDIDATES`].
type SniffKey = (bool, bool, usize, usize, usize);

/// The candidate delimiter whose records most consistently have the same (≥ 2) field count.
fn sniff_delimiter(head: &[u8], at_eof: bool, prefer: Option<u8>) -> Option<u8> {
    let mut best: Option<(SniffKey, u8)> = None;
    for (order, &d) in CANDIDATES.iter().enumerate() {
        let mut counts: Vec<usize> = parse_head(head, at_eof, d, HEAD_RECORDS)
            .iter()
            .map(|r| r.rec.len())
            .collect();
        if counts.is_empty() {
            // Not even one complete record: judge the first, truncated one.
            let mut rdr = csv_builder(d).from_reader(head);
            let mut rec = ByteRecord::new();
            if matches!(rdr.read_byte_record(&mut rec), Ok(true)) {
                counts.push(rec.len());
            }
        }
        let mut freq: BTreeMap<usize, usize> = BTreeMap::new();
        for &c in &counts {
            *freq.entry(c).or_default() += 1;
        }
        let Some((mode, n)) = freq.iter().max_by_key(|&(c, n)| (*n, *c)) else {
            continue;
        };
        if *mode < 2 {
            continue;
        }
        let permille = n * 1000 / counts.len();
        let key = (
            permille >= 900,
            prefer == Some(d),
            permille,
            *mode,
            CANDIDATES.len() - order,
        );
        if best.as_ref().is_none_or(|(b, _)| key > *b) {
            best = Some((key, d));
        }
    }
    best.map(|(_, d)| d)
}

/// A number, date, time, phone number or e-mail address: a value, never a column name.
fn is_data_like(s: &str) -> bool {
    let t = s.trim();
    if t.is_empty() {
        return false;
    }
    if let Some((user, domain)) = t.split_once('@') {
        return !user.is_empty() && domain.contains('.') && !t.contains(' ');
    }
    let mut digits = 0usize;
    let mut total = 0usize;
    for c in t.chars() {
        total += 1;
        if c.is_ascii_digit() {
            digits += 1;
        } else if !matches!(
            c,
            '+' | '-' | '.' | ',' | '/' | ':' | ' ' | '(' | ')' | '\'' | '%' | 'T' | 'Z' | '€'
        ) {
            return false;
        }
    }
    digits > 0 && digits * 2 >= total
}

/// A four-digit year, as used for columns of statistics tables.
fn is_year(s: &str) -> bool {
    let t = s.trim();
    t.len() == 4
        && t.bytes().all(|b| b.is_ascii_digit())
        && t.parse::<u32>().is_ok_and(|y| (1900..=2100).contains(&y))
}

/// Whether the first of `rows` is a header. Conservative: yes unless clear evidence says no.
///
/// Evidence for data: a column whose first cell is data-like (number, date, phone, e-mail) while
/// at least 80% of the non-empty cells below are too, or whose first cell recurs below. Evidence
/// for a header: a column whose first cell is text (or a year) above a column that is at least
/// 80% numbers/dates (that are not years), or a first row repeated later (concatenated files).
/// The first row is data only with some evidence for data and none for a header. A file of one
/// row is data only when all its non-empty cells are data-like.
pub(crate) fn looks_like_header(rows: &[Vec<String>]) -> bool {
    let Some((first, below)) = rows.split_first() else {
        return true;
    };
    if below.is_empty() {
        let mut cells = first.iter().filter(|c| !c.trim().is_empty()).peekable();
        return cells.peek().is_none() || !cells.all(|c| is_data_like(c));
    }
    if below.iter().any(|r| r == first) {
        return true;
    }
    let (mut data, mut header) = (0usize, 0usize);
    for (j, cell) in first.iter().enumerate() {
        let cell = cell.trim();
        let col: Vec<&str> = below
            .iter()
            .filter_map(|r| r.get(j))
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect();
        if cell.is_empty() || col.is_empty() {
            continue;
        }
        let share = |f: fn(&str) -> bool| col.iter().filter(|s| f(s)).count() * 10 >= col.len() * 8;
        let col_data = share(is_data_like);
        if is_data_like(cell) {
            if is_year(cell) && !share(is_year) {
                if col_data {
                    header += 1;
                }
            } else if col_data || col.contains(&cell) {
                data += 1;
            }
        } else if col_data {
            header += 1;
        } else if col.contains(&cell) {
            data += 1;
        }
    }
    !(data > 0 && header == 0)
}

/// The head's records as text, for the header decisions.
fn decoded(complete: &[HeadRecord], enc: TextEncoding) -> Vec<Vec<String>> {
    complete
        .iter()
        .map(|r| {
            r.rec
                .iter()
                .map(|f| enc.decode_lossy(f).into_owned())
                .collect()
        })
        .collect()
}

/// How many leading records of the head are a spreadsheet's title block (0 for a plain CSV).
///
/// [`super::header_find::find_header`] decides on the decoded head; on top of its rules a CSV
/// title line must look like a title and not like a lone column name: either it has a
/// different field count than the header, or its one filled field has several words. The
/// header must also have the field count of most records below it.
fn csv_title_lines(complete: &[HeadRecord], enc: TextEncoding) -> usize {
    let rows = decoded(complete, enc);
    let k = super::header_find::find_header(&rows);
    if k == 0 {
        return 0;
    }
    let width = complete[k].rec.len();
    let titles_ok = rows[..k].iter().zip(complete).all(|(row, rec)| {
        let text: Vec<&String> = row.iter().filter(|c| !c.trim().is_empty()).collect();
        text.is_empty()
            || rec.rec.len() != width
            || text.iter().all(|t| t.split_whitespace().nth(1).is_some())
    });
    let below = &complete[k + 1..];
    let same = below.iter().filter(|r| r.rec.len() == width).count();
    if titles_ok && same * 10 >= below.len() * 8 {
        k
    } else {
        0
    }
}

/// Trimmed, unique column names; an empty name becomes `colN`, a repeat `name_2`, `name_3`…
pub(crate) fn unique_names(raw: Vec<String>) -> Vec<String> {
    let mut used = HashSet::new();
    let mut out = Vec::with_capacity(raw.len());
    for (j, name) in raw.into_iter().enumerate() {
        let t = name.trim();
        let base = if t.is_empty() {
            format!("col{}", j + 1)
        } else {
            t.to_string()
        };
        let mut cand = base.clone();
        let mut k = 2;
        while used.contains(&cand) {
            cand = format!("{base}_{k}");
            k += 1;
        }
        used.insert(cand.clone());
        out.push(cand);
    }
    out
}

fn delimiter_name(d: u8) -> String {
    match d {
        b'\t' => "TAB".to_string(),
        0x21..=0x7e => format!("'{}'", d as char),
        _ => format!("0x{d:02x}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Resynchronising a sample window.

/// The first record boundary at or after `offset` that [`verify_boundary`] accepts.
fn resync(
    file: &mut File,
    offset: u64,
    file_len: u64,
    delim: u8,
    ncols: usize,
    mean_row: f64,
) -> io::Result<Option<u64>> {
    // Start one byte early so a window that begins exactly on a record is found.
    let from = offset.saturating_sub(1);
    let want = ((mean_row * 64.0) as usize).clamp(256 * 1024, 8 * 1024 * 1024);
    file.seek(SeekFrom::Start(from))?;
    let (buf, _) = read_up_to(file, want)?;
    let at_eof = from + buf.len() as u64 >= file_len;
    let mut i = 0;
    for _ in 0..RESYNC_ATTEMPTS {
        let rest = buf.get(i..).unwrap_or(&[]);
        let Some(k) = memchr::memchr2(b'\n', b'\r', rest) else {
            return Ok(None);
        };
        let mut cand = i + k + 1;
        if rest.get(k) == Some(&b'\r') && buf.get(cand) == Some(&b'\n') {
            cand += 1;
        }
        let Some(tail) = buf.get(cand..).filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        if verify_boundary(tail, delim, ncols, at_eof) {
            return Ok(Some(from + cand as u64));
        }
        i = cand;
    }
    Ok(None)
}

/// Whether `buf` starts with well-formed records: the next [`VERIFY_RECORDS`] (or all complete
/// ones in `buf`, at least one) have `ncols` fields, no quote inside an unquoted field and no
/// text after a closing quote. `csv` accepts both oddities, but they are what starting inside a
/// quoted field looks like.
fn verify_boundary(buf: &[u8], delim: u8, ncols: usize, at_eof: bool) -> bool {
    let mut state = QState::RecordStart;
    let mut fields = 0usize;
    let mut ok = 0usize;
    let mut i = 0;
    while let Some(&b) = buf.get(i) {
        let nl = is_newline(b);
        let mut end = false;
        match state {
            QState::RecordStart => {
                if !nl {
                    fields = 1;
                    state = QState::FieldStart;
                    continue;
                }
            }
            QState::FieldStart => {
                if b == b'"' {
                    state = QState::Quoted;
                } else if b == delim {
                    fields += 1;
                } else if nl {
                    end = true;
                } else {
                    state = QState::Unquoted;
                }
            }
            QState::Unquoted => {
                if b == b'"' {
                    return false;
                } else if b == delim {
                    fields += 1;
                    state = QState::FieldStart;
                } else if nl {
                    end = true;
                }
            }
            QState::Quoted => {
                if b == b'"' {
                    state = QState::QuoteInQuoted;
                }
            }
            QState::QuoteInQuoted => {
                if b == b'"' {
                    state = QState::Quoted;
                } else if b == delim {
                    fields += 1;
                    state = QState::FieldStart;
                } else if nl {
                    end = true;
                } else {
                    return false;
                }
            }
        }
        if end {
            if fields != ncols {
                return false;
            }
            ok += 1;
            if ok >= VERIFY_RECORDS {
                return true;
            }
            state = QState::RecordStart;
        }
        i += 1;
    }
    if at_eof {
        match state {
            QState::Quoted => return false,
            QState::RecordStart => {}
            _ => {
                if fields != ncols {
                    return false;
                }
                ok += 1;
            }
        }
    }
    ok >= 1
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use arrow_array::{Array, StringArray};

    use super::*;

    fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.join(name);
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .unwrap();
        f.write_all(bytes).unwrap();
        path
    }

    struct Read {
        src: CsvSource,
        /// (first_row, rows) per batch.
        batches: Vec<(u64, Vec<Vec<String>>)>,
    }

    impl Read {
        fn rows(&self) -> Vec<Vec<String>> {
            self.batches.iter().flat_map(|(_, r)| r.clone()).collect()
        }
        fn names(&self) -> Vec<String> {
            self.src
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect()
        }
        fn notes(&self) -> String {
            self.src.info().notes.join("; ")
        }
    }

    fn batch_rows(b: &Batch) -> Vec<Vec<String>> {
        let cols: Vec<&StringArray> = b
            .data
            .columns()
            .iter()
            .map(|c| c.as_any().downcast_ref::<StringArray>().unwrap())
            .collect();
        (0..b.num_rows())
            .map(|i| {
                cols.iter()
                    .map(|c| {
                        assert!(!c.is_null(i));
                        c.value(i).to_string()
                    })
                    .collect()
            })
            .collect()
    }

    /// A full read of a plain file knows about how many rows to expect before it starts
    /// (the progress line's ETA), and exactly how many once it is done.
    #[test]
    fn full_read_estimates_its_rows_up_front() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::from("id,name,city\n");
        for i in 0..20_000 {
            text.push_str(&format!("{i},Emri {},Prishtinë\n", i % 97));
        }
        let path = write_file(dir.path(), "rows.csv", text.as_bytes());
        let mut src = CsvSource::open(&path, "rows.csv", &ReadOptions::default()).unwrap();
        match src.rows_total() {
            Some(RowCount::Estimated(n)) => assert!((18_000..=22_000).contains(&n), "{n}"),
            other => panic!("expected an estimate, got {other:?}"),
        }
        while src.next_batch().unwrap().is_some() {}
        assert_eq!(src.rows_total(), Some(RowCount::Exact(20_000)));
        // Compressed input: the uncompressed size is unknown, so no estimate.
        let gz = {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            std::io::Write::write_all(&mut e, text.as_bytes()).unwrap();
            e.finish().unwrap()
        };
        let path = write_file(dir.path(), "rows.csv.gz", &gz);
        let src = CsvSource::open(&path, "rows.csv.gz", &ReadOptions::default()).unwrap();
        assert_eq!(src.rows_total(), None);
    }

    fn read_with(path: &Path, opts: &ReadOptions) -> Result<Read> {
        let mut src = CsvSource::open(path, "data.csv", opts)?;
        let mut batches = Vec::new();
        while let Some(b) = src.next_batch()? {
            assert!(b.num_rows() > 0 && b.num_rows() <= opts.batch_rows);
            assert_eq!(b.data.schema(), src.schema());
            batches.push((b.first_row, batch_rows(&b)));
        }
        Ok(Read { src, batches })
    }

    fn read_bytes(name: &str, bytes: &[u8], opts: &ReadOptions) -> Result<Read> {
        let dir = tempfile::tempdir().unwrap();
        let path = write_file(dir.path(), name, bytes);
        read_with(&path, opts)
    }

    fn read(name: &str, text: &str) -> Read {
        read_bytes(name, text.as_bytes(), &ReadOptions::default()).unwrap()
    }

    fn err(name: &str, bytes: &[u8], opts: &ReadOptions) -> (Location, String) {
        match read_bytes(name, bytes, opts) {
            Err(Error::Input { loc, msg }) => (loc, msg),
            Err(e) => panic!("expected an input error, got {e}"),
            Ok(r) => panic!("expected an error, read {} rows", r.rows().len()),
        }
    }

    fn row(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|s| s.to_string()).collect()
    }

    // --- delimiters -------------------------------------------------------------------------

    #[test]
    fn sniffs_each_delimiter() {
        for (d, name) in [(',', "','"), (';', "';'"), ('\t', "TAB"), ('|', "'|'")] {
            let text = format!(
                "Emri{d}Mosha{d}Komuna\nAlfa{d}31{d}Peja\nBeta{d}42{d}\"Prizren, qendër{d}\"\n"
            );
            let r = read("data.csv", &text);
            assert_eq!(r.names(), ["Emri", "Mosha", "Komuna"], "delimiter {name}");
            assert_eq!(
                r.rows()[1],
                row(&["Beta", "42", &format!("Prizren, qendër{d}")])
            );
            assert!(
                r.notes().contains(&format!("delimiter {name} (sniffed)")),
                "{}",
                r.notes()
            );
        }
    }

    #[test]
    fn semicolon_with_decimal_commas() {
        let r = read(
            "data.csv",
            "Emri;Pesha;Gjatesia\nAlfa;70,5;1,80\nBeta;81,2;1,75\n",
        );
        assert_eq!(r.names(), ["Emri", "Pesha", "Gjatesia"]);
        // Read as numbers (digits kept), as `decimal` says.
        assert_eq!(r.rows()[0], row(&["Alfa", "70.5", "1.80"]));
        assert!(r.notes().contains("Pesha, Gjatesia"), "{}", r.notes());
    }

    #[test]
    fn tsv_extension_prefers_tab_and_forced_delimiter_wins() {
        // Both ',' and TAB split every line into two fields.
        let text = "a,b\tc,d\n1,2\t3,4\n";
        let r = read("data.tsv", text);
        assert_eq!(r.names(), ["a,b", "c,d"]);
        let r = read("data.csv", text);
        assert_eq!(r.names(), ["a", "b\tc", "d"]);
        let opts = ReadOptions {
            delimiter: Some(b'\t'),
            ..ReadOptions::default()
        };
        let r = read_bytes("data.csv", text.as_bytes(), &opts).unwrap();
        assert_eq!(r.names(), ["a,b", "c,d"]);
        assert!(r.notes().contains("delimiter TAB (forced)"));
    }

    #[test]
    fn single_column() {
        let r = read("data.csv", "Emri\nAlfa\nBeta\n");
        assert_eq!(r.names(), ["Emri"]);
        assert_eq!(r.rows(), [row(&["Alfa"]), row(&["Beta"])]);
    }

    // --- quoting, BOM, line ends -------------------------------------------------------------

    #[test]
    fn rfc4180_quoting() {
        let text = "id,text,tail\r\n1,\"hello, \"\"world\"\"\r\nsecond line\",x\r\n2,plain,\"\"\r\n\r\n3,,\"a\"\"\"\r\n";
        let r = read("data.csv", text);
        assert_eq!(r.names(), ["id", "text", "tail"]);
        assert_eq!(
            r.rows(),
            [
                row(&["1", "hello, \"world\"\r\nsecond line", "x"]),
                row(&["2", "plain", ""]),
                row(&["3", "", "a\""]),
            ]
        );
        assert_eq!(r.src.rows_total(), Some(RowCount::Exact(3)));
    }

    #[test]
    fn strips_bom() {
        let r = read_bytes(
            "data.csv",
            b"\xEF\xBB\xBFEmri,Mosha\nAlfa,3\n",
            &ReadOptions::default(),
        )
        .unwrap();
        assert_eq!(r.names(), ["Emri", "Mosha"]);
        assert!(r.notes().contains("byte-order mark"));
    }

    #[test]
    fn no_trailing_newline_and_empty_fields_are_strings() {
        let r = read("data.csv", "a,b,c\n,,\n1,,3");
        assert_eq!(r.rows(), [row(&["", "", ""]), row(&["1", "", "3"])]);
    }

    // --- encodings ---------------------------------------------------------------------------

    #[test]
    fn detects_windows_1250() {
        let text = "Emri;Mbiemri;Komuna\nArbër;Krasniqi;Gjakovë\nJovan;Petrović;Štrpce\n";
        let (bytes, _, bad) = WINDOWS_1250.encode(text);
        assert!(!bad);
        assert!(std::str::from_utf8(&bytes).is_err());
        let r = read_bytes("data.csv", &bytes, &ReadOptions::default()).unwrap();
        assert_eq!(r.names(), ["Emri", "Mbiemri", "Komuna"]);
        assert_eq!(
            r.rows(),
            [
                row(&["Arbër", "Krasniqi", "Gjakovë"]),
                row(&["Jovan", "Petrović", "Štrpce"])
            ]
        );
        assert!(
            r.notes().contains("encoding windows-1250 (detected)"),
            "{}",
            r.notes()
        );
    }

    #[test]
    fn detects_windows_1251() {
        let text = "Име;Презиме;Општина\nЈован;Петровић;Штрпце\nМарко;Илић;Грачаница\n";
        let (bytes, _, bad) = WINDOWS_1251.encode(text);
        assert!(!bad);
        let r = read_bytes("data.csv", &bytes, &ReadOptions::default()).unwrap();
        assert_eq!(r.names(), ["Име", "Презиме", "Општина"]);
        assert_eq!(r.rows()[0], row(&["Јован", "Петровић", "Штрпце"]));
        assert!(
            r.notes().contains("encoding windows-1251 (detected)"),
            "{}",
            r.notes()
        );
    }

    #[test]
    fn iso_8859_2_by_hint_and_forced() {
        let text = "Emri;Qyteti\nŠpend;Štimje\nBesa;Ferizaj\n";
        let (bytes, _, bad) = ISO_8859_2.encode(text);
        assert!(!bad);
        let r = read_bytes("data.csv", &bytes, &ReadOptions::default()).unwrap();
        assert_eq!(r.rows()[0], row(&["Špend", "Štimje"]));
        assert!(r.notes().contains("ISO-8859-2 (detected)"), "{}", r.notes());

        // Bytes that are valid in every encoding: forcing decides.
        let (bytes, _, _) = ISO_8859_2.encode("Emri;Qyteti\nArbër;Gjakovë\n");
        let opts = ReadOptions {
            encoding: Some("latin2".into()),
            ..ReadOptions::default()
        };
        let r = read_bytes("data.csv", &bytes, &opts).unwrap();
        assert_eq!(r.rows()[0], row(&["Arbër", "Gjakovë"]));
        assert!(r.notes().contains("encoding ISO-8859-2 (forced)"));
    }

    #[test]
    fn forced_encoding_overrides_detection() {
        // "ž" in windows-1250 is 0x9E, which windows-1251 reads as "ћ".
        let (bytes, _, _) = WINDOWS_1250.encode("Emri\nŽana\n");
        let opts = ReadOptions {
            encoding: Some("windows-1251".into()),
            ..ReadOptions::default()
        };
        let r = read_bytes("data.csv", &bytes, &opts).unwrap();
        assert_eq!(r.rows()[0], row(&["Ћana"]));
        let opts = ReadOptions {
            encoding: Some("cp1250".into()),
            ..ReadOptions::default()
        };
        let r = read_bytes("data.csv", &bytes, &opts).unwrap();
        assert_eq!(r.rows()[0], row(&["Žana"]));
    }

    #[test]
    fn unknown_encoding_is_a_usage_error() {
        let opts = ReadOptions {
            encoding: Some("klingon".into()),
            ..ReadOptions::default()
        };
        match read_bytes("data.csv", b"a\n1\n", &opts) {
            Err(Error::Usage(m)) => {
                assert!(
                    m.contains("windows-1250") && m.contains("iso-8859-2"),
                    "{m}"
                )
            }
            _ => panic!("expected a usage error"),
        }
        // A real encoding, but not one of Kosovo's (UTF-16 is: see `utf16`).
        let opts = ReadOptions {
            encoding: Some("shift_jis".into()),
            ..ReadOptions::default()
        };
        assert!(matches!(
            read_bytes("data.csv", b"a\n1\n", &opts),
            Err(Error::Usage(_))
        ));
    }

    #[test]
    fn utf8_multibyte_char_cut_by_the_head_is_still_utf8() {
        let mut base = String::from("Emri,Komuna\n");
        while base.len() < HEAD_BYTES + 1000 {
            base.push_str("Arbër,Gjakovë\n");
        }
        // Pad the header so that the 64 KiB boundary cuts a two-byte character.
        let text = (0..4)
            .map(|pad| format!("{}{base}", "x".repeat(pad)))
            .find(|t| !t.is_char_boundary(HEAD_BYTES))
            .unwrap();
        let r = read("data.csv", &text);
        assert!(r.notes().contains("encoding UTF-8"), "{}", r.notes());
        assert!(r.rows().iter().all(|r| r[0] == "Arbër"));
    }

    #[test]
    fn invalid_utf8_after_the_head_names_row_and_column() {
        let mut text = String::from("Emri,Komuna\n");
        let mut rows = 0;
        while text.len() < 2 * HEAD_BYTES {
            text.push_str("Alfa,Prishtina\n");
            rows += 1;
        }
        let mut bytes = text.into_bytes();
        bytes.extend_from_slice(b"Alfa,Gjakov\xEB\n");
        let (loc, msg) = err("data.csv", &bytes, &ReadOptions::default());
        assert_eq!(loc.row, Some(rows + 1));
        assert_eq!(loc.column.as_deref(), Some("Komuna"));
        assert!(msg.contains("invalid UTF-8"), "{msg}");
        assert!(msg.contains("--encoding windows-1250"), "{msg}");
        assert!(!msg.contains("Gjakov"), "{msg}");
    }

    #[test]
    fn utf8_character_split_by_a_delimiter_is_invalid() {
        // The record's bytes without delimiters ("ë" and "é") are valid UTF-8; each field is not.
        let opts = ReadOptions {
            encoding: Some("utf-8".into()),
            ..ReadOptions::default()
        };
        for (text, col, at) in [
            (
                &b"Emri,Komuna,Nr,Tj\nAlfa,Gjakov\xC3,\xABx,1\n"[..],
                "Komuna",
                7,
            ),
            (&b"Emri,Komuna,Nr,Tj\nAlfa,\xC3,,\xA9\n"[..], "Komuna", 1),
            (
                &b"Emri,Komuna,Nr,Tj\nAr\xC3\xABb,Peja,x,\xC3\n"[..],
                "Tj",
                1,
            ),
        ] {
            let (loc, msg) = err("data.csv", text, &opts);
            assert_eq!(loc.row, Some(1));
            assert_eq!(loc.column.as_deref(), Some(col));
            assert!(
                msg.contains(&format!("invalid UTF-8 at byte {at} of")),
                "{msg}"
            );
        }
    }

    #[test]
    fn nul_byte_names_row_and_column() {
        let (loc, msg) = err(
            "data.csv",
            b"Emri,Komuna\nAlfa,Peja\nBeta,P\0eja\n",
            &ReadOptions::default(),
        );
        assert_eq!((loc.row, loc.column.as_deref()), (Some(2), Some("Komuna")));
        assert!(msg.contains("NUL byte"), "{msg}");

        // Far past the first read, after batches without any.
        let mut text = b"Emri,Komuna\n".to_vec();
        for _ in 0..100_000 {
            text.extend_from_slice(b"Alfa,Peja\n");
        }
        text.extend_from_slice(b"\0Beta,Peja\n");
        let (loc, msg) = err("data.csv", &text, &ReadOptions::default());
        assert_eq!(
            (loc.row, loc.column.as_deref()),
            (Some(100_001), Some("Emri"))
        );
        assert!(msg.contains("NUL byte"), "{msg}");
    }

    // --- compression -------------------------------------------------------------------------

    fn sample_table(rows: usize) -> String {
        let mut s = String::from("id;emri;komuna\n");
        for i in 1..=rows {
            s.push_str(&format!("{i};Emri{i};Komuna {}\n", i % 7));
        }
        s
    }

    #[test]
    fn gzip_and_zstd() {
        let text = sample_table(50);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(text.as_bytes()).unwrap();
        let gz = gz.finish().unwrap();
        let zst = zstd::encode_all(text.as_bytes(), 3).unwrap();
        for (name, bytes, note) in [
            ("data.csv.gz", &gz, "gzip-compressed"),
            ("data.csv.zst", &zst, "zstd-compressed"),
            // By magic bytes, whatever the name.
            ("data.csv", &gz, "gzip-compressed"),
            ("data.txt", &zst, "zstd-compressed"),
        ] {
            let r = read_bytes(name, bytes, &ReadOptions::default()).unwrap();
            assert_eq!(r.names(), ["id", "emri", "komuna"], "{name}");
            let rows = r.rows();
            assert_eq!(rows.len(), 50);
            assert_eq!(rows[49], row(&["50", "Emri50", "Komuna 1"]));
            assert!(r.notes().contains(note));
            assert_eq!(r.src.rows_total(), Some(RowCount::Exact(50)));
        }
    }

    #[test]
    fn compressed_sample_reads_from_the_start() {
        let text = sample_table(5000);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(text.as_bytes()).unwrap();
        let gz = gz.finish().unwrap();
        let opts = ReadOptions {
            sample_rows: Some(100),
            ..ReadOptions::default()
        };
        let r = read_bytes("data.csv.gz", &gz, &opts).unwrap();
        let rows = r.rows();
        assert_eq!(rows.len(), 100);
        assert_eq!(rows[0][0], "1");
        assert!(r.notes().contains("cannot seek"));
        match r.src.rows_total() {
            Some(RowCount::Estimated(n)) => assert!((2500..10_000).contains(&n), "{n}"),
            other => panic!("{other:?}"),
        }

        // Small enough to sit in the head: read whole, counted exactly.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(sample_table(300).as_bytes()).unwrap();
        let r = read_bytes("data.csv.gz", &gz.finish().unwrap(), &opts).unwrap();
        assert_eq!(r.rows().len(), 300);
        assert_eq!(r.src.rows_total(), Some(RowCount::Exact(300)));
    }

    #[test]
    fn compressed_name_without_magic_is_an_error() {
        let (loc, msg) = err("data.csv.gz", b"a,b\n1,2\n", &ReadOptions::default());
        assert_eq!(loc.dataset, "data.csv");
        assert!(msg.contains("gzip"), "{msg}");
    }

    #[test]
    fn corrupt_gzip_is_an_input_error() {
        let mut bytes = vec![0x1f, 0x8b, 0x08, 0x00];
        bytes.extend_from_slice(&[0xAB; 64]);
        let (_, msg) = err("data.csv.gz", &bytes, &ReadOptions::default());
        assert!(msg.contains("decompress"), "{msg}");
    }

    // --- header ------------------------------------------------------------------------------

    #[test]
    fn header_detection() {
        // Numbers under numbers: no header.
        let r = read("data.csv", "1,2,3\n4,5,6\n7,8,9\n");
        assert_eq!(r.names(), ["col1", "col2", "col3"]);
        assert_eq!(r.rows().len(), 3);
        assert!(r.notes().contains("no header row (detected)"));

        // Data rows with an id and a date: no header.
        let r = read(
            "data.csv",
            "1,Alfa,Beta,1985-03-12\n2,Gama,Delta,1990-11-02\n3,Epsilon,Zeta,2001-01-30\n",
        );
        assert_eq!(r.names(), ["col1", "col2", "col3", "col4"]);
        assert_eq!(r.rows().len(), 3);

        // Text above numbers: header.
        let r = read(
            "data.csv",
            "ID,Emri,Data\n1,Alfa,1985-03-12\n2,Beta,1990-11-02\n",
        );
        assert_eq!(r.names(), ["ID", "Emri", "Data"]);
        assert_eq!(r.rows().len(), 2);
        assert!(r.notes().contains("header row (detected)"));

        // Years above counts: header.
        let r = read(
            "data.csv",
            "Komuna,2019,2020,2021\nAlfa,1234,1250,1302\nBeta,877,901,950\n",
        );
        assert_eq!(r.names(), ["Komuna", "2019", "2020", "2021"]);

        // Text only: header (conservative).
        let r = read("data.csv", "Alfa,Beta\nGama,Delta\n");
        assert_eq!(r.names(), ["Alfa", "Beta"]);

        // A value of the first row recurring below: data.
        let r = read("data.csv", "Alfa,Peja\nBeta,Prizren\nGama,Peja\n");
        assert_eq!(r.names(), ["col1", "col2"]);

        // Single numeric row: data.
        let r = read("data.csv", "12,34\n");
        assert_eq!(r.names(), ["col1", "col2"]);
        assert_eq!(r.rows(), [row(&["12", "34"])]);
    }

    #[test]
    fn forced_header_either_way() {
        let opts = ReadOptions {
            has_header: Some(false),
            ..ReadOptions::default()
        };
        let r = read_bytes("data.csv", b"Emri,Mosha\nAlfa,3\n", &opts).unwrap();
        assert_eq!(r.names(), ["col1", "col2"]);
        assert_eq!(r.rows().len(), 2);
        assert_eq!(r.batches[0].0, 1);
        let opts = ReadOptions {
            has_header: Some(true),
            ..ReadOptions::default()
        };
        let r = read_bytes("data.csv", b"1,2\n3,4\n", &opts).unwrap();
        assert_eq!(r.names(), ["1", "2"]);
        assert_eq!(r.rows(), [row(&["3", "4"])]);
        assert!(r.notes().contains("header row (forced)"));
    }

    #[test]
    fn deduplicates_header_names() {
        let r = read("data.csv", "name,name,,x, name ,col3\na,b,c,d,e,f\n");
        assert_eq!(
            r.names(),
            ["name", "name_2", "col3", "x", "name_3", "col3_2"]
        );
    }

    // --- batches -----------------------------------------------------------------------------

    #[test]
    fn batch_boundaries() {
        let mut text = String::from("id,v\n");
        for i in 1..=10 {
            text.push_str(&format!("{i},v{i}\n"));
        }
        let opts = ReadOptions {
            batch_rows: 3,
            ..ReadOptions::default()
        };
        let r = read_bytes("data.csv", text.as_bytes(), &opts).unwrap();
        let firsts: Vec<u64> = r.batches.iter().map(|(f, _)| *f).collect();
        assert_eq!(firsts, [1, 4, 7, 10]);
        let sizes: Vec<usize> = r.batches.iter().map(|(_, b)| b.len()).collect();
        assert_eq!(sizes, [3, 3, 3, 1]);
        for (first, rows) in &r.batches {
            for (k, row) in rows.iter().enumerate() {
                assert_eq!(row[0], (first + k as u64).to_string());
            }
        }
        assert_eq!(r.src.rows_total(), Some(RowCount::Exact(10)));
    }

    #[test]
    fn small_file_with_sample_is_read_whole() {
        let opts = ReadOptions {
            sample_rows: Some(100),
            ..ReadOptions::default()
        };
        let r = read_bytes("data.csv", sample_table(300).as_bytes(), &opts).unwrap();
        assert_eq!(r.rows().len(), 300);
        assert_eq!(r.src.rows_total(), Some(RowCount::Exact(300)));
    }

    // --- sampling ----------------------------------------------------------------------------

    fn write_large(dir: &Path, name: &str, rows: usize, line: impl Fn(usize) -> String) -> PathBuf {
        let path = dir.join(name);
        let f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .unwrap();
        let mut w = io::BufWriter::new(f);
        w.write_all(b"id,note,tail\n").unwrap();
        for i in 1..=rows {
            w.write_all(line(i).as_bytes()).unwrap();
        }
        w.flush().unwrap();
        path
    }

    fn check_sample(path: &Path, rows: usize, n: usize, expect: impl Fn(usize) -> [String; 2]) {
        let opts = ReadOptions {
            sample_rows: Some(n),
            batch_rows: 64,
            ..ReadOptions::default()
        };
        let r = read_with(path, &opts).unwrap();
        let got = r.rows();
        assert!(
            got.len() >= n * 9 / 10 && got.len() <= n * 11 / 10,
            "{} rows",
            got.len()
        );
        let mut ids = HashSet::new();
        let mut max_id = 0;
        let mut last_first = 0;
        for (first, batch) in &r.batches {
            assert!(*first > last_first);
            last_first = *first;
            let id0: usize = batch[0][0].parse().unwrap();
            // Estimated row numbers stay close to the real ones (the id).
            assert!(
                (*first as i64 - id0 as i64).unsigned_abs() <= rows as u64 / 50,
                "first_row {first} for id {id0}"
            );
            for row in batch {
                let id: usize = row[0].parse().unwrap();
                assert_eq!([row[1].clone(), row[2].clone()], expect(id), "row {id}");
                assert!(ids.insert(id), "row {id} read twice");
                max_id = max_id.max(id);
            }
        }
        assert_eq!(r.batches[0].0, 1);
        assert!(max_id > rows * 9 / 10, "sample ends at {max_id}");
        match r.src.rows_total() {
            Some(RowCount::Estimated(est)) => {
                assert!(est.abs_diff(rows as u64) < rows as u64 / 10, "{est}")
            }
            other => panic!("{other:?}"),
        }
        assert!(r.notes().contains("estimates"));
        assert!(!r.notes().contains("skipped"), "{}", r.notes());
    }

    #[test]
    fn sampled_read_spreads_across_a_large_file() {
        let dir = tempfile::tempdir().unwrap();
        let rows = 200_000;
        let path = write_large(dir.path(), "big.csv", rows, |i| {
            format!("{i},note {},t{i}\n", "x".repeat(i % 13))
        });
        check_sample(&path, rows, 1600, |i| {
            [format!("note {}", "x".repeat(i % 13)), format!("t{i}")]
        });
    }

    #[test]
    fn sampled_read_resyncs_past_embedded_newlines() {
        let dir = tempfile::tempdir().unwrap();
        let rows = 40_000;
        // Every note spans lines, and one inner line even parses as a 3-field record.
        let note = |i: usize| format!("first {i}\n9,x,{i}\nsay \"\"hi\"\"\n\nlast, {}", i % 5);
        let path = write_large(dir.path(), "multi.csv", rows, |i| {
            format!("{i},\"{}\",t{i}\r\n", note(i))
        });
        check_sample(&path, rows, 800, |i| {
            [note(i).replace("\"\"", "\""), format!("t{i}")]
        });
    }

    #[test]
    fn verify_boundary_rejects_starts_inside_quotes() {
        // Real records after a boundary.
        assert!(verify_boundary(b"1,\"a\nb\",c\n2,d,e\n", b',', 3, true));
        // Inside the quoted field: the closing quote shows up mid-field.
        assert!(!verify_boundary(b"b\",c\n2,d,e\n", b',', 3, true));
        // An inner line that happens to have three fields, then the tail of the field.
        assert!(!verify_boundary(
            b"9,x,1\nlast\",t1\n2,y,z\n",
            b',',
            3,
            true
        ));
        // Wrong field count.
        assert!(!verify_boundary(b"1,2\n3,4\n", b',', 3, true));
    }

    // --- bad input ---------------------------------------------------------------------------

    #[test]
    fn missing_file_is_an_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let res = CsvSource::open(
            &dir.path().join("nope.csv"),
            "nope.csv",
            &ReadOptions::default(),
        );
        assert!(matches!(res, Err(Error::Io { .. })));
    }

    #[test]
    fn empty_files() {
        for bytes in [&b""[..], b"\xEF\xBB\xBF", b"  \n\r\n\t\n"] {
            let (loc, msg) = err("data.csv", bytes, &ReadOptions::default());
            assert_eq!(loc.dataset, "data.csv");
            assert!(msg.contains("empty file"), "{msg}");
        }
    }

    #[test]
    fn header_only_is_zero_rows() {
        for text in ["Emri,Mbiemri\n", "Emri,Mbiemri"] {
            let r = read("data.csv", text);
            assert_eq!(r.names(), ["Emri", "Mbiemri"]);
            assert!(r.batches.is_empty());
            assert_eq!(r.src.rows_total(), Some(RowCount::Exact(0)));
            assert!(r.notes().contains("header only"));
        }
    }

    #[test]
    fn ragged_row() {
        let (loc, msg) = err(
            "data.csv",
            b"Emri,Mosha,Komuna\nAlfa,3,Peja\nQzvb,4\n",
            &ReadOptions::default(),
        );
        assert_eq!(loc.row, Some(2));
        assert!(msg.contains("expected 3 fields, found 2"), "{msg}");
        assert!(!msg.contains("Qzvb"));
        let (loc, msg) = err(
            "data.csv",
            b"Emri,Mosha\nAlfa,3\nQzvb,4,5\n",
            &ReadOptions::default(),
        );
        assert_eq!(loc.row, Some(2));
        assert!(msg.contains("expected 2 fields, found 3"), "{msg}");
    }

    #[test]
    fn unterminated_quote() {
        let (loc, msg) = err(
            "data.csv",
            b"Emri,Mosha,Komuna\nAlfa,3,Peja\nBeta,\"Qzvb secret\n5,Gama,Delta\n",
            &ReadOptions::default(),
        );
        assert_eq!(loc.row, Some(2));
        assert_eq!(loc.column.as_deref(), Some("Mosha"));
        assert!(
            msg.contains("unterminated quoted field starting at row 2, column \"Mosha\""),
            "{msg}"
        );
        assert!(!msg.contains("Qzvb") && !msg.contains("secret"));
        let full = Error::input(loc, msg).to_string();
        assert!(full.contains("row 2") && full.contains("Mosha"), "{full}");
    }

    #[test]
    fn oversized_field() {
        let opts = ReadOptions {
            max_field_bytes: 1000,
            ..ReadOptions::default()
        };
        let mut text = b"Emri,Shenim,Komuna\nAlfa,ok,Peja\nBeta,".to_vec();
        text.extend(std::iter::repeat_n(b'Q', 5_000_000));
        text.extend_from_slice(b",Peja\nGama,ok,Peja\n");
        let (loc, msg) = err("data.csv", &text, &opts);
        assert_eq!(loc.row, Some(2));
        assert_eq!(loc.column.as_deref(), Some("Shenim"));
        assert!(
            msg.contains("field of 5000000 bytes exceeds the limit of 1000 bytes"),
            "{msg}"
        );
        assert!(!msg.contains("QQ"));

        // Quoted, with doubled quotes counted once.
        let mut text = b"Emri,Shenim\nAlfa,\"".to_vec();
        for _ in 0..1000 {
            text.extend_from_slice(b"ab\"\"");
        }
        text.extend_from_slice(b"\"\n");
        let (loc, msg) = err("data.csv", &text, &opts);
        assert_eq!(loc.row, Some(1));
        assert!(msg.contains("field of 3000 bytes"), "{msg}");

        // An over-long field that never closes its quote reports the quote.
        let mut text = b"Emri,Shenim\nAlfa,\"".to_vec();
        text.extend(std::iter::repeat_n(b'Q', 100_000));
        let (loc, msg) = err("data.csv", &text, &opts);
        assert_eq!(loc.row, Some(1));
        assert!(msg.contains("unterminated"), "{msg}");

        // In the header.
        let (loc, msg) = err("data.csv", &[b'H'; 2000], &opts);
        assert_eq!(loc.row, Some(0));
        assert!(msg.contains("exceeds the limit"), "{msg}");
    }

    #[test]
    fn invalid_utf8_in_header_when_forced() {
        let opts = ReadOptions {
            encoding: Some("utf-8".into()),
            ..ReadOptions::default()
        };
        let (loc, msg) = err("data.csv", b"Em\xEBri,Mosha\nAlfa,3\n", &opts);
        assert_eq!(loc.row, Some(0));
        assert_eq!(loc.column.as_deref(), Some("col1"));
        assert!(msg.contains("declared"), "{msg}");
    }

    #[test]
    fn errors_stop_the_stream() {
        let mut src = {
            let dir = tempfile::tempdir().unwrap();
            let path = write_file(dir.path(), "data.csv", b"a,b\n1,2\n3\n4,5\n");
            CsvSource::open(&path, "data.csv", &ReadOptions::default()).unwrap()
        };
        assert!(src.next_batch().is_err());
        assert!(matches!(src.next_batch(), Ok(None)));
    }

    // --- the held-back tail ------------------------------------------------------------------

    #[test]
    fn totals_and_footnotes_at_the_end_are_dropped() {
        let mut text = String::from("Tabela 1. Banorët\n\nEmri,Mosha,Komuna\n");
        let mut want = Vec::new();
        for i in 0..20 {
            // A "Total" in the middle is data.
            let first = if i == 3 {
                "Total".to_string()
            } else {
                format!("E{i}")
            };
            text.push_str(&format!("{first},{i},Peja\n"));
            want.push(row(&[&first, &i.to_string(), "Peja"]));
        }
        text.push_str(
            "Gjithsej,7,\n,,\n\"Burimi: ASK, 2024\",,\nShënim: paraprake\n* sintetike, jo reale\n",
        );
        let r = read("data.csv", &text);
        assert_eq!(r.names(), ["Emri", "Mosha", "Komuna"]);
        assert_eq!(r.rows(), want);
        assert_eq!(r.src.rows_total(), Some(RowCount::Exact(20)));
        assert!(
            r.notes().contains(
                "1 total row(s), 3 footnote row(s) and 1 blank row(s) below the table were \
                 not read as data"
            ),
            "{}",
            r.notes()
        );
        // Without any, no note; a last row with a name is kept.
        let r = read("data.csv", "Emri,Mosha\nArta,4\nTotaj Berisha,5\n");
        assert_eq!(r.rows().len(), 2);
        assert!(!r.notes().contains("not read as data"), "{}", r.notes());
    }

    #[test]
    fn a_ragged_footnote_above_data_is_still_an_error() {
        // A footnote-like short row followed by data: the ragged-row error, at its own row.
        let (loc, msg) = err(
            "data.csv",
            b"Emri,Mosha,Komuna\nAlfa,3,Peja\nBurimi: x\nBeta,4,Prizren\n",
            &ReadOptions::default(),
        );
        assert_eq!(loc.row, Some(2));
        assert!(msg.contains("expected 3 fields, found 1"), "{msg}");
        // A short row that is no footnote, at the end: still an error.
        let (loc, _) = err(
            "data.csv",
            b"Emri,Mosha,Komuna\nAlfa,3,Peja\nPrishtina\n",
            &ReadOptions::default(),
        );
        assert_eq!(loc.row, Some(2));
        // Far from the end, long after the ring filled.
        let mut text = String::from("Emri,Mosha,Komuna\n");
        for i in 0..100 {
            text.push_str(&format!("E{i},{i},Peja\n"));
            if i == 40 {
                text.push_str("Burimi: x\n");
            }
        }
        let (loc, _) = err("data.csv", text.as_bytes(), &ReadOptions::default());
        assert_eq!(loc.row, Some(42));
    }

    /// A table of `rows` numbered rows (of about `width` bytes), a total row and a padded
    /// footnote.
    fn table_with_tail(rows: usize, width: usize) -> String {
        let mut text = String::from("id,note,tail\n");
        for i in 1..=rows {
            text.push_str(&format!("{i},note {},t{i}\n", "x".repeat(width + i % 13)));
        }
        text.push_str("Gjithsej,,\nBurimi: ASK,,\n");
        text
    }

    #[test]
    fn samples_never_read_the_dropped_tail() {
        let dir = tempfile::tempdir().unwrap();
        // Sample windows: on a file of few long rows every window reaches the next one or the
        // end of the file with rows still held (the last one reads into the tail); on a file
        // of many rows they stop after their rows.
        for (rows, width, ns) in [
            (200, 400, &[8, 16, 32, 48][..]),
            (40_000, 0, &[16, 1600][..]),
        ] {
            let text = table_with_tail(rows, width);
            let path = write_file(dir.path(), &format!("w{rows}.csv"), text.as_bytes());
            let full = read_with(&path, &ReadOptions::default()).unwrap();
            assert_eq!(full.rows().len(), rows);
            for &n in ns {
                let opts = ReadOptions {
                    sample_rows: Some(n),
                    ..ReadOptions::default()
                };
                let r = read_with(&path, &opts).unwrap();
                assert!(r.notes().contains("windows"), "{}", r.notes());
                let got = r.rows();
                assert!(got.len() >= n * 9 / 10, "{} of {n}", got.len());
                for g in got {
                    assert!(g[0].parse::<usize>().is_ok(), "{g:?} sampled ({rows}, {n})");
                }
            }
        }
        let rows = 40_000;
        let text = table_with_tail(rows, 0);
        let path = dir.path().join("w40000.csv");
        let full = read_with(&path, &ReadOptions::default()).unwrap();
        // A sample as large as the file reads it whole, exactly as the full read.
        let opts = ReadOptions {
            sample_rows: Some(rows),
            ..ReadOptions::default()
        };
        let r = read_with(&path, &opts).unwrap();
        assert_eq!(r.rows(), full.rows());
        assert_eq!(r.src.rows_total(), Some(RowCount::Exact(rows as u64)));
        // The first n rows of compressed input, n up to and past the data rows.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(text.as_bytes()).unwrap();
        let gz_path = write_file(dir.path(), "tail.csv.gz", &gz.finish().unwrap());
        for n in [rows - 1, rows, rows + 1, rows + 5] {
            let opts = ReadOptions {
                sample_rows: Some(n),
                ..ReadOptions::default()
            };
            let r = read_with(&gz_path, &opts).unwrap();
            assert_eq!(r.rows()[..], full.rows()[..n.min(rows)], "first {n}");
            if n >= rows {
                assert_eq!(
                    r.src.rows_total(),
                    Some(RowCount::Exact(rows as u64)),
                    "{n}"
                );
            }
        }
    }

    /// CSV-ish bytes: mostly short fields, with quotes, both delimiters, CR, LF and some long
    /// runs, so every tracker state and both sides of the limit are met.
    fn csvish() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let piece = prop_oneof![
            8 => proptest::sample::select(&b"ab,;\"\r\n"[..]).prop_map(|b| vec![b]),
            2 => Just(b"\r\n".to_vec()),
            1 => (1usize..300).prop_map(|n| vec![b'x'; n]),
            1 => (1usize..40).prop_map(|n| vec![b'"'; n]),
        ];
        proptest::collection::vec(piece, 0..200).prop_map(|v| v.concat())
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// The shortcut in `Tracker::feed` ends every chunk in exactly the state (records,
        /// fields, lengths, quote start, trip) that stepping byte by byte reaches.
        #[test]
        fn tracker_shortcut_matches_stepping(
            bytes in csvish(),
            cuts in proptest::collection::vec(0usize..4000, 0..8),
            limit in proptest::prop_oneof![0usize..64, 64usize..400, proptest::strategy::Just(16 * 1024 * 1024)],
            semicolon in proptest::bool::ANY,
        ) {
            let delim = if semicolon { b';' } else { b',' };
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(bytes.len())).collect();
            cuts.push(bytes.len());
            cuts.sort_unstable();
            let mut fast = Tracker::new(delim, limit);
            let mut slow = Tracker::new(delim, limit);
            let mut from = 0;
            for cut in cuts {
                let chunk = &bytes[from..cut];
                fast.feed(chunk);
                slow.feed_stepwise(chunk);
                proptest::prop_assert_eq!(&fast, &slow);
                from = cut;
            }
            fast.finish();
            slow.finish();
            proptest::prop_assert_eq!(&fast, &slow);
        }
    }

    #[test]
    fn tracker_shortcut_counts_records_and_fields() {
        let mut t = Tracker::new(b',', 1 << 20);
        t.feed(b"\r\n\na,b\r\n\r\nc,,d\nef,g");
        assert_eq!(
            (t.state, t.record, t.field, t.field_len),
            (QState::Unquoted, 3, 1, 1)
        );
        t.feed(b"h,\"i\nj");
        assert_eq!((t.state, t.quote_start), (QState::Quoted, (3, 2)));
    }
}
