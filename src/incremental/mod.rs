//! Incremental scans (`anonkos scan --state FILE`): a dataset whose fingerprint has not
//! changed since the last scan is not read again; its stored classification is reused and
//! marked `reused` in the report.
//!
//! The state file (`anonkos.state/v1`, JSON, written atomically with mode 0600) holds, per
//! input file, its [`fingerprint::FileFingerprint`], and per dataset its content fingerprint
//! (dump tables: [`fingerprint::hash_ranges`] over the rows' byte ranges) and its last
//! classification: names, types, counts, categories and evidence — never a cell value, a
//! masked example or a sketch hash. Hashes are salted with a random salt drawn when the state
//! is created.
//!
//! A state is only reused under the options it was made with ([`ScanOptions`]: sample or
//! full, sample size, encoding, delimiter, header, table globs, the pattern files' digest and
//! the anonkos version). Anything else — a missing or foreign `magic`, another version, a
//! corrupt file, other options — is an error naming the file, never a silent full rescan or
//! a wrong reuse. A state file that does not exist yet starts a new state.
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::detect::Classification;
use crate::error::{Error, Result};
use crate::scan::{ColumnScan, DatasetScan};
use crate::source::rows::ColumnKeys;
use crate::source::{Format, RowCount};

pub mod fingerprint;

use fingerprint::FileFingerprint;

/// The state file's `magic`.
pub const MAGIC: &str = "anonkos.state";
/// The state file format version.
pub const VERSION: u32 = 1;
/// Largest state file read.
const MAX_STATE_BYTES: u64 = 512 * 1024 * 1024;

/// The options that change what a scan finds; a state is reused only under the same ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanOptions {
    /// `sample` or `full`.
    pub mode: String,
    /// Rows sampled per dataset (null for `full`).
    pub sample_rows: Option<usize>,
    /// `--encoding`.
    pub encoding: Option<String>,
    /// `--delimiter` (a byte).
    pub delimiter: Option<u8>,
    /// `--no-header`.
    pub no_header: bool,
    /// `--include` globs.
    pub include: Vec<String>,
    /// `--exclude` globs.
    pub exclude: Vec<String>,
    /// SHA-256 of the pattern files ([`crate::detect::PatternSet::digest`]).
    pub patterns_digest: String,
    /// The anonkos version (another version may classify differently).
    pub tool_version: String,
}

/// One column as stored: the classification and counts, no value.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredColumn {
    /// Name.
    pub name: String,
    /// Arrow type as read.
    pub data_type: String,
    /// Nested (not scanned).
    pub nested: bool,
    /// Cells examined.
    pub cells: u64,
    /// Non-empty cells examined.
    pub non_empty: u64,
    /// Distinct non-empty values (a count).
    pub distinct: u64,
    /// Keys the source declares.
    #[serde(default)]
    pub keys: ColumnKeys,
    /// A hidden workbook column.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hidden: bool,
    /// The classification (evidence holds counts and pattern names only).
    pub classification: Classification,
}

/// One dataset as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredDataset {
    /// Path or URL as given (no password).
    pub source: String,
    /// Table, for multi-table sources.
    pub table: Option<String>,
    /// Format.
    pub format: Option<Format>,
    /// Content fingerprint (dump tables; files: their sampled-block hash), if any.
    pub fingerprint: Option<String>,
    /// Rows examined when it was last read.
    pub rows_scanned: u64,
    /// Total rows then.
    pub rows_total: Option<u64>,
    /// Whether `rows_total` was an estimate.
    pub rows_total_estimated: bool,
    /// Whether only a sample was read.
    pub sampled: bool,
    /// How it was read.
    pub notes: Vec<String>,
    /// Columns.
    pub columns: Vec<StoredColumn>,
    /// A hidden workbook sheet.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hidden: bool,
}

/// The state file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StateFile {
    /// [`MAGIC`].
    pub magic: String,
    /// [`VERSION`].
    pub version: u32,
    /// When it was written (RFC 3339 UTC).
    pub written_at: String,
    /// The options it was made with.
    pub options: ScanOptions,
    /// Hex salt of every fingerprint hash.
    pub salt: String,
    /// Input files (as given) and their fingerprints.
    pub files: BTreeMap<String, FileFingerprint>,
    /// Datasets that were read without error.
    pub datasets: Vec<StoredDataset>,
}

fn corrupt(path: &Path, why: impl std::fmt::Display) -> Error {
    Error::Usage(format!(
        "{}: not a usable anonkos state file ({why}); it was left as it is: give another --state file, or delete it to start a new state (the next scan then reads everything)",
        path.display()
    ))
}

