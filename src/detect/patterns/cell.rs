//! Whole-cell matching of the identifier regexes: which detectors' regexes match a trimmed
//! cell from end to end.
//!
//! In: the detectors' regexes (once, at load) and a trimmed cell with the detectors its
//! length, digit and letter prefilters admit. Out: the detectors whose regex matches it.
//!
//! A full scan asks this of every cell, so a cheap step comes before any automaton:
//! * **byte classes**: each regex has the set of bytes any of its matches can contain, and
//!   classes each match must touch; a cell holding a byte outside that set, or missing a
//!   required class, cannot match, and its regex is not run (an e-mail never reaches the
//!   credential or photo regexes, which the `@` rules out). Both are read off the regex's
//!   syntax tree, so they hold for the regex as written;
//! * **one automaton per regex**, walked only for the detectors left, dense where the DFA is
//!   small, the meta engine otherwise (large bounded repeats).
//!
//! One combined multi-pattern DFA for all regexes was measured and not kept: compiled whole
//! it saved 3 % of a full scan's detection but cost 50 ms at every start-up; built lazily it
//! saved nothing.
use regex_automata::dfa::{Automaton, StartKind, dense};
use regex_automata::{Anchored, Input, meta};
use regex_syntax::hir::{Class, Hir, HirKind};

/// A whole-cell matcher for one regex (already wrapped in `^(?:…)$`).
enum Single {
    /// A dense DFA with an anchored start state.
    Dfa(Box<dense::DFA<Vec<u32>>>),
    /// The meta engine, for patterns whose DFA would exceed the size limit.
    Meta(Box<meta::Regex>),
}

fn syntax() -> regex_automata::util::syntax::Config {
    regex_automata::util::syntax::Config::new()
        .unicode(false)
        .utf8(false)
}

impl Single {
    fn new(pattern: &str) -> Result<Self, String> {
        let dfa = dense::Builder::new()
            .configure(
                dense::Config::new()
                    .start_kind(StartKind::Anchored)
                    // Small limits: a pattern whose DFA would be large (bounded repeats such
                    // as `.{1,60}`) gives up early and uses the lazy DFA, keeping start-up fast.
                    .dfa_size_limit(Some(256 << 10))
                    .determinize_size_limit(Some(256 << 10)),
            )
            .syntax(syntax())
            .build(pattern);
        match dfa {
            Ok(d) => Ok(Single::Dfa(Box::new(d))),
            Err(_) => meta::Builder::new()
                .syntax(syntax())
                .build(pattern)
                .map(|r| Single::Meta(Box::new(r)))
                .map_err(|e| e.to_string()),
        }
    }

    /// Whether the whole of `cell` matches.
    fn is_full_match(&self, cell: &[u8]) -> bool {
        match self {
            Single::Dfa(dfa) => {
                let input = Input::new(cell).anchored(Anchored::Yes);
                let Ok(mut state) = dfa.start_state_forward(&input) else {
                    return false;
                };
                for &b in cell {
                    state = dfa.next_state(state, b);
                    if dfa.is_dead_state(state) {
                        return false;
                    }
                }
                dfa.is_match_state(dfa.next_eoi_state(state))
            }
            Single::Meta(re) => re.is_match(Input::new(cell).anchored(Anchored::Yes)),
        }
    }
}

/// The byte classes of [`byte_classes`]: digits, upper-case ASCII letters, lower-case ASCII
/// letters, non-ASCII bytes, control bytes, and each of the 33 other ASCII bytes (space and
/// punctuation) on its own, since punctuation is what tells identifier shapes apart.
const fn class_table() -> [u64; 256] {
    let mut t = [0u64; 256];
    let mut punct = 5;
    let mut b = 0usize;
    while b < 256 {
        let c = b as u8;
        t[b] = 1
            << if c.is_ascii_digit() {
                0
            } else if c.is_ascii_uppercase() {
                1
            } else if c.is_ascii_lowercase() {
                2
            } else if c >= 0x80 {
                3
            } else if c < 0x20 || c == 0x7f {
                4
            } else {
                punct += 1;
                punct - 1
            };
        b += 1;
    }
    t
}

