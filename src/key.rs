//! The secret key of keyed transforms (`pseudonymise`, `fpe`, `date_shift`, `noise`,
//! `suppress_subjects`).
//!
//! A key is 32 random bytes, stored as 64 hex characters (plus an optional newline) in a file
//! of mode 0600, or given in the `ANONKOS_KEY` environment variable. It is never printed: its
//! `Debug` is `Key(***)`, errors never echo the file's content, and reports name a key only by
//! its [`fingerprint`](Key::fingerprint). Every transform uses its own subkey
//! ([`derive`](Key::derive)), so a pseudonym never reveals anything about an FPE value or a
//! date offset made with the same key. The bytes are overwritten with zeros on drop.
use std::fmt;
use std::io::Write;
use std::path::Path;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::error::{Error, Result};

/// HMAC-SHA256.
pub(crate) type HmacSha256 = Hmac<Sha256>;

/// A 256-bit secret key.
pub struct Key([u8; 32]);

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(***)")
    }
}

impl Drop for Key {
    fn drop(&mut self) {
        for b in self.0.iter_mut() {
            // SAFETY: `b` is a valid, aligned, exclusive reference into our own array.
            unsafe { std::ptr::write_volatile(b, 0) };
        }
        std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
    }
}

impl Key {
    /// A key from raw bytes (tests and callers that manage keys themselves).
    pub fn from_bytes(bytes: [u8; 32]) -> Key {
        Key(bytes)
    }

    /// A new random key from the operating system's generator.
    pub fn generate() -> Result<Key> {
        let mut b = [0u8; 32];
        getrandom::fill(&mut b)
            .map_err(|e| Error::Internal(format!("no operating-system randomness: {e}")))?;
        Ok(Key(b))
    }

    /// Parse 64 hex characters (surrounding whitespace allowed). The error never contains
    /// the text.
    pub fn from_hex(text: &str) -> std::result::Result<Key, String> {
        let t = text.trim();
        if t.len() != 64 {
            return Err(format!(
                "a key is 64 hexadecimal characters; found {} characters",
                t.chars().count()
            ));
        }
        let mut b = [0u8; 32];
        for (i, pair) in t.as_bytes().chunks(2).enumerate() {
            let hi = hex_val(pair[0]);
            let lo = hex_val(pair[1]);
            match (hi, lo) {
                (Some(h), Some(l)) => b[i] = h << 4 | l,
                _ => {
                    return Err(format!(
                        "a key is 64 hexadecimal characters; character {} is not hexadecimal",
                        if hi.is_none() { 2 * i + 1 } else { 2 * i + 2 }
                    ));
                }
            }
        }
        Ok(Key(b))
    }

