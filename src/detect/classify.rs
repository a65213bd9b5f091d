//! The column classifier: header evidence + value evidence → one [`Classification`].
//!
//! Value evidence is turned into a score per category first ([`value_scores`]); the header
//! synonym then either confirms a category the values allow, or loses to values that clearly
//! say something else. Two rules from the design shape everything here:
//!
//! * a header alone never outweighs values that clearly contradict it (a column headed
//!   `telefoni` full of e-mail addresses is `email`);
//! * a value shape alone (10 digits) is not called a personal number: weak detectors need a
//!   header synonym or a validator pass rate far above chance.
use std::collections::BTreeMap;

use serde::Serialize;

use super::category::{Category, Role};
use super::header::HeaderMatch;
use super::patterns::{PatternSet, Strength};
use super::profile::ColumnProfile;

/// Below this value score the values alone do not classify a column.
pub const VALUE_THRESHOLD: f64 = 0.5;
/// Value evidence at least this strong overrides a contradicting header.
pub const CONTRADICTION: f64 = 0.6;
/// Below [`VALUE_THRESHOLD`], from this value score on a column without a header is
/// `uncertain` rather than `none`.
pub const UNCERTAIN_MIN: f64 = 0.25;

/// One piece of evidence, as shown in reports. Never holds a cell value.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Evidence {
    /// The column name matched a header synonym.
    Header {
        /// Human-readable description, e.g. `synonym 'numri personal' (sq)`.
        detail: String,
        /// The category the synonym names.
        category: Category,
        /// Match strength.
        score: f64,
    },
    /// An identifier detector matched cells.
    Values {
        /// Detector name (file in `patterns/identifiers/`).
        detector: String,
        /// Its category.
        category: Category,
        /// Cells matching the pattern.
        matched: u64,
        /// Of those, cells passing the validator (all matched ones if it has none).
        validated: u64,
        /// Non-empty cells examined.
        non_empty: u64,
    },
    /// Cells equal to, or containing, vocabulary terms of a category.
    Vocabulary {
        /// The category.
        category: Category,
        /// Cells with a hit.
        cells: u64,
        /// Non-empty cells examined.
        non_empty: u64,
    },
    /// Cells shaped like names with at least one known given name or surname.
    Names {
        /// Such cells.
        cells: u64,
        /// Non-empty cells examined.
        non_empty: u64,
    },
    /// Shape statistics.
    Shape {
        /// Distinct / non-empty (1.0 when too many to count).
        distinct_ratio: f64,
        /// Mean length in characters.
        mean_length: f64,
        /// Standard deviation of the length.
        length_std: f64,
        /// Mean words per cell.
        mean_words: f64,
        /// Free-text score in `[0, 1]`.
        free_text_score: f64,
    },
    /// A remark on how the decision was made.
    Note {
        /// The remark.
        detail: String,
    },
}

/// The classifier's verdict on one column.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Classification {
    /// The chosen category.
    pub category: Category,
    /// Its role.
    pub role: Role,
    /// Whether it is a special category (Art. 2(1.16) of 03/L-172).
    pub special_category: bool,
    /// Confidence in `[0, 1]`.
    pub confidence: f64,
    /// Why.
    pub evidence: Vec<Evidence>,
    /// Runner-up categories with their confidence.
    pub alternatives: Vec<Alternative>,
    /// Entities found inside the column's text cells, per category.
    pub entities: BTreeMap<Category, u64>,
}

/// A runner-up category.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Alternative {
    /// The category.
    pub category: Category,
    /// Its confidence.
    pub confidence: f64,
}

pub(crate) fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn noisy_or(a: f64, b: f64) -> f64 {
    1.0 - (1.0 - a) * (1.0 - b)
}

/// Whether values of category `v` are consistent with a header that says `h`.
pub fn compatible(h: Category, v: Category) -> bool {
    use Category::*;
    h == v
        || matches!(
            (h, v),
            (DateOfBirth, Date)
                | (Date, DateOfBirth)
                | (PlaceOfBirth, Municipality)
                | (Iban, BankAccount)
                | (BankAccount, Iban)
                | (Age, DateOfBirth)
        )
        || (h == FreeText && v.role() == Role::Sensitive)
        || (h.role() == Role::Sensitive && v == FreeText)
}

