//! A refillable byte window over a byte range of a file: the index pass and the parse pass both
//! walk dumps through it, so memory stays bounded by the window (plus the longest single token).
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

/// Bytes read per refill.
const CHUNK: usize = 1 << 20;

/// A window `data[lo..hi]` over the file, starting at absolute offset `base + lo`.
pub struct Window {
    file: io::Take<File>,
    data: Vec<u8>,
    /// First unconsumed byte.
    pub lo: usize,
    /// End of valid bytes.
    pub hi: usize,
    /// Absolute file offset of `data[0]`.
    base: u64,
    eof: bool,
}

impl Window {
    /// A window over `file[start..end]`.
    pub fn new(mut file: File, start: u64, end: u64) -> io::Result<Self> {
        file.seek(SeekFrom::Start(start))?;
        Ok(Window {
            file: file.take(end.saturating_sub(start)),
            data: vec![0; CHUNK],
            lo: 0,
            hi: 0,
            base: start,
            eof: false,
        })
    }

    /// The unconsumed bytes currently buffered.
    pub fn buf(&self) -> &[u8] {
        &self.data[self.lo..self.hi]
    }

    /// Absolute offset of the first unconsumed byte.
    pub fn offset(&self) -> u64 {
        self.base + self.lo as u64
    }

    /// Whether the range is exhausted (nothing buffered and nothing left to read).
    pub fn at_end(&mut self) -> io::Result<bool> {
        if self.lo < self.hi {
            return Ok(false);
        }
        Ok(!self.fill()?)
    }

    /// Mark `n` buffered bytes as consumed.
    pub fn consume(&mut self, n: usize) {
        self.lo = (self.lo + n).min(self.hi);
    }

    /// Read more bytes, keeping the unconsumed ones (the buffer grows if they fill it).
    /// Returns false at the end of the range.
    pub fn fill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.lo > 0 {
            self.data.copy_within(self.lo..self.hi, 0);
            self.base += self.lo as u64;
            self.hi -= self.lo;
            self.lo = 0;
        }
        if self.hi == self.data.len() {
            let grown = self.data.len() * 2;
            self.data.resize(grown, 0);
        }
        loop {
            match self.file.read(&mut self.data[self.hi..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.hi += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Make at least `n` bytes available if the range has them; returns how many are buffered.
    pub fn want(&mut self, n: usize) -> io::Result<usize> {
        while self.hi - self.lo < n {
            if !self.fill()? {
                break;
            }
        }
        Ok(self.hi - self.lo)
    }

    /// Shrink the buffer back to its normal size after a huge token (keeps memory flat).
    pub fn shrink(&mut self) {
        if self.data.len() > CHUNK && self.hi - self.lo <= CHUNK / 2 {
            self.data.copy_within(self.lo..self.hi, 0);
            self.base += self.lo as u64;
            self.hi -= self.lo;
            self.lo = 0;
            self.data.truncate(CHUNK);
            self.data.shrink_to_fit();
        }
    }
}
