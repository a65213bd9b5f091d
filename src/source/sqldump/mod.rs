//! SQL dump files: plain-format `pg_dump` and `mysqldump` / `mariadb-dump` (placeholder).
use std::path::Path;

pub mod copy;

use super::{Format, ReadOptions, Source};
use crate::error::{Error, Location, Result};

/// Recognise a dump by its content: `Some(Format::PgDump | Format::MysqlDump)`.
pub fn sniff(head: &[u8]) -> Option<Format> {
    if head.starts_with(b"PGDMP") {
        return Some(Format::PgDump);
    }
    let text = String::from_utf8_lossy(head);
    if text.contains("-- PostgreSQL database dump")
        || text.contains("COPY ") && text.contains("FROM stdin;")
    {
        return Some(Format::PgDump);
    }
    if text.contains("-- MySQL dump")
        || text.contains("-- MariaDB dump")
        || text.contains("/*!40101 SET")
    {
        return Some(Format::MysqlDump);
    }
    None
}

/// Open every table of a dump file.
pub fn open(_path: &Path, display: &str, _opts: &ReadOptions) -> Result<Vec<Box<dyn Source>>> {
    Err(Error::input(
        Location::dataset(display),
        "SQL dump files are not supported yet",
    ))
}
