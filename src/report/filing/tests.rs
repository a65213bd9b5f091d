//! Tests of the filing-system report: one per finding rule and citation defect.
use super::map::extrapolate;
use super::rules::gives_art9_as_basis;
use super::*;
use crate::report::SCAN_SCHEMA;

// ------------------------------------------------ the citation defects, one test each

fn scan_of(datasets: serde_json::Value) -> ScanInput {
    let v = serde_json::json!({"schema": SCAN_SCHEMA, "datasets": datasets});
    ScanInput::parse(&v.to_string(), "scan.json").expect("scan")
}

/// A complete catalogue entry; `extra` adds flag lines such as `public_body = true`.
fn entry(id: &str, basis: &str, personal: &[&str], files: &[&str], extra: &str) -> String {
    let q = |v: &[&str]| {
        v.iter()
            .map(|s| format!("{s:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "[[filing_system]]\nid = {id:?}\n{extra}\ntitle = \"T\"\nlegal_basis = {basis:?}\ndata_subjects = [\"s\"]\npersonal_data = [{}]\npurpose = \"p\"\nretention = \"r\"\nrestrictions = \"none\"\nrecipients = []\ntransfers_abroad = \"none\"\nsecurity_measures = \"m\"\nlinked_filing_systems = []\n[filing_system.controller]\nname = \"C\"\n[filing_system.sources]\nfiles = [{}]\n\n",
        q(personal),
        q(files)
    )
}

fn cat_of(text: &str) -> Catalogue {
    Catalogue::parse(text, "fs.toml").expect("catalogue")
}

fn col(name: &str, category: &str) -> serde_json::Value {
    serde_json::json!({"name": name, "category": category, "confidence": 0.9})
}

fn labels(f: &Finding) -> Vec<String> {
    f.cites.iter().map(|c| c.label()).collect()
}

fn quoted<'a>(r: &'a FilingReport, anchor: &str) -> &'a str {
    r.articles
        .iter()
        .find(|a| a.id == anchor)
        .map(|a| a.text)
        .unwrap_or_else(|| panic!("{anchor} not quoted"))
}

fn with_code<'a>(r: &'a FilingReport, code: &str) -> Vec<&'a Finding> {
    r.findings.iter().filter(|f| f.code == code).collect()
}

fn run_of(outcome: &str) -> RunReport {
    serde_json::from_value(serde_json::json!({
        "schema": RUN_SCHEMA,
        "outputs": [{"input": "a.csv", "path": "out/a.csv",
            "verification": {"passed": true, "remaining_direct_identifiers": []},
            "verdict": {"outcome": outcome, "reasons": ["r"]}}]
    }))
    .expect("run report")
}

fn art9_report(outcome: &str) -> FilingReport {
    let scan = scan_of(serde_json::json!([
        {"source": "a.csv", "columns": [col("age", "age")]}
    ]));
    let cat = cat_of(&entry("s", "Art. 5(1.5)", &["age"], &["a.csv"], ""));
    build(&scan, &cat, Some(&run_of(outcome))).expect("report")
}

#[test]
fn defect01_art9_verdict_quotes_anonymity_of_art_2_1_15() {
    for (outcome, code) in [
        ("anonymised", "art9_anonymised"),
        ("pseudonymised", "art9_pseudonymised"),
        ("not_fit", "art9_not_fit"),
    ] {
        let r = art9_report(outcome);
        let f = with_code(&r, code);
        assert_eq!(f.len(), 1, "{outcome}");
        assert!(labels(f[0]).contains(&"Art. 2(1.15) 03/L-172".to_string()));
        let t = quoted(&r, "art-2");
        assert!(t.contains("1.15 Anonymity"), "{t}");
        assert!(t.contains("can no longer be linked to the data subject"));
    }
}

