//! Synthetic sample data (behind `anonkos sample --out DIR [--rows N] [--seed S]`).
//!
//! [`write_samples`] writes seven small tables (one of them a workbook with a title block, a
//! total row and a hidden column) that exercise the detectors: personal data in
//! Albanian, Serbian (windows-1250, Latin and Cyrillic) and English, typed Parquet, a table
//! whose headers say nothing, and two tables that are *not* personal (aggregate statistics and
//! invoices) to catch false positives. [`expected_categories`] says what every column should be
//! classified as. [`write_bench_csv`] and [`write_bench_parquet`] stream the patients table at
//! any size for benchmarks.
//!
//! Everything is synthetic and deterministic for a seed (a built-in PRNG, no clock): the
//! identifiers are generated with valid check digits, e-mail addresses use only reserved
//! example domains, and names are random combinations from a short list of common names. All
//! files go through [`crate::sink::atomic::AtomicFile`].
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

pub mod dump;
mod r#gen;
mod rng;
mod tables;
mod workbook;

use rng::Rng;

/// Rows per table in the committed sample data.
pub const DEFAULT_ROWS: usize = 300;
/// Seed of the committed sample data.
pub const DEFAULT_SEED: u64 = 2024;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleOptions {
    /// Rows per table (the population table always has 38 × 18 × 2 rows).
    pub rows: usize,
    /// PRNG seed: the same seed gives byte-identical files.
    pub seed: u64,
}

impl Default for SampleOptions {
    fn default() -> Self {
        SampleOptions {
            rows: DEFAULT_ROWS,
            seed: DEFAULT_SEED,
        }
    }
}

/// Write every sample table into `dir` (created if missing) and return their paths:
/// `patients.csv`, `zaposleni_cp1250.csv`, `employees.parquet`, `export_col.csv`,
/// `popullsia_2024.csv`, `faturat.csv`, `regjistri_banoret.xlsx`. Existing files of those names are replaced atomically.
pub fn write_samples(dir: &Path, opts: &SampleOptions) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let rows = opts.rows;
    let mut paths = Vec::with_capacity(tables::TABLES.len());
    for spec in tables::TABLES {
        let path = dir.join(spec.file);
        // One independent stream per table: a table's content depends only on seed and rows.
        let mut rng = Rng::for_stream(opts.seed, spec.file);
        match spec.file {
            f if f == tables::PATIENTS.file => {
                tables::write_patients_csv(&path, rows, &mut rng)?;
            }
            f if f == tables::ZAPOSLENI.file => tables::write_zaposleni(&path, rows, &mut rng)?,
            f if f == tables::EMPLOYEES.file => tables::write_employees(&path, rows, &mut rng)?,
            f if f == tables::EXPORT_COL.file => tables::write_export_col(&path, rows, &mut rng)?,
            f if f == tables::POPULLSIA.file => tables::write_popullsia(&path, &mut rng)?,
            f if f == tables::FATURAT.file => tables::write_faturat(&path, rows, &mut rng)?,
            f if f == workbook::REGJISTRI.file => {
                workbook::write_regjistri(&path, rows, &mut rng)?;
            }
            other => {
                return Err(Error::Internal(format!(
                    "no writer for sample table {other}"
                )));
            }
        }
        paths.push(path);
    }
    Ok(paths)
}

/// Write a patients table of `rows` rows as CSV to `path` (its directory must exist),
/// streaming with bounded memory. Returns the size in bytes. Same columns as `patients.csv`.
pub fn write_bench_csv(path: &Path, rows: usize, seed: u64) -> Result<u64> {
    let mut rng = Rng::for_stream(seed, "bench");
    tables::write_patients_csv(path, rows, &mut rng)
}

/// Write the benchmark patients table as a plain pg_dump (`COPY`) or mysqldump (extended
/// `INSERT`) file; same rows as [`write_bench_csv`] for the same seed.
pub fn write_bench_dump(path: &Path, rows: usize, seed: u64, kind: dump::DumpKind) -> Result<u64> {
    let csv = path.with_extension("tmp.csv");
    write_bench_csv(&csv, rows, seed)?;
    let written = dump::csv_to_dump(&csv, path, kind);
    let _ = std::fs::remove_file(&csv);
    written
}

/// Write a patients table of `rows` rows as snappy Parquet (all columns Utf8, row groups of
/// 128 Ki rows) to `path`, streaming with bounded memory. Returns the size in bytes. For the
/// same seed the rows are the same as [`write_bench_csv`]'s.
pub fn write_bench_parquet(path: &Path, rows: usize, seed: u64) -> Result<u64> {
    let mut rng = Rng::for_stream(seed, "bench");
    tables::write_patients_parquet(path, rows, &mut rng)
}

