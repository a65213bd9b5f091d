//! An open workbook and its rows, whatever the container.
//!
//! xlsx sheets stream cell by cell (calamine's `worksheet_cells_reader`): only one row is held
//! at a time, next to what calamine keeps for the whole workbook (the shared-strings table and
//! the cell styles). calamine has no streaming reader for xls and ods: their sheets are read
//! whole into a `Range` (an xls sheet has at most 65,536 rows; an ods `content.xml` is bounded
//! by the guard's decompressed-size cap).
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use calamine::{Ods, Reader, Sheet, Xls, Xlsx};

use super::cells::{self, Kind};
use super::guard::BookKind;
use crate::source::csv::MAX_COLUMNS;

type Rs = BufReader<File>;

/// One non-empty cell: 0-based column, its text and kind.
pub type CellText = (u32, String, Kind);

/// A workbook opened by calamine.
pub enum Book {
    /// `.xlsx` / `.xlsm`.
    Xlsx(Box<Xlsx<Rs>>),
    /// `.xls`.
    Xls(Box<Xls<Rs>>),
    /// `.ods`.
    Ods(Box<Ods<Rs>>),
}

/// What the row callback wants next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// More rows.
    More,
    /// Stop reading this sheet.
    Stop,
}

/// A calamine error as a message. calamine's messages name parts and positions, not values.
fn msg(e: impl std::fmt::Display) -> String {
    let s = e.to_string();
    let lower = s.to_lowercase();
    if lower.contains("password") || lower.contains("encrypt") {
        return "the workbook is encrypted (password protected); save an unprotected copy to \
                scan it"
            .into();
    }
    s.chars().take(300).collect()
}

impl Book {
    /// Open `path` as `kind`.
    pub fn open(path: &Path, kind: BookKind) -> Result<Book, String> {
        let f = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
        let rs = BufReader::new(f);
        Ok(match kind {
            BookKind::Xlsx => Book::Xlsx(Box::new(Xlsx::new(rs).map_err(msg)?)),
            BookKind::Xls => Book::Xls(Box::new(Xls::new(rs).map_err(msg)?)),
            BookKind::Ods => Book::Ods(Box::new(Ods::new(rs).map_err(msg)?)),
        })
    }

    /// The sheets in workbook order, with type and visibility.
    pub fn sheets(&self) -> Vec<Sheet> {
        match self {
            Book::Xlsx(b) => b.sheets_metadata().to_vec(),
            Book::Xls(b) => b.sheets_metadata().to_vec(),
            Book::Ods(b) => b.sheets_metadata().to_vec(),
        }
    }

    /// Merged ranges calamine knows for xls sheets (xlsx merges come from the guard).
    pub fn xls_merges(&self, sheet: &str) -> Vec<super::guard::Merge> {
        match self {
            Book::Xls(b) => b
                .merge_cells_by_sheet_name(sheet)
                .unwrap_or_default()
                .into_iter()
                .map(|d| super::guard::Merge {
                    top: d.start.0,
                    left: d.start.1,
                    bottom: d.end.0,
                    right: d.end.1,
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Call `f` on every row that has a non-empty cell, in order, with its 0-based row index
    /// and its cells (in column order), until it returns [`Flow::Stop`] or an error.
    pub fn rows(
        &mut self,
        sheet: &str,
        f: &mut dyn FnMut(u32, &[CellText]) -> crate::error::Result<Flow>,
    ) -> Result<crate::error::Result<()>, String> {
        self.rows_where(sheet, &|_| true, f)
    }

    /// [`Book::rows`], but the cells of rows for which `keep` is false are not converted to
    /// text: `f` sees such a row with no cells (a sampled read skips most rows at the cost of
    /// parsing them only).
    pub fn rows_where(
        &mut self,
        sheet: &str,
        keep: &dyn Fn(u32) -> bool,
        f: &mut dyn FnMut(u32, &[CellText]) -> crate::error::Result<Flow>,
    ) -> Result<crate::error::Result<()>, String> {
        match self {
            Book::Xlsx(b) => xlsx_rows(b, sheet, keep, f),
            Book::Xls(b) => {
                let range = b.worksheet_range(sheet).map_err(msg)?;
                Ok(range_rows(&range, keep, f))
            }
            Book::Ods(b) => {
                let range = b.worksheet_range(sheet).map_err(msg)?;
                Ok(range_rows(&range, keep, f))
            }
        }
    }
}

/// The outer `Result` is a workbook error (a message), the inner one the callback's own.
fn xlsx_rows(
    b: &mut Xlsx<Rs>,
    sheet: &str,
    keep: &dyn Fn(u32) -> bool,
    f: &mut dyn FnMut(u32, &[CellText]) -> crate::error::Result<Flow>,
) -> Result<crate::error::Result<()>, String> {
    let mut reader = b.worksheet_cells_reader(sheet).map_err(msg)?;
    let mut row: Vec<CellText> = Vec::new();
    let mut at: Option<u32> = None;
    let mut kept = true;
    while let Some(cell) = reader.next_cell().map_err(msg)? {
        let (r, c) = cell.get_position();
        if c as usize >= MAX_COLUMNS {
            return Err(format!(
                "row {}: a cell in column {} (at most {MAX_COLUMNS} columns are supported)",
                r + 1,
                c + 1
            ));
        }
        if at != Some(r) {
            if let Some(prev) = at
                && (!row.is_empty() || !kept)
            {
                row.sort_by_key(|c| c.0);
                match f(prev, &row) {
                    Ok(Flow::More) => {}
                    Ok(Flow::Stop) => return Ok(Ok(())),
                    Err(e) => return Ok(Err(e)),
                }
            }
            row.clear();
            at = Some(r);
            kept = keep(r);
        }
        if !kept {
            continue;
        }
        if let Some((text, kind)) = cells::from_ref(cell.get_value()) {
            row.push((c, text, kind));
        }
    }
    if let Some(prev) = at
        && (!row.is_empty() || !kept)
    {
        row.sort_by_key(|c| c.0);
        if let Err(e) = f(prev, &row) {
            return Ok(Err(e));
        }
    }
    Ok(Ok(()))
}

fn range_rows(
    range: &calamine::Range<calamine::Data>,
    keep: &dyn Fn(u32) -> bool,
    f: &mut dyn FnMut(u32, &[CellText]) -> crate::error::Result<Flow>,
) -> crate::error::Result<()> {
    let Some((r0, c0)) = range.start() else {
        return Ok(());
    };
    let mut row: Vec<CellText> = Vec::new();
    for (i, cells) in range.rows().enumerate() {
        row.clear();
        let r = r0 + i as u32;
        if !keep(r) {
            if f(r, &row)? == Flow::Stop {
                break;
            }
            continue;
        }
        for (j, v) in cells.iter().enumerate() {
            let c = c0 + j as u32;
            if c as usize >= MAX_COLUMNS {
                break;
            }
            if let Some((text, kind)) = cells::from_data(v) {
                row.push((c, text, kind));
            }
        }
        if !row.is_empty() && f(r, &row)? == Flow::Stop {
            break;
        }
    }
    Ok(())
}
