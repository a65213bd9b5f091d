//! Opening a CSV file, in steps: the input ([`Input::open`]: compression, forced choices, the
//! text stream), the head ([`Head::read`]: byte-order mark, `sep=` line, encoding and
//! delimiter), the table ([`Table::decide`]: title block, header, column names, decimal
//! commas), then the read strategy ([`Strategy::choose`]): sample windows across a large
//! plain file, the first n rows of input that cannot seek, or the whole text in one stream.
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use arrow_schema::{DataType, Field, Schema, SchemaRef};
use csv::ByteRecord;

use super::encoding::{TextEncoding, detect_encoding};
use super::head::{
    HEAD_RECORDS, HeadRecord, csv_title_lines, decoded, delimiter_name, looks_like_header,
    parse_head, sniff_delimiter, unique_names,
};
use super::input::{ByteCounts, Compression, read_up_to, text_stream};
use super::stream::{Stream, StreamSpec};
use super::windows::Sampler;
use super::{BOM, CsvSource, Ctx, HEAD_BYTES, HEAD_MAX, MAX_COLUMNS, Plan, decimal, sep, utf16};
use crate::error::{Error, Location, Result};
use crate::source::header_find::Dropped;
use crate::source::{DatasetInfo, Format, ReadOptions, RowCount};

