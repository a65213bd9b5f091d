//! Markdown rendering for people: one section per dataset, one table row per column.
use std::fmt::Write;

use super::{ScanReport, evidence_summary};

/// Text from the data in a table cell or heading: HTML and Markdown structure escaped.
fn cell(s: &str) -> String {
    super::escape::markdown(s)
}

/// Render the report as Markdown.
pub fn render(r: &ScanReport) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# anonkos scan report\n");
    let _ = writeln!(
        o,
        "Generated {} by anonkos {} ({} mode, patterns: {}).\n",
        r.generated_at, r.tool.version, r.mode, r.patterns
    );
    let personal: usize = r
        .datasets
        .iter()
        .flat_map(|d| &d.columns)
        .filter(|c| c.role.name() != "not_personal")
        .count();
    let special: usize = r
        .datasets
        .iter()
        .flat_map(|d| &d.columns)
        .filter(|c| c.special_category)
        .count();
    let _ = writeln!(
        o,
        "{} datasets, {} columns with personal data, {} with special categories (Art. 2(1.16) of Law 03/L-172).\n",
        r.datasets.len(),
        personal,
        special
    );
    for d in &r.datasets {
        let title = match &d.table {
            Some(t) => format!("{} — {}", d.source, t),
            None => d.source.clone(),
        };
        let hidden = if d.hidden { " (hidden sheet)" } else { "" };
        let _ = writeln!(o, "## {}{hidden}\n", cell(&title));
        if let Some(e) = &d.error {
            let _ = writeln!(o, "**FAILED:** {}\n", cell(e));
        }
        let total = match (d.rows_total, d.rows_total_estimated) {
            (Some(n), true) => format!("about {n}"),
            (Some(n), false) => n.to_string(),
            (None, _) => "unknown".into(),
        };
        let _ = writeln!(
            o,
            "Format {}, {} rows scanned of {}{}{}.",
            d.format.unwrap_or("unknown"),
            d.rows_scanned,
            total,
            if d.sampled { " (sample)" } else { "" },
            if d.reused {
                "; reused: unchanged since the incremental state, not read again"
            } else {
                ""
            }
        );
        if !d.notes.is_empty() {
            let _ = writeln!(o, "Read with: {}.", cell(&d.notes.join("; ")));
        }
        let _ = writeln!(o);
        if d.columns.is_empty() {
            continue;
        }
        let _ = writeln!(
            o,
            "| column | category | role | confidence | evidence | examples |"
        );
        let _ = writeln!(o, "|---|---|---|---:|---|---|");
        for c in &d.columns {
            let special = if c.special_category { " ⚠" } else { "" };
            let _ = writeln!(
                o,
                "| {} | {}{} | {} | {:.2} | {} | {} |",
                cell(&if c.hidden {
                    format!("{} (hidden)", c.name)
                } else {
                    c.name.clone()
                }),
                c.category,
                special,
                c.role.name(),
                c.confidence,
                cell(&evidence_summary(c)),
                cell(&c.examples.join(", "))
            );
        }
        let _ = writeln!(o);
    }
    if let Some(d) = &r.drift {
        o.push_str(&super::drift::render_md(d));
    }
    o
}
