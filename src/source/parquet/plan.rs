//! Which rows to read: the row groups and the runs of rows within each, for a whole read or
//! a sample spread across the file.
//!
//! In: the row count of every row group and, when sampling, the number of rows wanted. Out:
//! (row group, runs of rows relative to the group) in file order.
use std::ops::Range;

/// When sampling, read at least this many rows from each chosen row group (so that a small
/// sample of a file with many small groups still reads whole runs rather than single rows).
const MIN_ROWS_PER_GROUP: usize = 256;
/// When sampling inside a row group, never cut it into more runs than this.
const MAX_RUNS_PER_GROUP: usize = 8;
/// When sampling inside a row group, runs are at least this long (unless the quota is smaller).
const MIN_RUN_ROWS: usize = 64;

/// The single run of the first `n` rows of a group.
pub(super) fn first_rows(n: usize) -> Vec<Range<usize>> {
    std::iter::once(0..n).collect()
}

/// Read every non-empty row group whole.
pub(super) fn plan_all(group_rows: &[usize]) -> Vec<(usize, Vec<Range<usize>>)> {
    group_rows
        .iter()
        .enumerate()
        .filter(|(_, r)| **r > 0)
        .map(|(i, &r)| (i, first_rows(r)))
        .collect()
}

/// Choose row groups and runs so that about `n` rows spread across the file are read.
///
/// Groups: `k` non-empty groups at even spacing, always including the first and the last;
/// `k` is enough groups to hold `n` rows at the average group size, and at least
/// `n / MIN_ROWS_PER_GROUP` (for spread), at least 2, at most all. Each picked group gets an
/// equal share of `n`; a group no larger than its share is read whole, a larger one is read as
/// up to [`MAX_RUNS_PER_GROUP`] evenly spread runs (see [`spread_runs`]).
pub(super) fn plan_sample(group_rows: &[usize], n: usize) -> Vec<(usize, Vec<Range<usize>>)> {
    let nonempty: Vec<usize> = (0..group_rows.len())
        .filter(|&i| group_rows[i] > 0)
        .collect();
    let g = nonempty.len();
    if g == 0 {
        return Vec::new();
    }
    let n = n.max(1);
    let total = group_rows.iter().fold(0usize, |a, &r| a.saturating_add(r));
    if total <= n {
        return plan_all(group_rows);
    }
    let avg = (total / g).max(1);
    let k = n.div_ceil(avg).max(n / MIN_ROWS_PER_GROUP).max(2).min(g);
    let (base, extra) = (n / k, n % k);
    (0..k)
        .map(|j| {
            let idx = if k == 1 { 0 } else { j * (g - 1) / (k - 1) };
            let rg = nonempty[idx];
            let rows = group_rows[rg];
            let quota = (base + usize::from(j < extra)).max(1);
            let runs = if rows <= quota {
                first_rows(rows)
            } else {
                spread_runs(rows, quota)
            };
            (rg, runs)
        })
        .collect()
}

/// About `quota` rows of a group of `rows` rows (`quota < rows`) as evenly spread runs: the
/// first run starts at the group's first row and, with more than one run, the last ends at its
/// last row.
pub(super) fn spread_runs(rows: usize, quota: usize) -> Vec<Range<usize>> {
    let m = quota
        .div_ceil(MIN_RUN_ROWS)
        .clamp(1, MAX_RUNS_PER_GROUP)
        .min(rows);
    let len = (quota / m).min(rows / m).max(1);
    if m == 1 {
        return first_rows(len);
    }
    (0..m)
        .map(|j| {
            let s = j * (rows - len) / (m - 1);
            s..s + len
        })
        .collect()
}
