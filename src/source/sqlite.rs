//! SQLite database files (placeholder).
use std::path::Path;

use super::{ReadOptions, Source};
use crate::error::{Error, Location, Result};

/// Open every table and view of an SQLite file.
pub fn open(_path: &Path, display: &str, _opts: &ReadOptions) -> Result<Vec<Box<dyn Source>>> {
    Err(Error::input(
        Location::dataset(display),
        "SQLite files are not supported yet",
    ))
}