impl StateFile {
    /// Load the state at `path`; `Ok(None)` when it does not exist yet. Errors (naming the
    /// file): unreadable, not JSON, another magic or version, malformed.
    pub fn load(path: &Path) -> Result<Option<StateFile>> {
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(path, e)),
        };
        if meta.len() > MAX_STATE_BYTES {
            return Err(corrupt(path, "larger than 512 MiB"));
        }
        #[allow(clippy::disallowed_methods)] // size checked above
        let text = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let v: serde_json::Value =
            serde_json::from_slice(&text).map_err(|e| corrupt(path, format!("not JSON: {e}")))?;
        match v.get("magic").and_then(|m| m.as_str()) {
            Some(MAGIC) => {}
            Some(other) => return Err(corrupt(path, format!("magic {other:?}, not {MAGIC:?}"))),
            None => {
                let hint = if v.get("schema").is_some() {
                    "; a scan report goes to --baseline, not --state"
                } else {
                    ""
                };
                return Err(corrupt(path, format!("no {MAGIC:?} magic{hint}")));
            }
        }
        match v.get("version").and_then(|m| m.as_u64()) {
            Some(n) if n == u64::from(VERSION) => {}
            other => {
                return Err(corrupt(
                    path,
                    format!("format version {other:?}; this anonkos reads version {VERSION}"),
                ));
            }
        }
        let s: StateFile = serde_json::from_value(v).map_err(|e| corrupt(path, e))?;
        if decode_hex(&s.salt).is_none_or(|b| b.len() < 16) {
            return Err(corrupt(path, "malformed salt"));
        }
        Ok(Some(s))
    }

    /// Refuse a state made with other options, naming each difference.
    pub fn check_options(&self, path: &Path, now: &ScanOptions) -> Result<()> {
        let was = &self.options;
        let mut diffs = Vec::new();
        let mut cmp = |what: &str, a: String, b: String| {
            if a != b {
                diffs.push(format!("{what}: state {a}, this scan {b}"));
            }
        };
        cmp("mode", was.mode.clone(), now.mode.clone());
        cmp(
            "--sample-rows",
            format!("{:?}", was.sample_rows),
            format!("{:?}", now.sample_rows),
        );
        cmp(
            "--encoding",
            format!("{:?}", was.encoding),
            format!("{:?}", now.encoding),
        );
        cmp(
            "--delimiter",
            format!("{:?}", was.delimiter.map(char::from)),
            format!("{:?}", now.delimiter.map(char::from)),
        );
        cmp(
            "--no-header",
            was.no_header.to_string(),
            now.no_header.to_string(),
        );
        cmp(
            "--include",
            format!("{:?}", was.include),
            format!("{:?}", now.include),
        );
        cmp(
            "--exclude",
            format!("{:?}", was.exclude),
            format!("{:?}", now.exclude),
        );
        cmp(
            "pattern files (digest)",
            was.patterns_digest.chars().take(12).collect(),
            now.patterns_digest.chars().take(12).collect(),
        );
        cmp(
            "anonkos version",
            was.tool_version.clone(),
            now.tool_version.clone(),
        );
        if diffs.is_empty() {
            Ok(())
        } else {
            Err(Error::Usage(format!(
                "{}: this state was made with other scan options, so its results cannot be reused ({}); give another --state file, or delete it to start a new state",
                path.display(),
                diffs.join("; ")
            )))
        }
    }

    /// Write atomically, readable by its owner only.
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut text =
            serde_json::to_vec_pretty(self).map_err(|e| Error::Internal(format!("state: {e}")))?;
        text.push(b'\n');
        let mut f = crate::sink::atomic::AtomicFile::create(path)?;
        std::io::Write::write_all(&mut f, &text).map_err(|e| Error::io(path, e))?;
        f.commit_private()
    }

    /// The stored datasets as scan results (reused, no examples, no sketch).
    pub fn scans(&self) -> Vec<DatasetScan> {
        self.datasets.iter().map(to_scan).collect()
    }
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn to_scan(d: &StoredDataset) -> DatasetScan {
    DatasetScan {
        source: d.source.clone(),
        table: d.table.clone(),
        format: d.format,
        rows_scanned: d.rows_scanned,
        rows_total: d.rows_total.map(|n| {
            if d.rows_total_estimated {
                RowCount::Estimated(n)
            } else {
                RowCount::Exact(n)
            }
        }),
        sampled: d.sampled,
        notes: d.notes.clone(),
        columns: d
            .columns
            .iter()
            .map(|c| ColumnScan {
                name: c.name.clone(),
                data_type: c.data_type.clone(),
                nested: c.nested,
                cells: c.cells,
                classification: c.classification.clone(),
                examples: Vec::new(),
                sketch: crate::detect::sketch::Sketch::default(),
                keys: c.keys.clone(),
                non_empty: c.non_empty,
                distinct: c.distinct,
                hidden: c.hidden,
            })
            .collect(),
        error: None,
        reused: true,
        fingerprint: d.fingerprint.clone(),
        hidden: d.hidden,
    }
}

