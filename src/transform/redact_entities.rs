//! `redact_entities`: free text with every embedded identifier (phone, e-mail, IBAN, JMBG,
//! personal number, … as found by the pattern packs' `embedded` regexes and validated by
//! their check digits) replaced by a typed placeholder such as `[PHONE]`, or by its pseudonym
//! `[PHONE:k3j…]` (the same token `pseudonymise` gives that identifier, so free text and
//! identifier columns stay linkable under the key).
//!
//! The text is rescanned after replacement and replaced again until no validated entity is
//! left (at most a few passes). Then every capitalised word that is a known given name or
//! surname of the name lists becomes `[NAME]` (also in pseudonym mode: a name alone is too
//! ambiguous to tokenise consistently), and so do names missing from the lists that their
//! context gives away (`patterns/context/names.toml`): a capitalised pair after a kinship or
//! role word ("Motra e pacientit, First Surname", "majka", "father"), and capitalised
//! words right after a title ("Dr. …", "z. …", "Mr …"). A capitalised word that happens to be
//! a listed name (`Drita` = light) is redacted too, which errs on the safe side; a lone
//! capitalised word after a kinship word (a place, a sentence start) is not.
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use arrow_array::{ArrayRef, StringArray};
use arrow_schema::DataType;
use serde::Deserialize;

use super::pseudonymise::{TokenParams, Tokeniser};
use super::{ColumnTransform, IdKind, Transformed, map_text};
use crate::detect::PatternSet;
use crate::detect::patterns::MatchScratch;
use crate::error::Result;
use crate::key::Key;

/// The context data file inside the pattern pack.
pub const CONTEXT_FILE: &str = "context/names.toml";

/// `patterns/context/names.toml`, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContextFile {
    max_gap: usize,
    relations: HashMap<String, Vec<String>>,
    titles: HashMap<String, Vec<String>>,
}

/// Words that announce a name (folded), read once per transform.
#[derive(Debug, Default)]
struct NameContext {
    max_gap: usize,
    relations: HashSet<String>,
    titles: HashSet<String>,
}

impl NameContext {
    fn load(patterns: &PatternSet) -> Result<NameContext> {
        let Some(text) = patterns.data_file(CONTEXT_FILE) else {
            return Ok(NameContext::default());
        };
        let f: ContextFile = toml::from_str(text).map_err(|e| {
            super::config_error(format!("patterns/{CONTEXT_FILE}: {}", e.message()))
        })?;
        let fold_all = |m: &HashMap<String, Vec<String>>| {
            m.values()
                .flatten()
                .map(|w| crate::detect::fold::fold(w.trim_end_matches('.')))
                .collect::<HashSet<_>>()
        };
        Ok(NameContext {
            max_gap: f.max_gap.min(10),
            relations: fold_all(&f.relations),
            titles: fold_all(&f.titles),
        })
    }
}

/// What an entity becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplaceWith {
    /// `[PHONE]`.
    #[default]
    Placeholder,
    /// `[PHONE:token]` (needs a key).
    Pseudonym,
}

/// The `redact_entities` transform.
pub struct RedactEntities {
    patterns: Arc<PatternSet>,
    tokenisers: Option<HashMap<IdKind, Tokeniser>>,
    context: NameContext,
}

impl RedactEntities {
    /// `key` is needed for [`ReplaceWith::Pseudonym`] (ignored otherwise). `Error::Config`
    /// when the pack's `context/names.toml` does not parse.
    pub fn new(
        rw: ReplaceWith,
        key: Option<&Key>,
        patterns: Arc<PatternSet>,
    ) -> Result<RedactEntities> {
        let tokenisers = match (rw, key) {
            (ReplaceWith::Pseudonym, Some(k)) => Some(
                IdKind::ALL
                    .into_iter()
                    .map(|kind| (kind, Tokeniser::new(k, kind, TokenParams::default())))
                    .collect(),
            ),
            _ => None,
        };
        Ok(RedactEntities {
            context: NameContext::load(&patterns)?,
            patterns,
            tokenisers,
        })
    }

