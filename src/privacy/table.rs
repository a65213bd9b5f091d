//! First pass: encode quasi-identifier and sensitive values to integer codes and count the
//! distinct combinations. Memory grows with distinct combinations, not with rows.
use crate::detect::hash::{FxHashMap as HashMap, hash_bytes};
use std::sync::Arc;

use super::Hierarchy;
use super::tally::Tally;

/// Interns the values of one column in one contiguous buffer: a lookup touches a small
/// table of codes and that buffer, not a heap string per value (the first pass looks up
/// every QI and sensitive cell of every row). Values of up to [`SHORT`] bytes (sexes,
/// municipalities, dates, codes: most QI cells) are found by their bytes packed in two
/// words instead, with no memory compare and no trip to the buffer.
#[derive(Debug, Default, Clone)]
struct Interner {
    table: hashbrown::HashTable<u32>,
    short: HashMap<[u64; 2], u32>,
    /// `ends[c]`: where value `c` ends in `arena`.
    ends: Vec<usize>,
    arena: String,
}

/// Longest value [`Interner`] keys by its packed bytes: 15 bytes and the length fill two
/// words, so two different values never share a key.
const SHORT: usize = 15;

/// `v`'s bytes in two little-endian words, zero-padded, its length in the last byte.
#[inline]
fn packed(v: &[u8]) -> [u64; 2] {
    let mut b = [0u8; 16];
    b[..v.len()].copy_from_slice(v);
    b[15] = v.len() as u8;
    let (lo, hi) = b.split_at(8);
    let word = |s: &[u8]| {
        let mut w = [0u8; 8];
        w.copy_from_slice(s);
        u64::from_le_bytes(w)
    };
    [word(lo), word(hi)]
}

fn interned<'a>(arena: &'a str, ends: &[usize], c: u32) -> &'a str {
    let c = c as usize;
    let start = if c == 0 { 0 } else { ends[c - 1] };
    &arena[start..ends[c]]
}

impl Interner {
    fn code(&mut self, v: &str) -> u32 {
        if v.len() <= SHORT {
            let key = packed(v.as_bytes());
            if let Some(&c) = self.short.get(&key) {
                return c;
            }
            let c = self.push(v);
            self.short.insert(key, c);
            return c;
        }
        let h = hash_bytes(v.as_bytes());
        let Interner {
            table, ends, arena, ..
        } = self;
        if let Some(&c) = table.find(h, |&c| interned(arena, ends, c) == v) {
            return c;
        }
        let c = self.push(v);
        let Interner {
            table, ends, arena, ..
        } = self;
        table.insert_unique(h, c, |&c| hash_bytes(interned(arena, ends, c).as_bytes()));
        c
    }

    /// Append a new value; its code.
    fn push(&mut self, v: &str) -> u32 {
        let c = self.ends.len() as u32;
        self.arena.push_str(v);
        self.ends.push(self.arena.len());
        c
    }

