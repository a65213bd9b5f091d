//! `--shard i/n`: split a run into `n` deterministic parts that any scheduler can fan out.
//!
//! A run is cut into **work units**, listed in input order: a whole CSV file, dump table or
//! SQLite table is one unit; a Parquet file with several row groups gives one unit per row
//! group; a live PostgreSQL or MariaDB table with a single-column integer primary key gives `n`
//! key ranges (see [`crate::source::Source::shard_units`]). Every unit has an estimated weight
//! (bytes). Units are assigned to shards by [`assign`]: contiguously, in order, each unit to
//! the shard its weight midpoint falls into. Contiguity is the point: the parts of a dataset
//! split across shards, concatenated in shard order, are the unsharded output row for row (a
//! size-greedy assignment balances a little better but would scatter a file's row groups out of
//! order). The result depends only on the inputs and `n`, so shard `i` gets the same units on
//! every machine.
//!
//! An output file whose units all land in one shard keeps its normal name (and is
//! byte-identical to the unsharded output); one split across shards is written as
//! `<stem>.part-<i>-of-<n>.<ext>` by each shard holding part of it ([`part_path`]).
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

use super::report::{self, RunReport};
use super::{Input, RunOptions, out_format, url_of};
use crate::config::pipeline::{KeyMode, Pipeline};
use crate::error::{Error, Result};
use crate::scan::DatasetScan;
use crate::source::{self, Source};

/// Which part of a run this process does: shard `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ShardSpec {
    /// 1-based shard number.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

/// More shards than this is almost certainly a typo (and would make tiny units).
pub const MAX_SHARDS: usize = 100_000;

impl ShardSpec {
    /// Parse `i/n` (1 ≤ i ≤ n). 1-based because schedulers number array jobs from 1
    /// (`SLURM_ARRAY_TASK_ID`, GNU parallel's `{#}`) and `1/1` reads naturally as "all".
    pub fn parse(text: &str) -> Result<ShardSpec> {
        let bad = |why: &str| {
            Error::Usage(format!(
                "--shard `{text}`: {why}; expected i/n with 1 ≤ i ≤ n (e.g. 1/4 … 4/4)"
            ))
        };
        let (i, n) = text.split_once('/').ok_or_else(|| bad("no `/`"))?;
        let index: usize = i.trim().parse().map_err(|_| bad("i is not a number"))?;
        let count: usize = n.trim().parse().map_err(|_| bad("n is not a number"))?;
        if count == 0 || count > MAX_SHARDS {
            return Err(bad(&format!("n must be 1 – {MAX_SHARDS}")));
        }
        if index == 0 || index > count {
            return Err(bad("i is out of range (shards are numbered from 1)"));
        }
        Ok(ShardSpec { index, count })
    }

    /// 0-based shard number, as [`assign`] returns it.
    pub fn zero_based(self) -> usize {
        self.index - 1
    }

    /// `shard-2-of-4`, used in report and summary file names.
    pub fn tag(self) -> String {
        format!("shard-{}-of-{}", self.index, self.count)
    }
}

impl std::fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The 0-based shard of each unit, given the units' weights in order and `n` shards.
///
/// Contiguous and monotone: unit `u` goes to `floor(n · (prefix + w/2) / total)`, the shard
/// its weight midpoint falls into, so units never go "backwards" and shards stay within one
/// unit's weight of an even split. Zero weights count as 1 so that empty files still spread.
pub fn assign(weights: &[u64], n: usize) -> Vec<usize> {
    let n = n.max(1);
    let w: Vec<u128> = weights.iter().map(|&w| u128::from(w.max(1))).collect();
    let total: u128 = w.iter().sum::<u128>().max(1);
    let mut prefix = 0u128;
    w.iter()
        .map(|&x| {
            // Twice the midpoint, to stay in integers.
            let mid2 = 2 * prefix + x;
            prefix += x;
            let s = (mid2 * n as u128) / (2 * total);
            (s as usize).min(n - 1)
        })
        .collect()
}

