//! Tests of the Parquet reader: envelope and footer walks, sampling plans, row numbers,
//! types, errors.
#![allow(clippy::unwrap_used)]
use std::sync::Arc;

#[test]
fn footer_walk_refuses_boolean_lists_claiming_more_than_fits() {
    // struct { 1: list<bool> of i32::MAX } — the library would skip it element by element.
    let huge = [0x19, 0xF1, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00];
    assert_eq!(thrift_walk(&huge), Walk::TooMuchWork);
    // struct { 1: map<bool, bool> of 100 000 entries }.
    let map = [0x1B, 0xA0, 0x8D, 0x06, 0x11, 0x00];
    assert_eq!(thrift_walk(&map), Walk::TooMuchWork);
    // A small list of booleans and an ordinary struct are fine.
    assert_eq!(thrift_walk(&[0x19, 0x31, 0x15, 0x04, 0x00]), Walk::Ok);
    // Truncated input is left to the library to report.
    assert_eq!(thrift_walk(&[0x19, 0xF5]), Walk::Malformed);
}

#[test]
fn footer_walk_accepts_real_footers() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/employees.parquet");
    #[allow(clippy::disallowed_methods)] // a test reads a sample directly
    let bytes = std::fs::read(path).unwrap();
    let n = bytes.len();
    let meta_len = u32::from_le_bytes(bytes[n - 8..n - 4].try_into().unwrap()) as usize;
    assert_eq!(thrift_walk(&bytes[n - 8 - meta_len..n - 8]), Walk::Ok);
}