impl CsvSource {
    /// Open the delimited-text file at `path`; `display` is how it is named in messages.
    ///
    /// Reads (at most) the first few KiB to decide compression, encoding, delimiter and header;
    /// rows are then streamed by [`crate::source::Source::next_batch`].
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the file cannot be opened or read, [`Error::Usage`] for an unsupported
    /// `opts.encoding` or an impossible `opts.delimiter`, and [`Error::Input`] for an empty file,
    /// a corrupt compressed stream, invalid text in the header or a first row too long to see.
    pub fn open(path: &Path, display: &str, opts: &ReadOptions) -> Result<Self> {
        let mut input = Input::open(path, display, opts)?;
        let head = Head::read(&mut input)?;
        let mut notes = input.notes(&head);
        let table = Table::decide(&mut input, &head, opts, &mut notes)?;
        let schema: SchemaRef = Arc::new(Schema::new(
            input
                .ctx
                .names
                .iter()
                .map(|n| Field::new(n.as_str(), DataType::Utf8, true))
                .collect::<Vec<_>>(),
        ));
        let sample = opts.sample_rows.map(|n| n.max(1) as u64);
        let at_eof = head.at_eof;
        let (plan, stream) = match Strategy::choose(&mut input, &head, &table, sample) {
            Strategy::Windows { n, file } => {
                let data_start = head.skipped + table.header_end;
                let sampler = Sampler::spread(file, input.file_len, data_start, table.head_mean, n);
                notes.push(sampler.note(n));
                (Plan::Windows(sampler), None)
            }
            Strategy::FirstRows(n) => {
                notes.push(format!(
                    "{} input cannot seek: sampled the first {n} rows",
                    if input.ctx.transcoded {
                        "UTF-16"
                    } else {
                        "compressed"
                    }
                ));
                input.single(head, &table, Some(n))
            }
            Strategy::Whole => input.single(head, &table, None),
        };
        // A full read of a plain file: the file size over the head's mean row size gives the
        // progress line a total (and so an ETA) long before the end; the end replaces it by
        // the exact count.
        let rows_total = match (&plan, sample, input.ctx.compression) {
            (Plan::Single { .. }, None, Compression::None) if !at_eof => Some(RowCount::Estimated(
                (table.text_len.saturating_sub(table.header_end) as f64 / table.head_mean).round()
                    as u64,
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
            ctx: input.ctx,
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

/// The opened file: its text stream and what is known before reading any text.
struct Input {
    ctx: Ctx,
    text: Box<dyn Read + Send>,
    utf16: Option<utf16::Found>,
    /// A second handle for sample windows (plain, untranscoded files only).
    window_file: Option<File>,
    file_len: u64,
    counts: ByteCounts,
    /// The delimiter the extension suggests.
    prefer: Option<u8>,
    forced_enc: Option<TextEncoding>,
    forced_delim: Option<u8>,
}

impl Input {
    /// Open `path`: compression by magic bytes, the extension's delimiter, the forced
    /// encoding and delimiter checked, the (decompressed, transcoded) text stream.
    fn open(path: &Path, display: &str, opts: &ReadOptions) -> Result<Input> {
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
            titled: false,
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
        let (text, utf16) = text_stream(file, compression, &counts, forced_utf16, forced_enc)
            .map_err(|e| ctx.read_error(e))?;
        // Transcoded text has no file offsets to seek to: it is read like compressed text.
        ctx.transcoded = utf16.is_some();
        let window_file = window_file.filter(|_| utf16.is_none());
        Ok(Input {
            ctx,
            text,
            utf16,
            window_file,
            file_len,
            counts,
            prefer,
            forced_enc,
            forced_delim,
        })
    }

    /// What the reader found about the input: compression, encoding, `sep=` line, delimiter.
    fn notes(&self, head: &Head) -> Vec<String> {
        let mut notes = Vec::new();
        match self.ctx.compression {
            Compression::None => {}
            Compression::Gzip => notes.push("gzip-compressed".to_string()),
            Compression::Zstd => notes.push("zstd-compressed".to_string()),
        }
        match self.utf16 {
            Some(u) => notes.push(u.note()),
            None => {
                if head.bom_len > 0 {
                    notes.push("UTF-8 byte-order mark skipped".to_string());
                }
                notes.push(format!(
                    "encoding {} ({})",
                    self.ctx.enc.name(),
                    if self.forced_enc.is_some() {
                        "forced"
                    } else {
                        "detected"
                    }
                ));
            }
        }
        let delim = self.ctx.delim;
        if let Some(l) = &head.sep_line {
            notes.push(l.note(delim, self.forced_delim.is_some()));
        }
        notes.push(format!(
            "delimiter {} ({})",
            delimiter_name(delim),
            head.delim_how
        ));
        notes
    }

    /// One stream over the whole text (the head first), stopping after `max_rows` if given.
    fn single(
        &mut self,
        head: Head,
        table: &Table,
        max_rows: Option<u64>,
    ) -> (Plan, Option<Stream>) {
        let text = std::mem::replace(&mut self.text, Box::new(io::empty()));
        let inner: Box<dyn Read + Send> = Box::new(io::Cursor::new(head.bytes).chain(text));
        let spec = StreamSpec {
            first_data_record: table.title_lines as u64 + if table.has_header { 2 } else { 1 },
            base_row: 1,
            estimated: false,
            max_rows,
            stop_at: None,
            file_offset: head.skipped,
        };
        let stream = Stream::new(inner, self.ctx.delim, self.ctx.max_field, spec);
        let plan = Plan::Single {
            text_len: table.text_len,
            file_len: self.file_len,
            counts: std::mem::take(&mut self.counts),
        };
        (plan, Some(stream))
    }
}

/// The head of the text and the decisions read off it.
struct Head {
    /// The first bytes of text (byte-order mark and `sep=` line removed).
    bytes: Vec<u8>,
    /// The head is the whole text.
    at_eof: bool,
    bom_len: u64,
    sep_line: Option<sep::SepLine>,
    /// Bytes of the file before the first record (byte-order mark, `sep=` line).
    skipped: u64,
    delim_how: &'static str,
    /// The head's complete records.
    complete: Vec<HeadRecord>,
}

impl Head {
    /// Read the head, grown until it holds two complete records (or the whole file), and
    /// decide the encoding and the delimiter from it (into `input.ctx`).
    fn read(input: &mut Input) -> Result<Head> {
        let ctx = &mut input.ctx;
        let (mut head, mut at_eof) =
            read_up_to(&mut *input.text, HEAD_BYTES).map_err(|e| ctx.read_error(e))?;
        let bom_len: u64 = if head.starts_with(BOM) {
            head.drain(..BOM.len());
            3
        } else {
            input.utf16.map_or(0, |u| u.bom)
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
        let (fixed_delim, fixed_how) = match (input.forced_delim, sep_line.as_ref()) {
            (Some(d), _) => (Some(d), "forced"),
            (None, Some(sep::SepLine { delim: Some(d), .. })) => (Some(*d), "from the sep= line"),
            _ => (None, ""),
        };

        let (enc, delim, delim_how, complete) = loop {
            let enc = input
                .forced_enc
                .unwrap_or_else(|| detect_encoding(&head, at_eof));
            let (delim, how) = match fixed_delim {
                Some(d) => (d, fixed_how),
                None => match sniff_delimiter(&head, at_eof, input.prefer) {
                    Some(d) => (d, "sniffed"),
                    None => (
                        input.prefer.unwrap_or(b','),
                        "default: only one column found",
                    ),
                },
            };
            let complete = parse_head(&head, at_eof, delim, HEAD_RECORDS);
            if at_eof || complete.len() >= 2 || head.len() >= HEAD_MAX {
                break (enc, delim, how, complete);
            }
            let more = head.len();
            let got = Read::take(&mut *input.text, more as u64)
                .read_to_end(&mut head)
                .map_err(|e| ctx.read_error(e))?;
            at_eof = got < more;
        };
        ctx.enc = enc;
        ctx.delim = delim;
        Ok(Head {
            bytes: head,
            at_eof,
            bom_len,
            sep_line,
            skipped,
            delim_how,
            complete,
        })
    }
}

/// Where the table is in the text and what its rows look like.
struct Table {
    /// Records of a spreadsheet's title block above the header.
    title_lines: usize,
    has_header: bool,
    /// Head offset just past the header (0 without one).
    header_end: u64,
    /// Mean bytes per data row in the head: sizes the sample windows.
    head_mean: f64,
    /// Bytes of text after the byte-order mark and `sep=` line (UTF-16: as UTF-8, about).
    text_len: u64,
}

impl Table {
    /// Find the header (below any title block), name the columns and find decimal-comma
    /// columns (into `ctx`), saying how in `notes`.
    fn decide(
        input: &mut Input,
        head: &Head,
        opts: &ReadOptions,
        notes: &mut Vec<String>,
    ) -> Result<Table> {
        // UTF-16 text: about half its bytes as UTF-8 (exact for ASCII), for progress only.
        let text_len = match input.utf16 {
            Some(_) => input.file_len.saturating_sub(head.skipped) / 2,
            None => input.file_len.saturating_sub(head.skipped),
        };
        let ctx = &mut input.ctx;
        let (complete, at_eof, enc) = (&head.complete, head.at_eof, ctx.enc);
        // A spreadsheet's title block above the header is skipped, but only when its lines
        // are clearly titles (`csv_title_lines`), so a plain CSV reads exactly as before.
        let title_lines = match opts.has_header {
            Some(false) => 0,
            _ => csv_title_lines(complete, enc),
        };
        let first = Self::first_record(ctx, head, title_lines)?;
        ctx.titled = title_lines > 0;
        let ncols = first.rec.len();
        let (has_header, header_how) = match opts.has_header {
            Some(h) => (h, "forced"),
            None if title_lines > 0 => (true, "found below title lines"),
            None => (looks_like_header(&decoded(complete, enc)), "detected"),
        };
        ctx.has_header = has_header;
        ctx.names = if has_header {
            header_names(ctx, first)?
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
        ctx.decimal = decimal::DecimalCommas::detect(&head_rows, ncols, ctx.delim);
        if let Some(d) = &ctx.decimal {
            notes.push(d.note(&ctx.names));
        }

        let header_end = if has_header { first.end } else { 0 };
        let data_recs = complete
            .get(title_lines + usize::from(has_header)..)
            .unwrap_or(&[]);
        let head_mean = match (data_recs.first(), data_recs.last()) {
            (Some(a), Some(b)) => {
                (b.end.saturating_sub(a.start) as f64 / data_recs.len() as f64).max(1.0)
            }
            _ => (head.bytes.len() as f64).max(1.0),
        };
        Ok(Table {
            title_lines,
            has_header,
            header_end,
            head_mean,
            text_len,
        })
    }

    /// The first record below the title block: the header, or the first row of data.
    fn first_record<'h>(ctx: &Ctx, head: &'h Head, title_lines: usize) -> Result<&'h HeadRecord> {
        let Some(first) = head.complete.get(title_lines) else {
            return Err(if head.at_eof {
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
        Ok(first)
    }
}

/// The header's fields as unique column names.
fn header_names(ctx: &Ctx, first: &HeadRecord) -> Result<Vec<String>> {
    let mut raw = Vec::with_capacity(first.rec.len());
    for (j, field) in first.rec.iter().enumerate() {
        if field.len() > ctx.max_field {
            return Err(ctx.too_large(0, j, field.len() as u64, true, false));
        }
        match ctx.enc.decode(field) {
            Ok(s) => raw.push(s.into_owned()),
            Err(at) => return Err(ctx.bad_utf8(0, j, at, false)),
        }
    }
    Ok(unique_names(raw))
}

/// How the rows are read.
enum Strategy {
    /// Sample windows at evenly spaced offsets of a large plain file.
    Windows { n: u64, file: File },
    /// The first n rows of input that cannot seek (compressed, UTF-16).
    FirstRows(u64),
    /// All rows, in one stream: full reads, and samples of files too small to window.
    Whole,
}

impl Strategy {
    /// Windows when a sample is asked of a plain file at least four times the size of the
    /// sample; the first rows when the input cannot seek; else the whole text.
    fn choose(input: &mut Input, head: &Head, table: &Table, sample: Option<u64>) -> Strategy {
        let Some(n) = sample.filter(|_| !head.at_eof) else {
            return Strategy::Whole;
        };
        let large = table.text_len.saturating_sub(table.header_end) as f64
            >= 4.0 * n as f64 * table.head_mean;
        if large && let Some(file) = input.window_file.take() {
            return Strategy::Windows { n, file };
        }
        if input.ctx.transcoded || input.ctx.compression != Compression::None {
            return Strategy::FirstRows(n);
        }
        Strategy::Whole
    }
}