/// `dir/patients.parquet` → `dir/patients.part-2-of-4.parquet` (the extension is the part
/// after the last dot of the file name).
pub fn part_path(rel: &Path, spec: ShardSpec) -> PathBuf {
    let name = rel
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let part = format!("part-{}-of-{}", spec.index, spec.count);
    let new = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{stem}.{part}.{ext}"),
        _ => format!("{name}.{part}"),
    };
    rel.with_file_name(new)
}

/// One dataset's units and where they go.
#[derive(Debug, Clone)]
pub struct Share {
    /// Index of the input (after expansion) the dataset comes from.
    pub input: usize,
    /// The dataset's source as given.
    pub source: String,
    /// Its table, if any.
    pub table: Option<String>,
    /// Estimated weight of each unit.
    pub weights: Vec<u64>,
    /// 0-based shard of each unit.
    pub shards: Vec<usize>,
    /// The units this shard processes (contiguous), if any.
    pub mine: Option<Range<usize>>,
    /// Whether the output file this dataset is written to is split across shards (then it
    /// is written as a `.part-i-of-n` file).
    pub split: bool,
}

/// A dataset to assign: input index, output group (datasets written into one output file
/// share a group), source, table and unit weights.
pub struct Candidate {
    /// Input index.
    pub input: usize,
    /// Output file group: equal for datasets that end up in one output file.
    pub group: (usize, Option<String>),
    /// Source as given.
    pub source: String,
    /// Table.
    pub table: Option<String>,
    /// Unit weights, in read order (at least one).
    pub weights: Vec<u64>,
}

/// Every dataset's share of a sharded run.
#[derive(Debug, Clone)]
pub struct Assignment {
    /// Which shard this process is.
    pub spec: ShardSpec,
    /// One entry per dataset, in run order.
    pub shares: Vec<Share>,
}

impl Assignment {
    /// Assign the candidates' units (in order) to shards.
    pub fn new(spec: ShardSpec, candidates: Vec<Candidate>) -> Assignment {
        let all: Vec<u64> = candidates
            .iter()
            .flat_map(|c| c.weights.iter().copied())
            .collect();
        let shards = assign(&all, spec.count);
        let me = spec.zero_based();
        let mut at = 0;
        let mut groups: BTreeMap<(usize, Option<String>), BTreeSet<usize>> = BTreeMap::new();
        let mut shares = Vec::with_capacity(candidates.len());
        let mut group_of = Vec::with_capacity(candidates.len());
        for c in candidates {
            let s: Vec<usize> = shards[at..at + c.weights.len()].to_vec();
            at += c.weights.len();
            groups
                .entry(c.group.clone())
                .or_default()
                .extend(s.iter().copied());
            let first = s.iter().position(|&x| x == me);
            let last = s.iter().rposition(|&x| x == me);
            let mine = first.zip(last).map(|(a, b)| a..b + 1);
            group_of.push(c.group);
            shares.push(Share {
                input: c.input,
                source: c.source,
                table: c.table,
                weights: c.weights,
                shards: s,
                mine,
                split: false,
            });
        }
        for (share, g) in shares.iter_mut().zip(group_of) {
            share.split = groups.get(&g).is_some_and(|s| s.len() > 1);
        }
        Assignment { spec, shares }
    }

    /// The share of a dataset.
    pub fn get(&self, input: usize, source: &str, table: Option<&str>) -> Option<&Share> {
        self.shares
            .iter()
            .find(|s| s.input == input && s.source == source && s.table.as_deref() == table)
    }

    /// Whether this shard processes any unit of input `input`.
    pub fn touches_input(&self, input: usize) -> bool {
        self.shares
            .iter()
            .any(|s| s.input == input && s.mine.is_some())
    }

    /// Number of units in the whole run.
    pub fn units_total(&self) -> usize {
        self.shares.iter().map(|s| s.weights.len()).sum()
    }
}

