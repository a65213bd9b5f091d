//! HTML rendering of the filing-system report: one self-contained file (inline CSS and SVG,
//! no script, no external asset) that works offline.
//!
//! Layout: a header with counts per severity; the findings table, each citation a link to
//! the quoted article in the appendix; one card per filing system (summary, an SVG bar
//! chart of the categories found, the Art. 17(1) catalogue, the datasets and columns);
//! linkage between filing systems; for runs, the Art. 9 verdict and risk and utility before
//! and after; the appendix with the text of every cited article.
//!
//! Stable hooks for tests and styling: `section#findings`, `tr.finding[data-code]`,
//! `article.card[data-fs]`, `svg.chart`, `section#links`, `section#runs`,
//! `section#appendix > article[id]`.
use std::fmt::Write;

use super::catalogue::ITEMS;
use super::filing::{FilingReport, FilingSystemEntry, Severity};
use super::filing_md::item_values;
use super::run::BeforeAfter;
use crate::detect::Role;

/// Escape text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// An id-safe slug.
fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

const CSS: &str = r#"
:root{--fg:#1d2733;--muted:#5b6b7c;--line:#d9e0e7;--bg:#f5f7fa;--card:#fff;
--critical:#7a0019;--high:#c0392b;--medium:#d68910;--low:#2e86c1;--info:#7f8c8d;
--direct:#c0392b;--quasi:#d68910;--sensitive:#8e44ad;--free:#16a085;--other:#95a5a6}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{background:#1f3a5f;color:#fff;padding:24px 32px}
header h1{margin:0 0 4px;font-size:24px}
header p{margin:0;opacity:.85}
main{max-width:1180px;margin:0 auto;padding:16px 24px 48px}
nav{margin:12px 0 0}
nav a{color:#fff;margin-right:14px;font-size:14px}
h2{margin:32px 0 12px;font-size:20px}
.badges span{display:inline-block;margin:8px 8px 0 0;padding:4px 10px;border-radius:12px;color:#fff;font-weight:600;font-size:13px}
.sev-critical{background:var(--critical)}.sev-high{background:var(--high)}.sev-medium{background:var(--medium)}
.sev-low{background:var(--low)}.sev-info{background:var(--info)}
table{border-collapse:collapse;width:100%;background:var(--card);font-size:14px}
th,td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}
th{background:#eef2f6;font-weight:600}
td.sev span{color:#fff;border-radius:10px;padding:2px 8px;font-size:12px;font-weight:600}
.cites a{display:inline-block;margin:0 6px 2px 0;white-space:nowrap}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin:16px 0;box-shadow:0 1px 2px rgba(0,0,0,.04)}
.card.draft{border:2px dashed var(--high)}
.card h3{margin:0 0 4px;font-size:18px}
.card .id{color:var(--muted);font-family:ui-monospace,monospace;font-size:13px}
.facts{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}
.fact{background:var(--bg);border-radius:6px;padding:8px 12px;min-width:150px}
.fact b{display:block;font-size:20px}
.fact small{color:var(--muted)}
.cols{display:grid;grid-template-columns:minmax(280px,1fr) minmax(320px,1.3fr);gap:20px}
@media (max-width:800px){.cols{grid-template-columns:1fr}}
details{margin:8px 0}
summary{cursor:pointer;font-weight:600}
.todo{color:var(--high);font-weight:600}
.legend span{display:inline-block;margin-right:12px;font-size:12px;color:var(--muted)}
.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}
blockquote{margin:8px 0;padding:8px 14px;border-left:4px solid #1f3a5f;background:var(--card);white-space:pre-wrap}
#appendix article{margin:18px 0}
.verdict-anonymised{color:#1e8449;font-weight:700}.verdict-not_fit{color:var(--high);font-weight:700}
.verdict-pseudonymised{color:var(--medium);font-weight:700}
footer{color:var(--muted);font-size:12px;margin-top:32px}
"#;

fn role_color(r: Role) -> &'static str {
    match r {
        Role::DirectIdentifier | Role::RecordKey | Role::Uncertain => "var(--direct)",
        Role::QuasiIdentifier => "var(--quasi)",
        Role::Sensitive => "var(--sensitive)",
        Role::FreeText => "var(--free)",
        Role::NotPersonal => "var(--other)",
    }
}

fn sev_count(r: &FilingReport, s: Severity) -> usize {
    r.findings.iter().filter(|f| f.severity == s).count()
}

/// Render as one self-contained HTML file.
pub fn render(r: &FilingReport) -> String {
    let mut h = String::new();
    header(&mut h, r);
    findings(&mut h, r);
    if let Some(d) = &r.drift {
        h.push_str(&super::drift::render_html(d));
    }
    filing_systems(&mut h, r);
    links(&mut h, r);
    runs(&mut h, r);
    appendix(&mut h, r);
    h
}

/// The document head, the title block and the navigation.
fn header(h: &mut String, r: &FilingReport) {
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Filing-system report — anonkos</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
    );
    let _ = write!(
        h,
        "<header><h1>Filing-system report</h1><p>Art. 17 of Law No. 03/L-172 · generated {} by anonkos {} · scan of {} datasets ({}) · catalogue <code>{}</code></p>",
        esc(&r.generated_at),
        esc(r.tool.version),
        r.scan.datasets,
        esc(r.scan.mode.as_deref().unwrap_or("unknown mode")),
        esc(&r.catalogue)
    );
    let _ = write!(h, "<p class=\"framing\">{}</p><nav>", esc(r.framing));
    h.push_str("<a href=\"#findings\">Findings</a>");
    if r.drift.is_some() {
        h.push_str("<a href=\"#drift\">Drift</a>");
    }
    for fs in &r.filing_systems {
        let _ = write!(
            h,
            "<a href=\"#fs-{}\">{}</a>",
            slug(&fs.id),
            esc(if fs.declared { &fs.title } else { &fs.id })
        );
    }
    if !r.links.is_empty() {
        h.push_str("<a href=\"#links\">Linkage</a>");
    }
    if !r.runs.is_empty() {
        h.push_str("<a href=\"#runs\">Runs</a>");
    }
    h.push_str("<a href=\"#appendix\">Articles</a></nav></header>\n<main>\n");
}

/// The findings: counts per severity, then one row each, most severe first.
fn findings(h: &mut String, r: &FilingReport) {
    h.push_str("<section id=\"findings\"><h2>Findings</h2><div class=\"badges\">");
    for s in [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ] {
        let n = sev_count(r, s);
        if n > 0 {
            let _ = write!(h, "<span class=\"sev-{0}\">{n} {0}</span>", s.name());
        }
    }
    h.push_str("</div>");
    if r.findings.is_empty() {
        h.push_str("<p>No findings.</p>");
    } else {
        h.push_str("<table class=\"findings\"><thead><tr><th>Severity</th><th>Filing system</th><th>Finding</th><th>What to do</th><th>Articles</th></tr></thead><tbody>\n");
        for f in &r.findings {
            let fs = f.filing_system.as_deref().unwrap_or("");
            let fs_cell = if fs.is_empty() {
                String::new()
            } else if r.filing_systems.iter().any(|x| x.id == fs) {
                format!("<a href=\"#fs-{}\">{}</a>", slug(fs), esc(fs))
            } else {
                esc(fs)
            };
            let _ = write!(
                h,
                "<tr class=\"finding\" data-code=\"{}\" data-severity=\"{}\"><td class=\"sev\"><span class=\"sev-{1}\">{1}</span></td><td>{}</td><td>{}",
                f.code,
                f.severity.name(),
                fs_cell,
                esc(&f.message)
            );
            if !f.columns.is_empty() {
                let _ = write!(
                    h,
                    "<details><summary>{} column(s)</summary>{}</details>",
                    f.columns.len(),
                    esc(&f.columns.join("; "))
                );
            }
            let _ = write!(h, "</td><td>{}</td><td class=\"cites\">", esc(&f.action));
            for c in &f.cites {
                let _ = write!(
                    h,
                    "<a href=\"#{}\" title=\"{}\">{}</a>",
                    c.anchor,
                    esc(&c.source()),
                    esc(&c.label())
                );
            }
            h.push_str("</td></tr>\n");
        }
        h.push_str("</tbody></table>");
    }
    h.push_str("</section>\n");
}

/// One card per filing system.
fn filing_systems(h: &mut String, r: &FilingReport) {
    h.push_str("<section id=\"filing-systems\"><h2>Filing systems</h2>\n");
    for fs in &r.filing_systems {
        card(h, fs, r);
    }
    h.push_str("</section>\n");
}

/// Pairs of filing systems sharing identifier values (estimates only).
fn links(h: &mut String, r: &FilingReport) {
    if !r.links.is_empty() {
        h.push_str("<section id=\"links\"><h2>Linkage through shared identifiers</h2><p>Estimated from bottom-k sketches of keyed hashes of the identifier values (no value is stored; the key existed only during the scan).</p><table><thead><tr><th>Filing system</th><th>Filing system</th><th>Identifier</th><th>Common values</th></tr></thead><tbody>");
        for l in &r.links {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}{}</td></tr>",
                esc(&l.a),
                esc(&l.b),
                l.category,
                if l.exact { "" } else { "≈ " },
                l.shared_estimate
            );
        }
        h.push_str("</tbody></table></section>\n");
    }
}

