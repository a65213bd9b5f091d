//! Fail-safe classification end to end (issue 16): an `uncertain` column stops a strict
//! pipeline, naming the column and what it might be; a declared category (`[[declare]]` in the
//! pipeline or a shared annotations file) overrides the scan, is recorded in the run report and
//! is respected by `verify`; record keys are not kept by the research release.
use std::path::Path;

use crate::util::{TestDir, run, stderr, stdout};

/// Band names that no name list holds: one capitalised word each, 48 distinct.
fn band(i: usize) -> String {
    let stem = [
        "Kral", "Voln", "Drem", "Sorb", "Tulk", "Fenz", "Gorv", "Pliv",
    ];
    let tail = ["ak", "es", "ir", "om", "una", "et"];
    format!(
        "{}{}",
        stem[i % stem.len()],
        tail[(i / stem.len()) % tail.len()]
    )
}

/// Band names under a `name` header with a municipality and counts, and (in a second table)
/// people with their keys.
fn fixtures(d: &TestDir) -> (String, String) {
    // With a municipality the table is about persons, and 48 distinct capitalised words could
    // as well be people's first names: a question. (A few genres repeated over every row would
    // be a closed list of labels; in a lookup table alone, labels too.)
    let mut labels = String::from("name,komuna,sasia\n");
    for i in 0..60 {
        labels.push_str(&format!("{},Prizren,{}\n", band(i), 10 + i));
    }
    let names = [
        "Arben Gashi",
        "Drita Krasniqi",
        "Besnik Berisha",
        "Vjosa Hoxha",
        "Luan Morina",
    ];
    let mut people = String::from("employee_id,emri,komuna\n");
    for i in 0..60 {
        people.push_str(&format!(
            "{},{},Prishtinë\n",
            7000 + i,
            names[i % names.len()]
        ));
    }
    (
        d.file("zhanret.csv", labels.as_bytes()),
        d.file("punetoret.csv", people.as_bytes()),
    )
}

const BASE: &str = "[pipeline]\nname = \"t\"\nstrict = true\n[output]\nformat = \"csv\"\n[key]\nmode = \"ephemeral\"\n\n\
[[rules]]\nrole = \"direct_identifier\"\naction = \"drop\"\n\n[[rules]]\nrole = \"record_key\"\naction = \"drop\"\n\n\
[[rules]]\nrole = \"quasi_identifier\"\naction = \"keep\"\n";

fn run_pipeline(
    d: &TestDir,
    name: &str,
    text: &str,
    input: &str,
) -> (std::process::Output, String) {
    let p = d.file(&format!("{name}.toml"), text.as_bytes());
    let out = d.path().join(name).display().to_string();
    let o = run(&["run", &p, "--input", input, "--out-dir", &out]);
    (o, out)
}

fn plan_column<'a>(report: &'a serde_json::Value, column: &str) -> &'a serde_json::Value {
    report["plan"]["datasets"]
        .as_array()
        .expect("plan datasets")
        .iter()
        .flat_map(|d| d["columns"].as_array().expect("columns").iter())
        .find(|c| c["name"] == column)
        .expect("planned column")
}

fn read_report(out: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(Path::new(out).join("anonkos-run.json")).expect("report");
    serde_json::from_str(&text).expect("report JSON")
}

