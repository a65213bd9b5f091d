//! The held-back tail of a CSV stream: total, footnote and blank rows at the end of a file.
//!
//! A spreadsheet saved as CSV keeps what sits below its table: a total row (`Gjithsej`,
//! `Ukupno`, `Total`), footnotes (`Burimi: ASK`, `* paraprake`), blank rows. They are
//! recognised by the rules of the sheet readers ([`header_find::classify_row`]), but only at
//! the very end of the file: a row like `Total,3,4` in the middle is data, as before.
//!
//! A stream therefore delays its rows by [`HELD_ROWS`] + 1: each record read goes into a ring and
//! the oldest one leaves it for the batch. Records are swapped, never copied, and nothing is
//! classified on the way, so a plain CSV costs a swap per row. At the end of the input the
//! ring is judged from its last row backwards: the trailing run of total, footnote and blank
//! rows is dropped (and counted, for the dataset's note), the rest is released in order. The
//! run is dropped only when the file is a published table: a title block above the header, or
//! a footnote in the run. A plain CSV ending in `Gjithsej,M,53` rows (an aggregate table in
//! long form, whose totals are cells of their lines) or in empty rows reads as it always did.
//! A stream that stops before the end (a sample window meeting the next one) releases its
//! ring unjudged.
//!
//! Why 16 rows: the bottom of a published statistics table is a total row or two and a few
//! lines of source, notes and symbol legend, rarely more than ten. A run of such rows longer
//! than the ring is not taken for a tail (the rows stay data, like the sheets' bound), so
//! a long footnote block is read, never part of it. Memory is at most 16 records more.
//!
//! A row with the wrong field count (ragged) is still an error unless it can be part of the
//! tail: a short footnote a script wrote without padding. Such a row is classified as it is
//! read; while one is held, so is every row after it, and the first data row makes the held
//! ragged row the error it always was (same row, same message). One that leaves the ring, or
//! is not in the judged tail, reaches the batch and fails there.
use std::collections::VecDeque;

use csv::ByteRecord;

use crate::source::header_find::{Dropped, RowKind, classify_row, note_marked};

/// Rows a stream holds back until it knows they are not the end of the file.
pub(super) const HELD_ROWS: usize = 16;

/// A record in the ring.
struct Held {
    rec: ByteRecord,
    /// Data-row number.
    row: u64,
    /// Stream offset just past the record.
    end: u64,
    /// The record's field count differs from the header's.
    ragged: bool,
    /// Its kind, when it was classified on the way in.
    kind: Option<RowKind>,
}

/// A row leaving the ring: its number and where it ends.
pub(super) struct Released {
    pub row: u64,
    pub end: u64,
}

/// The ring of held rows (see the module docs). A ring of `cap` rows judges a tail of up to
/// `cap - 1` rows: the row above the tail must still be in it to show where the data ends.
pub(super) struct HeldTail {
    ring: VecDeque<Held>,
    cap: usize,
    /// A row left the ring before the end, so a ring full of tail-like rows may be the end
    /// of a longer run: such a run is data.
    overflowed: bool,
    /// Rows at the front that may leave: all of them once the input has ended.
    ready: usize,
    ended: bool,
    ragged_held: usize,
    dropped: Dropped,
}

impl HeldTail {
    pub(super) fn new(cap: usize) -> Self {
        HeldTail {
            ring: VecDeque::with_capacity(cap),
            cap,
            overflowed: false,
            ready: 0,
            ended: false,
            ragged_held: 0,
            dropped: Dropped::default(),
        }
    }

    /// Whether a ragged row is held (so every row read must be classified).
    pub(super) fn holds_ragged(&self) -> bool {
        self.ragged_held > 0
    }

    /// The first held ragged row: its number and field count.
    pub(super) fn first_ragged(&self) -> Option<(u64, usize)> {
        self.ring
            .iter()
            .find(|h| h.ragged)
            .map(|h| (h.row, h.rec.len()))
    }

    /// Take the record in `rec` (swapping a spare buffer into it). When the ring is full, the
    /// oldest record comes back in `rec`.
    pub(super) fn push(
        &mut self,
        rec: &mut ByteRecord,
        row: u64,
        end: u64,
        ragged: bool,
        kind: Option<RowKind>,
    ) -> Option<Released> {
        let mut slot = if self.ring.len() >= self.cap {
            self.ring.pop_front()
        } else {
            None
        };
        let out = slot.as_ref().map(|h| {
            if h.ragged {
                self.ragged_held -= 1;
            }
            Released {
                row: h.row,
                end: h.end,
            }
        });
        let mut held = slot.take().unwrap_or_else(|| Held {
            rec: ByteRecord::new(),
            row: 0,
            end: 0,
            ragged: false,
            kind: None,
        });
        std::mem::swap(&mut held.rec, rec);
        held.row = row;
        held.end = end;
        held.ragged = ragged;
        held.kind = kind;
        self.ragged_held += usize::from(ragged);
        self.ring.push_back(held);
        if out.is_some() {
            self.overflowed = true;
        }
        out
    }

    /// The input has ended: drop the trailing run of tail rows (`kind` classifies a record),
    /// unless the ring is full of them after rows already left it, or the run has no footnote
    /// and the table no title block (`titled`): total rows at the end of a plain CSV are the
    /// cells of their lines (an aggregate table in long form), as they always were.
    pub(super) fn end_of_input(&mut self, titled: bool, kind: impl Fn(&ByteRecord) -> RowKind) {
        if self.ended {
            return;
        }
        self.ended = true;
        let kinds: Vec<RowKind> = self
            .ring
            .iter()
            .rev()
            .map(|h| h.kind.unwrap_or_else(|| kind(&h.rec)))
            .take_while(|k| *k != RowKind::Data)
            .collect();
        let published = titled || kinds.contains(&RowKind::Footnote);
        if published && !(self.overflowed && kinds.len() == self.ring.len()) {
            for k in kinds {
                self.dropped.add(k);
                self.ring.pop_back();
            }
        }
        self.ready = self.ring.len();
    }

