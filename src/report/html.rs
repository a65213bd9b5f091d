//! HTML rendering of the filing-system report (placeholder until the full renderer lands).
use super::filing::FilingReport;

/// Render as one self-contained HTML file.
pub fn render(r: &FilingReport) -> String {
    format!(
        "<!doctype html><html><body><pre>{}</pre></body></html>\n",
        super::filing_md::render(r)
            .replace('&', "&amp;")
            .replace('<', "&lt;")
    )
}
