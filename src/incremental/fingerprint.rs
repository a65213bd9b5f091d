//! Fingerprints: what an incremental scan compares to decide that a dataset is unchanged.
//!
//! * **Files** ([`file()`]): size, modification time (nanoseconds) and a hash of sampled blocks
//!   ([`BLOCKS`] blocks of [`BLOCK`] bytes: the first, the last and evenly spaced ones between;
//!   a file of at most `BLOCKS × BLOCK` bytes is hashed whole). A change that keeps the size and
//!   the modification time *and* lies outside every sampled block is not seen: tools that
//!   rewrite a file set a new modification time, but `touch -r` or a copy with `cp -p` of an
//!   edited file of the same length can hide an edit between the blocks (docs/nightly.md).
//!   A `pg_dump -Fd` directory fingerprints each of its files; an SQLite database also covers
//!   its `-wal` file, where committed changes live until a checkpoint.
//! * **Dump tables** ([`hash_ranges`]): the hash of every byte of the table's row ranges from
//!   the dump index, with its definition; a table whose rows moved within the dump (another
//!   table grew) but did not change keeps its fingerprint.
//!
//! Every hash is SHA-256 over a random salt kept in the state file, then the content; only
//! the hex digest is stored, never a byte of the data.
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Bytes per sampled block.
pub const BLOCK: u64 = 16 * 1024;
/// Sampled blocks per file.
pub const BLOCKS: u64 = 16;

/// A file's fingerprint, as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileFingerprint {
    /// Size in bytes (a directory dump: the sum over its files).
    pub size: u64,
    /// Modification time, nanoseconds since the epoch (a directory dump: the latest).
    pub mtime_ns: i128,
    /// Salted SHA-256 (hex) of the sampled blocks.
    pub blocks: String,
}

/// The fingerprint of the file (or `pg_dump -Fd` directory) at `path`, and the bytes read.
pub fn file(path: &Path, salt: &[u8]) -> Result<(FileFingerprint, u64)> {
    let mut h = Sha256::new();
    h.update(salt);
    let mut total = (0u64, i128::MIN, 0u64);
    if path.is_dir() {
        for p in crate::digest::dir_files(path)? {
            let name = p.file_name().map(|n| n.as_encoded_bytes().to_vec());
            h.update(name.unwrap_or_default());
            h.update([0u8]);
            add_file(&p, &mut h, &mut total)?;
        }
    } else {
        add_file(path, &mut h, &mut total)?;
        // SQLite in WAL mode: committed rows may sit in the -wal file only.
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let wal = std::path::PathBuf::from(wal);
        if wal.is_file() {
            h.update(b"\0wal\0");
            add_file(&wal, &mut h, &mut total)?;
        }
    }
    let (size, mtime_ns, read) = total;
    Ok((
        FileFingerprint {
            size,
            mtime_ns,
            blocks: crate::digest::hex(&h.finalize()),
        },
        read,
    ))
}

/// Offsets of the sampled blocks of a file of `len` bytes.
pub fn block_offsets(len: u64) -> Vec<u64> {
    if len <= BLOCK * BLOCKS {
        return (0..len.div_ceil(BLOCK)).map(|i| i * BLOCK).collect();
    }
    let last = len - BLOCK;
    (0..BLOCKS).map(|i| last * i / (BLOCKS - 1)).collect()
}

fn add_file(path: &Path, h: &mut Sha256, total: &mut (u64, i128, u64)) -> Result<()> {
    let mut f = File::open(path).map_err(|e| Error::io(path, e))?;
    let meta = f.metadata().map_err(|e| Error::io(path, e))?;
    let len = meta.len();
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i128);
    h.update(len.to_le_bytes());
    h.update(mtime.to_le_bytes());
    let mut buf = vec![0u8; BLOCK as usize];
    for off in block_offsets(len) {
        f.seek(SeekFrom::Start(off))
            .map_err(|e| Error::io(path, e))?;
        let want = BLOCK.min(len - off) as usize;
        let mut got = 0;
        while got < want {
            let n = f
                .read(&mut buf[got..want])
                .map_err(|e| Error::io(path, e))?;
            if n == 0 {
                break;
            }
            got += n;
        }
        h.update(off.to_le_bytes());
        h.update(&buf[..got]);
        total.2 += got as u64;
    }
    total.0 += len;
    total.1 = total.1.max(mtime);
    Ok(())
}

