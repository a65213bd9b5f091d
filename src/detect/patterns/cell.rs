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

/// Every detector's whole-cell matcher; indices are detector indices.
pub(super) struct CellMatchers {
    singles: Vec<Single>,
    /// Byte classes each detector's matches can contain.
    allowed: Vec<u64>,
    /// Clauses of classes each detector's matches touch (see [`byte_rules`]).
    clauses: Vec<Vec<u64>>,
}

impl CellMatchers {
    /// Compile the anchored patterns (`^(?:…)$`), one per detector; an error names the index
    /// of the pattern that failed.
    pub(super) fn new(patterns: &[String]) -> Result<Self, (usize, String)> {
        let mut singles = Vec::with_capacity(patterns.len());
        let mut allowed = Vec::with_capacity(patterns.len());
        let mut clauses = Vec::with_capacity(patterns.len());
        for (i, p) in patterns.iter().enumerate() {
            singles.push(Single::new(p).map_err(|e| (i, e))?);
            let (mask, required) = byte_rules(p).map_err(|e| (i, e))?;
            allowed.push(mask);
            clauses.push(required);
        }
        Ok(CellMatchers {
            singles,
            allowed,
            clauses,
        })
    }

    /// Whether detector `i`'s regex can match a cell of these byte classes at all.
    #[inline]
    pub(super) fn admits(&self, i: usize, classes: u64) -> bool {
        classes & !self.allowed[i] == 0 && self.clauses[i].iter().all(|c| classes & c != 0)
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

    /// The embedded detectors' matchers, compiled once for all proptest cases.
    fn shared() -> &'static (CellMatchers, usize) {
        static M: std::sync::OnceLock<(CellMatchers, usize)> = std::sync::OnceLock::new();
        M.get_or_init(|| {
            let p = embedded_patterns();
            (CellMatchers::new(&p).unwrap(), p.len())
        })
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
        let m = CellMatchers::new(&patterns).unwrap();
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
        let m = CellMatchers::new(&["^(?:[0-9]{3}-x)$".to_string()]).unwrap();
        assert_eq!(byte_classes_of(b"-'.@"), byte_classes(b"-'.@"));
        assert!(m.admits(0, byte_classes(b"123-x")));
        assert!(!m.admits(0, byte_classes(b"123@x")));
        assert!(
            !m.admits(0, byte_classes(b"123-X")),
            "upper case is its own class"
        );
        // Case-insensitive and non-ASCII classes.
        let m = CellMatchers::new(&["^(?:(?i)ab.)$".to_string()]).unwrap();
        assert!(m.admits(0, byte_classes("AB\u{e7}".as_bytes())));
        // Required classes: a match of `\s` needs a space or a control byte, a match of
        // either branch needs a digit.
        let m = CellMatchers::new(&["^(?:a\\s+\\d|\\d{2}(?:x|y))$".to_string()]).unwrap();
        assert!(m.admits(0, byte_classes(b"a 1")));
        assert!(!m.admits(0, byte_classes(b"ab")), "no digit");
        let street = CellMatchers::new(&["^(?:.{2,50}\\s(?:st\\.|rd\\.))$".to_string()]).unwrap();
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
            }
        }
    }
}
