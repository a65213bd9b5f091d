//! Workbooks made by real writers: rust_xlsxwriter (xlsx) and LibreOffice (`soffice
//! --headless --convert-to` for xls and ods; `.ci/run` installs it, and a machine without it
//! prints SKIPPED). A workbook scans to the same classifications as the same rows in CSV, `run`
//! round-trips a workbook, and bad workbooks fail with a clear error naming file and sheet.
#![allow(clippy::disallowed_methods)] // tests write fixtures and read reports directly
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use rust_xlsxwriter::{Format, Workbook};

use crate::util::{TestDir, anonkos, run, stderr, stdout};

/// The sample generator's patients table (`anonkos sample`), as header and rows.
fn patients(d: &TestDir) -> (PathBuf, Vec<Vec<String>>) {
    let dir = d.path().join("sample");
    let o = run(&[
        "sample",
        "--out",
        &dir.display().to_string(),
        "--rows",
        "150",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let csv = dir.join("patients.csv");
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(&csv)
        .unwrap();
    let rows = rdr
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    (csv, rows)
}

/// The rows as a sheet below a two-line title block, above a total row and a footnote, with
/// the phone column hidden; a second, hidden sheet holds the same rows without decoration.
fn write_xlsx(path: &Path, rows: &[Vec<String>]) {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name("Pacientët").unwrap();
    let width = rows[0].len() as u16;
    ws.merge_range(
        0,
        0,
        0,
        width - 1,
        "Tabela 7. Pacientët sipas komunës",
        &bold,
    )
    .unwrap();
    ws.write_string(1, 0, "Njësia: persona").unwrap();
    let top = 3u32;
    for (i, row) in rows.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            // Numbers stored as numbers where the CSV holds a plain integer that keeps its
            // value (the personal numbers stay text: a leading zero would be lost).
            ws.write_string(top + i as u32, j as u16, v).unwrap();
        }
    }
    let end = top + rows.len() as u32;
    ws.write_string(end, 0, "Gjithsej").unwrap();
    ws.write_number(end, 1, (rows.len() - 1) as f64).unwrap();
    ws.write_string(end + 2, 0, "Burimi: të dhëna sintetike")
        .unwrap();
    ws.set_column_hidden(6).unwrap();
    let hidden = wb.add_worksheet();
    hidden.set_name("Kopja").unwrap();
    for (i, row) in rows.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            hidden.write_string(i as u32, j as u16, v).unwrap();
        }
    }
    hidden.set_hidden(true);
    wb.save(path).unwrap();
}

fn scan(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["scan", "--format", "json", "--full"];
    all.extend(args);
    let o = run(&all);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    serde_json::from_str(&stdout(&o)).expect("valid JSON")
}

