#![allow(clippy::disallowed_macros)] // the Adult test prints its figures for the benchmark note
//! Privacy models: the UCI Adult benchmark (ARX's hierarchies and published settings),
//! bad hierarchies, invalid parameters.
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anonkos::privacy::{self, Diversity, Hierarchy, Models};
use anonkos::source::{self, ReadOptions};

const QI: [&str; 8] = [
    "age",
    "education",
    "marital-status",
    "native-country",
    "race",
    "salary-class",
    "sex",
    "workclass",
];

fn adult_dir() -> Option<PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/benchmarks/adult");
    if d.join("adult.csv").exists() {
        Some(d)
    } else {
        eprintln!("skipping: {} not present", d.display());
        None
    }
}

fn adult_search(
    dir: &Path,
    models: &Models,
    sensitive: &[String],
) -> anonkos::Result<(privacy::Solution, privacy::Search)> {
    let qi: Vec<String> = QI.iter().map(|s| s.to_string()).collect();
    let mut srcs = source::open(&dir.join("adult.csv"), "adult.csv", &ReadOptions::default())?;
    let table = privacy::first_pass(srcs[0].as_mut(), &qi, sensitive)?;
    assert_eq!(table.rows, 30_162);
    let bound = qi
        .iter()
        .enumerate()
        .map(|(i, q)| {
            Hierarchy::from_arx_csv(&dir.join(format!("adult_hierarchy_{q}.csv")), b';')?
                .bind(q, &table.qi_values[i])
        })
        .collect::<anonkos::Result<Vec<_>>>()?;
    privacy::search(&table, bound, models)
}

/// ARX's anonbench setting: 5-anonymity over 8 QIs, 0 % suppression. k is verified on the
/// released rows by an independent count (csv crate, not the engine's class table).
#[test]
fn adult_5_anonymity_matches_setting_and_is_verified() {
    let Some(dir) = adult_dir() else { return };
    let models = Models {
        k: 5,
        l: None,
        diversity: Diversity::Distinct,
        t: None,
        suppression: 0.0,
    };
    let (sol, st) = adult_search(&dir, &models, &[]).expect("search");
    eprintln!(
        "adult k=5: levels {:?} (max {:?}), checked {} of {}, {:.1} ms, entropy loss {:.4}, \
         precision loss {:.4}, discernibility {}, classes {}, avg class {:.1}, suppressed {}",
        sol.levels,
        sol.max_levels,
        st.checked,
        st.lattice_size,
        st.elapsed_ms,
        sol.utility_after.entropy_loss,
        sol.utility_after.precision_loss,
        sol.utility_after.discernibility,
        sol.utility_after.classes,
        sol.utility_after.avg_class_size,
        sol.suppressed
    );
    assert_eq!(st.lattice_size, 4320);
    assert_eq!(sol.suppressed, 0);
    assert!(sol.risk_before.sample_uniques > 0);
    assert!(sol.risk_after.min_class_size >= 5);

    // Independent check: apply the chosen levels to every row and count classes.
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_path(dir.join("adult.csv"))
        .expect("open");
    let headers = rdr.headers().expect("headers").clone();
    let idx: Vec<usize> = QI
        .iter()
        .map(|q| headers.iter().position(|h| h == *q).expect("column"))
        .collect();
    let mut counts: HashMap<Vec<String>, u64> = HashMap::new();
    let mut released = 0u64;
    for rec in rdr.records() {
        let rec = rec.expect("record");
        let vals: Vec<&str> = idx.iter().map(|i| &rec[*i]).collect();
        let out = sol.apply(&vals).expect("apply").expect("no suppression");
        *counts
            .entry(out.iter().map(|s| s.to_string()).collect())
            .or_default() += 1;
        released += 1;
    }
    assert_eq!(released, 30_162);
    let min = counts.values().min().copied().unwrap_or(0);
    assert!(min >= 5, "smallest class {min}");
    assert_eq!(counts.len() as u64, sol.utility_after.classes);
}

#[test]
fn adult_l_diversity_and_invalid_l() {
    let Some(dir) = adult_dir() else { return };
    let sens = vec!["occupation".to_string()];
    let models = Models {
        k: 5,
        l: Some(3),
        diversity: Diversity::Entropy,
        t: None,
        suppression: 0.05,
    };
    let (sol, _) = adult_search(&dir, &models, &sens).expect("search");
    assert!(sol.risk_after.min_class_size >= 5);
    assert!(sol.risk_after.l_diversity[0].entropy_l >= 3.0 - 1e-9);
    assert!(sol.suppressed <= (0.05 * 30_162.0) as u64);
    let bad = Models {
        l: Some(20),
        ..models
    };
    let e = adult_search(&dir, &bad, &sens).expect_err("l > distinct");
    assert!(e.to_string().contains("occupation"), "{e}");
}

#[test]
fn missing_value_in_hierarchy_is_named_error() {
    let Some(dir) = adult_dir() else { return };
    let tmp = tempfile::tempdir().expect("tmp");
    // The race hierarchy without its first row.
    let text = std::fs::read_to_string(dir.join("adult_hierarchy_race.csv")).expect("read");
    let cut: String = text.lines().skip(1).map(|l| format!("{l}\n")).collect();
    let p = tmp.path().join("race.csv");
    std::fs::write(&p, cut).expect("write");
    let h = Hierarchy::from_arx_csv(&p, b';').expect("load");
    let qi = vec!["race".to_string()];
    let mut srcs =
        source::open(&dir.join("adult.csv"), "adult.csv", &ReadOptions::default()).expect("open");
    let table = privacy::first_pass(srcs[0].as_mut(), &qi, &[]).expect("pass");
    let e = h.bind("race", &table.qi_values[0]).expect_err("missing");
    assert!(e.to_string().contains("`race`"), "{e}");
}