/// The run's outputs with their Art. 9 verdicts, risk and utility.
fn runs(h: &mut String, r: &FilingReport) {
    if !r.runs.is_empty() {
        h.push_str("<section id=\"runs\"><h2>Run outputs: anonymised, pseudonymised or not fit</h2>\n<ul class=\"caveats\">");
        for c in r.caveats {
            let _ = write!(h, "<li>{}</li>", esc(c));
        }
        h.push_str("</ul>\n");
        for o in &r.runs {
            let _ = write!(
                h,
                "<div class=\"card run\"><h3>{}</h3><p class=\"id\">{}{}</p><p>Art. 9: <span class=\"verdict-{}\">{}</span> — {}</p>",
                esc(&o.path),
                o.filing_system
                    .as_deref()
                    .map(|f| format!("filing system {} · ", esc(f)))
                    .unwrap_or_default(),
                o.sha256
                    .as_deref()
                    .map(|s| format!("sha256 {}", esc(s)))
                    .unwrap_or_default(),
                o.art9.verdict,
                o.art9.verdict.replace('_', " "),
                esc(&o.art9.reasons.join("; "))
            );
            for (name, ba) in [("Risk", &o.risk), ("Utility", &o.utility)] {
                if let Some(ba) = ba {
                    before_after(h, name, ba);
                }
            }
            h.push_str("</div>\n");
        }
        h.push_str("</section>\n");
    }
}