/// Salted SHA-256 (hex) of `header` followed by the bytes `ranges` of the file at `path`, and
/// the bytes read. For dump tables: `header` describes the table (columns, keys), `ranges`
/// are its row segments.
pub fn hash_ranges(
    path: &Path,
    salt: &[u8],
    header: &[u8],
    ranges: impl IntoIterator<Item = (u64, u64)>,
) -> std::io::Result<(String, u64)> {
    let mut h = Sha256::new();
    h.update(salt);
    h.update((header.len() as u64).to_le_bytes());
    h.update(header);
    let mut f = File::open(path)?;
    let mut buf = vec![0u8; 1 << 20];
    let mut read = 0u64;
    for (start, end) in ranges {
        // Lengths, not offsets: rows that only moved within the dump keep their fingerprint.
        h.update(end.saturating_sub(start).to_le_bytes());
        f.seek(SeekFrom::Start(start))?;
        let mut left = end.saturating_sub(start);
        while left > 0 {
            let want = (buf.len() as u64).min(left) as usize;
            let n = f.read(&mut buf[..want])?;
            if n == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the dump is shorter than its index",
                ));
            }
            h.update(&buf[..n]);
            left -= n as u64;
            read += n as u64;
        }
    }
    Ok((crate::digest::hex(&h.finalize()), read))
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests write fixtures
mod tests {
    use super::*;

    #[test]
    fn offsets_cover_small_files_whole_and_spread_over_large_ones() {
        assert!(block_offsets(0).is_empty());
        assert_eq!(block_offsets(10), vec![0]);
        assert_eq!(block_offsets(BLOCK + 1), vec![0, BLOCK]);
        let big = 1 << 30;
        let o = block_offsets(big);
        assert_eq!(o.len(), BLOCKS as usize);
        assert_eq!(o[0], 0);
        assert_eq!(*o.last().unwrap(), big - BLOCK);
        assert!(o.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn an_edit_in_a_sampled_block_is_seen_with_size_and_mtime_kept() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.csv");
        let body: Vec<u8> = (0..(BLOCK * BLOCKS * 4))
            .map(|i| b'a' + (i % 26) as u8)
            .collect();
        std::fs::write(&p, &body).unwrap();
        let mtime = std::fs::metadata(&p).unwrap().modified().unwrap();
        let salt = b"salt";
        let (a, read) = file(&p, salt).unwrap();
        assert_eq!(read, BLOCK * BLOCKS);
        // Same length, same mtime, one byte changed inside the last block.
        let mut edited = body.clone();
        let at = edited.len() - 10;
        edited[at] = b'#';
        std::fs::write(&p, &edited).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&p)
            .unwrap()
            .set_modified(mtime)
            .unwrap();
        let (b, _) = file(&p, salt).unwrap();
        assert_eq!((a.size, a.mtime_ns), (b.size, b.mtime_ns));
        assert_ne!(a.blocks, b.blocks);
        // The documented limit: an edit between the blocks, size and mtime kept, is not seen.
        let offsets = block_offsets(edited.len() as u64);
        let gap = offsets[1] - 100;
        assert!(gap > BLOCK);
        let mut hidden = edited.clone();
        hidden[gap as usize] = b'#';
        std::fs::write(&p, &hidden).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&p)
            .unwrap()
            .set_modified(mtime)
            .unwrap();
        let (c, _) = file(&p, salt).unwrap();
        assert_eq!(b, c);
        // Another salt, another digest.
        let (d, _) = file(&p, b"other").unwrap();
        assert_ne!(c.blocks, d.blocks);
    }
}