use arrow_array::builder::{Int32Builder, ListBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Decimal128Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type,
    Int64Type, TimestampMicrosecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{
    ArrayRef, BinaryArray, BooleanArray, Date32Array, Decimal128Array, Float32Array, Float64Array,
    Int8Array, Int16Array, Int32Array, Int64Array, LargeStringArray, StringArray, StructArray,
    TimestampMicrosecondArray, UInt8Array, UInt16Array, UInt32Array, UInt64Array,
};
use arrow_schema::{Field, Schema, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use super::envelope::*;
use super::plan::*;
use super::*;
use crate::sink::atomic::{AtomicFile, write_atomic};
use crate::source::csv::MAX_COLUMNS;

fn all_types_batch(start: i64, n: usize) -> RecordBatch {
    let ids: Vec<i64> = (0..n as i64).map(|i| start + i).collect();
    let struct_arr = StructArray::from(vec![
        (
            Arc::new(Field::new("a", DataType::Int32, false)),
            Arc::new(Int32Array::from_iter_values(ids.iter().map(|&i| i as i32))) as ArrayRef,
        ),
        (
            Arc::new(Field::new("b", DataType::Utf8, false)),
            Arc::new(StringArray::from_iter_values(
                ids.iter().map(|i| format!("s{i}")),
            )) as ArrayRef,
        ),
    ]);
    let mut list = ListBuilder::new(Int32Builder::new());
    for &i in &ids {
        list.values().append_value(i as i32);
        list.values().append_value(i as i32 + 1);
        list.append(true);
    }
    let cols: Vec<(&str, ArrayRef)> = vec![
        (
            "b",
            Arc::new(BooleanArray::from_iter(
                ids.iter().map(|i| Some(i % 2 == 0)),
            )),
        ),
        (
            "i8",
            Arc::new(Int8Array::from_iter_values(
                ids.iter().map(|&i| (i % 100) as i8),
            )),
        ),
        (
            "i16",
            Arc::new(Int16Array::from_iter_values(ids.iter().map(|&i| i as i16))),
        ),
        (
            "i32",
            Arc::new(Int32Array::from_iter_values(ids.iter().map(|&i| i as i32))),
        ),
        ("i64", Arc::new(Int64Array::from(ids.clone()))),
        (
            "u8",
            Arc::new(UInt8Array::from_iter_values(
                ids.iter().map(|&i| (i % 200) as u8),
            )),
        ),
        (
            "u16",
            Arc::new(UInt16Array::from_iter_values(ids.iter().map(|&i| i as u16))),
        ),
        (
            "u32",
            Arc::new(UInt32Array::from_iter_values(ids.iter().map(|&i| i as u32))),
        ),
        (
            "u64",
            Arc::new(UInt64Array::from_iter_values(
                ids.iter().map(|&i| i as u64 + (1 << 63)),
            )),
        ),
        (
            "f32",
            Arc::new(Float32Array::from_iter_values(
                ids.iter().map(|&i| i as f32 + 0.5),
            )),
        ),
        (
            "f64",
            Arc::new(Float64Array::from_iter_values(
                ids.iter().map(|&i| i as f64 * 1.25),
            )),
        ),
        (
            "utf8",
            Arc::new(StringArray::from_iter_values(
                ids.iter().map(|i| format!("Prishtinë {i}")),
            )),
        ),
        (
            "large_utf8",
            Arc::new(LargeStringArray::from_iter_values(
                ids.iter().map(|i| format!("Đakovica {i}")),
            )),
        ),
        (
            "bin",
            Arc::new(BinaryArray::from_iter_values(
                ids.iter().map(|i| i.to_le_bytes().to_vec()),
            )),
        ),
        (
            "d32",
            Arc::new(Date32Array::from_iter_values(ids.iter().map(|&i| i as i32))),
        ),
        (
            "ts",
            Arc::new(TimestampMicrosecondArray::from_iter_values(
                ids.iter().map(|&i| i * 1_000_000),
            )),
        ),
        (
            "dec",
            Arc::new(
                Decimal128Array::from_iter_values(ids.iter().map(|&i| i128::from(i) * 100 + 5))
                    .with_precision_and_scale(12, 2)
                    .unwrap(),
            ),
        ),
        ("st", Arc::new(struct_arr)),
        ("li", Arc::new(list.finish())),
    ];
    RecordBatch::try_from_iter(cols).unwrap()
}

/// Write `groups` row groups of `rows` rows each.
fn write_file(path: &Path, groups: usize, rows: usize, compression: Compression) {
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(rows))
        .set_compression(compression)
        .build();
    let first = all_types_batch(0, rows);
    let file = AtomicFile::create(path).unwrap();
    let mut w = ArrowWriter::try_new(file, first.schema(), Some(props)).unwrap();
    w.write(&first).unwrap();
    w.flush().unwrap();
    for g in 1..groups {
        w.write(&all_types_batch((g * rows) as i64, rows)).unwrap();
        w.flush().unwrap();
    }
    w.into_inner().unwrap().commit().unwrap();
}

fn read_all(src: &mut ParquetSource) -> Vec<Batch> {
    let mut out = Vec::new();
    while let Some(b) = src.next_batch().unwrap() {
        out.push(b);
    }
    out
}

fn opts(batch_rows: usize, sample: Option<usize>) -> ReadOptions {
    ReadOptions {
        batch_rows,
        sample_rows: sample,
        ..ReadOptions::default()
    }
}

/// Every batch's i64 column equals its 0-based row numbers, i.e. first_row is right.
fn assert_rows_match(batches: &[Batch]) {
    for b in batches {
        let col = b
            .data
            .column_by_name("i64")
            .unwrap()
            .as_primitive::<Int64Type>();
        for (i, v) in col.values().iter().enumerate() {
            assert_eq!(*v as u64 + 1, b.first_row + i as u64);
        }
    }
}

#[test]
fn reads_every_primitive_type_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("all.parquet");
    write_file(&path, 3, 100, Compression::SNAPPY);
    let mut src = ParquetSource::open(&path, "all.parquet", &opts(64, None)).unwrap();
    assert_eq!(src.rows_total(), Some(RowCount::Exact(300)));
    assert_eq!(src.info().format, Format::Parquet);
    assert_eq!(src.nested_columns(), ["st".to_string(), "li".to_string()]);
    assert!(
        src.info()
            .notes
            .iter()
            .any(|n| n.contains("column st is nested (struct") && n.contains("not scanned"))
    );
    assert!(
        src.info()
            .notes
            .iter()
            .any(|n| n.contains("column li is nested (list"))
    );
    let schema = src.schema();
    assert_eq!(
        schema.field_with_name("u64").unwrap().data_type(),
        &DataType::UInt64
    );
    assert_eq!(
        schema.field_with_name("large_utf8").unwrap().data_type(),
        &DataType::LargeUtf8
    );
    assert_eq!(
        schema.field_with_name("ts").unwrap().data_type(),
        &DataType::Timestamp(TimeUnit::Microsecond, None)
    );
    let batches = read_all(&mut src);
    assert_eq!(batches.iter().map(Batch::num_rows).sum::<usize>(), 300);
    assert!(batches.iter().all(|b| b.num_rows() <= 64));
    assert_eq!(batches[0].first_row, 1);
    assert_rows_match(&batches);

    // Row 151 (0-based 150) in row group 1, spot-check every column.
    let b = batches
        .iter()
        .find(|b| b.first_row <= 151 && 151 < b.first_row + b.num_rows() as u64)
        .unwrap();
    let i = (151 - b.first_row) as usize;
    let d = &b.data;
    let col = |n: &str| d.column_by_name(n).unwrap().clone();
    assert!(col("b").as_boolean().value(i));
    assert_eq!(col("i8").as_primitive::<Int8Type>().value(i), 50);
    assert_eq!(col("i16").as_primitive::<Int16Type>().value(i), 150);
    assert_eq!(col("i32").as_primitive::<Int32Type>().value(i), 150);
    assert_eq!(col("u8").as_primitive::<UInt8Type>().value(i), 150);
    assert_eq!(col("u16").as_primitive::<UInt16Type>().value(i), 150);
    assert_eq!(col("u32").as_primitive::<UInt32Type>().value(i), 150);
    assert_eq!(
        col("u64").as_primitive::<UInt64Type>().value(i),
        150 + (1 << 63)
    );
    assert_eq!(col("f32").as_primitive::<Float32Type>().value(i), 150.5);
    assert_eq!(col("f64").as_primitive::<Float64Type>().value(i), 187.5);
    assert_eq!(col("utf8").as_string::<i32>().value(i), "Prishtinë 150");
    assert_eq!(
        col("large_utf8").as_string::<i64>().value(i),
        "Đakovica 150"
    );
    assert_eq!(col("bin").as_binary::<i32>().value(i), 150i64.to_le_bytes());
    assert_eq!(col("d32").as_primitive::<Date32Type>().value(i), 150);
    assert_eq!(
        col("ts")
            .as_primitive::<TimestampMicrosecondType>()
            .value(i),
        150_000_000
    );
    assert_eq!(col("dec").as_primitive::<Decimal128Type>().value(i), 15005);
    let st = col("st");
    let st = st.as_struct();
    assert_eq!(st.column(0).as_primitive::<Int32Type>().value(i), 150);
    assert_eq!(st.column(1).as_string::<i32>().value(i), "s150");
    let li = col("li");
    let li = li.as_list::<i32>().value(i);
    assert_eq!(li.as_primitive::<Int32Type>().values(), &[150, 151]);
}

