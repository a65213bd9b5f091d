//! Per-shard privacy summaries (`anonkos.privacy-summary/v2`): the mergeable first pass of a
//! sharded run with `[privacy]`.
//!
//! Phase 1 (`--shard i/n --summary-out FILE`) counts, for every dataset with
//! quasi-identifiers, each distinct combination of QI values (at the levels the pipeline's
//! `generalise` rules fix, with the labels above each value) and sensitive values among the rows of the shard's units. Phase 2 (`--shard i/n --summaries
//! GLOB`) adds the counts of all `n` summaries up: the merged class table is exactly the one
//! an unsharded first pass builds ([`ClassTable::merge`]), so the lattice search, which is
//! deterministic, picks the same levels and suppresses the same classes in every shard.
//!
//! Summaries hold quasi-identifier and sensitive **values** (not direct identifiers, which
//! are never counted): they are written 0600 and should be deleted once phase 2 is done.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::report::RunReport;
use super::shard::ShardSpec;
use super::{Input, privacy, url_of};
use crate::error::{Error, Result};
use crate::privacy::{ClassTable, Counts};
use crate::source::{self, ReadOptions, Source};

/// The summary file's schema name.
pub const SCHEMA: &str = "anonkos.privacy-summary/v2";

/// An input as summaries identify it (path as given and content digest when a file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputId {
    /// Path or URL (no password).
    pub path: String,
    /// SHA-256 of a file input.
    pub sha256: Option<String>,
}

/// One dataset's counts in one shard.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DatasetSummary {
    /// The input as given.
    pub source: String,
    /// Table, for multi-table inputs.
    pub table: Option<String>,
    /// Quasi-identifier names.
    pub qi: Vec<String>,
    /// Sensitive attribute names.
    pub sensitive: Vec<String>,
    /// Rows counted.
    pub rows: u64,
    /// The class counts (QIs at the levels the rules fix).
    #[serde(flatten)]
    pub counts: Counts,
}

/// One shard's summary file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    /// [`SCHEMA`].
    pub schema: String,
    /// SHA-256 of the pipeline file.
    pub pipeline_sha256: Option<String>,
    /// The run's inputs, in order.
    pub inputs: Vec<InputId>,
    /// Which shard counted.
    pub shard: ShardSpec,
    /// Datasets of this shard with quasi-identifiers.
    pub datasets: Vec<DatasetSummary>,
}

impl Summary {
    /// Write atomically, mode 0600 (the file holds quasi-identifier values).
    pub fn write(&self, path: &Path) -> Result<()> {
        let json = serde_json::to_string(self)
            .map_err(|e| Error::Internal(format!("privacy summary: {e}")))?;
        crate::sink::atomic::write_atomic_private(path, json.as_bytes()).map_err(Error::on_output)
    }
}

/// All shards' summaries, checked and merged per dataset.
#[derive(Debug)]
pub struct Merged {
    datasets: BTreeMap<(String, Option<String>), Vec<DatasetSummary>>,
    /// The files read, for the report.
    pub files: Vec<PathBuf>,
}

/// Read every file matching `pattern` (wildcards in the file name), check that they are the
/// `count` shards of one run of this pipeline over these inputs, and merge them.
pub fn load(
    pattern: &str,
    pipeline_sha256: Option<&str>,
    inputs: &[InputId],
    count: usize,
) -> Result<Merged> {
    let files = super::expand_glob(pattern).map_err(|_| {
        Error::Usage(format!(
            "--summaries {pattern}: no file matches; run phase 1 (--summary-out) for every shard first"
        ))
    })?;
    let mut seen: BTreeMap<usize, PathBuf> = BTreeMap::new();
    let mut datasets: BTreeMap<(String, Option<String>), Vec<DatasetSummary>> = BTreeMap::new();
    for (path, _) in &files {
        let bad = |why: String| Error::Usage(format!("{}: {why}", path.display()));
        let text = read_small(path)?;
        let s: Summary =
            serde_json::from_str(&text).map_err(|e| bad(format!("not a privacy summary ({e})")))?;
        if s.schema != SCHEMA {
            return Err(bad(format!("schema `{}`, expected `{SCHEMA}`", s.schema)));
        }
        if s.pipeline_sha256.as_deref() != pipeline_sha256 {
            return Err(bad(
                "made with another pipeline (or another version of it)".into()
            ));
        }
        if s.inputs != inputs {
            return Err(bad(
                "made from other inputs (paths or contents differ); rerun phase 1".into(),
            ));
        }
        if s.shard.count != count {
            return Err(bad(format!(
                "is shard {} but this run has {count} shards",
                s.shard
            )));
        }
        if let Some(other) = seen.insert(s.shard.index, path.clone()) {
            return Err(bad(format!(
                "shard {} is also in {}",
                s.shard,
                other.display()
            )));
        }
        for d in s.datasets {
            datasets
                .entry((d.source.clone(), d.table.clone()))
                .or_default()
                .push(d);
        }
    }
    let missing: Vec<String> = (1..=count)
        .filter(|i| !seen.contains_key(i))
        .map(|i| i.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(Error::Usage(format!(
            "--summaries {pattern}: shard(s) {} of {count} missing; every shard's phase 1 must finish before phase 2",
            missing.join(", ")
        )));
    }
    Ok(Merged {
        datasets,
        files: files.into_iter().map(|(p, _)| p).collect(),
    })
}

