//! The sample tables: their columns, the category each column should be classified as, and
//! the code that writes them.
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{
    Date32Builder, Float64Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use chrono::NaiveDate;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use super::r#gen::{self as g, NoteContext, Person};
use super::rng::Rng;
use crate::error::{Error, Result};
use crate::sink::atomic::{AtomicFile, write_atomic};

/// A table: its file name and `(column, expected category)` for every column, in file order.
pub struct TableSpec {
    /// File name inside the output directory.
    pub file: &'static str,
    /// Columns and the category each should be classified as.
    pub columns: &'static [(&'static str, &'static str)],
}

impl TableSpec {
    /// The header row.
    pub fn headers(&self) -> Vec<&'static str> {
        self.columns.iter().map(|(c, _)| *c).collect()
    }
}

/// a. Patients, UTF-8, comma, Albanian headers.
pub const PATIENTS: TableSpec = TableSpec {
    file: "patients.csv",
    columns: &[
        ("nr_personal", "kosovo_personal_number"),
        ("emri", "person_name"),
        ("mbiemri", "person_name"),
        ("data_e_lindjes", "date_of_birth"),
        ("gjinia", "gender"),
        ("komuna", "municipality"),
        ("telefoni", "phone_number"),
        ("email", "email"),
        ("diagnoza", "health"),
        ("etnia", "ethnic_origin"),
        ("shenime", "free_text"),
    ],
};

/// b. Employees of a Serbian-run institution, windows-1250, `;`, Serbian Latin headers.
pub const ZAPOSLENI: TableSpec = TableSpec {
    file: "zaposleni_cp1250.csv",
    columns: &[
        ("Ime i prezime", "person_name"),
        ("JMBG", "jmbg"),
        ("Opština", "municipality"),
        ("Adresa", "street_address"),
        ("Telefon", "phone_number"),
        ("Tekući račun", "bank_account"),
        ("Veroispovest", "religion"),
        ("Član sindikata", "trade_union"),
        ("Plata", "none"),
    ],
};

/// c. Employees, Parquet, English headers, typed columns.
pub const EMPLOYEES: TableSpec = TableSpec {
    file: "employees.parquet",
    columns: &[
        ("employee_id", "record_key"),
        ("full_name", "person_name"),
        ("personal_number", "kosovo_personal_number"),
        ("iban", "iban"),
        ("passport_no", "passport_number"),
        ("vehicle_plate", "vehicle_plate"),
        ("date_of_birth", "date_of_birth"),
        ("postal_code", "postal_code"),
        ("municipality", "municipality"),
        ("political_party", "political_opinion"),
        ("criminal_record", "criminal_record"),
        ("badge_number", "record_key"),
        ("salary", "none"),
        ("hired", "date"),
    ],
};

/// d. An export with meaningless headers, `|`-delimited: values alone must tell.
pub const EXPORT_COL: TableSpec = TableSpec {
    file: "export_col.csv",
    columns: &[
        ("col1", "kosovo_personal_number"),
        ("col2", "phone_number"),
        ("col3", "email"),
        ("col4", "jmbg"),
        ("col5", "municipality"),
        ("col6", "ethnic_origin"),
        ("col7", "date_of_birth"),
        ("col8", "free_text"),
    ],
};

/// e. Aggregate population statistics (no row is a person).
pub const POPULLSIA: TableSpec = TableSpec {
    file: "popullsia_2024.csv",
    columns: &[
        ("komuna", "municipality"),
        ("grupmosha", "age"),
        ("gjinia", "gender"),
        ("numri", "none"),
        ("viti", "none"),
    ],
};

/// f. Invoices between businesses (not personal).
pub const FATURAT: TableSpec = TableSpec {
    file: "faturat.csv",
    columns: &[
        ("nr_fatures", "none"),
        ("data", "date"),
        ("shuma", "none"),
        ("nui_biznesi", "business_id"),
        ("pershkrimi", "none"),
    ],
};

