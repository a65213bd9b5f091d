//! The main job on the bundled sample data: every column classified as expected, the JSON
//! report follows the `anonkos.scan/v1` contract, and the committed sample files are exactly
//! what the generator makes.
use std::collections::BTreeMap;

use crate::util::{TestDir, root, run, stderr, stdout};

fn scan_json(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["scan", "--format", "json"];
    all.extend(args);
    let o = run(&all);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    serde_json::from_str(&stdout(&o)).expect("valid JSON")
}

fn categories(json: &serde_json::Value) -> BTreeMap<(String, String), String> {
    let mut m = BTreeMap::new();
    for d in json["datasets"].as_array().unwrap() {
        let file = d["source"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_string();
        for c in d["columns"].as_array().unwrap() {
            m.insert(
                (file.clone(), c["name"].as_str().unwrap().to_string()),
                c["category"].as_str().unwrap().to_string(),
            );
        }
    }
    m
}

fn check_expected(json: &serde_json::Value) {
    let got = categories(json);
    let mut wrong = Vec::new();
    for (file, column, want) in anonkos::sample::expected_categories() {
        match got.get(&(file.to_string(), column.to_string())) {
            Some(g) if g == want => {}
            Some(g) => wrong.push(format!("{file} / {column}: expected {want}, got {g}")),
            None => wrong.push(format!("{file} / {column}: missing from the report")),
        }
    }
    assert!(
        wrong.is_empty(),
        "{} misclassified columns:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn sample_data_is_classified_correctly() {
    check_expected(&scan_json(&["sample-data/"]));
}

#[test]
fn sample_data_is_classified_correctly_in_full_mode() {
    check_expected(&scan_json(&["--full", "sample-data/"]));
}

#[test]
fn committed_sample_data_is_what_the_generator_makes() {
    let d = TestDir::new();
    let out = d.path().display().to_string();
    let o = run(&["sample", "--out", &out]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for e in std::fs::read_dir(d.path()).unwrap() {
        let name = e.unwrap().file_name();
        let fresh = std::fs::read(d.path().join(&name)).unwrap();
        let committed = std::fs::read(root().join("sample-data").join(&name))
            .unwrap_or_else(|_| panic!("sample-data/{} is not committed", name.to_string_lossy()));
        assert!(
            fresh == committed,
            "sample-data/{} differs from `anonkos sample` output",
            name.to_string_lossy()
        );
    }
}

#[test]
fn json_report_follows_the_contract() {
    let json = scan_json(&["sample-data/patients.csv"]);
    assert_eq!(json["schema"], "anonkos.scan/v1");
    assert_eq!(json["tool"]["name"], "anonkos");
    assert!(json["generated_at"].as_str().unwrap().ends_with('Z'));
    let ds = &json["datasets"][0];
    for key in [
        "source",
        "table",
        "format",
        "rows_scanned",
        "rows_total",
        "columns",
    ] {
        assert!(ds.get(key).is_some(), "dataset lacks {key}");
    }
    assert_eq!(ds["source"], "sample-data/patients.csv");
    assert!(ds["table"].is_null());
    assert_eq!(ds["format"], "csv");
    for c in ds["columns"].as_array().unwrap() {
        for key in [
            "name",
            "category",
            "role",
            "special_category",
            "confidence",
            "evidence",
            "alternatives",
            "entities",
            "examples",
        ] {
            assert!(c.get(key).is_some(), "column lacks {key}: {c}");
        }
        let conf = c["confidence"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&conf));
        for a in c["alternatives"].as_array().unwrap() {
            assert!(a["category"].is_string() && a["confidence"].is_number());
        }
        for e in c["evidence"].as_array().unwrap() {
            assert!(e["kind"].is_string());
        }
    }
}

/// The whole report on the sample data, minus the timestamp, is snapshot-tested so any change
/// to the contract or to a classification shows up in review.
#[test]
fn json_report_snapshot() {
    let o = run(&["scan", "--format", "json", "sample-data/"]);
    let mut json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    json["generated_at"] = serde_json::Value::String("[timestamp]".into());
    json["tool"]["version"] = serde_json::Value::String("[version]".into());
    // Sketch hashes are keyed by a random per-process key: stable only in shape.
    json["sketch_key_id"] = serde_json::Value::String("[key id]".into());
    for d in json["datasets"].as_array_mut().unwrap() {
        for c in d["columns"].as_array_mut().unwrap() {
            if let Some(h) = c.pointer_mut("/sketch/hashes") {
                let n = h.as_array().map_or(0, |a| a.len());
                *h = serde_json::Value::String(format!("[{n} keyed hashes]"));
            }
        }
    }
    insta::assert_json_snapshot!("scan_sample_data", json);
}

#[test]
fn markdown_and_table_reports_render() {
    let o = run(&["scan", "--format", "md", "sample-data/"]);
    let md = stdout(&o);
    assert!(md.starts_with("# anonkos scan report"));
    assert!(md.contains("| column | category |"));
    let o = run(&["scan", "sample-data/"]);
    assert!(stdout(&o).contains("kosovo_personal_number"));
}

#[test]
fn output_file_is_written_atomically() {
    let d = TestDir::new();
    let out = d.path().join("report.json");
    let o = run(&[
        "scan",
        "--format",
        "json",
        "--output",
        &out.display().to_string(),
        "sample-data/patients.csv",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).is_empty());
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("anonkos.scan/v1"));
    // Only the report: no temporary file left behind.
    assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
}

#[test]
fn inputs_are_never_modified() {
    let before: Vec<(String, Vec<u8>)> = std::fs::read_dir(root().join("sample-data"))
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (p.display().to_string(), std::fs::read(&p).unwrap())
        })
        .collect();
    let _ = run(&["scan", "--full", "sample-data/"]);
    for (p, bytes) in before {
        assert_eq!(std::fs::read(&p).unwrap(), bytes, "{p} changed");
    }
}

/// The default sample is spread across the whole file, not just its head: a column that is
/// empty in the first 90 % of a large file and holds e-mail addresses in the last 10 % is
/// still found, and the row total is estimated.
#[test]
fn sampling_reaches_the_end_of_a_large_file() {
    let d = TestDir::new();
    let mut text = String::from("id,kontakt\n");
    let rows = 300_000;
    for i in 0..rows {
        if i < rows * 9 / 10 {
            text.push_str(&format!("{i},\n"));
        } else {
            text.push_str(&format!("{i},user{i}@example.org\n"));
        }
    }
    let path = d.file("tail.csv", text.as_bytes());
    let json = scan_json(&["--sample-rows", "2000", &path]);
    let ds = &json["datasets"][0];
    assert!(
        ds["rows_scanned"].as_u64().unwrap() < 10_000,
        "{}",
        ds["rows_scanned"]
    );
    assert_eq!(
        ds["columns"][1]["category"], "email",
        "{}",
        ds["columns"][1]
    );
    let total = ds["rows_total"].as_u64().unwrap();
    // Row length changes along this file (ids grow, the tail is longer), the worst case for
    // an estimate from windows; 20 % is the bound here, uniform files come much closer.
    assert!(total.abs_diff(rows) < rows / 5, "estimated total {total}");
    assert_eq!(ds["rows_total_estimated"], true);
    // --full reads every row and counts exactly.
    let json = scan_json(&["--full", &path]);
    assert_eq!(json["datasets"][0]["rows_scanned"], rows);
    assert_eq!(json["datasets"][0]["rows_total"], rows);
}