    /// Replace the entities of one text; `None` if entities remain after several passes.
    pub fn redact(&self, text: &str, scratch: &mut MatchScratch) -> Option<String> {
        let mut cur = text.to_string();
        for _ in 0..4 {
            let mut spans = Vec::new();
            self.patterns
                .find_embedded_spans(cur.as_bytes(), scratch, |s, e, i| spans.push((s, e, i)));
            if spans.is_empty() {
                return Some(self.redact_names(&cur));
            }
            spans.sort_unstable();
            let mut out = String::with_capacity(cur.len());
            let mut at = 0;
            for (s, e, idx) in spans {
                if s < at || !cur.is_char_boundary(s) || !cur.is_char_boundary(e) {
                    continue;
                }
                out.push_str(&cur[at..s]);
                let cat = self.patterns.identifiers[idx].category;
                let kind = IdKind::from_category(cat);
                let label = match kind {
                    IdKind::Digits | IdKind::Alnum | IdKind::Text => cat.name().to_uppercase(),
                    k => k.label().to_string(),
                };
                out.push('[');
                out.push_str(&label);
                if let Some(tok) = self.tokenisers.as_ref().and_then(|t| t.get(&kind))
                    && let Some(n) = super::normalise_identifier(kind, &cur[s..e])
                {
                    out.push(':');
                    tok.token_of_normalised(&n, &mut out);
                }
                out.push(']');
                at = e;
            }
            out.push_str(&cur[at..]);
            cur = out;
        }
        let mut left = false;
        self.patterns
            .find_embedded_spans(cur.as_bytes(), scratch, |_, _, _| left = true);
        (!left).then(|| self.redact_names(&cur))
    }

    /// Replace every capitalised word that is a known given name or surname with `[NAME]`,
    /// and a capitalised word right next to one (only a space between): full names are
    /// written "Given Surname", and the lists leave out names that are also common words.
    fn redact_names(&self, text: &str) -> String {
        let is_word = |c: char| c.is_alphabetic() || c == '\'' || c == '-';
        // (start, end, capitalised, known name)
        let mut words: Vec<(usize, usize, bool, bool)> = Vec::new();
        let mut folded = String::new();
        let mut chars = text.char_indices().peekable();
        while let Some((s, c)) = chars.next() {
            if !is_word(c) {
                continue;
            }
            let mut e = s + c.len_utf8();
            while let Some(&(i, d)) = chars.peek() {
                if !is_word(d) {
                    break;
                }
                e = i + d.len_utf8();
                chars.next();
            }
            let cap = c.is_uppercase();
            let known = cap && {
                crate::detect::fold::fold_into(&text[s..e], &mut folded);
                self.patterns.is_given_name(&folded) || self.patterns.is_surname(&folded)
            };
            words.push((s, e, cap, known));
        }
        let mut redact: Vec<bool> = words.iter().map(|w| w.3).collect();
        self.redact_by_context(text, &words, &mut redact);
        for i in 0..words.len() {
            if !words[i].3 {
                continue;
            }
            for j in [i.wrapping_sub(1), i + 1] {
                let Some(&(s, e, cap, _)) = words.get(j) else {
                    continue;
                };
                let (a, b) = if j < i {
                    (e, words[i].0)
                } else {
                    (words[i].1, s)
                };
                if cap && &text[a..b] == " " {
                    redact[j] = true;
                }
            }
        }
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (&(s, e, _, _), r) in words.iter().zip(redact) {
            if r {
                out.push_str(&text[at..s]);
                out.push_str("[NAME]");
                at = e;
            }
        }
        out.push_str(&text[at..]);
        out
    }
}

