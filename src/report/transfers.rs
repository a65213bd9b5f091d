//! Item 1.10 of the Art. 17(1) catalogue: "information on whether personal data have been or
//! are to be transferred to another country, where, when and to whom, and the legal grounds
//! for such transfers". In `filing-systems.toml`:
//!
//! ```toml
//! transfers_abroad = "none"
//! # or
//! transfers_abroad = [
//!   { country = "DE", recipient = "Payroll GmbH", when = "monthly since 2024-01",
//!     legal_basis = "contract of employment (Art. 5)" },
//!   { country = "US", recipient = "Cloud Inc.", when = "since 2025-03",
//!     legal_basis = "service contract", authorisation = "AIP decision 12/2025" },
//! ]
//! ```
//!
//! Findings: `transfers_unstated` (the item is missing), `transfer_incomplete` (a transfer
//! lacks where, when, to whom or the legal grounds), `transfer_needs_authorisation` (a
//! country outside the EU/EEA, `patterns/law/eu_eea.txt`, and no `authorisation`: Arts 51,
//! 53(2), 56(1), 57 and 58). Free text in place of the list is a load error that names the
//! filing system and shows what to write: a sentence cannot be checked for the four facts.
use serde::{Deserialize, Serialize};

use super::filing::{Finding, Severity};
use super::law::l172;

/// One transfer abroad as the catalogue declares it. Every field is optional here so that a
/// missing one is a finding, not a load error.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Transfer {
    /// Where: ISO 3166-1 alpha-2 code or country name.
    #[serde(default)]
    pub country: Option<String>,
    /// To whom.
    #[serde(default)]
    pub recipient: Option<String>,
    /// When (a date or period).
    #[serde(default)]
    pub when: Option<String>,
    /// On what legal grounds.
    #[serde(default)]
    pub legal_basis: Option<String>,
    /// The Agency's authorisation (Art. 57), or the Art. 56(1) ground or adequacy decision
    /// that makes one unnecessary.
    #[serde(default)]
    pub authorisation: Option<String>,
}

impl Transfer {
    /// The required facts this transfer does not give.
    pub fn missing(&self) -> Vec<&'static str> {
        let blank = |v: &Option<String>| v.as_deref().is_none_or(|t| t.trim().is_empty());
        [
            ("country (where)", blank(&self.country)),
            ("when", blank(&self.when)),
            ("recipient (to whom)", blank(&self.recipient)),
            ("legal_basis (on what grounds)", blank(&self.legal_basis)),
        ]
        .into_iter()
        .filter(|(_, b)| *b)
        .map(|(n, _)| n)
        .collect()
    }
}

/// Item 1.10 as declared.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum Transfers {
    /// The item is missing.
    #[default]
    Unstated,
    /// `"none"` (or an empty list): no transfer abroad.
    None,
    /// The transfers.
    To(Vec<Transfer>),
}

impl std::fmt::Display for Transfers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transfers::Unstated => f.write_str("not stated"),
            Transfers::None => f.write_str("none"),
            Transfers::To(list) => {
                let shown: Vec<String> = list
                    .iter()
                    .map(|t| {
                        let v = |x: &Option<String>| x.clone().unwrap_or_else(|| "?".into());
                        let mut s = format!(
                            "{} to {} ({}; legal basis: {}",
                            v(&t.country),
                            v(&t.recipient),
                            v(&t.when),
                            v(&t.legal_basis)
                        );
                        if let Some(a) = &t.authorisation {
                            s.push_str(&format!("; authorisation: {a}"));
                        }
                        s.push(')');
                        s
                    })
                    .collect();
                f.write_str(&shown.join("; "))
            }
        }
    }
}

const EXAMPLE: &str = "transfers_abroad = \"none\", or a list such as transfers_abroad = \
    [{ country = \"DE\", recipient = \"…\", when = \"…\", legal_basis = \"…\" }] (add \
    authorisation = \"…\" for a country outside the EU/EEA)";

