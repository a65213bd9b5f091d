//! `anonkos report` and `scan --filing-systems` on the sample data with the shipped
//! `filing-systems.toml`: mappings, findings and the articles they cite.
use serde_json::Value;

use crate::util::{TestDir, run, stderr, stdout};

const RUN_JSON: &str = r#"{"schema": "anonkos.run/v1", "pipeline": "pipelines/research-release.toml",
      "outputs": [
        {"input": "sample-data/patients.csv", "path": "out/patients.csv", "sha256": "ab",
         "rows": 300, "verification": {"passed": true, "remaining_direct_identifiers": []},
         "privacy": {"k_target": 5, "k_achieved": 6},
         "risk": {"before": {"max_prosecutor_risk": 1.0}, "after": {"max_prosecutor_risk": 0.17}},
         "verdict": {"outcome": "anonymised", "reasons": ["verification passed", "k-anonymity: 6 ≥ 5 required"]}},
        {"input": "sample-data/zaposleni_cp1250.csv", "path": "out/zaposleni.csv",
         "verification": {"passed": false, "remaining_direct_identifiers": ["JMBG"]},
         "verdict": {"outcome": "not_fit", "reasons": ["direct identifiers left: JMBG"]}},
        {"input": "sample-data/employees.parquet", "path": "out/employees.parquet",
         "privacy": {"k_target": 5, "k_achieved": 9}},
        {"input": "sample-data/faturat.csv", "path": "out/faturat.csv",
         "verification": {"passed": true, "remaining_direct_identifiers": []},
         "verdict": {"outcome": "pseudonymised", "reasons": ["nr_fatures is a record key of the source"]}}
      ]}"#;