/// Summaries are written by us and small enough to read whole; still, refuse anything huge.
fn read_small(path: &Path) -> Result<String> {
    use std::io::Read;
    const MAX: u64 = 4 << 30;
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut text = String::new();
    f.take(MAX)
        .read_to_string(&mut text)
        .map_err(|e| Error::io(path, e))?;
    Ok(text)
}

impl Merged {
    /// The merged class table of one dataset (an empty table when no shard saw a row).
    pub fn table(
        &self,
        source: &str,
        table: Option<&str>,
        attrs: &privacy::Attributes,
    ) -> Result<ClassTable> {
        let (qi, sensitive) = (&attrs.qi, &attrs.sensitive);
        let parts = self
            .datasets
            .get(&(source.to_string(), table.map(str::to_string)))
            .map(Vec::as_slice)
            .unwrap_or_default();
        if let Some(p) = parts
            .iter()
            .find(|p| &p.qi != qi || &p.sensitive != sensitive)
        {
            return Err(Error::Usage(format!(
                "{source}{}: the summaries count other attributes ({}) than this run ({}); rerun phase 1",
                table.map(|t| format!(":{t}")).unwrap_or_default(),
                p.qi.join(", "),
                qi.join(", ")
            )));
        }
        let counts: Vec<Counts> = parts.iter().map(|p| p.counts.clone()).collect();
        let floors: Vec<usize> = attrs.floors.iter().map(|f| f.level()).collect();
        ClassTable::merge(qi.to_vec(), sensitive.to_vec(), &floors, &counts)
    }
}

/// The inputs as privacy summaries identify them.
pub(super) fn input_ids(report: &RunReport) -> Vec<InputId> {
    report
        .inputs
        .iter()
        .map(|i| InputId {
            path: i.path.clone(),
            sha256: i.sha256.clone(),
        })
        .collect()
}

/// What phase 1 needs of the run.
pub(super) struct Context<'a> {
    /// The pipeline's `[privacy]`.
    pub spec: &'a crate::config::pipeline::PrivacySpec,
    /// The pipeline file (ARX hierarchies are relative to it).
    pub pipeline_path: &'a Path,
    /// The run's plan.
    pub plan: &'a crate::plan::Plan,
    /// Patterns (built-in hierarchies).
    pub patterns: &'a std::sync::Arc<crate::detect::PatternSet>,
    /// The objection list, if any.
    pub suppression: Option<&'a super::Suppression>,
    /// The pipeline's `[aggregate]`: its tables take no part in the class counts.
    pub aggregate: Option<&'a crate::config::pipeline::AggregateSpec>,
}

/// Phase 1 of a sharded privacy run: count this shard's rows of every dataset with
/// quasi-identifiers and write the summary.
pub(super) fn write_summary(
    ctx: &Context<'_>,
    a: &super::shard::Assignment,
    inputs: &[Input],
    inputs_text: &[String],
    report: &RunReport,
    path: &Path,
) -> Result<()> {
    let full = ReadOptions::default();
    let mut datasets = Vec::new();
    for (ii, input) in inputs.iter().enumerate() {
        if !a.touches_input(ii) {
            continue;
        }
        let sources: Vec<Box<dyn Source>> = match &input.path {
            Some(p) => source::open(p, &input.display, &full)?,
            None => source::open_url(&url_of(input, inputs_text), &full)?,
        };
        for mut src in sources {
            let info = src.info().clone();
            let Some(dp) = ctx
                .plan
                .datasets
                .iter()
                .find(|d| d.source == info.source && d.table == info.table)
            else {
                continue;
            };
            if ctx
                .aggregate
                .is_some_and(|g| g.declares(&info.source, info.table.as_deref()))
            {
                continue;
            }
            let Some(range) = a
                .get(ii, &info.source, info.table.as_deref())
                .and_then(|s| s.mine.clone())
            else {
                continue;
            };
            let Some(attrs) = privacy::attributes(ctx.spec, ctx.pipeline_path, dp, ctx.patterns)?
            else {
                continue;
            };
            src.select_units(range, a.spec.count)?;
            // Rows on the objection list never reach the output, so they are not counted
            // (as in an unsharded run).
            let cols = ctx
                .suppression
                .map(|s| super::batch::objection_columns(s, dp))
                .unwrap_or_default();
            let mut filter = |data| match ctx.suppression {
                Some(s) => super::batch::objection_filter(s, &cols, data).map(|(d, _)| d),
                None => Ok(data),
            };
            let table = privacy::first_pass(src.as_mut(), &attrs, &mut filter)?;
            datasets.push(DatasetSummary {
                source: info.source.clone(),
                table: info.table.clone(),
                qi: attrs.qi.clone(),
                sensitive: attrs.sensitive.clone(),
                rows: table.rows,
                counts: table.counts(),
            });
        }
    }
    Summary {
        schema: SCHEMA.into(),
        pipeline_sha256: report.pipeline_sha256.clone(),
        inputs: input_ids(report),
        shard: a.spec,
        datasets,
    }
    .write(path)
}
