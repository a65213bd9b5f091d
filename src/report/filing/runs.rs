//! The run's outputs in the filing report: each output's Art. 9 verdict, mapped to the filing
//! system of its input.
//!
//! In: a run report (`anonkos.run/v1`) and the catalogue. Out: the report's [`RunEntry`]s and
//! the findings `art9_anonymised`, `art9_pseudonymised`, `art9_not_fit` (one per output) and
//! `disclosure_unrecorded`.
use super::model::{Finding, RunEntry, Severity};
use super::{ART9_3, ART9_4, ART13};
use crate::report::catalogue::Catalogue;
use crate::report::law::l172;
use crate::report::run::{Art9Assessment, RunOutput, RunReport};

/// One entry and one Art. 9 finding per output, then `disclosure_unrecorded`.
pub(super) fn run_entries(
    cat: &Catalogue,
    run: Option<&RunReport>,
    findings: &mut Vec<Finding>,
) -> Vec<RunEntry> {
    let mut runs = Vec::new();
    if let Some(r) = run {
        for o in &r.outputs {
            let fs = o.input.as_deref().and_then(|inp| {
                cat.filing_systems
                    .iter()
                    .find(|f| f.matches(inp, o.table.as_deref()))
                    .map(|f| f.id.clone())
            });
            let art9 = o.art9();
            findings.push(art9_finding(o, fs.clone(), &art9));
            runs.push(RunEntry {
                path: o.path.clone(),
                sha256: o.sha256.clone(),
                input: o.input.clone(),
                filing_system: fs,
                rows: o.rows,
                art9,
                privacy: o.privacy.clone(),
                risk: o.risk.clone(),
                utility: o.utility.clone(),
            });
        }
        if let Some(f) = disclosure_finding(r) {
            findings.push(f);
        }
    }
    runs
}

/// `art9_anonymised`, `art9_pseudonymised` or `art9_not_fit`: the verdict on one output, with
/// the duties that follow from it (Art. 9, 13).
fn art9_finding(o: &RunOutput, fs: Option<String>, art9: &Art9Assessment) -> Finding {
    let (code, severity) = match art9.verdict {
        "anonymised" => ("art9_anonymised", Severity::Info),
        "pseudonymised" => ("art9_pseudonymised", Severity::Medium),
        _ => ("art9_not_fit", Severity::High),
    };
    Finding {
        code,
        severity,
        filing_system: fs,
        datasets: vec![o.path.clone()],
        columns: o
            .verification
            .as_ref()
            .map(|v| v.remaining_direct_identifiers.clone())
            .unwrap_or_default(),
        categories: vec![],
        message: format!(
            "output {} is {}: {}",
            o.path,
            match art9.verdict {
                "anonymised" => "anonymised (the technical checks of Art. 2(1.15) are met)",
                "pseudonymised" => "pseudonymised and still personal data, not anonymised",
                _ => "NOT fit for release as anonymised data",
            },
            art9.reasons.join("; ")
        ),
        action: match art9.verdict {
            "anonymised" => {
                format!("keep the run report and the processing log with the release; {ART9_4}")
            }
            "pseudonymised" => format!(
                "share it only as personal data: for statistical or research reuse a non-anonymised disclosure needs a provision of law or the data subjects' prior written consent (Art. 9(2)); {ART9_3}; {ART9_4}; {ART13}; for Art. 9 reuse prefer a release without keyed, reversible or record-key columns"
            ),
            _ => format!(
                "do not release: change the pipeline and run it again; if personal data are nonetheless disclosed under Art. 9(2), {ART9_3}; {ART9_4}; {ART13}"
            ),
        },
        cites: {
            let mut c = vec![
                l172("Art. 9(2)", "art-9"),
                l172("Art. 2(1.15)", "art-2"),
                l172("Art. 9(4)", "art-9"),
            ];
            if art9.verdict != "anonymised" {
                c.push(l172("Art. 9(3)", "art-9"));
                c.push(l172("Art. 13(3)", "art-13"));
                c.push(l172("Art. 13(4)", "art-13"));
            }
            c
        },
    }
}

/// Art. 12(3): a run whose outputs are still personal data (or a research release) must
/// register to whom, when and on what legal basis they went; the run report carries that as
/// `disclosure` when the pipeline names it.
fn disclosure_finding(r: &RunReport) -> Option<Finding> {
    if r.disclosure.is_some() || r.outputs.is_empty() {
        return None;
    }
    let personal: Vec<String> = r
        .outputs
        .iter()
        .filter(|o| o.privacy.is_some() || o.art9().verdict != crate::report::verdict::ANONYMISED)
        .map(|o| o.path.clone())
        .collect();
    if personal.is_empty() {
        return None;
    }
    Some(Finding {
        code: "disclosure_unrecorded",
        severity: Severity::Medium,
        filing_system: None,
        datasets: personal,
        columns: vec![],
        categories: vec![],
        message: "the run's outputs are personal data or a research release, and the run report \
                  records no recipient or legal basis of their disclosure"
            .into(),
        action: "name the recipient and the legal basis in the pipeline's [disclosure] and run it \
                 again, so the run report and the processing log register which data went to \
                 whom, when and on what basis"
            .into(),
        cites: vec![l172("Art. 12(3)", "art-12")],
    })
}
