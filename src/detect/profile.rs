//! [`ColumnProfile`]: everything the classifier needs to know about one column, accumulated
//! cell by cell in one pass and mergeable across batches.
//!
//! The hot path is [`ColumnProfile::observe`]. It is written so that most cells touch only
//! cheap byte counting: the identifier regexes run only when a length prefilter admits the
//! cell, vocabularies are looked up as a whole cell in a hash map, and Aho-Corasick and the
//! embedded-entity regexes run only on cells that look like text (several words).

use super::category::Category;
use super::fold::fold_into;
use super::hash::{FxHashMap, FxHashSet, hash_bytes};
use super::patterns::{MatchScratch, PatternSet, squash};
use crate::redact::mask;
use smallvec::SmallVec;

/// Distinct values are tracked exactly up to this many, then the column counts as "many".
pub const DISTINCT_CAP: usize = 50_000;
/// Masked examples kept per column.
pub const MAX_EXAMPLES: usize = 3;
/// A cell with at least this many words is scanned as text (entities, vocabulary words).
const TEXT_MIN_WORDS: u32 = 2;

/// Scratch buffers reused across cells (one per worker).
#[derive(Default)]
pub struct Scratch {
    folded: String,
    squashed: String,
    matcher: MatchScratch,
}

/// Per-column statistics and detector hits.
#[derive(Debug, Clone)]
pub struct ColumnProfile {
    /// Cells seen (including empty and null).
    pub cells: u64,
    /// Non-empty cells.
    pub non_empty: u64,
    /// Sum of trimmed lengths in characters.
    pub len_sum: u64,
    /// Sum of squared lengths (for the spread).
    pub len_sq_sum: f64,
    /// Shortest non-empty cell.
    pub len_min: u64,
    /// Longest cell.
    pub len_max: u64,
    /// Sum of word counts.
    pub words_sum: u64,
    /// Cells of digits only.
    pub digits_only: u64,
    /// Cells that parse as an integer.
    pub integers: u64,
    /// Integers in 0..=120 (age-like).
    pub age_like: u64,
    /// Cells like `0-4`, `85+`, `20-24 vjeç` (age bands).
    pub age_bands: u64,
    /// Cells that look like a person's name (1–4 capitalised words, at least one known name).
    pub name_like: u64,
    /// Cells whose words are all alphabetic and capitalised (name shape, names unknown).
    pub name_shape: u64,
    /// Hits of each identifier detector: (matched, validated).
    pub ident: Vec<(u64, u64)>,
    /// Cells equal to a vocabulary term, per category.
    pub cell_hits: [u64; Category::COUNT],
    /// Cells containing a vocabulary word, per category.
    pub word_hits: [u64; Category::COUNT],
    /// Entities found inside text cells, per category (identifier and vocabulary).
    pub entities: [u64; Category::COUNT],
    /// Cells scanned as text.
    pub text_cells: u64,
    /// Years of validated dates: (min, max, count of years <= this year - 15).
    pub date_years: (i32, i32, u64),
    /// Dates carrying a time of day other than midnight.
    pub timed_dates: u64,
    /// Leading letters `A`–`Z` of the cells, one bit each: ICD-10 codes spread over many
    /// chapters, room and product codes over a few.
    pub lead_letters: u32,
    distinct: FxHashSet<u64>,
    /// Whether the distinct set overflowed [`DISTINCT_CAP`].
    pub distinct_saturated: bool,
    /// Masked examples.
    pub examples: Vec<String>,
    /// Bottom-k sketch of keyed hashes of identifier-like values (never raw values).
    pub sketch: super::sketch::Sketch,
    /// Hash of a short value → its analysis in `outcomes` (see [`CACHE_CAP`]).
    cache: FxHashMap<u64, u32>,
    outcomes: Vec<Outcome>,
    /// Repeats of each outcome not yet added to the counters: a chunk profile adds them once,
    /// when it is merged (see [`ColumnProfile::settle`]).
    pending: Vec<u64>,
    cache_hits: u64,
    /// The column's values do not repeat enough for the cache to pay.
    cache_off: bool,
    /// A chunk profile defers distinct counting: it only collects hashes, and the profile
    /// it is merged into inserts them (one hash set per column, not one per chunk).
    deferred: Option<Vec<u64>>,
}

