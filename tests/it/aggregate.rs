//! `[aggregate]` (issue 17): the shipped research release publishes the sample population
//! table under the threshold rule, the output is re-checked here line by line, and an
//! aggregate-looking table a research release does not declare is not fit.
use std::collections::HashMap;
use std::path::Path;

use anonkos::source::{self, ReadOptions};

use crate::util::{TestDir, root, run, stderr};

/// Every cell of the output as text (NULL as `None`), with the header.
fn cells(path: &Path) -> (Vec<String>, Vec<Vec<Option<String>>>) {
    use arrow_array::Array;
    let mut srcs = source::open(path, "out", &ReadOptions::default()).expect("open output");
    let names = srcs[0]
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let mut rows = Vec::new();
    while let Some(b) = srcs[0].next_batch().expect("batch") {
        let cols: Vec<arrow_array::StringArray> = (0..b.data.num_columns())
            .map(|i| {
                let c = arrow_cast::cast(b.data.column(i), &arrow_schema::DataType::Utf8)
                    .expect("cast");
                c.as_any()
                    .downcast_ref::<arrow_array::StringArray>()
                    .expect("str")
                    .clone()
            })
            .collect();
        for r in 0..b.num_rows() {
            rows.push(
                cols.iter()
                    // CSV writes NULL as an empty cell.
                    .map(|c| {
                        (!c.is_null(r) && !c.value(r).is_empty()).then(|| c.value(r).to_string())
                    })
                    .collect(),
            );
        }
    }
    (names, rows)
}

/// Lines (cells agreeing on every other dimension, two or more of them) holding exactly one
/// suppressed count, recounted from the output alone.
fn lone_suppressed(rows: &[Vec<Option<String>>], count: usize) -> usize {
    let width = rows.first().map_or(0, Vec::len);
    let mut lone = 0;
    for d in (0..width).filter(|&d| d != count) {
        let mut lines: HashMap<Vec<Option<String>>, (usize, usize)> = HashMap::new();
        for r in rows {
            let mut key = r.clone();
            key[d] = None;
            key[count] = None;
            let e = lines.entry(key).or_default();
            e.0 += 1;
            e.1 += usize::from(r[count].is_none());
        }
        lone += lines.values().filter(|(n, s)| *n >= 2 && *s == 1).count();
    }
    lone
}

fn report(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("anonkos-run.json")).expect("report"))
        .expect("json")
}

