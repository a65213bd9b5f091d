use proptest::prelude::*;

use super::*;

fn s(v: &str) -> String {
    v.to_string()
}

/// A rows × cols table (labels r0.., c0..), optionally with a `Total` row, column and corner.
fn table(counts: &[Vec<u64>], totals: bool) -> Grid {
    let mut rows = Vec::new();
    for (r, line) in counts.iter().enumerate() {
        for (c, &n) in line.iter().enumerate() {
            rows.push((vec![format!("r{r}"), format!("c{c}")], n));
        }
        if totals {
            rows.push((vec![format!("r{r}"), s("Total")], line.iter().sum()));
        }
    }
    if totals {
        let cols = counts.first().map_or(0, Vec::len);
        for c in 0..cols {
            rows.push((
                vec![s("Total"), format!("c{c}")],
                counts.iter().map(|l| l[c]).sum(),
            ));
        }
        rows.push((vec![s("Total"), s("Total")], counts.iter().flatten().sum()));
    }
    Grid::build(2, rows, &default_total_labels())
}

fn published(g: &Grid, marks: &[Mark]) -> (Vec<Vec<String>>, Vec<Option<u64>>) {
    let rows = g
        .coords
        .iter()
        .map(|c| {
            c.iter()
                .enumerate()
                .map(|(d, &v)| g.labels[d][v as usize].clone())
                .collect()
        })
        .collect();
    let counts = g
        .counts
        .iter()
        .zip(marks)
        .map(|(&c, m)| (*m == Mark::Published).then_some(c))
        .collect();
    (rows, counts)
}

#[test]
fn counts_below_the_threshold_are_primary_and_zeros_are_published() {
    let g = table(&[vec![3, 0, 40], vec![12, 0, 50], vec![20, 7, 9]], false);
    let m = suppress(&g, 5);
    assert_eq!(m[0], Mark::Primary);
    assert_eq!(m[1], Mark::Published, "a zero is published");
    assert!(m.iter().filter(|m| **m == Mark::Primary).count() == 1);
    // Row 0 and column 0 each need a second suppressed cell.
    assert!(m.iter().filter(|m| **m == Mark::Secondary).count() >= 2);
    let (rows, counts) = published(&g, &m);
    assert!(audit(&rows, &counts, 5).passed());
}

#[test]
fn one_small_cell_in_a_two_by_two_table_takes_all_four() {
    let g = table(&[vec![2, 10], vec![30, 40]], false);
    let m = suppress(&g, 5);
    assert_eq!(
        m,
        vec![
            Mark::Primary,
            Mark::Secondary,
            Mark::Secondary,
            Mark::Secondary
        ]
    );
}

#[test]
fn the_smallest_published_cell_is_the_complement() {
    let g = table(&[vec![2, 9, 30], vec![8, 50, 60], vec![7, 70, 80]], false);
    let m = suppress(&g, 5);
    // Row 0: 9 rather than 30; column 0: 7 rather than 8.
    assert_eq!(m[1], Mark::Secondary);
    assert_eq!(m[6], Mark::Secondary);
    assert_eq!(m[2], Mark::Published);
    assert_eq!(m[3], Mark::Published);
}

#[test]
fn totals_take_part_in_their_lines() {
    let g = table(&[vec![2, 9], vec![30, 40]], true);
    assert_eq!(g.totals, vec![Some(2), Some(2)]);
    let m = suppress(&g, 5);
    let (rows, counts) = published(&g, &m);
    let a = audit(&rows, &counts, 5);
    assert!(a.passed(), "{a:?}");
    // The grand total is large and published; the interior is protected around it.
    let grand = rows.iter().position(|r| r[0] == "Total" && r[1] == "Total");
    assert_eq!(grand.map(|i| counts[i]), Some(Some(81)));
}

#[test]
fn a_small_total_is_suppressed_too() {
    let g = table(&[vec![1, 2], vec![0, 0]], true);
    let m = suppress(&g, 5);
    let (rows, counts) = published(&g, &m);
    assert!(audit(&rows, &counts, 5).passed());
    let row_total = rows.iter().position(|r| r[0] == "r0" && r[1] == "Total");
    assert_eq!(row_total.map(|i| counts[i]), Some(None));
}

#[test]
fn rows_with_equal_labels_are_summed() {
    let g = Grid::build(
        1,
        vec![(vec![s("a")], 2), (vec![s("b")], 9), (vec![s("a")], 4)],
        &[],
    );
    assert_eq!(g.counts, vec![6, 9]);
}