impl ColumnProfile {
    /// An empty profile for a pattern set with `n_identifiers` detectors.
    pub fn new(n_identifiers: usize) -> Self {
        ColumnProfile {
            cells: 0,
            non_empty: 0,
            len_sum: 0,
            len_sq_sum: 0.0,
            len_min: u64::MAX,
            len_max: 0,
            words_sum: 0,
            digits_only: 0,
            integers: 0,
            age_like: 0,
            age_bands: 0,
            name_like: 0,
            name_shape: 0,
            ident: vec![(0, 0); n_identifiers],
            cell_hits: [0; Category::COUNT],
            word_hits: [0; Category::COUNT],
            entities: [0; Category::COUNT],
            text_cells: 0,
            date_years: (i32::MAX, i32::MIN, 0),
            timed_dates: 0,
            lead_letters: 0,
            distinct: FxHashSet::default(),
            distinct_saturated: false,
            examples: Vec::new(),
            sketch: super::sketch::Sketch::default(),
            cache: FxHashMap::default(),
            outcomes: Vec::new(),
            pending: Vec::new(),
            cache_hits: 0,
            cache_off: false,
            deferred: None,
        }
    }

    /// A profile for one chunk of rows that will be merged into `whole`: it defers distinct
    /// counting to the merge and keeps only sketch hashes that `whole` could still admit.
    pub fn for_chunk(whole: &ColumnProfile) -> Self {
        ColumnProfile {
            deferred: Some(Vec::new()),
            sketch: super::sketch::Sketch::for_part_of(&whole.sketch),
            ..Self::new(whole.ident.len())
        }
    }

    fn add_distinct(&mut self, h: u64) {
        if let Some(pending) = &mut self.deferred {
            pending.push(h);
            return;
        }
        if !self.distinct_saturated {
            self.distinct.insert(h);
            if self.distinct.len() > DISTINCT_CAP {
                self.distinct_saturated = true;
                self.distinct = FxHashSet::default();
            }
        }
    }

    /// Count a null cell.
    pub fn observe_null(&mut self) {
        self.cells += 1;
    }

    /// Observe one cell.
    pub fn observe(&mut self, raw: &str, p: &PatternSet, s: &mut Scratch) {
        self.cells += 1;
        let cell = raw.trim();
        if cell.is_empty() {
            return;
        }
        self.non_empty += 1;
        let bytes = cell.as_bytes();
        let h = hash_bytes(bytes);
        // Low-cardinality columns (gender, municipality, diagnosis, names) repeat a few values
        // millions of times: the analysis of a short value is kept and re-applied. A repeat
        // adds nothing to the distinct set, the examples or the sketch (all sets, and its
        // first occurrence already went into them), so only its counts are added.
        let cacheable = !self.cache_off && bytes.len() <= CACHE_MAX_BYTES;
        if cacheable && let Some(&i) = self.cache.get(&h) {
            self.cache_hits += 1;
            let i = i as usize;
            if self.deferred.is_some() {
                // A chunk profile only counts the repeat: its merge adds them all at once.
                self.pending[i] += 1;
            } else {
                let o = std::mem::take(&mut self.outcomes[i]);
                self.apply(&o, 1);
                self.outcomes[i] = o;
            }
            return;
        }
        self.add_distinct(h);
        if self.examples.len() < MAX_EXAMPLES {
            let m = mask(cell);
            if !self.examples.contains(&m) {
                self.examples.push(m);
            }
        }
        let o = analyse(cell, p, s);
        self.apply(&o, 1);
        self.sketch_identifier(cell, &o, p);
        if cacheable && self.outcomes.len() < CACHE_CAP {
            // Unique values (identifiers, amounts) would only fill the cache: give up on it
            // when a quarter of the cells seen so far were hits.
            if self.outcomes.len() >= 256 && self.cache_hits * 4 < self.outcomes.len() as u64 {
                self.settle();
                self.cache_off = true;
                self.cache = FxHashMap::default();
                self.outcomes = Vec::new();
                self.pending = Vec::new();
                return;
            }
            self.cache.insert(h, self.outcomes.len() as u32);
            self.outcomes.push(o);
            self.pending.push(0);
        }
    }

    /// Feed the sketch with cells that an identifier detector of a linking category matched
    /// (the keyed hash costs about 0.1 µs, so only those cells pay it).
    #[inline]
    fn sketch_identifier(&mut self, cell: &str, o: &Outcome, p: &PatternSet) {
        let links = o.ident.iter().any(|&(i, _)| {
            p.identifiers
                .get(usize::from(i))
                .is_some_and(|d| super::sketch::is_linking_identifier(d.category))
        });
        if links {
            self.sketch.observe(cell);
        }
    }

