//! Header-synonym matching.
//!
//! A header is normalised into words: `camelCase`, `snake_case`, digits and punctuation split,
//! then folded (`DataELindjes` → `data e lindjes`, `Датум рођења` → `datum rodjenja`). A
//! synonym matches when its words appear as a contiguous run in the header's words, so
//! `Numri Personal (10 digits)` still matches `numri personal`. The longest matching phrase
//! wins; an exact match of the whole header scores highest.
use std::collections::HashMap;

use super::category::Category;
use super::fold::fold;

/// Score of a synonym equal to the whole header.
pub const EXACT: f64 = 0.8;
/// Score of a synonym covering at least half the header's words.
pub const MOSTLY: f64 = 0.7;
/// Score of a synonym that is a smaller part of the header.
pub const PARTIAL: f64 = 0.55;

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

/// All header synonyms.
#[derive(Debug, Default)]
pub struct HeaderSynonyms {
    synonyms: Vec<Synonym>,
    examples: Vec<(String, String)>,
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
        let mut best: Option<(usize, f64, &Synonym)> = None;
        for s in &self.synonyms {
            let n = s.words.len();
            if n > words.len() || !words.windows(n).any(|w| w == s.words.as_slice()) {
                continue;
            }
            let score = if n == words.len() {
                EXACT
            } else if 2 * n >= words.len() {
                MOSTLY
            } else {
                PARTIAL
            };
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
}
