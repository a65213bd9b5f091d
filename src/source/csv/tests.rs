//! Tests of the CSV reader.
use std::collections::HashSet;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use arrow_array::{Array, StringArray};
use encoding_rs::{ISO_8859_2, WINDOWS_1250, WINDOWS_1251};

use super::guard::*;
use super::windows::*;
use super::*;
use crate::error::{Error, Location};
use crate::source::{ReadOptions, RowCount, Source};

fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .unwrap();
    f.write_all(bytes).unwrap();
    path
}

struct Read {
    src: CsvSource,
    /// (first_row, rows) per batch.
    batches: Vec<(u64, Vec<Vec<String>>)>,
}

impl Read {
    fn rows(&self) -> Vec<Vec<String>> {
        self.batches.iter().flat_map(|(_, r)| r.clone()).collect()
    }
    fn names(&self) -> Vec<String> {
        self.src
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }
    fn notes(&self) -> String {
        self.src.info().notes.join("; ")
    }
}

fn batch_rows(b: &Batch) -> Vec<Vec<String>> {
    let cols: Vec<&StringArray> = b
        .data
        .columns()
        .iter()
        .map(|c| c.as_any().downcast_ref::<StringArray>().unwrap())
        .collect();
    (0..b.num_rows())
        .map(|i| {
            cols.iter()
                .map(|c| {
                    assert!(!c.is_null(i));
                    c.value(i).to_string()
                })
                .collect()
        })
        .collect()
}

/// A full read of a plain file knows about how many rows to expect before it starts
/// (the progress line's ETA), and exactly how many once it is done.
#[test]
fn full_read_estimates_its_rows_up_front() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("id,name,city\n");
    for i in 0..20_000 {
        text.push_str(&format!("{i},Emri {},Prishtinë\n", i % 97));
    }
    let path = write_file(dir.path(), "rows.csv", text.as_bytes());
    let mut src = CsvSource::open(&path, "rows.csv", &ReadOptions::default()).unwrap();
    match src.rows_total() {
        Some(RowCount::Estimated(n)) => assert!((18_000..=22_000).contains(&n), "{n}"),
        other => panic!("expected an estimate, got {other:?}"),
    }
    while src.next_batch().unwrap().is_some() {}
    assert_eq!(src.rows_total(), Some(RowCount::Exact(20_000)));
    // Compressed input: the uncompressed size is unknown, so no estimate.
    let gz = {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut e, text.as_bytes()).unwrap();
        e.finish().unwrap()
    };
    let path = write_file(dir.path(), "rows.csv.gz", &gz);
    let src = CsvSource::open(&path, "rows.csv.gz", &ReadOptions::default()).unwrap();
    assert_eq!(src.rows_total(), None);
}

fn read_with(path: &Path, opts: &ReadOptions) -> Result<Read> {
    let mut src = CsvSource::open(path, "data.csv", opts)?;
    let mut batches = Vec::new();
    while let Some(b) = src.next_batch()? {
        assert!(b.num_rows() > 0 && b.num_rows() <= opts.batch_rows);
        assert_eq!(b.data.schema(), src.schema());
        batches.push((b.first_row, batch_rows(&b)));
    }
    Ok(Read { src, batches })
}

fn read_bytes(name: &str, bytes: &[u8], opts: &ReadOptions) -> Result<Read> {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(dir.path(), name, bytes);
    read_with(&path, opts)
}

fn read(name: &str, text: &str) -> Read {
    read_bytes(name, text.as_bytes(), &ReadOptions::default()).unwrap()
}

fn err(name: &str, bytes: &[u8], opts: &ReadOptions) -> (Location, String) {
    match read_bytes(name, bytes, opts) {
        Err(Error::Input { loc, msg }) => (loc, msg),
        Err(e) => panic!("expected an input error, got {e}"),
        Ok(r) => panic!("expected an error, read {} rows", r.rows().len()),
    }
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|s| s.to_string()).collect()
}

// --- delimiters -------------------------------------------------------------------------

#[test]
fn sniffs_each_delimiter() {
    for (d, name) in [(',', "','"), (';', "';'"), ('\t', "TAB"), ('|', "'|'")] {
        let text = format!(
            "Emri{d}Mosha{d}Komuna\nAlfa{d}31{d}Peja\nBeta{d}42{d}\"Prizren, qendër{d}\"\n"
        );
        let r = read("data.csv", &text);
        assert_eq!(r.names(), ["Emri", "Mosha", "Komuna"], "delimiter {name}");
        assert_eq!(
            r.rows()[1],
            row(&["Beta", "42", &format!("Prizren, qendër{d}")])
        );
        assert!(
            r.notes().contains(&format!("delimiter {name} (sniffed)")),
            "{}",
            r.notes()
        );
    }
}

#[test]
fn semicolon_with_decimal_commas() {
    let r = read(
        "data.csv",
        "Emri;Pesha;Gjatesia\nAlfa;70,5;1,80\nBeta;81,2;1,75\n",
    );
    assert_eq!(r.names(), ["Emri", "Pesha", "Gjatesia"]);
    // Read as numbers (digits kept), as `decimal` says.
    assert_eq!(r.rows()[0], row(&["Alfa", "70.5", "1.80"]));
    assert!(r.notes().contains("Pesha, Gjatesia"), "{}", r.notes());
}

