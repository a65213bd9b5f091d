//! Where a table starts and ends inside a sheet or a spreadsheet-style CSV.
//!
//! Published statistics tables put a title block above the header (a title, a subtitle, a unit
//! line, blank rows) and totals and footnotes below the data. Both readers hand the first rows
//! of cells (as text) to [`find_header`] and every later row to a [`Tail`], which holds back
//! total, footnote and blank rows until a data row shows they were not the end.
//!
//! The rules are conservative, because a wrong guess renames every column:
//! - a row above the header is a title row only if it has at most one filled cell (a merged
//!   title cell counts once) and a later row of the window has at least two; the header is the
//!   first row with two or more filled cells, and must have a filled cell that is not a number
//!   (`"1","2"` under a title is data, not a header);
//! - a total row's first filled cell begins with a word of `patterns/tables/total_rows.txt`
//!   (`Gjithsej`, `Ukupno`, `Total`, …); a footnote row has a single filled cell that begins
//!   with a marker of `patterns/tables/footnotes.txt` (`Burimi:`, `Shënim:`, `Source:`, `*`,
//!   …) or is long text (at least [`LONG_NOTE_CHARS`] characters) in a table of at least three
//!   columns. Such rows are dropped only when nothing but such rows (and blank rows) follow.
use std::sync::OnceLock;

use crate::detect::fold::fold;

/// A single cell at least this long, alone on its row below a table of 3+ columns, reads as a
/// footnote ("Të dhënat janë paraprake dhe mund të ndryshojnë …").
pub const LONG_NOTE_CHARS: usize = 60;
/// Rows a [`Tail`] holds back at most; past this the held rows cannot be a table's tail and are
/// released as data (keeps memory bounded on a sheet of a million "Total" rows).
pub const MAX_HELD_ROWS: usize = 1_000;

/// Total-row words and footnote markers, folded.
struct Words {
    totals: Vec<String>,
    notes: Vec<String>,
}

fn words() -> &'static Words {
    static W: OnceLock<Words> = OnceLock::new();
    W.get_or_init(|| {
        let parse = |text: &str| {
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(fold)
                .collect::<Vec<_>>()
        };
        Words {
            totals: parse(include_str!("../../patterns/tables/total_rows.txt")),
            notes: parse(include_str!("../../patterns/tables/footnotes.txt")),
        }
    })
}

/// What a row below the header is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    /// A row of the table.
    Data,
    /// No filled cell.
    Blank,
    /// A total row (`Gjithsej`, `Ukupno`, `Total`, …).
    Total,
    /// A footnote (`Burimi: …`, `* …`, a long single text cell).
    Footnote,
}

fn filled<S: AsRef<str>>(row: &[S]) -> usize {
    row.iter().filter(|c| !c.as_ref().trim().is_empty()).count()
}

fn numeric(s: &str) -> bool {
    let t = s.trim();
    !t.is_empty()
        && t.parse::<f64>().is_ok_and(f64::is_finite)
        && t.bytes().any(|b| b.is_ascii_digit())
}

/// Index of the header row among `rows` (the first rows of a table, blank rows included): 0
/// unless the rows above it are clearly title or note rows (see the module docs).
pub fn find_header<S: AsRef<str>>(rows: &[Vec<S>]) -> usize {
    let Some(first_wide) = rows.iter().position(|r| filled(r) >= 2) else {
        return 0;
    };
    if first_wide == 0 {
        return 0;
    }
    let header = &rows[first_wide];
    if header.iter().all(|c| {
        let c = c.as_ref();
        c.trim().is_empty() || numeric(c)
    }) {
        return 0;
    }
    first_wide
}

/// What `row` is, in a table of `width` columns.
pub fn classify_row<S: AsRef<str>>(row: &[S], width: usize) -> RowKind {
    let mut cells = row
        .iter()
        .map(|c| c.as_ref().trim())
        .filter(|c| !c.is_empty());
    let Some(first) = cells.next() else {
        return RowKind::Blank;
    };
    let single = cells.next().is_none();
    let f = fold(first);
    let w = words();
    let label = f.trim_end_matches([':', '.']).trim();
    if w.totals.iter().any(|t| {
        label == t
            || label
                .strip_prefix(t.as_str())
                .is_some_and(|r| r.starts_with(' '))
    }) {
        return RowKind::Total;
    }
    if single {
        let marked = w.notes.iter().any(|m| f.starts_with(m.as_str()));
        if marked || (width >= 3 && first.chars().count() >= LONG_NOTE_CHARS) {
            return RowKind::Footnote;
        }
    }
    RowKind::Data
}

