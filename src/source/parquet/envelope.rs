//! The file's envelope, checked before the Parquet library reads it: size, both `PAR1`
//! magics, the footer's length, and a walk of the footer's Thrift structure that refuses
//! footers costing far more work to parse than their size (boolean lists claiming billions of
//! elements, schemas nested too deep or with too many columns).
//!
//! In: the open file and its length. Out: `Ok` when the library may parse the footer, else an
//! [`EnvelopeError`] saying why (I/O, or what is wrong, without any cell value).
use std::fs::File;

use crate::source::csv::MAX_COLUMNS;

/// Parquet files end with a 4-byte footer length and the `PAR1` magic.
const FOOTER_LEN: u64 = 8;

/// Why the file envelope (size and magic bytes) is not Parquet.
pub(super) enum EnvelopeError {
    Io(std::io::Error),
    Bad(String),
}

/// Check the size and both `PAR1` magics before handing the file to the footer parser.
pub(super) fn check_envelope(file: &File, len: u64) -> Result<(), EnvelopeError> {
    use std::io::{Read, Seek, SeekFrom};
    if len == 0 {
        return Err(EnvelopeError::Bad(
            "empty file (0 bytes); not a Parquet file".into(),
        ));
    }
    // Magic + footer length + magic: the smallest possible well-formed file is 12 bytes.
    if len < 4 + FOOTER_LEN {
        return Err(EnvelopeError::Bad(format!(
            "file too short to be Parquet ({len} bytes); it is truncated or not Parquet"
        )));
    }
    let mut f = file;
    let mut head = [0u8; 4];
    f.seek(SeekFrom::Start(0)).map_err(EnvelopeError::Io)?;
    f.read_exact(&mut head).map_err(EnvelopeError::Io)?;
    if &head != b"PAR1" {
        return Err(EnvelopeError::Bad(
            "not a Parquet file (missing leading PAR1 magic bytes)".into(),
        ));
    }
    let mut tail = [0u8; FOOTER_LEN as usize];
    f.seek(SeekFrom::Start(len - FOOTER_LEN))
        .map_err(EnvelopeError::Io)?;
    f.read_exact(&mut tail).map_err(EnvelopeError::Io)?;
    if &tail[4..] != b"PAR1" {
        return Err(EnvelopeError::Bad(format!(
            "truncated Parquet file ({len} bytes): the footer is missing (no trailing PAR1 magic)"
        )));
    }
    let meta_len = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    if meta_len + FOOTER_LEN + 4 > len {
        return Err(EnvelopeError::Bad(format!(
            "corrupt Parquet footer: metadata length {meta_len} does not fit in a {len}-byte file"
        )));
    }
    // The metadata is read again by the Parquet library; it is small next to the file.
    let meta_start = len - FOOTER_LEN - meta_len;
    let mut meta = vec![
        0u8;
        usize::try_from(meta_len)
            .unwrap_or(usize::MAX)
            .min(MAX_FOOTER)
    ];
    if meta.len() as u64 != meta_len {
        // Without this bound the schema checks below could not run before the library
        // decodes the footer.
        return Err(EnvelopeError::Bad(format!(
            "Parquet footer of {meta_len} bytes is larger than the {} MiB supported",
            MAX_FOOTER >> 20
        )));
    }
    f.seek(SeekFrom::Start(meta_start))
        .map_err(EnvelopeError::Io)?;
    f.read_exact(&mut meta).map_err(EnvelopeError::Io)?;
    if thrift_walk(&meta) == Walk::TooMuchWork {
        return Err(EnvelopeError::Bad(
            "corrupt Parquet footer: its metadata claims far more entries than its \
             size can hold"
                .into(),
        ));
    }
    if let Some(shape) = schema_shape(&meta) {
        if shape.depth > MAX_SCHEMA_DEPTH {
            return Err(EnvelopeError::Bad(format!(
                "the Parquet schema nests groups more than {MAX_SCHEMA_DEPTH} levels deep; at \
                 most {MAX_SCHEMA_DEPTH} levels are supported"
            )));
        }
        if shape.leaves > MAX_COLUMNS as u64 {
            return Err(EnvelopeError::Bad(format!(
                "the Parquet schema has {} columns; at most {MAX_COLUMNS} columns are supported",
                shape.leaves
            )));
        }
    }
    f.seek(SeekFrom::Start(0)).map_err(EnvelopeError::Io)?;
    Ok(())
}