impl RedactEntities {
    /// Mark names that their context gives away (module docs): after a title, the next
    /// capitalised word (and the one after it, if capitalised and one space away); after a
    /// kinship or role word, the first capitalised pair within `max_gap` words, when no
    /// sentence ends in between and the pair is not a municipality.
    fn redact_by_context(
        &self,
        text: &str,
        words: &[(usize, usize, bool, bool)],
        redact: &mut [bool],
    ) {
        let ctx = &self.context;
        if ctx.relations.is_empty() && ctx.titles.is_empty() {
            return;
        }
        let gap = |i: usize, j: usize| &text[words[i].1..words[j].0];
        let pair_at =
            |j: usize| words.get(j + 1).is_some_and(|w| w.2) && words[j].2 && gap(j, j + 1) == " ";
        let mut folded = String::new();
        for i in 0..words.len() {
            crate::detect::fold::fold_into(&text[words[i].0..words[i].1], &mut folded);
            if ctx.titles.contains(&folded) {
                let j = i + 1;
                let direct =
                    words.get(j).is_some_and(|w| w.2) && matches!(gap(i, j), " " | ". " | ".");
                if direct {
                    redact[j] = true;
                    if pair_at(j) {
                        redact[j + 1] = true;
                    }
                }
                continue;
            }
            if !ctx.relations.contains(&folded) {
                continue;
            }
            for j in i + 1..(i + 2 + ctx.max_gap).min(words.len()) {
                let g = gap(j - 1, j);
                if g.contains(['.', '!', '?', ';', ':', '\n', '(', ')', '"']) {
                    break;
                }
                if !words[j].2 {
                    continue;
                }
                if pair_at(j) && !self.is_place(&text[words[j].0..words[j + 1].1]) {
                    redact[j] = true;
                    redact[j + 1] = true;
                }
                break;
            }
        }
    }

    /// Whether a capitalised pair is a municipality (or either word is one).
    fn is_place(&self, pair: &str) -> bool {
        let f = crate::detect::fold::fold(pair);
        let squashed = crate::detect::patterns::squash(&f);
        self.patterns.municipality(&squashed).is_some()
            || squashed
                .split(' ')
                .any(|w| self.patterns.municipality(w).is_some())
    }
}

