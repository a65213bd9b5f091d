//! The texts of the articles the filing-system report cites, copied from the source documents
//! in `../shared/seeds/` (Law No. 03/L-172 and the 06/L-082 overview) into
//! `src/report/law_texts.txt` and embedded in the binary, so the HTML appendix quotes them.
//! The seed files are vendored unchanged in `tests/fixtures/law/` (see its README), and a unit
//! test checks that every quoted paragraph is a verbatim passage of them (whitespace and
//! Markdown emphasis normalised). The report never reads `../shared` at run or test time.
use serde::Serialize;

use crate::detect::Category;

const TEXTS: &str = include_str!("law_texts.txt");

/// One quoted article (or section of the 06/L-082 overview).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Article {
    /// Anchor, e.g. `art-17`.
    pub id: &'static str,
    /// Heading, e.g. `Law No. 03/L-172, Article 17: Filing system catalogue`.
    pub title: &'static str,
    /// The text as in the source.
    pub text: &'static str,
}

/// Every embedded article, in file order.
pub fn articles() -> Vec<Article> {
    let mut out = Vec::new();
    for block in TEXTS.split("\n@@ ").skip(1) {
        let (head, text) = block.split_once('\n').unwrap_or((block, ""));
        let (id, title) = head.split_once(" | ").unwrap_or((head, head));
        out.push(Article {
            id: id.trim(),
            title: title.trim(),
            text: text.trim(),
        });
    }
    out
}

/// The article with anchor `id`.
pub fn article(id: &str) -> Option<Article> {
    articles().into_iter().find(|a| a.id == id)
}

/// A citation: `Art. 17(2)` of a law, with the anchor of its quoted text.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Cite {
    /// `03/L-172`, or `06/L-082 overview` for the secondary source (never "Law").
    pub law: &'static str,
    /// As cited, e.g. `Art. 17(2)` or `§7.1`.
    pub article: &'static str,
    /// Anchor of the quoted text ([`article`]).
    pub anchor: &'static str,
}

/// Shorthand for a 03/L-172 citation.
pub const fn l172(article: &'static str, anchor: &'static str) -> Cite {
    Cite {
        law: "03/L-172",
        article,
        anchor,
    }
}

/// Shorthand for a citation of the 06/L-082 overview (a secondary source): `§7.1`.
pub const fn l082(section: &'static str, anchor: &'static str) -> Cite {
    Cite {
        law: L082_OVERVIEW,
        article: section,
        anchor,
    }
}

/// How citations of the 06/L-082 overview name their source.
pub const L082_OVERVIEW: &str = "06/L-082 overview";

impl Cite {
    /// The citation as shown: `Art. 17(2) 03/L-172`, or `06/L-082 overview §7.1`.
    pub fn label(&self) -> String {
        if self.law == L082_OVERVIEW {
            format!("{} {}", self.law, self.article)
        } else {
            format!("{} {}", self.article, self.law)
        }
    }

    /// The source's full name: `Law No. 03/L-172`, or the overview marked as secondary.
    pub fn source(&self) -> String {
        if self.law == L082_OVERVIEW {
            "06/L-082 overview (secondary source, not the law's wording)".to_string()
        } else {
            format!("Law No. {}", self.law)
        }
    }
}

