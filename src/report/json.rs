//! The `anonkos.scan/v1` JSON rendering (contract: DESIGN.md §4).
//!
//! Keys: `schema`, `tool{name,version}`, `generated_at`, `datasets[]` with `source`, `table`,
//! `format`, `rows_scanned`, `rows_total`, `columns[]` with `name`, `category`, `role`,
//! `special_category`, `confidence`, `evidence[]`, `alternatives[]`, `entities{}`,
//! `examples[]` (masked). Added keys (allowed by the contract): `mode`, `patterns`, and per
//! dataset `status`, `error`, `rows_total_estimated`, `sampled`, `notes`; per column
//! `data_type`, `nested`; `hidden: true` on hidden workbook sheets and columns (absent
//! otherwise).
use super::ScanReport;

/// Pretty-printed JSON with a trailing newline.
pub fn render(report: &ScanReport) -> String {
    let mut s = serde_json::to_string_pretty(report)
        .unwrap_or_else(|e| format!("{{\"error\": \"could not serialise report: {e}\"}}"));
    s.push('\n');
    s
}