#[test]
fn the_audit_counts_small_cells_and_lone_suppressions() {
    let rows = vec![
        vec![s("a"), s("x")],
        vec![s("a"), s("y")],
        vec![s("b"), s("x")],
        vec![s("b"), s("y")],
    ];
    let a = audit(&rows, &[None, Some(10), Some(3), Some(10)], 5);
    assert_eq!(a.below_threshold, 1);
    // Row a and column x each hold one suppressed cell.
    assert_eq!(a.lone_suppressed_lines, 2);
    assert!(!a.passed());
    let ok = audit(&rows, &[None, None, None, None], 5);
    assert!(ok.passed());
    assert_eq!(ok.suppressed, 4);
    // A line of one cell has no sum to give it away.
    let single = audit(&[vec![s("a")]], &[None], 5);
    assert!(single.passed());
}

#[test]
fn a_bridge_between_two_protected_blocks_is_protected_too() {
    // Two 2×2 blocks of small cells, joined by the small cell (r1, c2): every line has two
    // suppressed cells, yet the bridge is the difference of the blocks' row and column sums.
    let counts = vec![
        vec![1, 1, 50, 50, 60],
        vec![1, 1, 1, 70, 80],
        vec![90, 90, 1, 1, 95],
        vec![90, 90, 1, 1, 95],
        vec![99, 99, 99, 99, 99],
    ];
    let g = table(&counts, false);
    let m = suppress(&g, 5);
    let (rows, published_counts) = published(&g, &m);
    assert!(audit(&rows, &published_counts, 5).passed());
    assert!(recomputable(&g, &m, false).is_empty());
    assert!(recomputable(&g, &m, true).is_empty());
}

/// Linear constraints an attacker knows: Σ coef·x = constant over the suppressed cells.
type Constraint = (Vec<(usize, i64)>, i64);

/// The line equations over the suppressed cells, with the published values moved right.
fn constraints(g: &Grid, marks: &[Mark]) -> (Vec<usize>, Vec<Constraint>) {
    let unknown: Vec<usize> = (0..g.len())
        .filter(|&c| marks[c] != Mark::Published)
        .collect();
    let var = |c: usize| unknown.iter().position(|&u| u == c);
    let mut out = Vec::new();
    for d in 0..g.totals.len() {
        let mut groups: BTreeMap<Vec<u32>, Vec<usize>> = BTreeMap::new();
        for (c, coord) in g.coords.iter().enumerate() {
            let mut k = coord.clone();
            k[d] = u32::MAX;
            groups.entry(k).or_default().push(c);
        }
        for cells in groups.into_values().filter(|c| c.len() >= 2) {
            let total =
                g.totals[d].and_then(|t| cells.iter().copied().find(|&c| g.coords[c][d] == t));
            let mut terms = Vec::new();
            let mut constant = 0i64;
            for &c in &cells {
                let coef = if Some(c) == total { -1 } else { 1 };
                match var(c) {
                    Some(v) => terms.push((v, coef)),
                    None => constant -= coef * g.counts[c] as i64,
                }
            }
            if total.is_none() {
                // No total cell: the line's sum is assumed known.
                constant += cells.iter().map(|&c| g.counts[c] as i64).sum::<i64>();
            }
            if !terms.is_empty() {
                out.push((terms, constant));
            }
        }
    }
    (unknown, out)
}

/// Brute force: suppressed cells whose value every integer solution of the line equations
/// shares (solutions in `-cap..=cap`, or `0..=cap` when `nonneg`, an attacker who also uses
/// that counts are never negative).
fn recomputable(g: &Grid, marks: &[Mark], nonneg: bool) -> Vec<usize> {
    let (unknown, cons) = constraints(g, marks);
    let cap: i64 = g.counts.iter().map(|&c| c as i64).sum();
    let orig: Vec<i64> = unknown.iter().map(|&c| g.counts[c] as i64).collect();
    let search = Search {
        cons: &cons,
        orig: &orig,
        low: if nonneg { 0 } else { -cap },
        cap,
    };
    (0..unknown.len())
        .filter(|&v| !search.other(&mut vec![None; unknown.len()], v))
        .map(|v| unknown[v])
        .collect()
}

struct Search<'a> {
    cons: &'a [Constraint],
    orig: &'a [i64],
    low: i64,
    cap: i64,
}

