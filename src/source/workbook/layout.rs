//! A sheet's table layout, decided from its first rows: where the header is, which columns the
//! table spans, what the columns are called, their type hints and which are hidden.
use super::book::CellText;
use super::cells::{self, Kind};
use super::guard::{Merge, SheetMeta};
use crate::source::header_find::find_header;

/// Rows looked at to find the header and the table's columns.
pub const HEAD_ROWS: usize = 200;

/// Where the table of a sheet is.
#[derive(Debug, Clone)]
pub struct Layout {
    /// 0-based sheet row of the last header row; data starts below it. `None`: no header, data
    /// starts at `data_from`.
    pub header_end: Option<u32>,
    /// First data row (0-based sheet row) when there is no header.
    pub data_from: u32,
    /// First column of the table (0-based).
    pub first_col: u32,
    /// Column names (unique, non-empty).
    pub names: Vec<String>,
    /// Type hints per column.
    pub hints: Vec<Kind>,
    /// Hidden columns.
    pub hidden: Vec<bool>,
    /// How the layout was found.
    pub notes: Vec<String>,
}

impl Layout {
    /// Number of columns.
    pub fn width(&self) -> usize {
        self.names.len()
    }
}

/// The merged range whose top-left cell is (`row`, `col`) and spans several columns.
fn wide_merge_at(merges: &[Merge], row: u32, col: u32) -> Option<&Merge> {
    merges
        .iter()
        .find(|m| m.top == row && m.left == col && m.right > m.left)
}

/// Decide the layout from `head` (the first rows with a non-empty cell, as `(row, cells)`).
/// `None` when the sheet has no cells.
pub fn decide(head: &[(u32, Vec<CellText>)], meta: &SheetMeta) -> Option<Layout> {
    let max_col = head.iter().flat_map(|(_, c)| c.iter().map(|c| c.0)).max()?;
    let dense: Vec<Vec<String>> = head
        .iter()
        .map(|(_, cells)| {
            let mut row = vec![String::new(); max_col as usize + 1];
            for (c, text, _) in cells {
                row[*c as usize] = text.clone();
            }
            row
        })
        .collect();
    let h = find_header(&dense);
    let mut notes = Vec::new();
    if h > 0 {
        notes.push(format!(
            "header found on sheet row {} below {h} title or note row(s)",
            head[h].0 + 1
        ));
    }
    let header_row = head[h].0;
    // A second header row under a header cell merged across columns ("Adresa" over
    // "Rruga" / "Qyteti"): every filled cell of the row below lies under such a merge, and
    // at least one does (a data row fills columns outside the merges too).
    let under_merge = |c: u32| {
        meta.merges
            .iter()
            .any(|m| m.top == header_row && m.right > m.left && (m.left..=m.right).contains(&c))
    };
    let two_rows = head.get(h + 1).is_some_and(|(r, cells)| {
        *r == header_row + 1 && !cells.is_empty() && cells.iter().all(|(c, _, _)| under_merge(*c))
    });
    let data_start = h + 1 + usize::from(two_rows);
    let rows_from_header: Vec<Vec<String>> = dense[h..].to_vec();
    let has_header = crate::source::csv::looks_like_header(&rows_from_header) || two_rows || h > 0;
    let table_rows = &head[h..];
    let first_col = table_rows
        .iter()
        .flat_map(|(_, c)| c.iter().map(|c| c.0))
        .min()
        .unwrap_or(0);
    let last_col = table_rows
        .iter()
        .flat_map(|(_, c)| c.iter().map(|c| c.0))
        .max()
        .unwrap_or(0);
    let width = (last_col - first_col + 1) as usize;
    let names = if has_header {
        header_names(&dense, h, two_rows, header_row, first_col, width, meta)
    } else {
        notes.push(format!("no header row; columns named col1..col{width}"));
        (1..=width).map(|j| format!("col{j}")).collect()
    };
    if two_rows {
        notes.push("two header rows (merged header cells) joined into column names".into());
    }
    let data = if has_header {
        head.get(data_start..).unwrap_or(&[])
    } else {
        &head[h..]
    };
    let hints = (0..width)
        .map(|j| {
            let col = first_col + j as u32;
            cells::column_hint(data.iter().filter_map(|(_, cells)| {
                cells
                    .iter()
                    .find(|c| c.0 == col)
                    .map(|(_, t, k)| (t.as_str(), *k))
            }))
        })
        .collect();
    let hidden: Vec<bool> = (0..width)
        .map(|j| {
            meta.hidden_cols
                .binary_search(&(first_col + j as u32))
                .is_ok()
        })
        .collect();
    Some(Layout {
        header_end: has_header.then_some(header_row + u32::from(two_rows)),
        data_from: head[h].0,
        first_col,
        names,
        hints,
        hidden,
        notes,
    })
}

