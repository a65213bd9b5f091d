//! [`AtomicFile`]: outputs appear fully written or not at all.
//!
//! Data goes to a temporary file in the target's directory (same filesystem, so the final
//! rename is atomic); [`AtomicFile::commit`] flushes, fsyncs and renames it over the target.
//! Dropping an uncommitted `AtomicFile` deletes the temporary file, so an error or a panic
//! half-way never leaves a truncated output behind.
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A file being written that becomes visible only on [`commit`](AtomicFile::commit).
pub struct AtomicFile {
    target: PathBuf,
    tmp: tempfile::NamedTempFile,
}

impl AtomicFile {
    /// Start writing `target`. The directory must exist.
    pub fn create(target: impl AsRef<Path>) -> Result<Self> {
        let target = target.as_ref().to_path_buf();
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let tmp = tempfile::Builder::new()
            .prefix(".anonkos-")
            .suffix(".tmp")
            .tempfile_in(&dir)
            .map_err(|e| Error::io(&target, e))?;
        Ok(AtomicFile { target, tmp })
    }

    /// The path the file will have once committed.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Flush, fsync and rename into place.
    pub fn commit(self) -> Result<()> {
        // The temporary file is created 0600; outputs get the usual 0644 (reports and samples
        // are meant to be read; the directory's permissions still apply).
        self.commit_with_mode(0o644)
    }

    /// [`AtomicFile::commit`], keeping the file readable by its owner only (0600): for files
    /// that hold values from the input, such as per-shard privacy summaries.
    pub fn commit_private(self) -> Result<()> {
        self.commit_with_mode(0o600)
    }

    fn commit_with_mode(self, mode: u32) -> Result<()> {
        let AtomicFile { target, mut tmp } = self;
        tmp.flush().map_err(|e| Error::io(&target, e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            tmp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(mode))
                .map_err(|e| Error::io(&target, e))?;
        }
        #[cfg(not(unix))]
        let _ = mode;
        tmp.as_file()
            .sync_all()
            .map_err(|e| Error::io(&target, e))?;
        tmp.persist(&target)
            .map_err(|e| Error::io(&target, e.error))?;
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.tmp.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.tmp.flush()
    }
}

/// Open the lock file `path`, creating it if missing, without following a symbolic link
/// (`O_NOFOLLOW`): a link planted in its place (say, to a system file) would otherwise make
/// a run running as root create or lock a file anywhere. A link is an error (`ELOOP`,
/// reported with a sentence that says so).
pub fn open_lock_file(path: &Path) -> Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.create(true).truncate(false).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NOFOLLOW);
    }
    opts.open(path).map_err(|e| {
        if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
            Error::io(
                path,
                io::Error::other(
                    "is a symbolic link; anonkos does not open lock files through links",
                ),
            )
        } else {
            Error::io(path, e)
        }
    })
}

/// Write `bytes` to `target` atomically.
pub fn write_atomic(target: impl AsRef<Path>, bytes: &[u8]) -> Result<()> {
    let mut f = AtomicFile::create(target)?;
    let path = f.target().to_path_buf();
    f.write_all(bytes).map_err(|e| Error::io(path, e))?;
    f.commit()
}

/// Write `bytes` to `target` atomically, readable by its owner only (0600).
pub fn write_atomic_private(target: impl AsRef<Path>, bytes: &[u8]) -> Result<()> {
    let mut f = AtomicFile::create(target)?;
    let path = f.target().to_path_buf();
    f.write_all(bytes).map_err(|e| Error::io(path, e))?;
    f.commit_private()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_visible_until_commit() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.txt");
        let mut f = AtomicFile::create(&target).unwrap();
        f.write_all(b"hello").unwrap();
        assert!(!target.exists());
        f.commit().unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"hello");
    }

    #[test]
    fn dropped_file_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.txt");
        {
            let mut f = AtomicFile::create(&target).unwrap();
            f.write_all(b"partial").unwrap();
        }
        assert!(!target.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
