//! `scan --state` and `scan --baseline`: the incremental state and the drift baseline, loaded
//! before the scan (the baseline may be the state file the scan is about to replace).
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::ScanArgs;
use crate::error::{Error, Result};
use crate::incremental::{Incremental, MAGIC, ScanOptions, StateFile};
use crate::report::drift::Baseline;
use crate::source::ReadOptions;

/// What `--state` and `--baseline` loaded.
pub struct Nightly {
    /// The state file and the reuse side of the scan.
    pub state: Option<(PathBuf, Arc<Incremental>)>,
    /// The options the new state is written with.
    pub options: ScanOptions,
    /// The drift baseline.
    pub baseline: Option<Baseline>,
}

/// The options a state is tied to.
pub fn options(a: &ScanArgs, read: &ReadOptions, patterns_digest: &str) -> ScanOptions {
    ScanOptions {
        mode: if a.full { "full" } else { "sample" }.to_string(),
        sample_rows: read.sample_rows,
        encoding: read.encoding.clone(),
        delimiter: read.delimiter,
        no_header: a.no_header,
        include: a.include.clone(),
        exclude: a.exclude.clone(),
        patterns_digest: patterns_digest.to_string(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
    }
}

/// Load the state (checked against this scan's options) and the baseline.
pub fn prepare(
    a: &ScanArgs,
    options: ScanOptions,
    declarations: &[crate::config::declare::Declaration],
) -> Result<Nightly> {
    let mut first_night = false;
    let state = match &a.state {
        None => None,
        Some(path) => {
            let prev = StateFile::load(path)?;
            if let Some(p) = &prev {
                p.check_options(path, &options)?;
            }
            first_night = prev.is_none();
            Some((path.clone(), Arc::new(Incremental::new(prev)?)))
        }
    };
    // `--baseline` naming the `--state` file of a first scan: nothing to compare with yet.
    let baseline = match a.baseline.as_deref() {
        Some(p) if first_night && a.state.as_deref() == Some(p) => {
            super::output::err(&format!(
                "{}: no state yet, so no drift on this first scan",
                p.display()
            ));
            None
        }
        Some(p) => Some(load_baseline(p, declarations)?),
        None => None,
    };
    Ok(Nightly {
        state,
        options,
        baseline,
    })
}

/// A previous `anonkos.scan/v1` report, or a state file (its classifications, with the
/// annotations of this scan applied as they are to this scan's results).
fn load_baseline(
    path: &Path,
    declarations: &[crate::config::declare::Declaration],
) -> Result<Baseline> {
    let origin = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.len() > 512 * 1024 * 1024 {
        return Err(Error::Usage(format!("{origin}: larger than 512 MiB")));
    }
    #[allow(clippy::disallowed_methods)] // size checked above
    let text = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let v: serde_json::Value = serde_json::from_slice(&text).map_err(|e| {
        Error::Usage(format!(
            "{origin}: not a JSON scan report or state file: {e}"
        ))
    })?;
    if v.get("magic").and_then(|m| m.as_str()) == Some(MAGIC) {
        let state = StateFile::load(path)?
            .ok_or_else(|| Error::Usage(format!("{origin}: the baseline does not exist")))?;
        let mut scans = state.scans();
        crate::config::declare::apply_to_scans(declarations, &mut scans);
        return Ok(Baseline::from_scans(
            &origin,
            Some(state.written_at.clone()),
            &scans,
        ));
    }
    match v.get("schema").and_then(|s| s.as_str()) {
        Some(crate::report::SCAN_SCHEMA) => Baseline::from_scan_json(&origin, &v),
        Some(other) => Err(Error::Usage(format!(
            "{origin}: a {other:?} document is not a baseline; give an {:?} report (`anonkos scan --format json`) or a --state file",
            crate::report::SCAN_SCHEMA
        ))),
        None => Err(Error::Usage(format!(
            "{origin}: neither an {:?} report nor an anonkos state file",
            crate::report::SCAN_SCHEMA
        ))),
    }
}