    fn get(&self, c: u32) -> &str {
        interned(&self.arena, &self.ends, c)
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    fn clear(&mut self) {
        self.table.clear();
        self.short.clear();
        self.ends.clear();
        self.arena.clear();
    }
}

/// The level at which the first pass counts one quasi-identifier.
///
/// A pipeline rule that generalises a QI (birth dates to 5-year bands) fixes the lowest level
/// the search may choose, so finer values never reach the output: counting them would only
/// make the class table grow with the rows (nearly every full birth date × municipality ×
/// diagnosis is unique). Counting at the rule's level bounds the table by the distinct
/// generalised combinations.
#[derive(Debug, Clone)]
pub enum Floor {
    /// The values as they are (level 0).
    Original,
    /// Each value is generalised to `level` of `hierarchy` before it is counted.
    Level {
        /// The QI's hierarchy.
        hierarchy: Arc<Hierarchy>,
        /// The rule's level (≥ 1).
        level: usize,
    },
    /// The values are already labels of `level` (merging shard summaries); the labels above
    /// come with them ([`Encoder::add_upper`]).
    Labelled(usize),
}

impl Floor {
    /// The level values are counted at.
    pub fn level(&self) -> usize {
        match self {
            Floor::Original => 0,
            Floor::Level { level, .. } | Floor::Labelled(level) => *level,
        }
    }
}

/// Raw values remembered per generalised QI; beyond this the memo starts afresh, so a QI
/// whose raw values are unique per row (timestamps) cannot make memory grow with the rows.
pub(crate) const MEMO_CAP: usize = 1 << 20;

/// One column of the encoder.
#[derive(Debug, Clone)]
struct Column {
    interner: Interner,
    floor: Floor,
    /// `upper[code]`: the labels of the levels above the floor, top (`*`) last.
    upper: Vec<Vec<String>>,
    /// Raw values seen (only for [`Floor::Level`]) …
    memo: Interner,
    /// … and the code of each at the floor.
    memo_codes: Vec<u32>,
    /// For the built-in date hierarchy, instead of the memo: the code at the floor of each
    /// month (`year × 12 + month`) seen. Every label above level 0 depends only on the year
    /// and month a date parses to ([`Hierarchy::is_date`]), and a birth-date column has tens
    /// of thousands of raw values but only a thousand months: a table that stays in cache
    /// instead of one missed for nearly every row.
    months: Option<HashMap<i32, u32>>,
    /// Rows whose value the hierarchy does not know.
    missing: u64,
}

impl Column {
    fn new(floor: Floor) -> Column {
        let months = match &floor {
            Floor::Level { hierarchy, .. } if hierarchy.is_date() => Some(HashMap::default()),
            _ => None,
        };
        Column {
            interner: Interner::default(),
            floor,
            upper: Vec::new(),
            memo: Interner::default(),
            memo_codes: Vec::new(),
            months,
            missing: 0,
        }
    }

    /// The code of `v` at the column's floor, `None` when the hierarchy does not know it.
    fn code(&mut self, v: &str) -> Option<u32> {
        if !matches!(self.floor, Floor::Level { .. }) {
            return Some(self.interner.code(v));
        }
        let c = if self.months.is_some() {
            self.code_date(v)
        } else {
            self.code_memo(v)
        };
        if c.is_none() {
            self.missing += 1;
        }
        c
    }

    /// [`Column::code`] through the memo of raw values.
    fn code_memo(&mut self, v: &str) -> Option<u32> {
        let raw = self.memo.code(v);
        if let Some(&c) = self.memo_codes.get(raw as usize) {
            return (c != UNKNOWN).then_some(c);
        }
        let c = self.generalise(v);
        self.memo_codes.push(c.unwrap_or(UNKNOWN));
        if self.memo.len() >= MEMO_CAP {
            self.memo.clear();
            self.memo_codes.clear();
        }
        c
    }

    /// [`Column::code`] of a date, through the memo of months.
    fn code_date(&mut self, v: &str) -> Option<u32> {
        use chrono::Datelike;
        let d = crate::detect::validators::date::parse(v)?;
        let month = d.year() * 12 + d.month0() as i32;
        if let Some(&c) = self.months.as_ref().and_then(|m| m.get(&month)) {
            return Some(c);
        }
        let c = self.generalise(v)?;
        if let Some(m) = &mut self.months {
            m.insert(month, c);
        }
        Some(c)
    }

    /// The code at the floor of a value not met before: its label there, from the
    /// hierarchy, with the labels above it kept for the search.
    fn generalise(&mut self, v: &str) -> Option<u32> {
        let Floor::Level { hierarchy, level } = &self.floor else {
            return Some(self.interner.code(v));
        };
        let level = *level;
        let mut chain = hierarchy.chain(v).filter(|c| level <= c.len())?;
        let upper = chain.split_off(level);
        let label = chain.pop().unwrap_or_default();
        let c = self.interner.code(&label);
        if c as usize == self.upper.len() {
            self.upper.push(upper);
        }
        Some(c)
    }
}

/// The memo's mark for a raw value its hierarchy does not cover.
const UNKNOWN: u32 = u32::MAX;

/// Accumulates rows (QI values then sensitive values) into a [`ClassTable`].
#[derive(Debug, Clone)]
pub struct Encoder {
    qi: Vec<String>,
    sensitive: Vec<String>,
    cols: Vec<Column>,
    counts: Tally,
    /// One row's codes (reused).
    row: Vec<u32>,
    rows: u64,
}

impl Encoder {
    /// An encoder for these quasi-identifiers and sensitive attributes, every value counted
    /// as it is.
    pub fn new(qi: Vec<String>, sensitive: Vec<String>) -> Encoder {
        let floors = vec![Floor::Original; qi.len()];
        Encoder::with_floors(qi, sensitive, floors)
    }