#[test]
fn tsv_extension_prefers_tab_and_forced_delimiter_wins() {
    // Both ',' and TAB split every line into two fields.
    let text = "a,b\tc,d\n1,2\t3,4\n";
    let r = read("data.tsv", text);
    assert_eq!(r.names(), ["a,b", "c,d"]);
    let r = read("data.csv", text);
    assert_eq!(r.names(), ["a", "b\tc", "d"]);
    let opts = ReadOptions {
        delimiter: Some(b'\t'),
        ..ReadOptions::default()
    };
    let r = read_bytes("data.csv", text.as_bytes(), &opts).unwrap();
    assert_eq!(r.names(), ["a,b", "c,d"]);
    assert!(r.notes().contains("delimiter TAB (forced)"));
}

#[test]
fn single_column() {
    let r = read("data.csv", "Emri\nAlfa\nBeta\n");
    assert_eq!(r.names(), ["Emri"]);
    assert_eq!(r.rows(), [row(&["Alfa"]), row(&["Beta"])]);
}

// --- quoting, BOM, line ends -------------------------------------------------------------

#[test]
fn rfc4180_quoting() {
    let text = "id,text,tail\r\n1,\"hello, \"\"world\"\"\r\nsecond line\",x\r\n2,plain,\"\"\r\n\r\n3,,\"a\"\"\"\r\n";
    let r = read("data.csv", text);
    assert_eq!(r.names(), ["id", "text", "tail"]);
    assert_eq!(
        r.rows(),
        [
            row(&["1", "hello, \"world\"\r\nsecond line", "x"]),
            row(&["2", "plain", ""]),
            row(&["3", "", "a\""]),
        ]
    );
    assert_eq!(r.src.rows_total(), Some(RowCount::Exact(3)));
}

