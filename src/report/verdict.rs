//! The release verdict, from measured facts only. Three outcomes (Law 03/L-172, Art. 2(1.15)
//! and Art. 9):
//! - **anonymised**: verified with no direct identifier left, no keyed or reversible value
//!   whose key anyone keeps, no source record key, the release's tables not linkable to each
//!   other through shared tokens, and a privacy model measured and met;
//! - **pseudonymised — still personal data**: the output holds values the key holder can
//!   reverse (`fpe`) or link (keyed tokens, shifts, noise with a kept key), or a record key
//!   of the source system; the law's duties for personal data still apply;
//! - **not fit**: verification failed, a model was missed, no privacy model was measured, or
//!   the tables of the release join through tokens while the model was measured per table.
//!
//! Each verdict lists the facts it rests on.
use serde::{Deserialize, Serialize};

/// `anonymised`.
pub const ANONYMISED: &str = "anonymised";
/// `pseudonymised` (still personal data).
pub const PSEUDONYMISED: &str = "pseudonymised";
/// `not_fit`.
pub const NOT_FIT: &str = "not_fit";

/// A verdict and the facts it rests on.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Verdict {
    /// [`ANONYMISED`], [`PSEUDONYMISED`] or [`NOT_FIT`].
    pub outcome: String,
    /// The measured facts, one per line.
    pub reasons: Vec<String>,
}

/// What a verdict is decided from, for one output.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The re-scan: `None` when the output was not verified.
    pub verified: Option<bool>,
    /// Columns the re-scan still calls direct identifiers.
    pub remaining_direct: Vec<String>,
    /// Privacy models: name, target, achieved.
    pub models: Vec<(&'static str, Option<f64>, Option<f64>)>,
    /// Columns written with `fpe` (reversible with the key).
    pub reversible: Vec<String>,
    /// Columns written by other keyed actions (tokens, shifts, noise), with the action.
    pub keyed: Vec<(String, String)>,
    /// Whether the key was made for this run and thrown away.
    pub key_discarded: bool,
    /// Kept columns that identify a record of the source (declared keys, or unique per row),
    /// with the evidence.
    pub record_keys: Vec<(String, String)>,
    /// Other outputs of the release that share this one's tokens.
    pub linked_with: Vec<String>,
    /// A declared aggregate table: the threshold rule and its audit.
    pub aggregate: Option<AggregateFacts>,
    /// A research release's table that looks like an aggregate table but is not declared one:
    /// why.
    pub undeclared_aggregate: Option<String>,
}

/// The threshold rule on an aggregate table, as the audit of the published table found it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AggregateFacts {
    /// Counts `1..threshold` may not be published.
    pub threshold: u64,
    /// Cells in the table.
    pub cells: u64,
    /// Cells suppressed below the threshold.
    pub primary: u64,
    /// Cells suppressed so that no primary cell can be recomputed.
    pub secondary: u64,
    /// Audit: published counts below the threshold.
    pub below_threshold: u64,
    /// Audit: lines with exactly one suppressed cell.
    pub lone_suppressed_lines: u64,
}

/// Decide the verdict for one output.
pub fn judge(f: &Facts) -> Verdict {
    let mut not_fit = Vec::new();
    let mut personal = Vec::new();
    let mut facts = Vec::new();
    match f.verified {
        None => not_fit.push("not verified (no re-scan of the output)".to_string()),
        Some(false) => not_fit.push("verification failed: personal data is left".to_string()),
        Some(true) => facts.push("verification passed (re-scan of the output)".to_string()),
    }
    if !f.remaining_direct.is_empty() {
        not_fit.push(format!(
            "direct identifiers left: {}",
            f.remaining_direct.join(", ")
        ));
    }
    let mut measured = false;
    for (name, target, got) in &f.models {
        match (target, got) {
            (Some(t), Some(g)) if g >= t => {
                measured = true;
                facts.push(format!("{name}: {g} ≥ {t} required"));
            }
            (Some(t), Some(g)) => not_fit.push(format!("{name}: {g} < {t} required")),
            (Some(t), None) => not_fit.push(format!("{name}: target {t} but not measured")),
            (None, Some(g)) => facts.push(format!("{name}: {g} measured, no target")),
            (None, None) => {}
        }
    }
    if let Some(a) = &f.aggregate {
        let n = a.threshold;
        if a.below_threshold == 0 && a.lone_suppressed_lines == 0 {
            measured = true;
            facts.push(format!(
                "threshold rule (aggregate table): {} cells, {} suppressed below {n}, {} more \
                 so that none can be recomputed from line totals; audit: 0 published counts \
                 below {n}, 0 lines with one suppressed cell",
                a.cells, a.primary, a.secondary
            ));
        } else {
            not_fit.push(format!(
                "threshold rule audit failed (aggregate table): {} published counts below \
                 {n}, {} lines with one suppressed cell",
                a.below_threshold, a.lone_suppressed_lines
            ));
        }
    }
    if let Some(why) = &f.undeclared_aggregate {
        not_fit.push(why.clone());
    }
    if !f.reversible.is_empty() {
        personal.push(format!(
            "reversible with the key (fpe), and the values may be other people's real \
             identifiers (docs/test-copies.md): {}",
            f.reversible.join(", ")
        ));
    }
    if !f.keyed.is_empty() {
        let cols: Vec<String> = f.keyed.iter().map(|(c, a)| format!("{c} ({a})")).collect();
        if f.key_discarded {
            facts.push(format!(
                "keyed values with a key thrown away after the run: {}",
                cols.join(", ")
            ));
        } else {
            personal.push(format!(
                "keyed values whose key is kept, so they can be linked back: {}",
                cols.join(", ")
            ));
        }
    }
    for (c, why) in &f.record_keys {
        personal.push(format!("{c} is a record key of the source ({why})"));
    }
    if !f.linked_with.is_empty() && !f.keyed.is_empty() {
        not_fit.push(format!(
            "its tokens join it to {} while the privacy model was measured per table",
            f.linked_with.join(", ")
        ));
    }
    let outcome = if !not_fit.is_empty() {
        NOT_FIT
    } else if !personal.is_empty() {
        PSEUDONYMISED
    } else if !measured {
        not_fit.push(
            "no privacy model was measured (k-anonymity, l-diversity, or the threshold rule of \
             an aggregate table): not shown to be anonymised"
                .to_string(),
        );
        NOT_FIT
    } else {
        ANONYMISED
    };
    let mut reasons = not_fit;
    reasons.extend(personal);
    reasons.extend(facts);
    Verdict {
        outcome: outcome.to_string(),
        reasons,
    }
}