/// Every table, in the order [`super::write_samples`] writes them.
pub const TABLES: [&TableSpec; 7] = [
    &PATIENTS,
    &ZAPOSLENI,
    &EMPLOYEES,
    &EXPORT_COL,
    &POPULLSIA,
    &FATURAT,
    &super::workbook::REGJISTRI,
];

// ---------------------------------------------------------------------------------------------
// Writing helpers.

/// Counts the bytes passing through to `inner`.
pub struct Counting<W> {
    /// The destination.
    pub inner: W,
    /// Bytes written so far.
    pub bytes: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A CSV writer over an [`AtomicFile`]; the file appears only on [`CsvOut::finish`].
pub struct CsvOut {
    w: csv::Writer<Counting<AtomicFile>>,
    path: PathBuf,
}

impl CsvOut {
    /// Start writing `path` with the given delimiter and header.
    pub fn create(path: &Path, delimiter: u8, header: &[&str]) -> Result<Self> {
        let file = AtomicFile::create(path)?;
        let w = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .from_writer(Counting {
                inner: file,
                bytes: 0,
            });
        let mut out = CsvOut {
            w,
            path: path.to_path_buf(),
        };
        out.row(header)?;
        Ok(out)
    }

    /// Write one record.
    pub fn row<I, T>(&mut self, record: I) -> Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.w
            .write_record(record)
            .map_err(|e| Error::io(&self.path, e.into()))
    }

    /// Flush, commit and return the bytes written.
    pub fn finish(self) -> Result<u64> {
        let CsvOut { w, path } = self;
        let counting = w
            .into_inner()
            .map_err(|e| Error::io(&path, e.into_error()))?;
        let bytes = counting.bytes;
        counting.inner.commit()?;
        Ok(bytes)
    }
}

/// Convert a Parquet error into an I/O error on `path`.
fn pq_err(path: &Path, e: parquet::errors::ParquetError) -> Error {
    Error::io(path, std::io::Error::other(e))
}

/// Write batches produced by `fill` to `path` as snappy Parquet through an [`AtomicFile`].
/// `fill` receives a sink to pass each batch to. Returns the bytes written.
fn write_parquet(
    path: &Path,
    schema: SchemaRef,
    row_group_rows: usize,
    fill: impl FnOnce(&mut dyn FnMut(RecordBatch) -> Result<()>) -> Result<()>,
) -> Result<u64> {
    let file = AtomicFile::create(path)?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(row_group_rows.max(1)))
        .build();
    let mut writer = ArrowWriter::try_new(
        Counting {
            inner: file,
            bytes: 0,
        },
        schema,
        Some(props),
    )
    .map_err(|e| pq_err(path, e))?;
    fill(&mut |batch| writer.write(&batch).map_err(|e| pq_err(path, e)))?;
    let counting = writer.into_inner().map_err(|e| pq_err(path, e))?;
    let bytes = counting.bytes;
    counting.inner.commit()?;
    Ok(bytes)
}

fn batch_err(path: &Path, e: arrow_schema::ArrowError) -> Error {
    Error::Internal(format!("building a batch for {}: {e}", path.display()))
}

// ---------------------------------------------------------------------------------------------
// a. Patients (also the benchmark table).

/// One patients row. Serbs (by the `etnia` column) get Serbian names.
pub fn patient_row(rng: &mut Rng) -> [String; 11] {
    let ethnicity = *rng.weighted(g::ETHNICITY_SQ);
    let p = g::person(rng, ethnicity == "serb", (1930, 2023));
    let pn = g::personal_number(rng);
    let icd = g::diagnosis(rng, &p);
    let mut diagnosis = icd.0.to_string();
    if rng.chance(0.15) {
        let second = g::diagnosis(rng, &p).0;
        if second != icd.0 {
            diagnosis.push_str(", ");
            diagnosis.push_str(second);
        }
    }
    let email = if rng.chance(0.9) {
        g::email(rng, p.first, p.last)
    } else {
        String::new()
    };
    let notes = if rng.chance(0.7) {
        g::note(
            rng,
            &NoteContext {
                person: &p,
                pn: &pn,
                icd,
            },
        )
    } else {
        String::new()
    };
    [
        pn,
        p.first.to_string(),
        p.last.to_string(),
        g::date_text(rng, p.dob),
        if p.female { "F" } else { "M" }.to_string(),
        p.municipality.sq.to_string(),
        g::phone(rng),
        email,
        diagnosis,
        ethnicity.to_string(),
        notes,
    ]
}