#[test]
fn other_codecs_read() {
    let dir = tempfile::tempdir().unwrap();
    for (name, c) in [
        ("none", Compression::UNCOMPRESSED),
        ("zstd", Compression::ZSTD(Default::default())),
        ("gzip", Compression::GZIP(Default::default())),
        ("lz4", Compression::LZ4_RAW),
    ] {
        let path = dir.path().join(format!("{name}.parquet"));
        write_file(&path, 2, 50, c);
        let mut src = ParquetSource::open(&path, name, &opts(1000, None)).unwrap();
        let batches = read_all(&mut src);
        assert_eq!(
            batches.iter().map(Batch::num_rows).sum::<usize>(),
            100,
            "{name}"
        );
        assert_rows_match(&batches);
    }
}

#[test]
fn sampling_spreads_over_row_groups() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.parquet");
    write_file(&path, 100, 1000, Compression::SNAPPY);
    let mut src = ParquetSource::open(&path, "many.parquet", &opts(16 * 1024, Some(2000))).unwrap();
    assert_eq!(src.rows_total(), Some(RowCount::Exact(100_000)));
    assert!(src.info().notes.iter().any(|n| n.starts_with("sampled")));
    let batches = read_all(&mut src);
    let total: usize = batches.iter().map(Batch::num_rows).sum();
    assert!((1800..=2200).contains(&total), "{total}");
    assert_rows_match(&batches);
    let groups: std::collections::BTreeSet<u64> =
        batches.iter().map(|b| (b.first_row - 1) / 1000).collect();
    assert!(groups.contains(&0) && groups.contains(&99), "{groups:?}");
    assert!(groups.len() >= 3, "{groups:?}");
    assert_eq!(batches[0].first_row, 1);
    let last = batches.last().unwrap();
    assert_eq!(last.first_row + last.num_rows() as u64 - 1, 100_000);
}

