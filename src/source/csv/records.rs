//! The record parser under a CSV stream: `csv_core`'s, with a fast path for plain records.
//!
//! In: the guarded bytes of a stream ([`super::guard::Tracked`]). Out: one [`ByteRecord`]
//! at a time, with the stream offset it starts at (blank lines before it included) and the
//! offset just past it, exactly as `csv::Reader` (configured by [`super::stream::csv_builder`])
//! reports them.
//!
//! Why not `csv::Reader`: its parser moves every byte through a state machine, about a
//! nanosecond a byte, and that was the largest single cost of reading (and of a research
//! release, whose first pass waits on the reader). Most records are plain: unquoted fields
//! and fields in quotes that hold no quote themselves, ending in a line break inside the
//! buffer. Those are split here by looking eight bytes at a time for the three bytes that
//! end an unquoted field, and for the closing quote with `memchr`. Anything else (a doubled
//! quote, text after a closing quote, a record that runs past the buffer or to the end of
//! the input without a line break) is left to `csv_core`, from the same offset: between
//! records `csv_core` is in a state that reads what follows exactly as at the start of a
//! record, so the two can take turns. A proptest compares the records and offsets with
//! `csv::Reader`'s on hostile inputs, read in small pieces through a small buffer.
use std::io::{self, Read};

use csv::ByteRecord;
use csv_core::ReadRecordResult;

use super::guard::is_newline;

/// The `csv` crate's record reader, replaced (see the module docs).
pub(super) struct Records<R> {
    inner: R,
    core: csv_core::Reader,
    delim: u8,
    /// Bytes read and not yet parsed: `buf[start..end]`.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Stream offset of `buf[start]`.
    pos: u64,
    /// `inner` returned end of input.
    eof: bool,
    /// No more records: the input ended, or reading it failed.
    done: bool,
    /// A record's fields and field ends as `csv_core` writes them (the slow path).
    out: Vec<u8>,
    ends: Vec<usize>,
}

impl<R: Read> Records<R> {
    /// A reader of `inner` with fields separated by `delim`, reading `capacity` bytes at a time.
    pub(super) fn new(inner: R, delim: u8, capacity: usize) -> Self {
        let core = csv_core::ReaderBuilder::new()
            .delimiter(delim)
            .quote(b'"')
            .quoting(true)
            .double_quote(true)
            .build();
        Records {
            inner,
            core,
            delim,
            buf: vec![0; capacity.max(1)],
            start: 0,
            end: 0,
            pos: 0,
            eof: false,
            done: false,
            out: vec![0; 1024],
            ends: vec![0; 64],
        }
    }

    /// The reader underneath.
    pub(super) fn get_ref(&self) -> &R {
        &self.inner
    }

    /// Stream offset just past the last record read.
    pub(super) fn position(&self) -> u64 {
        self.pos
    }

    /// Read the next record into `rec` (its position: the offset it starts at); `false` at
    /// the end of the input. After an error there are no more records.
    pub(super) fn read_byte_record(&mut self, rec: &mut ByteRecord) -> csv::Result<bool> {
        rec.clear();
        let mut at = csv::Position::new();
        at.set_byte(self.pos);
        rec.set_position(Some(at));
        if self.done {
            return Ok(false);
        }
        if let Some(used) = plain_record(&self.buf[self.start..self.end], self.delim, rec) {
            self.start += used;
            self.pos += used as u64;
            return Ok(true);
        }
        rec.clear();
        self.parsed_record(rec).map_err(|e| {
            self.done = true;
            csv::Error::from(e)
        })
    }