    /// An encoder that counts each QI at its floor (`floors[i]` for `qi[i]`).
    pub fn with_floors(qi: Vec<String>, sensitive: Vec<String>, floors: Vec<Floor>) -> Encoder {
        let n = qi.len() + sensitive.len();
        let mut cols: Vec<Column> = floors.into_iter().map(Column::new).collect();
        cols.resize_with(n, || Column::new(Floor::Original));
        Encoder {
            qi,
            sensitive,
            cols,
            counts: Tally::new(n),
            row: Vec::with_capacity(n),
            rows: 0,
        }
    }

    /// Add one row: `values` holds the QI values, then the sensitive values, in order.
    pub fn push<'a>(&mut self, values: impl IntoIterator<Item = &'a str>) -> bool {
        self.push_count(values, 1)
    }

    /// Add `count` rows with the same values (merging per-shard summaries). A row with a
    /// value its QI's hierarchy does not know is not counted (`false`); [`Encoder::check`]
    /// reports it.
    pub fn push_count<'a>(
        &mut self,
        values: impl IntoIterator<Item = &'a str>,
        count: u64,
    ) -> bool {
        self.row.clear();
        for (col, v) in self.cols.iter_mut().zip(values) {
            match col.code(v) {
                Some(c) => self.row.push(c),
                None => return false,
            }
        }
        self.rows += count;
        self.counts.add(&self.row, count);
        true
    }

    /// Add the rows of whole text columns (QIs, then sensitive attributes; nulls count as
    /// the empty string): each column is coded on its own thread of the pool, then the rows
    /// are counted. Returns every attribute's codes, or `None` when a value is unknown to its
    /// QI's hierarchy ([`Encoder::check`] names it).
    pub fn push_columns(&mut self, columns: &[&arrow_array::StringArray]) -> Option<Vec<Vec<u32>>> {
        use arrow_array::Array;
        use rayon::prelude::*;
        let rows = columns.first().map_or(0, |c| c.len());
        let codes: Vec<Vec<u32>> = self
            .cols
            .par_iter_mut()
            .zip(columns.par_iter())
            .map(|(col, arr)| {
                (0..rows)
                    .map(|r| {
                        let v = if arr.is_null(r) { "" } else { arr.value(r) };
                        col.code(v).unwrap_or(UNKNOWN)
                    })
                    .collect()
            })
            .collect();
        if codes.iter().any(|c| c.contains(&UNKNOWN)) {
            return None;
        }
        let row = &mut self.row;
        row.resize(codes.len(), 0);
        for r in 0..rows {
            for (slot, c) in row.iter_mut().zip(&codes) {
                *slot = c[r];
            }
            self.counts.add(row, 1);
        }
        self.rows += rows as u64;
        Some(codes)
    }

    /// For a [`Floor::Labelled`] QI `qi`: the labels above `label` (from a shard summary).
    pub fn add_upper(&mut self, qi: usize, label: &str, upper: &[String]) {
        let Some(col) = self.cols.get_mut(qi) else {
            return;
        };
        let c = col.interner.code(label);
        if c as usize == col.upper.len() {
            col.upper.push(upper.to_vec());
        }
    }

    /// An error naming the first QI with values its hierarchy does not know (never the
    /// values).
    pub fn check(&self) -> crate::error::Result<()> {
        for (col, name) in self.cols.iter().zip(&self.qi) {
            if col.missing > 0 {
                return Err(crate::error::Error::Usage(format!(
                    "privacy: {} row(s) hold a value of `{name}` that its hierarchy does not \
                     cover (the rules generalise it; fix the values or plan the column as `keep`)",
                    col.missing
                )));
            }
        }
        Ok(())
    }

    /// Finish: a table sorted by value (deterministic whatever the row order).
    pub fn finish(self) -> ClassTable {
        self.finish_recoded().0
    }

    /// [`Encoder::finish`], plus for each QI the table code of every code
    /// [`Encoder::push_columns`] gave (`recode[qi][code]`).
    pub fn finish_recoded(self) -> (ClassTable, Vec<Vec<u32>>) {
        let nq = self.qi.len();
        let floors: Vec<usize> = self.cols[..nq].iter().map(|c| c.floor.level()).collect();
        // Re-code every column in sorted value order so that codes do not depend on row order.
        let mut recode: Vec<Vec<u32>> = Vec::with_capacity(self.cols.len());
        let mut sorted_values: Vec<Vec<String>> = Vec::with_capacity(self.cols.len());
        let mut upper: Vec<Vec<Vec<String>>> = Vec::with_capacity(nq);
        for (i, col) in self.cols.into_iter().enumerate() {
            let values: Vec<String> = (0..col.interner.len() as u32)
                .map(|c| col.interner.get(c).to_string())
                .collect();
            let mut order: Vec<u32> = (0..values.len() as u32).collect();
            order.sort_by(|a, b| values[*a as usize].cmp(&values[*b as usize]));
            let mut r = vec![0u32; order.len()];
            for (new, old) in order.iter().enumerate() {
                r[*old as usize] = new as u32;
            }
            if i < nq {
                let mut up = col.upper;
                upper.push(if up.len() == values.len() {
                    order
                        .iter()
                        .map(|o| std::mem::take(&mut up[*o as usize]))
                        .collect()
                } else {
                    Vec::new()
                });
            }
            sorted_values.push(order.iter().map(|o| values[*o as usize].clone()).collect());
            recode.push(r);
        }
        let width = recode.len();
        let mut entries: Vec<(super::tally::Key, u64)> = self
            .counts
            .into_entries()
            .map(|(mut k, c)| {
                for (i, v) in k.iter_mut().enumerate() {
                    *v = recode[i][*v as usize];
                }
                (k, c)
            })
            .collect();
        entries.sort_unstable();
        let mut combos = Combos::new(width);
        for (k, c) in &entries {
            combos.push(k, *c);
        }
        let sensitive_values = sorted_values.split_off(nq);
        recode.truncate(nq);
        let table = ClassTable {
            qi: self.qi,
            sensitive: self.sensitive,
            qi_values: sorted_values,
            floors,
            upper,
            sensitive_values,
            combos,
            rows: self.rows,
        };
        (table, recode)
    }
}