impl Search<'_> {
    /// Whether a solution extends `assign` with variable `target` different from its value.
    fn other(&self, assign: &mut Vec<Option<i64>>, target: usize) -> bool {
        let saved = assign.clone();
        let ok = self.step(assign, target);
        *assign = saved;
        ok
    }

    fn step(&self, assign: &mut [Option<i64>], target: usize) -> bool {
        // Propagate: a constraint with one free variable fixes it.
        loop {
            let mut forced = false;
            for (terms, constant) in self.cons {
                let free: Vec<&(usize, i64)> =
                    terms.iter().filter(|(v, _)| assign[*v].is_none()).collect();
                let partial: i64 = terms
                    .iter()
                    .filter_map(|(v, k)| assign[*v].map(|x| x * k))
                    .sum();
                let all_positive = terms.iter().all(|(_, k)| *k > 0);
                match free.len() {
                    0 if partial != *constant => return false,
                    0 => {}
                    1 => {
                        let (v, k) = *free[0];
                        let x = (constant - partial) * k; // k is ±1
                        if !(self.low..=self.cap).contains(&x) || (v == target && x == self.orig[v])
                        {
                            return false;
                        }
                        assign[v] = Some(x);
                        forced = true;
                    }
                    _ if self.low == 0 && all_positive && partial > *constant => return false,
                    _ => {}
                }
            }
            if !forced {
                break;
            }
        }
        // Branch on the target first, then on the first free variable.
        let next = if assign[target].is_none() {
            Some(target)
        } else {
            (0..assign.len()).find(|&v| assign[v].is_none())
        };
        let Some(v) = next else {
            return assign[target] != Some(self.orig[target]);
        };
        // Values nearest the true one first: a free direction shows up at once.
        let mut values: Vec<i64> = (self.low..=self.cap).collect();
        values.sort_by_key(|x| ((x - self.orig[v]).abs(), *x));
        for x in values {
            if v == target && x == self.orig[v] {
                continue;
            }
            let saved = assign.to_vec();
            assign[v] = Some(x);
            if self.step(assign, target) {
                return true;
            }
            assign.copy_from_slice(&saved);
        }
        false
    }
}

fn small_table() -> impl Strategy<Value = (Vec<Vec<u64>>, bool)> {
    (2usize..=3, 2usize..=4, any::<bool>()).prop_flat_map(|(r, c, totals)| {
        (
            proptest::collection::vec(proptest::collection::vec(0u64..14, c), r),
            Just(totals),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn after_suppression_the_audit_passes_and_nothing_is_recomputable((counts, totals) in small_table()) {
        let g = table(&counts, totals);
        let m = suppress(&g, 5);
        let (rows, published_counts) = published(&g, &m);
        let a = audit(&rows, &published_counts, 5);
        prop_assert!(a.passed(), "{:?} {:?}", a, m);
        for (c, mark) in m.iter().enumerate() {
            if g.counts[c] > 0 && g.counts[c] < 5 {
                prop_assert_ne!(*mark, Mark::Published);
            }
        }
        let r = recomputable(&g, &m, false);
        prop_assert!(r.is_empty(), "recomputable cells {:?} in {:?} with {:?}", r, g, m);
        // Without zeros, not even the knowledge that counts are never negative helps.
        if !counts.iter().flatten().any(|&c| c == 0) {
            let r = recomputable(&g, &m, true);
            prop_assert!(r.is_empty(), "recomputable (non-negative) {:?} in {:?} with {:?}", r, g, m);
        }
    }

    #[test]
    fn three_dimensional_tables_pass_the_audit(counts in proptest::collection::vec(0u64..12, 12)) {
        let rows = counts.iter().enumerate().map(|(i, &n)| {
            (vec![format!("a{}", i % 2), format!("b{}", (i / 2) % 2), format!("c{}", i / 4)], n)
        });
        let g = Grid::build(3, rows, &default_total_labels());
        let m = suppress(&g, 5);
        let (labels, published_counts) = published(&g, &m);
        prop_assert!(audit(&labels, &published_counts, 5).passed());
        let r = recomputable(&g, &m, false);
        prop_assert!(r.is_empty(), "recomputable cells {:?} in {:?} with {:?}", r, g, m);
    }
}

#[test]
fn a_large_table_with_scattered_small_cells_is_suppressed_quickly() {
    // 60 × 40 with a small cell every 7th position: many separate blocks, each solved apart.
    let counts: Vec<Vec<u64>> = (0..60)
        .map(|r| {
            (0..40)
                .map(|c| {
                    if (r * 40 + c) % 7 == 0 {
                        2
                    } else {
                        50 + (r + c) as u64
                    }
                })
                .collect()
        })
        .collect();
    let g = table(&counts, true);
    let started = std::time::Instant::now();
    let m = suppress(&g, 5);
    let (rows, published_counts) = published(&g, &m);
    assert!(audit(&rows, &published_counts, 5).passed());
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
}
