//! Loads the pattern packs in `patterns/` into one [`PatternSet`], compiled once and shared.
//!
//! * identifiers → whole-cell matchers over trimmed cells (`cell.rs`: length, digit, letter
//!   and byte-class prefilters, then one anchored DFA per detector), one unanchored set for
//!   entities inside free text, and the check-digit validators named in each file;
//! * vocabularies, municipalities → a whole-cell map and an Aho-Corasick automaton over
//!   folded text (word terms only, checked for word boundaries);
//! * names → two folded sets (given names, surnames);
//! * header synonyms → token phrases.
//!
//! Every file's `[examples]` are checked by [`PatternSet::check_examples`], which a unit test
//! and `anonkos patterns check` run.
use std::collections::HashMap;

use super::hash::{FxHashMap, FxHashSet};
use std::path::{Path, PathBuf};

use aho_corasick::AhoCorasick;
use regex::bytes::{Regex, RegexSet};
use serde::Deserialize;

use super::category::Category;
use super::fold::{fold, fold_into};
use super::header::{HeaderMatch, HeaderSynonyms};
use super::validators::ValidatorFn;
use crate::error::{Error, Result};

mod cell;
mod load;

pub use cell::{Bounds, byte_classes, byte_classes_of};

use load::Pack;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_patterns.rs"));
}

/// How a cell is normalised before its validator sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Normalise {
    /// Keep ASCII digits only (`044 123 456` → `044123456`).
    Digits,
    /// Keep `+` and digits (phone numbers).
    Phone,
    /// Keep ASCII letters and digits, upper-cased (IBANs, plates).
    AlnumUpper,
    /// ASCII lower case.
    Lower,
    /// The trimmed cell as is.
    None,
}

impl Normalise {
    /// Apply to `s`, writing into `out`.
    pub fn apply(self, s: &[u8], out: &mut Vec<u8>) {
        out.clear();
        match self {
            Normalise::Digits => out.extend(s.iter().filter(|b| b.is_ascii_digit())),
            Normalise::Phone => out.extend(s.iter().filter(|b| b.is_ascii_digit() || **b == b'+')),
            Normalise::AlnumUpper => out.extend(
                s.iter()
                    .filter(|b| b.is_ascii_alphanumeric())
                    .map(u8::to_ascii_uppercase),
            ),
            Normalise::Lower => out.extend(s.iter().map(u8::to_ascii_lowercase)),
            Normalise::None => out.extend_from_slice(s),
        }
    }

    /// Whether [`apply`](Self::apply) would return `s` unchanged (a personal number of
    /// digits only): its validator then reads the cell itself.
    fn keeps(self, s: &[u8]) -> bool {
        match self {
            Normalise::Digits => s.iter().all(u8::is_ascii_digit),
            Normalise::Phone => s.iter().all(|b| b.is_ascii_digit() || *b == b'+'),
            Normalise::AlnumUpper => s
                .iter()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()),
            Normalise::Lower => !s.iter().any(u8::is_ascii_uppercase),
            Normalise::None => true,
        }
    }

    /// Run `validator` on the normalised `s`, with `scratch` for the copy when one is needed.
    fn validate(self, s: &str, scratch: &mut Vec<u8>, validator: ValidatorFn) -> bool {
        if self.keeps(s.as_bytes()) {
            return validator(s);
        }
        self.apply(s.as_bytes(), scratch);
        std::str::from_utf8(scratch).is_ok_and(validator)
    }
}

/// How much a detector's match counts on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strength {
    /// The value shape is specific enough to classify a column on its own (e-mail, XK IBAN).
    Strong,
    /// Needs a header synonym or a high validator pass rate (10-digit personal numbers).
    Weak,
    /// Counts only next to a header synonym (5-digit postal codes, bare ICD-10 codes).
    Context,
}

