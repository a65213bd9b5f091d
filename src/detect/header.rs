//! Header-synonym matching.
//!
//! A header is normalised into words: `camelCase`, `snake_case`, digits and punctuation split,
//! then folded (`DataELindjes` → `data e lindjes`, `Датум рођења` → `datum rodjenja`). A
//! synonym matches when its words appear as a contiguous run in the header's words, so
//! `Numri Personal (10 digits)` still matches `numri personal`. The longest matching phrase
//! wins; an exact match of the whole header scores highest.
//!
//! People inflect and abbreviate (`dt_lindjes`, `lindja_data`, `vendbanimit`): when a
//! synonym's words do not appear as written, the header's abbreviations are expanded and the
//! synonym matches if each of its content words (particles such as `e`, `i`, `od` left out)
//! is a form of some header word, in any order. Two words are forms of one word when they
//! share a stem of three letters or more and each continues with a listed inflection ending
//! (or nothing). Particles, endings and abbreviations are data (`headers/words.toml`); a match
//! found this way scores [`INFLECTED`] times the exact tier.
use std::collections::{HashMap, HashSet};

use super::category::Category;
use super::fold::fold;

/// Score of a synonym equal to the whole header.
pub const EXACT: f64 = 0.8;
/// Score of a synonym covering at least half the header's words.
pub const MOSTLY: f64 = 0.7;
/// Score of a synonym that is a smaller part of the header.
pub const PARTIAL: f64 = 0.55;
/// Factor on the tier score of a match through abbreviations, inflection or word order.
pub const INFLECTED: f64 = 0.95;

/// The best synonym for a header.
#[derive(Debug, Clone, PartialEq)]
pub struct HeaderMatch {
    /// The category the synonym belongs to.
    pub category: Category,
    /// The synonym as written in the pattern file.
    pub synonym: String,
    /// Its language key (`sq`, `sr`, `en`).
    pub lang: String,
    /// [`EXACT`], [`MOSTLY`] or [`PARTIAL`].
    pub score: f64,
}

#[derive(Debug, Clone)]
struct Synonym {
    words: Vec<String>,
    text: String,
    lang: String,
    category: Category,
}

/// Header words that name a key of records (`headers/words.toml` `[record_keys]`).
#[derive(Debug, Default, Clone)]
pub struct RecordKeyWords {
    /// Words that name a key on their own (`id`, `uuid`, `username`).
    pub strong: HashSet<String>,
    /// Words that name a key next to another word (`nr`, `kod`, `badge`).
    pub weak: HashSet<String>,
    /// Prefixes of words naming a kind of person (`patient`, `punetor`).
    pub person: Vec<String>,
    /// Words of headers that say nothing (`col`, `field`, `F`): with numbers only, such a
    /// header may head the key as well as anything else.
    pub meaningless: HashSet<String>,
}

/// How a header names a record key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyName {
    /// Not a key name.
    No,
    /// A key name.
    Key,
    /// A header that says nothing (`col1`, `F7`, empty).
    Meaningless,
    /// A key name that also names a kind of person (`patient_id`).
    PersonKey,
}

impl RecordKeyWords {
    /// Whether `header` names a key of records, and of persons.
    pub fn classify(&self, header: &str) -> KeyName {
        let words = header_words(header);
        if !self.meaningless.is_empty()
            && words
                .iter()
                .all(|w| self.meaningless.contains(w) || w.bytes().all(|b| b.is_ascii_digit()))
        {
            return KeyName::Meaningless;
        }
        let strong = words.iter().any(|w| self.strong.contains(w));
        let weak = words.len() >= 2 && words.iter().any(|w| self.weak.contains(w));
        if !strong && !weak {
            return KeyName::No;
        }
        let person = words.iter().any(|w| {
            self.person
                .iter()
                .any(|p| w.starts_with(p.as_str()) && !self.strong.contains(w))
        });
        if person {
            KeyName::PersonKey
        } else {
            KeyName::Key
        }
    }
}