/// Whether `validated` passes out of `matched` shapes is far more than chance gives: at least
/// half pass, three times the chance rate, and six standard deviations above the count chance
/// would give (a binomial test). Sequential or random numbers pass at about the chance rate, so
/// an unverified check digit (DOMAIN.md: most but not all real personal numbers pass) still
/// tells real numbers from invoice numbers.
pub fn far_above_chance(matched: u64, validated: u64, chance: Option<f64>) -> bool {
    let Some(p0) = chance else { return false };
    if matched < 20 {
        return false;
    }
    let (m, v) = (matched as f64, validated as f64);
    let rate = v / m;
    let z = (v - m * p0) / (m * p0 * (1.0 - p0)).sqrt();
    rate >= 0.5 && rate >= 3.0 * p0 && z >= 6.0
}

/// Whether the synonym that matched is a generic one (`name`, `title`: `headers/words.toml`
/// `generic_names`), which names things as readily as people.
fn generic_header(h: &HeaderMatch, set: &PatternSet) -> bool {
    let words = super::header::header_words(&h.synonym);
    !words.is_empty() && words.iter().all(|w| set.headers.generic_names.contains(w))
}

/// A generic `name` header over values with no known name among them (genres, languages, products,
/// departments — or foreign names): by their shape, values that are not names at all (digits,
/// lower case, long text) defeat the header; full-name shapes (two or three capitalised words)
/// keep it, since names not in the lists are still names; anything else is uncertain.
fn unnamed_names(
    hc: Category,
    generic: bool,
    p: &ColumnProfile,
) -> Option<(Category, f64, &'static str)> {
    // `emri`, `full name`, `ime i prezime` name people whatever the values look like
    // (`Besnik 3` is a name with a number); only a generic `name` yields to its values.
    if hc != Category::PersonName || !generic || p.non_empty < 20 {
        return None;
    }
    let n = p.non_empty as f64;
    if p.name_like as f64 >= 0.05 * n {
        return None;
    }
    let shaped = p.name_shape as f64 / n;
    let words = p.mean_words();
    if shaped < 0.5 {
        Some((
            Category::None,
            0.7,
            "the header says name but no value is a known name and most are not shaped like names: labels, not people",
        ))
    } else if shaped >= 0.9 && (1.8..=3.2).contains(&words) {
        None
    } else if closed_vocabulary(p) {
        Some((
            Category::None,
            0.6,
            "the header says name but no value is a known name and a few values repeat over every row: a closed list of labels, not people's names",
        ))
    } else {
        Some((
            Category::Uncertain,
            0.5,
            "the header says name but no value is a known name and they are not shaped like full names: uncertain (labels or first names?)",
        ))
    }
}

/// A handful of values, each repeated many times: a closed list (genres, departments,
/// languages). The given names of people who are not on the name lists spread wider: a hundred
/// people share far more than 30 first names, and a name column repeats its values less.
fn closed_vocabulary(p: &ColumnProfile) -> bool {
    let distinct = p.distinct();
    !p.distinct_saturated && p.non_empty >= 60 && distinct <= 30 && p.non_empty >= 4 * distinct
}

/// Nearly every value matches, values repeat, and their leading letters spread over at least
/// `min` letters.
fn spread_code_list(p: &ColumnProfile, matched_share: f64, min: Option<u32>) -> bool {
    min.is_some_and(|k| {
        matched_share >= 0.9
            && p.non_empty >= 20
            && p.distinct_ratio() <= 0.5
            && p.lead_letters.count_ones() >= k
    })
}

/// Whether the pass rate is no more than twice the chance rate, over enough values.
pub fn at_chance(matched: u64, validated: u64, chance: Option<f64>) -> bool {
    chance.is_some_and(|p0| matched >= 20 && (validated as f64) <= 2.0 * p0 * matched as f64)
}