/// Synthetic examples every pattern file carries.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    /// Must be recognised.
    #[serde(default)]
    pub valid: Vec<String>,
    /// Must not be recognised.
    #[serde(default)]
    pub invalid: Vec<String>,
    /// Look right but must not both match and validate.
    #[serde(default)]
    pub near_miss: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IdentifierFile {
    name: String,
    category: String,
    description: String,
    regex: String,
    embedded: Option<String>,
    normalise: Normalise,
    validator: Option<String>,
    min_len: usize,
    max_len: usize,
    #[serde(default)]
    min_digits: u32,
    #[serde(default)]
    min_letters: u32,
    max_letters: Option<u32>,
    requires: Option<String>,
    strength: Strength,
    /// Share of random values of this shape that pass the validator.
    chance: Option<f64>,
    /// Leading letters the values must spread over to count without a header.
    min_lead_letters: Option<u32>,
    #[serde(default)]
    examples: Examples,
}

/// One identifier detector.
#[derive(Debug, Clone)]
pub struct Identifier {
    /// Unique name.
    pub name: String,
    /// Category it detects.
    pub category: Category,
    /// One-line description.
    pub description: String,
    /// The regex as written in the file (before anchoring).
    pub regex: String,
    /// Normalisation before validation.
    pub normalise: Normalise,
    /// Validator name and function.
    pub validator: Option<(String, ValidatorFn)>,
    /// Prefilters: the length, digit and letter counts and the byte a cell needs.
    pub bounds: Bounds,
    /// How much a match counts on its own.
    pub strength: Strength,
    /// Share of random values of this shape that pass the validator (`1/10` for a check digit
    /// mod 10): a weak detector's pass rate is compared with it.
    pub chance: Option<f64>,
    /// A context detector counts without a header when nearly every value matches, values
    /// repeat (a code list) and their leading letters spread over at least this many letters
    /// (ICD-10 chapters; room and product codes use a few).
    pub min_lead_letters: Option<u32>,
    /// Whether it can find entities inside free text.
    pub has_embedded: bool,
    /// The file's examples.
    pub examples: Examples,
    /// The file it came from.
    pub file: String,
}