/// The quoted text of every cited article, and the end of the document.
fn appendix(h: &mut String, r: &FilingReport) {
    h.push_str("<section id=\"appendix\"><h2>Cited articles</h2><p>Quoted from the English text of Law No. 03/L-172 and the March 2022 overview of 06/L-082 (a secondary source whose wording is not the law's) kept with the project.</p>\n");
    for a in &r.articles {
        let _ = writeln!(
            h,
            "<article id=\"{}\"><h3>{}</h3><blockquote>{}</blockquote></article>",
            a.id,
            esc(a.title),
            esc(a.text)
        );
    }
    h.push_str("</section>\n<footer>Made by anonkos. Examples and values are never shown: the report holds categories, counts and estimates only.</footer>\n</main>\n</body>\n</html>\n");
}

fn card(h: &mut String, fs: &FilingSystemEntry, r: &FilingReport) {
    let n_findings = r
        .findings
        .iter()
        .filter(|f| f.filing_system.as_deref() == Some(fs.id.as_str()))
        .count();
    let _ = write!(
        h,
        "<article class=\"card{}\" id=\"fs-{}\" data-fs=\"{}\"><h3>{}</h3><div class=\"id\">{}{}</div>",
        if fs.declared { "" } else { " draft" },
        slug(&fs.id),
        esc(&fs.id),
        esc(&fs.title),
        esc(&fs.id),
        if fs.declared {
            ""
        } else {
            " · DRAFT catalogue entry generated from the scan"
        }
    );
    let rows: u64 = fs
        .datasets
        .iter()
        .map(|d| d.rows_total.unwrap_or(d.rows_scanned))
        .sum();
    let _ = write!(
        h,
        "<div class=\"facts\"><div class=\"fact\"><b>{}</b><small>data subjects (estimated)</small></div><div class=\"fact\"><b>{}</b><small>datasets · {} rows</small></div><div class=\"fact\"><b>{}</b><small>special categories</small></div><div class=\"fact\"><b>{}</b><small>findings</small></div></div>",
        fs.subjects_estimate
            .map(|n| n.to_string())
            .unwrap_or_else(|| "—".into()),
        fs.datasets.len(),
        rows,
        fs.special_categories.len(),
        n_findings
    );
    if !fs.registration_triggers.is_empty() || !fs.dpia_triggers.is_empty() {
        h.push_str("<ul>");
        for t in &fs.registration_triggers {
            let _ = write!(
                h,
                "<li>Registration condition listed by the overview (a secondary source): {} (<a href=\"#l082-registration\">06/L-082 overview §7.1</a>)</li>",
                esc(t)
            );
        }
        for t in &fs.dpia_triggers {
            let _ = write!(
                h,
                "<li>Impact-assessment trigger: {} (<a href=\"#l082-dpia\">06/L-082 overview §7.4</a>)</li>",
                esc(t)
            );
        }
        h.push_str("</ul>");
    }
    h.push_str("<div class=\"cols\"><div><h4>Categories found</h4>");
    chart(h, fs);
    h.push_str("</div><div><h4>Catalogue (Art. 17(1))</h4><table class=\"catalogue\"><tbody>");
    for ((n, _, what), v) in ITEMS.iter().zip(item_values(&fs.catalogue)) {
        let cls = if v.contains(super::filing::TO_COMPLETE) {
            " class=\"todo\""
        } else {
            ""
        };
        let _ = write!(
            h,
            "<tr><th>{n}</th><td><small>{}</small><br><span{cls}>{}</span></td></tr>",
            esc(what),
            esc(&v)
        );
    }
    h.push_str("</tbody></table></div></div>");
    for d in &fs.datasets {
        let _ = write!(
            h,
            "<details class=\"dataset\"><summary>{} — {} columns, {} rows scanned{}</summary><table><thead><tr><th>Column</th><th>Category</th><th>Role</th><th>Confidence</th><th>Distinct (est.)</th></tr></thead><tbody>",
            esc(&d.label),
            d.columns.len(),
            d.rows_scanned,
            d.matched_by
                .as_deref()
                .map(|m| format!(" · matched by {}", esc(m)))
                .unwrap_or_default()
        );
        for c in &d.columns {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}{}</td><td>{}</td><td>{:.2}</td><td>{}</td></tr>",
                esc(&c.name),
                c.category,
                if c.special_category {
                    " <b>(special)</b>"
                } else {
                    ""
                },
                c.role.name(),
                c.confidence,
                c.distinct_estimate
                    .map(|n| n.to_string())
                    .unwrap_or_default()
            );
        }
        h.push_str("</tbody></table></details>");
    }
    h.push_str("</article>\n");
}

