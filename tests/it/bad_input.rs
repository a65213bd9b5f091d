//! Bad input: every case gives a clear message naming file, row and column, never a panic;
//! the other inputs are still scanned; the exit code says an input failed.
use crate::util::{TestDir, run, stderr, stdout};

fn no_panic(o: &std::process::Output) {
    let e = stderr(o);
    assert!(
        !e.contains("panicked") && !e.contains("RUST_BACKTRACE"),
        "panic: {e}"
    );
}

/// Scan `bad` together with a good file; return (exit code, stderr, parsed JSON report).
fn scan_with_good(d: &TestDir, bad: &str) -> (Option<i32>, String, serde_json::Value) {
    let good = d.file(
        "good.csv",
        b"emri,telefoni\nArben,044 123 456\nDrita,045 234 567\n",
    );
    let o = run(&["scan", "--format", "json", bad, &good]);
    no_panic(&o);
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&o)).expect("JSON report even when an input fails");
    let good_ds = json["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["source"] == good.as_str())
        .cloned()
        .unwrap();
    assert_eq!(
        good_ds["status"], "ok",
        "the good input must still be scanned"
    );
    assert_eq!(good_ds["columns"][1]["category"], "phone_number");
    let bad_ds = json["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["source"] == bad)
        .cloned()
        .unwrap();
    assert_eq!(bad_ds["status"], "failed", "{bad_ds}");
    (o.status.code(), stderr(&o), json)
}

#[test]
fn ragged_row_names_row_and_counts() {
    let d = TestDir::new();
    let bad = d.file("ragged.csv", b"a,b,c\n1,2,3\n4,5\n7,8,9\n");
    let (code, err, _) = scan_with_good(&d, &bad);
    assert_eq!(code, Some(3));
    assert!(
        err.contains("ragged.csv") && err.contains("row 2") && err.contains("expected 3"),
        "{err}"
    );
}

#[test]
fn unterminated_quote_names_where_it_started() {
    let d = TestDir::new();
    let bad = d.file(
        "quote.csv",
        b"emri,shenime\nArben,ok\nDrita,\"never closed\nmore text\n",
    );
    let (code, err, _) = scan_with_good(&d, &bad);
    assert_eq!(code, Some(3));
    assert!(
        err.contains("quote.csv") && err.contains("unterminated") && err.contains("row 2"),
        "{err}"
    );
    assert!(!err.contains("never closed"), "raw value in message: {err}");
}

#[test]
fn undecodable_bytes_name_row_and_column_and_suggest_encoding() {
    let d = TestDir::new();
    let mut bytes = b"emri,komuna\n".to_vec();
    bytes.extend(b"Arben,Prishtine\nDrita,Gjakov\xeb\n");
    let bad = d.file("latin.csv", &bytes);
    let o = run(&["scan", "--encoding", "utf-8", &bad]);
    no_panic(&o);
    assert_eq!(o.status.code(), Some(3));
    let err = stderr(&o);
    assert!(
        err.contains("latin.csv") && err.contains("row 2") && err.contains("--encoding"),
        "{err}"
    );
    // Without forcing, the legacy encoding is detected and the file scans.
    let o = run(&["scan", "--format", "json", &bad]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn empty_file_is_an_input_error() {
    let d = TestDir::new();
    let bad = d.file("empty.csv", b"");
    let (code, err, _) = scan_with_good(&d, &bad);
    assert_eq!(code, Some(3));
    assert!(err.contains("empty.csv") && err.contains("empty"), "{err}");
}

#[test]
fn header_only_file_is_scanned_with_zero_rows() {
    let d = TestDir::new();
    let f = d.file("header.csv", b"nr_personal,emri,telefoni\n");
    let o = run(&["scan", "--format", "json", &f]);
    no_panic(&o);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let ds = &json["datasets"][0];
    assert_eq!(ds["rows_scanned"], 0);
    assert_eq!(ds["rows_total"], 0);
    assert_eq!(ds["columns"].as_array().unwrap().len(), 3);
    // The header still says what the column would hold.
    assert_eq!(ds["columns"][0]["category"], "kosovo_personal_number");
}

#[test]
fn a_50_mb_field_is_refused_with_row_and_column() {
    let d = TestDir::new();
    let mut bytes = b"id,notes\n1,short\n2,\"".to_vec();
    bytes.extend(std::iter::repeat_n(b'x', 50 * 1024 * 1024));
    bytes.extend(b"\"\n3,short\n");
    let bad = d.file("huge.csv", &bytes);
    let (code, err, _) = scan_with_good(&d, &bad);
    assert_eq!(code, Some(3));
    assert!(
        err.contains("huge.csv") && err.contains("row 2") && err.contains("notes"),
        "{err}"
    );
}

fn parquet_bytes() -> Vec<u8> {
    std::fs::read(crate::util::root().join("sample-data/employees.parquet"))
        .expect("sample-data/employees.parquet")
}

#[test]
fn truncated_parquet_is_an_input_error() {
    let d = TestDir::new();
    let bytes = parquet_bytes();
    let bad = d.file("trunc.parquet", &bytes[..bytes.len() / 2]);
    let (code, err, _) = scan_with_good(&d, &bad);
    assert_eq!(code, Some(3));
    assert!(err.contains("trunc.parquet"), "{err}");
}

#[test]
fn corrupt_parquet_is_an_input_error() {
    let d = TestDir::new();
    let mut bytes = parquet_bytes();
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid - 200..mid + 200] {
        *b = 0xA5;
    }
    let bad = d.file("corrupt.parquet", &bytes);
    let o = run(&["scan", "--full", "--format", "json", &bad]);
    no_panic(&o);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("corrupt.parquet"), "{}", stderr(&o));
    let garbage = d.file("garbage.parquet", b"PAR1 this is not parquet at all PAR1");
    let (code, err, _) = scan_with_good(&d, &garbage);
    assert_eq!(code, Some(3));
    assert!(err.contains("garbage.parquet"), "{err}");
}

#[test]
fn unreadable_path_is_an_input_error() {
    let d = TestDir::new();
    // A directory named like a file cannot be read as one.
    let p = d.path().join("dir.csv");
    std::fs::create_dir(&p).unwrap();
    std::fs::write(p.join("inner.csv"), b"a\n1\n").unwrap();
    let missing = d.path().join("missing.parquet").display().to_string();
    let (code, err, _) = scan_with_good(&d, &missing);
    assert_eq!(code, Some(3));
    assert!(err.contains("missing.parquet"), "{err}");
}

#[test]
fn a_deep_or_too_wide_parquet_schema_fails_alone_in_a_directory_scan() {
    // A schema nested 10,000 levels deep used to abort the whole process (stack overflow,
    // exit 134), taking the directory's other files with it.
    let d = TestDir::new();
    let deep = crate::bad_corpus::parquet_schema_only(10_000, 1);
    let wide = crate::bad_corpus::parquet_schema_only(0, 20_000);
    d.file("deep.parquet", &deep);
    d.file("wide.parquet", &wide);
    d.file(
        "good.csv",
        b"emri,telefoni\nArben,044 123 456\nDrita,045 234 567\n",
    );
    let dir = d.path().display().to_string();
    let o = run(&["scan", "--format", "json", &dir]);
    no_panic(&o);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(
        err.contains("deep.parquet") && err.contains("more than 64 levels"),
        "{err}"
    );
    assert!(
        err.contains("wide.parquet") && err.contains("20000 columns"),
        "{err}"
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let good = json["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|ds| {
            ds["source"]
                .as_str()
                .is_some_and(|s| s.ends_with("good.csv"))
        })
        .cloned()
        .unwrap();
    assert_eq!(good["status"], "ok");
    assert_eq!(good["columns"][1]["category"], "phone_number");
}