/// Refuse shard options that cannot work (exit 2), before anything is read twice.
pub(super) fn check_shard_options(pipeline: &Pipeline, opts: &RunOptions) -> Result<()> {
    let phase = opts.summary_out.is_some() || opts.summaries.is_some();
    let Some(spec) = opts.shard else {
        if phase {
            return Err(Error::Usage(
                "--summary-out and --summaries belong to sharded runs: add --shard i/n".into(),
            ));
        }
        return Ok(());
    };
    if opts.summary_out.is_some() && opts.summaries.is_some() {
        return Err(Error::Usage(
            "--summary-out (phase 1) and --summaries (phase 2) are two separate runs".into(),
        ));
    }
    match (&pipeline.privacy, phase) {
        (Some(_), false) => Err(Error::Usage(format!(
            "--shard {spec}: this pipeline has [privacy], whose decisions need the counts of all \
             shards. Run it in two phases: first every shard with --shard i/{n} --summary-out \
             DIR/summary-i.json (counts only, nothing written), then every shard with \
             --shard i/{n} --summaries 'DIR/summary-*.json' (merges the counts and writes the \
             outputs). See docs/sharding.md.",
            n = spec.count
        ))),
        (None, true) => Err(Error::Usage(
            "--summary-out / --summaries: this pipeline has no [privacy] section".into(),
        )),
        _ => Ok(()),
    }
}

/// The key mode a shard runs with. A throw-away key would differ in every shard, so a
/// sharded run of an ephemeral pipeline needs one supplied key shared by all shards.
pub(super) fn shard_key_mode(
    mode: KeyMode,
    opts: &RunOptions,
    report: &mut RunReport,
) -> Result<KeyMode> {
    let Some(spec) = opts.shard else {
        return Ok(mode);
    };
    if mode != KeyMode::Ephemeral {
        return Ok(mode);
    }
    if opts.key_file.is_some() || std::env::var_os("ANONKOS_KEY").is_some() {
        report.notes.push(
            "sharded run of a pipeline with a throw-away key: the supplied key replaces it so that every shard makes the same tokens; delete the key once the last shard is done".into(),
        );
        return Ok(KeyMode::Required);
    }
    Err(Error::Usage(format!(
        "--shard {spec}: this pipeline uses a throw-away key (key.mode = \"ephemeral\"), which \
         every shard would make differently. Make one key for the whole fan-out \
         (`anonkos keygen --out run.key`), give every shard --key-file run.key (or \
         ANONKOS_KEY), and delete it after the last shard."
    )))
}

/// Open every input once to list its datasets' work units, and assign them to shards.
pub(super) fn assign_units(
    spec: ShardSpec,
    inputs: &[Input],
    inputs_text: &[String],
    plan: &crate::plan::Plan,
    pipeline: &Pipeline,
) -> Result<Assignment> {
    let full = pipeline.scan.read_options();
    let mut candidates = Vec::new();
    for (ii, input) in inputs.iter().enumerate() {
        crate::interrupt::check()?;
        let sources: Vec<Box<dyn Source>> = match &input.path {
            Some(p) => source::open(p, &input.display, &full)?,
            None => source::open_url(&url_of(input, inputs_text), &full)?,
        };
        let planned: Vec<&Box<dyn Source>> = sources
            .iter()
            .filter(|s| {
                plan.datasets
                    .iter()
                    .any(|d| d.source == s.info().source && d.table == s.info().table)
            })
            .collect();
        // A whole-dataset unit weighs its share of the file (databases: a nominal 1 MiB).
        let file_bytes = input
            .path
            .as_ref()
            .and_then(|p| std::fs::metadata(p).ok())
            .map_or(1 << 20, |m| m.len());
        let each = file_bytes / planned.len().max(1) as u64;
        for src in planned {
            let info = src.info();
            let multi = out_format(pipeline.output.format, info.format).is_multi_table();
            candidates.push(Candidate {
                input: ii,
                group: (ii, if multi { None } else { info.table.clone() }),
                source: info.source.clone(),
                table: info.table.clone(),
                // An aggregate table is suppressed whole (its lines span the rows), so it is
                // one unit: one shard reads it all.
                weights: if super::aggregate::declared(
                    pipeline,
                    &info.source,
                    info.table.as_deref(),
                )
                .is_some()
                {
                    vec![each]
                } else {
                    src.shard_units(spec.count)
                        .filter(|w| !w.is_empty())
                        .unwrap_or_else(|| vec![each])
                },
            });
        }
    }
    Ok(Assignment::new(spec, candidates))
}