/// Horizontal bar chart: columns per category, coloured by role.
fn chart(h: &mut String, fs: &FilingSystemEntry) {
    let cats: Vec<_> = fs.categories_found.iter().collect();
    if cats.is_empty() {
        h.push_str("<p>No category found.</p>");
        return;
    }
    let max = cats.iter().map(|(_, n)| **n).max().unwrap_or(1).max(1);
    let bar_h = 20;
    let height = cats.len() * (bar_h + 6) + 8;
    let (label_w, bar_w) = (190.0, 220.0);
    let _ = write!(
        h,
        "<svg class=\"chart\" role=\"img\" aria-label=\"Columns per category in {}\" xmlns=\"http://www.w3.org/2000/svg\" width=\"460\" height=\"{height}\" viewBox=\"0 0 460 {height}\">",
        esc(&fs.id)
    );
    for (i, (cat, n)) in cats.iter().enumerate() {
        let y = 4 + i * (bar_h + 6);
        let w = (**n as f64 / max as f64) * bar_w;
        let _ = write!(
            h,
            "<text x=\"{x}\" y=\"{ty}\" text-anchor=\"end\" font-size=\"12\" fill=\"#1d2733\">{name}</text><rect x=\"{bx}\" y=\"{y}\" width=\"{w:.1}\" height=\"{bar_h}\" rx=\"3\" fill=\"{color}\"><title>{name}: {n} column(s)</title></rect><text x=\"{tx:.1}\" y=\"{ty}\" font-size=\"12\" fill=\"#1d2733\">{n}</text>",
            x = label_w - 6.0,
            ty = y + 14,
            name = cat.name(),
            bx = label_w,
            color = role_color(cat.role()),
            tx = label_w + w + 6.0,
        );
    }
    h.push_str("</svg><div class=\"legend\">");
    for (label, role) in [
        (
            "direct identifier, record key or uncertain",
            Role::DirectIdentifier,
        ),
        ("quasi-identifier", Role::QuasiIdentifier),
        ("special category", Role::Sensitive),
        ("free text", Role::FreeText),
        ("not personal", Role::NotPersonal),
    ] {
        let _ = write!(
            h,
            "<span><i style=\"background:{}\"></i>{label}</span>",
            role_color(role)
        );
    }
    h.push_str("</div>");
}