/// Item 1.10 from the catalogue's TOML value (`None`: the key is missing). An error message
/// (without the filing system's name, which the caller adds) for free text or a wrong shape.
pub fn parse(value: Option<toml::Value>) -> std::result::Result<Transfers, String> {
    match value {
        None => Ok(Transfers::Unstated),
        Some(toml::Value::String(s)) if s.trim().eq_ignore_ascii_case("none") => {
            Ok(Transfers::None)
        }
        Some(toml::Value::String(_)) => Err(format!(
            "item 1.10 (transfers_abroad) is free text; Art. 17(1.10) asks where, when, to whom \
             and on what legal grounds, so write {EXAMPLE}"
        )),
        Some(toml::Value::Array(items)) if items.is_empty() => Ok(Transfers::None),
        Some(toml::Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                v.try_into::<Transfer>().map_err(|e| {
                    format!(
                        "item 1.10 (transfers_abroad), transfer {}: {}; write {EXAMPLE}",
                        i + 1,
                        e.message().trim()
                    )
                })
            })
            .collect::<std::result::Result<Vec<_>, _>>()
            .map(Transfers::To),
        Some(_) => Err(format!(
            "item 1.10 (transfers_abroad) must be \"none\" or a list of transfers: write {EXAMPLE}"
        )),
    }
}

/// Whether `country` (code or name, any case) is an EU or EEA member state.
pub fn is_eu_eea(country: &str) -> bool {
    let want = country.trim().to_lowercase();
    include_str!("../../patterns/law/eu_eea.txt")
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .any(|l| l.split('|').any(|n| n.trim().to_lowercase() == want))
}