/// The report's account of a shard.
pub(super) fn shard_info(a: &Assignment, spec: ShardSpec, opts: &RunOptions) -> report::ShardInfo {
    let units = a
        .shares
        .iter()
        .flat_map(|s| {
            s.mine
                .clone()
                .into_iter()
                .flatten()
                .map(|u| report::UnitInfo {
                    input: s.source.clone(),
                    table: s.table.clone(),
                    part: [u, s.weights.len()],
                    weight: s.weights.get(u).copied().unwrap_or(0),
                })
        })
        .collect();
    report::ShardInfo {
        index: spec.index,
        count: spec.count,
        phase: if opts.summary_out.is_some() {
            "summary"
        } else if opts.summaries.is_some() {
            "apply"
        } else {
            "run"
        }
        .into(),
        units_total: a.units_total(),
        units,
        summaries: opts
            .summary_out
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
    }
}

/// Rows this run (or shard) is expected to read, from the scan's counts or estimates:
/// the progress meter's total.
pub(super) fn expected_rows(scans: &[DatasetScan], a: Option<&Assignment>) -> Option<u64> {
    let mut total = 0u64;
    for d in scans {
        let rows = d.rows_total?.value();
        match a {
            None => total += rows,
            Some(a) => {
                // The scan does not know which input index a dataset came from; the first
                // share with its name is the one (the same file twice is one dataset).
                let Some(s) = a
                    .shares
                    .iter()
                    .find(|s| s.source == d.source && s.table == d.table)
                else {
                    continue;
                };
                let Some(r) = &s.mine else { continue };
                let all: u128 = s
                    .weights
                    .iter()
                    .map(|&w| u128::from(w))
                    .sum::<u128>()
                    .max(1);
                let mine: u128 = s
                    .weights
                    .get(r.clone())
                    .unwrap_or_default()
                    .iter()
                    .map(|&w| u128::from(w))
                    .sum();
                total += (u128::from(rows) * mine / all) as u64;
            }
        }
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses() {
        assert_eq!(
            ShardSpec::parse("2/4").unwrap(),
            ShardSpec { index: 2, count: 4 }
        );
        assert_eq!(ShardSpec::parse(" 1 / 1 ").unwrap().zero_based(), 0);
        for bad in ["0/4", "5/4", "1/0", "x/2", "2", "1/-1", "", "/", "1/100001"] {
            let e = ShardSpec::parse(bad).unwrap_err();
            assert!(matches!(e, Error::Usage(_)), "{bad}");
        }
        assert_eq!(ShardSpec::parse("3/7").unwrap().tag(), "shard-3-of-7");
    }

    #[test]
    fn assignment_is_contiguous_balanced_and_covers_every_shard_it_can() {
        assert_eq!(assign(&[10, 10, 10, 10], 2), vec![0, 0, 1, 1]);
        assert_eq!(assign(&[10, 10, 10, 10], 1), vec![0, 0, 0, 0]);
        assert_eq!(assign(&[10, 10, 10], 3), vec![0, 1, 2]);
        // More shards than units: some shards are empty, none is out of range.
        assert_eq!(assign(&[5], 3), vec![1]);
        assert_eq!(assign(&[], 3), Vec::<usize>::new());
        // A heavy unit takes its share; order is kept.
        let a = assign(&[1, 1, 100, 1, 1], 3);
        assert!(a.windows(2).all(|w| w[0] <= w[1]), "{a:?}");
        assert_eq!(a[2], 1);
        // Zero weights still spread.
        assert_eq!(assign(&[0, 0, 0, 0], 2), vec![0, 0, 1, 1]);
        // Huge weights do not overflow.
        assert_eq!(assign(&[u64::MAX, u64::MAX], 2), vec![0, 1]);
    }

    #[test]
    fn balanced_within_one_unit() {
        let w: Vec<u64> = (0..1000).map(|i| 1 + (i * 7919 % 97)).collect();
        let total: u64 = w.iter().sum();
        for n in 1..=9 {
            let a = assign(&w, n);
            let mut load = vec![0u64; n];
            for (s, x) in a.iter().zip(&w) {
                load[*s] += x;
            }
            for l in load {
                assert!(l.abs_diff(total / n as u64) <= 2 * 97, "{n}: {l}");
            }
        }
    }

    fn cand(input: usize, table: Option<&str>, multi: bool, weights: &[u64]) -> Candidate {
        Candidate {
            input,
            group: (input, if multi { None } else { table.map(String::from) }),
            source: format!("in{input}"),
            table: table.map(String::from),
            weights: weights.to_vec(),
        }
    }

    #[test]
    fn shares_know_their_units_and_splits() {
        // Input 0: a Parquet file of four equal row groups; input 1: a dump with two tables
        // written into one output file; input 2: a small CSV.
        let cands = || {
            vec![
                cand(0, None, false, &[5, 5, 5, 5]),
                cand(1, Some("a"), true, &[30]),
                cand(1, Some("b"), true, &[30]),
                cand(2, None, false, &[1]),
            ]
        };
        let one = Assignment::new(ShardSpec { index: 1, count: 2 }, cands());
        let two = Assignment::new(ShardSpec { index: 2, count: 2 }, cands());
        assert_eq!(one.units_total(), 7);
        assert_eq!(one.shares[0].mine, Some(0..4));
        assert_eq!(two.shares[0].mine, None);
        assert!(!one.shares[0].split);
        // The dump's tables land in different shards: its one output file is split.
        assert_eq!(one.shares[1].mine, Some(0..1));
        assert_eq!(two.shares[2].mine, Some(0..1));
        assert!(one.shares[1].split && one.shares[2].split);
        assert!(two.touches_input(1) && two.touches_input(2) && !two.touches_input(0));
        assert_eq!(
            two.get(1, "in1", Some("b")).map(|s| s.shards.clone()),
            Some(vec![1])
        );
        // Four shards cut the Parquet file.
        let small = || {
            vec![
                cand(0, None, false, &[10, 10, 10, 10]),
                cand(2, None, false, &[1]),
            ]
        };
        let four: Vec<Assignment> = (1..=4)
            .map(|i| Assignment::new(ShardSpec { index: i, count: 4 }, small()))
            .collect();
        assert!(four[0].shares[0].split);
        assert_eq!(four[0].shares[0].mine, Some(0..1));
        assert_eq!(four[3].shares[0].mine, Some(3..4));
        assert_eq!(four[3].shares[1].mine, Some(0..1));
        let covered: usize = four
            .iter()
            .flat_map(|a| a.shares.iter())
            .filter_map(|s| s.mine.as_ref().map(|r| r.len()))
            .sum();
        assert_eq!(covered, 5, "every unit is in exactly one shard");
    }

    #[test]
    fn part_names() {
        let s = ShardSpec { index: 2, count: 4 };
        assert_eq!(
            part_path(Path::new("patients.parquet"), s),
            PathBuf::from("patients.part-2-of-4.parquet")
        );
        assert_eq!(
            part_path(Path::new("db/public.people.parquet"), s),
            PathBuf::from("db/public.people.part-2-of-4.parquet")
        );
        assert_eq!(
            part_path(Path::new("noext"), s),
            PathBuf::from("noext.part-2-of-4")
        );
    }
}
