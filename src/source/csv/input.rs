//! Compression and raw input: magic bytes, the decompressing and UTF-16 transcoding text
//! stream, byte counts for estimates.
use std::fs::File;
use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::encoding::TextEncoding;
use super::{HEAD_BYTES, utf16};
use crate::error::{Error, Location, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    pub(super) fn name(self) -> &'static str {
        match self {
            Compression::None => "plain",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }

    /// By magic bytes; a compressed-looking name without them is an error.
    pub(super) fn detect(lower_name: &str, magic: &[u8], loc: &Location) -> Result<Self> {
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
pub(super) struct Counting<R> {
    pub(super) inner: R,
    pub(super) count: Arc<AtomicU64>,
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
pub(super) struct ByteCounts {
    pub(super) compressed: Arc<AtomicU64>,
    pub(super) text: Arc<AtomicU64>,
}

/// The (decompressed) text of `file`, as UTF-8 when it is UTF-16 (forced, or found by
/// [`utf16::sniff`] unless another encoding is forced).
pub(super) fn text_stream(
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
pub(super) fn read_up_to(r: &mut dyn Read, limit: usize) -> io::Result<(Vec<u8>, bool)> {
    let mut buf = Vec::with_capacity(limit.min(HEAD_BYTES));
    let n = Read::take(r, limit as u64).read_to_end(&mut buf)?;
    Ok((buf, n < limit))
}