/// Whether the first filled cell of `row` begins with a footnote marker (`Burimi:`, `*`, …),
/// whatever else the row holds. A CSV row shorter than the header (a footnote a script wrote
/// without padding, `Burimi: ASK, 2024` split at its comma) is a footnote by this alone.
pub fn note_marked<S: AsRef<str>>(row: &[S]) -> bool {
    row.iter()
        .map(|c| c.as_ref().trim())
        .find(|c| !c.is_empty())
        .is_some_and(|first| {
            let f = fold(first);
            words().notes.iter().any(|m| f.starts_with(m.as_str()))
        })
}

/// Rows dropped at the end of a table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Dropped {
    /// Total rows.
    pub totals: usize,
    /// Footnote rows.
    pub footnotes: usize,
    /// Blank rows (CSV only: a sheet skips blank rows wherever they are, a CSV keeps them
    /// above its tail, so it says how many it dropped).
    pub blanks: usize,
}

/// Holds back rows that may be a table's tail (totals, footnotes, blank rows) until a data row
/// follows them; see the module docs.
#[derive(Debug)]
pub struct Tail<T> {
    width: usize,
    held: Vec<(RowKind, T)>,
}

impl<T> Tail<T> {
    /// A tail tracker for a table of `width` columns.
    pub fn new(width: usize) -> Self {
        Tail {
            width,
            held: Vec::new(),
        }
    }

    /// Offer a row (`cells` as text, `row` what the caller keeps). Returns the rows that are
    /// data for sure, in order; blank rows are never returned.
    pub fn push<S: AsRef<str>>(&mut self, cells: &[S], row: T) -> Vec<T> {
        let kind = classify_row(cells, self.width);
        self.push_kind(kind, row)
    }

    /// [`Tail::push`] for a row already classified by [`classify_row`] (with [`Tail::width`]).
    pub fn push_kind(&mut self, kind: RowKind, row: T) -> Vec<T> {
        match kind {
            RowKind::Data => {
                let mut out: Vec<T> = std::mem::take(&mut self.held)
                    .into_iter()
                    .filter(|(k, _)| *k != RowKind::Blank)
                    .map(|(_, r)| r)
                    .collect();
                out.push(row);
                out
            }
            _ => {
                self.held.push((kind, row));
                if self.held.len() > MAX_HELD_ROWS {
                    return std::mem::take(&mut self.held)
                        .into_iter()
                        .filter(|(k, _)| *k != RowKind::Blank)
                        .map(|(_, r)| r)
                        .collect();
                }
                Vec::new()
            }
        }
    }

    /// The table width rows are classified with.
    pub fn width(&self) -> usize {
        self.width
    }

    /// The end of the rows: what was held back is the tail and is dropped.
    pub fn finish(self) -> Dropped {
        let mut d = Dropped::default();
        for (k, _) in &self.held {
            if *k != RowKind::Blank {
                d.add(*k);
            }
        }
        d
    }
}

impl Dropped {
    /// Count one dropped row of `kind`.
    pub fn add(&mut self, kind: RowKind) {
        match kind {
            RowKind::Total => self.totals += 1,
            RowKind::Footnote => self.footnotes += 1,
            RowKind::Blank => self.blanks += 1,
            RowKind::Data => {}
        }
    }

    /// Add the counts of `other`.
    pub fn merge(&mut self, other: Dropped) {
        self.totals += other.totals;
        self.footnotes += other.footnotes;
        self.blanks += other.blanks;
    }