#[test]
fn an_uncertain_column_stops_a_strict_pipeline_naming_the_candidates() {
    let d = TestDir::new();
    let (labels, _) = fixtures(&d);
    let o = run(&["scan", &labels, "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let scan: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("scan JSON");
    let col = &scan["datasets"][0]["columns"][0];
    assert_eq!(col["category"], "uncertain", "{col}");
    assert_eq!(col["role"], "uncertain");
    assert!(
        col["alternatives"]
            .as_array()
            .expect("alternatives")
            .iter()
            .any(|a| a["category"] == "person_name"),
        "{col}"
    );
    let (o, out) = run_pipeline(&d, "strict", BASE, &labels);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("name (uncertain; might also be: person_name)"),
        "{text}"
    );
    assert!(
        !Path::new(&out).join("zhanret.csv").exists(),
        "nothing is written"
    );
}

#[test]
fn a_declared_category_overrides_the_scan_and_verify_respects_it() {
    let d = TestDir::new();
    let (labels, people) = fixtures(&d);
    // In the pipeline: the labels are not personal.
    let text = format!(
        "{BASE}\n[[declare]]\ncolumn = \"name\"\ncategory = \"none\"\nwhy = \"band names, checked by the DPO\"\n"
    );
    let (o, out) = run_pipeline(&d, "declared", &text, &labels);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let report = read_report(&out);
    let c = plan_column(&report, "name");
    assert_eq!(c["category"], "none");
    assert_eq!(c["action"], "keep");
    let declared = c["declared"].as_str().expect("declared is recorded");
    assert!(
        declared.contains("band names") && declared.contains("detected: uncertain"),
        "{declared}"
    );
    let written = std::fs::read_to_string(Path::new(&out).join("zhanret.csv")).expect("output");
    assert!(written.contains(&band(5)), "the declared column is kept");
    // The same labels in a lookup table of their own are labels, not a question.
    let genres = [
        "Rock", "Jazz", "Hip Hop", "Folk", "Blues", "Pop", "Soul", "Funk", "Reggae", "Punk",
        "Metal", "Disco", "Techno", "House", "Gospel", "Opera", "Ska", "Grunge", "Trance", "Salsa",
        "Tango", "Samba", "Polka", "Swing",
    ];
    let mut t = String::from("id,name\n");
    for (i, g) in genres.iter().enumerate() {
        t.push_str(&format!("{i},{g}\n"));
    }
    let lookup = d.file("zhanret_lista.csv", t.as_bytes());
    let o = run(&["scan", &lookup, "--format", "json"]);
    let scan: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("scan JSON");
    let cols = &scan["datasets"][0]["columns"];
    assert_eq!(cols[1]["category"], "none", "{}", cols[1]);
    assert!(cols[1].to_string().contains("lookup table"), "{}", cols[1]);
    assert_eq!(
        cols[0]["category"], "none",
        "a lookup table's id is no person's key"
    );
    // A real false positive made on purpose: names declared not personal are kept, and verify
    // (which re-detects them as names) accepts the declaration instead of failing.
    let ann = d.file(
        "annotations.toml",
        b"[[declare]]\ndataset = \"punetoret*\"\ncolumn = \"emri\"\ncategory = \"none\"\nwhy = \"stage names of a public register\"\n",
    );
    let text = BASE.replacen(
        "strict = true\n",
        &format!("strict = true\nannotations = \"{ann}\"\n"),
        1,
    );
    let (o, out) = run_pipeline(&d, "annotated", &text, &people);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let report = read_report(&out);
    let c = plan_column(&report, "emri");
    assert_eq!(c["action"], "keep", "{c}");
    assert!(
        c["declared"]
            .as_str()
            .is_some_and(|s| s.contains("annotations.toml")),
        "{c}"
    );
    // The scan shows the declaration over what it detected.
    let o = run(&["scan", &people, "--annotations", &ann, "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let scan: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("scan JSON");
    let emri = &scan["datasets"][0]["columns"][1];
    assert_eq!(emri["category"], "none", "{emri}");
    assert_eq!(emri["alternatives"][0]["category"], "person_name", "{emri}");
    assert!(emri.to_string().contains("stage names"), "{emri}");
    // The record key is dropped, not kept.
    assert_eq!(
        plan_column(&report, "employee_id")["category"],
        "record_key"
    );
    assert_eq!(plan_column(&report, "employee_id")["action"], "drop");
    let v = run(&["verify", &out]);
    assert_eq!(v.status.code(), Some(0), "{}{}", stdout(&v), stderr(&v));
    // Without the declaration the same output fails verification: the names are a finding.
    let manifest = Path::new(&out).join("anonkos-run.json");
    let text = std::fs::read_to_string(&manifest).expect("report");
    let stripped = text.replace("\"declared\":", "\"was_declared\":");
    std::fs::write(&manifest, stripped).expect("rewrite report");
    let v = run(&["verify", &out]);
    assert_ne!(v.status.code(), Some(0), "{}", stdout(&v));
}

#[test]
fn bad_declarations_are_refused_naming_the_file() {
    let d = TestDir::new();
    let (labels, _) = fixtures(&d);
    let text =
        format!("{BASE}\n[[declare]]\ncolumn = \"name\"\ncategory = \"nonee\"\nwhy = \"x\"\n");
    let (o, _) = run_pipeline(&d, "bad", &text, &labels);
    assert_ne!(o.status.code(), Some(0));
    let err = stderr(&o);
    assert!(err.contains("bad.toml") && err.contains("nonee"), "{err}");
}