fn to_stored(d: &DatasetScan) -> StoredDataset {
    StoredDataset {
        source: d.source.clone(),
        table: d.table.clone(),
        format: d.format,
        fingerprint: d.fingerprint.clone(),
        rows_scanned: d.rows_scanned,
        rows_total: d.rows_total.map(RowCount::value),
        rows_total_estimated: matches!(d.rows_total, Some(RowCount::Estimated(_))),
        sampled: d.sampled,
        notes: d.notes.clone(),
        columns: d
            .columns
            .iter()
            .map(|c| StoredColumn {
                name: c.name.clone(),
                data_type: c.data_type.clone(),
                nested: c.nested,
                cells: c.cells,
                non_empty: c.non_empty,
                distinct: c.distinct,
                keys: c.keys.clone(),
                classification: c.classification.clone(),
                hidden: c.hidden,
            })
            .collect(),
        hidden: d.hidden,
    }
}

/// The reuse side of a scan: the previous state, and what this scan saw.
pub struct Incremental {
    salt: Vec<u8>,
    prev_files: BTreeMap<String, FileFingerprint>,
    prev: HashMap<(String, Option<String>), StoredDataset>,
    prev_order: Vec<(String, Option<String>)>,
    seen_files: Mutex<BTreeMap<String, FileFingerprint>>,
    fingerprint_bytes: AtomicU64,
}

impl Incremental {
    /// From a loaded state (`None`: a new state with a fresh salt).
    pub fn new(prev: Option<StateFile>) -> Result<Self> {
        let (salt, files, datasets) = match prev {
            Some(s) => (
                decode_hex(&s.salt).ok_or_else(|| Error::Internal("state salt".into()))?,
                s.files,
                s.datasets,
            ),
            None => {
                let mut salt = vec![0u8; 32];
                getrandom::fill(&mut salt)
                    .map_err(|e| Error::Internal(format!("no OS randomness for the salt: {e}")))?;
                (salt, BTreeMap::new(), Vec::new())
            }
        };
        let prev_order = datasets
            .iter()
            .map(|d| (d.source.clone(), d.table.clone()))
            .collect();
        Ok(Incremental {
            salt,
            prev_files: files,
            prev: datasets
                .into_iter()
                .map(|d| ((d.source.clone(), d.table.clone()), d))
                .collect(),
            prev_order,
            seen_files: Mutex::new(BTreeMap::new()),
            fingerprint_bytes: AtomicU64::new(0),
        })
    }

    /// The salt of every fingerprint.
    pub fn salt(&self) -> &[u8] {
        &self.salt
    }

    /// Count bytes read to compute fingerprints.
    pub fn add_bytes(&self, n: u64) {
        self.fingerprint_bytes.fetch_add(n, Ordering::Relaxed);
    }

    /// Bytes read to compute fingerprints so far.
    pub fn fingerprint_bytes(&self) -> u64 {
        self.fingerprint_bytes.load(Ordering::Relaxed)
    }

    /// Note the fingerprint of input file `display`; its stored datasets when it is unchanged.
    pub fn check_file(&self, display: &str, fp: FileFingerprint) -> Option<Vec<DatasetScan>> {
        let same = self.prev_files.get(display) == Some(&fp);
        if let Ok(mut seen) = self.seen_files.lock() {
            seen.insert(display.to_string(), fp);
        }
        if !same {
            return None;
        }
        Some(
            self.prev_order
                .iter()
                .filter(|k| k.0 == display)
                .filter_map(|k| self.prev.get(k))
                .map(to_scan)
                .collect(),
        )
    }

    /// The stored result of dataset (`source`, `table`) when its content fingerprint is `fp`.
    pub fn check_dataset(
        &self,
        source: &str,
        table: Option<&str>,
        fp: &str,
    ) -> Option<DatasetScan> {
        let d = self
            .prev
            .get(&(source.to_string(), table.map(str::to_string)))?;
        (d.fingerprint.as_deref() == Some(fp)).then(|| to_scan(d))
    }

    /// The state to write after this scan: every dataset read without error, and the files
    /// all of whose datasets were.
    pub fn next_state(&self, options: ScanOptions, datasets: &[DatasetScan]) -> StateFile {
        let seen = self
            .seen_files
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default();
        let files = seen
            .into_iter()
            .filter(|(name, _)| {
                datasets
                    .iter()
                    .filter(|d| &d.source == name)
                    .all(|d| d.error.is_none())
            })
            .collect();
        StateFile {
            magic: MAGIC.to_string(),
            version: VERSION,
            written_at: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            options,
            salt: crate::digest::hex(&self.salt),
            files,
            datasets: datasets
                .iter()
                .filter(|d| d.error.is_none())
                .map(to_stored)
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests;