/// How a vocabulary term may match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchMode {
    /// Anywhere as whole words, including inside free text.
    Word,
    /// Only as the whole cell.
    Cell,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VocabFile {
    category: String,
    #[serde(rename = "match")]
    mode: MatchMode,
    terms: HashMap<String, Vec<String>>,
    #[serde(default)]
    examples: Examples,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlacesFile {
    district: Vec<DistrictEntry>,
    municipality: Vec<MunicipalityEntry>,
    #[serde(default)]
    examples: Examples,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct DistrictEntry {
    code: String,
    sq: String,
    sr_latn: String,
    sr_cyrl: String,
    #[serde(default)]
    aliases: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct MunicipalityEntry {
    sq: String,
    sr_latn: String,
    sr_cyrl: String,
    district: String,
    postal_code: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
}

/// A municipality and its district (the generalisation hierarchy's first two levels).
#[derive(Debug, Clone)]
pub struct Municipality {
    /// Albanian official name.
    pub name_sq: String,
    /// Serbian Latin name.
    pub name_sr: String,
    /// District code `01`–`07` (also the plate code).
    pub district: String,
    /// Albanian name of the district.
    pub district_name: String,
    /// Main postal code, where known.
    pub postal_code: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NamesFile {
    names: HashMap<String, Vec<String>>,
    #[serde(default)]
    examples: Examples,
}

/// One loaded file, for `anonkos patterns list`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PackFile {
    /// Path relative to the pattern directory.
    pub path: String,
    /// identifier | vocabulary | headers | places | names
    pub kind: &'static str,
    /// Category, where the file has one.
    pub category: Option<String>,
    /// Number of entries (terms, names, synonyms, ...).
    pub entries: usize,
}

/// Scratch space for [`PatternSet::match_identifiers`] and [`PatternSet::find_embedded`],
/// reused across cells so the hot loop does not allocate.
#[derive(Debug, Default)]
pub struct MatchScratch {
    norm: Vec<u8>,
    spans: Vec<(usize, usize, usize)>,
}

/// Where a vocabulary hit came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Term {
    /// The category.
    pub category: Category,
    /// How it may match.
    pub mode: MatchMode,
}

/// Every detector, compiled once.
pub struct PatternSet {
    /// `embedded` or the directory given with `--patterns`.
    pub origin: String,
    /// SHA-256 (hex) over every pack file's relative path and contents: two sets with the same
    /// digest classify alike (incremental scans refuse a state made with other patterns).
    pub digest: String,
    /// The files loaded.
    pub files: Vec<PackFile>,
    /// Identifier detectors; indices match the regex sets.
    pub identifiers: Vec<Identifier>,
    cells: cell::CellMatchers,
    embedded_set: RegexSet,
    embedded_ids: Vec<usize>,
    embedded_res: Vec<Regex>,
    /// Whole-cell terms (folded) → categories.
    cell_terms: FxHashMap<Box<str>, Vec<Term>>,
    /// Byte classes ([`byte_classes`]) of every whole-cell term.
    cell_term_classes: u64,
    word_ac: AhoCorasick,
    word_cats: Vec<Category>,
    given: FxHashSet<Box<str>>,
    surnames: FxHashSet<Box<str>>,
    /// Municipalities.
    pub municipalities: Vec<Municipality>,
    municipality_index: FxHashMap<Box<str>, usize>,
    /// Header synonyms.
    pub headers: HeaderSynonyms,
    vocab_examples: Vec<(String, Category, Examples)>,
    places_examples: Examples,
    names_examples: Vec<(String, Examples)>,
    /// Data files read by transforms rather than detectors (`context/`, `fictitious/`):
    /// relative path → contents, parsed (and checked) by the transform that uses them.
    data_files: FxHashMap<Box<str>, String>,
}

/// Read the pack files from the embedded copy or a directory: (relative path, contents).
fn read_pack(dir: Option<&Path>) -> Result<Vec<(String, String)>> {
    let Some(dir) = dir else {
        return Ok(embedded::EMBEDDED
            .iter()
            .map(|(p, c)| ((*p).to_string(), (*c).to_string()))
            .collect());
    };
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) -> Result<()> {
        let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
        for e in entries {
            let p = e.map_err(|e| Error::io(dir, e))?.path();
            if p.is_dir() {
                walk(root, &p, out)?;
            } else if p.extension().is_some_and(|x| x == "toml") {
                // Pattern files are small configuration files, read whole on purpose.
                #[allow(clippy::disallowed_methods)]
                let text = std::fs::read_to_string(&p).map_err(|e| Error::io(&p, e))?;
                let rel = p
                    .strip_prefix(root)
                    .unwrap_or(&p)
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, text));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out)?;
    out.sort();
    if out.is_empty() {
        return Err(Error::Usage(format!(
            "{}: no pattern files (*.toml) found",
            dir.display()
        )));
    }
    Ok(out)
}

fn config_err(base: &Option<PathBuf>, rel: &str, msg: impl Into<String>) -> Error {
    let path = base
        .as_ref()
        .map_or_else(|| PathBuf::from("patterns").join(rel), |b| b.join(rel));
    Error::Config {
        path,
        line: None,
        msg: msg.into(),
    }
}

fn parse_toml<T: serde::de::DeserializeOwned>(
    base: &Option<PathBuf>,
    rel: &str,
    text: &str,
) -> Result<T> {
    toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
        let path = base
            .as_ref()
            .map_or_else(|| PathBuf::from("patterns").join(rel), |b| b.join(rel));
        Error::Config {
            path,
            line,
            msg: e.message().to_string(),
        }
    })
}

fn category(base: &Option<PathBuf>, rel: &str, name: &str) -> Result<Category> {
    Category::from_name(name).ok_or_else(|| {
        config_err(
            base,
            rel,
            format!("unknown category `{name}`; see DESIGN.md §4 for the vocabulary"),
        )
    })
}

