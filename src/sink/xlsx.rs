//! Workbook output (`[output] format = "xlsx"`): one sheet per table, written with
//! rust_xlsxwriter in its constant-memory mode (each sheet's rows go to a temporary file in
//! the output's directory as they come, so memory does not grow with the rows), saved into an
//! [`AtomicFile`] on commit.
//!
//! Types: a column read from a workbook carries its cell type hint
//! ([`crate::source::workbook::CELL_TYPE_KEY`]); its cells are written back as numbers, dates
//! (`yyyy-mm-dd`), date-times or booleans when they still read as such, and as text
//! otherwise (a transformed value such as a pseudonym or `1980–1989` is text). Columns without a
//! hint are text. Text is always written as text, never as a formula. Hidden columns and
//! hidden sheets stay hidden (at least one sheet stays visible, as Excel requires).
use std::collections::HashSet;
use std::path::{Path, PathBuf};

use arrow_array::{Array, RecordBatch, StringArray};
use arrow_schema::{DataType, SchemaRef};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};

use super::Writer;
use super::atomic::AtomicFile;
use crate::error::{Error, Result};
use crate::source::workbook::cells::plain_number;
use crate::source::workbook::{CELL_TYPE_KEY, HIDDEN_KEY};

/// Rows of a sheet: Excel's limit, header included.
pub const MAX_SHEET_ROWS: u32 = 1_048_576;

/// How a column's cells are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Text,
    Number,
    Date,
    DateTime,
    Bool,
}

/// Writes tables as the sheets of one workbook.
pub struct XlsxWriter {
    path: PathBuf,
    wb: Workbook,
    cols: Vec<Col>,
    row: u32,
    sheet: Option<String>,
    used: HashSet<String>,
    hidden: Vec<bool>,
    date: Format,
    datetime: Format,
}

fn xerr(path: &Path, e: XlsxError) -> Error {
    Error::io(path, std::io::Error::other(e.to_string()))
}

/// An Excel sheet name: at most 31 characters, none of `[]:*?/\`, not starting or ending
/// with `'`, unique (case-insensitively) in the workbook.
fn sheet_name(table: Option<&str>, n: usize, used: &mut HashSet<String>) -> String {
    let clean: String = table
        .unwrap_or("")
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .collect();
    let clean = clean.trim_matches('\'').trim();
    let base: String = if clean.is_empty() {
        format!("Sheet{n}")
    } else {
        clean.chars().take(31).collect()
    };
    let mut cand = base.clone();
    let mut k = 2;
    while used.contains(&cand.to_lowercase()) || cand.eq_ignore_ascii_case("history") {
        let suffix = format!("_{k}");
        let keep = 31usize.saturating_sub(suffix.chars().count());
        cand = format!("{}{suffix}", base.chars().take(keep).collect::<String>());
        k += 1;
    }
    used.insert(cand.to_lowercase());
    cand
}

impl XlsxWriter {
    /// Start writing the workbook `path` (its directory holds the per-sheet temporary files).
    pub fn create(path: &Path) -> Result<Self> {
        let mut wb = Workbook::new();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            wb.set_tempdir(dir).map_err(|e| xerr(path, e))?;
        }
        Ok(XlsxWriter {
            path: path.to_path_buf(),
            wb,
            cols: Vec::new(),
            row: 0,
            sheet: None,
            used: HashSet::new(),
            hidden: Vec::new(),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            datetime: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
        })
    }

    fn write_cell(&mut self, c: u16, kind: Col, v: &str) -> std::result::Result<(), XlsxError> {
        let (row, date, datetime) = (self.row, self.date.clone(), self.datetime.clone());
        let ws = self
            .wb
            .worksheet_from_index(self.used.len().saturating_sub(1))?;
        match kind {
            Col::Number if plain_number(v) => {
                if let Ok(f) = v.parse::<f64>() {
                    ws.write_number(row, c, f)?;
                    return Ok(());
                }
            }
            Col::Date | Col::DateTime => {
                let fmt = if kind == Col::Date { &date } else { &datetime };
                if let Ok(dt) = ExcelDateTime::parse_from_str(v) {
                    ws.write_datetime_with_format(row, c, &dt, fmt)?;
                    return Ok(());
                }
            }
            Col::Bool if v == "TRUE" || v == "FALSE" => {
                ws.write_boolean(row, c, v == "TRUE")?;
                return Ok(());
            }
            _ => {}
        }
        ws.write_string(row, c, v)?;
        Ok(())
    }
}

