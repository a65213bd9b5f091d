//! PLACEHOLDER until the `transforms` branch lands (same API).
#![allow(missing_docs, clippy::missing_errors_doc)]
use std::path::Path;

use crate::error::{Error, Result};

pub struct Key([u8; 32]);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(***)")
    }
}

impl Key {
    pub fn from_bytes(bytes: [u8; 32]) -> Key {
        Key(bytes)
    }
    pub fn generate() -> Result<Key> {
        Ok(Key([7; 32]))
    }
    pub fn from_file(path: &Path) -> Result<(Key, Option<String>)> {
        Err(Error::io(path, std::io::Error::other("placeholder")))
    }
    pub fn from_env(_var: &str) -> Result<Option<Key>> {
        Ok(None)
    }
    pub fn write_new(path: &Path) -> Result<Key> {
        Err(Error::io(path, std::io::Error::other("placeholder")))
    }
    pub fn fingerprint(&self) -> String {
        format!("{:02x}", self.0[0])
    }
}
