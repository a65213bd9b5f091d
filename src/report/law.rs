//! The texts of the articles the filing-system report cites, copied from the source documents
//! in `../shared/seeds/` (Law No. 03/L-172 and the 06/L-082 overview) into
//! `src/report/law_texts.txt` and embedded in the binary, so the HTML appendix quotes them.
use serde::Serialize;

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
    /// `03/L-172` or `06/L-082`.
    pub law: &'static str,
    /// As cited, e.g. `Art. 17(2)` or `§7.1 (registration)`.
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

/// Shorthand for a 06/L-082 (overview) citation.
pub const fn l082(article: &'static str, anchor: &'static str) -> Cite {
    Cite {
        law: "06/L-082",
        article,
        anchor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cited_anchor_has_a_text() {
        for id in [
            "art-2",
            "art-6",
            "art-7",
            "art-9",
            "art-11",
            "art-14",
            "art-17",
            "art-18",
            "art-71",
            "art-72",
            "l082-registration",
            "l082-dpia",
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
}