/// The findings about item 1.10 of filing system `id`.
pub fn findings(id: &str, t: &Transfers) -> Vec<Finding> {
    let finding = |code, severity, message: String, action: &str, cites| Finding {
        code,
        severity,
        filing_system: Some(id.to_string()),
        datasets: vec![],
        columns: vec![],
        categories: vec![],
        message,
        action: action.to_string(),
        cites,
    };
    let list = match t {
        Transfers::None => return vec![],
        Transfers::Unstated => {
            return vec![finding(
                "transfers_unstated",
                Severity::Medium,
                format!(
                    "the catalogue of {id:?} does not say whether personal data are transferred to another country (item 1.10)"
                ),
                "add transfers_abroad = \"none\", or list each transfer with country, recipient, when and legal_basis",
                vec![l172("Art. 17(1.10)", "art-17")],
            )];
        }
        Transfers::To(list) => list,
    };
    let mut out = Vec::new();
    for (i, tr) in list.iter().enumerate() {
        let missing = tr.missing();
        if !missing.is_empty() {
            out.push(finding(
                "transfer_incomplete",
                Severity::Medium,
                format!(
                    "transfer {} of {id:?} (item 1.10) does not give {}",
                    i + 1,
                    missing.join(", ")
                ),
                "complete the transfer: where (country), when, to whom (recipient) and on what legal grounds (legal_basis)",
                vec![l172("Art. 17(1.10)", "art-17")],
            ));
        }
        let outside = tr
            .country
            .as_deref()
            .filter(|c| !c.trim().is_empty() && !is_eu_eea(c));
        let authorised = tr
            .authorisation
            .as_deref()
            .is_some_and(|a| !a.trim().is_empty());
        if let Some(country) = outside
            && !authorised
        {
            out.push(finding(
                "transfer_needs_authorisation",
                Severity::High,
                format!(
                    "transfer {} of {id:?} (to {}) goes to {country}, outside the EU/EEA, and the catalogue records no authorisation of the Agency",
                    i + 1,
                    tr.recipient.as_deref().unwrap_or("an unnamed recipient")
                ),
                "a transfer to a country without an adequate level of data protection needs the Agency's authorisation before it takes place (Art. 57(2)), registered in item 1.10 (Art. 58); record it as authorisation = \"…\". If the Agency lists the country as adequate (Arts 52–53), or one of the grounds of Art. 56(1) applies (another law or treaty, the data subject's informed consent, a contract, …), record that instead",
                vec![
                    l172("Art. 51", "art-51"),
                    l172("Art. 53(2)", "art-53"),
                    l172("Art. 56(1)", "art-56"),
                    l172("Art. 57(1)–(2)", "art-57"),
                    l172("Art. 58", "art-58"),
                ],
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(toml_text: &str) -> std::result::Result<Transfers, String> {
        let t: toml::Table = toml::from_str(toml_text).map_err(|e| e.to_string())?;
        parse(t.get("transfers_abroad").cloned())
    }

    fn codes(t: &Transfers) -> Vec<&'static str> {
        findings("fs", t).iter().map(|f| f.code).collect()
    }

    const VALID: &str = r#"transfers_abroad = [{ country = "DE", recipient = "Payroll GmbH", when = "monthly", legal_basis = "contract" }]"#;

    #[test]
    fn none_and_a_complete_eu_transfer_give_no_finding() {
        assert_eq!(parsed(r#"transfers_abroad = "none""#), Ok(Transfers::None));
        assert_eq!(
            parsed(r#"transfers_abroad = " None ""#),
            Ok(Transfers::None)
        );
        assert_eq!(parsed("transfers_abroad = []"), Ok(Transfers::None));
        assert!(codes(&Transfers::None).is_empty());
        let t = parsed(VALID).expect("valid");
        assert!(codes(&t).is_empty(), "{:?}", codes(&t));
        // Names and codes, any case; Norway is EEA, not EU.
        for c in ["de", "Germany", "Gjermani", "NO", "norway"] {
            assert!(is_eu_eea(c), "{c}");
        }
        for c in ["US", "Serbia", "XK", "CH", "GB", ""] {
            assert!(!is_eu_eea(c), "{c}");
        }
    }

    #[test]
    fn a_missing_item_is_unstated() {
        let t = parsed("title = \"x\"").expect("no key");
        assert_eq!(t, Transfers::Unstated);
        let f = findings("fs", &t);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].code, "transfers_unstated");
        assert_eq!(f[0].cites[0].article, "Art. 17(1.10)");
    }

    #[test]
    fn each_missing_field_is_named() {
        for (field, named) in [
            ("country = \"DE\", ", "country"),
            ("recipient = \"Payroll GmbH\", ", "recipient"),
            ("when = \"monthly\", ", "when"),
            (", legal_basis = \"contract\"", "legal_basis"),
        ] {
            let text = VALID.replace(field, "");
            let t = parsed(&text).expect(&text);
            let f = findings("fs", &t);
            assert_eq!(f.len(), 1, "{text}: {f:?}");
            assert_eq!(f[0].code, "transfer_incomplete");
            assert!(f[0].message.contains(named), "{}", f[0].message);
        }
        // A blank value is as good as none.
        let t = parsed(&VALID.replace("\"monthly\"", "\"  \"")).expect("blank");
        assert_eq!(codes(&t), ["transfer_incomplete"]);
    }

    #[test]
    fn outside_the_eu_eea_needs_an_authorisation() {
        let us = VALID.replace("\"DE\"", "\"US\"");
        let t = parsed(&us).expect("us");
        let f = findings("fs", &t);
        assert_eq!(codes(&t), ["transfer_needs_authorisation"]);
        let arts: Vec<&str> = f[0].cites.iter().map(|c| c.article).collect();
        assert_eq!(
            arts,
            [
                "Art. 51",
                "Art. 53(2)",
                "Art. 56(1)",
                "Art. 57(1)–(2)",
                "Art. 58"
            ]
        );
        for c in &f[0].cites {
            assert!(
                super::super::law::article(c.anchor).is_some(),
                "{}",
                c.anchor
            );
        }
        // Near miss: the authorisation is recorded.
        let ok = us.replace(" }]", ", authorisation = \"AIP decision 12/2025\" }]");
        assert!(codes(&parsed(&ok).expect("ok")).is_empty());
        // A blank authorisation is none.
        let blank = us.replace(" }]", ", authorisation = \"\" }]");
        assert_eq!(
            codes(&parsed(&blank).expect("blank")),
            ["transfer_needs_authorisation"]
        );
        // Near miss: Switzerland is neither EU nor EEA.
        let ch = VALID.replace("\"DE\"", "\"Switzerland\"");
        assert_eq!(
            codes(&parsed(&ch).expect("ch")),
            ["transfer_needs_authorisation"]
        );
    }

    #[test]
    fn free_text_and_wrong_shapes_are_load_errors_that_say_what_to_write() {
        let e = parsed(r#"transfers_abroad = "to our partners in Germany""#).unwrap_err();
        assert!(
            e.contains("free text") && e.contains("country = \"DE\""),
            "{e}"
        );
        let e = parsed("transfers_abroad = 3").unwrap_err();
        assert!(e.contains("\"none\" or a list"), "{e}");
        let e = parsed(r#"transfers_abroad = [{ country = "DE", reciever = "x" }]"#).unwrap_err();
        assert!(e.contains("transfer 1") && e.contains("reciever"), "{e}");
    }

    #[test]
    fn the_quoted_transfer_articles_say_what_the_findings_rest_on() {
        let text = |id: &str| super::super::law::article(id).map(|a| a.text).unwrap_or("");
        assert!(text("art-51").contains("ensures an adequate level of data protection"));
        assert!(
            text("art-53")
                .contains("Member States of the European Union and the European Economic Area")
        );
        assert!(text("art-56").contains("1.2 the data subject has given his or her consent"));
        assert!(
            text("art-57")
                .contains("may transfer personal data only upon receipt of the authorization")
        );
        assert!(text("art-58").contains("subparagraph 1.10 of paragraph 1 of Article 17"));
    }
}
