//! SQL dump sources (pg_dump, mysqldump) through the library and the CLI: fixtures made by the
//! real `pg_dump` and `mariadb-dump` (tests/fixtures/dumps/make.sh), plus hand-written edge
//! cases and bad input.
#![allow(clippy::disallowed_methods)] // tests write fixtures and read reports directly
use std::collections::BTreeMap;
use std::path::Path;

use anonkos::source::{self, ReadOptions, RowCount};

use crate::util::{TestDir, read_cells, root, run, stderr, stdout};

type Rows = Vec<Vec<Option<String>>>;

/// Every table of a dump: column names and all rows, read through the library.
fn read_tables(path: &Path, opts: &ReadOptions) -> BTreeMap<String, (Vec<String>, Rows)> {
    let mut out = BTreeMap::new();
    for mut src in source::open(path, "dump", opts).expect("open dump") {
        let name = src.info().table.clone().unwrap_or_default();
        let cols: Vec<String> = src
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        let rows = read_cells(&mut src);
        out.insert(name, (cols, rows));
    }
    out
}

fn fixture(name: &str) -> std::path::PathBuf {
    root().join("tests/fixtures/dumps").join(name)
}

/// The table name without schema/database.
fn short(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

const NOTES: [Option<&str>; 5] = [
    Some("O'Neill; tel 044 123 456"),
    Some("rreshti 1\nrreshti 2"),
    Some("tab\there"),
    Some("back\\slash"),
    None,
];

#[test]
fn every_real_dump_reads_the_same_rows() {
    let reference = read_tables(&fixture("pg_copy.sql"), &ReadOptions::default());
    assert_eq!(
        reference.keys().collect::<Vec<_>>(),
        [
            "public.Zaposleni",
            "public.faturat",
            "public.popullsia",
            "public.shenime",
            "regjistri.pacientet"
        ]
    );
    let (cols, rows) = &reference["public.shenime"];
    assert_eq!(cols, &["id", "teksti"]);
    let got: Vec<Option<&str>> = rows.iter().map(|r| r[1].as_deref()).collect();
    assert_eq!(got, NOTES);
    // The sample CSV is the source of pacientet: the first rows must match it exactly.
    let csv = std::fs::read_to_string(root().join("sample-data/patients.csv")).unwrap();
    let mut rdr = csv::Reader::from_reader(csv.as_bytes());
    let first: Vec<String> = rdr
        .records()
        .next()
        .unwrap()
        .unwrap()
        .iter()
        .map(String::from)
        .collect();
    let (_, pac) = &reference["regjistri.pacientet"];
    assert_eq!(pac.len(), 120);
    let row0: Vec<String> = pac[0][1..]
        .iter()
        .map(|v| v.clone().unwrap_or_default())
        .collect();
    assert_eq!(row0, first);

    for file in [
        "pg_inserts.sql",
        "pg_column_inserts.sql",
        "pg_custom.dump",
        "mysql_extended.sql",
        "mysql_rows.sql",
    ] {
        let tables = read_tables(&fixture(file), &ReadOptions::default());
        assert_eq!(tables.len(), reference.len(), "{file}");
        for (name, (rcols, rrows)) in &reference {
            let (cols, rows) = tables
                .iter()
                .find(|(n, _)| short(n) == short(name))
                .map(|(_, v)| v)
                .unwrap_or_else(|| panic!("{file}: no table {name}"));
            assert_eq!(cols, rcols, "{file}: {name} columns");
            assert_eq!(rows.len(), rrows.len(), "{file}: {name} rows");
            for (i, (a, b)) in rows.iter().zip(rrows).enumerate() {
                assert_eq!(a, b, "{file}: {name} row {}", i + 1);
            }
        }
    }
}

#[test]
fn legacy_latin2_dump_is_transcoded() {
    let tables = read_tables(&fixture("mysql_latin2.sql"), &ReadOptions::default());
    let reference = read_tables(&fixture("pg_copy.sql"), &ReadOptions::default());
    let (_, rows) = &tables["zaposleni_l2"];
    let (_, want) = &reference["public.Zaposleni"];
    assert_eq!(rows, want);
    assert!(rows.iter().any(|r| {
        r.iter()
            .flatten()
            .any(|v| v.contains('š') || v.contains('ć'))
    }));
}

/// (sample file, table) pairs: dump tables were loaded from these sample files.
const TABLE_FILES: [(&str, &str); 4] = [
    ("pacientet", "patients.csv"),
    ("Zaposleni", "zaposleni_cp1250.csv"),
    ("popullsia", "popullsia_2024.csv"),
    ("faturat", "faturat.csv"),
];

fn check_classification(json: &serde_json::Value, file: &str) {
    let expected = anonkos::sample::expected_categories();
    let mut wrong = Vec::new();
    let datasets = json["datasets"].as_array().unwrap();
    for (table, sample) in TABLE_FILES {
        let ds = datasets
            .iter()
            .find(|d| d["table"].as_str().is_some_and(|t| short(t) == table))
            .unwrap_or_else(|| panic!("{file}: no dataset for {table}"));
        assert_eq!(ds["status"], "ok", "{file}: {ds}");
        for (f, column, want) in expected.iter().filter(|(f, _, _)| *f == sample) {
            let got = ds["columns"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["name"] == *column)
                .map(|c| c["category"].as_str().unwrap().to_string());
            if got.as_deref() != Some(want) {
                wrong.push(format!(
                    "{file} {table}.{column} ({f}): expected {want}, got {got:?}"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn real_dumps_are_classified_like_the_sample_files() {
    for file in [
        "pg_copy.sql",
        "pg_inserts.sql",
        "pg_custom.dump",
        "mysql_extended.sql",
        "mysql_rows.sql",
    ] {
        let path = fixture(file).display().to_string();
        let o = run(&["scan", "--format", "json", &path]);
        assert_eq!(o.status.code(), Some(0), "{file}: {}", stderr(&o));
        let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        check_classification(&json, file);
        for d in json["datasets"].as_array().unwrap() {
            assert_eq!(
                d["format"],
                if file.starts_with("pg") {
                    "pg_dump"
                } else {
                    "mysqldump"
                }
            );
            assert_eq!(d["source"], path.as_str());
        }
    }
}

#[test]
fn sql_types_are_reported_and_include_exclude_select_tables() {
    let path = fixture("pg_copy.sql").display().to_string();
    let o = run(&[
        "scan",
        "--format",
        "json",
        "--include",
        "regjistri.*",
        "--include",
        "faturat",
        &path,
    ]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let tables: Vec<&str> = json["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["table"].as_str().unwrap())
        .collect();
    assert_eq!(tables, ["public.faturat", "regjistri.pacientet"]);
    let shuma = json["datasets"][0]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "shuma")
        .unwrap();
    assert_eq!(shuma["data_type"], "numeric(12,2)");
    let o = run(&["scan", "--format", "json", "--exclude", "*a*", &path]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let tables: Vec<&str> = json["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["table"].as_str().unwrap())
        .collect();
    assert_eq!(tables, ["public.shenime"]);
}

const EDGE_PG: &str = r#"--
-- PostgreSQL database dump (hand-written edge cases)
--
\restrict abc
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
/* a comment /* nested */ with ; inside */
CREATE FUNCTION public.f() RETURNS text LANGUAGE sql AS $fn$ SELECT 'COPY x FROM stdin;'; $fn$;
CREATE TABLE "Të Dhëna"."Pacientët ""VIP""" (
    "Nr. personal" character varying(10) NOT NULL,
    emri text DEFAULT 'x,y'::text,
    "data" date,
    CONSTRAINT pk PRIMARY KEY ("Nr. personal")
);
COPY "Të Dhëna"."Pacientët ""VIP""" ("Nr. personal", emri, "data") FROM stdin;
1234567890	Arta\tB	2001-02-03
1234567891	\N	\N
\.

INSERT INTO "Të Dhëna"."Pacientët ""VIP""" VALUES ('1234567892', E'it\'s\nok', '2001-02-04'::date);
INSERT INTO "Të Dhëna"."Pacientët ""VIP""" ("data", "Nr. personal") VALUES (NULL, '1234567893');
SET standard_conforming_strings = off;
INSERT INTO "Të Dhëna"."Pacientët ""VIP""" VALUES ('1234567894', 'a\\b', NULL);
GIBBERISH here;
"#;

#[test]
fn hand_written_pg_edge_cases() {
    let d = TestDir::new();
    let p = d.file("edge.sql", EDGE_PG.as_bytes());
    let tables = read_tables(Path::new(&p), &ReadOptions::default());
    let (cols, rows) = &tables["Të Dhëna.Pacientët \"VIP\""];
    assert_eq!(cols, &["Nr. personal", "emri", "data"]);
    let s = |v: &str| Some(v.to_string());
    assert_eq!(
        rows,
        &vec![
            vec![s("1234567890"), s("Arta\tB"), s("2001-02-03")],
            vec![s("1234567891"), None, None],
            vec![s("1234567892"), s("it's\nok"), s("2001-02-04")],
            vec![s("1234567893"), None, None],
            vec![s("1234567894"), s("a\\b"), None],
        ]
    );
    // The unknown statement is reported by keyword only, never by content.
    let o = run(&["scan", "--format", "json", &p]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let notes = json["datasets"][0]["notes"].to_string();
    assert!(
        notes.contains("unrecognised statement starting with GIBBERISH"),
        "{notes}"
    );
    assert!(!notes.contains("here"), "{notes}");
}

#[test]
fn a_huge_insert_streams_and_sampling_reads_a_spread_subset() {
    let d = TestDir::new();
    let mut sql = String::from(
        "-- MySQL dump 10.13\nCREATE TABLE `t` (`id` int, `telefoni` varchar(20));\nINSERT INTO `t` VALUES ",
    );
    let n = 200_000;
    for i in 0..n {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str(&format!(
            "({i},'044 {:03} {:03}')",
            i % 1000,
            (i / 1000) % 1000
        ));
    }
    sql.push_str(";\nINSERT INTO `t` VALUES (-1,'045 111 222');\n");
    let p = d.file("huge.sql", sql.as_bytes());
    let full = read_tables(Path::new(&p), &ReadOptions::default());
    assert_eq!(full["t"].1.len(), n + 1);
    let sampled = ReadOptions {
        sample_rows: Some(1000),
        ..ReadOptions::default()
    };
    let mut srcs = source::open(Path::new(&p), "huge", &sampled).unwrap();
    let mut rows = 0;
    while let Some(b) = srcs[0].next_batch().unwrap() {
        rows += b.num_rows();
    }
    assert!(rows <= 1000 && rows > 0, "{rows}");
    // One statement cannot be resynchronised mid-way; its quota falls to the readable windows.
    match srcs[0].rows_total() {
        Some(RowCount::Estimated(e)) => assert!(e > 100_000, "{e}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn sampling_a_large_copy_table_spreads_over_it_and_counts_exactly() {
    let d = TestDir::new();
    let mut sql = String::from(
        "-- PostgreSQL database dump\nCREATE TABLE public.t (id integer, v text);\nCOPY public.t (id, v) FROM stdin;\n",
    );
    let n = 300_000;
    for i in 0..n {
        sql.push_str(&format!("{i}\tv{i}\n"));
    }
    sql.push_str("\\.\n");
    let p = d.file("big.sql", sql.as_bytes());
    let opts = ReadOptions {
        sample_rows: Some(2000),
        ..ReadOptions::default()
    };
    let t = read_tables(Path::new(&p), &opts);
    let rows = &t["public.t"].1;
    assert!(rows.len() <= 2000 && rows.len() >= 1900, "{}", rows.len());
    let max_id: i64 = rows
        .iter()
        .map(|r| r[0].as_deref().unwrap().parse::<i64>().unwrap())
        .max()
        .unwrap();
    assert!(
        max_id > (n as i64) * 9 / 10,
        "sample not spread: max id {max_id}"
    );
    let srcs = source::open(Path::new(&p), "big", &opts).unwrap();
    assert_eq!(srcs[0].rows_total(), Some(RowCount::Exact(n as u64)));
}

fn scan_bad(d: &TestDir, name: &str, body: &[u8]) -> (Option<i32>, String, serde_json::Value) {
    let p = d.file(name, body);
    let good = d.file("good.csv", b"emri,telefoni\nArben,044 123 456\n");
    let o = run(&["scan", "--format", "json", &p, &good]);
    let err = stderr(&o);
    assert!(!err.contains("panicked"), "{err}");
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&o)).expect("a report even on failure");
    let good_ok = json["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["source"] == good.as_str() && x["status"] == "ok");
    assert!(good_ok, "the good input must still be scanned");
    (o.status.code(), err, json)
}

#[test]
fn truncated_copy_keeps_earlier_tables_and_names_the_line() {
    let full = std::fs::read(fixture("pg_copy.sql")).unwrap();
    // Cut in the middle of the popullsia COPY block.
    let text = String::from_utf8(full).unwrap();
    let at = text.find("COPY public.popullsia").unwrap() + 2000;
    let d = TestDir::new();
    let (code, err, json) = scan_bad(&d, "cut.sql", &text.as_bytes()[..at]);
    assert_eq!(code, Some(3));
    assert!(
        err.contains("truncated dump") && err.contains("line"),
        "{err}"
    );
    let ds = json["datasets"].as_array().unwrap();
    let by = |t: &str| {
        ds.iter()
            .find(|d| d["table"].as_str().is_some_and(|x| x.ends_with(t)))
            .unwrap()
            .clone()
    };
    assert_eq!(by("Zaposleni")["status"], "ok");
    assert_eq!(by("faturat")["status"], "ok");
    assert_eq!(by("popullsia")["status"], "failed");
    assert!(
        by("popullsia")["rows_scanned"].as_u64().unwrap() > 0,
        "complete rows before the cut are scanned"
    );
}

#[test]
fn copy_row_with_wrong_field_count_names_line_and_row() {
    let d = TestDir::new();
    let body = b"-- PostgreSQL database dump\nCREATE TABLE public.t (a text, b text);\nCOPY public.t (a, b) FROM stdin;\nx\ty\nonly-one\n\\.\n";
    let (code, err, _) = scan_bad(&d, "fields.sql", body);
    assert_eq!(code, Some(3));
    assert!(
        err.contains("line 5") && err.contains("row 2") && err.contains("1 fields"),
        "{err}"
    );
    assert!(
        !err.contains("only-one"),
        "values never appear in errors: {err}"
    );
}

#[test]
fn unterminated_string_in_mysql_dump_names_its_line() {
    let d = TestDir::new();
    let body = b"-- MySQL dump\nCREATE TABLE `t` (`a` text);\nINSERT INTO `t` VALUES ('ok'),\n('secret 044 999 888);\n";
    let (code, err, _) = scan_bad(&d, "quote.sql", body);
    assert_eq!(code, Some(3));
    assert!(err.contains("line 4") || err.contains("line 3"), "{err}");
    assert!(!err.contains("secret"), "{err}");
}

#[test]
fn insert_with_wrong_value_count_and_bad_syntax_are_errors() {
    let d = TestDir::new();
    let body = b"-- MySQL dump\nCREATE TABLE `t` (`a` text, `b` text);\nINSERT INTO `t` VALUES ('1','2'),('3');\n";
    let (code, err, _) = scan_bad(&d, "count.sql", body);
    assert_eq!(code, Some(3));
    assert!(
        err.contains("1 values") && err.contains("2 columns"),
        "{err}"
    );
}

#[test]
fn custom_format_without_pg_restore_says_how_to_convert() {
    let d = TestDir::new();
    let o = crate::util::anonkos()
        .args(["scan", &fixture("pg_custom.dump").display().to_string()])
        .env("PATH", d.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    let err = stderr(&o);
    assert!(
        err.contains("pg_restore") && err.contains("-f dump.sql"),
        "{err}"
    );
}

#[test]
fn dumps_are_never_modified() {
    for f in ["pg_copy.sql", "mysql_extended.sql", "pg_custom.dump"] {
        let before = std::fs::read(fixture(f)).unwrap();
        let o = run(&["scan", "--full", &fixture(f).display().to_string()]);
        assert_eq!(o.status.code(), Some(0));
        assert!(std::fs::read(fixture(f)).unwrap() == before, "{f} changed");
    }
}