#[test]
fn strips_bom() {
    let r = read_bytes(
        "data.csv",
        b"\xEF\xBB\xBFEmri,Mosha\nAlfa,3\n",
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(r.names(), ["Emri", "Mosha"]);
    assert!(r.notes().contains("byte-order mark"));
}

#[test]
fn no_trailing_newline_and_empty_fields_are_strings() {
    let r = read("data.csv", "a,b,c\n,,\n1,,3");
    assert_eq!(r.rows(), [row(&["", "", ""]), row(&["1", "", "3"])]);
}

// --- encodings ---------------------------------------------------------------------------

#[test]
fn detects_windows_1250() {
    let text = "Emri;Mbiemri;Komuna\nArbër;Krasniqi;Gjakovë\nJovan;Petrović;Štrpce\n";
    let (bytes, _, bad) = WINDOWS_1250.encode(text);
    assert!(!bad);
    assert!(std::str::from_utf8(&bytes).is_err());
    let r = read_bytes("data.csv", &bytes, &ReadOptions::default()).unwrap();
    assert_eq!(r.names(), ["Emri", "Mbiemri", "Komuna"]);
    assert_eq!(
        r.rows(),
        [
            row(&["Arbër", "Krasniqi", "Gjakovë"]),
            row(&["Jovan", "Petrović", "Štrpce"])
        ]
    );
    assert!(
        r.notes().contains("encoding windows-1250 (detected)"),
        "{}",
        r.notes()
    );
}

#[test]
fn detects_windows_1251() {
    let text = "Име;Презиме;Општина\nЈован;Петровић;Штрпце\nМарко;Илић;Грачаница\n";
    let (bytes, _, bad) = WINDOWS_1251.encode(text);
    assert!(!bad);
    let r = read_bytes("data.csv", &bytes, &ReadOptions::default()).unwrap();
    assert_eq!(r.names(), ["Име", "Презиме", "Општина"]);
    assert_eq!(r.rows()[0], row(&["Јован", "Петровић", "Штрпце"]));
    assert!(
        r.notes().contains("encoding windows-1251 (detected)"),
        "{}",
        r.notes()
    );
}

#[test]
fn iso_8859_2_by_hint_and_forced() {
    let text = "Emri;Qyteti\nŠpend;Štimje\nBesa;Ferizaj\n";
    let (bytes, _, bad) = ISO_8859_2.encode(text);
    assert!(!bad);
    let r = read_bytes("data.csv", &bytes, &ReadOptions::default()).unwrap();
    assert_eq!(r.rows()[0], row(&["Špend", "Štimje"]));
    assert!(r.notes().contains("ISO-8859-2 (detected)"), "{}", r.notes());

    // Bytes that are valid in every encoding: forcing decides.
    let (bytes, _, _) = ISO_8859_2.encode("Emri;Qyteti\nArbër;Gjakovë\n");
    let opts = ReadOptions {
        encoding: Some("latin2".into()),
        ..ReadOptions::default()
    };
    let r = read_bytes("data.csv", &bytes, &opts).unwrap();
    assert_eq!(r.rows()[0], row(&["Arbër", "Gjakovë"]));
    assert!(r.notes().contains("encoding ISO-8859-2 (forced)"));
}

#[test]
fn forced_encoding_overrides_detection() {
    // "ž" in windows-1250 is 0x9E, which windows-1251 reads as "ћ".
    let (bytes, _, _) = WINDOWS_1250.encode("Emri\nŽana\n");
    let opts = ReadOptions {
        encoding: Some("windows-1251".into()),
        ..ReadOptions::default()
    };
    let r = read_bytes("data.csv", &bytes, &opts).unwrap();
    assert_eq!(r.rows()[0], row(&["Ћana"]));
    let opts = ReadOptions {
        encoding: Some("cp1250".into()),
        ..ReadOptions::default()
    };
    let r = read_bytes("data.csv", &bytes, &opts).unwrap();
    assert_eq!(r.rows()[0], row(&["Žana"]));
}

#[test]
fn unknown_encoding_is_a_usage_error() {
    let opts = ReadOptions {
        encoding: Some("klingon".into()),
        ..ReadOptions::default()
    };
    match read_bytes("data.csv", b"a\n1\n", &opts) {
        Err(Error::Usage(m)) => {
            assert!(
                m.contains("windows-1250") && m.contains("iso-8859-2"),
                "{m}"
            )
        }
        _ => panic!("expected a usage error"),
    }
    // A real encoding, but not one of Kosovo's (UTF-16 is: see `utf16`).
    let opts = ReadOptions {
        encoding: Some("shift_jis".into()),
        ..ReadOptions::default()
    };
    assert!(matches!(
        read_bytes("data.csv", b"a\n1\n", &opts),
        Err(Error::Usage(_))
    ));
}

#[test]
fn utf8_multibyte_char_cut_by_the_head_is_still_utf8() {
    let mut base = String::from("Emri,Komuna\n");
    while base.len() < HEAD_BYTES + 1000 {
        base.push_str("Arbër,Gjakovë\n");
    }
    // Pad the header so that the 64 KiB boundary cuts a two-byte character.
    let text = (0..4)
        .map(|pad| format!("{}{base}", "x".repeat(pad)))
        .find(|t| !t.is_char_boundary(HEAD_BYTES))
        .unwrap();
    let r = read("data.csv", &text);
    assert!(r.notes().contains("encoding UTF-8"), "{}", r.notes());
    assert!(r.rows().iter().all(|r| r[0] == "Arbër"));
}

#[test]
fn invalid_utf8_after_the_head_names_row_and_column() {
    let mut text = String::from("Emri,Komuna\n");
    let mut rows = 0;
    while text.len() < 2 * HEAD_BYTES {
        text.push_str("Alfa,Prishtina\n");
        rows += 1;
    }
    let mut bytes = text.into_bytes();
    bytes.extend_from_slice(b"Alfa,Gjakov\xEB\n");
    let (loc, msg) = err("data.csv", &bytes, &ReadOptions::default());
    assert_eq!(loc.row, Some(rows + 1));
    assert_eq!(loc.column.as_deref(), Some("Komuna"));
    assert!(msg.contains("invalid UTF-8"), "{msg}");
    assert!(msg.contains("--encoding windows-1250"), "{msg}");
    assert!(!msg.contains("Gjakov"), "{msg}");
}

#[test]
fn utf8_character_split_by_a_delimiter_is_invalid() {
    // The record's bytes without delimiters ("ë" and "é") are valid UTF-8; each field is not.
    let opts = ReadOptions {
        encoding: Some("utf-8".into()),
        ..ReadOptions::default()
    };
    for (text, col, at) in [
        (
            &b"Emri,Komuna,Nr,Tj\nAlfa,Gjakov\xC3,\xABx,1\n"[..],
            "Komuna",
            7,
        ),
        (&b"Emri,Komuna,Nr,Tj\nAlfa,\xC3,,\xA9\n"[..], "Komuna", 1),
        (
            &b"Emri,Komuna,Nr,Tj\nAr\xC3\xABb,Peja,x,\xC3\n"[..],
            "Tj",
            1,
        ),
    ] {
        let (loc, msg) = err("data.csv", text, &opts);
        assert_eq!(loc.row, Some(1));
        assert_eq!(loc.column.as_deref(), Some(col));
        assert!(
            msg.contains(&format!("invalid UTF-8 at byte {at} of")),
            "{msg}"
        );
    }
}

#[test]
fn nul_byte_names_row_and_column() {
    let (loc, msg) = err(
        "data.csv",
        b"Emri,Komuna\nAlfa,Peja\nBeta,P\0eja\n",
        &ReadOptions::default(),
    );
    assert_eq!((loc.row, loc.column.as_deref()), (Some(2), Some("Komuna")));
    assert!(msg.contains("NUL byte"), "{msg}");

    // Far past the first read, after batches without any.
    let mut text = b"Emri,Komuna\n".to_vec();
    for _ in 0..100_000 {
        text.extend_from_slice(b"Alfa,Peja\n");
    }
    text.extend_from_slice(b"\0Beta,Peja\n");
    let (loc, msg) = err("data.csv", &text, &ReadOptions::default());
    assert_eq!(
        (loc.row, loc.column.as_deref()),
        (Some(100_001), Some("Emri"))
    );
    assert!(msg.contains("NUL byte"), "{msg}");
}

// --- compression -------------------------------------------------------------------------

fn sample_table(rows: usize) -> String {
    let mut s = String::from("id;emri;komuna\n");
    for i in 1..=rows {
        s.push_str(&format!("{i};Emri{i};Komuna {}\n", i % 7));
    }
    s
}

#[test]
fn gzip_and_zstd() {
    let text = sample_table(50);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    let zst = zstd::encode_all(text.as_bytes(), 3).unwrap();
    for (name, bytes, note) in [
        ("data.csv.gz", &gz, "gzip-compressed"),
        ("data.csv.zst", &zst, "zstd-compressed"),
        // By magic bytes, whatever the name.
        ("data.csv", &gz, "gzip-compressed"),
        ("data.txt", &zst, "zstd-compressed"),
    ] {
        let r = read_bytes(name, bytes, &ReadOptions::default()).unwrap();
        assert_eq!(r.names(), ["id", "emri", "komuna"], "{name}");
        let rows = r.rows();
        assert_eq!(rows.len(), 50);
        assert_eq!(rows[49], row(&["50", "Emri50", "Komuna 1"]));
        assert!(r.notes().contains(note));
        assert_eq!(r.src.rows_total(), Some(RowCount::Exact(50)));
    }
}

#[test]
fn compressed_sample_reads_from_the_start() {
    let text = sample_table(5000);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    let opts = ReadOptions {
        sample_rows: Some(100),
        ..ReadOptions::default()
    };
    let r = read_bytes("data.csv.gz", &gz, &opts).unwrap();
    let rows = r.rows();
    assert_eq!(rows.len(), 100);
    assert_eq!(rows[0][0], "1");
    assert!(r.notes().contains("cannot seek"));
    match r.src.rows_total() {
        Some(RowCount::Estimated(n)) => assert!((2500..10_000).contains(&n), "{n}"),
        other => panic!("{other:?}"),
    }

    // Small enough to sit in the head: read whole, counted exactly.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(sample_table(300).as_bytes()).unwrap();
    let r = read_bytes("data.csv.gz", &gz.finish().unwrap(), &opts).unwrap();
    assert_eq!(r.rows().len(), 300);
    assert_eq!(r.src.rows_total(), Some(RowCount::Exact(300)));
}

#[test]
fn compressed_name_without_magic_is_an_error() {
    let (loc, msg) = err("data.csv.gz", b"a,b\n1,2\n", &ReadOptions::default());
    assert_eq!(loc.dataset, "data.csv");
    assert!(msg.contains("gzip"), "{msg}");
}

#[test]
fn corrupt_gzip_is_an_input_error() {
    let mut bytes = vec![0x1f, 0x8b, 0x08, 0x00];
    bytes.extend_from_slice(&[0xAB; 64]);
    let (_, msg) = err("data.csv.gz", &bytes, &ReadOptions::default());
    assert!(msg.contains("decompress"), "{msg}");
}

// --- header ------------------------------------------------------------------------------

#[test]
fn header_detection() {
    // Numbers under numbers: no header.
    let r = read("data.csv", "1,2,3\n4,5,6\n7,8,9\n");
    assert_eq!(r.names(), ["col1", "col2", "col3"]);
    assert_eq!(r.rows().len(), 3);
    assert!(r.notes().contains("no header row (detected)"));

    // Data rows with an id and a date: no header.
    let r = read(
        "data.csv",
        "1,Alfa,Beta,1985-03-12\n2,Gama,Delta,1990-11-02\n3,Epsilon,Zeta,2001-01-30\n",
    );
    assert_eq!(r.names(), ["col1", "col2", "col3", "col4"]);
    assert_eq!(r.rows().len(), 3);

    // Text above numbers: header.
    let r = read(
        "data.csv",
        "ID,Emri,Data\n1,Alfa,1985-03-12\n2,Beta,1990-11-02\n",
    );
    assert_eq!(r.names(), ["ID", "Emri", "Data"]);
    assert_eq!(r.rows().len(), 2);
    assert!(r.notes().contains("header row (detected)"));

    // Years above counts: header.
    let r = read(
        "data.csv",
        "Komuna,2019,2020,2021\nAlfa,1234,1250,1302\nBeta,877,901,950\n",
    );
    assert_eq!(r.names(), ["Komuna", "2019", "2020", "2021"]);

    // Text only: header (conservative).
    let r = read("data.csv", "Alfa,Beta\nGama,Delta\n");
    assert_eq!(r.names(), ["Alfa", "Beta"]);

    // A value of the first row recurring below: data.
    let r = read("data.csv", "Alfa,Peja\nBeta,Prizren\nGama,Peja\n");
    assert_eq!(r.names(), ["col1", "col2"]);

    // Single numeric row: data.
    let r = read("data.csv", "12,34\n");
    assert_eq!(r.names(), ["col1", "col2"]);
    assert_eq!(r.rows(), [row(&["12", "34"])]);
}

#[test]
fn forced_header_either_way() {
    let opts = ReadOptions {
        has_header: Some(false),
        ..ReadOptions::default()
    };
    let r = read_bytes("data.csv", b"Emri,Mosha\nAlfa,3\n", &opts).unwrap();
    assert_eq!(r.names(), ["col1", "col2"]);
    assert_eq!(r.rows().len(), 2);
    assert_eq!(r.batches[0].0, 1);
    let opts = ReadOptions {
        has_header: Some(true),
        ..ReadOptions::default()
    };
    let r = read_bytes("data.csv", b"1,2\n3,4\n", &opts).unwrap();
    assert_eq!(r.names(), ["1", "2"]);
    assert_eq!(r.rows(), [row(&["3", "4"])]);
    assert!(r.notes().contains("header row (forced)"));
}

#[test]
fn deduplicates_header_names() {
    let r = read("data.csv", "name,name,,x, name ,col3\na,b,c,d,e,f\n");
    assert_eq!(
        r.names(),
        ["name", "name_2", "col3", "x", "name_3", "col3_2"]
    );
}

// --- batches -----------------------------------------------------------------------------

#[test]
fn batch_boundaries() {
    let mut text = String::from("id,v\n");
    for i in 1..=10 {
        text.push_str(&format!("{i},v{i}\n"));
    }
    let opts = ReadOptions {
        batch_rows: 3,
        ..ReadOptions::default()
    };
    let r = read_bytes("data.csv", text.as_bytes(), &opts).unwrap();
    let firsts: Vec<u64> = r.batches.iter().map(|(f, _)| *f).collect();
    assert_eq!(firsts, [1, 4, 7, 10]);
    let sizes: Vec<usize> = r.batches.iter().map(|(_, b)| b.len()).collect();
    assert_eq!(sizes, [3, 3, 3, 1]);
    for (first, rows) in &r.batches {
        for (k, row) in rows.iter().enumerate() {
            assert_eq!(row[0], (first + k as u64).to_string());
        }
    }
    assert_eq!(r.src.rows_total(), Some(RowCount::Exact(10)));
}

#[test]
fn small_file_with_sample_is_read_whole() {
    let opts = ReadOptions {
        sample_rows: Some(100),
        ..ReadOptions::default()
    };
    let r = read_bytes("data.csv", sample_table(300).as_bytes(), &opts).unwrap();
    assert_eq!(r.rows().len(), 300);
    assert_eq!(r.src.rows_total(), Some(RowCount::Exact(300)));
}

// --- sampling ----------------------------------------------------------------------------

fn write_large(dir: &Path, name: &str, rows: usize, line: impl Fn(usize) -> String) -> PathBuf {
    let path = dir.join(name);
    let f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .unwrap();
    let mut w = io::BufWriter::new(f);
    w.write_all(b"id,note,tail\n").unwrap();
    for i in 1..=rows {
        w.write_all(line(i).as_bytes()).unwrap();
    }
    w.flush().unwrap();
    path
}

fn check_sample(path: &Path, rows: usize, n: usize, expect: impl Fn(usize) -> [String; 2]) {
    let opts = ReadOptions {
        sample_rows: Some(n),
        batch_rows: 64,
        ..ReadOptions::default()
    };
    let r = read_with(path, &opts).unwrap();
    let got = r.rows();
    assert!(
        got.len() >= n * 9 / 10 && got.len() <= n * 11 / 10,
        "{} rows",
        got.len()
    );
    let mut ids = HashSet::new();
    let mut max_id = 0;
    let mut last_first = 0;
    for (first, batch) in &r.batches {
        assert!(*first > last_first);
        last_first = *first;
        let id0: usize = batch[0][0].parse().unwrap();
        // Estimated row numbers stay close to the real ones (the id).
        assert!(
            (*first as i64 - id0 as i64).unsigned_abs() <= rows as u64 / 50,
            "first_row {first} for id {id0}"
        );
        for row in batch {
            let id: usize = row[0].parse().unwrap();
            assert_eq!([row[1].clone(), row[2].clone()], expect(id), "row {id}");
            assert!(ids.insert(id), "row {id} read twice");
            max_id = max_id.max(id);
        }
    }
    assert_eq!(r.batches[0].0, 1);
    assert!(max_id > rows * 9 / 10, "sample ends at {max_id}");
    match r.src.rows_total() {
        Some(RowCount::Estimated(est)) => {
            assert!(est.abs_diff(rows as u64) < rows as u64 / 10, "{est}")
        }
        other => panic!("{other:?}"),
    }
    assert!(r.notes().contains("estimates"));
    assert!(!r.notes().contains("skipped"), "{}", r.notes());
}

#[test]
fn sampled_read_spreads_across_a_large_file() {
    let dir = tempfile::tempdir().unwrap();
    let rows = 200_000;
    let path = write_large(dir.path(), "big.csv", rows, |i| {
        format!("{i},note {},t{i}\n", "x".repeat(i % 13))
    });
    check_sample(&path, rows, 1600, |i| {
        [format!("note {}", "x".repeat(i % 13)), format!("t{i}")]
    });
}

#[test]
fn sampled_read_resyncs_past_embedded_newlines() {
    let dir = tempfile::tempdir().unwrap();
    let rows = 40_000;
    // Every note spans lines, and one inner line even parses as a 3-field record.
    let note = |i: usize| format!("first {i}\n9,x,{i}\nsay \"\"hi\"\"\n\nlast, {}", i % 5);
    let path = write_large(dir.path(), "multi.csv", rows, |i| {
        format!("{i},\"{}\",t{i}\r\n", note(i))
    });
    check_sample(&path, rows, 800, |i| {
        [note(i).replace("\"\"", "\""), format!("t{i}")]
    });
}

#[test]
fn verify_boundary_rejects_starts_inside_quotes() {
    // Real records after a boundary.
    assert!(verify_boundary(b"1,\"a\nb\",c\n2,d,e\n", b',', 3, true));
    // Inside the quoted field: the closing quote shows up mid-field.
    assert!(!verify_boundary(b"b\",c\n2,d,e\n", b',', 3, true));
    // An inner line that happens to have three fields, then the tail of the field.
    assert!(!verify_boundary(
        b"9,x,1\nlast\",t1\n2,y,z\n",
        b',',
        3,
        true
    ));
    // Wrong field count.
    assert!(!verify_boundary(b"1,2\n3,4\n", b',', 3, true));
}

// --- bad input ---------------------------------------------------------------------------

#[test]
fn missing_file_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let res = CsvSource::open(
        &dir.path().join("nope.csv"),
        "nope.csv",
        &ReadOptions::default(),
    );
    assert!(matches!(res, Err(Error::Io { .. })));
}

