//! The terminal table: one block per dataset, aligned columns, no colours (pipes stay clean).
use std::fmt::Write;

use super::escape::visible;
use super::{ScanReport, evidence_summary};

fn width(s: &str) -> usize {
    s.chars().count()
}

fn pad(s: &str, w: usize) -> String {
    let mut out = s.to_string();
    out.extend(std::iter::repeat_n(' ', w.saturating_sub(width(s))));
    out
}

fn clip(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Render the report as an aligned text table. Names, messages and evidence come from the data:
/// each goes through [`visible`], so no control character reaches the terminal.
pub fn render(r: &ScanReport) -> String {
    let mut o = String::new();
    for d in &r.datasets {
        let name = match &d.table {
            Some(t) => format!("{} [{}]", visible(&d.source), visible(t)),
            None => visible(&d.source).into_owned(),
        };
        let rows = match d.rows_total {
            Some(t) if d.rows_total_estimated => format!("{} of ~{} rows", d.rows_scanned, t),
            Some(t) => format!("{} of {} rows", d.rows_scanned, t),
            None => format!("{} rows", d.rows_scanned),
        };
        let hidden = if d.hidden { ", hidden sheet" } else { "" };
        let reused = if d.reused {
            ", reused: unchanged since the state"
        } else {
            ""
        };
        let _ = writeln!(
            o,
            "{name}  ({}, {rows}{hidden}{reused})",
            d.format.unwrap_or("?")
        );
        if let Some(e) = &d.error {
            let _ = writeln!(o, "  FAILED: {}", visible(e));
        }
        let header = ["column", "category", "role", "conf", "evidence", "example"];
        let rows: Vec<[String; 6]> = d
            .columns
            .iter()
            .map(|c| {
                [
                    clip(
                        &if c.hidden {
                            format!("{} (hidden)", visible(&c.name))
                        } else {
                            visible(&c.name).into_owned()
                        },
                        28,
                    ),
                    format!(
                        "{}{}",
                        c.category,
                        if c.special_category { " (special)" } else { "" }
                    ),
                    c.role.name().to_string(),
                    format!("{:.2}", c.confidence),
                    clip(&visible(&evidence_summary(c)), 60),
                    visible(c.examples.first().map_or("", String::as_str)).into_owned(),
                ]
            })
            .collect();
        let mut w = header.map(width);
        for r in &rows {
            for (i, c) in r.iter().enumerate() {
                w[i] = w[i].max(width(c));
            }
        }
        if !rows.is_empty() {
            let line: Vec<String> = header
                .iter()
                .enumerate()
                .map(|(i, h)| pad(h, w[i]))
                .collect();
            let _ = writeln!(o, "  {}", line.join("  ").trim_end());
            for r in &rows {
                let line: Vec<String> = r.iter().enumerate().map(|(i, c)| pad(c, w[i])).collect();
                let _ = writeln!(o, "  {}", line.join("  ").trim_end());
            }
        }
        let _ = writeln!(o);
    }
    if let Some(i) = &r.incremental {
        let _ = writeln!(
            o,
            "Incremental scan ({}): {} dataset(s) read, {} reused; {} rows read, {} bytes read for fingerprints.",
            visible(&i.state),
            i.datasets_read,
            i.datasets_reused,
            i.rows_read,
            i.fingerprint_bytes
        );
    }
    if let Some(d) = &r.drift {
        o.push_str(&super::drift::render_text(d));
    }
    o
}
