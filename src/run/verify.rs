//! `anonkos verify`: re-scan outputs with the same detectors and fail if personal data is
//! left that the run did not deliberately transform.
//!
//! With a manifest (the run report `anonkos-run.json` next to the outputs) a column passes
//! when the detectors find nothing personal in it, or when what they find is what the plan
//! made of it: pseudonym tokens or format-preserving ciphertext of an identifier, or a
//! special category the pipeline chose to keep by an explicit rule. Without a manifest every
//! direct identifier, every special category and every identifier embedded in free text fails.
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::detect::{Category, PatternSet, Role};
use crate::scan::Scanner;
use crate::source::ReadOptions;

/// One thing left in an output.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Output file.
    pub output: String,
    /// Table, for multi-table outputs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// Column.
    pub column: String,
    /// What the detectors found.
    pub category: String,
    /// Why it fails.
    pub reason: String,
}

/// The verification result.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    /// No findings and every output readable.
    pub passed: bool,
    /// Datasets checked.
    pub datasets_checked: usize,
    /// Columns checked.
    pub columns_checked: usize,
    /// Whether every cell was checked (`--full`) or a spread sample.
    pub full: bool,
    /// Whether a run manifest was used.
    pub manifest: bool,
    /// What is left.
    pub findings: Vec<Finding>,
    /// Kept columns that look like record keys of the source: unique in every row the re-scan
    /// read, under a name that says identifier (`id`, `*_id`, `nr`, `kod`, …). Not a failure of
    /// verification; the release verdict counts them as personal data.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub record_keys: Vec<Finding>,
}

/// Name tokens that mark a column as an identifier of records.
const KEY_TOKENS: &[&str] = &[
    "id", "key", "nr", "no", "code", "kod", "kodi", "br", "broj", "sifra", "šifra", "badge",
    "uuid", "guid", "ref",
];

/// Whether a kept column is a record key by its re-scan: at least 20 values, all distinct, and
/// a name made of identifier words.
fn looks_like_record_key(col: &crate::scan::ColumnScan) -> bool {
    col.non_empty >= 20
        && col.distinct >= col.non_empty
        && name_words(&col.name)
            .iter()
            .any(|w| KEY_TOKENS.contains(&w.as_str()))
}

/// The lower-cased words of a column name: `employeeId`, `employee_id` → `employee`, `id`.
fn name_words(name: &str) -> Vec<String> {
    let mut spaced = String::with_capacity(name.len() + 4);
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_uppercase() && prev_lower {
            spaced.push(' ');
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        spaced.extend(c.to_lowercase());
    }
    spaced
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect()
}

/// What the run planned for one output column.
#[derive(Debug, Clone, Default)]
struct Planned {
    /// The action.
    action: String,
    /// Chosen by a rule (not a default).
    by_rule: bool,
    /// The category the pipeline declared for it, which overrides the re-scan.
    declared: Option<crate::detect::Category>,
}

/// (output path relative to the out dir, table short name, column) → what was planned.
type Manifest = HashMap<(String, String, String), Planned>;

fn short(t: &str) -> String {
    t.rsplit('.').next().unwrap_or(t).to_string()
}