    /// Add the repeats counted by a chunk profile to its counters.
    fn settle(&mut self) {
        let outcomes = std::mem::take(&mut self.outcomes);
        let mut pending = std::mem::take(&mut self.pending);
        for (o, n) in outcomes.iter().zip(&mut pending) {
            if *n > 0 {
                self.apply(o, *n);
                *n = 0;
            }
        }
        self.outcomes = outcomes;
        self.pending = pending;
    }

    /// Add one cell's outcome to the counters, `n` times (every counter is a sum, a minimum,
    /// a maximum or a union, so `n` repeats add up to one multiplication).
    fn apply(&mut self, o: &Outcome, n: u64) {
        self.len_sum += o.chars * n;
        self.len_sq_sum += (o.chars * o.chars * n) as f64;
        self.len_min = self.len_min.min(o.chars);
        self.len_max = self.len_max.max(o.chars);
        self.words_sum += u64::from(o.words) * n;
        self.digits_only += u64::from(o.digits_only) * n;
        self.integers += u64::from(o.integer) * n;
        self.age_like += u64::from(o.age_like) * n;
        self.age_bands += u64::from(o.age_band) * n;
        for &(i, valid) in &o.ident {
            let e = &mut self.ident[usize::from(i)];
            e.0 += n;
            e.1 += u64::from(valid) * n;
        }
        if let Some(y) = o.date_year {
            self.date_years.0 = self.date_years.0.min(y);
            self.date_years.1 = self.date_years.1.max(y);
            if y <= super::validators::date::current_year() - 15 {
                self.date_years.2 += n;
            }
        }
        self.timed_dates += u64::from(o.timed) * n;
        if o.lead > 0 {
            self.lead_letters |= 1 << (o.lead - 1);
        }
        for_each_bit(o.cell_cats, |i| self.cell_hits[i] += n);
        for_each_bit(o.word_cats, |i| self.word_hits[i] += n);
        self.name_shape += u64::from(o.name_shape) * n;
        self.name_like += u64::from(o.name_like) * n;
        self.text_cells += u64::from(o.text_cell) * n;
        for &(c, k) in &o.entities {
            self.entities[usize::from(c)] += u64::from(k) * n;
        }
    }

    /// Merge another profile of the same column (from another batch or worker).
    pub fn merge(&mut self, mut o: ColumnProfile) {
        o.settle();
        self.cells += o.cells;
        self.non_empty += o.non_empty;
        self.len_sum += o.len_sum;
        self.len_sq_sum += o.len_sq_sum;
        self.len_min = self.len_min.min(o.len_min);
        self.len_max = self.len_max.max(o.len_max);
        self.words_sum += o.words_sum;
        self.digits_only += o.digits_only;
        self.integers += o.integers;
        self.age_like += o.age_like;
        self.age_bands += o.age_bands;
        self.name_like += o.name_like;
        self.name_shape += o.name_shape;
        for (a, b) in self.ident.iter_mut().zip(o.ident) {
            a.0 += b.0;
            a.1 += b.1;
        }
        for i in 0..Category::COUNT {
            self.cell_hits[i] += o.cell_hits[i];
            self.word_hits[i] += o.word_hits[i];
            self.entities[i] += o.entities[i];
        }
        self.text_cells += o.text_cells;
        self.date_years = (
            self.date_years.0.min(o.date_years.0),
            self.date_years.1.max(o.date_years.1),
            self.date_years.2 + o.date_years.2,
        );
        self.timed_dates += o.timed_dates;
        self.lead_letters |= o.lead_letters;
        self.sketch.merge(&o.sketch);
        if o.distinct_saturated || self.distinct_saturated {
            self.distinct_saturated = true;
            self.distinct = FxHashSet::default();
        } else {
            for h in o.distinct {
                self.add_distinct(h);
            }
        }
        for h in o.deferred.unwrap_or_default() {
            self.add_distinct(h);
        }
        for e in o.examples {
            if self.examples.len() < MAX_EXAMPLES && !self.examples.contains(&e) {
                self.examples.push(e);
            }
        }
    }

