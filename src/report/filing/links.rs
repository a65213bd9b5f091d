//! Links between filing systems: pairs whose identifier sketches share a category, with the
//! estimated number of shared values (never the values).
//!
//! In: each filing system's [`LinkSide`] (id, sensitive, criminal records, sketches) and the
//! catalogue. Out: the report's [`Link`]s and the findings `linkable_filing_systems` (Art. 71,
//! 72) and `links_undeclared` (Art. 17(1.12)).
use super::entries::LinkSide;
use super::model::{Finding, Link, Severity};
use super::rules::names;
use crate::detect::Category;
use crate::report::catalogue::Catalogue;
use crate::report::is_connecting_code;
use crate::report::law::l172;

/// Every pair of filing systems, in order: their links and findings.
pub(super) fn link_filing_systems(
    cat: &Catalogue,
    sides: &[LinkSide],
    findings: &mut Vec<Finding>,
) -> Vec<Link> {
    let mut links = Vec::new();
    for i in 0..sides.len() {
        for j in i + 1..sides.len() {
            link_pair(cat, &sides[i], &sides[j], &mut links, findings);
        }
    }
    links
}

/// The links of one pair of filing systems and the finding on them, if they share an
/// identifier category.
fn link_pair(
    cat: &Catalogue,
    side_a: &LinkSide,
    side_b: &LinkSide,
    links: &mut Vec<Link>,
    findings: &mut Vec<Finding>,
) {
    let (a, _, a_sens, a_crim, a_sk) = side_a;
    let (b, _, b_sens, b_crim, b_sk) = side_b;
    let mut shared_cats: Vec<(Category, u64, bool)> = Vec::new();
    for (ca, sa) in a_sk {
        for (cb, sb) in b_sk {
            if ca == cb {
                let o = sa.overlap(sb).round() as u64;
                shared_cats.push((*ca, o, sa.is_exact() && sb.is_exact()));
            }
        }
    }
    if shared_cats.is_empty() {
        return;
    }
    for &(c, o, exact) in &shared_cats {
        links.push(Link {
            a: a.clone(),
            b: b.clone(),
            category: c,
            shared_estimate: o,
            exact,
        });
    }
    let overlapping: Vec<&(Category, u64, bool)> = shared_cats.iter().filter(|s| s.1 > 0).collect();
    let cats: Vec<Category> = shared_cats.iter().map(|s| s.0).collect();
    // A connecting code is "used" when values of one are shared (or, before any
    // overlap is measured, when both hold one).
    let code_used = if overlapping.is_empty() {
        cats.iter().any(|c| is_connecting_code(*c))
    } else {
        overlapping.iter().any(|s| is_connecting_code(s.0))
    };
    let sensitive = *a_sens || *b_sens;
    let criminal = *a_crim || *b_crim;
    let (severity, mut cites, action) = if criminal {
        (
                Severity::Critical,
                vec![l172("Art. 72", "art-72")],
                "do not link: linking filing systems of criminal records and minor-offence records (marked `criminal_records = true` in the catalogue) to other filing systems is prohibited (Art. 72); make sure the shared identifiers cannot be used to join them".to_string(),
            )
    } else if sensitive || code_used {
        (
            Severity::High,
            vec![l172("Art. 71(2)", "art-71"), l172("Art. 71(3)", "art-71")],
            format!(
                "notify the Agency in writing before linking (Art. 71(2)); linking needs the Agency's prior authorisation because {} (Art. 71(3))",
                match (sensitive, code_used) {
                    (true, true) => "sensitive data and a connecting code are involved",
                    (true, false) => "sensitive data are involved",
                    _ => "it would use a connecting code",
                }
            ),
        )
    } else {
        (
            Severity::Medium,
            vec![l172("Art. 71(2)", "art-71")],
            "notify the Agency in writing before linking the filing systems (Art. 71(2))"
                .to_string(),
        )
    };
    if code_used {
        cites.push(l172("Art. 2(1.17)", "art-2"));
    }
    let (severity, message, action) = if overlapping.is_empty() {
        (
            Severity::Info,
            format!(
                "{a} and {b} hold the same kind of identifier ({}) but no common value was found in the rows scanned; they could be linked if their populations overlap",
                names(&cats)
            ),
            format!("nothing to do now; before linking them: {action}"),
        )
    } else {
        (
            severity,
            format!(
                "{a} and {b} can be linked through shared identifiers: {}",
                overlapping
                    .iter()
                    .map(|(c, o, exact)| format!(
                        "{c} ({}{o} common values)",
                        if *exact { "" } else { "about " }
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            action,
        )
    };
    if !overlapping.is_empty()
        && let Some(f) = undeclared_link(cat, a, b, &cats)
    {
        findings.push(f);
    }
    findings.push(Finding {
        code: "linkable_filing_systems",
        severity,
        filing_system: Some(a.clone()),
        datasets: vec![a.clone(), b.clone()],
        columns: vec![],
        categories: cats,
        message,
        action,
        cites,
    });
}

/// Art. 17(1.12): two catalogued filing systems whose rows share identifier values, while
/// neither entry lists the other among its linked filing systems.
fn undeclared_link(cat: &Catalogue, a: &str, b: &str, cats: &[Category]) -> Option<Finding> {
    let fa = cat.filing_systems.iter().find(|f| f.id == a)?;
    let fb = cat.filing_systems.iter().find(|f| f.id == b)?;
    let declared = fa.linked_filing_systems.iter().any(|x| x == b)
        || fb.linked_filing_systems.iter().any(|x| x == a);
    if declared {
        return None;
    }
    Some(Finding {
        code: "links_undeclared",
        severity: Severity::Medium,
        filing_system: Some(a.to_string()),
        datasets: vec![a.to_string(), b.to_string()],
        columns: vec![],
        categories: cats.to_vec(),
        message: format!(
            "{a} and {b} share identifier values, but neither catalogue entry lists the other among \
             its linked filing systems (item 1.12)"
        ),
        action: "if they are linked, add each to the other's linked_filing_systems; the catalogue \
                 must be accurate and kept up to date (Art. 17(2))"
            .into(),
        cites: vec![
            l172("Art. 17(1.12)", "art-17"),
            l172("Art. 17(2)", "art-17"),
        ],
    })
}