/// Every distinct combination of codes (QI codes, then sensitive codes) with its count, in
/// one flat array: the search walks all of them once per node it checks, and a vector per
/// combination made each step a trip to another heap block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Combos {
    width: usize,
    codes: Vec<u32>,
    counts: Vec<u64>,
}

impl Combos {
    /// No combinations yet, of `width` codes each.
    pub fn new(width: usize) -> Combos {
        Combos {
            width,
            ..Combos::default()
        }
    }

    /// Append a combination (`codes.len()` must be the width).
    pub fn push(&mut self, codes: &[u32], count: u64) {
        debug_assert_eq!(codes.len(), self.width);
        self.codes.extend_from_slice(codes);
        self.counts.push(count);
    }

    /// Number of combinations.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// Each combination's codes with its count, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u32], u64)> + '_ {
        // `max(1)`: a table of no attributes still has its (empty) combinations.
        let chunks = self.codes.chunks_exact(self.width.max(1));
        let empty = std::iter::repeat_n(&[][..], if self.width == 0 { self.len() } else { 0 });
        chunks.chain(empty).zip(self.counts.iter().copied())
    }
}

/// Counts of every distinct combination of QI and sensitive codes.
#[derive(Debug, Clone)]
pub struct ClassTable {
    /// Quasi-identifier names.
    pub qi: Vec<String>,
    /// Sensitive attribute names.
    pub sensitive: Vec<String>,
    /// Distinct values of each QI (`qi_values[i][code]`), at the QI's floor level.
    pub qi_values: Vec<Vec<String>>,
    /// The level each QI was counted at (0 = original values).
    pub floors: Vec<usize>,
    /// For a QI counted above level 0: `upper[i][code]` = the labels of the levels above
    /// its floor (empty otherwise).
    pub upper: Vec<Vec<Vec<String>>>,
    /// Distinct values of each sensitive attribute.
    pub sensitive_values: Vec<Vec<String>>,
    /// (QI codes ++ sensitive codes, count), sorted.
    pub combos: Combos,
    /// Number of records.
    pub rows: u64,
}

