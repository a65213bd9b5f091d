//! Aggregate tables (a count per combination of categories, e.g. population by municipality,
//! age band and sex): the threshold rule with secondary suppression, and an audit of the
//! published table written apart from the suppressor.
//!
//! - **Primary suppression**: a count `c` with `0 < c < n` is not published. Zeros are
//!   published: a zero says that nobody has the combination, which names no person; a
//!   statistics office suppresses zeros only for structural reasons this tool cannot know.
//! - **Lines**: for every dimension, the cells that agree on all other dimensions form a
//!   line (a total cell, marked by a label such as `Gjithsej` in that dimension, belongs to
//!   it). Every line of two or more cells is assumed to have a known sum, published in the
//!   table or elsewhere, so a line with exactly one suppressed cell gives that cell away.
//! - **Secondary suppression**, to a fixpoint: a line with one suppressed cell gets a second
//!   one, the published cell with the smallest count (interior before total, non-zero before
//!   zero, then table order, so the choice is deterministic). A suppressed zero protects
//!   little (an attacker guesses it), so a zero is chosen only when nothing else is left.
//!   Then, because "no line with one suppressed cell" does not stop an attacker who combines
//!   lines (a suppressed cell bridging two protected blocks is the sum of their differences),
//!   every suppressed cell the line equations determine gets one more complement in its
//!   lines, and the line fixpoint runs again.
//! - **Audit** ([`audit`]): from the published labels and counts only, with its own grouping,
//!   it counts published cells below `n` and lines with exactly one suppressed cell. The run's
//!   verdict calls an aggregate release anonymised only when both are zero.
use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

/// The threshold statistics offices commonly use: counts below 5 are not published.
pub const DEFAULT_THRESHOLD: u64 = 5;

/// Labels that mark totals (`patterns/aggregate/totals.txt`).
pub fn default_total_labels() -> Vec<String> {
    words(include_str!("../../patterns/aggregate/totals.txt"))
}

/// Header words of a count column (`patterns/aggregate/count.txt`).
pub fn count_words() -> Vec<String> {
    words(include_str!("../../patterns/aggregate/count.txt"))
}

fn words(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_lowercase)
        .collect()
}

/// An aggregate table, one cell per distinct combination of dimension labels.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Grid {
    /// Per dimension, its labels (codes index into these).
    pub labels: Vec<Vec<String>>,
    /// Per cell, one label code per dimension.
    pub coords: Vec<Vec<u32>>,
    /// Per cell, its count.
    pub counts: Vec<u64>,
    /// Per dimension, the code of its total label, if the table carries one.
    pub totals: Vec<Option<u32>>,
}

impl Grid {
    /// Cells from rows of (labels, count); rows with equal labels are summed (a generalised
    /// dimension merges cells). `total_labels` are compared case-insensitively.
    pub fn build(
        dims: usize,
        rows: impl IntoIterator<Item = (Vec<String>, u64)>,
        total_labels: &[String],
    ) -> Grid {
        let mut g = Grid {
            labels: vec![Vec::new(); dims],
            totals: vec![None; dims],
            ..Grid::default()
        };
        let mut codes: Vec<HashMap<String, u32>> = vec![HashMap::new(); dims];
        let mut cell_of: HashMap<Vec<u32>, usize> = HashMap::new();
        for (labels, count) in rows {
            let coord: Vec<u32> = labels
                .into_iter()
                .take(dims)
                .enumerate()
                .map(|(d, l)| {
                    let next = g.labels[d].len() as u32;
                    *codes[d].entry(l.clone()).or_insert_with(|| {
                        g.labels[d].push(l);
                        next
                    })
                })
                .collect();
            match cell_of.get(&coord) {
                Some(&c) => g.counts[c] = g.counts[c].saturating_add(count),
                None => {
                    cell_of.insert(coord.clone(), g.coords.len());
                    g.coords.push(coord);
                    g.counts.push(count);
                }
            }
        }
        for d in 0..dims {
            g.totals[d] = g.labels[d]
                .iter()
                .position(|l| total_labels.contains(&l.trim().to_lowercase()))
                .map(|p| p as u32);
        }
        g
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    /// Whether the table has no cell.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }
}

/// Why a cell is not published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    /// Published.
    Published,
    /// Below the threshold.
    Primary,
    /// Suppressed so that a primary cell cannot be recomputed.
    Secondary,
}

/// One line: its cells, and the one among them that is the line's total, if any.
struct Line {
    cells: Vec<usize>,
    total: Option<usize>,
}