#[test]
fn defect02_art9_4_results_published_only_in_anonymised_form() {
    for outcome in ["anonymised", "pseudonymised", "not_fit"] {
        let r = art9_report(outcome);
        let f = r
            .findings
            .iter()
            .find(|f| f.code.starts_with("art9_"))
            .expect("art9 finding");
        assert!(labels(f).contains(&"Art. 9(4) 03/L-172".to_string()));
        assert!(f.action.contains("published only in anonymised form"));
        assert!(f.action.contains("(Art. 9(4))"));
        assert!(quoted(&r, "art-9").contains("shall be published in anonymised form"));
    }
}

#[test]
fn defect03_art9_3_and_13_3_4_are_actions_of_a_release() {
    for outcome in ["pseudonymised", "not_fit"] {
        let r = art9_report(outcome);
        let f = r
            .findings
            .iter()
            .find(|f| f.code.starts_with("art9_"))
            .expect("art9 finding");
        let l = labels(f);
        for a in [
            "Art. 9(3) 03/L-172",
            "Art. 13(3) 03/L-172",
            "Art. 13(4) 03/L-172",
        ] {
            assert!(l.contains(&a.to_string()), "{a} in {l:?}");
        }
        assert!(
            f.action
                .contains("destroy or delete the data on completion of processing")
        );
        assert!(f.action.contains("inform you in writing"));
        assert!(f.action.contains("deceased"));
        assert!(quoted(&r, "art-9").contains("shall without delay inform in writing"));
        let t13 = quoted(&r, "art-13");
        assert!(t13.contains("deceased individual has preliminarily allowed in writing"));
        assert!(t13.contains("the legal heirs may allow in writing"));
    }
}

#[test]
fn defect04_special_categories_are_exactly_art_2_1_16() {
    let scan = scan_of(serde_json::json!([{"source": "a.csv", "columns": [
        col("etnia", "ethnic_origin"), col("partia", "political_opinion"),
        col("gjurmet", "biometric"), col("adn", "genetic"), col("seks", "sex_life")
    ]}]));
    let cat = cat_of(&entry(
        "s",
        "Art. 5(1.3)",
        &[
            "ethnic_origin",
            "political_opinion",
            "biometric",
            "genetic",
            "sex_life",
        ],
        &["a.csv"],
        "",
    ));
    let r = build(&scan, &cat, None).expect("report");
    let f = with_code(&r, "special_categories");
    assert_eq!(f.len(), 1);
    let m = &f[0].message;
    assert!(m.contains("racial or ethnic origin"), "{m}");
    assert!(m.contains("political or philosophical opinions"), "{m}");
    assert!(
        m.contains("sensitive only if they enable the identification"),
        "{m}"
    );
    assert!(m.contains("genetic data: named by 06/L-082 (overview §7.9), not by 03/L-172"));
    assert!(m.contains("sexual orientation is named only by 06/L-082"));
    let l = labels(f[0]);
    assert!(l.contains(&"Art. 2(1.16) 03/L-172".to_string()));
    assert!(l.contains(&"06/L-082 overview §7.9".to_string()), "{l:?}");
    let t = quoted(&r, "art-2");
    assert!(t.contains("racial or ethnic origin, political or philosophical opinions"));
    assert!(t.contains("if they enable the identification of a data subject in connection"));
    assert!(!t.contains("genetic"));
    assert!(quoted(&r, "l082-special").contains("genetic data"));
}

#[test]
fn defect05_tool_housekeeping_cites_nothing() {
    let scan = scan_of(serde_json::json!([
        {"source": "a.csv", "status": "failed", "error": "bad bytes", "columns": []}
    ]));
    let text = entry("one", "Art. 5(1.3)", &[], &["a.csv", "missing/*.csv"], "")
        + &entry("two", "Art. 5(1.3)", &[], &["*.csv"], "");
    let r = build(&scan, &cat_of(&text), None).expect("report");
    for code in [
        "dataset_failed",
        "dataset_mapped_twice",
        "source_matches_nothing",
    ] {
        let f = with_code(&r, code);
        assert!(!f.is_empty(), "{code}");
        assert!(f.iter().all(|f| f.cites.is_empty()), "{code} cites {f:?}");
    }
    assert!(
        !r.findings.iter().any(|f| f.code != "registration_required"
            && labels(f).iter().any(|c| c.starts_with("Art. 17(2)"))),
        "no housekeeping finding cites Art. 17(2)"
    );
}