impl ClassTable {
    /// The mergeable summary of this table (what a shard writes): every combination as its
    /// values (QI values, then sensitive values) with its count, in the table's (sorted)
    /// order, and the labels above each value of a QI counted above level 0.
    pub fn counts(&self) -> Counts {
        let nq = self.qi.len();
        let combinations = self
            .combos
            .iter()
            .map(|(codes, n)| {
                let values = codes
                    .iter()
                    .enumerate()
                    .map(|(i, &c)| {
                        let col = if i < nq {
                            &self.qi_values[i]
                        } else {
                            &self.sensitive_values[i - nq]
                        };
                        col.get(c as usize).cloned().unwrap_or_default()
                    })
                    .collect();
                (values, n)
            })
            .collect();
        let upper = self
            .qi_values
            .iter()
            .zip(&self.upper)
            .map(|(values, up)| values.iter().cloned().zip(up.iter().cloned()).collect())
            .collect();
        Counts {
            floors: self.floors.clone(),
            upper,
            combinations,
        }
    }

    /// The table of the union of the rows that `parts` counted (same attributes, counted at
    /// `floors`, in each): equal to the table of one pass over all those rows, because
    /// [`Encoder::finish`] orders everything by value.
    pub fn merge(
        qi: Vec<String>,
        sensitive: Vec<String>,
        floors: &[usize],
        parts: &[Counts],
    ) -> crate::error::Result<ClassTable> {
        if let Some(p) = parts.iter().find(|p| p.floors != floors) {
            return Err(crate::error::Error::Usage(format!(
                "privacy: a summary counted the quasi-identifiers at levels {:?}, this run at \
                 {floors:?} (the pipeline's rules changed?); rerun phase 1",
                p.floors
            )));
        }
        let labelled = floors
            .iter()
            .map(|&f| {
                if f == 0 {
                    Floor::Original
                } else {
                    Floor::Labelled(f)
                }
            })
            .collect();
        let mut enc = Encoder::with_floors(qi, sensitive, labelled);
        for part in parts {
            for (i, up) in part.upper.iter().enumerate() {
                for (label, above) in up {
                    enc.add_upper(i, label, above);
                }
            }
            for (values, n) in &part.combinations {
                enc.push_count(values.iter().map(String::as_str), *n);
            }
        }
        Ok(enc.finish())
    }
}

/// The mergeable summary of a [`ClassTable`] (one shard's first pass).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    /// The level each QI was counted at (0 = original values).
    pub floors: Vec<usize>,
    /// Per QI: each value with the labels of the levels above it (empty at level 0).
    pub upper: Vec<Vec<(String, Vec<String>)>>,
    /// (QI values ++ sensitive values, count).
    pub combinations: Vec<(Vec<String>, u64)>,
}

#[cfg(test)]
mod merge_tests {
    use super::*;

    fn table(rows: &[[&str; 3]]) -> ClassTable {
        let mut e = Encoder::new(vec!["age".into(), "city".into()], vec!["dx".into()]);
        for r in rows {
            e.push(r.iter().copied());
        }
        e.finish()
    }