fn scan_json(dir: &TestDir) -> String {
    let out = dir.path().join("scan.json").display().to_string();
    let o = run(&["scan", "sample-data/", "--format", "json", "-o", &out]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    out
}

fn report(dir: &TestDir, format: &str) -> String {
    let scan = scan_json(dir);
    let o = run(&[
        "report",
        "--scan",
        &scan,
        "--filing-systems",
        "filing-systems.toml",
        "--format",
        format,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    stdout(&o)
}

/// `anonkos report` of the scan at `scan` with the run report at `run_path`, in `format`.
fn report_with_run(scan: &str, run_path: &str, format: &str) -> String {
    let o = run(&[
        "report",
        "--scan",
        scan,
        "--run",
        run_path,
        "--filing-systems",
        "filing-systems.toml",
        "--format",
        format,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    stdout(&o)
}

fn findings<'a>(r: &'a Value, code: &str) -> Vec<&'a Value> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .collect()
}

fn cites(f: &Value) -> Vec<String> {
    f["cites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let (article, law) = (c["article"].as_str().unwrap(), c["law"].as_str().unwrap());
            // Overview citations read "06/L-082 overview §…".
            if law == "06/L-082 overview" {
                format!("{law} {article}")
            } else {
                format!("{article} {law}")
            }
        })
        .collect()
}

#[test]
fn report_json_maps_datasets_and_cites_articles() {
    let dir = TestDir::new();
    let r: Value = serde_json::from_str(&report(&dir, "json")).unwrap();
    assert_eq!(r["schema"], "anonkos.report/v1");
    let fs = r["filing_systems"].as_array().unwrap();
    let by_id = |id: &str| fs.iter().find(|f| f["id"] == id).unwrap();
    let labels = |id: &str| -> Vec<String> {
        by_id(id)["datasets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["label"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(labels("health-register"), ["sample-data/patients.csv"]);
    assert_eq!(
        labels("hr-register"),
        [
            "sample-data/employees.parquet",
            "sample-data/zaposleni_cp1250.csv"
        ]
    );
    assert_eq!(
        labels("population-statistics"),
        ["sample-data/popullsia_2024.csv"]
    );
    assert_eq!(by_id("health-register")["subjects_estimate"], 300);

    // The deliberately undeclared category.
    let u = findings(&r, "undeclared_category");
    assert_eq!(u.len(), 1, "{u:?}");
    assert_eq!(u[0]["filing_system"], "health-register");
    assert_eq!(u[0]["categories"], serde_json::json!(["ethnic_origin"]));
    assert!(u[0]["columns"][0].as_str().unwrap().ends_with("etnia"));
    let c = cites(u[0]);
    assert!(c.contains(&"Art. 17(2) 03/L-172".to_string()), "{c:?}");
    assert!(c.contains(&"Art. 18(2) 03/L-172".to_string()), "{c:?}");
    assert_eq!(u[0]["severity"], "high");

    // Declared but never found.
    let d = findings(&r, "declared_not_found");
    assert_eq!(d.len(), 1);
    assert_eq!(d[0]["filing_system"], "hr-register");
    assert_eq!(d[0]["categories"], serde_json::json!(["occupation"]));

    // Special categories, with Art. 2(1.16), 6 and 7.
    let s = findings(&r, "special_categories");
    let hr = s
        .iter()
        .find(|f| f["filing_system"] == "hr-register")
        .unwrap();
    for cat in [
        "religion",
        "trade_union",
        "political_opinion",
        "criminal_record",
    ] {
        assert!(
            hr["categories"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c == cat),
            "{cat}"
        );
    }
    let c = cites(hr);
    for a in [
        "Art. 2(1.16) 03/L-172",
        "Art. 6(1) 03/L-172",
        "Art. 7 03/L-172",
    ] {
        assert!(c.contains(&a.to_string()), "{a} in {c:?}");
    }

    // The unmapped dataset gets a draft entry with what the scan can fill.
    let un = findings(&r, "unmapped_dataset");
    assert_eq!(un.len(), 1);
    assert_eq!(
        un[0]["datasets"],
        serde_json::json!(["sample-data/export_col.csv"])
    );
    let draft = by_id("draft:sample-data/export_col.csv");
    assert_eq!(draft["declared"], false);
    assert_eq!(draft["subjects_estimate"], 300);
    let pd = draft["catalogue"]["personal_data"].as_array().unwrap();
    assert!(pd.iter().any(|c| c == "ethnic_origin") && pd.iter().any(|c| c == "jmbg"));
    assert_eq!(
        draft["catalogue"]["legal_basis"],
        "TO BE COMPLETED BY THE CONTROLLER"
    );

    // Notification of every filing system (Art. 18(1)); the overview's registration
    // conditions shown for information, as a secondary source.
    let reg = findings(&r, "registration_required");
    let h = reg
        .iter()
        .find(|f| f["filing_system"] == "health-register")
        .unwrap();
    let m = h["message"].as_str().unwrap();
    assert!(m.contains("more than 250") && m.contains("public body") && m.contains("sensitive"));
    assert_eq!(
        cites(h),
        [
            "Art. 18(1) 03/L-172",
            "Art. 18(2) 03/L-172",
            "Art. 19 03/L-172",
            "06/L-082 overview §7.1"
        ]
    );

    // Linkage: patients.csv and export_col.csv share three e-mail addresses (by chance of
    // the generator), measured through keyed sketches.
    let l = findings(&r, "linkable_filing_systems");
    let hit = l
        .iter()
        .find(|f| f["severity"] == "high")
        .expect("a high linkage finding");
    assert!(
        hit["message"]
            .as_str()
            .unwrap()
            .contains("email (3 common values)")
    );
    assert!(cites(hit).contains(&"Art. 71(3) 03/L-172".to_string()));

    // A source that matches nothing is a finding (and a warning on stderr).
    assert_eq!(findings(&r, "source_matches_nothing").len(), 1);

    // Every cited anchor is quoted in the appendix.
    let anchors: Vec<&str> = r["articles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    for f in r["findings"].as_array().unwrap() {
        for c in f["cites"].as_array().unwrap() {
            assert!(anchors.contains(&c["anchor"].as_str().unwrap()));
        }
    }
}

#[test]
fn report_holds_no_raw_values_and_sketches_are_keyed() {
    let dir = TestDir::new();
    let scan = scan_json(&dir);
    let text = std::fs::read_to_string(&scan).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    // A sketch is present on identifier columns only, as 16-hex-digit hashes.
    let patients = &v["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["source"] == "sample-data/patients.csv")
        .unwrap()["columns"];
    let np = patients
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "nr_personal")
        .unwrap();
    assert_eq!(np["sketch"]["scheme"], "kmv-hmac-sha256-64");
    assert_eq!(np["sketch"]["distinct_estimate"], 300);
    let h = np["sketch"]["hashes"][0].as_str().unwrap();
    assert_eq!(h.len(), 16);
    let diag = patients
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "diagnoza")
        .unwrap();
    assert!(diag.get("sketch").is_none());
    // Two scans use two keys: the same data gives different hashes.
    let dir2 = TestDir::new();
    let v2: Value =
        serde_json::from_str(&std::fs::read_to_string(scan_json(&dir2)).unwrap()).unwrap();
    assert_ne!(v["sketch_key_id"], v2["sketch_key_id"]);
    // No raw personal number of the sample appears in the scan or the report.
    let raw = std::fs::read_to_string("sample-data/patients.csv").unwrap();
    let first_np = raw
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(first_np.len(), 10);
    assert!(!text.contains(&first_np));
    for f in ["json", "md", "html"] {
        assert!(!report(&dir, f).contains(&first_np), "{f}");
    }
}

#[test]
fn scan_with_filing_systems_is_one_step() {
    let o = run(&[
        "scan",
        "sample-data/",
        "--filing-systems",
        "filing-systems.toml",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(r["schema"], "anonkos.report/v1");
    assert_eq!(findings(&r, "undeclared_category").len(), 1);
    assert!(stderr(&o).contains("matches no scanned dataset"));
}

/// A clinic and a police register sharing 100 personal numbers; the police register is flagged
/// `criminal_records = true` (official criminal records, Art. 72) when `flagged`.
fn clinic_and_police(dir: &TestDir, flagged: bool) -> Value {
    clinic_and_police_linked(dir, flagged, false)
}

/// The clinic and police catalogue; `linked`: the clinic declares the police register in item
/// 1.12.
fn clinic_and_police_linked(dir: &TestDir, flagged: bool, linked: bool) -> Value {
    let mut a = String::from("nr_personal,diagnoza\n");
    let mut b = String::from("numri_personal,dosja_penale\n");
    // nidx-valid personal numbers: compute the check digit.
    let np = |i: u32| {
        let body = format!("1{:08}", 10_000_000 + i);
        let w = [4u32, 3, 2, 7, 6, 5, 4, 3, 2];
        let s: u32 = body
            .chars()
            .zip(w)
            .map(|(c, w)| c.to_digit(10).unwrap() * w)
            .sum();
        let mut k = 11 - s % 11;
        if k >= 10 {
            k = 0;
        }
        format!("{body}{k}")
    };
    for i in 0..400 {
        a.push_str(&format!("{},J45.{}\n", np(i), i % 10));
    }
    for i in 300..700 {
        b.push_str(&format!("{},po\n", np(i)));
    }
    dir.file("health.csv", a.as_bytes());
    dir.file("police.csv", b.as_bytes());
    let root = dir.path().display().to_string();
    let cat = format!(
        r#"
[[filing_system]]
id = "clinic"
title = "Clinic"
legal_basis = "x"
data_subjects = ["patients"]
personal_data = ["kosovo_personal_number", "health"]
purpose = "x"
retention = "x"
restrictions = "none"
recipients = []
transfers_abroad = "none"
security_measures = "x"
linked_filing_systems = []
[filing_system.controller]
name = "C"
[filing_system.sources]
files = ["{root}/health.csv"]

[[filing_system]]
id = "police"
{flag}
title = "Records"
legal_basis = "x"
data_subjects = ["offenders"]
personal_data = ["kosovo_personal_number", "criminal_record"]
purpose = "x"
retention = "x"
restrictions = "none"
recipients = []
transfers_abroad = "none"
security_measures = "x"
linked_filing_systems = []
[filing_system.controller]
name = "P"
[filing_system.sources]
files = ["{root}/police.csv"]
"#,
        flag = if flagged {
            "criminal_records = true"
        } else {
            ""
        }
    );
    let cat = if linked {
        cat.replacen(
            "linked_filing_systems = []",
            "linked_filing_systems = [\"police\"]",
            1,
        )
    } else {
        cat
    };
    let cat_path = dir.file("fs.toml", cat.as_bytes());
    let o = run(&[
        "scan",
        &root,
        "--filing-systems",
        &cat_path,
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    serde_json::from_str(&stdout(&o)).unwrap()
}

#[test]
fn linkage_is_estimated_from_sketches_and_criminal_records_are_prohibited() {
    let dir = TestDir::new();
    let r = clinic_and_police(&dir, true);
    let links = r["links"].as_array().unwrap();
    let l = links
        .iter()
        .find(|l| l["category"] == "kosovo_personal_number")
        .unwrap_or_else(|| panic!("{links:?}"));
    assert_eq!(l["shared_estimate"], 100);
    let f = findings(&r, "linkable_filing_systems");
    assert_eq!(f[0]["severity"], "critical");
    assert!(cites(f[0]).contains(&"Art. 72 03/L-172".to_string()));
    // Health data keyed by a connecting code only.
    let h = findings(&r, "health_connecting_code_only");
    assert_eq!(
        h.len(),
        1,
        "{}",
        serde_json::to_string_pretty(&r["findings"]).unwrap()
    );
    assert!(cites(h[0]).contains(&"Art. 11(1) 03/L-172".to_string()));
    // Neither entry declares the other in item 1.12 although their rows link.
    let u = findings(&r, "links_undeclared");
    assert_eq!(
        u.len(),
        1,
        "{}",
        serde_json::to_string_pretty(&r["findings"]).unwrap()
    );
    assert!(cites(u[0]).contains(&"Art. 17(1.12) 03/L-172".to_string()));
    let declared = clinic_and_police_linked(&TestDir::new(), true, true);
    assert!(findings(&declared, "links_undeclared").is_empty());
}

fn quoted<'a>(r: &'a Value, anchor: &str) -> &'a str {
    r["articles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == anchor)
        .and_then(|a| a["text"].as_str())
        .unwrap_or_else(|| panic!("{anchor} not quoted"))
}

#[test]
fn report_art72_only_for_flagged_criminal_record_filing_systems() {
    let dir = TestDir::new();
    // Flagged: Art. 72, with its quoted prohibition.
    let r = clinic_and_police(&dir, true);
    let f = findings(&r, "linkable_filing_systems");
    assert!(cites(f[0]).contains(&"Art. 72 03/L-172".to_string()));
    assert!(
        f[0]["action"]
            .as_str()
            .unwrap()
            .contains("criminal_records = true")
    );
    assert!(
        quoted(&r, "art-72")
            .contains("criminal records and minor offence records shall be prohibited")
    );
    // The same criminal-record column without the flag: sensitive data, Art. 71(3).
    let dir = TestDir::new();
    let r = clinic_and_police(&dir, false);
    let f = findings(&r, "linkable_filing_systems");
    assert_eq!(f[0]["severity"], "high");
    let c = cites(f[0]);
    assert!(!c.contains(&"Art. 72 03/L-172".to_string()), "{c:?}");
    assert!(c.contains(&"Art. 71(3) 03/L-172".to_string()), "{c:?}");
    assert!(
        quoted(&r, "art-71").contains(
            "linking shall not be permitted without the prior authorization of the Agency"
        )
    );
    assert!(
        r["articles"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["id"] != "art-72")
    );
}

#[test]
fn report_sample_catalogue_gives_art5_not_art9_as_legal_basis() {
    let dir = TestDir::new();
    let r: Value = serde_json::from_str(&report(&dir, "json")).unwrap();
    let stats = r["filing_systems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "population-statistics")
        .unwrap();
    let basis = stats["catalogue"]["legal_basis"].as_str().unwrap();
    assert!(
        basis.contains("Art. 5(1.3)") && basis.contains("5(1.5)"),
        "{basis}"
    );
    assert!(!basis.contains("Art. 9"), "{basis}");
    // No entry of the sample catalogue gives Art. 9 as its basis.
    assert!(findings(&r, "legal_basis_art9").is_empty());
    // The special categories of the sample (HR register) name the words of Art. 2(1.16).
    let s = findings(&r, "special_categories");
    let hr = s
        .iter()
        .find(|f| f["filing_system"] == "hr-register")
        .unwrap();
    assert!(
        hr["message"]
            .as_str()
            .unwrap()
            .contains("political or philosophical opinions")
    );
    assert!(
        quoted(&r, "art-2")
            .contains("racial or ethnic origin, political or philosophical opinions")
    );
    // Housekeeping cites nothing; the notification of every filing system cites Art. 18(1).
    for f in findings(&r, "source_matches_nothing") {
        assert!(cites(f).is_empty());
    }
    for id in [
        "health-register",
        "hr-register",
        "population-statistics",
        "invoicing",
    ] {
        let reg = findings(&r, "registration_required");
        let f = reg
            .iter()
            .find(|f| f["filing_system"] == id)
            .unwrap_or_else(|| panic!("{id}"));
        assert!(cites(f).contains(&"Art. 18(1) 03/L-172".to_string()));
    }
}

#[test]
fn run_reports_give_art9_verdicts_from_measured_facts() {
    let dir = TestDir::new();
    let scan = scan_json(&dir);
    let run_json = RUN_JSON;
    let run_path = dir.file("run.json", run_json.as_bytes());
    let out = report_with_run(&scan, &run_path, "json");
    let r: Value = serde_json::from_str(&out).unwrap();
    let verdicts: Vec<&str> = r["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["art9"]["verdict"].as_str().unwrap())
        .collect();
    // The run's own verdicts pass through; a run report without one is never upgraded.
    assert_eq!(
        verdicts,
        ["anonymised", "not_fit", "not_fit", "pseudonymised"]
    );
    assert!(
        r["runs"][2]["art9"]["reasons"][0]
            .as_str()
            .unwrap()
            .contains("no verdict")
    );
    assert_eq!(r["runs"][0]["filing_system"], "health-register");
    let nf = findings(&r, "art9_not_fit");
    assert!(nf[0]["message"].as_str().unwrap().contains("JMBG"));
    assert!(cites(nf[0]).contains(&"Art. 9(2) 03/L-172".to_string()));
    // No recipient or legal basis recorded for outputs that are personal data: Art. 12(3).
    let d = findings(&r, "disclosure_unrecorded");
    assert_eq!(d.len(), 1);
    assert_eq!(cites(d[0]), ["Art. 12(3) 03/L-172"]);
    let quoted = r["articles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "art-12")
        .unwrap();
    assert!(
        quoted["text"]
            .as_str()
            .unwrap()
            .contains("to whom, when and on what legal basis")
    );
    let with = RUN_JSON.replacen(
        "\"outputs\": [",
        "\"disclosure\": {\"recipient\": \"ASK\", \"legal_basis\": \"Art. 9\"}, \"outputs\": [",
        1,
    );
    let run_path = dir.file("run2.json", with.as_bytes());
    let out = report_with_run(&scan, &run_path, "json");
    let r: Value = serde_json::from_str(&out).unwrap();
    assert!(findings(&r, "disclosure_unrecorded").is_empty());
}

#[test]
fn bad_inputs_are_clear_errors() {
    let dir = TestDir::new();
    let scan = scan_json(&dir);
    // Unknown schema.
    let bad = dir.file(
        "old.json",
        br#"{"schema": "anonkos.scan/v9", "datasets": []}"#,
    );
    let o = run(&[
        "report",
        "--scan",
        &bad,
        "--filing-systems",
        "filing-systems.toml",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("anonkos.scan/v9") && stderr(&o).contains("anonkos.scan/v1"));
    // Not JSON.
    let bad = dir.file("x.json", b"hello");
    let o = run(&[
        "report",
        "--scan",
        &bad,
        "--filing-systems",
        "filing-systems.toml",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // Missing Art. 17(1) item.
    let cat = std::fs::read_to_string("filing-systems.toml")
        .unwrap()
        .replacen("retention = \"10 years after the last visit\"\n", "", 1);
    let cat = dir.file("fs.toml", cat.as_bytes());
    let o = run(&["report", "--scan", &scan, "--filing-systems", &cat]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("item 1.7") && e.contains("health-register"),
        "{e}"
    );
    // Unknown key.
    let cat = std::fs::read_to_string("filing-systems.toml")
        .unwrap()
        .replacen("public_body = true", "public_bdy = true", 1);
    let cat = dir.file("fs2.toml", cat.as_bytes());
    let o = run(&["report", "--scan", &scan, "--filing-systems", &cat]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("public_bdy"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("panicked"));
}

#[test]
fn markdown_report_has_the_sections() {
    let dir = TestDir::new();
    let md = report(&dir, "md");
    for needle in [
        "# Filing-system report",
        "## Findings",
        "Art. 17(2) 03/L-172",
        "(DRAFT catalogue entry)",
        "1.5 the categories of personal data",
        "## Cited articles",
        "A data controller shall establish for each filing system a detailed description",
    ] {
        assert!(md.contains(needle), "markdown lacks {needle:?}");
    }
}

#[test]
fn html_report_is_self_contained() {
    let dir = TestDir::new();
    let html = report(&dir, "html");
    assert!(html.starts_with("<!DOCTYPE html>"));
    for banned in [
        "<script",
        "<link",
        "@import",
        "src=\"http",
        "href=\"http",
        "url(",
    ] {
        assert!(
            !html.contains(banned),
            "external or scripted asset: {banned}"
        );
    }
    // Every in-page link has its target.
    for part in html.split("href=\"#").skip(1) {
        let target = part.split('"').next().unwrap();
        assert!(
            html.contains(&format!("id=\"{target}\"")),
            "dangling link #{target}"
        );
    }
}

/// The installed headless browser, if any.
fn browser() -> Option<String> {
    let path = std::env::var_os("PATH")?;
    for name in [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ] {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p.display().to_string());
            }
        }
    }
    None
}

/// Load the HTML report in headless Chromium with a DOM probe appended to a *copy* of it
/// (the report itself has no script): the probe checks the sections, that every in-page
/// link resolves, that charts and cards are laid out with a non-zero size, and writes its
/// verdict into the DOM, which `--dump-dom` returns.
#[test]
#[allow(clippy::disallowed_macros)] // a skip is announced on the test's stdout
fn html_report_loads_in_a_headless_browser() {
    let Some(chromium) = browser() else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!(
                "chromium is missing: the HTML browser test needs it in CI (apt-get install -y chromium)"
            );
        }
        println!("SKIPPED html_report_loads_in_a_headless_browser: chromium not installed");
        return;
    };
    let dir = TestDir::new();
    let scan = scan_json(&dir);
    let run_path = dir.file("run.json", RUN_JSON.as_bytes());
    let html = report_with_run(&scan, &run_path, "html");
    let probe = r##"<script>
(function(){
  var errs = [];
  function need(sel, n){ var k = document.querySelectorAll(sel).length; if (k < n) errs.push(sel + ':' + k); }
  need('section#findings', 1); need('tr.finding', 5); need('article.card[data-fs]', 5);
  need('svg.chart', 4); need('section#appendix > article[id]', 5); need('section#links', 1);
  need('section#runs .run', 3); need('table.before-after svg.ba', 1);
  need('.verdict-anonymised', 1); need('.verdict-not_fit', 2); need('.verdict-pseudonymised', 1); need('section#runs ul.caveats li', 3);
  var framing = document.querySelector('header p.framing');
  if (!framing || framing.textContent.indexOf('06/L-082') < 0 || framing.textContent.indexOf('replaced') < 0) errs.push('no 06/L-082 banner');
  var cav = document.querySelector('section#runs ul.caveats');
  if (!cav || cav.textContent.indexOf('remain personal data') < 0 || cav.textContent.indexOf('not legal advice') < 0) errs.push('caveats missing');
  document.querySelectorAll('a[href^="#"]').forEach(function(a){
    if (!document.getElementById(a.getAttribute('href').slice(1))) errs.push('dangling ' + a.getAttribute('href'));
  });
  document.querySelectorAll('svg.chart, article.card').forEach(function(e){
    var r = e.getBoundingClientRect(); if (!(r.width > 0 && r.height > 0)) errs.push('not laid out');
  });
  var cards = Array.prototype.map.call(document.querySelectorAll('article.card[data-fs]'), function(c){ return c.dataset.fs; });
  if (cards.indexOf('health-register') < 0) errs.push('no health-register card');
  var f = document.querySelector('tr.finding[data-code="undeclared_category"] a[href="#art-17"]');
  if (!f) errs.push('undeclared finding does not link Art. 17');
  document.body.setAttribute('data-probe', errs.length ? 'FAIL ' + errs.join(' | ') : 'OK');
})();
</script></body>"##;
    let page = html.replacen("</body>", probe, 1);
    let file = dir.path().join("report.html");
    std::fs::write(&file, page).unwrap();
    let profile = dir.path().join("profile");
    let o = std::process::Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--virtual-time-budget=5000",
            &format!("--user-data-dir={}", profile.display()),
            "--dump-dom",
            &format!("file://{}", file.display()),
        ])
        .output()
        .expect("run chromium");
    let dom = stdout(&o);
    assert!(
        dom.contains("data-probe=\"OK\""),
        "browser DOM check failed (exit {:?}):\n{}\n{}",
        o.status.code(),
        dom.split("data-probe=")
            .nth(1)
            .unwrap_or("no probe result")
            .chars()
            .take(600)
            .collect::<String>(),
        stderr(&o)
    );
}

#[test]
fn log_verify_detects_tampering_on_the_command_line() {
    use anonkos::report::processing_log::{FileRecord, ProcessingLog, Record};
    let dir = TestDir::new();
    let log = dir.path().join("processing.jsonl");
    for i in 0..3 {
        let mut r = Record::new(format!("run pipelines/research-release.toml (test {i})"));
        r.inputs.push(
            FileRecord::of_file(std::path::Path::new("sample-data/patients.csv"), Some(300))
                .unwrap(),
        );
        ProcessingLog::append(&log, &r).unwrap();
    }
    let l = log.display().to_string();
    let o = run(&["log", "verify", &l]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("intact, 3 entries"));
    let head = stdout(&o).trim().rsplit(' ').next().unwrap().to_string();
    let o = run(&["log", "show", &l]);
    assert!(stdout(&o).contains("#3 ") && stdout(&o).contains("1 inputs"));
    // Entries carry hashes and counts, never values.
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("\"sha256\"") && !text.contains("Krasniqi"));
    // Remove the last entry: the chain stays valid, the expected head does not.
    let lines: Vec<&str> = text.lines().collect();
    std::fs::write(&log, format!("{}\n{}\n", lines[0], lines[1])).unwrap();
    assert_eq!(run(&["log", "verify", &l]).status.code(), Some(0));
    let o = run(&["log", "verify", &l, "--expect-head", &head]);
    assert_eq!(o.status.code(), Some(1));
    // Edit a line.
    std::fs::write(&log, text.replacen("(test 1)", "(test X)", 1)).unwrap();
    let o = run(&["log", "verify", &l]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("TAMPERED") && stdout(&o).contains("line 2"));
    // Reorder.
    std::fs::write(&log, format!("{}\n{}\n{}\n", lines[1], lines[0], lines[2])).unwrap();
    assert_eq!(run(&["log", "verify", &l]).status.code(), Some(1));
}

/// Item 1.2 of Art. 17(1): the identity data the law asks for depend on the kind of controller.
#[test]
fn controller_identity_is_checked_by_kind() {
    let dir = TestDir::new();
    let r: Value = serde_json::from_str(&report(&dir, "json")).unwrap();
    let f = findings(&r, "controller_identity_incomplete");
    // Only the sample's deliberate gap: the invoicing system's controller.
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["filing_system"], "invoicing");
    assert!(f[0]["message"].as_str().unwrap().contains("kind"));
    assert!(cites(f[0]).contains(&"Art. 17(1.2) 03/L-172".to_string()));
}

/// The sample catalogue with item 1.10 changed: health-register leaves it out, hr-register
/// lists an incomplete transfer and one outside the EU/EEA without authorisation (its
/// recipient's name is markup, to be escaped), population-statistics an authorised one.
fn transfers_catalogue(dir: &TestDir) -> String {
    let shipped = std::fs::read_to_string("filing-systems.toml").unwrap();
    let mut parts: Vec<String> = shipped
        .split("[[filing_system]]")
        .map(String::from)
        .collect();
    let none = "transfers_abroad = \"none\"";
    for p in parts.iter_mut() {
        if p.contains("id = \"health-register\"") {
            *p = p.replacen(&format!("{none}\n"), "", 1);
        } else if p.contains("id = \"hr-register\"") {
            *p = p.replacen(
                none,
                "transfers_abroad = [\n  { country = \"DE\", recipient = \"Payroll GmbH\", legal_basis = \"contract\" },\n  \
                 { country = \"US\", recipient = \"<script>alert(1)</script> Inc.\", when = \"since 2025\", legal_basis = \"service contract\" },\n]",
                1,
            );
        } else if p.contains("id = \"population-statistics\"") {
            *p = p.replacen(
                none,
                "transfers_abroad = [{ country = \"CH\", recipient = \"Eurostat partner\", when = \"yearly\", legal_basis = \"Art. 9\", authorisation = \"AIP 3/2026\" }]",
                1,
            );
        }
    }
    dir.file(
        "fs-transfers.toml",
        parts.join("[[filing_system]]").as_bytes(),
    )
}

#[test]
fn transfers_abroad_findings_in_every_format() {
    let dir = TestDir::new();
    let scan = scan_json(&dir);
    let cat = transfers_catalogue(&dir);
    let render = |format: &str| {
        let o = run(&[
            "report",
            "--scan",
            &scan,
            "--filing-systems",
            &cat,
            "--format",
            format,
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        stdout(&o)
    };
    let r: Value = serde_json::from_str(&render("json")).unwrap();
    let unstated = findings(&r, "transfers_unstated");
    assert_eq!(unstated.len(), 1, "{unstated:?}");
    assert_eq!(unstated[0]["filing_system"], "health-register");
    let incomplete = findings(&r, "transfer_incomplete");
    assert_eq!(incomplete.len(), 1);
    assert!(incomplete[0]["message"].as_str().unwrap().contains("when"));
    assert_eq!(incomplete[0]["filing_system"], "hr-register");
    let auth = findings(&r, "transfer_needs_authorisation");
    assert_eq!(auth.len(), 1, "CH is authorised, DE is in the EU: only US");
    assert_eq!(auth[0]["severity"], "high");
    let c = cites(auth[0]);
    for a in [
        "Art. 51",
        "Art. 53(2)",
        "Art. 56(1)",
        "Art. 57(1)–(2)",
        "Art. 58",
    ] {
        assert!(c.contains(&format!("{a} 03/L-172")), "{a}: {c:?}");
    }
    // The quoted texts travel with the report.
    let ids: Vec<&str> = r["articles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    for id in ["art-51", "art-53", "art-56", "art-57", "art-58"] {
        assert!(ids.contains(&id), "{id}: {ids:?}");
    }
    // The structured item in the catalogue section.
    let hr = r["filing_systems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "hr-register")
        .unwrap();
    assert_eq!(hr["catalogue"]["transfers"][1]["country"], "US");
    let md = render("md");
    for needle in [
        "does not say whether personal data are transferred to another country",
        "does not give when",
        "goes to US, outside the EU/EEA",
        "Example e-Invoicing s.r.o.",
        "Art. 57(1)–(2) 03/L-172",
    ] {
        assert!(md.contains(needle), "markdown lacks {needle:?}");
    }
    let html = render("html");
    assert!(html.contains("transfer_needs_authorisation"));
    assert!(
        !html.contains("<script>alert(1)"),
        "markup in a recipient is escaped"
    );
    assert!(html.contains("&lt;script&gt;alert(1)"));
    // The shipped catalogue's own example is complete and inside the EU: no finding.
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["filing_system"] != "invoicing"
                || !f["code"].as_str().unwrap().starts_with("transfer")),
        "the invoicing example is valid"
    );
    assert!(
        html.contains("id=\"art-57\""),
        "the quoted article is linked"
    );
}

#[test]
fn free_text_transfers_are_a_load_error_that_says_what_to_write() {
    let dir = TestDir::new();
    let scan = scan_json(&dir);
    let shipped = std::fs::read_to_string("filing-systems.toml").unwrap();
    let text = shipped.replacen(
        "transfers_abroad = \"none\"",
        "transfers_abroad = \"to our payroll provider in Germany\"",
        1,
    );
    let cat = dir.file("fs-free.toml", text.as_bytes());
    let o = run(&["report", "--scan", &scan, "--filing-systems", &cat]);
    assert_ne!(o.status.code(), Some(0));
    let e = stderr(&o);
    assert!(
        e.contains("\"health-register\"")
            && e.contains("free text")
            && e.contains("country = \"DE\""),
        "{e}"
    );
}
