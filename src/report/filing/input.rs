//! The filing report's input: the part of an `anonkos.scan/v1` report it reads.
//!
//! In: the scan report's JSON text. Out: a [`ScanInput`] (datasets, columns, sketches), or a
//! usage error naming the file when the schema is another.
use serde::Deserialize;

use crate::detect::Category;
use crate::error::{Error, Result};
use crate::report::{SCAN_SCHEMA, SketchReport};

/// The part of an `anonkos.scan/v1` report the filing-system report reads.
#[derive(Debug, Clone, Deserialize)]
pub struct ScanInput {
    /// Schema name.
    pub schema: String,
    /// When it was made.
    #[serde(default)]
    pub generated_at: Option<String>,
    /// `sample` or `full`.
    #[serde(default)]
    pub mode: Option<String>,
    /// Key id of the sketches.
    #[serde(default)]
    pub sketch_key_id: Option<String>,
    /// Datasets.
    #[serde(default)]
    pub datasets: Vec<ScanDatasetInput>,
}

/// One dataset of a scan report.
#[derive(Debug, Clone, Deserialize)]
pub struct ScanDatasetInput {
    /// Path or URL.
    pub source: String,
    /// Table.
    #[serde(default)]
    pub table: Option<String>,
    /// `ok` or `failed`.
    #[serde(default)]
    pub status: Option<String>,
    /// Error text.
    #[serde(default)]
    pub error: Option<String>,
    /// Rows examined.
    #[serde(default)]
    pub rows_scanned: u64,
    /// Total rows.
    #[serde(default)]
    pub rows_total: Option<u64>,
    /// Columns.
    #[serde(default)]
    pub columns: Vec<ScanColumnInput>,
}

/// One column of a scan report.
#[derive(Debug, Clone, Deserialize)]
pub struct ScanColumnInput {
    /// Name.
    pub name: String,
    /// Category name (unknown names are read as `none`).
    pub category: String,
    /// Confidence.
    #[serde(default)]
    pub confidence: f64,
    /// Sketch (identifier columns only).
    #[serde(default)]
    pub sketch: Option<SketchReport>,
}

impl ScanInput {
    /// Parse a scan report, refusing other schemas with a clear message.
    pub fn parse(text: &str, origin: &str) -> Result<ScanInput> {
        let v: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| Error::Usage(format!("{origin}: not a JSON scan report: {e}")))?;
        match v.get("schema").and_then(|s| s.as_str()) {
            Some(SCAN_SCHEMA) => {}
            Some(other) => {
                return Err(Error::Usage(format!(
                    "{origin}: unknown scan report schema {other:?}; this anonkos reads {SCAN_SCHEMA:?} (re-run `anonkos scan --format json`)"
                )));
            }
            None => {
                return Err(Error::Usage(format!(
                    "{origin}: no \"schema\" key; expected a {SCAN_SCHEMA:?} report from `anonkos scan --format json`"
                )));
            }
        }
        serde_json::from_value(v)
            .map_err(|e| Error::Usage(format!("{origin}: malformed {SCAN_SCHEMA} report: {e}")))
    }
}

/// A scan's category name as a [`Category`] (unknown names are read as `none`).
pub(super) fn category_of(name: &str) -> Category {
    Category::from_name(name).unwrap_or(Category::None)
}
