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

/// The Adult benchmark, vendored in `tests/fixtures/adult/` (data zstd-compressed; see its
/// README for source and licence).
fn adult_dir() -> PathBuf {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/adult");
    assert!(
        d.join(ADULT).is_file(),
        "{} is missing from the repository",
        d.join(ADULT).display()
    );
    d
}

/// The vendored data file (read as CSV: the reader recognises zstd by its magic bytes).
const ADULT: &str = "adult.csv.zst";

fn adult_search(
    dir: &Path,
    models: &Models,
    sensitive: &[String],
) -> anonkos::Result<(privacy::Solution, privacy::Search)> {
    let qi: Vec<String> = QI.iter().map(|s| s.to_string()).collect();
    let mut srcs = source::open(&dir.join(ADULT), "adult.csv", &ReadOptions::default())?;
    let floors = vec![privacy::Floor::Original; qi.len()];
    let table = privacy::first_pass(srcs[0].as_mut(), &qi, sensitive, floors, &mut Ok)?;
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
    let dir = adult_dir();
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
    // ARX's Flash checks 115 on this setting; the loss-bounded search with balanced paths 63.
    assert!(st.checked <= 115, "{} transformations checked", st.checked);
    assert_eq!(sol.suppressed, 0);
    assert!(sol.risk_before.sample_uniques > 0);
    assert!(sol.risk_after.min_class_size >= 5);

    // Independent check: apply the chosen levels to every row and count classes.
    let mut rdr = csv::ReaderBuilder::new().delimiter(b';').from_reader(
        zstd::stream::read::Decoder::new(std::fs::File::open(dir.join(ADULT)).expect("open"))
            .expect("zstd"),
    );
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
    let dir = adult_dir();
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
    let dir = adult_dir();
    let tmp = tempfile::tempdir().expect("tmp");
    // The race hierarchy without its first row.
    let text = std::fs::read_to_string(dir.join("adult_hierarchy_race.csv")).expect("read");
    let cut: String = text.lines().skip(1).map(|l| format!("{l}\n")).collect();
    let p = tmp.path().join("race.csv");
    std::fs::write(&p, cut).expect("write");
    let h = Hierarchy::from_arx_csv(&p, b';').expect("load");
    let qi = vec!["race".to_string()];
    let mut srcs =
        source::open(&dir.join(ADULT), "adult.csv", &ReadOptions::default()).expect("open");
    let table = privacy::first_pass(
        srcs[0].as_mut(),
        &qi,
        &[],
        vec![privacy::Floor::Original],
        &mut Ok,
    )
    .expect("pass");
    let e = h.bind("race", &table.qi_values[0]).expect_err("missing");
    assert!(e.to_string().contains("`race`"), "{e}");
}

/// The shipped research release enforces k = 5 and distinct 2-diversity: the report says so
/// and an independent count on the written Parquet confirms k.
#[test]
fn research_release_enforces_k_and_reports_risk_and_utility() {
    use arrow_array::Array;
    let dir = crate::util::TestDir::new();
    let out = dir.path().join("out");
    let root = crate::util::root();
    let o = crate::util::run(&[
        "run",
        root.join("pipelines/research-release.toml")
            .to_str()
            .expect("utf8"),
        "--input",
        root.join("sample-data/patients.csv")
            .to_str()
            .expect("utf8"),
        "--out-dir",
        out.to_str().expect("utf8"),
    ]);
    assert!(o.status.success(), "{}", crate::util::stderr(&o));
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("anonkos-run.json")).expect("report"),
    )
    .expect("json");
    let o0 = &report["outputs"][0];
    let p = &o0["privacy"];
    assert_eq!(p["k_target"], 5);
    assert!(p["k_achieved"].as_u64().expect("k") >= 5);
    assert!(p["l_achieved"].as_u64().expect("l") >= 2);
    assert_eq!(p["verdict"], "anonymised", "{}", o0["verdict"]);
    assert!(o0["risk"]["before"]["sample_uniques"].as_f64().expect("n") > 0.0);
    assert_eq!(o0["risk"]["after"]["sample_uniques"], 0.0);
    assert!(o0["utility"]["after"]["entropy_loss"].is_number());
    let qi: Vec<String> = p["quasi_identifiers"]
        .as_array()
        .expect("qi")
        .iter()
        .map(|v| v.as_str().expect("s").to_string())
        .collect();
    let path = out.join(o0["path"].as_str().expect("path"));
    let mut srcs = source::open(&path, "out", &ReadOptions::default()).expect("open output");
    let schema = srcs[0].schema();
    let idx: Vec<usize> = qi
        .iter()
        .map(|q| schema.index_of(q).expect("col"))
        .collect();
    let mut counts: HashMap<Vec<String>, u64> = HashMap::new();
    while let Some(b) = srcs[0].next_batch().expect("batch") {
        let cols: Vec<arrow_array::StringArray> = idx
            .iter()
            .map(|i| {
                let c = arrow_cast::cast(b.data.column(*i), &arrow_schema::DataType::Utf8)
                    .expect("cast");
                c.as_any()
                    .downcast_ref::<arrow_array::StringArray>()
                    .expect("str")
                    .clone()
            })
            .collect();
        for r in 0..b.num_rows() {
            let key = cols
                .iter()
                .map(|c| {
                    if c.is_null(r) {
                        String::new()
                    } else {
                        c.value(r).to_string()
                    }
                })
                .collect();
            *counts.entry(key).or_default() += 1;
        }
    }
    assert!(
        counts.values().all(|c| *c >= 5),
        "a class below k in the output"
    );
    assert_eq!(
        counts.values().sum::<u64>(),
        o0["rows"].as_u64().expect("rows")
    );
    // The first pass's spill lives in the staging directory and goes with it.
    let left: Vec<String> = std::fs::read_dir(&out)
        .expect("out")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("arrows") || n.contains("staging"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn invalid_parameters_are_rejected_with_a_reason() {
    let dir = crate::util::TestDir::new();
    let pipe = dir.file("p.toml", b"[pipeline]\nname = \"x\"\n[privacy]\nk = 1\n");
    let o = crate::util::run(&[
        "run",
        &pipe,
        "--input",
        "x.csv",
        "--out-dir",
        "o",
        "--dry-run",
    ]);
    assert!(!o.status.success());
    assert!(
        crate::util::stderr(&o).contains("k must be at least 2"),
        "{}",
        crate::util::stderr(&o)
    );
    let pipe = dir.file(
        "q.toml",
        b"[pipeline]\nname = \"x\"\n[privacy]\nk = 5\nsuppression = 0.2\n",
    );
    let o = crate::util::run(&[
        "run",
        &pipe,
        "--input",
        "x.csv",
        "--out-dir",
        "o",
        "--dry-run",
    ]);
    assert!(
        crate::util::stderr(&o).contains("suppression"),
        "{}",
        crate::util::stderr(&o)
    );
}

#[test]
fn risk_command_reports_sample_uniques() {
    let root = crate::util::root();
    let o = crate::util::run(&[
        "risk",
        root.join("sample-data/patients.csv")
            .to_str()
            .expect("utf8"),
        "--k",
        "5",
    ]);
    assert!(o.status.success(), "{}", crate::util::stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&crate::util::stdout(&o)).expect("json");
    let r = &v["datasets"][0]["risk"];
    assert_eq!(v["schema"], "anonkos.risk/v1");
    assert!(r["sample_uniques"].as_u64().expect("n") > 0);
    assert_eq!(r["records"], 300);
}
