//! CSV as spreadsheets write it: UTF-16 "Unicode text" (byte-order mark, TAB, CRLF or LF),
//! Excel's `sep=` first line and decimal commas. The files come from real writers —
//! LibreOffice (`soffice --headless --convert-to`, a German locale for decimal commas) and
//! Python's `csv` and codecs — and each must read to exactly the cells of the plain UTF-8 CSV
//! they were made from, and scan to the same classifications. Hand-built bytes cover what no
//! writer makes on purpose (odd byte counts, a byte-order mark alone, unpaired surrogates,
//! `sep=` naming nothing).
use std::path::{Path, PathBuf};
use std::process::Command;

use anonkos::source::{self, ReadOptions};

use crate::util::{TestDir, anonkos, root, stderr, stdout};

/// A tool on `PATH`; without it the test says SKIPPED (on the real stderr), except under CI,
/// which installs it (`.ci/run`).
fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var("CI").is_err(),
            "{name} is missing: CI must run the spreadsheet CSV tests (.ci/run installs it)"
        );
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr().lock(),
            "SKIPPED: {name} not found (spreadsheet-written CSV test not run)"
        );
    }
    found
}

/// What a reader made of a file.
#[derive(Debug, PartialEq)]
struct Read {
    names: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn read_with(path: &Path, opts: &ReadOptions) -> anonkos::Result<(Read, Vec<String>)> {
    use arrow_array::{Array, StringArray};
    let mut srcs = source::open(path, "data.csv", opts)?;
    assert_eq!(srcs.len(), 1);
    let src = &mut srcs[0];
    let names = src
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let mut rows = Vec::new();
    while let Some(b) = src.next_batch()? {
        for r in 0..b.num_rows() {
            rows.push(
                (0..b.data.num_columns())
                    .map(|c| {
                        let a = b.data.column(c);
                        let a = a.as_any().downcast_ref::<StringArray>().unwrap();
                        a.value(r).to_string()
                    })
                    .collect(),
            );
        }
    }
    let notes = src.info().notes.clone();
    Ok((Read { names, rows }, notes))
}

fn read(path: &Path) -> (Read, Vec<String>) {
    read_with(path, &ReadOptions::default()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn read_err(path: &Path) -> String {
    match read_with(path, &ReadOptions::default()) {
        Ok((r, notes)) => panic!("{} read: {r:?} {notes:?}", path.display()),
        Err(e) => e.to_string(),
    }
}

/// The cells of a sample-data CSV (header first), read by the `csv` crate.
fn sample_cells(name: &str) -> Vec<Vec<String>> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(root().join("sample-data").join(name))
        .unwrap();
    rdr.records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

fn as_read(cells: &[Vec<String>]) -> Read {
    Read {
        names: cells[0].clone(),
        rows: cells[1..].to_vec(),
    }
}

/// Column name → category of a dataset in `scan --format json`.
fn categories(path: &str) -> Vec<(String, String)> {
    let o = anonkos()
        .args(["scan", path, "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    v["datasets"][0]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["category"].to_string(),
            )
        })
        .collect()
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A flat ODF spreadsheet of `cells`: text cells, except the columns in `amounts`, which are
/// numbers shown with two decimals and thousands groups (as a clerk formats amounts).
fn fods(cells: &[Vec<String>], amounts: &[usize]) -> String {
    let mut s = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.spreadsheet">
<office:automatic-styles>
<number:number-style style:name="N1"><number:number number:decimal-places="2" number:min-integer-digits="1" number:grouping="true"/></number:number-style>
<style:style style:name="ce1" style:family="table-cell" style:parent-style-name="Default" style:data-style-name="N1"/>
</office:automatic-styles>
<office:body><office:spreadsheet><table:table table:name="Faturat">
"#,
    );
    for (i, row) in cells.iter().enumerate() {
        s.push_str("<table:table-row>");
        for (j, cell) in row.iter().enumerate() {
            if i > 0 && amounts.contains(&j) {
                s.push_str(&format!(
                    r#"<table:table-cell table:style-name="ce1" office:value-type="float" office:value="{}"/>"#,
                    xml(cell)
                ));
            } else {
                s.push_str(&format!(
                    r#"<table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell>"#,
                    xml(cell)
                ));
            }
        }
        s.push_str("</table:table-row>\n");
    }
    s.push_str("</table:table></office:spreadsheet></office:body></office:document>\n");
    s
}

/// `soffice --convert-to` of `input` with `filter`, in locale `lang`; the output file.
fn convert(
    soffice: &Path,
    d: &TestDir,
    input: &Path,
    filter: &str,
    ext: &str,
    lang: &str,
) -> PathBuf {
    let out = d.path().join(format!("out-{}", ext.replace(':', "_")));
    let profile = d.path().join("lo-profile");
    let o = Command::new(soffice)
        .env("LANG", lang)
        .env("LC_ALL", lang)
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args(["--headless", "--norestore", "--convert-to"])
        .arg(format!("{ext}:Text - txt - csv (StarCalc):{filter}"))
        .arg("--outdir")
        .arg(&out)
        .arg(input)
        .output()
        .unwrap();
    let stem = input.file_stem().unwrap().to_string_lossy().into_owned();
    let path = out.join(format!("{stem}.{ext}"));
    assert!(
        path.is_file(),
        "soffice wrote no {}: {}{}",
        path.display(),
        stdout(&o),
        stderr(&o)
    );
    path
}

/// LibreOffice's "Unicode text" (UTF-16LE with a byte-order mark, TAB) and its semicolon CSV,
/// both in a German locale (amounts as `19.909,70`), read to the cells of the UTF-8 CSV they
/// were made from, and scan to the same classifications.
#[test]
fn libreoffice_unicode_text_and_semicolon_csv_read_as_the_original() {
    let Some(soffice) = tool("soffice") else {
        return;
    };
    let d = TestDir::new();
    let cells = sample_cells("faturat.csv");
    let shuma = cells[0].iter().position(|c| c == "shuma").unwrap();
    let input = d.path().join("faturat.fods");
    std::fs::write(&input, fods(&cells, &[shuma])).unwrap();
    let utf16 = convert(&soffice, &d, &input, "9,34,65535,1", "txt", "de_DE.UTF-8");
    let semi = convert(&soffice, &d, &input, "59,34,76,1", "csv", "de_DE.UTF-8");

    let bytes = std::fs::read(&utf16).unwrap();
    assert!(
        bytes.starts_with(&[0xFF, 0xFE]),
        "LibreOffice wrote no UTF-16LE BOM"
    );
    let semi_text = std::fs::read_to_string(&semi).unwrap();
    assert!(
        semi_text.contains(";19.909,70;") || semi_text.contains(";\"19.909,70\";"),
        "no decimal commas with thousands groups in LibreOffice's output:\n{}",
        &semi_text[..semi_text.len().min(400)]
    );

    let want = as_read(&cells);
    let (got, notes) = read(&utf16);
    assert_eq!(got, want, "UTF-16 text");
    let notes = notes.join("; ");
    assert!(
        notes.contains("encoding UTF-16LE (byte-order mark"),
        "{notes}"
    );
    assert!(notes.contains("delimiter TAB"), "{notes}");
    assert!(
        notes.contains("decimal commas read as numbers in column"),
        "{notes}"
    );
    let (got, notes) = read(&semi);
    assert_eq!(got, want, "semicolon CSV");
    assert!(
        notes.join("; ").contains("delimiter ';' (sniffed)")
            || notes.join("; ").contains("delimiter ;"),
        "{notes:?}"
    );

    let original = root().join("sample-data/faturat.csv");
    let reference = categories(&original.display().to_string());
    assert_eq!(categories(&utf16.display().to_string()), reference);
    assert_eq!(categories(&semi.display().to_string()), reference);
}

/// The Python script that writes `sample-data/patients.csv` in the ways spreadsheets and
/// scripts save it.
const PY_WRITER: &str = r#"
import codecs, csv, sys
src, out = sys.argv[1], sys.argv[2]
with open(src, encoding="utf-8", newline="") as f:
    rows = list(csv.reader(f))
def write(name, encoding, delimiter, lineterminator, head=""):
    with open(out + "/" + name, "w", encoding=encoding, newline="") as f:
        f.write(head)
        csv.writer(f, delimiter=delimiter, lineterminator=lineterminator).writerows(rows)
# Excel's "Unicode text": UTF-16LE with a BOM, TAB, CRLF.
write("unicode.txt", "utf-16", "\t", "\r\n")
# Without a byte-order mark, either byte order.
write("le.txt", "utf-16-le", "\t", "\r\n")
write("be.txt", "utf-16-be", "\t", "\n")
# Excel's "CSV UTF-8" with the delimiter hint a script adds for Excel.
write("hint.csv", "utf-8-sig", ";", "\r\n", head="sep=;\r\n")
write("hint_pipe.csv", "utf-8", "|", "\n", head='"sep=|"\n')
"#;

/// Python's `csv` writer through its UTF-16 codecs (with and without a byte-order mark, both
/// byte orders) and with a `sep=` first line: every file reads to the original cells.
#[test]
fn python_written_utf16_and_sep_hint_read_as_the_original() {
    let Some(python) = tool("python3") else {
        return;
    };
    let d = TestDir::new();
    let src = root().join("sample-data/patients.csv");
    let o = Command::new(python)
        .args(["-c", PY_WRITER])
        .arg(&src)
        .arg(d.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let want = as_read(&sample_cells("patients.csv"));
    for (name, encoding, delim) in [
        ("unicode.txt", "encoding UTF-16LE (byte-order mark", "TAB"),
        (
            "le.txt",
            "encoding UTF-16LE (detected from its NUL bytes",
            "TAB",
        ),
        (
            "be.txt",
            "encoding UTF-16BE (detected from its NUL bytes",
            "TAB",
        ),
        (
            "hint.csv",
            "UTF-8 byte-order mark skipped",
            "';' (from the sep= line)",
        ),
        (
            "hint_pipe.csv",
            "encoding UTF-8",
            "'|' (from the sep= line)",
        ),
    ] {
        let path = d.path().join(name);
        let (got, notes) = read(&path);
        assert_eq!(got.names, want.names, "{name}");
        assert_eq!(got, want, "{name}");
        let notes = notes.join("; ");
        assert!(notes.contains(encoding), "{name}: {notes}");
        assert!(
            notes.contains(&format!("delimiter {delim}")),
            "{name}: {notes}"
        );
    }
    // And the scan sees the same columns as in the original.
    let reference = categories(&src.display().to_string());
    for name in ["unicode.txt", "be.txt", "hint.csv"] {
        let p = d.path().join(name).display().to_string();
        assert_eq!(categories(&p), reference, "{name}");
    }
}

fn utf16le(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// Byte-level edge cases no writer makes on purpose.
#[test]
fn utf16_edge_cases() {
    let d = TestDir::new();
    let file = |name: &str, bytes: &[u8]| PathBuf::from(d.file(name, bytes));
    // Surrogate pairs in a header and in values; CRLF; a BOM that must not reach the header.
    let text = "Emri 😀\tShënim\r\nArbër\t𝄞 nota\r\nПетар\tok\r\n";
    let p = file("pairs.txt", &[&[0xFF, 0xFE][..], &utf16le(text)].concat());
    let (got, _) = read(&p);
    assert_eq!(got.names, ["Emri 😀", "Shënim"]);
    assert_eq!(got.rows, [["Arbër", "𝄞 nota"], ["Петар", "ok"]]);
    // A byte-order mark alone is an empty file.
    let p = file("bom.txt", &[0xFF, 0xFE]);
    let e = read_err(&p);
    assert!(e.contains("empty file"), "{e}");
    // An odd number of bytes: a truncated file, said with the byte where it breaks.
    let mut bytes = [&[0xFF, 0xFE][..], &utf16le("a\tb\r\n1\t2\r\n")].concat();
    bytes.push(b'3');
    let n = bytes.len();
    let p = file("odd.txt", &bytes);
    let e = read_err(&p);
    assert!(e.contains(&format!("at byte {n} of the file")), "{e}");
    assert!(e.contains("ends in the middle of a character"), "{e}");
    // An unpaired surrogate inside the data.
    let mut bytes = [&[0xFF, 0xFE][..], &utf16le("a\tb\r\n1\t")].concat();
    let at = bytes.len() + 1;
    bytes.extend_from_slice(&0xDC00u16.to_le_bytes());
    bytes.extend_from_slice(&utf16le("2\r\n"));
    let p = file("lone.txt", &bytes);
    let e = read_err(&p);
    assert!(e.contains(&format!("at byte {at} of the file")), "{e}");
    assert!(e.contains("unpaired surrogate"), "{e}");
    // Forced UTF-16BE on a file without a byte-order mark, and a forced encoding that turns
    // detection off (the NUL bytes are then an error, as before).
    let p = file(
        "be.csv",
        &"x,y\n1,2\n"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect::<Vec<_>>(),
    );
    let opts = ReadOptions {
        encoding: Some("utf-16be".into()),
        ..ReadOptions::default()
    };
    let (got, notes) = read_with(&p, &opts).unwrap();
    assert_eq!(
        (got.names, got.rows),
        (
            vec!["x".to_string(), "y".into()],
            vec![vec!["1".to_string(), "2".into()]]
        )
    );
    assert!(
        notes.join("; ").contains("encoding UTF-16BE (forced)"),
        "{notes:?}"
    );
    let opts = ReadOptions {
        encoding: Some("windows-1250".into()),
        ..ReadOptions::default()
    };
    let e = read_with(&p, &opts).map(|_| ()).unwrap_err().to_string();
    assert!(e.contains("NUL byte"), "{e}");
}

/// A large UTF-16 file: a sampled scan reads its first rows (it cannot seek) and estimates
/// the rest; a full read counts every row.
#[test]
fn utf16_sampling_and_full_read() {
    let d = TestDir::new();
    let mut text = String::from("id\temri\tqyteti\r\n");
    for i in 0..60_000 {
        text.push_str(&format!("{i}\tEmri {}\tPrishtinë\r\n", i % 97));
    }
    let p = PathBuf::from(d.file("big.txt", &[&[0xFF, 0xFE][..], &utf16le(&text)].concat()));
    let opts = ReadOptions {
        sample_rows: Some(1000),
        ..ReadOptions::default()
    };
    let (got, notes) = read_with(&p, &opts).unwrap();
    assert_eq!(got.rows.len(), 1000);
    assert_eq!(got.rows[999], ["999", "Emri 29", "Prishtinë"]);
    assert!(
        notes
            .join("; ")
            .contains("UTF-16 input cannot seek: sampled the first 1000 rows"),
        "{notes:?}"
    );
    let mut srcs = source::open(&p, "big.txt", &opts).unwrap();
    while srcs[0].next_batch().unwrap().is_some() {}
    match srcs[0].rows_total() {
        Some(source::RowCount::Estimated(n)) => assert!((54_000..=66_000).contains(&n), "{n}"),
        other => panic!("{other:?}"),
    }
    let mut srcs = source::open(&p, "big.txt", &ReadOptions::default()).unwrap();
    while srcs[0].next_batch().unwrap().is_some() {}
    assert_eq!(srcs[0].rows_total(), Some(source::RowCount::Exact(60_000)));
}

/// `sep=` lines: every form, forced delimiters, and near misses that are ordinary headers.
#[test]
fn sep_hint_forms() {
    let d = TestDir::new();
    let cases: [(&str, &[u8], &[&str], &str); 6] = [
        (
            "semi.csv",
            b"sep=;\r\nEmri;Pesha\r\nArb\xc3\xabr;70\r\n",
            &["Emri", "Pesha"],
            "sep=';' line skipped",
        ),
        (
            "bom.csv",
            b"\xEF\xBB\xBFsep=,\nEmri,Pesha\nArb,70\n",
            &["Emri", "Pesha"],
            "sep=',' line skipped",
        ),
        (
            "tab.csv",
            b"sep=\t\nEmri\tPesha\nArb\t70\n",
            &["Emri", "Pesha"],
            "sep=TAB line skipped",
        ),
        (
            "quoted.csv",
            b"\"sep=|\"\nEmri|Pesha\nArb|70\n",
            &["Emri", "Pesha"],
            "sep='|' line skipped",
        ),
        (
            "empty.csv",
            b"sep=\nEmri;Pesha\nArb;70\n",
            &["Emri", "Pesha"],
            "empty sep= line skipped",
        ),
        // The hint's `;` wins over the commas inside the values.
        (
            "hint_wins.csv",
            b"sep=;\nEmri;Shenim\nArb;a,b,c\nDrita;d,e,f\n",
            &["Emri", "Shenim"],
            "delimiter ';' (from the sep= line)",
        ),
    ];
    for (name, bytes, names, note) in cases {
        let p = PathBuf::from(d.file(name, bytes));
        let (got, notes) = read(&p);
        assert_eq!(got.names, names, "{name}");
        let second = if name == "hint_wins.csv" {
            "a,b,c"
        } else {
            "70"
        };
        assert_eq!(got.rows[0][1], second, "{name}");
        assert!(notes.join("; ").contains(note), "{name}: {notes:?}");
    }
    // A forced delimiter wins; the line is still skipped.
    let p = PathBuf::from(d.file("forced.csv", b"sep=;\nEmri,Pesha\nArb,70\n"));
    let opts = ReadOptions {
        delimiter: Some(b','),
        ..ReadOptions::default()
    };
    let (got, notes) = read_with(&p, &opts).unwrap();
    assert_eq!(got.names, ["Emri", "Pesha"]);
    assert!(
        notes.join("; ").contains("overridden by --delimiter"),
        "{notes:?}"
    );
    // Only the hint: an empty file.
    let p = PathBuf::from(d.file("only.csv", b"sep=;\r\n"));
    assert!(read_err(&p).contains("empty file"));
    // A UTF-16 file with a hint (a script's "Unicode text" for Excel).
    let p = PathBuf::from(d.file(
        "u16.txt",
        &[&[0xFF, 0xFE][..], &utf16le("sep=;\r\na;b\r\n1,5;2\r\n")].concat(),
    ));
    let (got, _) = read(&p);
    assert_eq!(
        (got.names.clone(), got.rows.clone()),
        (
            vec!["a".to_string(), "b".into()],
            vec![vec!["1.5".to_string(), "2".into()]]
        )
    );
    // A multi-byte delimiter cannot be honoured: said, not guessed.
    let p = PathBuf::from(d.file("euro.csv", "sep=€\na€b\n".as_bytes()));
    let e = read_err(&p);
    assert!(e.contains("more than one byte"), "{e}");
    // Near misses are headers.
    for (name, bytes, first) in [
        ("sep_col.csv", &b"sep;x\n1;2\n"[..], "sep"),
        // Not a hint (text after the delimiter): an ordinary header split at `;`.
        ("sepx.csv", b"sep=;x\n1;2\n", "sep="),
        ("spaced.csv", b"sep = ;\n1;2\n", "sep ="),
    ] {
        let p = PathBuf::from(d.file(name, bytes));
        let (got, _) = read_with(
            &p,
            &ReadOptions {
                has_header: Some(true),
                ..ReadOptions::default()
            },
        )
        .unwrap();
        assert_eq!(got.names[0], first, "{name}");
    }
}

/// Decimal commas: read as numbers in consistent columns of `;`/TAB files, never with a comma
/// delimiter, never in columns of other values.
#[test]
fn decimal_commas() {
    let d = TestDir::new();
    let text = "Emri;Pesha;Shuma;Data;Kodi;Përzier\n\
                Arbër;70,5;1.234,56;12.03.2024;1,2;12,5\n\
                Drita;81;-0,75;01.01.2023;3,4;n/a\n\
                Besa;65,25;1.000.000;02.02.2022;5,6;7,5\n";
    let p = PathBuf::from(d.file("semi.csv", text.as_bytes()));
    let (got, notes) = read(&p);
    assert_eq!(
        got.rows,
        [
            ["Arbër", "70.5", "1234.56", "12.03.2024", "1.2", "12,5"],
            ["Drita", "81", "-0.75", "01.01.2023", "3.4", "n/a"],
            ["Besa", "65.25", "1000000", "02.02.2022", "5.6", "7,5"],
        ]
    );
    let notes = notes.join("; ");
    assert!(
        notes.contains("columns (1.234,56 → 1234.56): Pesha, Shuma, Kodi"),
        "{notes}"
    );
    // The same values quoted in a comma-separated file stay as written.
    let text = "Emri,Pesha\nArbër,\"70,5\"\nDrita,\"81,2\"\n";
    let p = PathBuf::from(d.file("comma.csv", text.as_bytes()));
    let (got, notes) = read(&p);
    assert_eq!(got.rows, [["Arbër", "70,5"], ["Drita", "81,2"]]);
    assert!(!notes.join("; ").contains("decimal"), "{notes:?}");
    // A TAB file: the same; a later cell of another shape is kept.
    let mut text = String::from("id\tshuma\n");
    for i in 0..300 {
        text.push_str(&format!("{i}\t{i},5\n"));
    }
    text.push_str("300\tpa vlerë\n301\t1.234,5\n");
    let p = PathBuf::from(d.file("tab.tsv", text.as_bytes()));
    let (got, _) = read(&p);
    assert_eq!(got.rows[0], ["0", "0.5"]);
    assert_eq!(got.rows[300], ["300", "pa vlerë"]);
    assert_eq!(got.rows[301], ["301", "1234.5"]);
}

/// The CLI: a scan of a UTF-16 export names its columns (the BOM in none), and a bad file
/// fails with the file named.
#[test]
fn scan_of_unicode_text_names_real_columns() {
    let d = TestDir::new();
    let text = "nr_personal\temri\ttelefoni\r\n1083513680\tShqipe\t049 514 357\r\n4014151406\tIlir\t044 334 187\r\n";
    let p = d.file("export.txt", &[&[0xFF, 0xFE][..], &utf16le(text)].concat());
    let o = anonkos()
        .args(["scan", &p, "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let names: Vec<&str> = v["datasets"][0]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["nr_personal", "emri", "telefoni"]);
    let bad = d.file(
        "cut.txt",
        &[&[0xFF, 0xFE][..], &utf16le("a\tb\r\n"), b"x"].concat(),
    );
    let o = anonkos().args(["scan", &bad]).output().unwrap();
    assert_ne!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("cut.txt"), "{}", stderr(&o));
    assert!(stderr(&o).contains("UTF-16LE"), "{}", stderr(&o));
}

/// A published table as a flat ODF sheet: a title merged across the columns and a unit line
/// above the header (a blank row between), `rows` below it (the columns in `numeric` as
/// numbers), then a total row, a blank row and two footnotes (one with a comma, so quoted).
fn fods_table(header: &[&str], rows: &[Vec<String>], numeric: &[usize]) -> String {
    let text = |v: &str| {
        format!(
            r#"<table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell>"#,
            xml(v)
        )
    };
    let number =
        |v: &str| format!(r#"<table:table-cell office:value-type="float" office:value="{v}"/>"#);
    let width = header.len();
    let mut s = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.spreadsheet">
<office:body><office:spreadsheet><table:table table:name="Banoret">
"#,
    );
    s.push_str(&format!(
        r#"<table:table-row><table:table-cell table:number-columns-spanned="{width}" office:value-type="string"><text:p>Tabela 5. Banorët e regjistruar sipas komunës</text:p></table:table-cell></table:table-row>"#
    ));
    s.push_str(&format!(
        "<table:table-row>{}</table:table-row>\n",
        text("Njësia: persona")
    ));
    s.push_str("<table:table-row><table:table-cell/></table:table-row>\n");
    let row =
        |cells: Vec<String>| format!("<table:table-row>{}</table:table-row>\n", cells.concat());
    s.push_str(&row(header.iter().map(|h| text(h)).collect()));
    for r in rows {
        s.push_str(&row(r
            .iter()
            .enumerate()
            .map(|(j, v)| {
                if numeric.contains(&j) {
                    number(v)
                } else {
                    text(v)
                }
            })
            .collect()));
    }
    let mut total = vec![text("Gjithsej")];
    for j in 1..width {
        total.push(if numeric.contains(&j) {
            let sum: u64 = rows.iter().map(|r| r[j].parse::<u64>().unwrap()).sum();
            number(&sum.to_string())
        } else {
            "<table:table-cell/>".to_string()
        });
    }
    s.push_str(&row(total));
    s.push_str("<table:table-row><table:table-cell/></table:table-row>\n");
    s.push_str(&row(vec![text("Burimi: të dhëna sintetike, 2024")]));
    s.push_str(&row(vec![text("* Mosha në vite të plota")]));
    s.push_str("</table:table></office:spreadsheet></office:body></office:document>\n");
    s
}

/// A CSV saved by LibreOffice from a published table (title block above, total row, blank row
/// and footnotes below) reads to exactly its data rows, with the header's names; a row named
/// "Total" in the middle and a last row with a person's name are data. The same file with
/// every line's trailing delimiters trimmed (as scripts write short rows) reads the same.
/// Scan and run say how many rows they left out.
#[test]
fn libreoffice_csv_with_title_totals_and_footnotes_reads_its_data_rows() {
    let Some(soffice) = tool("soffice") else {
        return;
    };
    let d = TestDir::new();
    let header = ["emri", "mbiemri", "komuna", "mosha", "pesha"];
    let names = [
        "Arbër", "Drita", "Besnik", "Total", "Valbona", "Ilir", "Shpresa",
    ];
    let towns = ["Prishtinë", "Pejë", "Prizren", "Gjakovë"];
    let rows: Vec<Vec<String>> = (0..40)
        .map(|i| {
            vec![
                names[i % names.len()].to_string(),
                format!("Krasniqi{}", i % 9),
                towns[i % towns.len()].to_string(),
                (18 + i * 7 % 60).to_string(),
                (55 + i * 3 % 40).to_string(),
            ]
        })
        .chain(std::iter::once(vec![
            "Arta".into(),
            "Berisha".into(),
            "Pejë".into(),
            "41".into(),
            "63".into(),
        ]))
        .collect();
    let input = d.path().join("banoret.fods");
    std::fs::write(&input, fods_table(&header, &rows, &[3, 4])).unwrap();
    let csv = convert(&soffice, &d, &input, "44,34,76,1", "csv", "en_US.UTF-8");
    let written = std::fs::read_to_string(&csv).unwrap();
    assert!(
        written.contains("\"Gjithsej\",,,")
            && written.contains("\"Burimi: të dhëna sintetike, 2024\",,,,"),
        "{written}"
    );
    let trimmed_path = d.path().join("trimmed.csv");
    let trimmed: String = written
        .lines()
        .map(|l| format!("{}\n", l.trim_end_matches(',')))
        .collect();
    assert_ne!(trimmed, written, "LibreOffice padded no row");
    std::fs::write(&trimmed_path, &trimmed).unwrap();

    let want = Read {
        names: header.iter().map(|h| h.to_string()).collect(),
        rows: rows.clone(),
    };
    // LibreOffice pads the blank rows (`,,,,`): one is a title line, one is in the tail. The
    // trimmed file's blank lines are empty, which CSV skips.
    for (path, titles, dropped) in [
        (
            &csv,
            "3 title line(s)",
            "1 total row(s), 2 footnote row(s) and 1 blank row(s)",
        ),
        (
            &trimmed_path,
            "2 title line(s)",
            "1 total row(s) and 2 footnote row(s)",
        ),
    ] {
        let (got, notes) = read(path);
        assert_eq!(got, want, "{}", path.display());
        let notes = notes.join("; ");
        assert!(notes.contains(titles), "{notes}");
        assert!(notes.contains(dropped), "{notes}");
    }
    // The scan says it too, and counts the data rows only.
    let o = anonkos()
        .args(["scan", "--format", "json", "--full"])
        .arg(&csv)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let ds = &v["datasets"][0];
    assert_eq!(ds["rows_scanned"], rows.len() as u64, "{ds}");
    assert!(ds["notes"].to_string().contains("1 total row(s)"), "{ds}");
    // And so does the run's report.
    let pipe = d.file(
        "p.toml",
        b"[pipeline]\nname = \"tail\"\nstrict = false\n\n[key]\nmode = \"ephemeral\"\n\n\
          [[rules]]\ncategory = \"person_name\"\naction = \"pseudonymise\"\n",
    );
    let out = d.path().join("out");
    let o = anonkos()
        .args(["run", &pipe, "--input"])
        .arg(&trimmed_path)
        .arg("--out-dir")
        .arg(&out)
        .output()
        .unwrap();
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("anonkos-run.json")).unwrap()).unwrap();
    let o0 = &report["outputs"][0];
    assert_eq!(o0["rows"], rows.len() as u64, "{o0}");
    assert!(
        o0["notes"].to_string().contains("2 footnote row(s)"),
        "{o0}"
    );
}