    /// Distinct non-empty values (a lower bound once saturated).
    pub fn distinct(&self) -> u64 {
        if let Some(pending) = &self.deferred {
            return pending
                .iter()
                .collect::<FxHashSet<_>>()
                .len()
                .min(DISTINCT_CAP) as u64;
        }
        if self.distinct_saturated {
            DISTINCT_CAP as u64
        } else {
            self.distinct.len() as u64
        }
    }

    /// Distinct values / non-empty cells (1.0 when saturated).
    pub fn distinct_ratio(&self) -> f64 {
        if self.non_empty == 0 {
            return 0.0;
        }
        if self.distinct_saturated {
            1.0
        } else {
            self.distinct() as f64 / self.non_empty as f64
        }
    }

    /// Mean trimmed length of non-empty cells.
    pub fn mean_len(&self) -> f64 {
        if self.non_empty == 0 {
            0.0
        } else {
            self.len_sum as f64 / self.non_empty as f64
        }
    }

    /// Standard deviation of the trimmed lengths.
    pub fn len_std(&self) -> f64 {
        if self.non_empty == 0 {
            return 0.0;
        }
        let n = self.non_empty as f64;
        let mean = self.len_sum as f64 / n;
        (self.len_sq_sum / n - mean * mean).max(0.0).sqrt()
    }

    /// Mean words per non-empty cell.
    pub fn mean_words(&self) -> f64 {
        if self.non_empty == 0 {
            0.0
        } else {
            self.words_sum as f64 / self.non_empty as f64
        }
    }

    /// How much the column looks like free text, in `[0, 1]`: many words per cell, long and
    /// varied cells, mostly distinct.
    pub fn free_text_score(&self) -> f64 {
        if self.non_empty == 0 {
            return 0.0;
        }
        let words = ((self.mean_words() - 2.0) / 6.0).clamp(0.0, 1.0);
        let length = ((self.mean_len() - 15.0) / 35.0).clamp(0.0, 1.0);
        let distinct = self.distinct_ratio().clamp(0.0, 1.0);
        (0.45 * words + 0.3 * length + 0.25 * distinct).clamp(0.0, 1.0)
    }
}

// Category bitmasks in `Outcome` are u64.
const _: () = assert!(Category::COUNT <= 64);

/// Values longer than this are not cached (free text is unique anyway).
const CACHE_MAX_BYTES: usize = 48;
/// Distinct values cached per column profile.
const CACHE_CAP: usize = 2048;

/// What one cell contributes to a profile: everything [`ColumnProfile::observe`] learns from
/// the value itself, so a repeated value is analysed once.
#[derive(Debug, Clone, Default)]
struct Outcome {
    chars: u64,
    words: u32,
    digits_only: bool,
    integer: bool,
    age_like: bool,
    age_band: bool,
    /// (detector index, validated) of every identifier regex matching the whole cell (inline:
    /// an allocation per analysed cell was 7 % of a full scan).
    ident: SmallVec<[(u16, bool); 4]>,
    date_year: Option<i32>,
    timed: bool,
    /// 1 + the leading letter's index when the cell starts with `A`–`Z`, else 0.
    lead: u8,
    /// Categories (bit per index) whose vocabulary equals the whole cell.
    cell_cats: u64,
    /// Categories whose vocabulary words occur in the cell.
    word_cats: u64,
    name_shape: bool,
    name_like: bool,
    text_cell: bool,
    /// (category index, count) of entities embedded in text.
    entities: SmallVec<[(u8, u32); 4]>,
}

fn for_each_bit(mut bits: u64, mut f: impl FnMut(usize)) {
    while bits != 0 {
        let i = bits.trailing_zeros() as usize;
        f(i);
        bits &= bits - 1;
    }
}

