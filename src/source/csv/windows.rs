//! Sample windows across a large plain file: where each starts (a verified record boundary
//! after an evenly spaced byte offset), how its rows are counted, and the row estimate.
use std::fs::File;
use std::io::{self, Seek, SeekFrom};

use super::ctx::Ctx;
use super::guard::{QState, is_newline};
use super::input::read_up_to;
use super::stream::{Stream, StreamSpec};
use crate::error::{Error, Result};

/// Windows a sampled large file is read in.
pub(super) const WINDOWS: usize = 16;
/// Records that must parse cleanly after a candidate record boundary.
const VERIFY_RECORDS: usize = 4;
/// Candidate boundaries tried per window before the window is skipped.
const RESYNC_ATTEMPTS: usize = 256;

/// State of a windowed sample.
pub(super) struct Sampler {
    pub(super) file: File,
    pub(super) file_len: u64,
    /// File offset of the first data record.
    pub(super) data_start: u64,
    /// File offset where each window starts looking.
    pub(super) offsets: Vec<u64>,
    pub(super) next: usize,
    pub(super) per_window: u64,
    pub(super) head_mean: f64,
    /// After the previous window: offset just past its last row, the row after it, estimated.
    pub(super) prev: Option<(u64, u64, bool)>,
    /// Every window started where the previous one ended (so nothing was skipped).
    pub(super) contiguous: bool,
    pub(super) last_hit_eof: bool,
    pub(super) rows: u64,
    pub(super) bytes: u64,
    pub(super) skipped: usize,
    /// Mean bytes per row measured in each window, by window index.
    pub(super) window_means: Vec<Option<f64>>,
}

impl Sampler {
    /// Mean bytes per row, from the windows read so far, else from the head.
    pub(super) fn mean(&self) -> f64 {
        if self.rows > 0 && self.bytes > 0 {
            self.bytes as f64 / self.rows as f64
        } else {
            self.head_mean
        }
    }

    /// Rows in the whole file, estimated per stratum: each window's own mean row size over the
    /// stretch of file it stands for. A single overall mean is biased when row length varies
    /// along the file (short rows first, long rows last), because windows are placed by bytes.
    pub(super) fn estimate_rows(&self) -> u64 {
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

    pub(super) fn record(&mut self, s: &Stream) {
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

impl Sampler {
    /// The stream of the next window; `None` when there is none left.
    pub(super) fn next_stream(&mut self, ctx: &Ctx) -> Result<Option<Stream>> {
        let w = self;
        let io_err = |e| Error::io(&ctx.path, e);
        while let Some(&offset) = w.offsets.get(w.next) {
            let k = w.next;
            w.next += 1;
            let stop = w.offsets.get(k + 1).copied().unwrap_or(w.file_len);
            let (start, base_row, estimated) = match w.prev {
                _ if k == 0 => (w.data_start, 1, false),
                Some((end, row, est)) if end >= offset => (end, row, est),
                _ => {
                    w.contiguous = false;
                    let ncols = ctx.names.len();
                    let mean = w.mean();
                    match resync(&mut w.file, offset, w.file_len, ctx.delim, ncols, mean)
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
            return Ok(Some(Stream::new(
                Box::new(f),
                ctx.delim,
                ctx.max_field,
                spec,
            )));
        }
        Ok(None)
    }
}

impl Sampler {
    /// Up to [`WINDOWS`] windows of about `n / windows` rows at evenly spaced offsets of the
    /// data (from `data_start`, right after the header); `head_mean` is the mean row size in
    /// the head.
    pub(super) fn spread(
        file: File,
        file_len: u64,
        data_start: u64,
        head_mean: f64,
        n: u64,
    ) -> Sampler {
        let windows = WINDOWS.min(usize::try_from(n).unwrap_or(WINDOWS)).max(1);
        let data_len = file_len.saturating_sub(data_start);
        let offsets = (0..windows as u64)
            .map(|k| data_start + data_len / windows as u64 * k)
            .collect();
        Sampler {
            file,
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
        }
    }

    /// What a sample of `n` rows in these windows means for row numbers.
    pub(super) fn note(&self, n: u64) -> String {
        format!(
            "sampled about {n} rows in {} windows spread across the file; \
             row numbers after the first window are estimates (byte offset / mean row size)",
            self.offsets.len()
        )
    }
}

/// The first record boundary at or after `offset` that [`verify_boundary`] accepts.
pub(super) fn resync(
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
pub(super) fn verify_boundary(buf: &[u8], delim: u8, ncols: usize, at_eof: bool) -> bool {
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