/// For every column of every sample table: `(file, column, category)`, with the category
/// named as in the scan report's vocabulary (`person_name`, `kosovo_personal_number`, …,
/// `none`).
///
/// Aggregate and invoice columns are listed with the kind of value they hold (the municipality
/// column of the population table is `municipality`, its age bands `age`); counts, amounts,
/// years, salaries and internal numbers (employee ids, badges, invoice numbers) are `none`.
pub fn expected_categories() -> Vec<(&'static str, &'static str, &'static str)> {
    tables::TABLES
        .iter()
        .flat_map(|t| t.columns.iter().map(move |(c, cat)| (t.file, *c, *cat)))
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeMap;

    use arrow_array::cast::AsArray;
    use arrow_schema::DataType;

    use super::*;
    use crate::detect::Category;
    use crate::detect::validators::{self, iban, jmbg, kosovo_pn, phone};
    use crate::source::{ReadOptions, RowCount, Source, parquet::ParquetSource};

    fn small() -> SampleOptions {
        SampleOptions { rows: 120, seed: 7 }
    }

    fn read_csv(path: &Path, delimiter: u8) -> (Vec<String>, Vec<Vec<String>>) {
        let mut r = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .from_path(path)
            .unwrap();
        let headers = r.headers().unwrap().iter().map(String::from).collect();
        let rows = r
            .records()
            .map(|rec| rec.unwrap().iter().map(String::from).collect())
            .collect();
        (headers, rows)
    }

    fn squash(s: &str) -> String {
        s.chars()
            .filter(|c| !matches!(c, ' ' | '-' | '/' | '.'))
            .collect()
    }

    fn column<'a>(headers: &[String], rows: &'a [Vec<String>], name: &str) -> Vec<&'a str> {
        let i = headers.iter().position(|h| h == name).unwrap();
        rows.iter().map(|r| r[i].as_str()).collect()
    }

    #[test]
    fn same_seed_same_bytes() {
        let (a, b, c) = (
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
        );
        let pa = write_samples(a.path(), &small()).unwrap();
        let pb = write_samples(b.path(), &small()).unwrap();
        let other = SampleOptions { seed: 8, ..small() };
        let pc = write_samples(c.path(), &other).unwrap();
        assert_eq!(pa.len(), 7);
        for ((x, y), z) in pa.iter().zip(&pb).zip(&pc) {
            let bx = std::fs::read(x).unwrap();
            assert_eq!(bx, std::fs::read(y).unwrap(), "{}", x.display());
            assert_ne!(bx, std::fs::read(z).unwrap(), "{}", x.display());
        }
        // No temporary files left behind.
        let names: Vec<String> = std::fs::read_dir(a.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 7, "{names:?}");
    }

    #[test]
    fn identifiers_in_files_are_valid() {
        let dir = tempfile::tempdir().unwrap();
        write_samples(dir.path(), &small()).unwrap();
        let email_ok = validators::by_name("email").unwrap();

        let (h, rows) = read_csv(&dir.path().join("patients.csv"), b',');
        assert_eq!(rows.len(), 120);
        for v in column(&h, &rows, "nr_personal") {
            assert!(kosovo_pn::is_valid(v), "{v}");
        }
        for v in column(&h, &rows, "telefoni") {
            assert!(phone::is_valid(&squash(v)), "{v}");
        }
        for v in column(&h, &rows, "email")
            .into_iter()
            .filter(|v| !v.is_empty())
        {
            assert!(email_ok(v), "{v}");
        }
        for v in column(&h, &rows, "data_e_lindjes") {
            assert!(validators::date::is_valid(v), "{v}");
        }
        assert!(
            column(&h, &rows, "gjinia")
                .iter()
                .all(|v| *v == "M" || *v == "F")
        );
        let notes = column(&h, &rows, "shenime");
        assert!(notes.iter().any(|n| n.is_empty()));
        assert!(
            notes
                .iter()
                .any(|n| n.contains('@') || n.contains("044") || n.contains("+3"))
        );
        let etnia = column(&h, &rows, "etnia");
        let albanian = etnia.iter().filter(|v| **v == "shqiptar").count();
        assert!(albanian * 2 > etnia.len());

        let (h, rows) = read_csv(&dir.path().join("export_col.csv"), b'|');
        for v in column(&h, &rows, "col1") {
            assert!(kosovo_pn::is_valid(v), "{v}");
        }
        for v in column(&h, &rows, "col2") {
            assert!(phone::is_valid(&squash(v)), "{v}");
        }
        for v in column(&h, &rows, "col4") {
            assert!(jmbg::is_valid(v), "{v}");
        }
        assert!(column(&h, &rows, "col5").iter().all(|v| {
            v.chars()
                .any(|c| ('а'..='я').contains(&c) || ('А'..='Я').contains(&c))
        }));

        let (h, rows) = read_csv(&dir.path().join("faturat.csv"), b',');
        let invoices = column(&h, &rows, "nr_fatures");
        let passing = invoices.iter().filter(|v| kosovo_pn::is_valid(v)).count();
        assert!(invoices.iter().all(|v| v.len() == 10));
        assert!(passing * 2 < invoices.len(), "{passing}");
        assert!(
            column(&h, &rows, "nui_biznesi")
                .iter()
                .all(|v| v.len() == 9 && v.starts_with("81"))
        );

        let (h, rows) = read_csv(&dir.path().join("popullsia_2024.csv"), b',');
        assert_eq!(rows.len(), 38 * 18 * 2);
        assert_eq!(h, ["komuna", "grupmosha", "gjinia", "numri", "viti"]);
    }

    #[test]
    fn windows_1250_file_is_really_windows_1250() {
        let dir = tempfile::tempdir().unwrap();
        write_samples(dir.path(), &SampleOptions::default()).unwrap();
        let bytes = std::fs::read(dir.path().join("zaposleni_cp1250.csv")).unwrap();
        assert!(std::str::from_utf8(&bytes).is_err());
        for utf8 in ["č", "ć", "š", "ž", "đ", "Č", "Š", "Ž", "Đ"] {
            assert!(
                !bytes.windows(2).any(|w| w == utf8.as_bytes()),
                "UTF-8 {utf8} found"
            );
        }
        // č ć š ž đ in windows-1250.
        for b in [0xE8u8, 0xE6, 0x9A, 0x9E, 0xF0] {
            assert!(bytes.contains(&b), "byte {b:#x} missing");
        }
        let (text, _, had_errors) = encoding_rs::WINDOWS_1250.decode(&bytes);
        assert!(!had_errors);
        let (again, _, _) = encoding_rs::WINDOWS_1250.encode(&text);
        assert_eq!(again.as_ref(), bytes.as_slice());

        let mut r = csv::ReaderBuilder::new()
            .delimiter(b';')
            .from_reader(text.as_bytes());
        let headers: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(headers[2], "Opština");
        assert_eq!(headers[5], "Tekući račun");
        assert_eq!(headers[7], "Član sindikata");
        let mut n = 0;
        for rec in r.records() {
            let rec = rec.unwrap();
            n += 1;
            assert!(jmbg::is_valid(&rec[1]), "{}", &rec[1]);
            assert!(iban::is_valid_xk_account(&squash(&rec[5])), "{}", &rec[5]);
            assert!(phone::is_valid(&squash(&rec[4])), "{}", &rec[4]);
            assert!(matches!(&rec[7], "da" | "ne"));
        }
        assert_eq!(n, DEFAULT_ROWS);
    }

    #[test]
    fn employees_parquet_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        write_samples(dir.path(), &small()).unwrap();
        let path = dir.path().join("employees.parquet");
        let mut src =
            ParquetSource::open(&path, "employees.parquet", &ReadOptions::default()).unwrap();
        assert_eq!(src.rows_total(), Some(RowCount::Exact(120)));
        assert!(
            src.info().notes[0].contains("3 row group"),
            "{:?}",
            src.info().notes
        );
        let schema = src.schema();
        assert_eq!(
            schema.field_with_name("employee_id").unwrap().data_type(),
            &DataType::Int64
        );
        assert_eq!(
            schema.field_with_name("date_of_birth").unwrap().data_type(),
            &DataType::Date32
        );
        assert_eq!(
            schema.field_with_name("salary").unwrap().data_type(),
            &DataType::Float64
        );
        assert!(matches!(
            schema.field_with_name("hired").unwrap().data_type(),
            DataType::Timestamp(..)
        ));
        let mut rows = 0;
        let (mut badges, mut badge_pass) = (0, 0);
        while let Some(b) = src.next_batch().unwrap() {
            let d = &b.data;
            let get = |n: &str| d.column_by_name(n).unwrap().as_string::<i32>().clone();
            for (i, pn) in get("personal_number").iter().enumerate() {
                assert!(kosovo_pn::is_valid(pn.unwrap()));
                assert!(iban::is_valid_iban(get("iban").value(i)));
                let pass = get("passport_no");
                assert!(pass.value(i).starts_with('P') && pass.value(i).len() == 9);
                let badge = get("badge_number");
                badges += 1;
                badge_pass += usize::from(kosovo_pn::is_valid(badge.value(i)));
            }
            rows += b.num_rows();
        }
        assert_eq!(rows, 120);
        assert!(badge_pass * 2 < badges, "{badge_pass} of {badges}");
    }

    #[test]
    fn expected_categories_cover_every_header_once() {
        let dir = tempfile::tempdir().unwrap();
        let paths = write_samples(dir.path(), &small()).unwrap();
        let expected = expected_categories();
        let mut by_file: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (file, column, category) in &expected {
            by_file.entry(file).or_default().push(column);
            let parsed: Result<Category, _> = serde_json::from_str(&format!("\"{category}\""));
            assert!(
                parsed.is_ok(),
                "{file}:{column}: unknown category {category}"
            );
        }
        assert_eq!(by_file.len(), paths.len());
        for path in &paths {
            let name = path.file_name().unwrap().to_str().unwrap();
            let headers: Vec<String> = match name {
                "employees.parquet" => {
                    let src = ParquetSource::open(path, name, &ReadOptions::default()).unwrap();
                    src.schema()
                        .fields()
                        .iter()
                        .map(|f| f.name().clone())
                        .collect()
                }
                "zaposleni_cp1250.csv" => {
                    let bytes = std::fs::read(path).unwrap();
                    let (text, _, _) = encoding_rs::WINDOWS_1250.decode(&bytes);
                    let first = text.lines().next().unwrap().to_string();
                    first.split(';').map(String::from).collect()
                }
                "export_col.csv" => read_csv(path, b'|').0,
                // The workbook through the reader: the header is found below its title block.
                "regjistri_banoret.xlsx" => {
                    let mut srcs =
                        crate::source::open(path, name, &ReadOptions::default()).unwrap();
                    srcs.remove(0)
                        .schema()
                        .fields()
                        .iter()
                        .map(|f| f.name().clone())
                        .collect()
                }
                _ => read_csv(path, b',').0,
            };
            assert_eq!(by_file[name], headers, "{name}");
        }
    }

    #[test]
    fn bench_writers_stream_the_patients_table() {
        let dir = tempfile::tempdir().unwrap();
        let csv_path = dir.path().join("bench.csv");
        let pq_path = dir.path().join("bench.parquet");
        let csv_bytes = write_bench_csv(&csv_path, 10_000, 3).unwrap();
        let pq_bytes = write_bench_parquet(&pq_path, 20_000, 3).unwrap();
        assert_eq!(csv_bytes, std::fs::metadata(&csv_path).unwrap().len());
        assert_eq!(pq_bytes, std::fs::metadata(&pq_path).unwrap().len());
        let (h, rows) = read_csv(&csv_path, b',');
        assert_eq!(h, tables::PATIENTS.headers());
        assert_eq!(rows.len(), 10_000);
        let mut src = ParquetSource::open(&pq_path, "bench", &ReadOptions::default()).unwrap();
        assert_eq!(src.rows_total(), Some(RowCount::Exact(20_000)));
        let first = src.next_batch().unwrap().unwrap();
        // Same seed: the Parquet rows are the CSV rows.
        let pn = first.data.column(0).as_string::<i32>();
        for (i, row) in rows.iter().take(100).enumerate() {
            assert_eq!(pn.value(i), row[0]);
        }
    }

    #[test]
    fn bench_dumps_read_back_as_the_csv_rows() {
        let dir = tempfile::tempdir().unwrap();
        let csv_path = dir.path().join("bench.csv");
        write_bench_csv(&csv_path, 3_000, 5).unwrap();
        let (_, want) = read_csv(&csv_path, b',');
        for kind in [dump::DumpKind::Pg, dump::DumpKind::MySql] {
            let p = dir.path().join(format!("bench-{kind:?}.sql"));
            write_bench_dump(&p, 3_000, 5, kind).unwrap();
            let mut srcs = crate::source::open(&p, "bench", &ReadOptions::default()).unwrap();
            assert_eq!(srcs.len(), 1);
            let mut got: Vec<Vec<String>> = Vec::new();
            while let Some(b) = srcs[0].next_batch().unwrap() {
                for r in 0..b.num_rows() {
                    got.push(
                        (0..b.data.num_columns())
                            .map(|c| {
                                let a = b.data.column(c).as_string::<i32>();
                                if arrow_array::Array::is_null(a, r) {
                                    String::new()
                                } else {
                                    a.value(r).to_string()
                                }
                            })
                            .collect(),
                    );
                }
            }
            assert_eq!(got, want, "{kind:?}");
        }
    }
}