fn run_on(pipeline: &str, input: &Path, out: &Path) -> serde_json::Value {
    let o = run(&[
        "run",
        pipeline,
        "--input",
        input.to_str().expect("utf8"),
        "--out-dir",
        out.to_str().expect("utf8"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    if pipeline.ends_with("research-release.toml") {
        assert!(
            crate::util::stdout(&o)
                .contains("aggregate table (1368 cells): 4 counts below 5 suppressed, 4 more"),
            "{}",
            crate::util::stdout(&o)
        );
    }
    report(out)
}

#[test]
fn the_research_release_publishes_the_population_table_under_the_threshold_rule() {
    let d = TestDir::new();
    let out = d.path().join("out");
    let pipeline = root().join("pipelines/research-release.toml");
    let r = run_on(
        pipeline.to_str().expect("utf8"),
        &root().join("sample-data/popullsia_2024.csv"),
        &out,
    );
    let o = &r["outputs"][0];
    let a = &o["aggregate"];
    assert_eq!(a["threshold"], 5);
    assert_eq!(a["count_column"], "numri");
    // The sample has four counts below 5 (two municipalities, 85+, both sexes); each sits
    // alone in its age line, so the 80-84 cells join them: a 2×2×2 block.
    assert_eq!(a["primary"], 4, "{a}");
    assert_eq!(a["secondary"], 4, "{a}");
    assert_eq!(a["audit"]["below_threshold"], 0);
    assert_eq!(a["audit"]["lone_suppressed_lines"], 0);
    assert!(
        o["privacy"].is_null(),
        "no row-level model on an aggregate table"
    );
    let v = &o["verdict"];
    assert_eq!(v["outcome"], "anonymised", "{v}");
    let reasons = v["reasons"].to_string();
    assert!(
        reasons
            .contains("threshold rule (aggregate table): 1368 cells, 4 suppressed below 5, 4 more"),
        "{reasons}"
    );
    // The output itself, re-checked without the tool's audit.
    let (names, rows) = cells(&out.join(o["path"].as_str().expect("path")));
    let count = names
        .iter()
        .position(|n| n == "numri")
        .expect("count column");
    assert_eq!(rows.len(), 1368);
    let suppressed = rows.iter().filter(|r| r[count].is_none()).count();
    assert_eq!(suppressed, 8);
    for r in &rows {
        if let Some(c) = &r[count] {
            let n: u64 = c.parse().expect("a count");
            assert!(n == 0 || n >= 5, "a published count below 5");
        }
    }
    assert_eq!(lone_suppressed(&rows, count), 0);
}

#[test]
fn totals_are_cells_of_their_lines() {
    let d = TestDir::new();
    let csv = "komuna,gjinia,numri\n\
               A,M,3\nA,F,40\nA,Gjithsej,43\n\
               B,M,20\nB,F,22\nB,Gjithsej,42\n\
               C,M,30\nC,F,31\nC,Gjithsej,61\n\
               Gjithsej,M,53\nGjithsej,F,93\nGjithsej,Gjithsej,146\n";
    let input = d.file("tabela.csv", csv.as_bytes());
    let pipeline = d.file(
        "agg.toml",
        b"[pipeline]\nname = \"agg\"\n[output]\nformat = \"csv\"\n[key]\nmode = \"none\"\n\
          [[rules]]\ncategory = \"municipality\"\naction = \"keep\"\n\
          [[rules]]\ncategory = \"gender\"\naction = \"keep\"\n\
          [aggregate]\ndatasets = [\"tabela*\"]\n",
    );
    let out = d.path().join("out");
    let r = run_on(&pipeline, Path::new(&input), &out);
    let o = &r["outputs"][0];
    assert_eq!(o["aggregate"]["totals"], true, "{o}");
    assert_eq!(
        o["aggregate"]["count_column"], "numri",
        "found by its header"
    );
    let (names, rows) = cells(&out.join(o["path"].as_str().expect("path")));
    let count = names.iter().position(|n| n == "numri").expect("count");
    let get = |k: &str, g: &str| {
        rows.iter()
            .find(|r| r[0].as_deref() == Some(k) && r[1].as_deref() == Some(g))
            .map(|r| r[count].clone())
            .expect("cell")
    };
    assert_eq!(get("A", "M"), None);
    // With A's total published, A/F must go too; with the M total published, one more M.
    assert_eq!(get("A", "F"), None);
    assert_eq!(
        get("B", "M"),
        None,
        "the smallest complement in the M column"
    );
    assert_eq!(get("Gjithsej", "Gjithsej"), Some("146".into()));
    assert_eq!(lone_suppressed(&rows, count), 0);
    // The threshold rule is the privacy model of an aggregate table.
    assert_eq!(o["verdict"]["outcome"], "anonymised", "{}", o["verdict"]);
}

#[test]
fn an_undeclared_aggregate_table_in_a_research_release_is_not_fit() {
    let d = TestDir::new();
    let shipped =
        std::fs::read_to_string(root().join("pipelines/research-release.toml")).expect("read");
    let cut = shipped
        .find("\n[aggregate]")
        .expect("the shipped release declares one");
    let pipeline = d.file("undeclared.toml", &shipped.as_bytes()[..cut]);
    let out = d.path().join("out");
    let r = run_on(
        &pipeline,
        &root().join("sample-data/popullsia_2024.csv"),
        &out,
    );
    let o = &r["outputs"][0];
    assert!(o["aggregate"].is_null());
    let v = &o["verdict"];
    assert_eq!(v["outcome"], "not_fit", "{v}");
    assert!(
        v["reasons"][0]
            .as_str()
            .is_some_and(|r| r.contains("looks like an aggregate table (count column `numri`")),
        "{v}"
    );
}

#[test]
fn a_threshold_below_two_is_refused_at_load() {
    let d = TestDir::new();
    let pipeline = d.file(
        "bad.toml",
        b"[pipeline]\nname = \"x\"\n[aggregate]\ndatasets = [\"*\"]\nthreshold = 1\n",
    );
    let o = run(&[
        "run",
        &pipeline,
        "--input",
        "nowhere.csv",
        "--out-dir",
        "out",
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("threshold = 1"), "{}", stderr(&o));
}

#[test]
fn a_declared_table_without_its_count_column_is_an_input_error() {
    let d = TestDir::new();
    let input = d.file("tabela.csv", b"komuna,gjinia,sasia\nA,M,3\nA,F,40\n");
    let pipeline = d.file(
        "agg.toml",
        b"[pipeline]\nname = \"agg\"\n[key]\nmode = \"none\"\n\
          [[rules]]\ncategory = \"municipality\"\naction = \"keep\"\n\
          [[rules]]\ncategory = \"gender\"\naction = \"keep\"\n\
          [aggregate]\ndatasets = [\"tabela*\"]\ncount = \"numri\"\n",
    );
    let out = d.path().join("out");
    let o = run(&[
        "run",
        &pipeline,
        "--input",
        &input,
        "--out-dir",
        out.to_str().expect("utf8"),
    ]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains("no count column `numri`") && e.contains("sasia"),
        "{e}"
    );
}