#[test]
fn sampling_inside_one_huge_row_group() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one.parquet");
    write_file(&path, 1, 20_000, Compression::SNAPPY);
    let mut src = ParquetSource::open(&path, "one.parquet", &opts(1024, Some(1000))).unwrap();
    let batches = read_all(&mut src);
    let total: usize = batches.iter().map(Batch::num_rows).sum();
    assert_eq!(total, 1000);
    assert_rows_match(&batches);
    // Runs are spread: rows near the start, the middle and the end.
    assert_eq!(batches[0].first_row, 1);
    assert!(
        batches
            .iter()
            .any(|b| (8_000..12_000).contains(&b.first_row))
    );
    let last = batches.last().unwrap();
    assert_eq!(last.first_row + last.num_rows() as u64 - 1, 20_000);
}

#[test]
fn sample_larger_than_file_reads_everything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small.parquet");
    write_file(&path, 2, 10, Compression::SNAPPY);
    let mut src = ParquetSource::open(&path, "small.parquet", &opts(1024, Some(1000))).unwrap();
    assert!(!src.info().notes.iter().any(|n| n.starts_with("sampled")));
    let batches = read_all(&mut src);
    assert_eq!(batches.iter().map(Batch::num_rows).sum::<usize>(), 20);
    assert_rows_match(&batches);
}

#[test]
fn plan_sample_shapes() {
    // 100 groups × 1000 rows, 2000 wanted: first and last group, ~2000 rows.
    let plan = plan_sample(&[1000; 100], 2000);
    assert_eq!(plan.first().unwrap().0, 0);
    assert_eq!(plan.last().unwrap().0, 99);
    let rows: usize = plan
        .iter()
        .flat_map(|(_, r)| r.iter().map(|r| r.len()))
        .sum();
    assert!((1900..=2000).contains(&rows), "{rows}");
    // Runs are sorted, disjoint and inside their group.
    for (_, runs) in &plan {
        for w in runs.windows(2) {
            assert!(w[0].end <= w[1].start);
        }
        assert!(runs.iter().all(|r| r.end <= 1000 && !r.is_empty()));
    }
    // Small file: everything.
    assert_eq!(
        plan_sample(&[10, 0, 10], 100),
        vec![(0, first_rows(10)), (2, first_rows(10))]
    );
    // Empty groups are never picked.
    let plan = plan_sample(&[0, 500, 0, 500, 0], 100);
    assert!(plan.iter().all(|(g, _)| *g == 1 || *g == 3));
    assert!(plan_sample(&[], 10).is_empty());
    // One row asked of a big group.
    assert_eq!(plan_sample(&[1000], 1), vec![(0, first_rows(1))]);
    assert_eq!(spread_runs(10, 9), first_rows(9));
}

fn open_err(bytes: &[u8], name: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    write_atomic(&path, bytes).unwrap();
    match ParquetSource::open(&path, name, &ReadOptions::default()) {
        Ok(_) => panic!("{name} opened"),
        Err(e @ Error::Input { .. }) => e.to_string(),
        Err(e) => panic!("{name}: not an input error: {e}"),
    }
}

fn valid_bytes() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.parquet");
    write_file(&path, 2, 100, Compression::SNAPPY);
    std::fs::read(&path).unwrap()
}