#[test]
fn empty_files() {
    for bytes in [&b""[..], b"\xEF\xBB\xBF", b"  \n\r\n\t\n"] {
        let (loc, msg) = err("data.csv", bytes, &ReadOptions::default());
        assert_eq!(loc.dataset, "data.csv");
        assert!(msg.contains("empty file"), "{msg}");
    }
}

#[test]
fn header_only_is_zero_rows() {
    for text in ["Emri,Mbiemri\n", "Emri,Mbiemri"] {
        let r = read("data.csv", text);
        assert_eq!(r.names(), ["Emri", "Mbiemri"]);
        assert!(r.batches.is_empty());
        assert_eq!(r.src.rows_total(), Some(RowCount::Exact(0)));
        assert!(r.notes().contains("header only"));
    }
}

#[test]
fn ragged_row() {
    let (loc, msg) = err(
        "data.csv",
        b"Emri,Mosha,Komuna\nAlfa,3,Peja\nQzvb,4\n",
        &ReadOptions::default(),
    );
    assert_eq!(loc.row, Some(2));
    assert!(msg.contains("expected 3 fields, found 2"), "{msg}");
    assert!(!msg.contains("Qzvb"));
    let (loc, msg) = err(
        "data.csv",
        b"Emri,Mosha\nAlfa,3\nQzvb,4,5\n",
        &ReadOptions::default(),
    );
    assert_eq!(loc.row, Some(2));
    assert!(msg.contains("expected 2 fields, found 3"), "{msg}");
}

