//! UTF-16 text, as spreadsheets save "Unicode text" (Excel: UTF-16LE with a byte-order mark,
//! tab-separated, CRLF), transcoded to UTF-8 while it is read, in bounded memory.
//!
//! The file is UTF-16 when it starts with a byte-order mark (`FF FE` little-endian, `FE FF`
//! big-endian), or, without one, when its first KiB has NUL bytes at the odd positions (at
//! least one code unit in eight) and almost none (at most one in eight of those) at the even
//! ones (little-endian; the reverse for big-endian): ASCII characters, which every delimited
//! file has (delimiters, line ends, digits), are `xx 00` in UTF-16LE, while UTF-8 and the
//! legacy single-byte encodings never hold a NUL, and binary files hold them on both sides.
//! The byte-order mark is consumed here, so it never reaches the first header. An unpaired
//! surrogate or a file that ends in half a character is an input error naming its byte offset.
use std::fmt;
use std::io::{self, Read};

use encoding_rs::{Decoder, DecoderResult, Encoding, UTF_16BE, UTF_16LE};

/// Bytes looked at for the NUL-byte pattern.
const SNIFF_BYTES: usize = 1024;
/// Bytes of UTF-16 read from below at a time.
const IN_BYTES: usize = 32 * 1024;
/// UTF-8 bytes decoded at a time (2 bytes of UTF-16 give at most 3 of UTF-8).
const OUT_BYTES: usize = IN_BYTES * 3 / 2 + 16;

/// Byte order of a UTF-16 file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Order {
    Le,
    Be,
}

impl Order {
    fn encoding(self) -> &'static Encoding {
        match self {
            Order::Le => UTF_16LE,
            Order::Be => UTF_16BE,
        }
    }

    /// The encoding's name, as the notes show it.
    pub(super) fn name(self) -> &'static str {
        self.encoding().name()
    }

    /// `utf-16`, `utf-16le`, `utf-16be` (and the other `encoding_rs` labels of UTF-16).
    pub(super) fn from_label(label: &str) -> Option<Order> {
        match Encoding::for_label(label.trim().as_bytes()) {
            Some(e) if e == UTF_16LE => Some(Order::Le),
            Some(e) if e == UTF_16BE => Some(Order::Be),
            _ => None,
        }
    }
}

/// How the byte order was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum How {
    Bom,
    NulPattern,
    Forced,
}

/// A UTF-16 file found by [`wrap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Found {
    pub order: Order,
    pub how: How,
    /// Bytes of byte-order mark consumed (0 or 2).
    pub bom: u64,
}

impl Found {
    /// The note that tells the user how the file was read.
    pub(super) fn note(&self) -> String {
        let how = match self.how {
            How::Bom => "byte-order mark",
            How::NulPattern => "detected from its NUL bytes, no byte-order mark",
            How::Forced => "forced",
        };
        format!(
            "encoding {} ({how}), transcoded to UTF-8 while read",
            self.order.name()
        )
    }
}

/// The byte order `head` (the first bytes of the text) shows, by byte-order mark or by NUL
/// pattern, and the length of its byte-order mark.
pub(super) fn sniff(head: &[u8]) -> Option<(Order, How, usize)> {
    if head.starts_with(&[0xFF, 0xFE]) {
        return Some((Order::Le, How::Bom, 2));
    }
    if head.starts_with(&[0xFE, 0xFF]) {
        return Some((Order::Be, How::Bom, 2));
    }
    let n = head.len().min(SNIFF_BYTES) & !1;
    let sample = head.get(..n).unwrap_or(&[]);
    let (mut even, mut odd) = (0usize, 0usize);
    for pair in sample.chunks_exact(2) {
        if let [a, b] = *pair {
            even += usize::from(a == 0);
            odd += usize::from(b == 0);
        }
    }
    // At least a few ASCII characters (delimiters and line ends alone make some), and the
    // zero bytes nearly all on one side: a binary file has them on both. (A few on the other
    // side are characters such as U+0100, U+0400 or the low half of 😀, U+DE00.)
    let units = n / 2;
    let side = |k: usize, other: usize| k >= 2 && k * 8 >= units && other * 8 <= k;
    if side(odd, even) {
        Some((Order::Le, How::NulPattern, 0))
    } else if side(even, odd) {
        Some((Order::Be, How::NulPattern, 0))
    } else {
        None
    }
}

/// Why UTF-16 text could not be decoded (an `io::Error` payload, so it passes through the
/// `csv` parser; the reader turns it into an input error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Utf16Error {
    order: Order,
    /// Offset in the file (the byte-order mark counted) of the bad bytes.
    offset: u64,
    /// The file ends there, in the middle of a character.
    truncated: bool,
}

impl fmt::Display for Utf16Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.truncated {
            write!(
                f,
                "invalid {} at byte {} of the file: the text ends in the middle of a character \
                 (an odd number of bytes or half a surrogate pair: a truncated file?)",
                self.order.name(),
                self.offset + 1
            )
        } else {
            write!(
                f,
                "invalid {} at byte {} of the file: an unpaired surrogate, which is no character",
                self.order.name(),
                self.offset + 1
            )
        }
    }
}