static CLASSES: [u64; 256] = class_table();

/// The byte classes a cell contains, one bit each: digits, upper-case and lower-case ASCII
/// letters, non-ASCII bytes, control bytes, and each other ASCII byte on its own.
#[inline]
pub fn byte_classes(cell: &[u8]) -> u64 {
    cell.iter().fold(0, |m, &b| m | CLASSES[usize::from(b)])
}

/// [`byte_classes`] of a fixed set of bytes, at compile time.
pub const fn byte_classes_of(bytes: &[u8]) -> u64 {
    let table = class_table();
    let mut m = 0;
    let mut i = 0;
    while i < bytes.len() {
        m |= table[bytes[i] as usize];
        i += 1;
    }
    m
}

/// Space and the 32 ASCII punctuation bytes: the classes folding leaves as they are.
pub(super) const PUNCTUATION: u64 = ((1 << 33) - 1) << 5;

/// Most required clauses kept per regex (the most selective; dropping one only admits more).
const MAX_CLAUSES: usize = 8;

/// What the regex's syntax says about the bytes of any of its matches: the classes they can
/// contain (a class counts when one of its bytes can occur), and clauses of classes each
/// of which a match must touch (`\s` in a street address: a space or a control byte).
fn byte_rules(pattern: &str) -> Result<(u64, Vec<u64>), String> {
    let hir = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .map_err(|e| e.to_string())?;
    let mut mask = 0;
    add_classes(&hir, &mut mask);
    let mut clauses = required(&hir);
    clauses.sort_by_key(|c| (c.count_ones(), *c));
    clauses.dedup();
    clauses.truncate(MAX_CLAUSES);
    Ok((mask, clauses))
}

/// Clauses every match satisfies: each is a set of classes of which a match contains at
/// least one. Any subset of a sound list is sound, so lists are cut rather than grown.
fn required(hir: &Hir) -> Vec<u64> {
    let mut out = Vec::new();
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => {}
        HirKind::Literal(lit) => out.extend(lit.0.iter().map(|&b| CLASSES[usize::from(b)])),
        HirKind::Class(_) => {
            let mut m = 0;
            add_classes(hir, &mut m);
            if m != 0 {
                out.push(m);
            }
        }
        HirKind::Repetition(r) if r.min > 0 => out = required(&r.sub),
        HirKind::Repetition(_) => {}
        HirKind::Capture(c) => out = required(&c.sub),
        HirKind::Concat(subs) => subs.iter().for_each(|s| out.extend(required(s))),
        HirKind::Alternation(subs) => {
            // A match satisfies one branch, so it touches, for any choice of one clause per
            // branch, their union.
            let mut acc: Option<Vec<u64>> = None;
            for s in subs {
                let mine = required(s);
                acc = Some(match acc {
                    None => mine,
                    Some(prev) => {
                        let mut next: Vec<u64> = prev
                            .iter()
                            .flat_map(|a| mine.iter().map(move |b| a | b))
                            .collect();
                        next.sort_by_key(|c| (c.count_ones(), *c));
                        next.dedup();
                        next.truncate(4 * MAX_CLAUSES);
                        next
                    }
                });
            }
            out = acc.unwrap_or_default();
        }
    }
    out
}