/// Score every category from the values alone, in `[0, 1]`.
pub fn value_scores(p: &ColumnProfile, set: &PatternSet) -> [f64; Category::COUNT] {
    use Category::*;
    let mut s = [0.0f64; Category::COUNT];
    if p.non_empty == 0 {
        return s;
    }
    let n = p.non_empty as f64;
    let up = |s: &mut [f64; Category::COUNT], c: Category, v: f64| {
        let i = c.index();
        s[i] = s[i].max(v.clamp(0.0, 1.0));
    };
    for (id, &(matched, validated)) in set.identifiers.iter().zip(&p.ident) {
        if matched == 0 {
            continue;
        }
        let m = matched as f64 / n;
        let rate = validated as f64 / matched as f64;
        let v = match (id.strength, id.validator.is_some()) {
            (Strength::Strong, true) => validated as f64 / n,
            (Strength::Strong, false) => m,
            // A pass rate far above chance (about 1 in 5 for the personal number, 1 in 97 for
            // accounts) is support of its own; a bare shape is not.
            (Strength::Weak, true) if rate >= 0.9 => 0.8 * m,
            (Strength::Weak, true) if far_above_chance(matched, validated, id.chance) => 0.7 * m,
            // Passing at about the chance rate is evidence against: order and meter numbers.
            (Strength::Weak, true) if at_chance(matched, validated, id.chance) => 0.2 * m,
            // A code list spread over many chapters (ICD-10), not room or product codes.
            (Strength::Context, _) if spread_code_list(p, m, id.min_lead_letters) => 0.6 * m,
            (Strength::Weak, _) | (Strength::Context, _) => 0.3 * m,
        };
        up(&mut s, id.category, v);
    }
    // Vocabularies.
    let distinct = p.distinct();
    for c in Category::ALL {
        let i = c.index();
        let cell = p.cell_hits[i] as f64 / n;
        let word = p.word_hits[i] as f64 / n;
        let v = match c {
            Gender => {
                if distinct <= 8 {
                    0.95 * cell
                } else {
                    0.4 * cell
                }
            }
            MaritalStatus | Occupation | Nationality | Municipality => {
                if cell >= 0.5 {
                    0.95 * cell
                } else {
                    0.5 * cell
                }
            }
            _ if c.is_special() => {
                let share = cell.max(word);
                if share >= 0.5 {
                    0.5 + 0.45 * share
                } else {
                    0.8 * share
                }
            }
            _ => 0.0,
        };
        up(&mut s, c, v);
    }
    // Names.
    let names = p.name_like as f64 / n;
    let shape = p.name_shape as f64 / n;
    if p.mean_words() <= 4.0 {
        let v = if names >= 0.5 {
            0.55 + 0.4 * names
        } else {
            0.8 * names
        };
        // Full-name shapes (two or three capitalised words, nearly all distinct) are names
        // even when no word is in the lists: diaspora and foreign names are common.
        let full_names = shape >= 0.9
            && (1.8..=3.2).contains(&p.mean_words())
            && p.distinct_ratio() >= 0.5
            && p.non_empty >= 20;
        let by_shape = if full_names {
            0.55
        } else {
            0.4 * shape * p.distinct_ratio()
        };
        up(&mut s, PersonName, v.max(by_shape));
    }
    // Ages: bands are unmistakable, small integers are only a hint.
    up(&mut s, Age, 0.9 * p.age_bands as f64 / n);
    if p.integers as f64 / n >= 0.9 && p.age_like as f64 / n >= 0.9 {
        up(&mut s, Age, 0.35);
    }
    // Birth dates: old, spread-out calendar dates without a time of day.
    let date = s[Date.index()];
    let (ymin, ymax, old) = p.date_years;
    if date >= VALUE_THRESHOLD
        && ymin >= 1900
        && ymax - ymin >= 20
        && old as f64 >= 0.9 * n * date
        && (p.timed_dates as f64) < 0.1 * n
    {
        up(&mut s, DateOfBirth, 0.9 * date);
        s[Date.index()] = 0.6 * date;
    }
    // Free text.
    if p.mean_words() >= 3.0 {
        let mut v = p.free_text_score();
        if p.entities.iter().any(|&e| e > 0) {
            v = noisy_or(v, 0.2);
        }
        up(&mut s, FreeText, v);
    }
    s
}

/// Classify one column on its own (record keys need the whole table: [`super::record_key`]).
pub fn classify(name: &str, p: &ColumnProfile, set: &PatternSet) -> Classification {
    classify_with_header(set.match_header(name), p, set)
}