/// Every line of two or more cells, along every dimension.
fn lines(g: &Grid) -> Vec<Line> {
    let mut out = Vec::new();
    for d in 0..g.totals.len() {
        let mut groups: BTreeMap<Vec<u32>, Vec<usize>> = BTreeMap::new();
        for (c, coord) in g.coords.iter().enumerate() {
            let mut key = coord.clone();
            key[d] = u32::MAX;
            groups.entry(key).or_default().push(c);
        }
        for cells in groups.into_values().filter(|c| c.len() >= 2) {
            let total =
                g.totals[d].and_then(|t| cells.iter().copied().find(|&c| g.coords[c][d] == t));
            out.push(Line { cells, total });
        }
    }
    out
}

/// Apply the threshold rule with secondary suppression: one mark per cell.
pub fn suppress(g: &Grid, n: u64) -> Vec<Mark> {
    let mut marks: Vec<Mark> = g
        .counts
        .iter()
        .map(|&c| {
            if c > 0 && c < n {
                Mark::Primary
            } else {
                Mark::Published
            }
        })
        .collect();
    let lines = lines(g);
    let mut member: Vec<Vec<usize>> = vec![Vec::new(); g.len()];
    for (i, l) in lines.iter().enumerate() {
        for &c in &l.cells {
            member[c].push(i);
        }
    }
    // Each round suppresses at least one more cell, so there are at most `len` rounds.
    for _ in 0..=g.len() {
        line_fixpoint(g, &lines, &mut marks);
        let Some(j) = determined(&lines, &marks).into_iter().next() else {
            break;
        };
        let mut candidates: Vec<usize> = member[j]
            .iter()
            .flat_map(|&l| lines[l].cells.iter().copied())
            .filter(|&c| marks[c] == Mark::Published)
            .collect();
        candidates.sort_by_key(|&c| (g.counts[c] == 0, is_total(g, c), g.counts[c], c));
        candidates.dedup();
        // The first complement that frees `j` from its equations, else the smallest.
        let choice = candidates
            .iter()
            .take(16)
            .copied()
            .find(|&c| {
                marks[c] = Mark::Secondary;
                let freed = !determined(&lines, &marks).contains(&j);
                marks[c] = Mark::Published;
                freed
            })
            .or_else(|| candidates.first().copied());
        match choice {
            Some(c) => marks[c] = Mark::Secondary,
            None => break,
        }
    }
    marks
}

fn is_total(g: &Grid, c: usize) -> bool {
    g.coords[c]
        .iter()
        .zip(&g.totals)
        .any(|(v, t)| Some(*v) == *t)
}

/// Order of preference for a complement in a line: non-zero before zero, interior before
/// total, smaller count first, then table order.
fn rank(g: &Grid, line: &Line, c: usize) -> (bool, bool, u64, usize) {
    (g.counts[c] == 0, line.total == Some(c), g.counts[c], c)
}

/// Until no line holds exactly one suppressed cell, give each such line a second one.
fn line_fixpoint(g: &Grid, lines: &[Line], marks: &mut [Mark]) {
    loop {
        let mut changed = false;
        for line in lines {
            let suppressed = line
                .cells
                .iter()
                .filter(|&&c| marks[c] != Mark::Published)
                .count();
            if suppressed != 1 {
                continue;
            }
            if let Some(c) = line
                .cells
                .iter()
                .copied()
                .filter(|&c| marks[c] == Mark::Published)
                .min_by_key(|&c| rank(g, line, c))
            {
                marks[c] = Mark::Secondary;
                changed = true;
            }
        }
        if !changed {
            return;
        }
    }
}

/// The prime of the field the line equations are solved in: exact, and the 0/±1 equations
/// of a table this size lose no rank modulo it in practice.
const P: u64 = (1 << 61) - 1;

fn mul(a: u64, b: u64) -> u64 {
    ((a as u128 * b as u128) % P as u128) as u64
}

fn inverse(a: u64) -> u64 {
    // Fermat: a^(P-2).
    let (mut base, mut exp, mut acc) = (a, P - 2, 1u64);
    while exp > 0 {
        if exp & 1 == 1 {
            acc = mul(acc, base);
        }
        base = mul(base, base);
        exp >>= 1;
    }
    acc
}