fn add_classes(hir: &Hir, mask: &mut u64) {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => {}
        HirKind::Literal(lit) => lit.0.iter().for_each(|&b| *mask |= CLASSES[usize::from(b)]),
        HirKind::Class(Class::Bytes(c)) => {
            for r in c.ranges() {
                (r.start()..=r.end()).for_each(|b| *mask |= CLASSES[usize::from(b)]);
            }
        }
        HirKind::Class(Class::Unicode(c)) => {
            for r in c.ranges() {
                let (lo, hi) = (u32::from(r.start()), u32::from(r.end()));
                (lo..=hi.min(0x7f)).for_each(|b| *mask |= CLASSES[b as usize]);
                if hi >= 0x80 {
                    *mask |= CLASSES[0x80];
                }
            }
        }
        HirKind::Repetition(r) => add_classes(&r.sub, mask),
        HirKind::Capture(c) => add_classes(&c.sub, mask),
        HirKind::Concat(subs) | HirKind::Alternation(subs) => {
            subs.iter().for_each(|s| add_classes(s, mask));
        }
    }
}

/// The counts a detector's file bounds: a cell outside them is not run against its regex.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// Shortest trimmed cell, in bytes.
    pub min_len: usize,
    /// Longest trimmed cell, in bytes.
    pub max_len: usize,
    /// Fewest ASCII digits.
    pub min_digits: u32,
    /// Fewest letters (ASCII letters and non-ASCII bytes).
    pub min_letters: u32,
    /// Most letters.
    pub max_letters: u32,
    /// A byte the cell must contain (`@` for e-mail).
    pub requires: Option<u8>,
}

impl Bounds {
    fn admits(&self, len: usize, digits: u32, letters: u32) -> bool {
        len >= self.min_len
            && len <= self.max_len
            && digits >= self.min_digits
            && letters >= self.min_letters
            && letters <= self.max_letters
    }
}

/// Counts up to this are answered by a table; a cell beyond it (long text) asks each
/// detector's [`Bounds`] in turn.
const TABLE_CAP: usize = 256;

/// A set of detectors, one bit each.
type Mask = u128;

/// Most identifier detectors a pattern pack may hold (one bit each in a [`Mask`]).
pub(super) const MAX_DETECTORS: usize = Mask::BITS as usize;

/// Which detectors a cell's length, digit and letter counts and byte classes admit, by a
/// few table lookups rather than tests per detector.
struct Admission {
    bounds: Vec<Bounds>,
    /// Detectors admitting a cell of length `l` (entry `l`, for `l < TABLE_CAP`).
    by_len: Vec<Mask>,
    /// Detectors whose fewest digits is at most `d` (`d` capped at the largest minimum).
    by_digits: Vec<Mask>,
    /// Detectors admitting `l` letters (`l < TABLE_CAP`).
    by_letters: Vec<Mask>,
    /// Detectors none of whose matches contains a byte of class `c` (one entry per class).
    forbids: [Mask; 64],
}

impl Admission {
    fn new(bounds: &[Bounds], allowed: &[u64]) -> Self {
        let digits_cap = bounds
            .iter()
            .map(|b| b.min_digits as usize)
            .max()
            .unwrap_or(0);
        let table = |rows: usize, admits: &dyn Fn(usize, &Bounds) -> bool| -> Vec<Mask> {
            (0..rows)
                .map(|r| {
                    (bounds.iter().enumerate())
                        .filter(|(_, b)| admits(r, b))
                        .fold(0, |m, (i, _)| m | 1 << i)
                })
                .collect()
        };
        let mut forbids = [0; 64];
        for (c, f) in forbids.iter_mut().enumerate() {
            *f = (allowed.iter().enumerate())
                .filter(|(_, a)| *a & (1 << c) == 0)
                .fold(0, |m, (i, _)| m | 1 << i);
        }
        Admission {
            bounds: bounds.to_vec(),
            by_len: table(TABLE_CAP, &|l, b| l >= b.min_len && l <= b.max_len),
            by_digits: table(digits_cap + 1, &|d, b| d as u32 >= b.min_digits),
            by_letters: table(TABLE_CAP, &|l, b| {
                l as u32 >= b.min_letters && l as u32 <= b.max_letters
            }),
            forbids,
        }
    }