/// Case endings (folded) accepted after a vocabulary word of four letters or more, so
/// `diabet` also finds `diabeti`, `diabetit`, `diabetin` (Albanian; after the longest term
/// `diabeti`, the ending is just `t`) and `dijabetesom`
/// (Serbian). Listing every inflected form in the vocabularies would be endless.
const INFLECTIONS: &[&[u8]] = &[
    b"i", b"in", b"it", b"t", b"n", b"s", b"e", b"en", b"et", b"es", b"a", b"ave", b"ve", b"se",
    b"ise", b"ia", b"ine", b"ja", b"je", b"ve", b"u", b"om", b"em", b"ima", b"ama", b"og", b"oj",
    b"ih", b"ov", b"ovi", b"ova",
];

/// Collapse runs of whitespace and trim, on folded text.
pub(crate) fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// SHA-256 (hex) over the pack files' relative paths and contents.
fn pack_digest(files: &[(String, String)]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for (rel, text) in files {
        h.update((rel.len() as u64).to_le_bytes());
        h.update(rel.as_bytes());
        h.update((text.len() as u64).to_le_bytes());
        h.update(text.as_bytes());
    }
    crate::digest::hex(&h.finalize())
}

impl PatternSet {
    /// [`PatternSet::digest`] of the set in `dir` (or the embedded one), without compiling it.
    pub fn digest_of(dir: Option<&Path>) -> Result<String> {
        Ok(pack_digest(&read_pack(dir)?))
    }

    /// The embedded pattern set.
    pub fn embedded() -> Result<PatternSet> {
        Self::load(None)
    }

    /// Load from `dir`, or the embedded copy when `None`.
    pub fn load(dir: Option<&Path>) -> Result<PatternSet> {
        Pack::load(dir, &read_pack(dir)?)
    }

    /// A data file of the pack read by a transform (`"fictitious/ranges.toml"`), if present.
    pub fn data_file(&self, rel: &str) -> Option<&str> {
        self.data_files.get(rel).map(String::as_str)
    }

    /// Run the anchored identifier detectors on a trimmed cell; calls `hit(index, validated)`
    /// for every detector whose regex matches. Cheap prefilters (length, digit and letter
    /// counts, a required byte) decide which regexes run at all.
    pub fn match_identifiers(
        &self,
        cell: &str,
        scratch: &mut MatchScratch,
        hit: impl FnMut(usize, bool),
    ) {
        let (mut digits, mut letters) = (0u32, 0u32);
        for &b in cell.as_bytes() {
            if b.is_ascii_digit() {
                digits += 1;
            } else if b.is_ascii_alphabetic() || b >= 0x80 {
                letters += 1;
            }
        }
        let classes = byte_classes(cell.as_bytes());
        self.match_identifiers_counted(cell, (digits, letters, classes), scratch, hit);
    }

    /// [`match_identifiers`](Self::match_identifiers) for a caller that has already counted
    /// the cell's ASCII digits and letters (ASCII letters plus non-ASCII bytes) and taken its
    /// [`byte_classes`].
    pub fn match_identifiers_counted(
        &self,
        cell: &str,
        (digits, letters, classes): (u32, u32, u64),
        scratch: &mut MatchScratch,
        mut hit: impl FnMut(usize, bool),
    ) {
        let bytes = cell.as_bytes();
        self.cells
            .each_admitted(bytes, (digits, letters, classes), |i| {
                if !self.cells.matches(i, bytes) {
                    return;
                }
                let id = &self.identifiers[i];
                let valid = match &id.validator {
                    Some((_, f)) => id.normalise.validate(cell, &mut scratch.norm, *f),
                    None => true,
                };
                hit(i, valid);
            });
    }

    /// Find identifier entities inside free text; calls `hit(index)` for each validated one.
    /// Overlapping matches count once: the longest validated match wins, so the 16 digits
    /// inside an IBAN are not also counted as a domestic account.
    pub fn find_embedded(
        &self,
        text: &[u8],
        scratch: &mut MatchScratch,
        mut hit: impl FnMut(usize),
    ) {
        self.find_embedded_spans(text, scratch, |_, _, idx| hit(idx));
    }

