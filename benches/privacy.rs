//! Privacy bench (plain `main`, `cargo bench --bench privacy`):
//!
//! 1. UCI Adult with ARX's hierarchies and anonbench's setting (5-anonymity over 8 QIs, 0 %
//!    suppression): time of the first pass and of the lattice search, transformations
//!    checked, chosen levels, information loss.
//! 2. A generated table (default 10,000,000 rows, `PRIVACY_BENCH_ROWS`) with 6 QIs streamed
//!    through the first-pass encoder: peak RSS after 10 % of the rows and at the end shows that
//!    memory follows distinct combinations, not rows; then a search for k = 5.
#![allow(clippy::disallowed_macros, clippy::unwrap_used)] // a bench prints its figures
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anonkos::detect::PatternSet;
use anonkos::privacy::{self, Builtin, Diversity, Encoder, Hierarchy, Models};
use anonkos::source::{self, ReadOptions};

fn peak_rss_mb() -> f64 {
    #[allow(clippy::disallowed_methods)] // a tiny procfs file
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// The same-run baseline of a search: every node checked ([`privacy::exhaustive`]).
struct Reference(privacy::Exhaustive);

impl Reference {
    fn of(table: &privacy::ClassTable, bound: &[privacy::Bound], models: &Models) -> Self {
        Reference(privacy::exhaustive(table, bound, models).unwrap())
    }

    /// One line: the search's time and loss against checking every node, in this run.
    fn print(
        &self,
        what: &str,
        table: &privacy::ClassTable,
        bound: &[privacy::Bound],
        models: &Models,
        chosen: &[usize],
        search_ms: f64,
    ) {
        let r = &self.0;
        let loss = privacy::loss_if_passing(table, bound, models, chosen).unwrap();
        let verdict = if loss <= r.loss_bits + 1e-9 {
            "no worse"
        } else {
            "WORSE"
        };
        println!(
            "{what}: search {search_ms:.1} ms vs every node checked {:.1} ms ({:.1}× faster, \
             same run); loss {loss:.1} bits at {chosen:?} vs the exhaustive optimum {:.1} bits \
             at {:?}: {verdict}",
            r.elapsed_ms,
            r.elapsed_ms / search_ms.max(1e-9),
            r.loss_bits,
            r.levels,
        );
    }
}

fn adult() {
    // Vendored (tests/fixtures/adult/README.md); the reader recognises zstd by its magic bytes.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/adult");
    let qi: Vec<String> = [
        "age",
        "education",
        "marital-status",
        "native-country",
        "race",
        "salary-class",
        "sex",
        "workclass",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let t0 = Instant::now();
    let mut srcs = source::open(
        &dir.join("adult.csv.zst"),
        "adult.csv",
        &ReadOptions::default(),
    )
    .unwrap();
    let table = privacy::first_pass(
        srcs[0].as_mut(),
        &qi,
        &[],
        vec![privacy::Floor::Original; qi.len()],
        &mut Ok,
    )
    .unwrap();
    let pass = t0.elapsed().as_secs_f64() * 1e3;
    let bound: Vec<_> = qi
        .iter()
        .enumerate()
        .map(|(i, q)| {
            Hierarchy::from_arx_csv(&dir.join(format!("adult_hierarchy_{q}.csv")), b';')
                .unwrap()
                .bind(q, &table.qi_values[i])
                .unwrap()
        })
        .collect();
    let models = Models {
        k: 5,
        l: None,
        diversity: Diversity::Distinct,
        t: None,
        suppression: 0.0,
    };
    let reference = Reference::of(&table, &bound, &models);
    let (sol, st) = privacy::search(&table, bound.clone(), &models).unwrap();
    reference.print("adult", &table, &bound, &models, &sol.levels, st.elapsed_ms);
    let u = &sol.utility_after;
    println!(
        "adult 5-anonymity, 0 % suppression: first pass {pass:.1} ms ({} rows, {} distinct \
         combinations); search {:.1} ms, {} of {} transformations checked; levels {:?} of {:?}; \
         entropy loss {:.4}, precision loss {:.4}, discernibility {:.0}, classes {}, average \
         class {:.1}, smallest class {}, suppressed {}",
        table.rows,
        table.combos.len(),
        st.elapsed_ms,
        st.checked,
        st.lattice_size,
        sol.levels,
        sol.max_levels,
        u.entropy_loss,
        u.precision_loss,
        u.discernibility,
        u.classes,
        u.avg_class_size,
        sol.risk_after.min_class_size,
        sol.suppressed
    );
}

fn generated(rows: u64) {
    let qi: Vec<String> = [
        "age",
        "sex",
        "municipality",
        "education",
        "marital",
        "community",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let dom = |n: usize, p: &str| -> Vec<String> { (0..n).map(|i| format!("{p}{i}")).collect() };
    let ages: Vec<String> = (0..100).map(|a| a.to_string()).collect();
    let domains = [
        ages,
        dom(2, "s"),
        dom(38, "m"),
        dom(4, "e"),
        dom(2, "ms"),
        dom(2, "c"),
    ];
    let mut enc = Encoder::new(qi.clone(), Vec::new());
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let t0 = Instant::now();
    let mut rss_10 = 0.0;
    for r in 0..rows {
        let mut vals: [&str; 6] = [""; 6];
        for (v, d) in vals.iter_mut().zip(&domains) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *v = &d[(x % d.len() as u64) as usize];
        }
        enc.push(vals);
        if r + 1 == rows / 10 {
            rss_10 = peak_rss_mb();
        }
    }
    let table = enc.finish();
    let pass = t0.elapsed().as_secs_f64();
    let rss_end = peak_rss_mb();
    let p = Arc::new(PatternSet::embedded().unwrap());
    let bound: Vec<_> = qi
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let kind = if i == 0 { Builtin::Age } else { Builtin::Flat };
            Hierarchy::builtin(kind, None, p.clone())
                .unwrap()
                .bind(q, &table.qi_values[i])
                .unwrap()
        })
        .collect();
    let models = Models {
        k: 5,
        l: None,
        diversity: Diversity::Distinct,
        t: None,
        suppression: 0.05,
    };
    let reference = Reference::of(&table, &bound, &models);
    let (sol, st) = privacy::search(&table, bound.clone(), &models).unwrap();
    reference.print(
        "generated",
        &table,
        &bound,
        &models,
        &sol.levels,
        st.elapsed_ms,
    );
    println!(
        "generated {rows} rows × 6 QIs: first pass {pass:.1} s ({:.2} M rows/s), {} distinct \
         combinations; peak RSS {rss_10:.0} MB after 10 % of the rows, {rss_end:.0} MB at the \
         end; search {:.0} ms, {} of {} checked, levels {:?}, suppressed {}, entropy loss {:.4}",
        rows as f64 / pass / 1e6,
        table.combos.len(),
        st.elapsed_ms,
        st.checked,
        st.lattice_size,
        sol.levels,
        sol.suppressed,
        sol.utility_after.entropy_loss
    );
}

fn main() {
    adult();
    let rows = std::env::var("PRIVACY_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    generated(rows);
}