#[test]
fn unterminated_quote() {
    let (loc, msg) = err(
        "data.csv",
        b"Emri,Mosha,Komuna\nAlfa,3,Peja\nBeta,\"Qzvb secret\n5,Gama,Delta\n",
        &ReadOptions::default(),
    );
    assert_eq!(loc.row, Some(2));
    assert_eq!(loc.column.as_deref(), Some("Mosha"));
    assert!(
        msg.contains("unterminated quoted field starting at row 2, column \"Mosha\""),
        "{msg}"
    );
    assert!(!msg.contains("Qzvb") && !msg.contains("secret"));
    let full = Error::input(loc, msg).to_string();
    assert!(full.contains("row 2") && full.contains("Mosha"), "{full}");
}

#[test]
fn oversized_field() {
    let opts = ReadOptions {
        max_field_bytes: 1000,
        ..ReadOptions::default()
    };
    let mut text = b"Emri,Shenim,Komuna\nAlfa,ok,Peja\nBeta,".to_vec();
    text.extend(std::iter::repeat_n(b'Q', 5_000_000));
    text.extend_from_slice(b",Peja\nGama,ok,Peja\n");
    let (loc, msg) = err("data.csv", &text, &opts);
    assert_eq!(loc.row, Some(2));
    assert_eq!(loc.column.as_deref(), Some("Shenim"));
    assert!(
        msg.contains("field of 5000000 bytes exceeds the limit of 1000 bytes"),
        "{msg}"
    );
    assert!(!msg.contains("QQ"));

    // Quoted, with doubled quotes counted once.
    let mut text = b"Emri,Shenim\nAlfa,\"".to_vec();
    for _ in 0..1000 {
        text.extend_from_slice(b"ab\"\"");
    }
    text.extend_from_slice(b"\"\n");
    let (loc, msg) = err("data.csv", &text, &opts);
    assert_eq!(loc.row, Some(1));
    assert!(msg.contains("field of 3000 bytes"), "{msg}");

    // An over-long field that never closes its quote reports the quote.
    let mut text = b"Emri,Shenim\nAlfa,\"".to_vec();
    text.extend(std::iter::repeat_n(b'Q', 100_000));
    let (loc, msg) = err("data.csv", &text, &opts);
    assert_eq!(loc.row, Some(1));
    assert!(msg.contains("unterminated"), "{msg}");

    // In the header.
    let (loc, msg) = err("data.csv", &[b'H'; 2000], &opts);
    assert_eq!(loc.row, Some(0));
    assert!(msg.contains("exceeds the limit"), "{msg}");
}