/// All header synonyms.
#[derive(Debug, Default)]
pub struct HeaderSynonyms {
    synonyms: Vec<Synonym>,
    examples: Vec<(String, String)>,
    particles: HashSet<String>,
    suffixes: HashSet<String>,
    abbreviations: HashMap<String, Vec<String>>,
    /// Headers that name a thing as readily as a person (`name`): over a lookup table's
    /// labels they do not make a person's name.
    pub generic_names: HashSet<String>,
    /// Every word of every synonym (to split run-together headers).
    vocabulary: HashSet<String>,
    /// Synonym indices by [`word_key`] of each of their words: a synonym can match a header
    /// only through a header word with the same key, so a header looks at these few instead
    /// of every synonym (a 10,000-table schema has 100,000 headers).
    by_key: HashMap<Vec<u8>, Vec<u32>>,
    /// Words that make a header name a record key.
    pub record_keys: RecordKeyWords,
}

/// The bytes two words must share to be forms of one word ([`HeaderSynonyms::same_word`]):
/// the first three, or the whole word when it is shorter (then only equality matches).
fn word_key(w: &str) -> &[u8] {
    let b = w.as_bytes();
    &b[..b.len().min(3)]
}

/// Split a header into folded words.
pub fn header_words(header: &str) -> Vec<String> {
    let chars: Vec<char> = header.chars().collect();
    let mut spaced = String::with_capacity(header.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        if i > 0 {
            let p = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            // fooBar | FOOBar (acronym, then a word) | a1 | 1a
            let camel = p.is_lowercase() && c.is_uppercase()
                || p.is_uppercase() && c.is_uppercase() && next_lower;
            let digit_edge =
                p.is_alphabetic() && c.is_ascii_digit() || p.is_ascii_digit() && c.is_alphabetic();
            if camel || digit_edge {
                spaced.push(' ');
            }
        }
        spaced.push(if c.is_alphanumeric() { c } else { ' ' });
    }
    fold(&spaced)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

impl HeaderSynonyms {
    /// Add a `headers/*.toml` file; returns the number of synonyms added.
    pub fn add_file(&mut self, text: &str) -> Result<usize, String> {
        let table: toml::Table = toml::from_str(text).map_err(|e| e.message().to_string())?;
        let mut n = 0;
        for (key, value) in table {
            if matches!(key.as_str(), "words" | "abbreviations" | "record_keys") {
                n += self.add_words(&key, &value)?;
                continue;
            }
            if key == "examples" {
                let ex = value
                    .as_table()
                    .ok_or("[examples] must be a table of header = category")?;
                for (h, c) in ex {
                    let c = c
                        .as_str()
                        .ok_or_else(|| format!("example {h:?}: category must be a string"))?;
                    self.examples.push((h.clone(), c.to_string()));
                }
                continue;
            }
            let category =
                Category::from_name(&key).ok_or_else(|| format!("unknown category [{key}]"))?;
            let langs = value
                .as_table()
                .ok_or_else(|| format!("[{key}] must be a table of language = [phrases]"))?;
            for (lang, phrases) in langs {
                let list = phrases
                    .as_array()
                    .ok_or_else(|| format!("[{key}].{lang} must be an array"))?;
                for p in list {
                    let text = p
                        .as_str()
                        .ok_or_else(|| format!("[{key}].{lang}: phrases must be strings"))?;
                    let words = header_words(text);
                    if words.is_empty() {
                        continue;
                    }
                    self.vocabulary.extend(words.iter().cloned());
                    let at = u32::try_from(self.synonyms.len())
                        .map_err(|_| "too many header synonyms".to_string())?;
                    for w in &words {
                        self.by_key
                            .entry(word_key(w).to_vec())
                            .or_default()
                            .push(at);
                    }
                    self.synonyms.push(Synonym {
                        words,
                        text: text.to_string(),
                        lang: lang.clone(),
                        category,
                    });
                    n += 1;
                }
            }
        }
        Ok(n)
    }

    /// Read `[words]`, `[abbreviations]` or `[record_keys]`; returns the entries added.
    fn add_words(&mut self, key: &str, value: &toml::Value) -> Result<usize, String> {
        let table = value
            .as_table()
            .ok_or_else(|| format!("[{key}] must be a table"))?;
        let list = |name: &str| -> Result<Vec<String>, String> {
            match table.get(name) {
                None => Ok(Vec::new()),
                Some(v) => v
                    .as_array()
                    .ok_or_else(|| format!("[{key}].{name} must be an array"))?
                    .iter()
                    .map(|w| {
                        w.as_str()
                            .map(|w| crate::detect::fold::fold(w).trim().to_string())
                            .ok_or_else(|| format!("[{key}].{name}: words must be strings"))
                    })
                    .collect(),
            }
        };
        let mut n = 0;
        match key {
            "words" => {
                for (name, set) in [
                    ("particles", &mut self.particles),
                    ("suffixes", &mut self.suffixes),
                    ("generic_names", &mut self.generic_names),
                ] {
                    let words = list(name)?;
                    n += words.len();
                    set.extend(words);
                }
            }
            "abbreviations" => {
                for (short, long) in table {
                    let long = long
                        .as_str()
                        .ok_or_else(|| format!("[abbreviations].{short} must be a string"))?;
                    self.abbreviations
                        .insert(crate::detect::fold::fold(short), header_words(long));
                    n += 1;
                }
            }
            _ => {
                let strong = list("strong")?;
                let weak = list("weak")?;
                let person = list("person")?;
                let meaningless = list("meaningless")?;
                n += strong.len() + weak.len() + person.len() + meaningless.len();
                self.record_keys.meaningless.extend(meaningless);
                self.record_keys.strong.extend(strong);
                self.record_keys.weak.extend(weak);
                self.record_keys.person.extend(person);
            }
        }
        Ok(n)
    }

    /// Whether `a` and `b` are forms of one word: equal, or a common stem of three letters or
    /// more followed in each by a listed ending (or nothing).
    fn same_word(&self, a: &str, b: &str, inflect: bool) -> bool {
        if a == b {
            return true;
        }
        if !inflect {
            return false;
        }
        let p = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
        if p < 3 || !a.is_char_boundary(p) || !b.is_char_boundary(p) {
            return false;
        }
        let ending = |rest: &str| rest.is_empty() || self.suffixes.contains(rest);
        ending(&a[p..]) && ending(&b[p..])
    }

    /// The header's words with abbreviations expanded (`dt` → `data`).
    fn expanded(&self, words: &[String]) -> Vec<String> {
        let mut out = Vec::with_capacity(words.len() + 2);
        for w in words {
            match self.abbreviations.get(w) {
                Some(long) => out.extend(long.iter().cloned()),
                None => out.push(w.clone()),
            }
        }
        out
    }

    /// How many content words of `s` match forms of `content` words in any order, if all do.
    fn inflected_match(&self, s: &Synonym, content: &[&String]) -> Option<usize> {
        // Albanian and Serbian inflect and move words (`data e lindjes`, `lindja data`);
        // English phrases match word for word and in order (`plate` is not `plata`, a wage;
        // a `card id` is the id of a card, not an `id card`).
        let inflect = s.lang != "en";
        let mut n = 0;
        let mut after = 0;
        for w in s.words.iter().filter(|w| !self.particles.contains(*w)) {
            let from = if inflect { 0 } else { after };
            let at = content[from.min(content.len())..]
                .iter()
                .position(|h| self.same_word(w, h, inflect))?;
            after = from + at + 1;
            n += 1;
        }
        (n > 0).then_some(n)
    }

    /// Whether some synonym maps to `c`.
    pub fn has_category(&self, c: Category) -> bool {
        self.synonyms.iter().any(|s| s.category == c)
    }

    /// Number of synonyms per category.
    pub fn counts(&self) -> HashMap<Category, usize> {
        let mut m = HashMap::new();
        for s in &self.synonyms {
            *m.entry(s.category).or_insert(0) += 1;
        }
        m
    }

    /// The best match for `header`, if any synonym matches.
    pub fn best(&self, header: &str) -> Option<HeaderMatch> {
        let words = header_words(header);
        if words.is_empty() {
            return None;
        }
        let found = self.best_of(&words);
        if found.is_some() || words.len() != 1 {
            return found;
        }
        // One word run together (`homeaddr`, `personalno`, `datelindjes`): split it in two
        // known words.
        self.compound_parts(&words[0]).and_then(|parts| {
            self.best_of(&parts).map(|mut m| {
                m.score *= INFLECTED;
                m
            })
        })
    }

    /// `homeaddr` → `home`, `addr`: the first split into two words that synonyms or
    /// abbreviations know (each at least two letters).
    fn compound_parts(&self, word: &str) -> Option<Vec<String>> {
        let known = |w: &str| self.abbreviations.contains_key(w) || self.vocabulary.contains(w);
        if word.len() < 5 || !word.is_ascii() {
            return None;
        }
        (2..word.len() - 1)
            .map(|i| word.split_at(i))
            .find(|(a, b)| known(a) && known(b))
            .map(|(a, b)| vec![a.to_string(), b.to_string()])
    }

    /// The best match for a header's words.
    fn best_of(&self, words: &[String]) -> Option<HeaderMatch> {
        let expanded = self.expanded(words);
        let content = self.content_words(&expanded);
        self.pick(words, &content, self.candidates(words, &content))
    }

    /// The header's words that are not particles.
    fn content_words<'w>(&self, expanded: &'w [String]) -> Vec<&'w String> {
        expanded
            .iter()
            .filter(|w| !self.particles.contains(*w))
            .collect()
    }

    /// The best of `synonyms` for a header's words: the longest phrase, then the higher score,
    /// then the first.
    fn pick<'a>(
        &'a self,
        words: &[String],
        content: &[&String],
        synonyms: impl Iterator<Item = &'a Synonym>,
    ) -> Option<HeaderMatch> {
        let tier = |n: usize, of: usize| {
            if n == of {
                EXACT
            } else if 2 * n >= of {
                MOSTLY
            } else {
                PARTIAL
            }
        };
        let mut best: Option<(usize, f64, &Synonym)> = None;
        for s in synonyms {
            let n = s.words.len();
            let exact = n <= words.len() && words.windows(n).any(|w| w == s.words.as_slice());
            let found = if exact {
                Some((n, tier(n, words.len())))
            } else {
                self.inflected_match(s, content)
                    .map(|n| (n, INFLECTED * tier(n, content.len())))
            };
            let Some((n, score)) = found else { continue };
            // Longest phrase first (more specific), then the higher score.
            let better = match best {
                None => true,
                Some((bn, bs, _)) => n > bn || (n == bn && score > bs),
            };
            if better {
                best = Some((n, score, s));
            }
        }
        best.map(|(_, score, s)| HeaderMatch {
            category: s.category,
            synonym: s.text.clone(),
            lang: s.lang.clone(),
            score,
        })
    }

    /// The synonyms that share a [`word_key`] with a header word, in file order (ties go to
    /// the first, as over the full list). Every other synonym fails both tests of
    /// [`Self::best_of`]: an exact run needs its words equal to header words, an inflected
    /// match needs each content word equal to or sharing a three-byte stem with one.
    fn candidates<'a>(
        &'a self,
        words: &[String],
        content: &[&String],
    ) -> impl Iterator<Item = &'a Synonym> {
        let mut at: Vec<u32> = words
            .iter()
            .chain(content.iter().copied())
            .filter_map(|w| self.by_key.get(word_key(w)))
            .flatten()
            .copied()
            .collect();
        at.sort_unstable();
        at.dedup();
        at.into_iter().map(|i| &self.synonyms[i as usize])
    }

    /// Check the `[examples]` table; one line per failure.
    pub fn check_examples(&self) -> Vec<String> {
        let mut failures = Vec::new();
        if self.examples.is_empty() {
            failures.push("headers: no [examples]".to_string());
        }
        for (h, c) in &self.examples {
            let got = self.best(h).map(|m| m.category.name().to_string());
            if got.as_deref() != Some(c.as_str()) {
                failures.push(format!(
                    "headers: example {h:?} should be {c}, got {}",
                    got.unwrap_or_else(|| "no match".into())
                ));
            }
        }
        failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_folds_headers() {
        assert_eq!(header_words("DataELindjes"), ["data", "e", "lindjes"]);
        assert_eq!(header_words("nr_personal"), ["nr", "personal"]);
        assert_eq!(header_words("Nr. tel."), ["nr", "tel"]);
        assert_eq!(header_words("Датум рођења"), ["datum", "rodjenja"]);
        assert_eq!(header_words("col7"), ["col", "7"]);
    }

    #[test]
    fn longest_phrase_wins() {
        let mut h = HeaderSynonyms::default();
        h.add_file("[person_name]\nsq = [\"emri\"]\n[date_of_birth]\nsq = [\"data e lindjes\"]\n[place_of_birth]\nsq = [\"vendi i lindjes\"]\n").unwrap();
        assert_eq!(h.best("Emri").unwrap().category, Category::PersonName);
        assert_eq!(h.best("Emri").unwrap().score, EXACT);
        assert_eq!(
            h.best("data_e_lindjes").unwrap().category,
            Category::DateOfBirth
        );
        assert_eq!(
            h.best("Vendi i lindjes (komuna)").unwrap().category,
            Category::PlaceOfBirth
        );
        assert!(h.best("col7").is_none());
    }

    /// The index changes which synonyms are tried, never the answer: over headers built from
    /// every synonym's words (whole, inflected, abbreviated, reordered, run together and with
    /// unrelated words around), the indexed match equals the match over all synonyms.
    #[test]
    fn indexed_match_equals_trying_every_synonym() {
        let set = crate::detect::patterns::PatternSet::embedded().unwrap();
        let h = &set.headers;
        let every = |header: &str| {
            let words = header_words(header);
            let expanded = h.expanded(&words);
            let content = h.content_words(&expanded);
            h.pick(&words, &content, h.synonyms.iter())
        };
        let mut headers: Vec<String> = h.examples.iter().map(|(e, _)| e.clone()).collect();
        let endings = ["", "s", "it", "ve", "a", "es", "x"];
        for (k, s) in h.synonyms.iter().enumerate() {
            let ending = endings[k % endings.len()];
            headers.push(s.text.clone());
            headers.push(s.words.join("_") + ending);
            headers.push(s.words.iter().rev().cloned().collect::<Vec<_>>().join(" "));
            headers.push(format!("kolona {} {ending} 7", s.words.join(" ")));
            headers.push(s.words.concat());
            if let Some(w) = s.words.first() {
                headers.push(w.chars().take(3).collect::<String>() + ending);
            }
        }
        headers.extend(["col7", "x", "id", "dt_lindjes", "e i", "", "   "].map(String::from));
        let mut matched = 0;
        for header in &headers {
            let got = h.best(header);
            let words = header_words(header);
            let want = if words.is_empty() {
                None
            } else {
                every(header).or_else(|| {
                    (words.len() == 1)
                        .then(|| h.compound_parts(&words[0]))
                        .flatten()
                        .and_then(|parts| {
                            let expanded = h.expanded(&parts);
                            let content = h.content_words(&expanded);
                            h.pick(&parts, &content, h.synonyms.iter()).map(|mut m| {
                                m.score *= INFLECTED;
                                m
                            })
                        })
                })
            };
            assert_eq!(got, want, "{header:?}");
            matched += usize::from(got.is_some());
        }
        assert!(
            matched * 2 > headers.len(),
            "{matched} of {}",
            headers.len()
        );
    }
}