#[test]
fn defect07_art11_2_only_with_its_condition() {
    let scan = scan_of(serde_json::json!([{"source": "a.csv", "columns": [
        col("nr_personal", "kosovo_personal_number"), col("diagnoza", "health")
    ]}]));
    let cat = cat_of(&entry(
        "c",
        "Art. 6(1.6)",
        &["kosovo_personal_number", "health"],
        &["a.csv"],
        "",
    ));
    let r = build(&scan, &cat, None).expect("report");
    let f = with_code(&r, "health_connecting_code_only");
    assert_eq!(f.len(), 1);
    assert!(labels(f[0]).contains(&"Art. 11(2) 03/L-172".to_string()));
    let a = &f[0].action;
    assert!(
        a.contains(
            "only data element in a specific case to protect the life or body of data subjects"
        ),
        "{a}"
    );
    assert!(a.contains("written record"));
    assert!(quoted(&r, "art-11").contains(
        "if this is the only data element in a specific case to protect the life or body"
    ));
}

#[test]
fn defect08_art18_1_twenty_days_before_then_prior_check_art19() {
    let scan = scan_of(serde_json::json!([
        {"source": "a.csv", "columns": [col("email", "email")]},
        {"source": "b.csv", "columns": [col("email", "email")]}
    ]));
    let cat = cat_of(&entry("s", "Art. 5(1.3)", &["person_name"], &["a.csv"], ""));
    let r = build(&scan, &cat, None).expect("report");
    for code in ["undeclared_category", "unmapped_dataset"] {
        let f = with_code(&r, code);
        assert_eq!(f.len(), 1, "{code}");
        let l = labels(f[0]);
        assert!(l.contains(&"Art. 18(1) 03/L-172".to_string()), "{code}");
        assert!(l.contains(&"Art. 19 03/L-172".to_string()), "{code}");
        assert!(
            f[0].action.contains("at least 20 days before"),
            "{}",
            f[0].action
        );
        assert!(f[0].action.contains("prior checking, Art. 19"));
        assert!(!f[0].action.contains("before entry"));
    }
    assert!(
        quoted(&r, "art-18")
            .contains("at least twenty (20) days prior to establishing a filing system")
    );
    assert!(quoted(&r, "art-19").contains(
        "the Agency checks whether the processing operation is likely to present specific risks"
    ));
}

#[test]
fn defect09_art9_in_item_1_3_is_no_legal_basis() {
    let scan = scan_of(serde_json::json!([{"source": "a.csv", "columns": [col("age", "age")]}]));
    let cat = cat_of(&entry(
        "stats",
        "Law on Statistics; Art. 9 of Law No. 03/L-172",
        &["age"],
        &["a.csv"],
        "",
    ));
    let r = build(&scan, &cat, None).expect("report");
    let f = with_code(&r, "legal_basis_art9");
    assert_eq!(f.len(), 1);
    let l = labels(f[0]);
    assert!(l.contains(&"Art. 5(1) 03/L-172".to_string()), "{l:?}");
    assert!(f[0].message.contains("Art. 9 permits further processing"));
    assert!(quoted(&r, "art-5").contains("Personal data may only be processed if"));
    assert!(quoted(&r, "art-9").contains(
        "may be further processed for historical, statistical and scientific-research purposes"
    ));
}