#[test]
fn invalid_utf8_in_header_when_forced() {
    let opts = ReadOptions {
        encoding: Some("utf-8".into()),
        ..ReadOptions::default()
    };
    let (loc, msg) = err("data.csv", b"Em\xEBri,Mosha\nAlfa,3\n", &opts);
    assert_eq!(loc.row, Some(0));
    assert_eq!(loc.column.as_deref(), Some("col1"));
    assert!(msg.contains("declared"), "{msg}");
}

#[test]
fn errors_stop_the_stream() {
    let mut src = {
        let dir = tempfile::tempdir().unwrap();
        let path = write_file(dir.path(), "data.csv", b"a,b\n1,2\n3\n4,5\n");
        CsvSource::open(&path, "data.csv", &ReadOptions::default()).unwrap()
    };
    assert!(src.next_batch().is_err());
    assert!(matches!(src.next_batch(), Ok(None)));
}

// --- the held-back tail ------------------------------------------------------------------

#[test]
fn totals_and_footnotes_at_the_end_are_dropped() {
    let mut text = String::from("Tabela 1. Banorët\n\nEmri,Mosha,Komuna\n");
    let mut want = Vec::new();
    for i in 0..20 {
        // A "Total" in the middle is data.
        let first = if i == 3 {
            "Total".to_string()
        } else {
            format!("E{i}")
        };
        text.push_str(&format!("{first},{i},Peja\n"));
        want.push(row(&[&first, &i.to_string(), "Peja"]));
    }
    text.push_str(
        "Gjithsej,7,\n,,\n\"Burimi: ASK, 2024\",,\nShënim: paraprake\n* sintetike, jo reale\n",
    );
    let r = read("data.csv", &text);
    assert_eq!(r.names(), ["Emri", "Mosha", "Komuna"]);
    assert_eq!(r.rows(), want);
    assert_eq!(r.src.rows_total(), Some(RowCount::Exact(20)));
    assert!(
        r.notes().contains(
            "1 total row(s), 3 footnote row(s) and 1 blank row(s) below the table were \
                 not read as data"
        ),
        "{}",
        r.notes()
    );
    // Without any, no note; a last row with a name is kept.
    let r = read("data.csv", "Emri,Mosha\nArta,4\nTotaj Berisha,5\n");
    assert_eq!(r.rows().len(), 2);
    assert!(!r.notes().contains("not read as data"), "{}", r.notes());
}

