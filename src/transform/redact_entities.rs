//! `redact_entities`: free text with every embedded identifier (phone, e-mail, IBAN, JMBG,
//! personal number, … as found by the pattern packs' `embedded` regexes and validated by
//! their check digits) replaced by a typed placeholder such as `[PHONE]`, or by its pseudonym
//! `[PHONE:k3j…]` (the same token `pseudonymise` gives that identifier, so free text and
//! identifier columns stay linkable under the key).
//!
//! The text is rescanned after replacement and replaced again until no validated entity is
//! left (at most a few passes). Names inside free text are not found (they need the
//! dictionary matcher; not yet wired in).
use std::collections::HashMap;
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
}

impl RedactEntities {
    /// `key` is needed for [`ReplaceWith::Pseudonym`] (ignored otherwise).
    pub fn new(rw: ReplaceWith, key: Option<&Key>, patterns: Arc<PatternSet>) -> RedactEntities {
        let tokenisers = match (rw, key) {
            (ReplaceWith::Pseudonym, Some(k)) => Some(
                IdKind::ALL
                    .into_iter()
                    .map(|kind| (kind, Tokeniser::new(k, kind, TokenParams::default())))
                    .collect(),
            ),
            _ => None,
        };
        RedactEntities {
            patterns,
            tokenisers,
        }
    }

    /// Replace the entities of one text; `None` if entities remain after several passes.
    pub fn redact(&self, text: &str, scratch: &mut MatchScratch) -> Option<String> {
        let mut cur = text.to_string();
        for _ in 0..4 {
            let mut spans = Vec::new();
            self.patterns
                .find_embedded_spans(cur.as_bytes(), scratch, |s, e, i| spans.push((s, e, i)));
            if spans.is_empty() {
                return Some(cur);
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
        (!left).then_some(cur)
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
        RedactEntities::new(rw, Some(&key(1)), patterns())
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