    /// The stream stopped before the end of the input: every held row is data.
    pub(super) fn release_all(&mut self) {
        self.ended = true;
        self.ready = self.ring.len();
    }

    /// The next released row into `rec`, once the input has ended.
    pub(super) fn pop(&mut self, rec: &mut ByteRecord) -> Option<Released> {
        if self.ready == 0 {
            return None;
        }
        let mut h = self.ring.pop_front()?;
        self.ready -= 1;
        std::mem::swap(&mut h.rec, rec);
        Some(Released {
            row: h.row,
            end: h.end,
        })
    }

    /// Whether rows are still held.
    pub(super) fn is_empty(&self) -> bool {
        self.ring.is_empty()
    }

    /// What the judged tail dropped.
    pub(super) fn dropped(&self) -> Dropped {
        self.dropped
    }
}

/// What a CSV row (its fields as text) is at the end of a table of `width` columns: the
/// sheets' rules, plus a ragged row whose first filled cell is a footnote marker. A table of
/// one column has no tail: every row has a single filled cell, so a note cannot be told from
/// a value.
pub(super) fn row_kind<S: AsRef<str>>(cells: &[S], width: usize) -> RowKind {
    if width < 2 {
        return RowKind::Data;
    }
    match classify_row(cells, width) {
        RowKind::Data if cells.len() != width && note_marked(cells) => RowKind::Footnote,
        k => k,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn kind_of(rec: &ByteRecord) -> RowKind {
        let cells: Vec<String> = rec
            .iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect();
        row_kind(&cells, 3)
    }

    /// Push `rows` through a ring of `cap`, end the input, and return the rows released.
    fn run(rows: &[&[&str]], cap: usize) -> (Vec<u64>, Dropped) {
        run_titled(rows, cap, false)
    }

    fn run_titled(rows: &[&[&str]], cap: usize, titled: bool) -> (Vec<u64>, Dropped) {
        let mut t = HeldTail::new(cap);
        let mut out = Vec::new();
        let mut rec = ByteRecord::new();
        for (i, r) in rows.iter().enumerate() {
            rec = ByteRecord::from(r.to_vec());
            if let Some(x) = t.push(&mut rec, i as u64 + 1, 0, r.len() != 3, None) {
                out.push(x.row);
            }
        }
        t.end_of_input(titled, kind_of);
        while let Some(x) = t.pop(&mut rec) {
            out.push(x.row);
        }
        assert!(t.is_empty());
        (out, t.dropped())
    }

    #[test]
    fn trailing_totals_footnotes_and_blanks_are_dropped() {
        let rows: &[&[&str]] = &[
            &["Total", "1", "2"],
            &["Arta", "3", "4"],
            &["Gjithsej", "4", "6"],
            &["", "", ""],
            &["Burimi: ASK", "", ""],
            &["* paraprake"],
        ];
        let (out, d) = run(rows, 16);
        assert_eq!(out, [1, 2]);
        assert_eq!(
            d,
            Dropped {
                totals: 1,
                footnotes: 2,
                blanks: 1
            }
        );
        // The same through a ring smaller than the file.
        assert_eq!(run(rows, 5).0, [1, 2]);
    }

    #[test]
    fn a_run_longer_than_the_ring_is_data() {
        // A ring of 4 judges a tail of up to 3 rows (and the data row above it).
        let mut rows: Vec<&[&str]> = vec![&["Arta", "3", "4"], &["Besa", "5", "6"]];
        rows.extend(std::iter::repeat_n(&["Burimi: x", "", ""][..], 4));
        let (out, d) = run(&rows, 4);
        assert_eq!(out, [1, 2, 3, 4, 5, 6]);
        assert_eq!(d, Dropped::default());
        let (out, d) = run(&rows[..5], 4);
        assert_eq!(out, [1, 2]);
        assert_eq!(d.footnotes, 3);
    }

    #[test]
    fn totals_without_a_footnote_or_title_are_data() {
        // An aggregate table in long form: its totals are cells of their lines.
        let rows: &[&[&str]] = &[&["A", "M", "3"], &["Gjithsej", "M", "3"], &["", "", ""]];
        assert_eq!(run(rows, 16).0, [1, 2, 3]);
        // Below a title block they are a published table's totals.
        let (out, d) = run_titled(rows, 16, true);
        assert_eq!(out, [1]);
        assert_eq!((d.totals, d.blanks), (1, 1));
    }

    #[test]
    fn last_data_rows_are_kept() {
        let (out, d) = run(&[&["Arta", "3", "4"], &["Totaj Berisha", "5", "6"]], 16);
        assert_eq!(out, [1, 2]);
        assert_eq!(d, Dropped::default());
    }

    #[test]
    fn row_kinds_at_the_end() {
        assert_eq!(row_kind(&["Burimi: ASK", " 2024"], 3), RowKind::Footnote);
        assert_eq!(row_kind(&["Burimi: ASK", " 2024", "x"], 3), RowKind::Data);
        assert_eq!(row_kind(&["Prishtinë", "3"], 3), RowKind::Data);
        assert_eq!(row_kind(&["Ukupno", "3"], 3), RowKind::Total);
        // One column: no tail.
        assert_eq!(row_kind(&["Total"], 1), RowKind::Data);
        assert_eq!(row_kind(&["Source: x"], 1), RowKind::Data);
    }
}
