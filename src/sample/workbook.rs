//! g. A register of residents as a published workbook (`regjistri_banoret.xlsx`): a title block
//! above the header (a merged title, a source line, a blank row), birth dates stored as Excel
//! serial dates, a hidden column (the phone numbers), then a total row and a footnote below
//! the data. It exercises the workbook reader's header finder, tail detection and hidden
//! columns.
use std::path::Path;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};

use super::r#gen as g;
use super::rng::Rng;
use super::tables::TableSpec;
use crate::error::{Error, Result};
use crate::sink::atomic::write_atomic;

/// g. Residents' register, xlsx, Albanian headers below a title block.
pub const REGJISTRI: TableSpec = TableSpec {
    file: "regjistri_banoret.xlsx",
    columns: &[
        ("nr_personal", "kosovo_personal_number"),
        ("emri", "person_name"),
        ("mbiemri", "person_name"),
        ("data_e_lindjes", "date_of_birth"),
        ("gjinia", "gender"),
        ("komuna", "municipality"),
        ("telefoni", "phone_number"),
    ],
};

/// The sheet's name.
pub const SHEET: &str = "Banorët";
/// Sheet rows above the header (title, source line, blank row).
pub const TITLE_ROWS: u32 = 3;

fn xerr(path: &Path, e: XlsxError) -> Error {
    Error::Internal(format!("writing sample workbook {}: {e}", path.display()))
}

/// Write the register with `rows` residents. Deterministic for a seed: the document's
/// creation time is fixed and rust_xlsxwriter stamps zip entries with a fixed date.
pub fn write_regjistri(path: &Path, rows: usize, rng: &mut Rng) -> Result<()> {
    let bytes = build(rows, rng).map_err(|e| xerr(path, e))?;
    write_atomic(path, &bytes)
}

fn build(rows: usize, rng: &mut Rng) -> std::result::Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let created = ExcelDateTime::from_ymd(2024, 1, 1)?;
    wb.set_properties(&DocProperties::new().set_creation_datetime(&created));
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("dd.mm.yyyy");
    // Constant memory: rows go to a temporary file as they are written, so a sample of a
    // million rows (the workbook benchmark) does not hold them all.
    let ws = wb.add_worksheet_with_constant_memory()?;
    ws.set_name(SHEET)?;
    let width = REGJISTRI.columns.len() as u16;
    ws.merge_range(
        0,
        0,
        0,
        width - 1,
        "Regjistri i banorëve sipas komunës, 2024 (të dhëna sintetike)",
        &bold,
    )?;
    // The phone numbers are hidden, as registers often hide contact columns.
    ws.set_column_hidden(6)?;
    ws.write_string(
        1,
        0,
        "Burimi: anonkos sample (asnjë rresht nuk përshkruan një person)",
    )?;
    for (j, h) in REGJISTRI.headers().iter().enumerate() {
        ws.write_string_with_format(TITLE_ROWS, j as u16, *h, &bold)?;
    }
    let mut r = TITLE_ROWS + 1;
    for _ in 0..rows {
        let ethnicity = *rng.weighted(g::ETHNICITY_SQ);
        let p = g::person(rng, ethnicity == "serb", (1930, 2023));
        let pn = g::personal_number(rng);
        ws.write_string(r, 0, &pn)?;
        ws.write_string(r, 1, p.first)?;
        ws.write_string(r, 2, p.last)?;
        let dob = ExcelDateTime::parse_from_str(&p.dob.format("%Y-%m-%d").to_string())?;
        ws.write_datetime_with_format(r, 3, &dob, &date)?;
        ws.write_string(r, 4, if p.female { "F" } else { "M" })?;
        ws.write_string(r, 5, p.municipality.sq)?;
        ws.write_string(r, 6, g::phone(rng))?;
        r += 1;
    }
    ws.write_string_with_format(r, 0, "Gjithsej", &bold)?;
    ws.write_number_with_format(r, 1, rows as f64, &bold)?;
    ws.write_string(
        r + 2,
        0,
        "Shënim: kolona e telefonit është e fshehur; të dhënat janë sintetike.",
    )?;
    wb.save_to_buffer()
}