/// Classify one column given its (optional) header match.
pub fn classify_with_header(
    header: Option<HeaderMatch>,
    p: &ColumnProfile,
    set: &PatternSet,
) -> Classification {
    let vs = value_scores(p, set);
    let mut evidence = Vec::new();
    let header = trusted_header(header, p, &mut evidence);
    profile_evidence(p, &mut evidence);
    let (vd, vsd) = best_by_values(&vs);
    let mut scores = vs;
    let values = Values {
        p,
        vs: &vs,
        vd,
        vsd,
    };
    let (category, confidence) = if p.non_empty == 0 {
        evidence.push(Evidence::Note {
            detail: "no non-empty values were examined".into(),
        });
        match &header {
            Some(h) => (h.category, 0.6 * h.score),
            None => (Category::None, 0.5),
        }
    } else {
        match &header {
            Some(h) => with_header(h, &values, set, &mut scores, &mut evidence),
            None => without_header(&values, &mut scores, &mut evidence),
        }
    };
    identifier_evidence(set, p, category, &mut evidence);
    let entities = Category::ALL
        .iter()
        .filter(|c| p.entities[c.index()] > 0)
        .map(|c| (*c, p.entities[c.index()]))
        .collect();
    Classification {
        category,
        role: category.role(),
        special_category: category.is_special(),
        confidence: round2(confidence.clamp(0.0, 1.0)),
        evidence,
        alternatives: alternatives(&scores, category),
        entities,
    }
}

/// The header's suggestion, unless whole-number values rule it out; either way the evidence
/// says what the header suggested.
fn trusted_header(
    header: Option<HeaderMatch>,
    p: &ColumnProfile,
    evidence: &mut Vec<Evidence>,
) -> Option<HeaderMatch> {
    // Integers are never a name, an address or a municipality name: a header such as
    // `address_id` or `emri_nr` over whole numbers names a key or a count, not the thing.
    let integers = p.non_empty >= 5 && p.digits_only as f64 >= 0.95 * p.non_empty as f64;
    let header = match header {
        Some(h)
            if integers
                && matches!(
                    h.category,
                    Category::PersonName | Category::StreetAddress | Category::Municipality
                ) =>
        {
            evidence.push(Evidence::Note {
                detail: format!(
                    "header suggests {} but the values are whole numbers, which never are one",
                    h.category
                ),
            });
            None
        }
        other => other,
    };
    if let Some(h) = &header {
        evidence.push(Evidence::Header {
            detail: format!("synonym '{}' ({})", h.synonym, h.lang),
            category: h.category,
            score: h.score,
        });
    }
    header
}

/// Evidence from the profile: vocabulary and name hits in at least 5 % of the cells, and the
/// values' shape.
fn profile_evidence(p: &ColumnProfile, evidence: &mut Vec<Evidence>) {
    let n = p.non_empty;
    for c in Category::ALL {
        let hits = p.cell_hits[c.index()].max(p.word_hits[c.index()]);
        if n > 0 && hits as f64 >= 0.05 * n as f64 {
            evidence.push(Evidence::Vocabulary {
                category: c,
                cells: hits,
                non_empty: n,
            });
        }
    }
    if n > 0 && p.name_like as f64 >= 0.05 * n as f64 {
        evidence.push(Evidence::Names {
            cells: p.name_like,
            non_empty: n,
        });
    }
    evidence.push(Evidence::Shape {
        distinct_ratio: round2(p.distinct_ratio()),
        mean_length: round2(p.mean_len()),
        length_std: round2(p.len_std()),
        mean_words: round2(p.mean_words()),
        free_text_score: round2(p.free_text_score()),
    });
}

/// Best category by values alone (ignoring `none`), with its score.
fn best_by_values(vs: &[f64; Category::COUNT]) -> (Category, f64) {
    Category::ALL
        .iter()
        .filter(|c| **c != Category::None)
        .map(|c| (*c, vs[c.index()]))
        .fold(
            (Category::None, 0.0),
            |best, x| if x.1 > best.1 { x } else { best },
        )
}

/// What the decision reads of the values: the profile, the value scores, and the best
/// category by values with its score.
struct Values<'a> {
    p: &'a ColumnProfile,
    vs: &'a [f64; Category::COUNT],
    vd: Category,
    vsd: f64,
}

