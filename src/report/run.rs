//! The fields the filing-system report reads from an `anonkos.run/v1` report (written by
//! `anonkos run`). Unknown keys are ignored, so the run report may carry more.
//!
//! ```json
//! {"schema": "anonkos.run/v1",
//!  "pipeline": "pipelines/research-release.toml", "pipeline_sha256": "…",
//!  "outputs": [{
//!    "input": "sample-data/patients.csv", "table": null,
//!    "path": "out/patients.csv", "sha256": "…", "rows": 300,
//!    "verification": {"passed": true, "remaining_direct_identifiers": []},
//!    "privacy": {"k_target": 5, "k_achieved": 7, "l_target": null, "l_achieved": null},
//!    "risk": {"before": {"max_prosecutor_risk": 1.0, "records_at_risk": 300, "sample_uniques": 290},
//!             "after":  {"max_prosecutor_risk": 0.14, "records_at_risk": 0, "sample_uniques": 0}},
//!    "utility": {"before": {...}, "after": {...}}
//!  }]}
//! ```
//! `risk` and `utility` are free-form maps of numbers (shown before/after side by side).
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The run report's schema name.
pub const RUN_SCHEMA: &str = "anonkos.run/v1";

/// A run report (only what the filing-system report needs).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct RunReport {
    /// `anonkos.run/v1`.
    pub schema: String,
    /// Pipeline path.
    #[serde(default)]
    pub pipeline: Option<String>,
    /// SHA-256 of the pipeline file.
    #[serde(default)]
    pub pipeline_sha256: Option<String>,
    /// One entry per written output.
    #[serde(default)]
    pub outputs: Vec<RunOutput>,
    /// Art. 12(3): recipient and legal basis, when the pipeline named them.
    #[serde(default)]
    pub disclosure: Option<crate::config::pipeline::DisclosureSpec>,
}

/// One output of a run.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct RunOutput {
    /// The input dataset it was made from (as scanned), to map it to a filing system.
    #[serde(default)]
    pub input: Option<String>,
    /// Input table, if any.
    #[serde(default)]
    pub table: Option<String>,
    /// Output path.
    pub path: String,
    /// SHA-256 of the output file.
    #[serde(default)]
    pub sha256: Option<String>,
    /// Rows written.
    #[serde(default)]
    pub rows: Option<u64>,
    /// Result of re-scanning the output (`anonkos verify`); absent = not verified.
    #[serde(default)]
    pub verification: Option<Verification>,
    /// Privacy models measured on the output.
    #[serde(default)]
    pub privacy: Option<Privacy>,
    /// Risk measures before and after.
    #[serde(default)]
    pub risk: Option<BeforeAfter>,
    /// Utility measures before and after.
    #[serde(default)]
    pub utility: Option<BeforeAfter>,
    /// The verdict `anonkos run` reached, with its reasons.
    #[serde(default)]
    pub verdict: Option<super::verdict::Verdict>,
}

/// Verification of an output.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct Verification {
    /// Whether the re-scan found no personal data the pipeline should have removed.
    pub passed: bool,
    /// Columns still classified as direct identifiers (names only, never values).
    #[serde(default)]
    pub remaining_direct_identifiers: Vec<String>,
}

/// Measured privacy models.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct Privacy {
    /// k required by the pipeline.
    #[serde(default)]
    pub k_target: Option<u64>,
    /// Smallest equivalence class measured on the output.
    #[serde(default)]
    pub k_achieved: Option<u64>,
    /// l required (l-diversity).
    #[serde(default)]
    pub l_target: Option<u64>,
    /// l measured.
    #[serde(default)]
    pub l_achieved: Option<u64>,
}

/// Numbers before and after the transformation.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct BeforeAfter {
    /// Before.
    #[serde(default)]
    pub before: BTreeMap<String, f64>,
    /// After.
    #[serde(default)]
    pub after: BTreeMap<String, f64>,
}

/// The release verdict of an output as the filing-system report shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Art9Assessment {
    /// `anonymised`, `pseudonymised` (still personal data) or `not_fit`.
    pub verdict: &'static str,
    /// The facts it rests on.
    pub reasons: Vec<String>,
}

impl RunOutput {
    /// The verdict `anonkos run` reached from its measurements ([`super::verdict::judge`]).
    /// A run report without one (an older anonkos, or edited) is `not_fit`: the report never
    /// upgrades a verdict it cannot trace to measurements.
    pub fn art9(&self) -> Art9Assessment {
        use super::verdict::{ANONYMISED, NOT_FIT, PSEUDONYMISED};
        match &self.verdict {
            Some(v) => Art9Assessment {
                verdict: match v.outcome.as_str() {
                    ANONYMISED => ANONYMISED,
                    PSEUDONYMISED => PSEUDONYMISED,
                    _ => NOT_FIT,
                },
                reasons: v.reasons.clone(),
            },
            None => Art9Assessment {
                verdict: NOT_FIT,
                reasons: vec![
                    "the run report holds no verdict (made by an older anonkos?): run the pipeline again".into(),
                ],
            },
        }
    }
}