/// Suppressed cells whose value the line equations fix (sum of the interior cells equals the
/// total cell, or a known sum for lines without one), in cell order. The equations couple only
/// suppressed cells that share lines, so each connected group is solved apart: the groups are
/// small blocks even when the table is large.
fn determined(lines: &[Line], marks: &[Mark]) -> Vec<usize> {
    let suppressed = |c: &usize| marks[*c] != Mark::Published;
    // Union-find over cells: the suppressed cells of one line belong together.
    let mut parent: Vec<usize> = (0..marks.len()).collect();
    fn root(parent: &mut [usize], mut c: usize) -> usize {
        while parent[c] != c {
            parent[c] = parent[parent[c]];
            c = parent[c];
        }
        c
    }
    for line in lines {
        let mut cells = line.cells.iter().copied().filter(suppressed);
        if let Some(first) = cells.next() {
            for c in cells {
                let (a, b) = (root(&mut parent, first), root(&mut parent, c));
                parent[a] = b;
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for c in (0..marks.len()).filter(suppressed) {
        let r = root(&mut parent, c);
        groups.entry(r).or_default().push(c);
    }
    let mut group_lines: BTreeMap<usize, Vec<&Line>> = BTreeMap::new();
    for line in lines {
        if let Some(&c) = line.cells.iter().find(|c| suppressed(c)) {
            let r = root(&mut parent, c);
            group_lines.entry(r).or_default().push(line);
        }
    }
    let mut out: Vec<usize> = groups
        .iter()
        .flat_map(|(r, unknown)| {
            let ls = group_lines.get(r).map(Vec::as_slice).unwrap_or_default();
            fixed_in_group(ls, unknown)
        })
        .collect();
    out.sort_unstable();
    out
}

/// The cells of one group of suppressed cells (`unknown`) that its lines' equations fix.
fn fixed_in_group(lines: &[&Line], unknown: &[usize]) -> Vec<usize> {
    let column: HashMap<usize, usize> = unknown.iter().enumerate().map(|(i, &c)| (c, i)).collect();
    let u = unknown.len();
    let mut m: Vec<Vec<u64>> = Vec::with_capacity(lines.len());
    for line in lines {
        let mut row = vec![0u64; u];
        for &c in &line.cells {
            if let Some(&i) = column.get(&c) {
                row[i] = if line.total == Some(c) { P - 1 } else { 1 };
            }
        }
        m.push(row);
    }
    let mut pivots = Vec::new();
    let mut r = 0;
    for col in 0..u {
        let Some(pr) = (r..m.len()).find(|&i| m[i][col] != 0) else {
            continue;
        };
        m.swap(r, pr);
        let inv = inverse(m[r][col]);
        for x in m[r][col..].iter_mut() {
            *x = mul(*x, inv);
        }
        let pivot_row = m[r].clone();
        for (i, row) in m.iter_mut().enumerate() {
            if i == r || row[col] == 0 {
                continue;
            }
            let f = row[col];
            for k in col..u {
                row[k] = (row[k] + P - mul(f, pivot_row[k])) % P;
            }
        }
        pivots.push((r, col));
        r += 1;
    }
    // `e_col` is in the row space exactly when the pivot row of `col` has no other entry.
    pivots
        .into_iter()
        .filter(|&(row, col)| m[row].iter().enumerate().all(|(k, &x)| k == col || x == 0))
        .map(|(_, col)| unknown[col])
        .collect()
}

/// What the audit of a published table found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Audit {
    /// Cells in the table.
    pub cells: u64,
    /// Cells not published.
    pub suppressed: u64,
    /// Published counts `c` with `0 < c < n`.
    pub below_threshold: u64,
    /// Lines (two or more cells) with exactly one suppressed cell.
    pub lone_suppressed_lines: u64,
}

impl Audit {
    /// No count below the threshold and no line that gives a suppressed cell away.
    pub fn passed(&self) -> bool {
        self.below_threshold == 0 && self.lone_suppressed_lines == 0
    }
}

/// Re-check a published table from its labels (one row per cell) and published counts
/// (`None` = suppressed), knowing nothing of how it was suppressed.
pub fn audit(rows: &[Vec<String>], published: &[Option<u64>], n: u64) -> Audit {
    let mut a = Audit {
        cells: published.len() as u64,
        suppressed: published.iter().filter(|p| p.is_none()).count() as u64,
        below_threshold: published
            .iter()
            .flatten()
            .filter(|&&c| c > 0 && c < n)
            .count() as u64,
        lone_suppressed_lines: 0,
    };
    let dims = rows.first().map_or(0, Vec::len);
    for d in 0..dims {
        // (cells in the line, suppressed cells in it), keyed by the other dimensions' labels.
        let mut by_rest: HashMap<Vec<&str>, (u64, u64)> = HashMap::new();
        for (row, p) in rows.iter().zip(published) {
            let rest: Vec<&str> = row
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != d)
                .map(|(_, l)| l.as_str())
                .collect();
            let e = by_rest.entry(rest).or_default();
            e.0 += 1;
            e.1 += u64::from(p.is_none());
        }
        a.lone_suppressed_lines += by_rest
            .values()
            .filter(|(cells, sup)| *cells >= 2 && *sup == 1)
            .count() as u64;
    }
    a
}

#[cfg(test)]
mod tests;