    /// A note for the dataset, `None` when nothing was dropped.
    pub fn note(&self) -> Option<String> {
        let (t, f, b) = (self.totals, self.footnotes, self.blanks);
        let rows = match b {
            0 => format!("{t} total row(s) and {f} footnote row(s)"),
            b => format!("{t} total row(s), {f} footnote row(s) and {b} blank row(s)"),
        };
        (t + f + b > 0).then(|| format!("{rows} below the table were not read as data"))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn rows(v: &[&[&str]]) -> Vec<Vec<String>> {
        v.iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect()
    }

    #[test]
    fn header_below_title_block() {
        let r = rows(&[
            &["Tabela 3. Popullsia sipas komunës", "", ""],
            &["Burimi: ASK", "", ""],
            &["", "", ""],
            &["Komuna", "Meshkuj", "Femra"],
            &["Prishtinë", "100", "110"],
        ]);
        assert_eq!(find_header(&r), 3);
    }

    #[test]
    fn plain_tables_start_at_row_zero() {
        assert_eq!(find_header(&rows(&[&["a", "b"], &["1", "2"]])), 0);
        // One column throughout: nothing to tell a title from a header.
        assert_eq!(find_header(&rows(&[&["emri"], &["Arta"], &["Besa"]])), 0);
        // A header with one empty name over numbers: the row below is data, not a header.
        assert_eq!(find_header(&rows(&[&["x", ""], &["1", "2"]])), 0);
        // Years as headers under a title are a header.
        assert_eq!(
            find_header(&rows(&[
                &["Title"],
                &["Komuna", "2019", "2020"],
                &["A", "1", "2"]
            ])),
            1
        );
        assert_eq!(find_header::<String>(&[]), 0);
    }

    #[test]
    fn totals_and_footnotes() {
        assert_eq!(classify_row(&["Gjithsej", "10", "20"], 3), RowKind::Total);
        assert_eq!(classify_row(&["GJITHSEJT:", "10"], 3), RowKind::Total);
        assert_eq!(classify_row(&["Ukupno", "1"], 2), RowKind::Total);
        assert_eq!(classify_row(&["Всего", "1"], 2), RowKind::Total);
        assert_eq!(classify_row(&["Grand total", "1"], 2), RowKind::Total);
        assert_eq!(classify_row(&["Burimi: ASK", "", ""], 3), RowKind::Footnote);
        assert_eq!(classify_row(&["Shënim: paraprake"], 3), RowKind::Footnote);
        assert_eq!(
            classify_row(&["* të dhëna paraprake"], 3),
            RowKind::Footnote
        );
        assert_eq!(classify_row(&["", "", ""], 3), RowKind::Blank);
        // Near misses: a name starting like a total word, a short single cell.
        assert_eq!(classify_row(&["Totaj Berisha", "1"], 2), RowKind::Data);
        assert_eq!(classify_row(&["Sumaja", "1"], 2), RowKind::Data);
        assert_eq!(classify_row(&["Prishtinë", ""], 3), RowKind::Data);
        let long = "x".repeat(LONG_NOTE_CHARS);
        assert_eq!(classify_row(&[long.as_str()], 3), RowKind::Footnote);
        assert_eq!(classify_row(&[long.as_str()], 2), RowKind::Data);
    }

    #[test]
    fn tail_drops_only_the_end() {
        let mut t = Tail::new(3);
        let mut out = Vec::new();
        for (i, r) in [
            vec!["a", "1", "2"],
            vec!["Gjithsej", "1", "2"],
            vec!["b", "3", "4"],
            vec!["", "", ""],
            vec!["Gjithsej", "4", "6"],
            vec!["", "", ""],
            vec!["Burimi: ASK", "", ""],
        ]
        .iter()
        .enumerate()
        {
            out.extend(t.push(r, i));
        }
        assert_eq!(out, vec![0, 1, 2]);
        let d = t.finish();
        assert_eq!(
            d,
            Dropped {
                totals: 1,
                footnotes: 1,
                blanks: 0
            }
        );
        assert!(d.note().is_some());
    }

    #[test]
    fn tail_memory_is_bounded() {
        let mut t = Tail::new(2);
        let mut released = 0;
        for i in 0..(MAX_HELD_ROWS * 3) {
            released += t.push(&["Total", "1"], i).len();
        }
        assert!(released >= MAX_HELD_ROWS * 2);
    }
}