impl ColumnTransform for RedactEntities {
    fn name(&self) -> &'static str {
        "redact_entities"
    }
    fn output_type(&self, _: &DataType) -> Option<DataType> {
        Some(DataType::Utf8)
    }
    fn apply(&self, input: &ArrayRef, subjects: Option<&StringArray>) -> Result<Transformed> {
        let mut scratch = MatchScratch::default();
        map_text(input, subjects, |v, _, out| {
            match self.redact(v, &mut scratch) {
                Some(s) => {
                    out.push_str(&s);
                    true
                }
                None => false,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::test_util::*;
    use proptest::prelude::*;

    fn r(rw: ReplaceWith) -> RedactEntities {
        RedactEntities::new(rw, Some(&key(1)), patterns()).unwrap()
    }

    /// Names outside the lists, found by context (issue 21). The names here are made up and
    /// in no list (checked first), so only the context can find them.
    #[test]
    fn unlisted_names_are_found_by_context() {
        let p = patterns();
        for w in [
            "Fllanza",
            "Qorraj",
            "Zelfije",
            "Zymbraj",
            "Radoslavka",
            "Vukmirić",
            "Thaddeus",
            "Pemberton",
        ] {
            let f = crate::detect::fold::fold(w);
            assert!(!p.is_given_name(&f) && !p.is_surname(&f), "{w} is listed");
        }
        let t = r(ReplaceWith::Placeholder);
        let valid = [
            (
                "Motra e pacientit, Fllanza Qorraj, u njoftua.",
                "Motra e pacientit, [NAME] [NAME], u njoftua.",
            ),
            ("nëna Zelfije Zymbraj erdhi", "nëna [NAME] [NAME] erdhi"),
            (
                "Babai i tij, Fllanza Zymbraj, ishte i pranishëm",
                "Babai i tij, [NAME] [NAME], ishte i pranishëm",
            ),
            (
                "Pacijent je doveo otac, Radoslavka Vukmirić.",
                "Pacijent je doveo otac, [NAME] [NAME].",
            ),
            ("majka Radoslavka Vukmirić", "majka [NAME] [NAME]"),
            ("Pregledao dr. Vukmirić danas", "Pregledao dr. [NAME] danas"),
            ("Takim me z. Fllanza Qorraj", "Takim me z. [NAME] [NAME]"),
            ("Seen by Dr Thaddeus Pemberton", "Seen by Dr [NAME] [NAME]"),
            ("Mr Pemberton called", "Mr [NAME] called"),
            (
                "the patient's mother, Thaddeus Pemberton, agreed",
                "the patient's mother, [NAME] [NAME], agreed",
            ),
        ];
        for (v, want) in valid {
            assert_eq!(one(&t, v).as_deref(), Some(want), "{v}");
        }
        // Near misses: a sentence start, a place after a kinship word, a sentence end in
        // between, a lone capitalised word, capitalised words without any context.
        for v in [
            "Nëna erdhi nga Prizreni. Qorraj Fllanza nuk erdhi.",
            "nëna jeton në Fushë Kosovë",
            "babai jeton në Prishtinë",
            "Motra e pacientit u njoftua. Kontrolli Tjetër pas 3 muajsh.",
            "vëllai nga Zymbraj",
            "Kontrolli Tjetër pas tre muajsh",
            "Dr. u lajmërua",
        ] {
            assert_eq!(one(&t, v).as_deref(), Some(v), "{v}");
        }
    }

    #[test]
    fn known_names_become_placeholders() {
        let t = "Motra e pacientit, Agim Veseli, u njoftua; mjeku: dr. Berisha; Shqipe Gashi.";
        for rw in [ReplaceWith::Placeholder, ReplaceWith::Pseudonym] {
            let o = one(&r(rw), t).unwrap();
            assert_eq!(
                o, "Motra e pacientit, [NAME] [NAME], u njoftua; mjeku: dr. [NAME]; [NAME] [NAME].",
                "{rw:?}"
            );
        }
        // Lower-case words are never taken for names.
        assert_eq!(
            one(&r(ReplaceWith::Placeholder), "drita e diellit").unwrap(),
            "drita e diellit"
        );
    }

    #[test]
    fn placeholders_and_pseudonyms() {
        let t = "Pacienti, tel. 044 123 456, email arta.b@example.com, IBAN XK051212012345678906.";
        let o = one(&r(ReplaceWith::Placeholder), t).unwrap();
        assert!(o.contains("[PHONE]"), "{o}");
        assert!(o.contains("[EMAIL]"), "{o}");
        assert!(o.contains("[IBAN]"), "{o}");
        assert!(!o.contains("123 456") && !o.contains("arta"), "{o}");
        let p = one(&r(ReplaceWith::Pseudonym), t).unwrap();
        let tok = Tokeniser::new(&key(1), IdKind::Phone, TokenParams::default())
            .token("+383 44 123 456")
            .unwrap();
        assert!(p.contains(&format!("[PHONE:{tok}]")), "{p}");
        assert_eq!(
            one(&r(ReplaceWith::Placeholder), "no entities here").as_deref(),
            Some("no entities here")
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// No validated entity survives: a rescan of the output finds nothing.
        #[test]
        fn nothing_validated_survives(words in proptest::collection::vec(
            prop_oneof![
                "[a-zë]{1,8}",
                "04[3-9] [0-9]{3} [0-9]{3}",
                "\\+383 4[3-9] [0-9]{6}",
                "[a-z]{3,6}@[a-z]{3,6}\\.com",
                "[0-9]{10}",
                "[0-9]{13}",
                "XK05 [0-9]{4} [0-9]{4} [0-9]{4} [0-9]{4}",
                "[0-9]{1,2}\\.[0-9]{1,2}\\.(19|20)[0-9]{2}",
            ], 1..12), pseudo in any::<bool>()) {
            let text = words.join(" ");
            let rw = if pseudo { ReplaceWith::Pseudonym } else { ReplaceWith::Placeholder };
            let o = one(&r(rw), &text).unwrap();
            let mut found = 0;
            patterns().find_embedded(o.as_bytes(), &mut MatchScratch::default(), |_| found += 1);
            prop_assert_eq!(found, 0, "{}", o);
            prop_assert_eq!(one(&r(rw), &text), Some(o));
        }
    }
}
