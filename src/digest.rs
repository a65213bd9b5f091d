//! SHA-256 of files (run reports, the processing log) and lower-case hex, in one place.
use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Lower-case hex SHA-256 of a file's bytes (streamed), and its size. A directory (a
/// `pg_dump -Fd` dump) digests its files in name order: each file's name, a NUL and the
/// SHA-256 of its bytes; the size is the sum of theirs.
pub fn sha256_file(path: &Path) -> Result<(String, u64)> {
    if path.is_dir() {
        let names = dir_files(path)?;
        let mut h = Sha256::new();
        let mut total = 0u64;
        for p in names {
            let (sha, n) = sha256_file(&p)?;
            h.update(
                p.file_name()
                    .map(|n| n.as_encoded_bytes())
                    .unwrap_or_default(),
            );
            h.update([0u8]);
            h.update(sha.as_bytes());
            total += n;
        }
        return Ok((hex(&h.finalize()), total));
    }
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        total += n as u64;
        h.update(&buf[..n]);
    }
    Ok((hex(&h.finalize()), total))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const D: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(D[usize::from(b >> 4)] as char);
        s.push(D[usize::from(b & 15)] as char);
    }
    s
}

/// The files of a `pg_dump -Fd` directory, in name order (what its digests and fingerprints
/// go over).
pub fn dir_files(path: &Path) -> Result<Vec<std::path::PathBuf>> {
    let mut names: Vec<std::path::PathBuf> = std::fs::read_dir(path)
        .map_err(|e| Error::io(path, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    names.sort();
    Ok(names)
}