#[test]
fn totals_closing_a_plain_csv_stay_data() {
    // An aggregate table in long form (no title, no footnote): its totals are cells.
    let text = "komuna,gjinia,numri\nA,M,3\nA,Gjithsej,3\nGjithsej,M,3\nGjithsej,Gjithsej,3\n,,\n";
    let r = read("data.csv", text);
    assert_eq!(r.rows().len(), 5);
    assert!(!r.notes().contains("not read as data"), "{}", r.notes());
    // With a footnote below them, the table is a published one.
    let r = read("data.csv", &format!("{text}Burimi: ASK\n"));
    assert_eq!(r.rows().len(), 2);
    assert!(
        r.notes()
            .contains("2 total row(s), 1 footnote row(s) and 1 blank row(s)"),
        "{}",
        r.notes()
    );
}

#[test]
fn a_ragged_footnote_above_data_is_still_an_error() {
    // A footnote-like short row followed by data: the ragged-row error, at its own row.
    let (loc, msg) = err(
        "data.csv",
        b"Emri,Mosha,Komuna\nAlfa,3,Peja\nBurimi: x\nBeta,4,Prizren\n",
        &ReadOptions::default(),
    );
    assert_eq!(loc.row, Some(2));
    assert!(msg.contains("expected 3 fields, found 1"), "{msg}");
    // A short row that is no footnote, at the end: still an error.
    let (loc, _) = err(
        "data.csv",
        b"Emri,Mosha,Komuna\nAlfa,3,Peja\nPrishtina\n",
        &ReadOptions::default(),
    );
    assert_eq!(loc.row, Some(2));
    // Far from the end, long after the ring filled.
    let mut text = String::from("Emri,Mosha,Komuna\n");
    for i in 0..100 {
        text.push_str(&format!("E{i},{i},Peja\n"));
        if i == 40 {
            text.push_str("Burimi: x\n");
        }
    }
    let (loc, _) = err("data.csv", text.as_bytes(), &ReadOptions::default());
    assert_eq!(loc.row, Some(42));
}