fn registration(public: bool) -> FilingReport {
    let scan = scan_of(serde_json::json!([{"source": "a.csv", "columns": [col("age", "age")]}]));
    let extra = if public { "public_body = true" } else { "" };
    let cat = cat_of(&entry("s", "Art. 5(1.3)", &["age"], &["a.csv"], extra));
    build(&scan, &cat, None).expect("report")
}

#[test]
fn defect10_overview_registration_conditions_are_secondary() {
    let r = registration(true);
    let f = with_code(&r, "registration_required");
    assert_eq!(f.len(), 1);
    let m = &f[0].message;
    assert!(
        m.contains("06/L-082 overview §7.1, a secondary source whose wording is not Kosovo's law"),
        "{m}"
    );
    assert!(labels(f[0]).contains(&"06/L-082 overview §7.1".to_string()));
    assert!(quoted(&r, "l082-registration").contains("more than 250 data subjects"));
    let title = r
        .articles
        .iter()
        .find(|a| a.id == "l082-registration")
        .map(|a| a.title)
        .unwrap_or_default();
    assert!(title.contains("secondary source"), "{title}");
}

#[test]
fn defect11_art18_every_filing_system_is_notified() {
    // No overview condition met: still a notification finding under Art. 18(1).
    let r = registration(false);
    let f = with_code(&r, "registration_required");
    assert_eq!(f.len(), 1);
    assert!(
        f[0].message
            .contains("every filing system is notified to the Agency (Art. 18(1)")
    );
    let l = labels(f[0]);
    assert!(l.contains(&"Art. 18(1) 03/L-172".to_string()), "{l:?}");
    assert!(!l.iter().any(|c| c.contains("06/L-082")), "{l:?}");
    assert!(
        quoted(&r, "art-18").contains("information from the points of paragraph 1 of Article 17")
    );
}

#[test]
fn defect12_overview_citations_read_06_l_082_overview() {
    let r = registration(true);
    for f in &r.findings {
        for c in &f.cites {
            if c.anchor.starts_with("l082-") {
                assert_eq!(c.law, "06/L-082 overview");
                assert!(
                    c.label().starts_with("06/L-082 overview §"),
                    "{}",
                    c.label()
                );
            } else {
                assert_eq!(c.law, "03/L-172");
            }
        }
    }
    let md = crate::report::filing_md::render(&r);
    assert!(md.contains("06/L-082 overview §7.1"), "{md}");
    assert!(!md.contains("§7.1 06/L-082"));
}

#[test]
fn art9_is_no_legal_basis() {
    assert!(gives_art9_as_basis(
        "Law on Official Statistics; Art. 9 of Law No. 03/L-172"
    ));
    assert!(!gives_art9_as_basis(
        "Law on Official Statistics; Art. 5(1.5) of Law No. 03/L-172 (further processing: Art. 9)"
    ));
    assert!(!gives_art9_as_basis("Art. 90"));
    assert!(!gives_art9_as_basis("Art. 6(1.6)"));
}

#[test]
fn sampled_unique_identifiers_are_extrapolated() {
    assert_eq!(extrapolate(5_000.0, 5_000, Some(1_000_000)), 1_000_000);
    // Repeating identifiers (several rows per person): the sample count is kept.
    assert_eq!(extrapolate(1_200.0, 5_000, Some(1_000_000)), 1_200);
    assert_eq!(extrapolate(300.0, 300, Some(300)), 300);
    assert_eq!(extrapolate(300.0, 300, None), 300);
}

#[test]
fn unknown_scan_schema_is_a_clear_error() {
    let e = ScanInput::parse(r#"{"schema":"anonkos.scan/v2"}"#, "s.json")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("anonkos.scan/v2") && e.contains("anonkos.scan/v1"),
        "{e}"
    );
    assert!(ScanInput::parse("[]", "s.json").is_err());
    assert!(ScanInput::parse(r#"{"schema":"anonkos.scan/v1","datasets":7}"#, "s.json").is_err());
}