#[test]
fn bad_files_are_input_errors() {
    let valid = valid_bytes();
    let msg = open_err(b"", "empty.parquet");
    assert!(
        msg.starts_with("empty.parquet: ") && msg.contains("empty"),
        "{msg}"
    );
    let msg = open_err(&valid[..100], "trunc.parquet");
    assert!(
        msg.starts_with("trunc.parquet: ") && msg.contains("truncated"),
        "{msg}"
    );
    let msg = open_err(b"PAR1PAR1", "tiny.parquet");
    assert!(msg.starts_with("tiny.parquet: "), "{msg}");

    let mut garbage = b"PAR1".to_vec();
    let mut x: u32 = 12345;
    for _ in 0..500 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        garbage.push((x >> 16) as u8);
    }
    garbage.extend_from_slice(&200u32.to_le_bytes());
    garbage.extend_from_slice(b"PAR1");
    let msg = open_err(&garbage, "garbage.parquet");
    assert!(
        msg.starts_with("garbage.parquet: ") && msg.contains("footer"),
        "{msg}"
    );

    // Footer length pointing before the start of the file.
    let mut long = valid.clone();
    let n = long.len();
    long[n - 8..n - 4].copy_from_slice(&u32::MAX.to_le_bytes());
    let msg = open_err(&long, "len.parquet");
    assert!(msg.contains("footer"), "{msg}");

    // Corrupt footer: overwrite the metadata with noise.
    let mut corrupt = valid.clone();
    let meta_len = u32::from_le_bytes(corrupt[n - 8..n - 4].try_into().unwrap()) as usize;
    for (i, b) in corrupt[n - 8 - meta_len..n - 8].iter_mut().enumerate() {
        *b = (i * 37 % 251) as u8;
    }
    let msg = open_err(&corrupt, "corrupt.parquet");
    assert!(
        msg.starts_with("corrupt.parquet: ") && msg.contains("footer"),
        "{msg}"
    );

    // Every truncation of a valid file fails cleanly, never panics.
    for cut in (0..valid.len()).step_by(97) {
        let _ = open_err(&valid[..cut], "cut.parquet");
    }
    let msg = open_err(b"hello,world\n", "csv.parquet");
    assert!(msg.contains("PAR1"), "{msg}");
}

#[test]
fn decode_error_names_row_group_and_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.parquet");
    write_file(&path, 3, 1000, Compression::SNAPPY);
    // Find row group 1's first column chunk and smash its page header.
    let meta = {
        let f = File::open(&path).unwrap();
        ArrowReaderMetadata::load(&f, ArrowReaderOptions::new()).unwrap()
    };
    let (start, _) = meta.metadata().row_group(1).column(0).byte_range();
    let mut bytes = std::fs::read(&path).unwrap();
    for b in &mut bytes[start as usize..start as usize + 24] {
        *b = 0xFF;
    }
    write_atomic(&path, &bytes).unwrap();

    let mut src = ParquetSource::open(&path, "bad.parquet", &opts(4096, None)).unwrap();
    let first = src.next_batch().unwrap().unwrap();
    assert_eq!((first.first_row, first.num_rows()), (1, 1000));
    let err = src.next_batch().unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::Input { .. }));
    assert!(
        msg.starts_with("bad.parquet: row 1001: row group 1 of 3 (rows 1001–2000)"),
        "{msg}"
    );
    // The broken group is abandoned; reading goes on with the next one.
    let next = src.next_batch().unwrap().unwrap();
    assert_eq!(next.first_row, 2001);
    assert_rows_match(&[next]);
}

#[test]
fn smashed_bytes_anywhere_never_escape_as_panics() {
    let valid = valid_bytes();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("smashed.parquet");
    let step = (valid.len() / 60).max(1);
    for at in (4..valid.len().saturating_sub(8)).step_by(step) {
        let mut bytes = valid.clone();
        let end = (at + 8).min(bytes.len() - 8);
        for (i, b) in bytes[at..end].iter_mut().enumerate() {
            *b ^= 0x5A ^ (i as u8);
        }
        write_atomic(&path, &bytes).unwrap();
        let Ok(mut src) = ParquetSource::open(&path, "smashed.parquet", &opts(64, None)) else {
            continue;
        };
        for _ in 0..100 {
            match src.next_batch() {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => assert!(matches!(e, Error::Input { .. }), "{e}"),
            }
        }
    }
}