/// A table of `rows` numbered rows (of about `width` bytes), a total row and a padded
/// footnote.
fn table_with_tail(rows: usize, width: usize) -> String {
    let mut text = String::from("id,note,tail\n");
    for i in 1..=rows {
        text.push_str(&format!("{i},note {},t{i}\n", "x".repeat(width + i % 13)));
    }
    text.push_str("Gjithsej,,\nBurimi: ASK,,\n");
    text
}

#[test]
fn samples_never_read_the_dropped_tail() {
    let dir = tempfile::tempdir().unwrap();
    // Sample windows: on a file of few long rows every window reaches the next one or the
    // end of the file with rows still held (the last one reads into the tail); on a file
    // of many rows they stop after their rows.
    for (rows, width, ns) in [
        (200, 400, &[8, 16, 32, 48][..]),
        (40_000, 0, &[16, 1600][..]),
    ] {
        let text = table_with_tail(rows, width);
        let path = write_file(dir.path(), &format!("w{rows}.csv"), text.as_bytes());
        let full = read_with(&path, &ReadOptions::default()).unwrap();
        assert_eq!(full.rows().len(), rows);
        for &n in ns {
            let opts = ReadOptions {
                sample_rows: Some(n),
                ..ReadOptions::default()
            };
            let r = read_with(&path, &opts).unwrap();
            assert!(r.notes().contains("windows"), "{}", r.notes());
            let got = r.rows();
            assert!(got.len() >= n * 9 / 10, "{} of {n}", got.len());
            for g in got {
                assert!(g[0].parse::<usize>().is_ok(), "{g:?} sampled ({rows}, {n})");
            }
        }
    }
    let rows = 40_000;
    let text = table_with_tail(rows, 0);
    let path = dir.path().join("w40000.csv");
    let full = read_with(&path, &ReadOptions::default()).unwrap();
    // A sample as large as the file reads it whole, exactly as the full read.
    let opts = ReadOptions {
        sample_rows: Some(rows),
        ..ReadOptions::default()
    };
    let r = read_with(&path, &opts).unwrap();
    assert_eq!(r.rows(), full.rows());
    assert_eq!(r.src.rows_total(), Some(RowCount::Exact(rows as u64)));
    // The first n rows of compressed input, n up to and past the data rows.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(text.as_bytes()).unwrap();
    let gz_path = write_file(dir.path(), "tail.csv.gz", &gz.finish().unwrap());
    for n in [rows - 1, rows, rows + 1, rows + 5] {
        let opts = ReadOptions {
            sample_rows: Some(n),
            ..ReadOptions::default()
        };
        let r = read_with(&gz_path, &opts).unwrap();
        assert_eq!(r.rows()[..], full.rows()[..n.min(rows)], "first {n}");
        if n >= rows {
            assert_eq!(
                r.src.rows_total(),
                Some(RowCount::Exact(rows as u64)),
                "{n}"
            );
        }
    }
}

/// CSV-ish bytes: mostly short fields, with quotes, both delimiters, CR, LF and some long
/// runs, so every tracker state and both sides of the limit are met.
fn csvish() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
    use proptest::prelude::*;
    let piece = prop_oneof![
        8 => proptest::sample::select(&b"ab,;\"\r\n"[..]).prop_map(|b| vec![b]),
        2 => Just(b"\r\n".to_vec()),
        1 => (1usize..300).prop_map(|n| vec![b'x'; n]),
        1 => (1usize..40).prop_map(|n| vec![b'"'; n]),
    ];
    proptest::collection::vec(piece, 0..200).prop_map(|v| v.concat())
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

    /// The shortcut in `Tracker::feed` ends every chunk in exactly the state (records,
    /// fields, lengths, quote start, trip) that stepping byte by byte reaches.
    #[test]
    fn tracker_shortcut_matches_stepping(
        bytes in csvish(),
        cuts in proptest::collection::vec(0usize..4000, 0..8),
        limit in proptest::prop_oneof![0usize..64, 64usize..400, proptest::strategy::Just(16 * 1024 * 1024)],
        semicolon in proptest::bool::ANY,
    ) {
        let delim = if semicolon { b';' } else { b',' };
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(bytes.len())).collect();
        cuts.push(bytes.len());
        cuts.sort_unstable();
        let mut fast = Tracker::new(delim, limit);
        let mut slow = Tracker::new(delim, limit);
        let mut from = 0;
        for cut in cuts {
            let chunk = &bytes[from..cut];
            fast.feed(chunk);
            slow.feed_stepwise(chunk);
            proptest::prop_assert_eq!(&fast, &slow);
            from = cut;
        }
        fast.finish();
        slow.finish();
        proptest::prop_assert_eq!(&fast, &slow);
    }
}

#[test]
fn tracker_shortcut_counts_records_and_fields() {
    let mut t = Tracker::new(b',', 1 << 20);
    t.feed(b"\r\n\na,b\r\n\r\nc,,d\nef,g");
    assert_eq!(
        (t.state, t.record, t.field, t.field_len),
        (QState::Unquoted, 3, 1, 1)
    );
    t.feed(b"h,\"i\nj");
    assert_eq!((t.state, t.quote_start), (QState::Quoted, (3, 2)));
}