    #[test]
    fn merged_shards_equal_one_pass() {
        let rows = [
            ["30", "Prishtinë", "flu"],
            ["41", "Pejë", "asthma"],
            ["30", "Prishtinë", "flu"],
            ["52", "Gjakovë", "flu"],
            ["41", "Pejë", "flu"],
            ["30", "Prizren", "asthma"],
        ];
        let whole = table(&rows);
        for cut in 0..=rows.len() {
            let (a, b) = rows.split_at(cut);
            let parts = [table(b).counts(), table(a).counts()];
            let merged = ClassTable::merge(
                whole.qi.clone(),
                whole.sensitive.clone(),
                &whole.floors,
                &parts,
            )
            .expect("merge");
            assert_eq!(merged.combos, whole.combos, "cut at {cut}");
            assert_eq!(merged.qi_values, whole.qi_values);
            assert_eq!(merged.sensitive_values, whole.sensitive_values);
            assert_eq!(merged.rows, whole.rows);
        }
    }
}

#[cfg(test)]
mod floor_tests {
    use super::*;
    use crate::detect::PatternSet;
    use crate::privacy::{Bound, Builtin};

    fn date_floor(level: usize) -> Floor {
        let p = Arc::new(PatternSet::embedded().expect("patterns"));
        Floor::Level {
            hierarchy: Arc::new(Hierarchy::builtin(Builtin::Date, None, p).expect("date")),
            level,
        }
    }

    /// Birth dates at the 5-year-band floor (level 3): distinct dates of one band share a
    /// class, so the table grows with bands, not with dates.
    #[test]
    fn counts_at_the_floor() {
        let mut e =
            Encoder::with_floors(vec!["dob".into()], vec!["dx".into()], vec![date_floor(3)]);
        for (d, dx) in [
            ("1981-02-03", "flu"),
            ("1983-11-30", "flu"),
            ("1984-01-01", "asthma"),
            ("1990-06-15", "flu"),
            ("1981-02-03", "flu"),
        ] {
            e.push([d, dx]);
        }
        e.check().expect("all dates parse");
        let t = e.finish();
        assert_eq!(t.floors, vec![3]);
        assert_eq!(t.qi_values[0], vec!["1980-1984", "1990-1994"]);
        assert_eq!(t.upper[0][0], vec!["1980-1989", "*"]);
        assert_eq!(t.upper[0][1], vec!["1990-1999", "*"]);
        assert_eq!(t.combos.len(), 3);
        assert_eq!(t.rows, 5);
        let b = Bound::from_upper("dob", &t.qi_values[0], 3, &t.upper[0]).expect("bound");
        assert_eq!(b.height(), 6);
        assert_eq!(b.min_level, 3);
        assert_eq!(b.map[4], vec![0, 1]);
        assert_eq!(b.map[5], vec![0, 0]);
        assert_eq!(b.labels[5], vec!["*"]);
    }

    #[test]
    fn unknown_values_are_an_error_naming_the_column_only() {
        let mut e = Encoder::with_floors(vec!["dob".into()], Vec::new(), vec![date_floor(3)]);
        e.push(["1981-02-03"]);
        e.push(["not-a-date-xyz"]);
        let err = e.check().expect_err("missing");
        let msg = err.to_string();
        assert!(msg.contains("`dob`") && msg.contains("1 row"), "{msg}");
        assert!(!msg.contains("not-a-date"), "{msg}");
    }

    /// The memo of raw values is bounded; codes stay right after it is cleared.
    #[test]
    fn memo_is_bounded() {
        let p = Arc::new(PatternSet::embedded().expect("patterns"));
        let number = Hierarchy::builtin(Builtin::Number, Some(100), p).expect("number");
        let mut c = Column::new(Floor::Level {
            hierarchy: Arc::new(number),
            level: 1,
        });
        let mut n = 0;
        for x in 0..2800 {
            let code = c.code(&x.to_string()).expect("number");
            assert_eq!(
                c.interner.get(code),
                format!("[{}, {})", x / 100 * 100, x / 100 * 100 + 100)
            );
            n += 1;
        }
        assert_eq!(c.memo.len(), n.min(MEMO_CAP));
        assert_eq!(c.interner.len(), 28);
    }

    use proptest::prelude::*;