/// Read a manifest from a run report's JSON.
fn manifest_from_json(v: &serde_json::Value) -> Manifest {
    let mut m = Manifest::new();
    let plans = v["plan"]["datasets"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for d in v["outputs"].as_array().into_iter().flatten() {
        let output = d["path"].as_str().unwrap_or("").to_string();
        let table = d["table"].as_str().map(short).unwrap_or_default();
        let plan = plans
            .iter()
            .find(|p| p["source"] == d["input"] && p["table"] == d["table"]);
        // Indexed once per output: a lookup per column by a scan of the plan's columns cost
        // time in the square of the column count (16,384 columns: over a minute).
        let ruled: std::collections::HashMap<&str, (bool, Option<crate::detect::Category>)> = plan
            .and_then(|p| p["columns"].as_array())
            .into_iter()
            .flatten()
            .rev()
            .map(|pc| {
                let rule = pc.get("rule").is_some_and(|r| !r.is_null());
                let declared = pc
                    .get("declared")
                    .is_some_and(|d| !d.is_null())
                    .then(|| {
                        pc["category"]
                            .as_str()
                            .and_then(crate::detect::Category::from_name)
                    })
                    .flatten();
                (pc["name"].as_str().unwrap_or(""), (rule, declared))
            })
            .collect();
        for c in d["columns"].as_array().into_iter().flatten() {
            let name = c["name"].as_str().unwrap_or("").to_string();
            let (by_rule, declared) = ruled.get(name.as_str()).copied().unwrap_or((false, None));
            let planned = Planned {
                action: c["action"].as_str().unwrap_or("").to_string(),
                by_rule,
                declared,
            };
            // Single-table outputs (a table written as its own CSV or Parquet file) are found
            // by path alone: the file does not know the table it came from.
            m.entry((output.clone(), String::new(), name.clone()))
                .or_insert(planned.clone());
            m.insert((output.clone(), table.clone(), name), planned);
        }
    }
    m
}

/// Find `anonkos-run.json` in the output's directory or up to two levels above.
fn find_manifest(output: &Path) -> Option<(PathBuf, serde_json::Value)> {
    let mut dir = output.parent();
    for _ in 0..3 {
        let d = dir?;
        let p = d.join(super::REPORT_NAME);
        if p.is_file() {
            let f = std::fs::File::open(&p).ok()?;
            let v: serde_json::Value = serde_json::from_reader(std::io::BufReader::new(f)).ok()?;
            return Some((d.to_path_buf(), v));
        }
        dir = d.parent();
    }
    None
}

/// Verify `outputs`. `run` gives the manifest directly (from a run just finished); otherwise
/// each output's manifest is looked up next to it.
pub fn verify(
    outputs: &[PathBuf],
    run: Option<(&super::RunReport, &Path)>,
    patterns: Arc<PatternSet>,
    full: bool,
) -> Verification {
    let read = ReadOptions {
        sample_rows: if full {
            None
        } else {
            Some(crate::scan::DEFAULT_SAMPLE_ROWS)
        },
        ..ReadOptions::default()
    };
    let scanner = Scanner::new(patterns, read);
    let given = run.map(|(r, dir)| {
        let v = serde_json::to_value(r).unwrap_or(serde_json::Value::Null);
        (dir.to_path_buf(), manifest_from_json(&v))
    });
    let mut findings = Vec::new();
    let mut record_keys = Vec::new();
    let mut datasets_checked = 0;
    let mut columns_checked = 0;
    let mut used_manifest = given.is_some();
    for out in outputs {
        let found;
        let (dir, manifest) = match &given {
            Some((d, m)) => (Some(d.clone()), Some(m)),
            None => match find_manifest(out) {
                Some((d, v)) => {
                    found = manifest_from_json(&v);
                    used_manifest = true;
                    (Some(d), Some(&found))
                }
                None => (None, None),
            },
        };
        let display = out.display().to_string();
        let rel = dir
            .as_ref()
            .and_then(|d| out.strip_prefix(d).ok())
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| display.clone());
        for ds in scanner.scan_path(out, &display) {
            datasets_checked += 1;
            if let Some(e) = &ds.error {
                findings.push(Finding {
                    output: display.clone(),
                    table: ds.table.clone(),
                    column: String::new(),
                    category: String::new(),
                    reason: format!("could not be read: {e}"),
                });
                continue;
            }
            let table = ds.table.as_deref().map(short).unwrap_or_default();
            for col in &ds.columns {
                columns_checked += 1;
                let cls = &col.classification;
                let planned = manifest.and_then(|m| {
                    m.get(&(rel.clone(), table.clone(), col.name.clone()))
                        .or_else(|| m.get(&(rel.clone(), String::new(), col.name.clone())))
                });
                let (action, by_rule) =
                    planned.map_or(("", false), |p| (p.action.as_str(), p.by_rule));
                // A declared category stands for the detectors' (a declared false positive is
                // not a finding; a declared identifier is held to its role).
                let declared = planned.and_then(|p| p.declared);
                let role = declared.map_or(cls.role, |c| c.role());
                let category = declared.unwrap_or(cls.category);
                let declared_other = declared.is_some_and(|c| c != Category::RecordKey);
                if action == "keep"
                    && !declared_other
                    && (category == Category::RecordKey || looks_like_record_key(col))
                {
                    record_keys.push(Finding {
                        output: display.clone(),
                        table: ds.table.clone(),
                        column: col.name.clone(),
                        category: cls.category.name().to_string(),
                        reason: format!("unique in all {} values the re-scan read", col.non_empty),
                    });
                }
                let reason = match role {
                    Role::DirectIdentifier
                        if !matches!(
                            action,
                            "pseudonymise" | "fpe" | "fictitious" | "redact" | "mask" | "drop"
                        ) =>
                    {
                        Some("a direct identifier is left in the output".to_string())
                    }
                    Role::Sensitive if !by_rule => Some(
                        "a special category of data is left without a decision (no rule covers it)"
                            .to_string(),
                    ),
                    Role::Uncertain if !by_rule && action == "keep" => Some(
                        "an uncertain column (it may be personal) is left without a decision"
                            .to_string(),
                    ),
                    Role::RecordKey if !by_rule && action == "keep" => Some(
                        "a record key of the source is left without a decision (no rule covers it)"
                            .to_string(),
                    ),
                    _ => None,
                };
                if let Some(reason) = reason {
                    findings.push(Finding {
                        output: display.clone(),
                        table: ds.table.clone(),
                        column: col.name.clone(),
                        category: category.name().to_string(),
                        reason,
                    });
                }
                let embedded: u64 = cls
                    .entities
                    .iter()
                    .filter(|(c, _)| c.role() == Role::DirectIdentifier)
                    .map(|(_, n)| *n)
                    .sum();
                let declared_not_personal = declared.is_some_and(|c| c.role() == Role::NotPersonal);
                if embedded > 0 && action != "drop" && !declared_not_personal {
                    findings.push(Finding {
                        output: display.clone(),
                        table: ds.table.clone(),
                        column: col.name.clone(),
                        category: cls.category.name().to_string(),
                        reason: format!("{embedded} identifiers are embedded in its text"),
                    });
                }
            }
        }
    }
    Verification {
        passed: findings.is_empty(),
        datasets_checked,
        columns_checked,
        full,
        manifest: used_manifest,
        findings,
        record_keys,
    }
}
