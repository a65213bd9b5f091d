//! Markdown rendering of the filing-system report.
use std::fmt::Write;

use super::catalogue::ITEMS;
use super::filing::{CatalogueItems, FilingReport};

/// Text in a table cell, heading or paragraph: HTML and Markdown structure escaped.
fn esc(s: &str) -> String {
    super::escape::markdown(s)
}

/// A name as a code span, or as escaped text when it holds a backtick, an HTML
/// metacharacter or a character that [`super::escape::visible`] rewrites (a code span shows
/// its content raw, and not every Markdown renderer keeps HTML out of code spans).
fn code(s: &str) -> String {
    if s.contains(['`', '<', '>', '&']) || super::escape::visible(s) != s {
        esc(s)
    } else {
        format!("`{s}`")
    }
}

fn list(v: &[String]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// The items of Art. 17(1), in order, as text.
pub fn item_values(c: &CatalogueItems) -> [String; 12] {
    let ctl = &c.controller;
    let mut controller = ctl.name.clone();
    for (k, v) in [
        ("representative", &ctl.representative),
        ("address", &ctl.address),
        ("phone", &ctl.phone),
        ("e-mail", &ctl.email),
        ("reg. no.", &ctl.registration_number),
    ] {
        if let Some(v) = v {
            let _ = write!(controller, "; {k}: {v}");
        }
    }
    [
        c.title.clone(),
        controller,
        c.legal_basis.clone(),
        list(&c.data_subjects),
        list(&c.personal_data),
        c.purpose.clone(),
        c.retention.clone(),
        c.restrictions.clone(),
        list(&c.recipients),
        c.transfers_abroad.clone(),
        c.security_measures.clone(),
        list(&c.linked_filing_systems),
    ]
}

/// Render as Markdown.
pub fn render(r: &FilingReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Filing-system report (Art. 17 of Law No. 03/L-172)\n");
    let _ = writeln!(
        s,
        "Generated {} by anonkos {} from a scan of {} datasets ({}) and the catalogue {}.\n",
        r.generated_at,
        r.tool.version,
        r.scan.datasets,
        r.scan.mode.as_deref().unwrap_or("unknown mode"),
        code(&r.catalogue)
    );
    let _ = writeln!(s, "> {}\n", r.framing);
    let _ = writeln!(s, "## Findings\n");
    if r.findings.is_empty() {
        let _ = writeln!(s, "No findings.\n");
    } else {
        let _ = writeln!(
            s,
            "| severity | filing system | finding | action | articles |"
        );
        let _ = writeln!(s, "| --- | --- | --- | --- | --- |");
        for f in &r.findings {
            let cites: Vec<String> = f.cites.iter().map(|c| c.label()).collect();
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} |",
                f.severity.name(),
                esc(f.filing_system.as_deref().unwrap_or("")),
                esc(&f.message),
                esc(&f.action),
                esc(&cites.join("; "))
            );
        }
        s.push('\n');
    }
    if let Some(d) = &r.drift {
        s.push_str(&super::drift::render_md(d));
    }
    for fs in &r.filing_systems {
        let _ = writeln!(
            s,
            "## {} {}{}\n",
            esc(&fs.title),
            code(&fs.id),
            if fs.declared {
                ""
            } else {
                " (DRAFT catalogue entry)"
            }
        );
        let _ = writeln!(
            s,
            "- data subjects (estimated from distinct identifiers): {}",
            fs.subjects_estimate
                .map(|n| n.to_string())
                .unwrap_or_else(|| "unknown (no identifier column)".into())
        );
        let _ = writeln!(
            s,
            "- special categories: {}",
            if fs.special_categories.is_empty() {
                "none".into()
            } else {
                fs.special_categories
                    .iter()
                    .map(|c| c.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        );
        let _ = writeln!(
            s,
            "- registration conditions of the 06/L-082 overview §7.1 (a secondary source; Art. 18(1) of 03/L-172 requires notifying every filing system): {}",
            list(&fs.registration_triggers)
        );
        let _ = writeln!(
            s,
            "- impact-assessment triggers (06/L-082 overview §7.4): {}\n",
            list(&fs.dpia_triggers)
        );
        let _ = writeln!(s, "| Art. 17(1) item | value |\n| --- | --- |");
        for ((n, _, what), v) in ITEMS.iter().zip(item_values(&fs.catalogue)) {
            let _ = writeln!(s, "| {n} {what} | {} |", esc(&v));
        }
        s.push('\n');
        for d in &fs.datasets {
            let _ = writeln!(
                s,
                "### {}{}\n",
                code(&d.label),
                d.matched_by
                    .as_ref()
                    .map(|m| format!(" (matched by {})", code(m)))
                    .unwrap_or_default()
            );
            let _ = writeln!(
                s,
                "| column | category | role | confidence |\n| --- | --- | --- | --- |"
            );
            for c in &d.columns {
                let _ = writeln!(
                    s,
                    "| {} | {}{} | {} | {:.2} |",
                    esc(&c.name),
                    c.category.name(),
                    if c.special_category { " (special)" } else { "" },
                    c.role.name(),
                    c.confidence
                );
            }
            s.push('\n');
        }
    }
    if !r.runs.is_empty() {
        let _ = writeln!(s, "## Run outputs (Art. 9)\n");
        for c in r.caveats {
            let _ = writeln!(s, "- {c}");
        }
        s.push('\n');
        let _ = writeln!(
            s,
            "| output | filing system | Art. 9 | reasons |\n| --- | --- | --- | --- |"
        );
        for o in &r.runs {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} |",
                esc(&o.path),
                esc(o.filing_system.as_deref().unwrap_or("")),
                o.art9.verdict,
                esc(&o.art9.reasons.join("; "))
            );
        }
        s.push('\n');
    }
    let _ = writeln!(s, "## Cited articles\n");
    for a in &r.articles {
        let _ = writeln!(s, "### {}\n", a.title);
        for line in a.text.lines() {
            let _ = writeln!(s, "> {line}");
        }
        s.push('\n');
    }
    s
}