/// Analyse one trimmed, non-empty cell.
fn analyse(cell: &str, p: &PatternSet, s: &mut Scratch) -> Outcome {
    let bytes = cell.as_bytes();
    let mut o = Outcome::default();

    // Shape. Three branch-free counts instead of one loop with a carried word state: the
    // compiler vectorises each, and free-text cells (a third of a typical file's bytes) pay
    // this for every byte.
    let (digits, letters) = shape_counts(bytes);
    let classes = super::patterns::byte_classes(bytes);
    o.words = word_count(bytes);
    let words = o.words;
    o.chars = if cell.is_ascii() {
        bytes.len()
    } else {
        cell.chars().count()
    } as u64;
    let all_digits = digits as usize == bytes.len();
    o.digits_only = all_digits;
    if bytes[0].is_ascii_uppercase() {
        o.lead = bytes[0] - b'A' + 1;
    }
    if all_digits && bytes.len() <= 18
        || (bytes[0] == b'-' && digits as usize == bytes.len() - 1 && digits > 0)
    {
        o.integer = true;
        o.age_like = bytes.len() <= 3 && cell.parse::<u32>().is_ok_and(|v| v <= 120);
    } else {
        // A band has no `.`, `,` or `/`: dates and amounts stop at their byte classes.
        const BREAKS_BANDS: u64 = super::patterns::byte_classes_of(b".,/");
        o.age_band = classes & BREAKS_BANDS == 0 && is_age_band(cell);
    }

    // Identifiers (anchored on the whole cell).
    let mut date_valid = false;
    let mut whole_match = false;
    let counts = (digits, letters, classes);
    p.match_identifiers_counted(cell, counts, &mut s.matcher, |i, valid| {
        whole_match = true;
        o.ident.push((i as u16, valid));
        date_valid |= valid && p.identifiers[i].category == Category::Date;
    });
    if date_valid {
        use chrono::Datelike;
        o.date_year = super::validators::date::parse(cell).map(|d| d.year());
        o.timed = has_time_of_day(cell);
    }

    // Every vocabulary term and name has letters: numbers, amounts and codes stop here. So
    // do one-word cells with punctuation no term or name has (e-mails): for them only whole
    // cell terms and names are looked up.
    if letters == 0 || (words < TEXT_MIN_WORDS && p.is_foreign_to_terms(classes)) {
        return o;
    }
    // Vocabulary, municipalities and names on folded text.
    fold_into(cell, &mut s.folded);
    s.squashed.clear();
    // Most cells are already single-spaced: copy instead of re-splitting.
    let b = s.folded.as_bytes();
    let single_spaced = !b.windows(2).any(|w| w[0] == b' ' && w[1] == b' ')
        && !b.iter().any(|c| matches!(c, b'\t' | b'\n' | b'\r'));
    if single_spaced {
        s.squashed.push_str(&s.folded);
    } else {
        for (k, w) in s.folded.split_whitespace().enumerate() {
            if k > 0 {
                s.squashed.push(' ');
            }
            s.squashed.push_str(w);
        }
    }
    for t in p.cell_terms(&s.squashed) {
        o.cell_cats |= 1 << t.category.index();
    }
    if (1..=4).contains(&words) && digits == 0 {
        let shaped = cell.split_whitespace().all(|w| {
            w.chars().next().is_some_and(char::is_uppercase)
                && w.chars()
                    .all(|c| c.is_alphabetic() || c == '-' || c == '\'' || c == '.')
        });
        if shaped {
            o.name_shape = true;
            o.name_like = s
                .squashed
                .split(' ')
                .any(|w| p.is_given_name(w) || p.is_surname(w));
        }
    }
    if words >= TEXT_MIN_WORDS {
        o.text_cell = true;
        let mut counts = [0u32; Category::COUNT];
        // Entities are what text *contains*: a cell that is itself one identifier
        // (`+383 44 123 456`) is counted above, not as an embedded entity.
        let long_text = words >= 4 && !whole_match;
        let mut word_cats = 0u64;
        p.find_words(&s.squashed, |c| {
            word_cats |= 1 << c.index();
            if long_text {
                counts[c.index()] += 1;
            }
        });
        o.word_cats = word_cats;
        // Every embedded identifier has four digits or more (IPv4, plates), or an `@`.
        if long_text && (digits >= 4 || memchr::memchr(b'@', bytes).is_some()) {
            p.find_embedded(bytes, &mut s.matcher, |i| {
                counts[p.identifiers[i].category.index()] += 1;
            });
        }
        o.entities = counts
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(i, n)| (i as u8, *n))
            .collect();
    } else {
        // A one-word cell: its vocabulary word hit is its cell hit.
        o.word_cats = o.cell_cats;
    }
    o
}

/// Digits and letters (ASCII letters and any non-ASCII byte) in `bytes`.
#[inline]
fn shape_counts(bytes: &[u8]) -> (u32, u32) {
    let digits = bytes
        .iter()
        .map(|&b| u32::from(b.wrapping_sub(b'0') < 10))
        .sum();
    let letters = bytes
        .iter()
        .map(|&b| u32::from(((b | 0x20).wrapping_sub(b'a') < 26) | (b >= 0x80)))
        .sum();
    (digits, letters)
}

