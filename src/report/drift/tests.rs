#![allow(clippy::disallowed_methods)] // tests write fixtures and read them back
use super::*;
use crate::detect::Classification;
use crate::scan::{ColumnScan, DatasetScan};

fn col(name: &str, category: Category) -> ColumnScan {
    ColumnScan {
        name: name.into(),
        data_type: "Utf8".into(),
        nested: false,
        cells: 10,
        classification: Classification {
            category,
            role: category.role(),
            special_category: category.is_special(),
            confidence: 0.9,
            evidence: Vec::new(),
            alternatives: Vec::new(),
            entities: Default::default(),
        },
        examples: Vec::new(),
        sketch: Default::default(),
        keys: Default::default(),
        non_empty: 10,
        distinct: 10,
        hidden: false,
    }
}

fn ds(source: &str, table: Option<&str>, cols: Vec<ColumnScan>) -> DatasetScan {
    DatasetScan {
        source: source.into(),
        table: table.map(str::to_string),
        format: None,
        rows_scanned: 10,
        rows_total: None,
        sampled: false,
        notes: Vec::new(),
        columns: cols,
        error: None,
        reused: false,
        fingerprint: None,
        hidden: false,
    }
}

#[test]
fn no_change_no_alert() {
    let now = vec![ds("a.csv", None, vec![col("x", Category::Email)])];
    let base = Baseline::from_scans("prev", None, &now);
    let d = compare(&base, &now);
    assert!(d.changes.is_empty());
    assert!(!d.alert);
}

#[test]
fn every_kind_of_change_and_which_alert() {
    let before = vec![
        ds(
            "d.sql",
            Some("public.t"),
            vec![
                col("keep", Category::Age),
                col("note", Category::None),
                col("town", Category::Municipality),
                col("gone", Category::PhoneNumber),
                col("mail", Category::Email),
            ],
        ),
        ds("old.csv", None, vec![col("a", Category::None)]),
    ];
    let now = vec![
        ds(
            "d.sql",
            Some("public.t"),
            vec![
                col("keep", Category::Age),
                // none → personal: alert.
                col("note", Category::PersonName),
                // quasi → sensitive (special): alert, and a new special category.
                col("town", Category::Health),
                // direct → not personal: a change, no alert.
                col("mail", Category::None),
                col("added", Category::None),
                col("added_pn", Category::KosovoPersonalNumber),
            ],
        ),
        ds("new.csv", None, vec![col("b", Category::None)]),
    ];
    let base = Baseline::from_scans("prev.json", None, &before);
    let d = compare(&base, &now);
    let lines: Vec<(ChangeKind, Option<&str>, bool)> = d
        .changes
        .iter()
        .map(|c| (c.kind, c.column.as_deref(), c.alert))
        .collect();
    use ChangeKind::*;
    assert_eq!(
        lines,
        vec![
            (ChangedColumn, Some("note"), true),
            (ChangedColumn, Some("town"), true),
            (ChangedColumn, Some("mail"), false),
            (NewColumn, Some("added"), false),
            (NewColumn, Some("added_pn"), true),
            (DroppedColumn, Some("gone"), false),
            (NewSpecialCategory, None, true),
            (NewDataset, None, false),
            (NewColumn, Some("b"), false),
            (DroppedDataset, None, false),
        ]
    );
    assert!(d.alert);
    assert_eq!(d.counts["changed_column"], 3);
    let special = d
        .changes
        .iter()
        .find(|c| c.kind == NewSpecialCategory)
        .unwrap();
    assert_eq!(special.category, Some(Category::Health));
    assert_eq!(special.dataset, "d.sql:public.t");
}

#[test]
fn quasi_to_direct_alerts_and_direct_to_quasi_does_not() {
    let a = vec![ds("f.csv", None, vec![col("c", Category::PostalCode)])];
    let b = vec![ds("f.csv", None, vec![col("c", Category::PhoneNumber)])];
    assert!(compare(&Baseline::from_scans("p", None, &a), &b).alert);
    assert!(!compare(&Baseline::from_scans("p", None, &b), &a).alert);
}

#[test]
fn failed_datasets_are_not_compared_column_by_column() {
    let before = vec![ds("f.csv", None, vec![col("c", Category::None)])];
    let mut now = ds("f.csv", None, Vec::new());
    now.error = Some("unreadable".into());
    let d = compare(&Baseline::from_scans("p", None, &before), &[now]);
    assert!(d.changes.is_empty(), "{:?}", d.changes);
}

#[test]
fn a_scan_report_is_a_baseline_and_bad_ones_name_the_file() {
    let now = vec![ds("f.csv", None, vec![col("c", Category::Email)])];
    let report = crate::report::ScanReport::new(&now, false, "embedded");
    let v = serde_json::to_value(&report).unwrap();
    let base = Baseline::from_scan_json("prev.json", &v).unwrap();
    assert!(compare(&base, &now).changes.is_empty());
    let mut bad = v.clone();
    bad["datasets"][0]["columns"][0]["category"] = "no_such".into();
    let e = Baseline::from_scan_json("prev.json", &bad).unwrap_err();
    assert!(e.to_string().contains("prev.json"), "{e}");
}

#[test]
fn text_output_escapes_names_from_the_data() {
    let before = vec![ds("f.csv", None, vec![])];
    let now = vec![ds(
        "f.csv",
        None,
        vec![col("evil\x1b[2Jname", Category::Email)],
    )];
    let d = compare(&Baseline::from_scans("p", None, &before), &now);
    let text = render_text(&d);
    assert!(!text.contains('\x1b'), "{text}");
    assert!(text.contains("\\x1b[2Jname"), "{text}");
    assert!(text.contains("ALERT"));
    let md = render_md(&d);
    assert!(!md.contains('\x1b'));
    let html = render_html(&d);
    assert!(!html.contains('\x1b'));
}