    /// The detectors admitting a cell of `len` bytes with these counts and byte classes
    /// (before each survivor's required classes and byte).
    #[inline]
    fn admitted(&self, len: usize, digits: u32, letters: u32, classes: u64) -> Mask {
        let d = (digits as usize).min(self.by_digits.len() - 1);
        let mut mask = self.by_digits[d];
        match (self.by_len.get(len), self.by_letters.get(letters as usize)) {
            (Some(l), Some(t)) => mask &= l & t,
            _ => {
                for (i, b) in self.bounds.iter().enumerate() {
                    if !b.admits(len, digits, letters) {
                        mask &= !(1 << i);
                    }
                }
            }
        }
        let mut c = classes;
        while c != 0 && mask != 0 {
            mask &= !self.forbids[c.trailing_zeros() as usize];
            c &= c - 1;
        }
        mask
    }
}

/// Every detector's whole-cell matcher; indices are detector indices.
pub(super) struct CellMatchers {
    singles: Vec<Single>,
    /// Byte classes each detector's matches can contain (the tables hold them as
    /// [`Admission::forbids`]; tests ask them one by one).
    #[cfg(test)]
    allowed: Vec<u64>,
    /// Clauses of classes each detector's matches touch (see [`byte_rules`]).
    clauses: Vec<Vec<u64>>,
    admission: Admission,
}

impl CellMatchers {
    /// Compile the anchored patterns (`^(?:…)$`), one per detector with its [`Bounds`]; an
    /// error names the index of the pattern that failed.
    pub(super) fn new(patterns: &[String], bounds: &[Bounds]) -> Result<Self, (usize, String)> {
        if patterns.len() > MAX_DETECTORS {
            return Err((
                MAX_DETECTORS,
                format!("a pattern pack holds at most {MAX_DETECTORS} identifier detectors"),
            ));
        }
        let mut singles = Vec::with_capacity(patterns.len());
        let mut allowed = Vec::with_capacity(patterns.len());
        let mut clauses = Vec::with_capacity(patterns.len());
        for (i, p) in patterns.iter().enumerate() {
            singles.push(Single::new(p).map_err(|e| (i, e))?);
            let (mask, required) = byte_rules(p).map_err(|e| (i, e))?;
            allowed.push(mask);
            clauses.push(required);
        }
        let admission = Admission::new(bounds, &allowed);
        Ok(CellMatchers {
            singles,
            #[cfg(test)]
            allowed,
            clauses,
            admission,
        })
    }

    /// Whether detector `i`'s regex can match a cell of these byte classes at all (the
    /// per-detector test [`each_admitted`](Self::each_admitted) answers by tables).
    #[cfg(test)]
    fn admits(&self, i: usize, classes: u64) -> bool {
        classes & !self.allowed[i] == 0 && self.clauses[i].iter().all(|c| classes & c != 0)
    }

    /// Calls `f(i)` for each detector, in index order, whose bounds, byte classes and
    /// required byte admit `cell` with these counts of digits and letters and byte classes.
    #[inline]
    pub(super) fn each_admitted(
        &self,
        cell: &[u8],
        (digits, letters, classes): (u32, u32, u64),
        mut f: impl FnMut(usize),
    ) {
        let mut mask = self
            .admission
            .admitted(cell.len(), digits, letters, classes);
        while mask != 0 {
            let i = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            let required = self.admission.bounds[i].requires;
            if self.clauses[i].iter().all(|c| classes & c != 0)
                && required.is_none_or(|r| cell.contains(&r))
            {
                f(i);
            }
        }
    }