impl Writer for XlsxWriter {
    fn begin_table(&mut self, table: Option<&str>, schema: &SchemaRef) -> Result<()> {
        let n = self.used.len() + 1;
        let name = sheet_name(table, n, &mut self.used);
        let path = self.path.clone();
        let ws = self
            .wb
            .add_worksheet_with_constant_memory()
            .map_err(|e| xerr(&path, e))?;
        ws.set_name(&name).map_err(|e| xerr(&path, e))?;
        if schema.fields().len() > usize::from(u16::MAX) || schema.fields().len() > 16_384 {
            return Err(Error::Internal(format!(
                "{}: a sheet holds at most 16,384 columns",
                path.display()
            )));
        }
        let hidden_sheet = schema
            .metadata()
            .get(HIDDEN_KEY)
            .is_some_and(|v| v == "true");
        ws.set_hidden(hidden_sheet);
        self.hidden.push(hidden_sheet);
        for (j, f) in schema.fields().iter().enumerate() {
            let c = j as u16;
            ws.write_string(0, c, f.name())
                .map_err(|e| xerr(&path, e))?;
            if f.metadata().get(HIDDEN_KEY).is_some_and(|v| v == "true") {
                ws.set_column_hidden(c).map_err(|e| xerr(&path, e))?;
            }
        }
        self.cols = schema
            .fields()
            .iter()
            .map(
                |f| match f.metadata().get(CELL_TYPE_KEY).map(String::as_str) {
                    Some("number") => Col::Number,
                    Some("date") => Col::Date,
                    Some("datetime") => Col::DateTime,
                    Some("bool") => Col::Bool,
                    _ => Col::Text,
                },
            )
            .collect();
        self.sheet = Some(name);
        self.row = 1;
        Ok(())
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let path = self.path.clone();
        let mut texts: Vec<StringArray> = Vec::with_capacity(batch.num_columns());
        for col in batch.columns() {
            let s = arrow_cast::cast(col, &DataType::Utf8)
                .map_err(|e| Error::Internal(format!("workbook output: {e}")))?;
            let s = s
                .as_any()
                .downcast_ref::<StringArray>()
                .cloned()
                .ok_or_else(|| Error::Internal("workbook output: not text".into()))?;
            texts.push(s);
        }
        for r in 0..batch.num_rows() {
            if self.row >= MAX_SHEET_ROWS {
                return Err(Error::io(
                    &path,
                    std::io::Error::other(format!(
                        "sheet '{}' would exceed Excel's {MAX_SHEET_ROWS} rows; write this \
                         table as CSV or Parquet instead",
                        self.sheet.as_deref().unwrap_or("")
                    )),
                ));
            }
            for (j, a) in texts.iter().enumerate() {
                if a.is_null(r) {
                    continue;
                }
                let kind = self.cols.get(j).copied().unwrap_or(Col::Text);
                self.write_cell(j as u16, kind, a.value(r))
                    .map_err(|e| xerr(&path, e))?;
            }
            self.row += 1;
        }
        Ok(())
    }

    fn end_table(&mut self) -> Result<()> {
        Ok(())
    }

    fn commit(mut self: Box<Self>) -> Result<()> {
        let path = self.path.clone();
        if self.used.is_empty() {
            self.wb.add_worksheet();
        } else if self.hidden.iter().all(|h| *h) {
            // Excel refuses a workbook whose sheets are all hidden.
            let ws = self
                .wb
                .worksheet_from_index(0)
                .map_err(|e| xerr(&path, e))?;
            ws.set_hidden(false);
        }
        let file = AtomicFile::create(&path)?;
        let mut buf = std::io::BufWriter::new(file);
        self.wb
            .save_to_writer(&mut buf)
            .map_err(|e| xerr(&path, e))?;
        let file = buf
            .into_inner()
            .map_err(|e| Error::io(&path, e.into_error()))?;
        file.commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_valid_and_unique() {
        let mut used = HashSet::new();
        assert_eq!(sheet_name(Some("Banorët"), 1, &mut used), "Banorët");
        assert_eq!(sheet_name(Some("banorët"), 2, &mut used), "banorët_2");
        assert_eq!(sheet_name(Some("a/b[c]"), 3, &mut used), "a_b_c_");
        assert_eq!(sheet_name(None, 4, &mut used), "Sheet4");
        let long = "x".repeat(40);
        assert_eq!(sheet_name(Some(&long), 5, &mut used).chars().count(), 31);
        assert_eq!(sheet_name(Some(&long), 6, &mut used).chars().count(), 31);
        assert_eq!(sheet_name(Some("History"), 7, &mut used), "History_2");
    }
}