    /// Read a key file. Returns the key and a warning when the file is readable or writable
    /// by others than its owner (mode looser than 0600). Only a regular file of at most
    /// [`MAX_KEY_FILE_BYTES`] is read: a device (`/dev/zero`) would be read until memory runs
    /// out and a named pipe would block the run.
    pub fn from_file(path: &Path) -> Result<(Key, Option<String>)> {
        let file = open_regular(path)?;
        let meta = file.metadata().map_err(|e| Error::io(path, e))?;
        let mut warning = None;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                warning = Some(format!(
                    "{}: key file has mode {mode:04o}; others can read it (run chmod 600)",
                    path.display()
                ));
            }
        }
        if meta.len() > MAX_KEY_FILE_BYTES {
            return Err(config(path, "not a key file (too large)"));
        }
        let mut bytes = Vec::with_capacity(MAX_KEY_FILE_BYTES as usize + 1);
        // The size can change after the check: never read past the limit.
        std::io::Read::read_to_end(
            &mut std::io::Read::take(&file, MAX_KEY_FILE_BYTES + 1),
            &mut bytes,
        )
        .map_err(|e| Error::io(path, e))?;
        if bytes.len() as u64 > MAX_KEY_FILE_BYTES {
            bytes.fill(0);
            return Err(config(path, "not a key file (too large)"));
        }
        let res = match std::str::from_utf8(&bytes) {
            Ok(text) => Key::from_hex(text).map_err(|m| config(path, &m)),
            Err(_) => Err(config(path, "not a key file (not text)")),
        };
        bytes.fill(0);
        Ok((res?, warning))
    }

    /// Read the key from the environment variable `var` (normally `ANONKOS_KEY`).
    /// `Ok(None)` when it is not set.
    pub fn from_env(var: &str) -> Result<Option<Key>> {
        match std::env::var(var) {
            Ok(v) => Key::from_hex(&v).map(Some).map_err(|m| Error::Config {
                path: format!("${var}").into(),
                line: None,
                msg: m,
            }),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => Err(Error::Config {
                path: format!("${var}").into(),
                line: None,
                msg: "a key is 64 hexadecimal characters; the value is not text".into(),
            }),
        }
    }

    /// Generate a key and write it to a new file `path` with mode 0600, atomically (a
    /// temporary file in the same directory, then a hard link that fails if `path` exists).
    /// Refuses to overwrite an existing file.
    pub fn write_new(path: &Path) -> Result<Key> {
        if path.exists() {
            return Err(Error::Usage(format!(
                "{}: already exists; anonkos never overwrites a key file",
                path.display()
            )));
        }
        let key = Key::generate()?;
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        let tmp = tempfile::Builder::new()
            .prefix(".anonkos-key")
            .permissions(perm_0600())
            .tempfile_in(&dir)
            .map_err(|e| Error::io(&dir, e))?;
        let mut hex = key.to_hex();
        hex.push('\n');
        let res = (|| {
            let mut f = tmp.as_file();
            f.write_all(hex.as_bytes())?;
            f.sync_all()?;
            std::fs::hard_link(tmp.path(), path)
        })();
        zero_string(&mut hex);
        res.map_err(|e| Error::io(path, e))?;
        drop(tmp);
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(key)
    }

    fn to_hex(&self) -> String {
        const H: &[u8; 16] = b"0123456789abcdef";
        let mut s = String::with_capacity(64);
        for b in &self.0 {
            s.push(char::from(H[usize::from(b >> 4)]));
            s.push(char::from(H[usize::from(b & 15)]));
        }
        s
    }

    /// A subkey for one purpose: HMAC-SHA256(key, `"anonkos.v1." + domain`).
    pub fn derive(&self, domain: &str) -> [u8; 32] {
        let mut mac = self.mac();
        mac.update(b"anonkos.v1.");
        mac.update(domain.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// A short identifier safe to print: the first 8 hex characters of
    /// HMAC(key, `"anonkos.fingerprint"`).
    pub fn fingerprint(&self) -> String {
        let mut mac = self.mac();
        mac.update(b"anonkos.fingerprint");
        let out = mac.finalize().into_bytes();
        out[..4].iter().map(|b| format!("{b:02x}")).collect()
    }

    fn mac(&self) -> HmacSha256 {
        hmac_with(&self.0)
    }
}

/// A pre-keyed HMAC-SHA256 instance (clone it per message).
pub(crate) fn hmac_with(key: &[u8; 32]) -> HmacSha256 {
    // HMAC accepts keys of any length; the fallback is unreachable.
    <HmacSha256 as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| <HmacSha256 as KeyInit>::new(&Default::default()))
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// The largest key file read (a key is 64 hex characters and a newline).
pub const MAX_KEY_FILE_BYTES: u64 = 1024;

/// Open `path` for reading without blocking on a named pipe (`O_NONBLOCK`), and refuse
/// anything but a regular file, checked on the open file so it cannot be swapped in between.
fn open_regular(path: &Path) -> Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NONBLOCK);
    }
    let file = opts.open(path).map_err(|e| Error::io(path, e))?;
    let kind = file.metadata().map_err(|e| Error::io(path, e))?.file_type();
    if !kind.is_file() {
        let what = if kind.is_dir() {
            "a directory"
        } else {
            "not a regular file (a device, pipe or socket)"
        };
        return Err(config(path, &format!("not a key file ({what})")));
    }
    Ok(file)
}

fn config(path: &Path, msg: &str) -> Error {
    Error::Config {
        path: path.to_path_buf(),
        line: None,
        msg: msg.to_string(),
    }
}

fn zero_string(s: &mut str) {
    // SAFETY: writing ASCII zeros keeps the string valid UTF-8.
    for b in unsafe { s.as_bytes_mut() } {
        unsafe { std::ptr::write_volatile(b, b'0') };
    }
}

#[cfg(unix)]
fn perm_0600() -> std::fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    std::fs::Permissions::from_mode(0o600)
}

#[cfg(not(unix))]
fn perm_0600() -> std::fs::Permissions {
    std::fs::metadata(".")
        .map(|m| m.permissions())
        .unwrap_or_else(|_| unreachable!("current directory has metadata"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_key() {
        let k = Key::from_bytes([7; 32]);
        assert_eq!(format!("{k:?}"), "Key(***)");
        assert_eq!(k.fingerprint().len(), 8);
    }

    #[test]
    fn write_read_round_trip_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.key");
        let k = Key::write_new(&p).unwrap();
        let (k2, warn) = Key::from_file(&p).unwrap();
        assert!(warn.is_none());
        assert_eq!(k.fingerprint(), k2.fingerprint());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert!(Key::from_file(&p).unwrap().1.is_some());
        }
        assert!(Key::write_new(&p).is_err(), "must not overwrite");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[allow(clippy::disallowed_methods)] // a test fixture, not an output
    fn write(p: &Path, s: &str) {
        std::fs::File::create(p)
            .unwrap()
            .write_all(s.as_bytes())
            .unwrap();
    }

    #[test]
    fn bad_files_never_echo_content() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k");
        write(&p, "secret-ish-content-xyz");
        let e = Key::from_file(&p).unwrap_err().to_string();
        assert!(!e.contains("secret"), "{e}");
        let mut bad = "ab".repeat(32);
        bad.replace_range(10..11, "z");
        write(&p, &bad);
        let e = Key::from_file(&p).unwrap_err().to_string();
        assert!(e.contains("character 11"), "{e}");
        assert!(!e.contains("abab"), "{e}");
    }

    #[test]
    fn subkeys_differ_per_domain_and_key() {
        let k = Key::from_hex(&"01".repeat(32)).unwrap();
        let k2 = Key::from_hex(&"02".repeat(32)).unwrap();
        assert_ne!(k.derive("a"), k.derive("b"));
        assert_ne!(k.derive("a"), k2.derive("a"));
        assert_eq!(k.derive("a"), k.derive("a"));
    }
}