    /// [`find_embedded`](Self::find_embedded) that also reports where each kept entity is:
    /// calls `hit(start, end, index)` with byte offsets into `text` (longest first).
    pub fn find_embedded_spans(
        &self,
        text: &[u8],
        scratch: &mut MatchScratch,
        mut hit: impl FnMut(usize, usize, usize),
    ) {
        let found = &mut scratch.spans;
        found.clear();
        for k in self.embedded_set.matches(text).iter() {
            let idx = self.embedded_ids[k];
            let id = &self.identifiers[idx];
            for m in self.embedded_res[k].find_iter(text) {
                let ok = match &id.validator {
                    Some((_, f)) => {
                        id.normalise.apply(m.as_bytes(), &mut scratch.norm);
                        std::str::from_utf8(&scratch.norm).is_ok_and(f)
                    }
                    None => true,
                };
                if ok {
                    found.push((m.start(), m.end(), idx));
                }
            }
        }
        // Longest first, then left to right; keep those that overlap nothing kept so far.
        found.sort_by_key(|&(s, e, _)| (std::cmp::Reverse(e - s), s));
        let mut kept: Vec<(usize, usize)> = Vec::with_capacity(found.len());
        for &(s, e, idx) in found.iter() {
            if kept.iter().all(|&(ks, ke)| e <= ks || s >= ke) {
                kept.push((s, e));
                hit(s, e, idx);
            }
        }
    }

    /// Whether a cell of these [`byte_classes`] holds punctuation (an `@`) that no whole-cell
    /// term has and a name cannot have (names are letters and `-'.`): such a cell is neither.
    /// Folding keeps ASCII punctuation, so the test holds for the folded cell too.
    pub fn is_foreign_to_terms(&self, classes: u64) -> bool {
        const NAME_MARKS: u64 = byte_classes_of(b"-'.");
        classes & cell::PUNCTUATION & !(self.cell_term_classes | NAME_MARKS) != 0
    }

    /// Categories of a whole folded, squashed cell (vocabularies and municipalities).
    pub fn cell_terms(&self, folded: &str) -> &[Term] {
        self.cell_terms.get(folded).map_or(&[], Vec::as_slice)
    }

    /// The municipality a folded cell names, if any.
    pub fn municipality(&self, folded: &str) -> Option<&Municipality> {
        self.municipality_index
            .get(folded)
            .map(|&i| &self.municipalities[i])
    }

    /// Word-vocabulary categories found as whole words in folded text: calls `hit(category)`
    /// once per occurrence.
    pub fn find_words(&self, folded: &str, mut hit: impl FnMut(Category)) {
        let b = folded.as_bytes();
        let is_word = |c: u8| c.is_ascii_alphanumeric() || c >= 0x80;
        for m in self.word_ac.find_iter(folded) {
            if m.start() > 0 && is_word(b[m.start() - 1]) {
                continue;
            }
            let rest = &b[m.end()..];
            let suffix_len = rest.iter().take_while(|c| is_word(**c)).count();
            let cat = self.word_cats[m.pattern().as_usize()];
            if suffix_len == 0 {
                hit(cat);
                continue;
            }
            // An inflected form, unless the whole word is a term of another category in its
            // own right (`serb` + `ia` is the country Serbia, not a Serb).
            let word = &folded[m.start()..m.end() + suffix_len];
            let other = self.cell_terms(word).iter().any(|t| t.category != cat);
            if m.len() >= 4 && !other && INFLECTIONS.contains(&&rest[..suffix_len]) {
                hit(cat);
            }
        }
    }

    /// Whether a folded token is a known given name.
    pub fn is_given_name(&self, folded: &str) -> bool {
        self.given.contains(folded)
    }

    /// Whether a folded token is a known surname.
    pub fn is_surname(&self, folded: &str) -> bool {
        self.surnames.contains(folded)
    }

    /// Best header-synonym match for a column name.
    pub fn match_header(&self, header: &str) -> Option<HeaderMatch> {
        self.headers.best(header)
    }