/// The decision when a header suggests a category: the header wins unless the values
/// contradict it, show a name column under another header, or (free text) do not support it.
fn with_header(
    h: &HeaderMatch,
    values: &Values,
    set: &PatternSet,
    scores: &mut [f64; Category::COUNT],
    evidence: &mut Vec<Evidence>,
) -> (Category, f64) {
    let Values { p, vs, vd, vsd } = *values;
    let n = p.non_empty;
    let hc = h.category;
    let contradicted =
        vd != hc && !compatible(hc, vd) && vsd >= CONTRADICTION && vs[hc.index()] < 0.2;
    if contradicted {
        evidence.push(Evidence::Note {
            detail: format!("header suggests {hc} but the values say {vd}; values win"),
        });
        scores[hc.index()] = scores[hc.index()].max(h.score * 0.3);
        (vd, 0.9 * vsd)
    } else if hc == Category::None {
        // Counts, amounts, years, invoice numbers: not personal, whatever their shape.
        let c = noisy_or(h.score, 1.0 - vsd.min(1.0));
        scores[hc.index()] = c;
        (hc, c)
    } else if let Some((cat, conf, why)) = unnamed_names(hc, generic_header(h, set), p) {
        evidence.push(Evidence::Note { detail: why.into() });
        scores[cat.index()] = conf;
        scores[hc.index()] = scores[hc.index()].max(0.3);
        (cat, conf)
    } else {
        let support = Category::ALL
            .iter()
            .filter(|v| compatible(hc, **v))
            .map(|v| vs[v.index()])
            .fold(0.0, f64::max);
        let mut header_part = h.score;
        // A header whose own detector finds nothing in plenty of values is doubtful.
        let has_detector = set.identifiers.iter().any(|i| i.category == hc);
        if has_detector && support < 0.05 && n >= 20 {
            header_part *= 0.6;
            evidence.push(Evidence::Note {
                detail: format!("header suggests {hc} but few values look like it"),
            });
        }
        // A "notes"/"description" header over short or repetitive, entity-free labels
        // (product names from a list) is not free text.
        let entities: u64 = p.entities.iter().sum();
        let labels = p.mean_words() < 3.0 || p.distinct_ratio() < 0.3;
        if hc == Category::FreeText && labels && entities == 0 {
            header_part *= 0.5;
            evidence.push(Evidence::Note {
                detail: "header suggests free text but the cells are short labels without entities"
                    .into(),
            });
        }
        let c = noisy_or(header_part, support);
        scores[hc.index()] = c;
        // Only the free-text demotion may drop a header's verdict: a header naming an
        // identifier keeps it even when the values are unfamiliar (a missed
        // identifier is worse than a doubtful one).
        if hc != Category::FreeText || c >= VALUE_THRESHOLD {
            (hc, c)
        } else if vsd < VALUE_THRESHOLD {
            let none = (1.0 - vsd).clamp(0.5, 0.95);
            scores[Category::None.index()] = none;
            (Category::None, none)
        } else {
            (vd, vsd)
        }
    }
}

/// The decision from the values alone, with no header to go on.
fn without_header(
    values: &Values,
    scores: &mut [f64; Category::COUNT],
    evidence: &mut Vec<Evidence>,
) -> (Category, f64) {
    let Values { vd, vsd, .. } = *values;
    if vsd >= VALUE_THRESHOLD {
        (vd, vsd)
    } else if vsd >= UNCERTAIN_MIN && matches!(vd.role(), Role::DirectIdentifier | Role::Sensitive)
    {
        // Values that look personal, but not enough to say so: ask. Quasi-identifiers are left
        // out: small integers look like ages, and a missed age is what the privacy model's own
        // search is for.
        evidence.push(Evidence::Note {
            detail: format!(
                "the values look like {vd} ({}) but not enough to say so, and the header \
             says nothing: uncertain (a rule or a declaration must decide)",
                round2(vsd)
            ),
        });
        let none = round2(1.0 - vsd);
        scores[Category::None.index()] = none;
        (Category::Uncertain, 0.5)
    } else {
        let c = (1.0 - vsd).clamp(0.5, 0.95);
        scores[Category::None.index()] = c;
        (Category::None, c)
    }
}

/// Identifier evidence: detectors that validated a real share of the cells, and the chosen
/// category's own detectors even when they did not (that is evidence too), placed before the
/// vocabulary, names and shape evidence; and the personal number's unverified check digit.
fn identifier_evidence(
    set: &PatternSet,
    p: &ColumnProfile,
    category: Category,
    evidence: &mut Vec<Evidence>,
) {
    let n = p.non_empty;
    let values: Vec<Evidence> = set
        .identifiers
        .iter()
        .zip(&p.ident)
        .filter(|(id, (matched, validated))| {
            n > 0
                && *matched > 0
                && (*validated as f64 >= 0.05 * n as f64 || id.category == category)
        })
        .map(|(id, &(matched, validated))| Evidence::Values {
            detector: id.name.clone(),
            category: id.category,
            matched,
            validated,
            non_empty: n,
        })
        .collect();
    let at = evidence
        .iter()
        .position(|e| {
            matches!(
                e,
                Evidence::Vocabulary { .. } | Evidence::Names { .. } | Evidence::Shape { .. }
            )
        })
        .unwrap_or(evidence.len());
    evidence.splice(at..at, values);
    if category == Category::KosovoPersonalNumber {
        evidence.push(Evidence::Note {
            detail: "the personal-number check digit (nidx mod 11) is unverified: a pass raises confidence, a failure never rejects".into(),
        });
    }
}