/// Column name → category for the dataset whose table is `table` (or the only one).
fn cats(json: &serde_json::Value, table: Option<&str>) -> BTreeMap<String, String> {
    let ds = json["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| table.is_none() || d["table"].as_str() == table)
        .unwrap_or_else(|| panic!("no dataset {table:?} in {json}"));
    assert_eq!(ds["status"], "ok", "{ds}");
    ds["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["category"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn xlsx_scans_like_the_same_rows_in_csv() {
    let d = TestDir::new();
    let (csv, rows) = patients(&d);
    let xlsx = d.path().join("pacientet.xlsx");
    write_xlsx(&xlsx, &rows);
    let want = cats(&scan(&[&csv.display().to_string()]), None);
    let json = scan(&[&xlsx.display().to_string()]);
    assert_eq!(cats(&json, Some("Pacientët")), want);
    assert_eq!(cats(&json, Some("Kopja")), want);
    let sheets = json["datasets"].as_array().unwrap();
    let main = &sheets[0];
    // Exactly the data rows: title block, total row and footnote are not data.
    assert_eq!(main["rows_scanned"], rows.len() as u64 - 1, "{main}");
    let hidden_cols: Vec<&str> = main["columns"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["hidden"] == true)
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(hidden_cols, ["telefoni"]);
    assert!(main.get("hidden").is_none(), "{main}");
    assert_eq!(sheets[1]["hidden"], true);
    let notes = main["notes"].to_string();
    assert!(notes.contains("total row"), "{notes}");
    // The sample scan (default mode) agrees too.
    let o = run(&["scan", "--format", "json", &xlsx.display().to_string()]);
    let sampled: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(cats(&sampled, Some("Pacientët")), want);
}

fn soffice() -> Option<PathBuf> {
    let found = ["soffice", "libreoffice"].iter().find_map(|b| {
        Command::new("which")
            .arg(b)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
    });
    if found.is_none() {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: soffice not found (xls/ods workbook test not run; .ci/run installs \
             libreoffice-calc-nogui)"
        );
    }
    found
}

/// Convert `src` with LibreOffice into `ext` inside `out`.
fn convert(soffice: &Path, src: &Path, ext: &str, out: &Path) -> PathBuf {
    let profile = out.join("lo-profile");
    let o = Command::new(soffice)
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args(["--headless", "--convert-to", ext, "--outdir"])
        .arg(out)
        .arg(src)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stem = src.file_stem().unwrap().to_string_lossy().to_string();
    let p = out.join(format!("{stem}.{ext}"));
    assert!(p.exists(), "soffice wrote no {ext}");
    p
}

#[test]
fn xls_and_ods_from_libreoffice_scan_like_the_csv() {
    let Some(lo) = soffice() else { return };
    let d = TestDir::new();
    let (csv, rows) = patients(&d);
    let xlsx = d.path().join("pacientet.xlsx");
    write_xlsx(&xlsx, &rows);
    let want = cats(&scan(&[&csv.display().to_string()]), None);
    let out = d.path().join("lo");
    std::fs::create_dir_all(&out).unwrap();
    for ext in ["xls", "ods"] {
        let book = convert(&lo, &xlsx, ext, &out);
        let json = scan(&[&book.display().to_string()]);
        assert_eq!(cats(&json, Some("Pacientët")), want, "{ext}");
        assert_eq!(
            json["datasets"][0]["rows_scanned"],
            rows.len() as u64 - 1,
            "{ext}"
        );
    }
}

const PIPELINE: &str = r#"
[pipeline]
name = "workbook-roundtrip"
strict = false

[output]
format = "xlsx"

[key]
mode = "ephemeral"

[[rules]]
category = "person_name"
action = "pseudonymise"

[[rules]]
category = "kosovo_personal_number"
action = "drop"
"#;

#[test]
fn run_round_trips_a_workbook() {
    let d = TestDir::new();
    let (_, rows) = patients(&d);
    let xlsx = d.path().join("pacientet.xlsx");
    write_xlsx(&xlsx, &rows);
    let pipe = d.file("p.toml", PIPELINE.as_bytes());
    let out = d.path().join("out");
    let o = anonkos()
        .args(["run", &pipe, "--input"])
        .arg(&xlsx)
        .arg("--out-dir")
        .arg(&out)
        .output()
        .unwrap();
    // Exit 1: the verification re-scan flags the columns this pipeline keeps (phones,
    // e-mails); the outputs are written all the same.
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    let book = out.join("pacientet.xlsx");
    assert!(
        book.exists(),
        "no workbook written: {:?}",
        std::fs::read_dir(&out)
    );
    // The output is a workbook again: both sheets, read back by anonkos itself.
    let json = scan(&[&book.display().to_string()]);
    let sheets: Vec<&str> = json["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["table"].as_str().unwrap())
        .collect();
    assert_eq!(sheets, ["Pacientët", "Kopja"]);
    let ds = &json["datasets"][0];
    assert_eq!(ds["rows_scanned"], rows.len() as u64 - 1);
    let names: Vec<&str> = ds["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(!names.contains(&"nr_personal"), "{names:?}");
    assert!(names.contains(&"komuna"), "{names:?}");
    // No name of the input survives in the output.
    let mut src = anonkos::source::open(&book, "out.xlsx", &Default::default()).unwrap();
    let cells = crate::util::read_cells(&mut src[0]);
    let first_names: std::collections::HashSet<&str> =
        rows[1..].iter().map(|r| r[1].as_str()).collect();
    let emri = names.iter().position(|n| *n == "emri").unwrap();
    assert!(
        cells
            .iter()
            .all(|r| r[emri].as_deref().is_none_or(|v| !first_names.contains(v))),
        "a first name survived"
    );
    // A second hidden sheet stays hidden in the output.
    assert_eq!(json["datasets"][1]["hidden"], true);
}

/// A minimal xlsx written part by part, for the hostile cases no real writer makes.
fn raw_xlsx(path: &Path, sheet_xml: &[u8]) {
    let f = std::fs::File::create(path).unwrap();
    let mut z = zip::ZipWriter::new(f);
    let o = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let parts: [(&str, &[u8]); 4] = [
        (
            "[Content_Types].xml",
            br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
        ),
        (
            "xl/workbook.xml",
            br#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
        ),
        (
            "xl/_rels/workbook.xml.rels",
            br#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
        ),
        ("xl/worksheets/sheet1.xml", sheet_xml),
    ];
    for (name, body) in parts {
        z.start_file(name, o).unwrap();
        z.write_all(body).unwrap();
    }
    z.finish().unwrap();
}

fn scan_error(path: &Path) -> String {
    let o = run(&["scan", "--format", "json", &path.display().to_string()]);
    let text = format!("{}{}", stdout(&o), stderr(&o));
    assert_ne!(o.status.code(), Some(0), "{text}");
    text
}

#[test]
fn bad_workbooks_fail_clearly_naming_file_and_sheet() {
    let d = TestDir::new();
    // A sheet that claims the whole grid in its dimension tag.
    let claim = d.path().join("claim.xlsx");
    raw_xlsx(
        &claim,
        br#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row></sheetData></worksheet>"#,
    );
    let e = scan_error(&claim);
    assert!(
        e.contains("claim.xlsx#Data") && e.contains("16384 columns"),
        "{e}"
    );
    // A zip bomb: 64 MiB of blanks inside the sheet, compressed about 1000 times.
    let bomb = d.path().join("bomb.xlsx");
    let mut xml = br#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#.to_vec();
    xml.resize(xml.len() + (64 << 20), b' ');
    xml.extend_from_slice(b"</sheetData></worksheet>");
    raw_xlsx(&bomb, &xml);
    drop(xml);
    let e = scan_error(&bomb);
    assert!(e.contains("bomb.xlsx") && e.contains("zip bomb"), "{e}");
    // Truncated: the first half of a real workbook.
    let (_, rows) = patients(&d);
    let good = d.path().join("good.xlsx");
    write_xlsx(&good, &rows);
    let bytes = std::fs::read(&good).unwrap();
    let cut = d.file("cut.xlsx", &bytes[..bytes.len() / 2]);
    let e = scan_error(Path::new(&cut));
    assert!(e.contains("cut.xlsx") && e.contains("truncated"), "{e}");
    // Encrypted: Office stores a password-protected xlsx as an OLE2 file holding an
    // `EncryptionInfo` stream (its directory names are UTF-16LE).
    let mut ole = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec();
    ole.resize(1024, 0);
    ole.extend("EncryptionInfo".encode_utf16().flat_map(u16::to_le_bytes));
    ole.resize(4096, 0);
    let enc = d.file("secret.xlsx", &ole);
    let e = scan_error(Path::new(&enc));
    assert!(e.contains("secret.xlsx") && e.contains("encrypted"), "{e}");
}

fn csv_names_and_rows(path: &str) -> (Vec<String>, Vec<String>, Vec<Vec<Option<String>>>) {
    let mut srcs = anonkos::source::open(Path::new(path), path, &Default::default()).unwrap();
    let src = &mut srcs[0];
    let names = src
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let rows = crate::util::read_cells(src);
    (names, src.info().notes.clone(), rows)
}

#[test]
fn csv_title_lines_above_the_header_are_skipped() {
    let d = TestDir::new();
    let p = d.file(
        "popullsia.csv",
        // A title cell with a comma is quoted, as spreadsheets write it.
        "Tabela 3. Popullsia sipas komunës\n\"Burimi: ASK, vlerësim 2024\"\n\nkomuna,meshkuj,femra\nPrishtinë,100,110\nPejë,90,95\n"
            .as_bytes(),
    );
    let (names, notes, rows) = csv_names_and_rows(&p);
    assert_eq!(names, ["komuna", "meshkuj", "femra"]);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0][0].as_deref(), Some("Prishtinë"));
    assert!(
        notes.iter().any(|n| n.contains("2 title line")),
        "{notes:?}"
    );
    // Excel pads title lines with delimiters: same field count, one filled field of words.
    let p = d.file(
        "padded.csv",
        "Tabela 3. Popullsia,,\n,,\nkomuna,meshkuj,femra\nPrishtinë,100,110\n".as_bytes(),
    );
    assert_eq!(csv_names_and_rows(&p).0, ["komuna", "meshkuj", "femra"]);
}

/// A plain CSV reads exactly as before the header finder: the first line is the header (or,
/// when detected as data, the columns are col1..colN), and no title note appears.
#[test]
fn plain_csv_reads_unchanged() {
    let d = TestDir::new();
    let cases: [(&str, &str, &[&str]); 5] = [
        ("a.csv", "x,\n1,2\n3,4\n", &["x", "col2"]),
        ("b.csv", "id,,\n1,a,b\n2,c,d\n", &["id", "col2", "col3"]),
        ("c.csv", "emri\nArta\nBesa\n", &["emri"]),
        ("d.csv", "name,age\n,5\nArta,7\n", &["name", "age"]),
        ("f.csv", "1,2\n3,4\n", &["col1", "col2"]),
    ];
    for (name, text, want) in cases {
        let p = d.file(name, text.as_bytes());
        let mut srcs = anonkos::source::open(Path::new(&p), &p, &Default::default()).unwrap();
        let src = &mut srcs[0];
        let names: Vec<String> = src
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(names, want, "{name}");
        assert!(
            !src.info().notes.iter().any(|n| n.contains("title")),
            "{name}"
        );
    }
    let o = run(&["sample", "--out", &d.path().join("s").display().to_string()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for e in std::fs::read_dir(d.path().join("s")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "csv") {
            let p = p.display().to_string();
            let (names, notes, _) = csv_names_and_rows(&p);
            assert!(!notes.iter().any(|n| n.contains("title")), "{p}");
            assert!(!names.is_empty());
        }
    }
}

/// Birth dates of the 1904 workbook: leap days, the turn of a century, and a date a few days
/// into the 1904 system (serial 4).
const DATES_1904: [&str; 8] = [
    "1985-03-12",
    "2000-02-29",
    "1999-12-31",
    "1904-01-05",
    "1960-07-15",
    "2024-02-28",
    "1972-11-30",
    "2010-06-01",
];

/// The day after `date` (`YYYY-MM-DD`), for the formula column's expected values.
fn next_day(date: &str) -> String {
    let p: Vec<u32> = date.split('-').map(|x| x.parse().unwrap()).collect();
    let (y, m, d) = (p[0], p[1], p[2]);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    match (d < days[m as usize - 1], m < 12) {
        (true, _) => format!("{y:04}-{m:02}-{:02}", d + 1),
        (false, true) => format!("{y:04}-{:02}-01", m + 1),
        (false, false) => format!("{:04}-01-01", y + 1),
    }
}

/// A flat ODS sheet in the 1904 date system (`table:null-date`): names, birth dates in a
/// hidden column, weights, and three formula columns with their cached values (a number, a
/// date, a text). Returns the file and the rows a reader must see (header first).
fn fods_1904(dir: &Path) -> (PathBuf, Vec<Vec<String>>) {
    let names = [
        "Arbër", "Drita", "Besnik", "Valbona", "Ilir", "Shpresa", "Arta", "Blerim",
    ];
    let mut want = vec![
        [
            "emri",
            "data_e_lindjes",
            "pesha",
            "dyfish",
            "dita_pas",
            "emri_k",
        ]
        .map(String::from)
        .to_vec(),
    ];
    let cell = |t: &str| {
        format!(
            r#"<table:table-cell office:value-type="string"><text:p>{t}</text:p></table:table-cell>"#
        )
    };
    let mut rows = format!(
        "<table:table-row>{}</table:table-row>\n",
        want[0].iter().map(|h| cell(h)).collect::<String>()
    );
    for i in 0..24 {
        let (name, date, kg) = (names[i % 8], DATES_1904[i % 8], 50 + i);
        let (next, named) = (next_day(date), format!("{name} K"));
        let r = i + 2;
        rows.push_str(&format!(
            r#"<table:table-row>{}<table:table-cell table:style-name="ce1" office:value-type="date" office:date-value="{date}"/><table:table-cell office:value-type="float" office:value="{kg}"/><table:table-cell table:formula="of:=[.C{r}]*2" office:value-type="float" office:value="{}"/><table:table-cell table:style-name="ce1" table:formula="of:=[.B{r}]+1" office:value-type="date" office:date-value="{next}"/><table:table-cell table:formula="of:=[.A{r}]&amp;&quot; K&quot;" office:value-type="string" office:string-value="{named}"><text:p>{named}</text:p></table:table-cell></table:table-row>
"#,
            cell(name),
            kg * 2
        ));
        want.push(vec![
            name.to_string(),
            date.to_string(),
            kg.to_string(),
            (kg * 2).to_string(),
            next,
            named,
        ]);
    }
    let xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2" office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.spreadsheet">
<office:automatic-styles>
<number:date-style style:name="D1"><number:year number:style="long"/><number:text>-</number:text><number:month number:style="long"/><number:text>-</number:text><number:day number:style="long"/></number:date-style>
<style:style style:name="ce1" style:family="table-cell" style:parent-style-name="Default" style:data-style-name="D1"/>
</office:automatic-styles>
<office:body><office:spreadsheet>
<table:calculation-settings><table:null-date table:date-value="1904-01-01"/></table:calculation-settings>
<table:table table:name="Lindjet">
<table:table-column/><table:table-column table:visibility="collapse"/><table:table-column table:number-columns-repeated="4"/>
{rows}</table:table></office:spreadsheet></office:body></office:document>
"#
    );
    let path = dir.join("lindjet.fods");
    std::fs::write(&path, xml).unwrap();
    (path, want)
}

/// A workbook in the 1904 date system with formulas, written by LibreOffice as xlsx, ods and
/// xls: each reads to the right dates and the formulas' cached values, `run` writes them, and
/// the hidden column is marked hidden in xlsx and ods (xls keeps it in binary records calamine
/// does not expose: read and scanned, not marked).
#[test]
fn libreoffice_1904_workbook_with_formulas_reads_dates_and_cached_values() {
    let Some(lo) = soffice() else { return };
    let d = TestDir::new();
    let (fods, want) = fods_1904(d.path());
    let out = d.path().join("lo");
    std::fs::create_dir_all(&out).unwrap();
    let xlsx = convert(&lo, &fods, "xlsx", &out);
    // The real writer's 1904 flag and a formula with its cached value.
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&xlsx).unwrap()).unwrap();
    let mut book_xml = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("xl/workbook.xml").unwrap(), &mut book_xml)
        .unwrap();
    assert!(book_xml.contains("date1904=\"true\""), "{book_xml}");
    let pipe = d.file(
        "p.toml",
        b"[pipeline]\nname = \"d1904\"\nstrict = false\n\n[output]\nformat = \"csv\"\n",
    );
    for ext in ["xlsx", "ods", "xls"] {
        let book = if ext == "xlsx" {
            xlsx.clone()
        } else {
            convert(&lo, &fods, ext, &out)
        };
        let p = book.display().to_string();
        // LibreOffice's xls writer stores no cached text for a text formula (its FORMULA
        // record holds the number 0 and no STRING record follows; Excel recalculates on
        // open): a reader of cached values reads 0, which is what the file holds.
        let want: Vec<Vec<String>> = match ext {
            "xls" => want
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let mut r = r.clone();
                    if i > 0 {
                        r[5] = "0".into();
                    }
                    r
                })
                .collect(),
            _ => want.clone(),
        };
        let (names, notes, rows) = csv_names_and_rows(&p);
        assert_eq!(names, want[0], "{ext}");
        let got: Vec<Vec<String>> = rows
            .into_iter()
            .map(|r| r.into_iter().map(Option::unwrap_or_default).collect())
            .collect();
        assert_eq!(got, want[1..], "{ext}");
        let json = scan(&[&p]);
        let ds = &json["datasets"][0];
        let hidden: Vec<&str> = ds["columns"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["hidden"] == true)
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        let dob = ds["columns"][1]["category"].as_str().unwrap();
        assert_eq!(dob, "date_of_birth", "{ext}");
        if ext == "xls" {
            assert!(hidden.is_empty(), "{ext}: {hidden:?}");
        } else {
            assert_eq!(hidden, ["data_e_lindjes"], "{ext}");
            assert!(
                notes.iter().any(|n| n.contains("hidden column")),
                "{ext}: {notes:?}"
            );
        }
        let run_out = d.path().join(format!("run-{ext}"));
        let o = anonkos()
            .args(["run", &pipe, "--input", &p, "--out-dir"])
            .arg(&run_out)
            .output()
            .unwrap();
        assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
        let written = run_out.join("lindjet").join("Lindjet.csv");
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_path(&written)
            .unwrap();
        let cells: Vec<Vec<String>> = rdr
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect();
        assert_eq!(cells, want, "{ext} run");
    }
}
