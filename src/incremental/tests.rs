#![allow(clippy::disallowed_methods)] // tests write fixtures and read them back
use super::*;
use crate::detect::{Category, Classification};

fn opts() -> ScanOptions {
    ScanOptions {
        mode: "sample".into(),
        sample_rows: Some(5000),
        encoding: None,
        delimiter: None,
        no_header: false,
        include: Vec::new(),
        exclude: Vec::new(),
        patterns_digest: "abc".into(),
        tool_version: "0.1.0".into(),
    }
}

fn scan(source: &str, error: Option<&str>) -> DatasetScan {
    DatasetScan {
        source: source.into(),
        table: None,
        format: Some(Format::Csv),
        rows_scanned: 3,
        rows_total: Some(RowCount::Exact(3)),
        sampled: true,
        notes: vec!["delimiter ','".into()],
        columns: vec![ColumnScan {
            name: "email".into(),
            data_type: "Utf8".into(),
            nested: false,
            cells: 3,
            classification: Classification {
                category: Category::Email,
                role: Category::Email.role(),
                special_category: false,
                confidence: 0.97,
                evidence: Vec::new(),
                alternatives: Vec::new(),
                entities: Default::default(),
            },
            examples: vec!["a***@e***.com".into()],
            sketch: Default::default(),
            keys: Default::default(),
            non_empty: 3,
            distinct: 3,
            hidden: false,
        }],
        error: error.map(str::to_string),
        reused: false,
        fingerprint: Some("fp".into()),
        hidden: false,
    }
}

#[test]
fn round_trip_reuse_and_what_is_never_stored() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    assert!(StateFile::load(&path).unwrap().is_none());
    let inc = Incremental::new(None).unwrap();
    let fp = FileFingerprint {
        size: 10,
        mtime_ns: 1,
        blocks: "b".into(),
    };
    assert!(inc.check_file("a.csv", fp.clone()).is_none());
    assert!(inc.check_file("bad.csv", fp.clone()).is_none());
    let scans = vec![scan("a.csv", None), scan("bad.csv", Some("broken"))];
    let state = inc.next_state(opts(), &scans);
    // Failed datasets and their files are not kept: they are read again.
    assert_eq!(state.datasets.len(), 1);
    assert_eq!(state.files.len(), 1);
    state.save(&path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("a***"), "masked examples are not stored");
    let loaded = StateFile::load(&path).unwrap().unwrap();
    loaded.check_options(&path, &opts()).unwrap();
    let inc = Incremental::new(Some(loaded)).unwrap();
    let reused = inc.check_file("a.csv", fp.clone()).unwrap();
    assert_eq!(reused.len(), 1);
    assert!(reused[0].reused);
    assert_eq!(
        reused[0].columns[0].classification.category,
        Category::Email
    );
    assert!(reused[0].columns[0].examples.is_empty());
    let other = FileFingerprint {
        blocks: "changed".into(),
        ..fp
    };
    assert!(inc.check_file("a.csv", other).is_none());
}

#[test]
fn foreign_corrupt_and_mismatched_states_are_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nightly.state");
    for (text, why) in [
        ("", "not JSON"),
        ("{\"schema\": \"anonkos.scan/v1\"}", "--baseline"),
        ("{\"magic\": \"other\"}", "magic"),
        ("{\"magic\": \"anonkos.state\", \"version\": 99}", "version"),
        (
            "{\"magic\": \"anonkos.state\", \"version\": 1}",
            "missing field",
        ),
    ] {
        std::fs::write(&path, text).unwrap();
        let e = StateFile::load(&path).unwrap_err().to_string();
        assert!(e.contains("nightly.state"), "{e}");
        assert!(e.contains(why), "{why}: {e}");
        // The file is left as it was.
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    }
    let inc = Incremental::new(None).unwrap();
    let state = inc.next_state(opts(), &[]);
    let full = ScanOptions {
        mode: "full".into(),
        sample_rows: None,
        ..opts()
    };
    let e = state.check_options(&path, &full).unwrap_err().to_string();
    assert!(
        e.contains("nightly.state") && e.contains("mode: state sample, this scan full"),
        "{e}"
    );
    let other_patterns = ScanOptions {
        patterns_digest: "def".into(),
        ..opts()
    };
    let e = state
        .check_options(&path, &other_patterns)
        .unwrap_err()
        .to_string();
    assert!(e.contains("pattern files"), "{e}");
}
