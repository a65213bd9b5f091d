//! Declared categories: the controller's word on what a column holds, which overrides the
//! classifier. A false positive (`name` over product names) is declared `none`; a column the
//! scan cannot know (`col7` holding case numbers) is declared `record_key`. Each declaration
//! names its reason; the plan, the run report and `verify` carry it.
//!
//! In a pipeline, or in a shared annotations file named by `[pipeline] annotations = "…"`
//! (relative to the pipeline), with the same entries:
//!
//! ```toml
//! [[declare]]
//! dataset = "*produktet*"        # optional glob, as a rule's `dataset`
//! column = "name"                # column name or glob
//! category = "none"
//! why = "product names, not people (checked by the DPO, 2026-11-30)"
//! ```
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::detect::Category;
use crate::error::{Error, Result};

/// One declaration, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDeclaration {
    /// Dataset glob (optional).
    #[serde(default)]
    pub dataset: Option<String>,
    /// Column name or glob.
    pub column: String,
    /// The category.
    pub category: String,
    /// Why (required: a declaration overrides evidence, so it must say on what grounds).
    pub why: String,
}

/// One checked declaration.
#[derive(Debug, Clone)]
pub struct Declaration {
    /// Dataset glob (optional).
    pub dataset: Option<String>,
    /// Column name or glob.
    pub column: String,
    /// The declared category.
    pub category: Category,
    /// Why.
    pub why: String,
    /// The file it was written in.
    pub file: PathBuf,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AnnotationsFile {
    #[serde(default)]
    declare: Vec<RawDeclaration>,
}

/// Check raw declarations read from `file`.
pub fn check(raw: Vec<RawDeclaration>, file: &Path) -> Result<Vec<Declaration>> {
    raw.into_iter()
        .enumerate()
        .map(|(i, d)| {
            let err = |msg: String| Error::Config {
                path: file.to_path_buf(),
                line: None,
                msg: format!("declaration {}: {msg}", i + 1),
            };
            let category = Category::from_name(&d.category).ok_or_else(|| {
                err(format!(
                    "unknown category {:?} (one of: {})",
                    d.category,
                    Category::ALL.map(Category::name).join(", ")
                ))
            })?;
            if d.why.trim().is_empty() {
                return Err(err(
                    "`why` is empty: say on what grounds the column is declared".into(),
                ));
            }
            if d.column.trim().is_empty() {
                return Err(err("`column` is empty".into()));
            }
            Ok(Declaration {
                dataset: d.dataset,
                column: d.column,
                category,
                why: d.why,
                file: file.to_path_buf(),
            })
        })
        .collect()
}

/// Read a shared annotations file (`[[declare]]` entries only).
pub fn load_annotations(path: &Path) -> Result<Vec<Declaration>> {
    #[allow(clippy::disallowed_methods)] // a small config file
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let f: AnnotationsFile = toml::from_str(&text).map_err(|e| Error::Config {
        path: path.to_path_buf(),
        line: e.span().map(|s| text[..s.start].lines().count().max(1)),
        msg: e.message().to_string(),
    })?;
    check(f.declare, path)
}

/// The declaration for `column`, if any: the last one that matches (a pipeline's own
/// declarations come after the shared file's, so they win).
pub fn find<'a>(
    decls: &'a [Declaration],
    column: &str,
    dataset_matches: impl Fn(&str) -> bool,
) -> Option<&'a Declaration> {
    decls.iter().rev().find(|d| {
        (d.column == column || crate::source::glob_match(&d.column, column))
            && d.dataset.as_deref().is_none_or(&dataset_matches)
    })
}

/// Put declared categories over a scan's classifications (`scan --annotations`): the
/// detected category becomes the first alternative and a note says who declared what and why.
pub fn apply_to_scans(decls: &[Declaration], scans: &mut [crate::scan::DatasetScan]) {
    use crate::detect::classify::{Alternative, Evidence};
    if decls.is_empty() {
        return;
    }
    for ds in scans.iter_mut() {
        let (source, table) = (ds.source.clone(), ds.table.clone());
        for col in &mut ds.columns {
            let Some(d) = find(decls, &col.name, |g| {
                crate::plan::dataset_glob_matches(g, &source, table.as_deref())
            }) else {
                continue;
            };
            let c = &mut col.classification;
            if c.category != d.category {
                c.alternatives.retain(|a| a.category != d.category);
                c.alternatives.insert(
                    0,
                    Alternative {
                        category: c.category,
                        confidence: c.confidence,
                    },
                );
                c.alternatives.truncate(3);
            }
            c.evidence.push(Evidence::Note {
                detail: format!(
                    "declared {} in {} (detected: {}): {}",
                    d.category,
                    d.file.display(),
                    c.category,
                    d.why
                ),
            });
            c.category = d.category;
            c.role = d.category.role();
            c.special_category = d.category.is_special();
            c.confidence = 1.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decl(dataset: Option<&str>, column: &str, category: Category) -> Declaration {
        Declaration {
            dataset: dataset.map(String::from),
            column: column.into(),
            category,
            why: "test".into(),
            file: PathBuf::from("a.toml"),
        }
    }

    #[test]
    fn the_last_matching_declaration_wins_and_datasets_scope_it() {
        let d = vec![
            decl(None, "name", Category::None),
            decl(Some("*staff*"), "name", Category::PersonName),
            decl(None, "col*", Category::RecordKey),
        ];
        let any = |_: &str| true;
        let none = |_: &str| false;
        assert_eq!(
            find(&d, "name", any).map(|x| x.category),
            Some(Category::PersonName)
        );
        assert_eq!(
            find(&d, "name", none).map(|x| x.category),
            Some(Category::None)
        );
        assert_eq!(
            find(&d, "col7", none).map(|x| x.category),
            Some(Category::RecordKey)
        );
        assert!(find(&d, "names", any).is_none());
    }

    #[test]
    fn bad_declarations_are_refused_by_number() {
        let raw = |c: &str, why: &str| RawDeclaration {
            dataset: None,
            column: "x".into(),
            category: c.into(),
            why: why.into(),
        };
        let e = check(
            vec![raw("none", "ok"), raw("persn_name", "x")],
            Path::new("a.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("declaration 2") && e.contains("persn_name"),
            "{e}"
        );
        let e = check(vec![raw("none", " ")], Path::new("a.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("why"), "{e}");
        assert_eq!(
            check(vec![raw("record_key", "ids")], Path::new("a"))
                .unwrap()
                .len(),
            1
        );
    }
}
