//! `anonkos risk`: re-identification risk of files as they are (equivalence classes over the
//! quasi-identifiers, sample uniques, prosecutor risk, l-diversity of sensitive attributes).
use std::path::PathBuf;

use clap::Args;

use super::{Exit, exit_for, load_patterns, output};
use crate::detect::Role;
use crate::error::Error;
use crate::privacy;
use crate::scan::Scanner;
use crate::source::{self, ReadOptions};

/// `anonkos risk`.
#[derive(Debug, Args)]
pub struct RiskArgs {
    /// CSV/TSV (any encoding `scan` reads, gzip or zstd), Parquet, workbook (.xlsx, .xls,
    /// .ods), SQL dump or SQLite files.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Quasi-identifier columns (default: the columns classified as quasi-identifiers).
    #[arg(long = "qi", value_name = "COL")]
    pub qi: Vec<String>,
    /// Sensitive columns (default: the columns classified as sensitive).
    #[arg(long, value_name = "COL")]
    pub sensitive: Vec<String>,
    /// Count records in classes smaller than K.
    #[arg(long, default_value_t = 5)]
    pub k: u64,
    /// Alternative pattern directory.
    #[arg(long, value_name = "DIR")]
    pub patterns: Option<PathBuf>,
}

/// Run the subcommand.
pub fn run(a: RiskArgs) -> Exit {
    match risk(&a) {
        Ok(json) => {
            let _ = output::out(&json);
            Exit::Ok
        }
        Err(e) => {
            output::err(&e.to_string());
            exit_for(&e)
        }
    }
}

fn risk(a: &RiskArgs) -> Result<String, Error> {
    if a.k < 2 {
        return Err(Error::Usage("--k must be at least 2".into()));
    }
    let patterns = load_patterns(a.patterns.as_ref())?;
    let scanner = Scanner::new(patterns, ReadOptions::default());
    let mut results = Vec::new();
    for input in &a.inputs {
        let display = input.display().to_string();
        for ds in scanner.scan_path(input, &display) {
            if let Some(e) = &ds.error {
                return Err(Error::Usage(format!("{display}: {e}")));
            }
            let pick = |given: &[String], role: Role| -> Vec<String> {
                if given.is_empty() {
                    ds.columns
                        .iter()
                        .filter(|c| c.classification.role == role)
                        .map(|c| c.name.clone())
                        .collect()
                } else {
                    given
                        .iter()
                        .filter(|g| ds.columns.iter().any(|c| &c.name == *g))
                        .cloned()
                        .collect()
                }
            };
            let qi = pick(&a.qi, Role::QuasiIdentifier);
            let sensitive: Vec<String> = pick(&a.sensitive, Role::Sensitive)
                .into_iter()
                .filter(|s| !qi.contains(s))
                .collect();
            let sources = source::open(input, &display, &ReadOptions::default())?;
            for mut src in sources {
                if src.info().table != ds.table {
                    continue;
                }
                let floors = vec![privacy::Floor::Original; qi.len()];
                let table = privacy::first_pass(src.as_mut(), &qi, &sensitive, floors, &mut Ok)?;
                let r = privacy::risk(&table, a.k);
                results.push(serde_json::json!({
                    "dataset": ds.source,
                    "table": ds.table,
                    "quasi_identifiers": qi,
                    "sensitive": sensitive,
                    "risk": r,
                }));
            }
        }
    }
    serde_json::to_string_pretty(&serde_json::json!({
        "schema": "anonkos.risk/v1",
        "datasets": results,
    }))
    .map(|s| s + "\n")
    .map_err(|e| Error::Internal(format!("risk report: {e}")))
}