/// Up to three other categories that scored at least 0.05, best first.
fn alternatives(scores: &[f64; Category::COUNT], category: Category) -> Vec<Alternative> {
    let mut alternatives: Vec<Alternative> = Category::ALL
        .iter()
        .filter(|c| **c != category && scores[c.index()] >= 0.05)
        .map(|c| Alternative {
            category: *c,
            confidence: round2(scores[c.index()]),
        })
        .collect();
    alternatives.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    alternatives.truncate(3);
    alternatives
}

#[cfg(test)]
mod chance_tests {
    use super::{at_chance, far_above_chance};

    #[test]
    fn pass_rates_are_compared_with_chance() {
        // Real personal numbers: most pass an unverified check digit.
        assert!(far_above_chance(200, 150, Some(0.2)));
        assert!(far_above_chance(200, 130, Some(0.2)));
        // Sequential invoice numbers pass at about the chance rate.
        assert!(!far_above_chance(200, 42, Some(0.2)));
        assert!(!far_above_chance(200, 100, Some(0.2)));
        assert!(at_chance(200, 42, Some(0.2)) && !at_chance(200, 90, Some(0.2)));
        // Too few values, or no known chance rate.
        assert!(!far_above_chance(10, 9, Some(0.1)));
        assert!(!far_above_chance(200, 150, None));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::profile::Scratch;

    fn set() -> PatternSet {
        PatternSet::embedded().unwrap()
    }

    fn profile(set: &PatternSet, cells: &[String]) -> ColumnProfile {
        let mut p = ColumnProfile::new(set.identifiers.len());
        let mut s = Scratch::default();
        for c in cells {
            p.observe(c, set, &mut s);
        }
        p
    }

    fn check(set: &PatternSet, header: &str, cells: &[String]) -> Classification {
        classify(header, &profile(set, cells), set)
    }

    /// Ten digits with a valid (nidx) check digit.
    fn personal_number(i: u64) -> String {
        let first9 = 100_000_000 + i * 7_919;
        let d: Vec<u32> = first9
            .to_string()
            .bytes()
            .map(|b| u32::from(b - b'0'))
            .collect();
        format!(
            "{first9}{}",
            crate::detect::validators::kosovo_pn::check_digit(&d)
        )
    }

    #[test]
    fn headerless_code_lists_are_told_apart_by_their_spread() {
        let set = set();
        let icd = [
            "E11.9", "I10", "J45.0", "F32.1", "K21.0", "M54.5", "N18.3", "C50.9", "G43.9", "L40.0",
            "O80", "S72.0",
        ];
        let codes: Vec<String> = (0..200).map(|i| icd[i % icd.len()].to_string()).collect();
        assert_eq!(check(&set, "col4", &codes).category, Category::Health);
        // Room codes: the same shape over three floors' letters.
        let rooms: Vec<String> = (0..200)
            .map(|i| format!("{}{:02}", ["A", "B", "C"][i % 3], i % 30))
            .collect();
        let c = check(&set, "col4", &rooms);
        assert_ne!(c.category, Category::Health, "{c:?}");
        // Unique codes are no code list.
        let unique: Vec<String> = (0..200)
            .map(|i| {
                format!(
                    "{}{:02}.{}",
                    (b'A' + (i % 26) as u8) as char,
                    i % 100,
                    i % 10
                )
            })
            .collect();
        assert_ne!(check(&set, "col4", &unique).category, Category::Health);
    }

    #[test]
    fn english_headers_match_in_order_albanian_in_any() {
        let set = set();
        let cat = |h: &str| set.match_header(h).map(|m| m.category);
        assert_eq!(cat("id_card_no"), Some(Category::IdCardNumber));
        assert_eq!(cat("IdCardNumber"), Some(Category::IdCardNumber));
        // The id of a card (a record key), not an identity card.
        assert_ne!(cat("card_id"), Some(Category::IdCardNumber));
        assert_ne!(cat("card_number_id"), Some(Category::IdCardNumber));
        // Albanian moves its words: both orders name the birth date.
        assert_eq!(cat("data_lindjes"), Some(Category::DateOfBirth));
        assert_eq!(cat("lindja_data"), Some(Category::DateOfBirth));
    }

    #[test]
    fn headerless_names_by_shape_and_uncertain_labels() {
        let set = set();
        // Full names that no list holds: two capitalised words, nearly all distinct.
        let first = [
            "Hans", "Ingrid", "Mehmet", "Oliver", "Astrid", "Yusuf", "Greta", "Liam",
        ];
        let last = [
            "Müller",
            "Lindqvist",
            "Yilmaz",
            "Whitfield",
            "Brandt",
            "Öztürk",
            "Carter",
        ];
        let full: Vec<String> = (0..56)
            .map(|i| format!("{} {}", first[i % first.len()], last[i % last.len()]))
            .collect();
        assert_eq!(check(&set, "col5", &full).category, Category::PersonName);
        // Genre labels under `name`, a few repeated over every row: a closed list, no people.
        let genres = ["Rock", "Jazz", "Hip Hop", "Folk", "Blues", "Pop"];
        let labels: Vec<String> = (0..60)
            .map(|i| genres[i % genres.len()].to_string())
            .collect();
        let c = check(&set, "name", &labels);
        assert_eq!(c.category, Category::None, "{c:?}");
        // Too few rows to call it a closed list: ask.
        let c = check(&set, "name", &labels[..40]);
        assert_eq!(c.category, Category::Uncertain, "{c:?}");
        // First names that no list holds, as many as people have: labels or names? Ask.
        let given: Vec<String> = (0..80)
            .map(|i| {
                let stem = [
                    "Sven", "Ingmar", "Torb", "Gunn", "Leif", "Björn", "Rolf", "Kjell",
                ];
                let tail = ["", "a", "o", "ar", "ild", "e"];
                format!(
                    "{}{}",
                    stem[i % stem.len()],
                    tail[(i / stem.len()) % tail.len()]
                )
            })
            .collect();
        let c = check(&set, "name", &given);
        assert_eq!(c.category, Category::Uncertain, "{c:?}");
        assert!(
            c.alternatives
                .iter()
                .any(|a| a.category == Category::PersonName)
        );
        // Lower-case product codes under `name`: not names at all.
        let codes: Vec<String> = (0..60).map(|i| format!("sku-{i:04}")).collect();
        assert_eq!(check(&set, "name", &codes).category, Category::None);
        // A header that names people keeps naming them, whatever the values look like.
        let numbered: Vec<String> = (0..60).map(|i| format!("Besnik {i}")).collect();
        assert_eq!(
            check(&set, "emri", &numbered).category,
            Category::PersonName
        );
        assert_eq!(check(&set, "emri", &codes).category, Category::PersonName);
    }

    #[test]
    fn meaningless_header_classified_from_values() {
        let set = set();
        let pns: Vec<String> = (0..200).map(personal_number).collect();
        let c = check(&set, "col7", &pns);
        assert_eq!(c.category, Category::KosovoPersonalNumber);
        let phones: Vec<String> = (0..200)
            .map(|i| format!("044 {:03} {:03}", i, 999 - i))
            .collect();
        assert_eq!(check(&set, "col2", &phones).category, Category::PhoneNumber);
        let places: Vec<String> = ["Prishtinë", "Пећ", "Gjakova", "Štrpce"]
            .iter()
            .cycle()
            .take(100)
            .map(|s| s.to_string())
            .collect();
        assert_eq!(check(&set, "x", &places).category, Category::Municipality);
    }

    #[test]
    fn whole_numbers_are_never_names_addresses_or_municipalities() {
        let set = set();
        let ids: Vec<String> = (1..=300).map(|i| i.to_string()).collect();
        for header in [
            "address_id",
            "emri",
            "adresa",
            "komuna",
            "city_id",
            "first_name",
        ] {
            let c = check(&set, header, &ids);
            assert!(
                !matches!(
                    c.category,
                    Category::PersonName | Category::StreetAddress | Category::Municipality
                ),
                "{header}: {c:?}"
            );
        }
        // Near miss: house numbers mixed with street names are still an address.
        let streets: Vec<String> = (1..=300)
            .map(|i| format!("Rruga Agim Ramadani {i}"))
            .collect();
        assert_eq!(
            check(&set, "adresa", &streets).category,
            Category::StreetAddress
        );
        // Names under the same header stay names.
        let names: Vec<String> = ["Arta", "Besnik", "Dritë", "Milan"]
            .iter()
            .cycle()
            .take(100)
            .map(|s| s.to_string())
            .collect();
        assert_eq!(check(&set, "emri", &names).category, Category::PersonName);
    }

    #[test]
    fn ten_digit_invoice_numbers_are_not_personal_numbers() {
        let set = set();
        // Sequential numbers: about one in ten passes the check digit by chance.
        let invoices: Vec<String> = (0..500)
            .map(|i| format!("{}", 2_024_000_000u64 + i))
            .collect();
        let c = check(&set, "col3", &invoices);
        assert_eq!(c.category, Category::None, "{c:?}");
        // ...but with a header that says so, they are (the check digit is unverified).
        let c = check(&set, "nr_personal", &invoices);
        assert_eq!(c.category, Category::KosovoPersonalNumber);
        assert!(c.confidence < 0.9, "{c:?}");
    }

    #[test]
    fn header_loses_to_contradicting_values() {
        let set = set();
        let emails: Vec<String> = (0..100).map(|i| format!("user{i}@example.com")).collect();
        let c = check(&set, "telefoni", &emails);
        assert_eq!(c.category, Category::Email);
        assert!(
            c.evidence
                .iter()
                .any(|e| matches!(e, Evidence::Note { detail } if detail.contains("values win")))
        );
    }

    #[test]
    fn statistics_table_counts_stay_none() {
        let set = set();
        let counts: Vec<String> = (0..300)
            .map(|i| format!("{}", (i * 37) % 900 + 3))
            .collect();
        assert_eq!(check(&set, "numri", &counts).category, Category::None);
        assert_eq!(check(&set, "col4", &counts).category, Category::None);
        let bands: Vec<String> = ["0-4", "5-9", "10-14", "85+"]
            .iter()
            .cycle()
            .take(100)
            .map(|s| s.to_string())
            .collect();
        assert_eq!(check(&set, "grupmosha", &bands).category, Category::Age);
        assert_eq!(check(&set, "col1", &bands).category, Category::Age);
    }

    #[test]
    fn free_text_with_entities_is_counted() {
        let set = set();
        let notes: Vec<String> = (0..100)
            .map(|i| format!("Pacienti {i} u thirr në 044 123 {:03} për kontrollin e diabetit, shkruaj në p{i}@example.com.", i))
            .collect();
        let c = check(&set, "col8", &notes);
        assert_eq!(c.category, Category::FreeText);
        assert_eq!(
            c.entities.get(&Category::PhoneNumber),
            Some(&100),
            "{:?}",
            c.entities
        );
        assert_eq!(
            c.entities.get(&Category::Email),
            Some(&100),
            "{:?}",
            c.entities
        );
        assert_eq!(c.entities.get(&Category::Health), Some(&100));
    }

    #[test]
    fn birth_dates_without_header_are_told_from_other_dates() {
        let set = set();
        let dob: Vec<String> = (0..200)
            .map(|i| format!("{:02}.{:02}.{}", i % 28 + 1, i % 12 + 1, 1940 + i % 60))
            .collect();
        assert_eq!(check(&set, "col7", &dob).category, Category::DateOfBirth);
        let recent: Vec<String> = (0..200)
            .map(|i| format!("2024-{:02}-{:02}", i % 12 + 1, i % 28 + 1))
            .collect();
        assert_eq!(check(&set, "col9", &recent).category, Category::Date);
    }

    #[test]
    fn empty_column_uses_the_header_with_low_confidence() {
        let set = set();
        let c = check(&set, "email", &[String::new(), String::new()]);
        assert_eq!(c.category, Category::Email);
        assert!(c.confidence <= 0.5);
        assert_eq!(check(&set, "col1", &[]).category, Category::None);
    }

    #[test]
    fn confidence_and_alternatives_are_well_formed() {
        let set = set();
        let pns: Vec<String> = (0..50).map(personal_number).collect();
        let c = check(&set, "JMBG", &pns);
        assert!((0.0..=1.0).contains(&c.confidence));
        for a in &c.alternatives {
            assert_ne!(a.category, c.category);
            assert!((0.0..=1.0).contains(&a.confidence));
        }
    }
}
