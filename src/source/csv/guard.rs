//! The guard under the parser: follows the quoting state of every byte so an over-long field
//! or an unterminated quote is found (and located) before the parser buffers it.
use std::io::{self, Read};

use super::stream::CSV_BUFFER;

/// How far past the limit an over-long field is scanned to report its exact size.
const MEASURE_CAP: u64 = 256 * 1024 * 1024;

/// Quoting state, mirroring `csv_core` (quotes only open a field; `""` inside quotes is a quote;
/// text after a closing quote is appended; CR, LF and CRLF end records; blank lines are skipped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum QState {
    RecordStart,
    FieldStart,
    Unquoted,
    Quoted,
    QuoteInQuoted,
}

/// What the guard found. Records are 1-based within the stream, fields 0-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Trip {
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
pub(super) struct Tracker {
    pub(super) delim: u8,
    pub(super) limit: u64,
    pub(super) state: QState,
    pub(super) record: u64,
    pub(super) field: usize,
    pub(super) field_len: u64,
    pub(super) quote_start: (u64, usize),
    pub(super) over: Option<Trip>,
}

pub(super) fn is_newline(b: u8) -> bool {
    b == b'\n' || b == b'\r'
}

impl Tracker {
    pub(super) fn new(delim: u8, limit: usize) -> Self {
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
    pub(super) fn feed(&mut self, buf: &[u8]) {
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
    pub(super) fn feed_stepwise(&mut self, buf: &[u8]) {
        let mut i = 0;
        while i < buf.len() {
            i = self.step(buf, i);
        }
    }

    /// Apply `seg`, which has no quote, starting outside a quoted field, when no field can go
    /// over the limit within it (so nothing can trip and `over` stays `None`).
    pub(super) fn skip_unquoted(&mut self, seg: &[u8]) {
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
    pub(super) fn step(&mut self, buf: &[u8], mut i: usize) -> usize {
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
    pub(super) fn finish(&mut self) {
        if self.state != QState::RecordStart && self.state != QState::Quoted {
            self.end_field();
        }
    }

    pub(super) fn grow(&mut self, n: usize) {
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
    pub(super) fn terminate(&mut self, b: u8) {
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

    pub(super) fn end_field(&mut self) {
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

/// The text stream under the record parser, with a [`Tracker`] watching every byte.
///
/// When the tracker trips, `read` fails with a marker error and the finding stays in
/// `failure`, where the reader turns it into a located input error.
pub(super) struct Tracked {
    pub(super) inner: Box<dyn Read + Send>,
    pub(super) tracker: Tracker,
    pub(super) failure: Option<Trip>,
    /// Some byte read so far was NUL.
    pub(super) nul_seen: bool,
}

pub(super) fn guard_error() -> io::Error {
    io::Error::other("CSV input rejected by the field guard")
}

impl Tracked {
    /// After a field went over the limit: scan on (without keeping anything) to its end.
    pub(super) fn measure(&mut self, trip: Trip) -> io::Result<Trip> {
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
