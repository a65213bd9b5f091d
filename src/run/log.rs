//! The run's entry in the processing log (Art. 14(1.5)).
//!
//! In: the finished run report, the options and the output directory. Out: one hash-chained
//! record appended to the log (paths, digests, counts; no personal value).
use std::path::Path;

use super::{LOG_NAME, RunOptions, RunReport};
use crate::error::{Error, Result};
use crate::source;

/// Append this run to the processing log (who processed what, when; no personal values).
pub(super) fn append_log(
    report: &RunReport,
    opts: &RunOptions,
    out_dir: &Path,
    inputs: &[String],
) -> Result<()> {
    use crate::report::processing_log::{FileRecord, LogVerification, ProcessingLog, Record};
    let path = opts.log.clone().unwrap_or_else(|| out_dir.join(LOG_NAME));
    let shown: Vec<String> = inputs.iter().map(|i| source::db::redact_url(i)).collect();
    let mut rec = Record::new(format!(
        "anonkos run {} --input {} --out-dir {}{}",
        report.pipeline,
        shown.join(" --input "),
        out_dir.display(),
        opts.shard
            .map(|s| format!(" --shard {s}"))
            .unwrap_or_default()
    ));
    rec.pipeline = Some(report.pipeline.clone());
    rec.pipeline_sha256 = report.pipeline_sha256.clone();
    rec.disclosure = report.disclosure.clone();
    rec.inputs = report
        .inputs
        .iter()
        .map(|i| FileRecord {
            path: i.path.clone(),
            sha256: i.sha256.clone(),
            rows: None,
        })
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    for o in &report.outputs {
        if seen.insert(o.path.clone()) {
            let rows = report
                .outputs
                .iter()
                .filter(|x| x.path == o.path)
                .map(|x| x.rows)
                .sum();
            rec.outputs.push(FileRecord {
                path: out_dir.join(&o.path).display().to_string(),
                sha256: o.sha256.clone(),
                rows: Some(rows),
            });
        }
    }
    rec.verification = report.verification.as_ref().map(|v| LogVerification {
        passed: v.passed,
        remaining_direct_identifiers: v
            .findings
            .iter()
            .filter(|f| f.reason.contains("direct identifier"))
            .map(|f| format!("{}:{}", f.output, f.column))
            .collect(),
    });
    ProcessingLog::append(&path, &rec)
        .map(|_| ())
        .map_err(Error::on_output)
}