/// Where a special category of the scan vocabulary comes from: the words of Art. 2(1.16) of
/// 03/L-172 it falls under (with the law's condition for biometric data), or, for `genetic`,
/// the 06/L-082 overview (§7.9), since 03/L-172 does not name it. `None` for other categories.
pub fn special_category_source(c: Category) -> Option<(&'static str, Cite)> {
    let art2 = l172("Art. 2(1.16)", "art-2");
    let s = match c {
        Category::EthnicOrigin => "racial or ethnic origin",
        Category::PoliticalOpinion => "political or philosophical opinions",
        Category::Religion => "religious beliefs",
        Category::TradeUnion => "trade-union membership",
        Category::Health => "health status",
        Category::SexLife => {
            "sex life (sexual orientation is named only by 06/L-082, overview §7.9)"
        }
        Category::CriminalRecord => {
            "entries in or removals from criminal records or records on minor offences kept on the basis of the law"
        }
        Category::Biometric => {
            "biometric characteristics, sensitive only if they enable the identification of a data subject in connection with any of the circumstances of Art. 2(1.16)"
        }
        Category::Genetic => {
            return Some((
                "genetic data: named by 06/L-082 (overview §7.9), not by 03/L-172",
                l082("§7.9", "l082-special"),
            ));
        }
        _ => return None,
    };
    Some((s, art2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cited_anchor_has_a_text() {
        for id in [
            "art-2",
            "art-5",
            "art-6",
            "art-7",
            "art-9",
            "art-11",
            "art-13",
            "art-14",
            "art-17",
            "art-18",
            "art-19",
            "art-71",
            "art-72",
            "l082-registration",
            "l082-dpia",
            "l082-special",
        ] {
            let a = article(id).unwrap_or_else(|| panic!("no text for {id}"));
            assert!(a.text.len() > 100 || id == "art-72", "{id}");
        }
        assert!(
            article("art-11")
                .unwrap()
                .text
                .contains("must not be collected and processed by using only a connecting code")
        );
    }

    /// Whitespace collapsed, Markdown emphasis and heading marks dropped, so that a quote
    /// "copied verbatim (formatting marks removed)" can be compared with the seed text.
    fn normalise(s: &str) -> String {
        s.replace(['*', '#'], " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    const SEED_03L172: &str = include_str!("../../tests/fixtures/law/03-L-172.txt");
    const SEED_06L082: &str = include_str!("../../tests/fixtures/law/06-L-082-overview.txt");

    #[test]
    fn every_quote_is_verbatim_in_the_vendored_seed() {
        let l172 = normalise(SEED_03L172);
        let l082 = normalise(SEED_06L082);
        let all = articles();
        assert!(all.len() >= 16, "{}", all.len());
        for a in all {
            let seed = if a.id.starts_with("l082-") {
                &l082
            } else {
                &l172
            };
            let mut paragraphs = 0;
            for p in a.text.split("\n\n") {
                let p = normalise(p);
                if p.is_empty() {
                    continue;
                }
                paragraphs += 1;
                assert!(
                    seed.contains(&p),
                    "{}: not verbatim in the vendored seed: {p}",
                    a.id
                );
            }
            assert!(paragraphs > 0, "{} quotes nothing", a.id);
        }
    }

    #[test]
    fn art2_quotes_anonymity_1_15() {
        let t = article("art-2").map(|a| a.text).unwrap_or_default();
        assert!(t.contains("1.15 Anonymity"));
        assert!(t.contains("can no longer be linked to the data subject"));
    }

    #[test]
    fn art9_quotes_paragraph_4() {
        let t = article("art-9").map(|a| a.text).unwrap_or_default();
        assert!(t.contains("shall be published in anonymised form"), "{t}");
    }

    #[test]
    fn special_categories_are_those_of_art_2_1_16() {
        let art2 = article("art-2").map(|a| a.text).unwrap_or_default();
        let (eth, c) = special_category_source(Category::EthnicOrigin).expect("a special category");
        assert_eq!(eth, "racial or ethnic origin");
        assert_eq!(c.label(), "Art. 2(1.16) 03/L-172");
        let (pol, _) =
            special_category_source(Category::PoliticalOpinion).expect("a special category");
        assert_eq!(pol, "political or philosophical opinions");
        for words in [eth, pol] {
            assert!(art2.contains(words), "{words}");
        }
        let (bio, _) = special_category_source(Category::Biometric).expect("a special category");
        assert!(bio.contains("only if they enable the identification"));
        assert!(art2.contains("Biometric characteristics are also considered as sensitive personal data if they enable the identification"));
        let (genetic, c) = special_category_source(Category::Genetic).expect("a special category");
        assert!(genetic.contains("not by 03/L-172"));
        assert_eq!(c.label(), "06/L-082 overview §7.9");
        assert!(!art2.contains("genetic"));
        let overview = article("l082-special").map(|a| a.text).unwrap_or_default();
        assert!(overview.contains("genetic data") && overview.contains("sexual orientation"));
        let (sex, _) = special_category_source(Category::SexLife).expect("a special category");
        assert!(sex.contains("sexual orientation is named only by 06/L-082"));
        assert!(!art2.contains("orientation"));
        assert!(special_category_source(Category::Email).is_none());
    }

    #[test]
    fn overview_citations_never_read_law() {
        let c = l082("§7.1", "l082-registration");
        assert_eq!(c.label(), "06/L-082 overview §7.1");
        assert!(!c.source().starts_with("Law"));
        for a in articles().iter().filter(|a| a.id.starts_with("l082-")) {
            assert!(a.title.starts_with("06/L-082 overview"), "{}", a.title);
        }
    }
}
