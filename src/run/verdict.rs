//! The facts a release verdict rests on, gathered from a finished run: the plan's actions per
//! column, the key's fate, record keys (declared in the source, or unique in the re-scan) and
//! tokens that join outputs. [`crate::report::verdict::judge`] decides from them.
use super::{DatasetScan, KeySource, report, verify};

/// Whether a finding's table (full or short name) is the output's.
pub(super) fn same_table(found: Option<&str>, short: Option<&str>) -> bool {
    let last = |t: &str| t.rsplit('.').next().unwrap_or(t).to_string();
    short.is_none() || found.map(last) == short.map(last)
}

/// The measured facts the release verdict of output `o` rests on.
pub(super) fn facts(
    o: &report::OutputResult,
    plan: &crate::plan::Plan,
    scans: &[DatasetScan],
    (verified, remaining): (bool, Vec<String>),
    record_keys: Vec<(String, String)>,
    key_source: KeySource,
) -> crate::report::verdict::Facts {
    let mut f = crate::report::verdict::Facts {
        verified: Some(verified),
        remaining_direct: remaining,
        key_discarded: key_source == KeySource::Ephemeral,
        record_keys,
        ..Default::default()
    };
    if let Some(p) = &o.privacy {
        f.models.push((
            "k-anonymity",
            Some(p.k_target as f64),
            Some(p.k_achieved as f64),
        ));
        if let Some(l) = p.l_target {
            f.models.push((
                "l-diversity",
                Some(l as f64),
                p.l_achieved.map(|a| a as f64),
            ));
        }
    }
    let dp = plan
        .datasets
        .iter()
        .find(|d| d.source == o.input && d.table == o.table);
    let scan = scans
        .iter()
        .find(|s| s.source == o.input && s.table == o.table);
    for c in dp.map(|d| d.columns.as_slice()).unwrap_or_default() {
        match &c.spec {
            crate::transform::ActionSpec::Fpe { .. } => f.reversible.push(c.name.clone()),
            s if keyed_token(s) => f.keyed.push((c.name.clone(), c.action.clone())),
            crate::transform::ActionSpec::Keep {} => {
                let declared = scan
                    .and_then(|s| s.columns.iter().find(|x| x.name == c.name))
                    .map(|x| &x.keys)
                    .filter(|k| k.primary || k.unique);
                if let Some(k) = declared
                    && !f.record_keys.iter().any(|(n, _)| *n == c.name)
                {
                    let kind = if k.primary {
                        "primary key"
                    } else {
                        "unique key"
                    };
                    f.record_keys.push((
                        c.name.clone(),
                        format!("declared {kind} of the source table"),
                    ));
                }
            }
            _ => {}
        }
    }
    f
}

/// Judge every output of the run from the re-scan `v`, the plan and the scans.
pub(super) fn judge_outputs(
    outputs: &mut [report::OutputResult],
    v: &verify::Verification,
    (plan, scans): (&crate::plan::Plan, &[DatasetScan]),
    key_source: KeySource,
    pipeline: &crate::config::pipeline::Pipeline,
    out_dir: &std::path::Path,
) {
    let linked = linked_outputs(outputs, plan, key_source, pipeline.key.link_tables);
    for o in outputs.iter_mut() {
        let full = out_dir.join(&o.path).display().to_string();
        let short = o
            .table
            .as_deref()
            .map(|t| t.rsplit('.').next().unwrap_or(t).to_string());
        let mine: Vec<&verify::Finding> = v
            .findings
            .iter()
            .filter(|f| {
                f.output == full
                    && (short.is_none()
                        || f.table
                            .as_deref()
                            .map(|t| t.rsplit('.').next().unwrap_or(t).to_string())
                            == short)
            })
            .collect();
        let remaining: Vec<String> = mine
            .iter()
            .filter(|f| f.reason.contains("direct identifier"))
            .map(|f| f.column.clone())
            .collect();
        let keys_of_mine: Vec<(String, String)> = v
            .record_keys
            .iter()
            .filter(|f| f.output == full && same_table(f.table.as_deref(), short.as_deref()))
            .map(|f| (f.column.clone(), f.reason.clone()))
            .collect();
        let mut facts = facts(
            o,
            plan,
            scans,
            (mine.is_empty(), remaining.clone()),
            keys_of_mine,
            key_source,
        );
        super::aggregate::add_facts(&mut facts, o, pipeline, scans);
        if linked.contains(&o.path) {
            facts.linked_with = linked.iter().filter(|p| **p != o.path).cloned().collect();
        }
        o.verdict = Some(crate::report::verdict::judge(&facts));
        if let (Some(p), Some(verdict)) = (o.privacy.as_mut(), &o.verdict) {
            p.verdict = verdict.outcome.clone();
        }
        o.verification = Some(report::OutputVerification {
            passed: mine.is_empty(),
            remaining_direct_identifiers: mine
                .iter()
                .filter(|f| f.reason.contains("direct identifier"))
                .map(|f| f.column.clone())
                .collect(),
        });
    }
}

/// Outputs whose keyed tokens join them to each other: with an ephemeral key only when the
/// pipeline shares it across tables (`link_tables`); a kept key makes them pseudonymised
/// anyway.
pub(super) fn linked_outputs(
    outputs: &[report::OutputResult],
    plan: &crate::plan::Plan,
    key_source: KeySource,
    link_tables: bool,
) -> Vec<String> {
    if key_source != KeySource::Ephemeral || !link_tables {
        return Vec::new();
    }
    let linked: Vec<String> = outputs
        .iter()
        .filter(|o| {
            plan.datasets
                .iter()
                .filter(|d| d.source == o.input && d.table == o.table)
                .flat_map(|d| &d.columns)
                .any(|c| keyed_token(&c.spec))
        })
        .map(|o| o.path.clone())
        .collect();
    if linked.len() < 2 { Vec::new() } else { linked }
}

/// A keyed action whose output the key holder can link but not reverse (tokens, shifts,
/// noise); `fpe`, reversible, is counted apart.
fn keyed_token(spec: &crate::transform::ActionSpec) -> bool {
    spec.needs_key() && !matches!(spec, crate::transform::ActionSpec::Fpe { .. })
}