/// ASCII whitespace as `u8::is_ascii_whitespace` defines it.
#[inline]
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0C | b'\r')
}

/// Words: runs of non-whitespace bytes (a word starts where a byte follows whitespace or
/// the start).
#[inline]
fn word_count(bytes: &[u8]) -> u32 {
    let Some(&first) = bytes.first() else {
        return 0;
    };
    let starts: u32 = bytes
        .iter()
        .zip(&bytes[1..])
        .map(|(&a, &b)| u32::from(is_ws(a) & !is_ws(b)))
        .sum();
    starts + u32::from(!is_ws(first))
}

/// `0-4`, `85+`, `20 - 24`, `65+ vjeç`.
fn is_age_band(cell: &str) -> bool {
    let b = cell.as_bytes();
    // Every band starts with its lower bound (a `+` sign is all `u32::from_str` allows before
    // it): names, text and e-mails stop here.
    if !b.first().is_some_and(|c| c.is_ascii_digit() || *c == b'+') {
        return false;
    }
    if !cell.is_ascii() {
        return is_age_band_chars(cell);
    }
    if b.len() > 20 || b.iter().any(|c| matches!(c, b'.' | b',' | b'/')) {
        return false;
    }
    // Up to a trailing word ("vjeç", "years"), without the spaces: `a-b` or `a+`, each
    // number as `u32::from_str` reads it (an optional `+`, then digits), at most 120. Phone
    // numbers (`+383 …`, which reach this on every cell of their column) fail as one number
    // over 120.
    let kept = b
        .iter()
        .take_while(|c| !c.is_ascii_alphabetic())
        .filter(|c| !matches!(c, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r'));
    // The range's lower bound once a `-` was read, the number being read (`None` before its
    // first digit), trailing `+`s.
    let (mut lower, mut cur, mut signed, mut pluses) = (None, None, false, 0);
    for &c in kept {
        if pluses > 0 && c != b'+' {
            return false; // `+` only as a number's sign or at the very end
        }
        match c {
            b'0'..=b'9' => {
                let v: u32 = cur.unwrap_or(0);
                cur = Some(
                    v.saturating_mul(10)
                        .saturating_add(u32::from(c - b'0'))
                        .min(1000),
                );
            }
            b'+' if cur.is_none() && !signed => signed = true,
            b'+' if cur.is_some() => pluses += 1,
            b'-' => {
                let (Some(v), None) = (cur.take(), lower) else {
                    return false; // no number before it, or a second `-`
                };
                lower = Some(v);
                signed = false;
            }
            _ => return false,
        }
    }
    let Some(last) = cur else {
        return false;
    };
    match lower {
        // Trailing `+`s after a range change nothing (`20-24+`).
        Some(a) => a < last && last <= 120,
        None => pluses > 0 && last <= 120,
    }
}

/// [`is_age_band`] of a cell with non-ASCII characters (a Unicode space, `ç`).
fn is_age_band_chars(cell: &str) -> bool {
    // Every band starts with its lower bound (a `+` sign is all `u32::from_str` allows before
    // it): names, text and e-mails stop here without allocating.
    if !cell
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit() || b == b'+')
    {
        return false;
    }
    if cell.len() > 20 || cell.contains(['.', ',', '/']) {
        return false;
    }
    // Drop a trailing word ("vjeç", "godina", "years") and inner spaces, without allocating:
    // phone numbers (`+383 …`) get this far on every cell of their column.
    let mut kept = [0u8; 20];
    let mut n = 0;
    for c in cell.chars().take_while(|c| !c.is_alphabetic()) {
        if c.is_whitespace() {
            continue;
        }
        if !c.is_ascii() {
            return false; // no number holds it
        }
        kept[n] = c as u8;
        n += 1;
    }
    let Ok(s) = std::str::from_utf8(&kept[..n]) else {
        return false;
    };
    let plus = s.ends_with('+');
    let mut parts = s.trim_end_matches('+').split('-');
    let mut next = || parts.next().map(|p| p.parse::<u32>().ok());
    match (next(), next(), next()) {
        (Some(Some(a)), Some(Some(b)), None) => a < b && b <= 120,
        (Some(Some(a)), None, None) => plus && a <= 120,
        _ => false,
    }
}

fn has_time_of_day(cell: &str) -> bool {
    match cell.find([' ', 'T']) {
        Some(i) => {
            let t = &cell[i + 1..];
            !t.is_empty()
                && !t.starts_with("00:00")
                && t.bytes().next().is_some_and(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

/// Fold and squash a cell into an owned string (for one-off lookups such as `patterns test`).
pub fn folded_cell(cell: &str) -> String {
    let mut s = String::new();
    fold_into(cell, &mut s);
    squash(&s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_counts_match_the_byte_loop() {
        let cells = [
            "",
            "a",
            " ",
            "12 ab",
            "  lead and trail  ",
            "Tab\tand\nnewlines\r\x0c",
            "Ëmri Çeku 1985",
            "1234567890",
            "a-b c_d",
            "ПЕТАР Петровић 038",
        ];
        for c in cells {
            let b = c.as_bytes();
            let (mut d, mut l, mut w, mut in_word) = (0u32, 0u32, 0u32, false);
            for &x in b {
                if x.is_ascii_digit() {
                    d += 1;
                } else if x.is_ascii_alphabetic() || x >= 0x80 {
                    l += 1;
                }
                let ws = x.is_ascii_whitespace();
                if !ws && !in_word {
                    w += 1;
                }
                in_word = !ws;
            }
            assert_eq!(shape_counts(b), (d, l), "{c:?}");
            assert_eq!(word_count(b), w, "{c:?}");
        }
        for x in 0..=255u8 {
            assert_eq!(is_ws(x), x.is_ascii_whitespace(), "{x}");
        }
    }

    #[test]
    fn age_bands() {
        for v in ["0-4", "85+", "20 - 24", "65+ vjeç"] {
            assert!(is_age_band(v), "{v}");
        }
        for v in [
            "14.03",
            "2024",
            "10-5",
            "abc",
            "1-2-3",
            "+383 44 419 279",
            "5-",
            "-5",
            "85",
            "1–4",
        ] {
            assert!(!is_age_band(v), "{v}");
        }
    }

    /// The allocation-free age-band test answers as the plain one it replaced.
    #[test]
    fn age_band_matches_the_allocating_reference() {
        fn reference(cell: &str) -> bool {
            if !cell
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_digit() || b == b'+')
                || cell.len() > 20
                || cell.contains(['.', ',', '/'])
            {
                return false;
            }
            let s: String = cell
                .chars()
                .take_while(|c| !c.is_alphabetic())
                .filter(|c| !c.is_whitespace())
                .collect();
            let plus = s.ends_with('+');
            let s = s.trim_end_matches('+');
            let nums: Option<Vec<u32>> = s.split('-').map(|p| p.parse::<u32>().ok()).collect();
            match nums.as_deref() {
                Some([a, b]) => a < b && *b <= 120,
                Some([a]) => plus && *a <= 120,
                _ => false,
            }
        }
        use proptest::prelude::*;
        let alphabet: Vec<char> = "0123456789+- \t–vjeçabc\u{a0}\u{b}\u{1c}."
            .chars()
            .collect();
        proptest!(ProptestConfig::with_cases(5000), |(cell in proptest::collection::vec(proptest::sample::select(alphabet.clone()), 0..24))| {
            let cell: String = cell.into_iter().collect();
            prop_assert_eq!(is_age_band(&cell), reference(&cell), "{:?}", cell);
        });
        // Shapes near real bands: signs, ranges, trailing `+`s and words, leading zeros.
        let near =
            "[+]{0,2}0{0,3}[0-9]{1,3}[ \t]?([-][ ]?[+]?[0-9]{1,4})?[+]{0,2}( vjeç| years|–)?";
        proptest!(ProptestConfig::with_cases(5000), |(cell in near)| {
            prop_assert_eq!(is_age_band(&cell), reference(&cell), "{:?}", cell);
        });
    }

    /// Re-applying a cached analysis counts exactly what analysing the value again would.
    #[test]
    fn cached_values_count_like_fresh_ones() {
        let p = PatternSet::embedded().unwrap();
        let cells = [
            "Prishtinë",
            "F",
            "Arben Krasniqi",
            "E11.9",
            "044 123 456",
            "ka diabet dhe astma tani",
        ];
        let mut s = Scratch::default();
        let mut cached = ColumnProfile::new(p.identifiers.len());
        let mut fresh = ColumnProfile::new(p.identifiers.len());
        for round in 0..5 {
            for c in cells {
                cached.observe(c, &p, &mut s);
                let mut one = ColumnProfile::new(p.identifiers.len());
                one.observe(c, &p, &mut s);
                fresh.merge(one);
            }
            assert_eq!(cached.outcomes.len(), cells.len(), "round {round}");
        }
        assert_eq!(cached.ident, fresh.ident);
        assert_eq!(cached.cell_hits, fresh.cell_hits);
        assert_eq!(cached.word_hits, fresh.word_hits);
        assert_eq!(cached.entities, fresh.entities);
        assert_eq!(
            (cached.name_like, cached.name_shape),
            (fresh.name_like, fresh.name_shape)
        );
        assert_eq!(
            (cached.len_sum, cached.words_sum, cached.text_cells),
            (fresh.len_sum, fresh.words_sum, fresh.text_cells)
        );
        assert_eq!(cached.distinct(), fresh.distinct());
        assert_eq!(cached.examples, fresh.examples);
        assert_eq!(cached.sketch, fresh.sketch);
        assert!(!cached.sketch.is_empty(), "the phone number is sketched");
    }

    /// A chunk profile, which counts repeats and adds them at its merge, ends with the same
    /// counters as a profile that adds every cell at once (also across the cache giving up on
    /// a column of unique values half-way).
    #[test]
    fn chunk_profiles_count_repeats_like_a_whole_pass() {
        let p = PatternSet::embedded().unwrap();
        let mut cells: Vec<String> = Vec::new();
        for r in 0..600 {
            cells.push(
                [
                    "F",
                    "M",
                    "Prishtinë",
                    "E11.9",
                    "044 123 456",
                    "Arben Krasniqi",
                ][r % 6]
                    .into(),
            );
        }
        // Then unique values, so the chunk's cache gives up with repeats still pending.
        cells.extend((0..1200).map(|i| format!("{}", 1_000_000_000u64 + i * 7919)));
        let mut s = Scratch::default();
        let mut whole = ColumnProfile::new(p.identifiers.len());
        for c in &cells {
            whole.observe(c, &p, &mut s);
        }
        let mut merged = ColumnProfile::new(p.identifiers.len());
        for part in cells.chunks(700) {
            let mut chunk = ColumnProfile::for_chunk(&merged);
            for c in part {
                chunk.observe(c, &p, &mut s);
            }
            merged.merge(chunk);
        }
        assert_eq!(merged.cells, whole.cells);
        assert_eq!(merged.ident, whole.ident);
        assert_eq!(merged.cell_hits, whole.cell_hits);
        assert_eq!(merged.word_hits, whole.word_hits);
        assert_eq!(merged.entities, whole.entities);
        assert_eq!(
            (
                merged.len_sum,
                merged.len_sq_sum,
                merged.len_min,
                merged.len_max
            ),
            (
                whole.len_sum,
                whole.len_sq_sum,
                whole.len_min,
                whole.len_max
            )
        );
        assert_eq!(
            (
                merged.words_sum,
                merged.digits_only,
                merged.integers,
                merged.text_cells
            ),
            (
                whole.words_sum,
                whole.digits_only,
                whole.integers,
                whole.text_cells
            )
        );
        assert_eq!(
            (merged.name_like, merged.name_shape),
            (whole.name_like, whole.name_shape)
        );
        assert_eq!(merged.lead_letters, whole.lead_letters);
        assert_eq!(merged.distinct(), whole.distinct());
    }

    #[test]
    fn merge_equals_single_pass() {
        let p = PatternSet::embedded().unwrap();
        let cells = [
            "044 123 456",
            "Arben Krasniqi",
            "",
            "1234567892",
            "Pacienti ka diabet, tel 044 123 456",
        ];
        let mut s = Scratch::default();
        let mut whole = ColumnProfile::new(p.identifiers.len());
        for c in cells {
            whole.observe(c, &p, &mut s);
        }
        let mut a = ColumnProfile::new(p.identifiers.len());
        let mut b = ColumnProfile::new(p.identifiers.len());
        for c in &cells[..2] {
            a.observe(c, &p, &mut s);
        }
        for c in &cells[2..] {
            b.observe(c, &p, &mut s);
        }
        a.merge(b);
        assert_eq!(a.non_empty, whole.non_empty);
        assert_eq!(a.ident, whole.ident);
        assert_eq!(a.entities, whole.entities);
        assert_eq!(a.distinct(), whole.distinct());
        assert_eq!(a.name_like, whole.name_like);
    }
}