    /// The next record through `csv_core` (the slow path), refilling the buffer when it is
    /// empty.
    fn parsed_record(&mut self, rec: &mut ByteRecord) -> io::Result<bool> {
        let (mut outlen, mut endlen) = (0, 0);
        loop {
            if self.start == self.end && !self.eof {
                self.fill()?;
            }
            let (res, nin, nout, nend) = self.core.read_record(
                &self.buf[self.start..self.end],
                &mut self.out[outlen..],
                &mut self.ends[endlen..],
            );
            self.start += nin;
            self.pos += nin as u64;
            outlen += nout;
            endlen += nend;
            match res {
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => self.out.resize(self.out.len() * 2, 0),
                ReadRecordResult::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                ReadRecordResult::Record => {
                    let mut from = 0;
                    for &to in &self.ends[..endlen] {
                        rec.push_field(&self.out[from..to]);
                        from = to;
                    }
                    return Ok(true);
                }
                ReadRecordResult::End => {
                    self.done = true;
                    return Ok(false);
                }
            }
        }
    }

    /// Read into the (empty) buffer; at the end of the input, mark it.
    fn fill(&mut self) -> io::Result<()> {
        self.start = 0;
        self.end = 0;
        loop {
            match self.inner.read(&mut self.buf) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end = n.min(self.buf.len());
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// Split the plain record at the start of `s` into `rec`: the bytes it takes (blank lines
/// before it and its one terminator byte included), or `None` when the record is not plain
/// or not complete in `s` (then `rec` may hold some of its fields).
///
/// Plain: every field is unquoted (a quote inside it is text, as for `csv_core`) or is a
/// quote, bytes without a quote, and a quote followed by the delimiter or a line break.
fn plain_record(s: &[u8], delim: u8, rec: &mut ByteRecord) -> Option<usize> {
    let mut i = s.iter().position(|&b| !is_newline(b))?;
    loop {
        if *s.get(i)? == b'"' {
            let close = i + 1 + memchr::memchr(b'"', s.get(i + 1..)?)?;
            let after = *s.get(close + 1)?;
            if after != delim && !is_newline(after) {
                return None;
            }
            rec.push_field(&s[i + 1..close]);
            i = close + 1;
        } else {
            let from = i;
            i = field_end(s, from, delim)?;
            rec.push_field(&s[from..i]);
        }
        // `s[i]` is the delimiter or the line break that ended the field.
        if s[i] == delim {
            i += 1;
        } else {
            return Some(i + 1);
        }
    }
}

const LOW: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `x` that is zero, and no other bit.
#[inline]
fn zero_bytes(x: u64) -> u64 {
    !(((x & !HIGH).wrapping_add(!HIGH)) | x | !HIGH)
}

/// The first index at or after `from` of the delimiter, `\r` or `\n` in `s`; `None` when
/// there is none.
#[inline]
fn field_end(s: &[u8], from: usize, delim: u8) -> Option<usize> {
    let (d, cr, lf) = (
        LOW * u64::from(delim),
        LOW * u64::from(b'\r'),
        LOW * u64::from(b'\n'),
    );
    let mut i = from;
    while let Some(word) = s.get(i..i + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        let x = u64::from_le_bytes(w);
        let hit = zero_bytes(x ^ d) | zero_bytes(x ^ cr) | zero_bytes(x ^ lf);
        if hit != 0 {
            return Some(i + (hit.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    s.get(i..)?
        .iter()
        .position(|&b| b == delim || is_newline(b))
        .map(|k| i + k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Hands out at most `piece` bytes a read, so records straddle reads and buffers.
    struct Pieces<'a> {
        data: &'a [u8],
        piece: usize,
    }

    impl Read for Pieces<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.piece.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    /// Every record as (fields, start offset, offset after), then the offset at the end.
    type Parsed = (Vec<(Vec<Vec<u8>>, u64, u64)>, u64);

    /// One record's fields, its start offset and `end`.
    fn entry(rec: &ByteRecord, end: u64) -> (Vec<Vec<u8>>, u64, u64) {
        let start = rec.position().map_or(u64::MAX, |p| p.byte());
        (rec.iter().map(<[u8]>::to_vec).collect(), start, end)
    }

    fn ours(data: &[u8], delim: u8, capacity: usize, piece: usize) -> Parsed {
        let mut r = Records::new(Pieces { data, piece }, delim, capacity);
        let mut rec = ByteRecord::new();
        let mut out = Vec::new();
        while r.read_byte_record(&mut rec).expect("in-memory read") {
            out.push(entry(&rec, r.position()));
        }
        assert!(!r.read_byte_record(&mut rec).expect("after the end"));
        (out, r.position())
    }

    fn theirs(data: &[u8], delim: u8) -> Parsed {
        let mut r = super::super::stream::csv_builder(delim).from_reader(data);
        let mut rec = ByteRecord::new();
        let mut out = Vec::new();
        while r.read_byte_record(&mut rec).expect("in-memory read") {
            out.push(entry(&rec, r.position().byte()));
        }
        (out, r.position().byte())
    }

    #[test]
    fn plain_and_quoted_records_as_csv_reads_them() {
        let cases: &[&[u8]] = &[
            b"",
            b"\n\r\n",
            b"a,b\nc,d\n",
            b"a,b\r\nc,d\r\n",
            b"a,b\rc,d",
            b"\"a,b\",c\n\"x\ny\",\"\"\n",
            b"\"a\"\"b\",c\n\"a\"b,c\n",
            b"a\"b,\"c\n,\n\n,,\r\n",
            b"\"unterminated,x\n",
            "Prishtinë,\"Rr. \u{eb}, 5\",+383 44 1\n".as_bytes(),
        ];
        for &data in cases {
            for capacity in [1, 3, 8, 64 * 1024] {
                assert_eq!(
                    ours(data, b',', capacity, 7),
                    theirs(data, b','),
                    "{:?} through {capacity} bytes",
                    String::from_utf8_lossy(data)
                );
            }
        }
    }

    #[test]
    fn plain_records_take_the_fast_path() {
        let mut rec = ByteRecord::new();
        assert_eq!(plain_record(b"\r\nab,\"c,d\",\n", b',', &mut rec), Some(12));
        assert_eq!(rec.iter().collect::<Vec<_>>(), [&b"ab"[..], b"c,d", b""]);
        for not_plain in [&b"a,b"[..], b"\"a\"\"b\"\n", b"\"a\"b\n", b"\"a,b", b"\n\n"] {
            rec.clear();
            assert_eq!(plain_record(not_plain, b',', &mut rec), None);
        }
    }

    #[test]
    fn field_end_finds_each_stop_byte_at_every_offset() {
        for len in 0..20 {
            for at in 0..=len {
                for stop in [b';', b'\r', b'\n'] {
                    let mut s = vec![b'x'; len];
                    if at < len {
                        s[at] = stop;
                    }
                    let want = (at < len).then_some(at);
                    assert_eq!(field_end(&s, 0, b';'), want, "{len} {at} {stop}");
                }
            }
        }
        assert_eq!(field_end("ëëëëë,".as_bytes(), 0, b','), Some(10));
    }

    fn hostile() -> impl Strategy<Value = Vec<u8>> {
        let pieces: Vec<&'static [u8]> = vec![
            b"a",
            b"bc",
            "\u{eb}".as_bytes(),
            b",",
            b";",
            b"\t",
            b"\"",
            b"\"\"",
            b"\r",
            b"\n",
            b"\r\n",
            b" ",
            b"x\"y",
            b"\"q,\n\"",
            b"0123456789",
        ];
        proptest::collection::vec(proptest::sample::select(pieces), 0..120).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn records_and_offsets_equal_csv_readers(
            data in hostile(),
            delim in proptest::sample::select(vec![b',', b';', b'\t']),
            capacity in 1usize..48,
            piece in 1usize..24,
        ) {
            prop_assert_eq!(ours(&data, delim, capacity, piece), theirs(&data, delim));
        }
    }
}