    proptest! {
        /// Dates coded through the memo of months get the same codes, labels and misses as
        /// through the memo of raw values, in every shape the date parser reads (and values
        /// it does not).
        #[test]
        fn months_code_dates_like_the_memo(values in proptest::collection::vec(
            prop_oneof![
                (1u32..=31, 1u32..=12, 1890u32..2030).prop_map(|(d, m, y)| format!("{d:02}.{m:02}.{y}")),
                (1u32..=31, 1u32..=12, 1890u32..2030).prop_map(|(d, m, y)| format!("{y}-{m}-{d}")),
                (1u32..=31, 1u32..=12, 0u32..100).prop_map(|(d, m, y)| format!("{d}/{m}/{y:02}")),
                (1u32..=31, 1u32..=12, 1890u32..2030).prop_map(|(d, m, y)| format!(" {y}{m:02}{d:02}T10:00:00 ")),
                "[0-9./ -]{0,12}",
            ],
            1..120,
        ), level in 1usize..=5) {
            let floor = date_floor(level);
            let mut fast = Column::new(floor.clone());
            let mut slow = Column::new(floor);
            prop_assert!(fast.months.is_some());
            slow.months = None;
            for v in &values {
                prop_assert_eq!(fast.code(v), slow.code(v), "{:?}", v);
            }
            prop_assert_eq!(fast.missing, slow.missing);
            prop_assert_eq!(&fast.upper, &slow.upper);
            let labels = |c: &Column| (0..c.interner.len() as u32).map(|i| c.interner.get(i).to_string()).collect::<Vec<_>>();
            prop_assert_eq!(labels(&fast), labels(&slow));
        }
    }

    /// Shards counted at the floor merge into the table of one pass.
    #[test]
    fn merged_floor_shards_equal_one_pass() {
        let rows = [
            ["1981-02-03", "F", "flu"],
            ["1983-11-30", "M", "flu"],
            ["1984-01-01", "F", "asthma"],
            ["1990-06-15", "M", "flu"],
            ["1979-12-31", "F", "flu"],
            ["1981-02-03", "F", "cold"],
        ];
        let table = |rows: &[[&str; 3]]| {
            let mut e = Encoder::with_floors(
                vec!["dob".into(), "sex".into()],
                vec!["dx".into()],
                vec![date_floor(3), Floor::Original],
            );
            for r in rows {
                e.push(r.iter().copied());
            }
            e.finish()
        };
        let whole = table(&rows);
        for cut in 0..=rows.len() {
            let (a, b) = rows.split_at(cut);
            let parts = [table(b).counts(), table(a).counts()];
            let m = ClassTable::merge(
                whole.qi.clone(),
                whole.sensitive.clone(),
                &whole.floors,
                &parts,
            )
            .expect("merge");
            assert_eq!(m.combos, whole.combos, "cut at {cut}");
            assert_eq!(m.qi_values, whole.qi_values);
            assert_eq!(m.upper, whole.upper);
            assert_eq!(m.floors, whole.floors);
            assert_eq!(m.rows, whole.rows);
        }
        let err = ClassTable::merge(
            whole.qi.clone(),
            whole.sensitive.clone(),
            &[0, 0],
            &[whole.counts()],
        )
        .expect_err("other levels");
        assert!(err.to_string().contains("rerun phase 1"), "{err}");
    }
}

#[cfg(test)]
mod interner_tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Equal values get equal codes and different values different ones, at every length
        /// around the packed keys' limit (trailing NULs included: the length is in the key),
        /// and each code gives its value back.
        #[test]
        fn codes_are_a_bijection(values in proptest::collection::vec(
            prop_oneof![
                "[ab\\x00]{0,3}",
                "[a-c]{13,17}",
                "[ab\\x00]{14,16}",
                "\\PC{0,20}",
            ],
            1..200,
        )) {
            let mut i = Interner::default();
            let mut seen: std::collections::HashMap<String, u32> = Default::default();
            for v in &values {
                let c = i.code(v);
                let want = *seen.entry(v.clone()).or_insert(c);
                prop_assert_eq!(c, want, "{:?}", v);
                prop_assert_eq!(i.get(c), v.as_str());
            }
            prop_assert_eq!(i.len(), seen.len());
            i.clear();
            prop_assert_eq!(i.len(), 0);
            prop_assert_eq!(i.code("x"), 0);
        }
    }
}