    /// Check every example of every file; returns one line per failure.
    pub fn check_examples(&self) -> Vec<String> {
        let mut failures = Vec::new();
        let mut norm = MatchScratch::default();
        for (idx, id) in self.identifiers.iter().enumerate() {
            let verdict = |v: &str, norm: &mut MatchScratch| {
                let mut matched = false;
                let mut validated = false;
                self.match_identifiers(v.trim(), norm, |i, ok| {
                    if i == idx {
                        matched = true;
                        validated = ok;
                    }
                });
                (matched, validated)
            };
            for v in &id.examples.valid {
                let (m, ok) = verdict(v, &mut norm);
                if !(m && ok) {
                    failures.push(format!(
                        "{}: valid example {v:?} matched={m} validated={ok}",
                        id.file
                    ));
                }
            }
            for v in &id.examples.invalid {
                if verdict(v, &mut norm).0 {
                    failures.push(format!("{}: invalid example {v:?} matched", id.file));
                }
            }
            for v in &id.examples.near_miss {
                let (m, ok) = verdict(v, &mut norm);
                if m && ok {
                    failures.push(format!(
                        "{}: near-miss example {v:?} matched and validated",
                        id.file
                    ));
                }
            }
            if id.examples.valid.is_empty()
                || (id.examples.invalid.is_empty() && id.examples.near_miss.is_empty())
            {
                failures.push(format!(
                    "{}: needs valid and invalid or near-miss examples",
                    id.file
                ));
            }
        }
        let mut folded = String::new();
        let hits_category = |v: &str, cat: Category, folded: &mut String| {
            fold_into(v, folded);
            let sq = squash(folded);
            if self.cell_terms(&sq).iter().any(|t| t.category == cat) {
                return true;
            }
            let mut found = false;
            self.find_words(&sq, |c| found |= c == cat);
            found
        };
        for (file, cat, ex) in &self.vocab_examples {
            for v in &ex.valid {
                if !hits_category(v, *cat, &mut folded) {
                    failures.push(format!(
                        "{file}: valid example {v:?} not recognised as {cat}"
                    ));
                }
            }
            for v in &ex.invalid {
                if hits_category(v, *cat, &mut folded) {
                    failures.push(format!("{file}: invalid example {v:?} recognised as {cat}"));
                }
            }
        }
        for v in &self.places_examples.valid {
            if self.municipality(&squash(&fold(v))).is_none() {
                failures.push(format!("places: valid example {v:?} is not a municipality"));
            }
        }
        for v in &self.places_examples.invalid {
            if self.municipality(&squash(&fold(v))).is_some() {
                failures.push(format!(
                    "places: invalid example {v:?} resolved to a municipality"
                ));
            }
        }
        for (file, ex) in &self.names_examples {
            let surname = file.contains("surname");
            let known = |v: &str| {
                let f = squash(&fold(v));
                if surname {
                    self.is_surname(&f)
                } else {
                    self.is_given_name(&f)
                }
            };
            for v in &ex.valid {
                if !known(v) {
                    failures.push(format!("{file}: valid example {v:?} not in the list"));
                }
            }
            for v in &ex.invalid {
                if known(v) {
                    failures.push(format!("{file}: invalid example {v:?} is in the list"));
                }
            }
        }
        failures.extend(self.headers.check_examples());
        failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_pack_loads_and_every_example_holds() {
        let set = PatternSet::embedded().unwrap();
        let failures = set.check_examples();
        assert!(
            failures.is_empty(),
            "{} failing examples:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    #[test]
    fn every_category_of_the_vocabulary_has_a_header_synonym() {
        let set = PatternSet::embedded().unwrap();
        // `uncertain` is an outcome of the evidence, never what a header says.
        for c in Category::ALL
            .into_iter()
            .filter(|c| *c != Category::Uncertain)
        {
            assert!(set.headers.has_category(c), "no header synonym for {c}");
        }
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // test fixture
    fn unknown_category_is_a_config_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("identifiers")).unwrap();
        std::fs::write(
            dir.path().join("identifiers/x.toml"),
            "name='x'\ncategory='nope'\ndescription=''\nregex='x'\nnormalise='none'\nmin_len=1\nmax_len=1\nstrength='weak'\n",
        )
        .unwrap();
        let err = PatternSet::load(Some(dir.path()))
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("x.toml") && err.contains("nope"), "{err}");
    }
}
