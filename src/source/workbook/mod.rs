//! Workbooks: `.xlsx`, `.xlsm`, `.xls` and `.ods` (read with calamine). Every worksheet is one
//! dataset, named `file.xlsx#Sheet name`; chart sheets are skipped.
//!
//! A sheet is read in three steps:
//! 1. [`guard`] checks the container (encrypted, truncated, zip bomb, absurd dimension claims)
//!    and collects hidden columns and merged ranges, which calamine does not expose (xlsx
//!    sheet parts; an ods `content.xml`'s column visibility; xls keeps none we can read);
//! 2. [`layout`] reads the first [`layout::HEAD_ROWS`] rows and finds the header below any
//!    title block ([`crate::source::header_find`]), joins a two-row header under merged cells
//!    ("Adresa" over "Rruga"/"Qyteti" → `Adresa Rruga`, `Adresa Qyteti`), and fixes the
//!    table's columns (empty columns left and right of the table are dropped);
//! 3. a reader thread streams the rows ([`book`]) below the header into batches, filling
//!    merged cells with their value, holding back total and footnote rows until a data row
//!    follows them (those at the bottom are dropped, with a note), and skipping blank rows.
//!
//! Cells become text as a CSV export of the sheet would hold them ([`cells`]); every column is
//! Utf8, tagged with a type hint ([`CELL_TYPE_KEY`]: `number`, `date`, `datetime`, `bool`,
//! `text`) that the workbook writer uses to write numbers and dates back as such. Hidden
//! sheets and columns are read like the others and marked ([`HIDDEN_KEY`]).
//!
//! Sampling (`sample_rows = Some(n)`) on an xlsx sheet whose dimension tag gives its height
//! takes 16 windows of about `n / 16` rows at evenly spaced rows; the sheet's XML is still
//! parsed to its end (an xlsx sheet has no row index to seek by), so the row count is exact.
//! xls and ods sheets are read whole.
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use arrow_schema::{DataType, Field, Schema, SchemaRef};

use super::producer::{Emit, Producer, ProducerSource};
use super::{DatasetInfo, Format, ReadOptions, Source, table_selected};
use crate::error::{Error, Location, Result};

pub mod book;
pub mod cells;
pub mod guard;
pub mod layout;
mod stream;

use book::{Book, CellText, Flow};
use guard::{BookKind, SheetMeta};
use layout::Layout;

/// Field metadata key: the column's cell type hint (`number`, `date`, `datetime`, `bool`,
/// `text`, `error`).
pub const CELL_TYPE_KEY: &str = "anonkos.cell_type";
/// Field and schema metadata key: `true` on a hidden column, and on the schema of a hidden
/// sheet.
pub const HIDDEN_KEY: &str = "anonkos.hidden";
/// Most sheets read from one workbook (Excel itself allows as many as memory does).
pub const MAX_SHEETS: usize = 1_000;

/// Whether the [`HIDDEN_KEY`] value of field or schema metadata marks a hidden column or
/// sheet.
pub fn is_hidden(value: Option<&String>) -> bool {
    value.is_some_and(|v| v == "true")
}

/// Whether a file name is a workbook's.
pub fn is_workbook_name(name: &str) -> bool {
    let n = name.to_lowercase();
    [".xlsx", ".xlsm", ".xls", ".ods"]
        .iter()
        .any(|e| n.ends_with(e))
}

/// Workbooks opened by earlier steps, handed to the next sheet's reader (opening one parses
/// its shared strings and styles again).
struct Pool {
    path: PathBuf,
    kind: BookKind,
    idle: Mutex<Vec<Book>>,
}

impl Pool {
    fn take(&self) -> std::result::Result<Book, String> {
        let idle = self.idle.lock().ok().and_then(|mut v| v.pop());
        match idle {
            Some(b) => Ok(b),
            None => Book::open(&self.path, self.kind),
        }
    }

    fn put(&self, b: Book) {
        if let Ok(mut v) = self.idle.lock()
            && v.is_empty()
        {
            v.push(b);
        }
    }
}