/// Write `rows` patients to a CSV file. Returns the bytes written.
pub fn write_patients_csv(path: &Path, rows: usize, rng: &mut Rng) -> Result<u64> {
    let mut out = CsvOut::create(path, b',', &PATIENTS.headers())?;
    for _ in 0..rows {
        out.row(patient_row(rng))?;
    }
    out.finish()
}

/// Rows per batch when streaming the benchmark Parquet file.
const BENCH_BATCH_ROWS: usize = 8 * 1024;
/// Rows per row group in the benchmark Parquet file (bounds the writer's memory).
const BENCH_ROW_GROUP_ROWS: usize = 128 * 1024;

/// Write `rows` patients to a Parquet file with all-Utf8 columns, streaming in batches.
pub fn write_patients_parquet(path: &Path, rows: usize, rng: &mut Rng) -> Result<u64> {
    let headers = PATIENTS.headers();
    let schema: SchemaRef = Arc::new(Schema::new(
        headers
            .iter()
            .map(|h| Field::new(*h, DataType::Utf8, false))
            .collect::<Vec<_>>(),
    ));
    let batch_schema = schema.clone();
    write_parquet(path, schema, BENCH_ROW_GROUP_ROWS, |sink| {
        let mut left = rows;
        while left > 0 {
            let n = left.min(BENCH_BATCH_ROWS);
            let mut builders: Vec<StringBuilder> = (0..headers.len())
                .map(|_| StringBuilder::with_capacity(n, n * 16))
                .collect();
            for _ in 0..n {
                for (b, v) in builders.iter_mut().zip(patient_row(rng)) {
                    b.append_value(v);
                }
            }
            let cols: Vec<ArrayRef> = builders
                .iter_mut()
                .map(|b| Arc::new(b.finish()) as ArrayRef)
                .collect();
            let batch =
                RecordBatch::try_new(batch_schema.clone(), cols).map_err(|e| batch_err(path, e))?;
            sink(batch)?;
            left -= n;
        }
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------------
// b. zaposleni_cp1250.csv

/// Write the windows-1250 Serbian employee table.
pub fn write_zaposleni(path: &Path, rows: usize, rng: &mut Rng) -> Result<()> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::new());
    let csv_err = |e: csv::Error| Error::Internal(format!("in-memory CSV: {e}"));
    w.write_record(ZAPOSLENI.headers()).map_err(csv_err)?;
    for _ in 0..rows {
        let serbian = rng.chance(0.8);
        let p: Person = g::person(rng, serbian, (1958, 2002));
        let salary = rng.range(45_000, 180_000);
        w.write_record([
            p.full_name(),
            g::jmbg(rng, p.dob, p.female),
            p.municipality.sr.to_string(),
            g::street_sr(rng),
            g::phone_sr(rng),
            g::account_text(rng),
            g::religion_sr(rng, serbian).to_string(),
            if rng.chance(0.35) { "da" } else { "ne" }.to_string(),
            format!("{},{:02}", salary / 100, salary % 100),
        ])
        .map_err(csv_err)?;
    }
    let utf8 = w
        .into_inner()
        .map_err(|e| Error::Internal(format!("in-memory CSV: {}", e.error())))?;
    let text =
        String::from_utf8(utf8).map_err(|_| Error::Internal("sample CSV is not UTF-8".into()))?;
    let (bytes, _, had_errors) = encoding_rs::WINDOWS_1250.encode(&text);
    if had_errors {
        return Err(Error::Internal(
            "sample text has a character windows-1250 cannot encode".into(),
        ));
    }
    write_atomic(path, &bytes)
}

// ---------------------------------------------------------------------------------------------
// c. employees.parquet

/// The employees schema.
fn employees_schema() -> SchemaRef {
    let utf8 = |n: &str, nullable: bool| Field::new(n, DataType::Utf8, nullable);
    Arc::new(Schema::new(vec![
        Field::new("employee_id", DataType::Int64, false),
        utf8("full_name", false),
        utf8("personal_number", false),
        utf8("iban", false),
        utf8("passport_no", false),
        utf8("vehicle_plate", true),
        Field::new("date_of_birth", DataType::Date32, false),
        utf8("postal_code", false),
        utf8("municipality", false),
        utf8("political_party", true),
        utf8("criminal_record", true),
        utf8("badge_number", false),
        Field::new("salary", DataType::Float64, false),
        Field::new(
            "hired",
            DataType::Timestamp(TimeUnit::Microsecond, None),
            false,
        ),
    ]))
}

/// First badge number; badges are sequential, so only about one in ten passes the nidx check.
const FIRST_BADGE: u64 = 4_000_000_000;

/// Write the typed employees Parquet file in three row groups.
pub fn write_employees(path: &Path, rows: usize, rng: &mut Rng) -> Result<()> {
    let schema = employees_schema();
    let mut id = Int64Builder::with_capacity(rows);
    let mut strings: Vec<StringBuilder> = (0..9).map(|_| StringBuilder::new()).collect();
    let mut dob = Date32Builder::with_capacity(rows);
    let mut salary = Float64Builder::with_capacity(rows);
    let mut hired = TimestampMicrosecondBuilder::with_capacity(rows);
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    let badge_start = FIRST_BADGE + rng.below(100_000);
    for i in 0..rows {
        let serbian = rng.chance(0.1);
        let p = g::person(rng, serbian, (1960, 2002));
        id.append_value(i as i64 + 1);
        let [name, pn, iban, pass, plate, postal, muni, party, crime] = &mut strings[..] else {
            return Err(Error::Internal("employees builders".into()));
        };
        name.append_value(p.full_name());
        pn.append_value(g::personal_number(rng));
        iban.append_value(g::iban(rng));
        pass.append_value(g::passport(rng));
        if rng.chance(0.75) {
            plate.append_value(g::plate(rng));
        } else {
            plate.append_null();
        }
        postal.append_value(p.municipality.postal);
        muni.append_value(p.municipality.sq);
        if rng.chance(0.85) {
            party.append_value(rng.weighted(g::PARTIES));
        } else {
            party.append_null();
        }
        crime.append_option(g::criminal_record(rng));
        dob.append_value(g::epoch_days(p.dob));
        salary.append_value(rng.range(40_000, 250_000) as f64 / 100.0);
        let hire_day = g::date_between(rng, 2005, 2024);
        let secs = (hire_day - epoch).num_seconds() + 8 * 3600 + rng.range(0, 3600) as i64;
        hired.append_value(secs * 1_000_000);
    }
    let mut badge = StringBuilder::with_capacity(rows, rows * 10);
    for i in 0..rows {
        badge.append_value((badge_start + i as u64).to_string());
    }
    let [name, pn, iban, pass, plate, postal, muni, party, crime] = &mut strings[..] else {
        return Err(Error::Internal("employees builders".into()));
    };
    let cols: Vec<ArrayRef> = vec![
        Arc::new(id.finish()),
        Arc::new(name.finish()),
        Arc::new(pn.finish()),
        Arc::new(iban.finish()),
        Arc::new(pass.finish()),
        Arc::new(plate.finish()),
        Arc::new(dob.finish()),
        Arc::new(postal.finish()),
        Arc::new(muni.finish()),
        Arc::new(party.finish()),
        Arc::new(crime.finish()),
        Arc::new(badge.finish()),
        Arc::new(salary.finish()),
        Arc::new(hired.finish()),
    ];
    let batch = RecordBatch::try_new(schema.clone(), cols).map_err(|e| batch_err(path, e))?;
    write_parquet(path, schema, rows.div_ceil(3), |sink| sink(batch))?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// d. export_col.csv

/// Notes for the headerless export: mixed languages, embedded identifiers.
const EXPORT_NOTES: &[&str] = &[
    "Thirrja e fundit në {phone}, pacienti me {health}.",
    "JMBG {jmbg}, pacijent sa dijagnozom {icd}.",
    "Klienti kërkoi ndryshimin e adresës, email {email}.",
    "Nr. personal {pn}; kontrolli i {health} u shty.",
    "Called back on {phone}, no answer.",
    "Vendbanimi i ri, kontakt {phone} ose {email}.",
    "",
];

/// Write the pipe-delimited export with meaningless headers.
pub fn write_export_col(path: &Path, rows: usize, rng: &mut Rng) -> Result<()> {
    let mut out = CsvOut::create(path, b'|', &EXPORT_COL.headers())?;
    for _ in 0..rows {
        let ethnicity = *rng.weighted(g::ETHNICITY_SQ);
        let p = g::person(rng, ethnicity == "serb", (1940, 2006));
        let pn = g::personal_number(rng);
        let jmbg = g::jmbg(rng, p.dob, p.female);
        let email = g::email(rng, p.first, p.last);
        let icd = g::diagnosis(rng, &p);
        let note = rng
            .pick(EXPORT_NOTES)
            .replace("{phone}", &g::phone(rng))
            .replace("{jmbg}", &jmbg)
            .replace("{icd}", icd.0)
            .replace("{email}", &email)
            .replace("{pn}", &pn)
            .replace("{health}", icd.1);
        out.row([
            pn,
            g::phone(rng),
            email,
            jmbg,
            p.municipality.cyr.to_string(),
            ethnicity.to_string(),
            g::date_text(rng, p.dob),
            note,
        ])?;
    }
    out.finish()?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// e. popullsia_2024.csv

/// The 18 five-year age bands.
pub const AGE_BANDS: [&str; 18] = [
    "0-4", "5-9", "10-14", "15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49", "50-54",
    "55-59", "60-64", "65-69", "70-74", "75-79", "80-84", "85+",
];

/// Write the aggregate population table: one row per municipality × age band × sex.
pub fn write_popullsia(path: &Path, rng: &mut Rng) -> Result<()> {
    let mut out = CsvOut::create(path, b',', &POPULLSIA.headers())?;
    // A young population: band shares fall with age (per mille of a municipality's total).
    const SHARE: [u64; 18] = [
        75, 78, 80, 82, 85, 84, 78, 70, 63, 58, 55, 50, 42, 35, 26, 18, 12, 9,
    ];
    for m in &g::MUNICIPALITIES {
        let total = u64::from(m.weight) * 1000;
        for (band, share) in AGE_BANDS.iter().zip(SHARE) {
            for sex in ["M", "F"] {
                let expected = total * share / 2000;
                let jitter = rng.range(90, 110);
                let count = expected * jitter / 100;
                out.row([
                    m.sq.to_string(),
                    band.to_string(),
                    sex.to_string(),
                    count.to_string(),
                    "2024".to_string(),
                ])?;
            }
        }
    }
    out.finish()?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// f. faturat.csv

/// Write the invoice table. Invoice numbers are year-prefixed and sequential, so most fail the
/// nidx check although they are 10 digits.
pub fn write_faturat(path: &Path, rows: usize, rng: &mut Rng) -> Result<()> {
    let mut out = CsvOut::create(path, b',', &FATURAT.headers())?;
    let mut number = 2_024_000_000 + rng.range(100, 5_000);
    let businesses: Vec<String> = (0..12).map(|_| g::nui(rng)).collect();
    for _ in 0..rows {
        number += rng.range(1, 3);
        let day = g::date_between(rng, 2024, 2024);
        let cents = rng.range(500, 2_500_000);
        out.row([
            number.to_string(),
            g::date_text(rng, day),
            format!("{}.{:02}", cents / 100, cents % 100),
            rng.pick(&businesses).clone(),
            rng.pick(g::PRODUCTS).to_string(),
        ])?;
    }
    out.finish()?;
    Ok(())
}