/// Footers larger than this are refused: they are pre-checked in memory (see [`thrift_walk`]
/// and [`schema_shape`]); real ones are a few hundred KiB even for files with thousands of
/// columns and row groups.
const MAX_FOOTER: usize = 64 * 1024 * 1024;
/// Deepest schema nesting accepted (groups inside groups). The Parquet library builds its
/// schema tree and the Arrow types by recursion, one stack frame chain per level, so a footer
/// nested 10,000 levels deep overflowed the stack and aborted the process (a whole directory
/// scan with it). Real schemas nest a handful of levels.
pub(super) const MAX_SCHEMA_DEPTH: u64 = 64;

/// Nesting depth and leaf-column count of a footer's schema, see [`schema_shape`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SchemaShape {
    /// Deepest nesting of a group below the root (0: flat columns only).
    pub(super) depth: u64,
    /// Leaf (primitive) columns: what the library builds per-column state for.
    pub(super) leaves: u64,
}

/// Read the schema of a footer (`FileMetaData.schema`, field 2: a flat, depth-first list of
/// `SchemaElement`s where a group says how many children follow) without recursion, before the
/// Parquet library builds its recursive tree from it. `None` when the footer is malformed
/// (the library then reports it).
pub(super) fn schema_shape(buf: &[u8]) -> Option<SchemaShape> {
    let mut w = ThriftWalker {
        buf,
        pos: 0,
        budget: 4 * buf.len() as u64 + 4096,
        over_budget: false,
    };
    let mut id: i16 = 0;
    loop {
        let (field, ty) = w.field_header(&mut id)?;
        if ty == 0 {
            return None;
        }
        if field != 2 || ty != 9 {
            w.skip(ty, 128)?;
            continue;
        }
        let h = w.byte()?;
        if h & 0x0f != 12 {
            return None;
        }
        let n = match h >> 4 {
            15 => w.varint()?,
            n => u64::from(n),
        };
        return schema_elements(&mut w, n);
    }
}

/// Walk `n` `SchemaElement` structs, tracking open groups on an explicit stack.
fn schema_elements(w: &mut ThriftWalker<'_>, n: u64) -> Option<SchemaShape> {
    // Children still expected by each open group, root first.
    let mut open: Vec<u64> = Vec::new();
    let mut shape = SchemaShape {
        depth: 0,
        leaves: 0,
    };
    for _ in 0..n {
        let children = w.num_children()?;
        if let Some(top) = open.last_mut() {
            *top = top.saturating_sub(1);
        }
        if children > 0 {
            open.push(children);
            shape.depth = shape.depth.max(open.len() as u64 - 1);
            if shape.depth > MAX_SCHEMA_DEPTH {
                // Enough to refuse; the rest of the footer need not be walked.
                return Some(shape);
            }
        } else {
            shape.leaves += 1;
        }
        while open.last() == Some(&0) {
            open.pop();
        }
    }
    Some(shape)
}

/// What [`thrift_walk`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Walk {
    /// The footer walks within its work budget.
    Ok,
    /// It is malformed in a way the Parquet library reports itself (left to it).
    Malformed,
    /// It claims more entries than could be visited in time: refuse it.
    TooMuchWork,
}

/// Walk a Thrift compact-protocol struct the way the Parquet library *skips* fields it does
/// not know, and count the entries it would visit.
///
/// Why: the library (parquet 60) skips a `list<bool>`, `set<bool>` or a `map` of booleans
/// element by element without reading a byte per element (booleans carry no payload in
/// struct fields, and its skip treats list elements alike). A 40-byte footer that claims
/// 2³¹ of them, or lists of such lists, keeps the decoder busy for minutes or forever
/// (found by the `parquet` fuzz target). Every entry costs a unit of a budget proportional
/// to the footer's size, so a real footer (well under one entry per byte) always fits and
/// the walk itself is linear.
pub(super) fn thrift_walk(buf: &[u8]) -> Walk {
    let mut w = ThriftWalker {
        buf,
        pos: 0,
        budget: 4 * buf.len() as u64 + 4096,
        over_budget: false,
    };
    match w.skip(12, 128) {
        Some(()) => Walk::Ok,
        None if w.over_budget => Walk::TooMuchWork,
        None => Walk::Malformed,
    }
}