/// The framing every report states in its header: which law it maps to, and why.
pub const FRAMING: &str = "Law No. 06/L-082 on the Protection of Personal Data (2019) replaced Law No. 03/L-172. \
This report maps its findings to Law No. 03/L-172, the full text kept with the tool, and names the 06/L-082 \
counterpart where the 06/L-082 overview (a secondary source, cited as \"06/L-082 overview §…\") gives one.";

/// The caveats every report shows beside a verdict.
pub const CAVEATS: &[&str] = &[
    "Pseudonymised data remain personal data: the law's duties still apply to them.",
    "k-anonymity and l-diversity are evidence, not proof, of anonymity under Art. 2(1.15).",
    "This report is not legal advice.",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Facts {
        Facts {
            verified: Some(true),
            models: vec![("k-anonymity", Some(5.0), Some(7.0))],
            key_discarded: true,
            ..Facts::default()
        }
    }

    #[test]
    fn anonymised_needs_a_met_model_and_nothing_linkable() {
        let v = judge(&base());
        assert_eq!(v.outcome, ANONYMISED, "{v:?}");
        let mut f = base();
        f.models.clear();
        assert_eq!(judge(&f).outcome, NOT_FIT);
        let mut f = base();
        f.models = vec![("k-anonymity", Some(5.0), Some(3.0))];
        assert_eq!(judge(&f).outcome, NOT_FIT);
        let mut f = base();
        f.verified = None;
        assert_eq!(judge(&f).outcome, NOT_FIT);
    }

    #[test]
    fn an_aggregate_table_is_anonymised_only_when_its_audit_passes() {
        let clean = AggregateFacts {
            threshold: 5,
            cells: 1368,
            primary: 4,
            secondary: 4,
            ..AggregateFacts::default()
        };
        let f = Facts {
            verified: Some(true),
            aggregate: Some(clean.clone()),
            ..Facts::default()
        };
        let v = judge(&f);
        assert_eq!(v.outcome, ANONYMISED, "{v:?}");
        assert!(
            v.reasons
                .iter()
                .any(|r| r.contains("1368 cells, 4 suppressed below 5, 4 more"))
        );
        for broken in [
            AggregateFacts {
                below_threshold: 1,
                ..clean.clone()
            },
            AggregateFacts {
                lone_suppressed_lines: 2,
                ..clean.clone()
            },
        ] {
            let v = judge(&Facts {
                aggregate: Some(broken),
                ..f.clone()
            });
            assert_eq!(v.outcome, NOT_FIT);
            assert!(
                v.reasons[0].contains("threshold rule audit failed"),
                "{v:?}"
            );
        }
        // An aggregate-looking table a research release does not declare.
        let mut f = base();
        f.undeclared_aggregate = Some("it looks like an aggregate table".into());
        let v = judge(&f);
        assert_eq!(v.outcome, NOT_FIT);
        assert!(v.reasons[0].contains("aggregate"));
    }

    #[test]
    fn keyed_reversible_and_record_keys_are_still_personal_data() {
        let mut f = base();
        f.reversible = vec!["nr_personal".into()];
        let v = judge(&f);
        assert_eq!(v.outcome, PSEUDONYMISED);
        assert!(
            v.reasons
                .iter()
                .any(|r| r.contains("fpe") && r.contains("nr_personal"))
        );
        let mut f = base();
        f.keyed = vec![("nr".into(), "pseudonymise".into())];
        f.key_discarded = false;
        assert_eq!(judge(&f).outcome, PSEUDONYMISED);
        f.key_discarded = true;
        assert_eq!(judge(&f).outcome, ANONYMISED);
        f.linked_with = vec!["other.parquet".into()];
        assert_eq!(judge(&f).outcome, NOT_FIT);
        let mut f = base();
        f.record_keys = vec![("employee_id".into(), "unique in 300 of 300 rows".into())];
        let v = judge(&f);
        assert_eq!(v.outcome, PSEUDONYMISED);
        assert!(v.reasons[0].contains("employee_id"));
    }
}