/// Open every worksheet of the workbook at `path`.
pub fn open(path: &Path, display: &str, opts: &ReadOptions) -> Result<Vec<Box<dyn Source>>> {
    let file_loc = Location::dataset(display);
    let bad = |m: String| Error::input(file_loc.clone(), m);
    let kind = guard::container(path).map_err(bad)?;
    let mut metas: Vec<(String, SheetMeta)> = Vec::new();
    match kind {
        BookKind::Xlsx => {
            let mut zip = guard::open_zip(path).map_err(bad)?;
            guard::drain_part(&mut zip, "xl/sharedStrings.xml").map_err(bad)?;
            guard::drain_part(&mut zip, "xl/styles.xml").map_err(bad)?;
            for (name, part) in guard::xlsx_sheet_parts(&mut zip).map_err(bad)? {
                if !table_selected(&name, opts) {
                    continue;
                }
                let meta = guard::xlsx_sheet(&mut zip, &part)
                    .map_err(|m| Error::input(sheet_loc(display, &name), m))?;
                metas.push((name, meta));
            }
        }
        BookKind::Ods => {
            let mut zip = guard::open_zip(path).map_err(bad)?;
            metas = guard::ods_sheets(&mut zip).map_err(bad)?;
        }
        BookKind::Xls => {}
    }
    let mut book = Book::open(path, kind).map_err(bad)?;
    let sheets: Vec<_> = book
        .sheets()
        .into_iter()
        .filter(|s| s.typ == calamine::SheetType::WorkSheet && table_selected(&s.name, opts))
        .collect();
    if sheets.len() > MAX_SHEETS {
        return Err(bad(format!(
            "the workbook has {} sheets to read; at most {MAX_SHEETS} are supported (choose \
             some with --include or --exclude)",
            sheets.len()
        )));
    }
    let pool = Arc::new(Pool {
        path: path.to_path_buf(),
        kind,
        idle: Mutex::new(Vec::new()),
    });
    let mut out: Vec<Box<dyn Source>> = Vec::new();
    for sheet in sheets {
        let mut meta = metas
            .iter()
            .find(|(n, _)| *n == sheet.name)
            .map(|(_, m)| m.clone())
            .unwrap_or_default();
        if kind == BookKind::Xls {
            meta.merges = book.xls_merges(&sheet.name);
        }
        let loc = sheet_loc(display, &sheet.name);
        let head = read_head(&mut book, &sheet.name, &loc)?;
        let Some(layout) = layout::decide(&head, &meta) else {
            continue; // An empty sheet holds no dataset.
        };
        let mut notes = vec![format!("{} workbook, sheet '{}'", kind.name(), sheet.name)];
        if sheet.visible != calamine::SheetVisible::Visible {
            notes.push("hidden sheet (read and scanned like the others)".into());
        }
        notes.extend(layout.notes.iter().cloned());
        let hidden: Vec<&str> = layout
            .names
            .iter()
            .zip(&layout.hidden)
            .filter(|(_, h)| **h)
            .map(|(n, _)| n.as_str())
            .collect();
        if !hidden.is_empty() {
            notes.push(format!(
                "hidden column(s) read and scanned: {}",
                hidden.join(", ")
            ));
        }
        if meta.merges_truncated {
            notes.push(format!(
                "more than {} merged ranges: the rest are not filled",
                guard::MAX_MERGES
            ));
        }
        if kind != BookKind::Xlsx {
            notes.push(format!(
                "{} sheets are read whole into memory (no streaming reader)",
                kind.name()
            ));
        }
        let info = DatasetInfo {
            source: display.to_string(),
            table: Some(sheet.name.clone()),
            format: Format::Workbook,
            notes,
        };
        let schema = schema_of(&layout, sheet.visible != calamine::SheetVisible::Visible);
        out.push(Box::new(sheet_source(
            info, schema, layout, meta, opts, &pool,
        )));
    }
    pool.put(book);
    Ok(out)
}

fn sheet_loc(display: &str, sheet: &str) -> Location {
    Location::dataset(format!("{display}#{sheet}"))
}

fn read_head(book: &mut Book, sheet: &str, loc: &Location) -> Result<Vec<(u32, Vec<CellText>)>> {
    let mut head: Vec<(u32, Vec<CellText>)> = Vec::new();
    let res = book.rows(sheet, &mut |r, cells| {
        head.push((r, cells.to_vec()));
        Ok(if head.len() >= layout::HEAD_ROWS {
            Flow::Stop
        } else {
            Flow::More
        })
    });
    match res {
        Ok(inner) => inner?,
        Err(m) => return Err(Error::input(loc.clone(), m)),
    }
    Ok(head)
}

fn schema_of(layout: &Layout, hidden_sheet: bool) -> SchemaRef {
    let fields: Vec<Field> = layout
        .names
        .iter()
        .enumerate()
        .map(|(j, n)| {
            let mut m = std::collections::HashMap::from([(
                CELL_TYPE_KEY.to_string(),
                layout.hints[j].name().to_string(),
            )]);
            if layout.hidden[j] {
                m.insert(HIDDEN_KEY.to_string(), "true".to_string());
            }
            Field::new(n.as_str(), DataType::Utf8, true).with_metadata(m)
        })
        .collect();
    let mut schema = Schema::new(fields);
    if hidden_sheet {
        schema = schema.with_metadata(std::collections::HashMap::from([(
            HIDDEN_KEY.to_string(),
            "true".to_string(),
        )]));
    }
    Arc::new(schema)
}

fn sheet_source(
    info: DatasetInfo,
    schema: SchemaRef,
    layout: Layout,
    meta: SheetMeta,
    opts: &ReadOptions,
    pool: &Arc<Pool>,
) -> ProducerSource {
    let sheet = info.table.clone().unwrap_or_default();
    let header_rows = layout
        .header_end
        .map_or(u64::from(layout.data_from), |h| u64::from(h) + 1);
    let sample = match (opts.sample_rows, meta.claimed_rows) {
        (Some(n), Some(claimed)) => {
            let est = claimed.saturating_sub(header_rows);
            (est > 4 * n as u64).then_some((est, n as u64))
        }
        _ => None,
    };
    let mut merges = meta.merges;
    merges.sort_by_key(|m| (m.top, m.left));
    let plan = stream::Plan {
        layout,
        merges,
        batch_rows: opts.batch_rows.max(1),
        sample,
        loc: info.location(),
        schema: schema.clone(),
    };
    let pool = pool.clone();
    let producer = Producer::new(format!("sheet-{sheet}"), move |emit: &Emit| {
        let mut book = pool.take().map_err(|m| Error::input(plan.loc.clone(), m))?;
        let res = stream::run(&mut book, &sheet, &plan, emit);
        pool.put(book);
        res
    });
    ProducerSource::new(info, schema, producer)
}
