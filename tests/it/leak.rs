//! Nothing leaks: no raw value of a personal column of the sample data appears in any report
//! format or on stderr.
use crate::util::{root, run, stderr, stdout};

/// Every cell (>= 5 characters) of every personal column of the UTF-8 sample CSVs.
fn personal_values() -> Vec<String> {
    let personal: Vec<(&str, &str)> = anonkos::sample::expected_categories()
        .into_iter()
        .filter(|(_, _, cat)| {
            anonkos::detect::Category::from_name(cat)
                .is_some_and(|c| c.role() != anonkos::detect::Role::NotPersonal)
        })
        .map(|(f, c, _)| (f, c))
        .collect();
    let mut values = Vec::new();
    for file in ["patients.csv", "export_col.csv"] {
        let path = root().join("sample-data").join(file);
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(if file == "export_col.csv" { b'|' } else { b',' })
            .from_path(&path)
            .unwrap();
        let headers = rdr.headers().unwrap().clone();
        for rec in rdr.records() {
            let rec = rec.unwrap();
            for (h, v) in headers.iter().zip(rec.iter()) {
                if personal.contains(&(file, h)) && v.trim().chars().count() >= 5 {
                    values.push(v.trim().to_string());
                }
            }
        }
    }
    assert!(
        values.len() > 100,
        "too few values to make the test meaningful"
    );
    values
}

#[test]
fn reports_show_masked_examples_only() {
    let values = personal_values();
    for format in ["json", "md", "table"] {
        let o = run(&["scan", "--full", "--format", format, "sample-data/"]);
        let text = stdout(&o) + &stderr(&o);
        for v in &values {
            assert!(
                !text.contains(v.as_str()),
                "{format} report contains a raw value ({} chars)",
                v.len()
            );
        }
    }
}