/// A before/after table with paired bars.
fn before_after(h: &mut String, name: &str, ba: &BeforeAfter) {
    let mut keys: Vec<&String> = ba.before.keys().chain(ba.after.keys()).collect();
    keys.sort();
    keys.dedup();
    if keys.is_empty() {
        return;
    }
    let _ = write!(
        h,
        "<table class=\"before-after\" data-kind=\"{}\"><thead><tr><th>{name}</th><th>Before</th><th>After</th><th></th></tr></thead><tbody>",
        name.to_lowercase()
    );
    for k in keys {
        let b = ba.before.get(k).copied();
        let a = ba.after.get(k).copied();
        let max = b
            .unwrap_or(0.0)
            .abs()
            .max(a.unwrap_or(0.0).abs())
            .max(f64::MIN_POSITIVE);
        let bw = b.map_or(0.0, |v| v.abs() / max * 120.0);
        let aw = a.map_or(0.0, |v| v.abs() / max * 120.0);
        let fmt = |v: Option<f64>| v.map(|v| format!("{v:.3}")).unwrap_or_else(|| "—".into());
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td><svg class=\"ba\" xmlns=\"http://www.w3.org/2000/svg\" width=\"130\" height=\"22\" viewBox=\"0 0 130 22\"><rect x=\"0\" y=\"1\" width=\"{bw:.1}\" height=\"9\" fill=\"#95a5a6\"><title>before</title></rect><rect x=\"0\" y=\"12\" width=\"{aw:.1}\" height=\"9\" fill=\"#1f3a5f\"><title>after</title></rect></svg></td></tr>",
            esc(k),
            fmt(b),
            fmt(a)
        );
    }
    h.push_str("</tbody></table>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(slug("draft:sample-data/x.csv"), "draft-sample-data-x-csv");
    }
}