fn header_names(
    dense: &[Vec<String>],
    h: usize,
    two_rows: bool,
    header_row: u32,
    first_col: u32,
    width: usize,
    meta: &SheetMeta,
) -> Vec<String> {
    let cell = |r: usize, c: u32| {
        dense
            .get(r)
            .and_then(|row| row.get(c as usize))
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    // The value of a header cell, spread over its merged span.
    let mut parent: Vec<(String, bool)> = Vec::with_capacity(width);
    let mut j = 0;
    while j < width {
        let col = first_col + j as u32;
        match wide_merge_at(&meta.merges, header_row, col) {
            Some(m) => {
                let v = cell(h, col);
                let span = (m.right - col + 1) as usize;
                for _ in 0..span.min(width - j) {
                    parent.push((v.clone(), true));
                }
                j += span;
            }
            None => {
                parent.push((cell(h, col), false));
                j += 1;
            }
        }
    }
    let raw: Vec<String> = parent
        .into_iter()
        .enumerate()
        .map(|(j, (p, spanned))| {
            let child = if two_rows {
                cell(h + 1, first_col + j as u32)
            } else {
                String::new()
            };
            match (p.is_empty(), child.is_empty()) {
                (false, false) if spanned => format!("{p} {child}"),
                (false, false) => p,
                (true, false) => child,
                _ => p,
            }
        })
        .collect();
    crate::source::csv::unique_names(raw)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn row(r: u32, cells: &[(u32, &str)]) -> (u32, Vec<CellText>) {
        (
            r,
            cells
                .iter()
                .map(|(c, t)| {
                    let k = if t.parse::<f64>().is_ok() {
                        Kind::Number
                    } else {
                        Kind::Text
                    };
                    (*c, t.to_string(), k)
                })
                .collect(),
        )
    }

    #[test]
    fn title_block_and_merged_header() {
        let head = vec![
            row(0, &[(0, "Tabela 1. Banorët")]),
            row(2, &[(0, "Emri"), (1, "Adresa"), (3, "Mosha")]),
            row(3, &[(1, "Rruga"), (2, "Qyteti")]),
            row(4, &[(0, "Arta"), (1, "Rr. A"), (2, "Prishtinë"), (3, "34")]),
            row(5, &[(0, "Besa"), (1, "Rr. B"), (2, "Pejë"), (3, "41")]),
        ];
        let meta = SheetMeta {
            merges: vec![
                Merge {
                    top: 0,
                    left: 0,
                    bottom: 0,
                    right: 3,
                },
                Merge {
                    top: 2,
                    left: 1,
                    bottom: 2,
                    right: 2,
                },
                Merge {
                    top: 2,
                    left: 0,
                    bottom: 3,
                    right: 0,
                },
            ],
            hidden_cols: vec![3],
            ..SheetMeta::default()
        };
        let l = decide(&head, &meta).unwrap();
        assert_eq!(l.names, ["Emri", "Adresa Rruga", "Adresa Qyteti", "Mosha"]);
        assert_eq!(l.header_end, Some(3));
        assert_eq!(l.hidden, [false, false, false, true]);
        assert_eq!(l.hints[3], Kind::Number);
        assert_eq!(l.hints[0], Kind::Text);
    }

    #[test]
    fn merged_header_without_sub_row_stays_unique() {
        let head = vec![
            row(0, &[(0, "Adresa"), (2, "Mosha")]),
            row(1, &[(0, "Rr. A"), (1, "Prishtinë"), (2, "34")]),
        ];
        let meta = SheetMeta {
            merges: vec![Merge {
                top: 0,
                left: 0,
                bottom: 0,
                right: 1,
            }],
            ..SheetMeta::default()
        };
        let l = decide(&head, &meta).unwrap();
        assert_eq!(l.names, ["Adresa", "Adresa_2", "Mosha"]);
    }

    #[test]
    fn headerless_and_empty() {
        let head = vec![row(0, &[(0, "1"), (1, "2")]), row(1, &[(0, "3"), (1, "4")])];
        let l = decide(&head, &SheetMeta::default()).unwrap();
        assert_eq!(l.header_end, None);
        assert_eq!(l.names, ["col1", "col2"]);
        assert!(decide(&[], &SheetMeta::default()).is_none());
    }
}