/// A Parquet file with no rows whose schema nests `depth` groups and ends in `leaves`
/// INT32 columns, its footer written by hand (the writer would overflow on deep schemas).
fn schema_only_file(depth: usize, leaves: usize) -> Vec<u8> {
    fn varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
    fn int(out: &mut Vec<u8>, delta: u8, v: i64) {
        out.push(delta << 4 | 5);
        varint(out, ((v << 1) ^ (v >> 63)) as u64);
    }
    fn name(out: &mut Vec<u8>, delta: u8, n: &str) {
        out.push(delta << 4 | 8);
        varint(out, n.len() as u64);
        out.extend_from_slice(n.as_bytes());
    }
    let mut m = Vec::new();
    int(&mut m, 1, 1);
    m.push(0x19);
    m.push(0xFC);
    varint(&mut m, (1 + depth + leaves) as u64);
    let first = if depth > 0 { 1 } else { leaves };
    name(&mut m, 4, "schema");
    int(&mut m, 1, first as i64);
    m.push(0);
    for d in 0..depth {
        int(&mut m, 3, 0);
        name(&mut m, 1, &format!("g{d}"));
        int(&mut m, 1, if d + 1 < depth { 1 } else { leaves as i64 });
        m.push(0);
    }
    for l in 0..leaves {
        int(&mut m, 1, 1);
        int(&mut m, 2, 1);
        name(&mut m, 1, &format!("c{l}"));
        m.push(0);
    }
    m.push(0x16);
    m.push(0);
    m.push(0x19);
    m.push(0x0C);
    m.push(0);
    let mut f = b"PAR1".to_vec();
    f.extend_from_slice(&m);
    f.extend_from_slice(&(m.len() as u32).to_le_bytes());
    f.extend_from_slice(b"PAR1");
    f
}

#[test]
fn deep_and_wide_schemas_are_refused_before_the_library_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    let open = |bytes: &[u8], name: &str| {
        let path = dir.path().join(name);
        write_atomic(&path, bytes).unwrap();
        ParquetSource::open(&path, name, &ReadOptions::default())
    };
    // At the limits: read by the library.
    let src = open(
        &schema_only_file(MAX_SCHEMA_DEPTH as usize, 3),
        "deep64.parquet",
    )
    .unwrap();
    assert_eq!(src.rows_total(), Some(RowCount::Exact(0)));
    let src = open(&schema_only_file(0, MAX_COLUMNS), "wide.parquet").unwrap();
    assert_eq!(src.schema().fields().len(), MAX_COLUMNS);
    // Beyond them: refused, naming the file and the figure.
    let msg = open_err(&schema_only_file(10_000, 1), "deep.parquet");
    assert!(
        msg.starts_with("deep.parquet: ") && msg.contains("at most 64 levels"),
        "{msg}"
    );
    let msg = open_err(&schema_only_file(0, MAX_COLUMNS + 1), "wider.parquet");
    assert!(
        msg.starts_with("wider.parquet: ") && msg.contains("16385 columns"),
        "{msg}"
    );
    let msg = open_err(&schema_only_file(3, 20_000), "nested_wide.parquet");
    assert!(msg.contains("20000 columns"), "{msg}");
    assert_eq!(
        schema_shape(&schema_only_file(5, 7)[4..]),
        Some(SchemaShape {
            depth: 5,
            leaves: 7
        })
    );
}

#[test]
fn sanitize_hides_values() {
    assert_eq!(sanitize("bad value 1234567892 at 12"), "bad value … at 12");
    assert_eq!(
        sanitize("cannot parse \"Arben\" as int"),
        "cannot parse \"…\" as int"
    );
    assert_eq!(sanitize("open \"x"), "open \"…\"");
    assert!(sanitize(&"x".repeat(1000)).chars().count() <= MAX_CAUSE_CHARS + 2);
}

#[test]
fn empty_file_with_schema_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("zero.parquet");
    let schema = Arc::new(Schema::new(vec![Field::new("a", DataType::Int64, true)]));
    let w = ArrowWriter::try_new(AtomicFile::create(&path).unwrap(), schema, None).unwrap();
    w.into_inner().unwrap().commit().unwrap();
    let mut src = ParquetSource::open(&path, "zero", &opts(10, Some(5))).unwrap();
    assert_eq!(src.rows_total(), Some(RowCount::Exact(0)));
    assert!(src.next_batch().unwrap().is_none());
}