    /// Whether detector `i`'s regex matches the whole cell.
    #[inline]
    pub(super) fn matches(&self, i: usize, cell: &[u8]) -> bool {
        self.singles[i].is_full_match(cell)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::PatternSet;
    use proptest::prelude::*;

    fn embedded_patterns() -> Vec<String> {
        PatternSet::embedded()
            .unwrap()
            .identifiers
            .iter()
            .map(|i| format!("^(?:{})$", i.regex))
            .collect()
    }

    fn embedded_bounds() -> Vec<Bounds> {
        PatternSet::embedded()
            .unwrap()
            .identifiers
            .iter()
            .map(|i| i.bounds)
            .collect()
    }

    /// Bounds that admit every cell, for testing the byte classes alone.
    fn unbounded(n: usize) -> Vec<Bounds> {
        let any = Bounds {
            min_len: 0,
            max_len: usize::MAX,
            min_digits: 0,
            min_letters: 0,
            max_letters: u32::MAX,
            requires: None,
        };
        vec![any; n]
    }

    fn matchers(patterns: &[String]) -> CellMatchers {
        CellMatchers::new(patterns, &unbounded(patterns.len())).unwrap()
    }

    /// The embedded detectors' matchers with their bounds, compiled once for all proptest
    /// cases.
    fn shared() -> &'static (CellMatchers, usize) {
        static M: std::sync::OnceLock<(CellMatchers, usize)> = std::sync::OnceLock::new();
        M.get_or_init(|| {
            let p = embedded_patterns();
            (CellMatchers::new(&p, &embedded_bounds()).unwrap(), p.len())
        })
    }

    /// The detectors [`CellMatchers::each_admitted`] admits against each detector's bounds,
    /// byte classes and required byte tested in turn.
    fn admission_agrees(m: &CellMatchers, cell: &[u8]) -> Result<(), String> {
        let digits = cell.iter().filter(|b| b.is_ascii_digit()).count() as u32;
        let letters = cell
            .iter()
            .filter(|b| b.is_ascii_alphabetic() || **b >= 0x80)
            .count() as u32;
        let classes = byte_classes(cell);
        let mut fast = Vec::new();
        m.each_admitted(cell, (digits, letters, classes), |i| fast.push(i));
        let slow: Vec<usize> = (0..m.singles.len())
            .filter(|&i| {
                let b = &m.admission.bounds[i];
                b.admits(cell.len(), digits, letters)
                    && m.admits(i, classes)
                    && b.requires.is_none_or(|r| cell.contains(&r))
            })
            .collect();
        if fast == slow {
            Ok(())
        } else {
            let cell = String::from_utf8_lossy(cell);
            Err(format!("{cell:?}: by tables {fast:?}, one by one {slow:?}"))
        }
    }

    #[test]
    fn admission_tables_agree_on_long_and_many_detector_cells() {
        let (m, _) = shared();
        let long = "1".repeat(300) + "@x.ks";
        for c in [long.as_str(), "", "a", "+383 44 419 279", &"ë".repeat(200)] {
            admission_agrees(m, c.as_bytes()).unwrap();
        }
        // Up to the most detectors a mask holds, and one more is refused.
        let mut patterns = embedded_patterns();
        let mut bounds = embedded_bounds();
        while patterns.len() + embedded_patterns().len() <= MAX_DETECTORS {
            patterns.extend(embedded_patterns());
            bounds.extend(embedded_bounds());
        }
        patterns.extend(embedded_patterns()[..MAX_DETECTORS - patterns.len()].to_vec());
        bounds.truncate(0);
        bounds.extend(
            embedded_bounds()
                .iter()
                .cycle()
                .take(MAX_DETECTORS)
                .copied(),
        );
        let wide = CellMatchers::new(&patterns, &bounds).unwrap();
        assert_eq!(patterns.len(), MAX_DETECTORS);
        for c in [
            "3887125855",
            "02.11.1981",
            "rina@example.com",
            long.as_str(),
        ] {
            admission_agrees(&wide, c.as_bytes()).unwrap();
        }
        patterns.push(patterns[0].clone());
        bounds.push(bounds[0]);
        assert!(CellMatchers::new(&patterns, &bounds).is_err());
    }