impl std::error::Error for Utf16Error {}

/// The decoding failure inside `e`, if that is what it is.
pub(super) fn utf16_error(e: &io::Error) -> Option<&Utf16Error> {
    e.get_ref()?.downcast_ref::<Utf16Error>()
}

/// `text` as UTF-8 when it is UTF-16 (forced by `forced`, else by [`sniff`]); `None` for
/// anything else, which is returned unchanged. `sniff_allowed` is false when the user forced
/// a different encoding.
pub(super) fn wrap(
    mut text: Box<dyn Read + Send>,
    forced: Option<Order>,
    sniff_allowed: bool,
) -> io::Result<(Box<dyn Read + Send>, Option<Found>)> {
    if forced.is_none() && !sniff_allowed {
        return Ok((text, None));
    }
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    Read::take(&mut *text, SNIFF_BYTES as u64).read_to_end(&mut head)?;
    let found = match (forced, sniff(&head)) {
        // A byte-order mark of the forced order is still not text.
        (Some(order), Some((o, How::Bom, bom))) if o == order => Some((order, How::Forced, bom)),
        (Some(order), _) => Some((order, How::Forced, 0)),
        (None, s) => s,
    };
    let rest: Box<dyn Read + Send> = Box::new(io::Cursor::new(head).chain(text));
    let Some((order, how, bom)) = found else {
        return Ok((rest, None));
    };
    let mut rest = rest;
    io::copy(&mut Read::take(&mut rest, bom as u64), &mut io::sink())?;
    let reader = Transcode::new(rest, order, bom as u64);
    Ok((
        Box::new(reader),
        Some(Found {
            order,
            how,
            bom: bom as u64,
        }),
    ))
}

/// A reader of UTF-8 decoded from UTF-16 below it.
pub(super) struct Transcode<R> {
    inner: R,
    order: Order,
    decoder: Decoder,
    input: Box<[u8]>,
    in_len: usize,
    in_pos: usize,
    eof: bool,
    out: Box<[u8]>,
    out_len: usize,
    out_pos: usize,
    /// UTF-16 bytes handed to the decoder so far, from the file's start.
    consumed: u64,
    finished: bool,
    /// A decoding error to report once the text before it has been read.
    pending: Option<Utf16Error>,
}

impl<R: Read> Transcode<R> {
    /// Decode `inner`, which starts `offset` bytes into the file (after a byte-order mark).
    pub(super) fn new(inner: R, order: Order, offset: u64) -> Self {
        Transcode {
            inner,
            order,
            decoder: order.encoding().new_decoder_without_bom_handling(),
            input: vec![0u8; IN_BYTES].into_boxed_slice(),
            in_len: 0,
            in_pos: 0,
            eof: false,
            out: vec![0u8; OUT_BYTES].into_boxed_slice(),
            out_len: 0,
            out_pos: 0,
            consumed: offset,
            finished: false,
            pending: None,
        }
    }

    /// Decode the next stretch into `out`; `false` at the end of the text.
    fn refill(&mut self) -> io::Result<bool> {
        loop {
            if let Some(e) = self.pending.take() {
                return Err(io::Error::new(io::ErrorKind::InvalidData, e));
            }
            if self.finished {
                return Ok(false);
            }
            if self.in_pos == self.in_len && !self.eof {
                self.in_pos = 0;
                self.in_len = loop {
                    match self.inner.read(&mut self.input) {
                        Ok(n) => break n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                };
                self.eof = self.in_len == 0;
            }
            let src = self.input.get(self.in_pos..self.in_len).unwrap_or(&[]);
            let (res, read, written) =
                self.decoder
                    .decode_to_utf8_without_replacement(src, &mut self.out, self.eof);
            self.in_pos += read;
            self.consumed += read as u64;
            self.out_pos = 0;
            self.out_len = written;
            match res {
                DecoderResult::InputEmpty => self.finished = self.eof,
                DecoderResult::OutputFull => {}
                DecoderResult::Malformed(bad, after) => {
                    let at = self.consumed - u64::from(after) - u64::from(bad);
                    let truncated = self.eof && self.in_pos == self.in_len && after == 0;
                    let err = Utf16Error {
                        order: self.order,
                        offset: at,
                        truncated,
                    };
                    self.finished = true;
                    // What was decoded before the bad bytes is text and comes first; the
                    // error then ends the stream.
                    if written == 0 {
                        return Err(io::Error::new(io::ErrorKind::InvalidData, err));
                    }
                    self.pending = Some(err);
                }
            }
            if written > 0 {
                return Ok(true);
            }
        }
    }
}

impl<R: Read> Read for Transcode<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.out_pos == self.out_len && !self.refill()? {
            return Ok(0);
        }
        let avail = self.out.get(self.out_pos..self.out_len).unwrap_or(&[]);
        let n = avail.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), avail.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.out_pos += n;
        Ok(n)
    }
}

#[cfg(test)]
#[path = "utf16_tests.rs"]
mod tests;