/// State of [`thrift_walk`].
struct ThriftWalker<'a> {
    buf: &'a [u8],
    pos: usize,
    budget: u64,
    over_budget: bool,
}

impl ThriftWalker<'_> {
    fn byte(&mut self) -> Option<u8> {
        let b = *self.buf.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    fn advance(&mut self, n: u64) -> Option<()> {
        let n = usize::try_from(n).ok()?;
        if self.buf.len() - self.pos < n {
            return None;
        }
        self.pos += n;
        Some(())
    }

    fn varint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..70).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f).checked_shl(shift)?;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }

    fn spend(&mut self, n: u64) -> Option<()> {
        match self.budget.checked_sub(n) {
            Some(left) => {
                self.budget = left;
                Some(())
            }
            None => {
                self.over_budget = true;
                None
            }
        }
    }

    /// The next struct field header as (field id, compact type); type 0 is the struct's end.
    fn field_header(&mut self, last: &mut i16) -> Option<(i16, u8)> {
        let h = self.byte()?;
        let ty = h & 0x0f;
        if ty == 0 {
            return Some((0, 0));
        }
        *last = match h >> 4 {
            0 => {
                let z = self.varint()?;
                i16::try_from((z >> 1) as i64 ^ -((z & 1) as i64)).ok()?
            }
            d => last.checked_add(i16::from(d))?,
        };
        Some((*last, ty))
    }

    /// Read one `SchemaElement` struct and return its `num_children` (field 5; 0 when absent,
    /// as for a leaf).
    fn num_children(&mut self) -> Option<u64> {
        let mut id = 0;
        let mut children = 0;
        loop {
            self.spend(1)?;
            match self.field_header(&mut id)? {
                (_, 0) => return Some(children),
                (5, 5) => {
                    let z = self.varint()?;
                    let v = (z >> 1) as i64 ^ -((z & 1) as i64);
                    children = u64::try_from(v).unwrap_or(0);
                }
                (_, ty) => self.skip(ty, 128)?,
            }
        }
    }

    /// Skip one value of compact type `ty`.
    fn skip(&mut self, ty: u8, depth: u8) -> Option<()> {
        let depth = depth.checked_sub(1)?;
        match ty {
            1 | 2 => Some(()),
            3 => self.advance(1),
            4..=6 => self.varint().map(|_| ()),
            7 => self.advance(8),
            8 => {
                let n = self.varint()?;
                self.advance(n)
            }
            9 | 10 => {
                let h = self.byte()?;
                if h == 0 {
                    return Some(());
                }
                let n = match h >> 4 {
                    15 => self.varint()?,
                    n => u64::from(n),
                };
                if n > i32::MAX as u64 {
                    return None;
                }
                self.spend(n)?;
                for _ in 0..n {
                    self.skip(h & 0x0f, depth)?;
                }
                Some(())
            }
            11 => {
                let n = self.varint()?;
                if n > i32::MAX as u64 {
                    return None;
                }
                if n > 0 {
                    let kv = self.byte()?;
                    self.spend(2 * n)?;
                    for _ in 0..n {
                        self.skip(kv >> 4, depth)?;
                        self.skip(kv & 0x0f, depth)?;
                    }
                }
                Some(())
            }
            12 => loop {
                let h = self.byte()?;
                if h & 0x0f == 0 {
                    return Some(());
                }
                if h >> 4 == 0 {
                    self.varint()?;
                }
                self.spend(1)?;
                self.skip(h & 0x0f, depth)?;
            },
            13 => self.advance(16),
            _ => None,
        }
    }
}