    /// The detectors whose regex matches once the byte classes have ruled some out, against
    /// asking every detector's regex.
    fn agree(m: &CellMatchers, n: usize, cell: &[u8]) -> Result<(), String> {
        let classes = byte_classes(cell);
        let fast: Vec<usize> = (0..n)
            .filter(|&i| m.admits(i, classes) && m.matches(i, cell))
            .collect();
        let slow: Vec<usize> = (0..n).filter(|&i| m.matches(i, cell)).collect();
        if fast == slow {
            Ok(())
        } else {
            let cell = String::from_utf8_lossy(cell);
            Err(format!("{cell:?}: with classes {fast:?}, without {slow:?}"))
        }
    }

    #[test]
    fn byte_classes_never_rule_out_a_match_of_an_example() {
        let set = PatternSet::embedded().unwrap();
        let patterns = embedded_patterns();
        let m = matchers(&patterns);
        let mut cells: Vec<String> = Vec::new();
        for id in &set.identifiers {
            let ex = &id.examples;
            cells.extend(
                ex.valid
                    .iter()
                    .chain(&ex.invalid)
                    .chain(&ex.near_miss)
                    .cloned(),
            );
        }
        // The values of the bench and sample data, and edge shapes.
        cells.extend(
            [
                "3887125855",
                "02.11.1981",
                "+383 44 419 279",
                "rinaberisha84@example.com",
                "I25.1",
                "Gjakovë",
                "",
                "@",
                "0",
                "$2b$10$",
                "ffd8ff",
                "Rr. Nëna Terezë 12",
            ]
            .map(String::from),
        );
        let failures: Vec<String> = cells
            .iter()
            .filter_map(|c| agree(&m, patterns.len(), c.trim().as_bytes()).err())
            .collect();
        assert!(failures.is_empty(), "{failures:#?}");
    }

    #[test]
    fn a_byte_outside_a_regex_rules_it_out_and_one_inside_does_not() {
        let m = matchers(&["^(?:[0-9]{3}-x)$".to_string()]);
        assert_eq!(byte_classes_of(b"-'.@"), byte_classes(b"-'.@"));
        assert!(m.admits(0, byte_classes(b"123-x")));
        assert!(!m.admits(0, byte_classes(b"123@x")));
        assert!(
            !m.admits(0, byte_classes(b"123-X")),
            "upper case is its own class"
        );
        // Case-insensitive and non-ASCII classes.
        let m = matchers(&["^(?:(?i)ab.)$".to_string()]);
        assert!(m.admits(0, byte_classes("AB\u{e7}".as_bytes())));
        // Required classes: a match of `\s` needs a space or a control byte, a match of
        // either branch needs a digit.
        let m = matchers(&["^(?:a\\s+\\d|\\d{2}(?:x|y))$".to_string()]);
        assert!(m.admits(0, byte_classes(b"a 1")));
        assert!(!m.admits(0, byte_classes(b"ab")), "no digit");
        let street = matchers(&["^(?:.{2,50}\\s(?:st\\.|rd\\.))$".to_string()]);
        assert!(!street.admits(0, byte_classes(b"arta.b@example.st.")));
        assert!(street.admits(0, byte_classes(b"arta b st.")));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        /// On cells drawn from the bytes identifiers are made of, the byte classes rule out
        /// no detector whose regex matches.
        #[test]
        fn byte_classes_never_rule_out_a_match_of_generated_cells(
            cell in proptest::collection::vec(
                prop_oneof![
                    proptest::sample::select(b"0123456789".to_vec()),
                    proptest::sample::select(b" +-./:@()$TZxXksKSPpAaEeFf".to_vec()),
                    any::<u8>(),
                ],
                0..40,
            ),
            digits in proptest::collection::vec(proptest::sample::select(b"0123456789".to_vec()), 0..14),
        ) {
            let (m, n) = shared();
            for c in [&cell, &digits] {
                let verdict = agree(m, *n, c);
                prop_assert!(verdict.is_ok(), "{}", verdict.unwrap_err());
                let verdict = admission_agrees(m, c);
                prop_assert!(verdict.is_ok(), "{}", verdict.unwrap_err());
            }
        }
    }
}
