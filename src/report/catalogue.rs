//! `filing-systems.toml`: the filing-system catalogues of Art. 17(1) of Law 03/L-172 and the
//! sources (file globs, dump tables, database tables) that belong to each filing system.
//!
//! ```toml
//! [[filing_system]]
//! id = "health-register"            # short, unique
//! public_body = true                 # flags: public_body, criminal_records (Art. 72)
//! title = "Patient register"         # 1.1
//! legal_basis = "…"                  # 1.3
//! data_subjects = ["patients"]       # 1.4
//! personal_data = ["person_name", "health"]  # 1.5, category names of the scan vocabulary
//! purpose = "…"                      # 1.6
//! retention = "…"                    # 1.7
//! restrictions = "none"              # 1.8
//! recipients = ["…"]                 # 1.9
//! transfers_abroad = "none"          # 1.10: "none" or [{ country, recipient, when, legal_basis, authorisation }]
//! security_measures = "…"            # 1.11
//! linked_filing_systems = []         # 1.12
//! [filing_system.controller]         # 1.2
//! name = "…"
//! representative = "…"
//! address = "…"
//! phone = "…"
//! email = "…"
//! [filing_system.sources]
//! files = ["sample-data/patients.csv"]                          # globs (`*`, `?`)
//! dump_tables = [{ source = "dumps/*.sql", table = "public.patients" }]
//! db_tables = [{ source = "postgres://*/hospital", table = "public.*" }]
//! ```
//!
//! Every item of Art. 17(1) must be present (an empty string or list says "none" explicitly),
//! except that items 1.3 (legal basis), 1.6 (purpose) and 1.7 (storage period) have no "none";
//! unknown keys are errors. Errors name the filing system and the item. Item 1.10 is
//! structured ([`super::transfers`]): a missing one is a finding (`transfers_unstated`), free
//! text a load error that shows what to write.
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::detect::Category;
use crate::error::{Error, Result};
use crate::source::glob_match;

/// The items of Art. 17(1), as (item number, key, description).
pub const ITEMS: [(&str, &str, &str); 12] = [
    ("1.1", "title", "title of the filing system"),
    (
        "1.2",
        "controller",
        "identity of the data controller and his or her representative",
    ),
    ("1.3", "legal_basis", "legal basis for the data processing"),
    ("1.4", "data_subjects", "the categories of data subjects"),
    (
        "1.5",
        "personal_data",
        "the categories of personal data in the filing system",
    ),
    ("1.6", "purpose", "purpose of processing"),
    (
        "1.7",
        "retention",
        "intended duration of storage of personal data",
    ),
    (
        "1.8",
        "restrictions",
        "restrictions of the rights of data subjects and their legal basis",
    ),
    (
        "1.9",
        "recipients",
        "data recipients or categories of data recipients",
    ),
    (
        "1.10",
        "transfers_abroad",
        "transfers of personal data to another country",
    ),
    (
        "1.11",
        "security_measures",
        "general description of the procedures and measures pursuant to Article 14",
    ),
    (
        "1.12",
        "linked_filing_systems",
        "data of linked filing systems",
    ),
];

/// Item 1.2: the controller and representative with contacts.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Controller {
    /// Name of the controller.
    pub name: String,
    /// Representative.
    #[serde(default)]
    pub representative: Option<String>,
    /// Address or seat.
    #[serde(default)]
    pub address: Option<String>,
    /// Phone.
    #[serde(default)]
    pub phone: Option<String>,
    /// E-mail.
    #[serde(default)]
    pub email: Option<String>,
    /// Registration number (legal persons).
    #[serde(default)]
    pub registration_number: Option<String>,
    /// `natural_person`, `trader` or `legal_person`: item 1.2 lists different identity data
    /// for each.
    #[serde(default)]
    pub kind: Option<String>,
    /// Founder (legal persons).
    #[serde(default)]
    pub founder: Option<String>,
}

impl Controller {
    /// What item 1.2 of Art. 17(1) asks of this controller and the catalogue does not give:
    /// natural persons: name and address; independent traders: official name, registered
    /// office or seat and registration number; legal persons: founder, name, address or seat
    /// and registration number. Phone and e-mail are asked "where applicable" and not
    /// required. Without a `kind` the missing piece is the kind itself.
    pub fn missing_identity(&self) -> Vec<&'static str> {
        let has = |v: &Option<String>| v.as_deref().is_some_and(|t| !t.trim().is_empty());
        let mut missing = Vec::new();
        if self.name.trim().is_empty() {
            missing.push("name");
        }
        let needs: &[(&'static str, bool)] = match self.kind.as_deref() {
            Some("natural_person") => &[("address", has(&self.address))],
            Some("trader") => &[
                ("registered office or seat (address)", has(&self.address)),
                ("registration_number", has(&self.registration_number)),
            ],
            Some("legal_person") => &[
                ("founder", has(&self.founder)),
                ("address or seat (address)", has(&self.address)),
                ("registration_number", has(&self.registration_number)),
            ],
            Some(_) => &[("kind (natural_person, trader or legal_person)", false)],
            None => &[("kind (natural_person, trader or legal_person)", false)],
        };
        missing.extend(needs.iter().filter(|(_, ok)| !ok).map(|(n, _)| *n));
        missing
    }
}

/// A table of a dump or database that belongs to a filing system.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TableSource {
    /// Glob over the dump path or database URL (as given to `scan`, without password).
    pub source: String,
    /// Glob over the table name (`schema.table` or `table`).
    pub table: String,
}

/// The sources of a filing system.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Sources {
    /// Globs over file paths (as given to `scan`); a glob without `/` also matches the file
    /// name alone. For multi-table files it matches every table.
    #[serde(default)]
    pub files: Vec<String>,
    /// Dump tables.
    #[serde(default)]
    pub dump_tables: Vec<TableSource>,
    /// Database tables.
    #[serde(default)]
    pub db_tables: Vec<TableSource>,
}

/// One filing system as written in the file (every item optional, so that a missing one
/// can be named).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFilingSystem {
    id: Option<String>,
    #[serde(default)]
    public_body: bool,
    #[serde(default)]
    criminal_records: bool,
    title: Option<String>,
    controller: Option<Controller>,
    legal_basis: Option<String>,
    data_subjects: Option<Vec<String>>,
    personal_data: Option<Vec<String>>,
    purpose: Option<String>,
    retention: Option<String>,
    restrictions: Option<String>,
    recipients: Option<Vec<String>>,
    transfers_abroad: Option<toml::Value>,
    security_measures: Option<String>,
    linked_filing_systems: Option<Vec<String>>,
    sources: Option<Sources>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    schema: Option<String>,
    /// Subjects from which processing counts as large scale (DPIA trigger).
    #[serde(default)]
    large_scale_subjects: Option<u64>,
    #[serde(default)]
    filing_system: Vec<RawFilingSystem>,
}

/// One filing system with its complete Art. 17(1) catalogue.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FilingSystem {
    /// Short unique id.
    pub id: String,
    /// Kept by a public body (registration trigger).
    pub public_body: bool,
    /// A filing system of official criminal records or minor-offence records kept on the basis
    /// of the law (`criminal_records = true`): linking it is prohibited (Art. 72). A criminal-record
    /// column in another filing system is sensitive data (Art. 2(1.16)), and its linking needs the
    /// Agency's prior authorisation (Art. 71(3)) instead.
    pub criminal_records: bool,
    /// 1.1
    pub title: String,
    /// 1.2
    pub controller: Controller,
    /// 1.3
    pub legal_basis: String,
    /// 1.4
    pub data_subjects: Vec<String>,
    /// 1.5, as written.
    pub personal_data: Vec<String>,
    /// 1.6
    pub purpose: String,
    /// 1.7
    pub retention: String,
    /// 1.8
    pub restrictions: String,
    /// 1.9
    pub recipients: Vec<String>,
    /// 1.10
    pub transfers_abroad: super::transfers::Transfers,
    /// 1.11
    pub security_measures: String,
    /// 1.12
    pub linked_filing_systems: Vec<String>,
    /// Sources.
    pub sources: Sources,
}

impl FilingSystem {
    /// Item 1.5 parsed into categories; names outside the vocabulary are returned apart.
    pub fn declared_categories(&self) -> (Vec<Category>, Vec<String>) {
        let mut known = Vec::new();
        let mut unknown = Vec::new();
        for n in &self.personal_data {
            match Category::from_name(n.trim()) {
                Some(c) => {
                    if !known.contains(&c) {
                        known.push(c)
                    }
                }
                None => unknown.push(n.clone()),
            }
        }
        (known, unknown)
    }

    /// Whether a dataset (`source` as scanned, `table` if any) belongs to this filing system.
    pub fn matches(&self, source: &str, table: Option<&str>) -> bool {
        self.matching_source(source, table).is_some()
    }

    /// Which source pattern matches the dataset, as text.
    pub fn matching_source(&self, source: &str, table: Option<&str>) -> Option<String> {
        let src = source.strip_prefix("./").unwrap_or(source);
        let name = Path::new(src)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for g in &self.sources.files {
            let g2 = g.strip_prefix("./").unwrap_or(g);
            if glob_match(g2, src) || (!g2.contains('/') && glob_match(g2, &name)) {
                return Some(g.clone());
            }
        }
        let t = table?;
        for ts in self
            .sources
            .dump_tables
            .iter()
            .chain(&self.sources.db_tables)
        {
            let s2 = ts.source.strip_prefix("./").unwrap_or(&ts.source);
            let src_hit = glob_match(s2, src) || (!s2.contains('/') && glob_match(s2, &name));
            let bare = t.rsplit('.').next().unwrap_or(t);
            if src_hit && (glob_match(&ts.table, t) || glob_match(&ts.table, bare)) {
                return Some(format!("{}#{}", ts.source, ts.table));
            }
        }
        None
    }

    /// Every source pattern, as text (for "matches nothing" warnings).
    pub fn source_patterns(&self) -> Vec<String> {
        let mut v: Vec<String> = self.sources.files.clone();
        v.extend(
            self.sources
                .dump_tables
                .iter()
                .chain(&self.sources.db_tables)
                .map(|t| format!("{}#{}", t.source, t.table)),
        );
        v
    }
}

/// The whole catalogue file.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Catalogue {
    /// Where it was read from.
    pub path: String,
    /// Subjects from which processing is "large scale" (default [`DEFAULT_LARGE_SCALE`]).
    pub large_scale_subjects: u64,
    /// Filing systems in file order.
    pub filing_systems: Vec<FilingSystem>,
}

/// Default large-scale threshold (a judgement, not a number from the law: the AIP has not
/// published one; override with `large_scale_subjects` in the file).
pub const DEFAULT_LARGE_SCALE: u64 = 10_000;

impl Catalogue {
    /// Read and check a `filing-systems.toml`.
    pub fn load(path: &Path) -> Result<Catalogue> {
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if meta.len() > 16 * 1024 * 1024 {
            return Err(config(path, None, "file larger than 16 MiB"));
        }
        #[allow(clippy::disallowed_methods)] // a small config file, size checked above
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parse catalogue text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Catalogue> {
        let p = Path::new(origin);
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .and_then(|s| text.get(..s.start))
                .map(|head| head.matches('\n').count() + 1);
            config(p, line, e.message().trim())
        })?;
        if let Some(s) = &raw.schema
            && s != "anonkos.filing-systems/v1"
        {
            return Err(config(
                p,
                None,
                &format!("unknown schema {s:?} (expected \"anonkos.filing-systems/v1\")"),
            ));
        }
        if raw.filing_system.is_empty() {
            return Err(config(p, None, "no [[filing_system]] entry"));
        }
        let mut out = Vec::new();
        let mut problems = Vec::new();
        for (i, f) in raw.filing_system.into_iter().enumerate() {
            let name =
                f.id.clone()
                    .unwrap_or_else(|| format!("entry {} (no id)", i + 1));
            let present = [
                f.title.is_some(),
                f.controller.is_some(),
                f.legal_basis.is_some(),
                f.data_subjects.is_some(),
                f.personal_data.is_some(),
                f.purpose.is_some(),
                f.retention.is_some(),
                f.restrictions.is_some(),
                f.recipients.is_some(),
                // 1.10 missing is a finding (`transfers_unstated`), not a load error.
                true,
                f.security_measures.is_some(),
                f.linked_filing_systems.is_some(),
            ];
            let missing: Vec<String> = ITEMS
                .iter()
                .zip(present)
                .filter(|(_, p)| !p)
                .map(|((n, key, what), _)| format!("item {n} ({what}; key `{key}`)"))
                .collect();
            if f.id.is_none() {
                problems.push(format!("filing system {name}: missing key `id`"));
            }
            if !missing.is_empty() {
                problems.push(format!(
                    "filing system {name:?}: Art. 17(1) of Law 03/L-172 requires {}",
                    missing.join(", ")
                ));
                continue;
            }
            // Items 1.3, 1.6 and 1.7 have no "none": processing needs a legal basis, a
            // purpose and a storage period.
            let blank = |v: &Option<String>| {
                v.as_deref().is_none_or(|t| {
                    matches!(
                        t.trim().to_lowercase().as_str(),
                        "" | "none" | "-" | "n/a" | "na" | "asnjë" | "nema"
                    )
                })
            };
            let empty: Vec<&str> = [
                (
                    "1.3 (legal basis; key `legal_basis`)",
                    blank(&f.legal_basis),
                ),
                ("1.6 (purpose; key `purpose`)", blank(&f.purpose)),
                ("1.7 (storage period; key `retention`)", blank(&f.retention)),
            ]
            .into_iter()
            .filter(|(_, e)| *e)
            .map(|(n, _)| n)
            .collect();
            if !empty.is_empty() {
                problems.push(format!(
                    "filing system {name:?}: Art. 17(1) of Law 03/L-172 requires a real value for item {} (empty or \"none\" is not one)",
                    empty.join(", item ")
                ));
                continue;
            }
            let transfers = match super::transfers::parse(f.transfers_abroad.clone()) {
                Ok(t) => t,
                Err(e) => {
                    problems.push(format!("filing system {name:?}: {e}"));
                    continue;
                }
            };
            if f.sources.is_none() {
                problems.push(format!(
                    "filing system {name:?}: missing [filing_system.sources] (files, dump_tables, db_tables)"
                ));
                continue;
            }
            if out
                .iter()
                .any(|o: &FilingSystem| Some(&o.id) == f.id.as_ref())
            {
                problems.push(format!("filing system {name:?}: duplicate id"));
                continue;
            }
            out.push(FilingSystem {
                id: f.id.unwrap_or_default(),
                public_body: f.public_body,
                criminal_records: f.criminal_records,
                title: f.title.unwrap_or_default(),
                controller: f.controller.unwrap_or_default(),
                legal_basis: f.legal_basis.unwrap_or_default(),
                data_subjects: f.data_subjects.unwrap_or_default(),
                personal_data: f.personal_data.unwrap_or_default(),
                purpose: f.purpose.unwrap_or_default(),
                retention: f.retention.unwrap_or_default(),
                restrictions: f.restrictions.unwrap_or_default(),
                recipients: f.recipients.unwrap_or_default(),
                transfers_abroad: transfers,
                security_measures: f.security_measures.unwrap_or_default(),
                linked_filing_systems: f.linked_filing_systems.unwrap_or_default(),
                sources: f.sources.unwrap_or_default(),
            });
        }
        if !problems.is_empty() {
            return Err(config(p, None, &problems.join("; ")));
        }
        Ok(Catalogue {
            path: origin.to_string(),
            large_scale_subjects: raw.large_scale_subjects.unwrap_or(DEFAULT_LARGE_SCALE),
            filing_systems: out,
        })
    }
}

fn config(path: &Path, line: Option<usize>, msg: &str) -> Error {
    Error::Config {
        path: path.to_path_buf(),
        line,
        msg: msg.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"
[[filing_system]]
id = "hr"
title = "HR"
legal_basis = "Law on Labour"
data_subjects = ["employees"]
personal_data = ["person_name", "jmbg"]
purpose = "payroll"
retention = "10 years"
restrictions = "none"
recipients = []
transfers_abroad = "none"
security_measures = "access control"
linked_filing_systems = []
[filing_system.controller]
name = "Example LLC"
[filing_system.sources]
files = ["zaposleni*.csv"]
dump_tables = [{ source = "dumps/*.sql", table = "public.staff" }]
"#;

    #[test]
    fn parses_and_matches_sources() {
        let c = Catalogue::parse(FULL, "fs.toml").unwrap();
        let f = &c.filing_systems[0];
        assert!(f.matches("sample-data/zaposleni_cp1250.csv", None));
        assert!(!f.matches("sample-data/patients.csv", None));
        assert!(f.matches("dumps/hr.sql", Some("public.staff")));
        assert!(!f.matches("dumps/hr.sql", Some("public.other")));
        assert_eq!(f.declared_categories().0.len(), 2);
    }

    #[test]
    fn missing_items_are_named_by_article_item() {
        let text = FULL.replace("retention = \"10 years\"\n", "");
        let e = Catalogue::parse(&text, "fs.toml").unwrap_err().to_string();
        assert!(
            e.contains("item 1.7") && e.contains("retention") && e.contains("\"hr\""),
            "{e}"
        );
    }

    #[test]
    fn legal_basis_purpose_and_retention_have_no_none() {
        for (key, item) in [
            ("legal_basis = \"Law on Labour\"", "item 1.3"),
            ("purpose = \"payroll\"", "item 1.6"),
            ("retention = \"10 years\"", "item 1.7"),
        ] {
            for empty in ["\"\"", "\"none\"", "\" N/A \""] {
                let name = key.split(' ').next().unwrap();
                let text = FULL.replace(key, &format!("{name} = {empty}"));
                let e = Catalogue::parse(&text, "fs.toml").unwrap_err().to_string();
                assert!(
                    e.contains(item) && e.contains("\"hr\""),
                    "{key} {empty}: {e}"
                );
            }
        }
        // `restrictions` and `transfers_abroad` may say "none".
        assert!(Catalogue::parse(FULL, "fs.toml").is_ok());
    }

    #[test]
    fn unknown_keys_are_errors_with_a_line() {
        let text = FULL.replace("purpose = ", "purpos = \"x\"\npurpose = ");
        let e = Catalogue::parse(&text, "fs.toml").unwrap_err().to_string();
        assert!(e.contains("purpos") && e.contains("line"), "{e}");
    }
}

#[cfg(test)]
mod identity_tests {
    use super::Controller;

    #[test]
    fn each_kind_of_controller_needs_its_own_identity_data() {
        let named = |kind: Option<&str>| Controller {
            name: "X".into(),
            kind: kind.map(String::from),
            ..Controller::default()
        };
        assert_eq!(named(None).missing_identity().len(), 1);
        assert_eq!(
            named(Some("natural_person")).missing_identity(),
            ["address"]
        );
        assert_eq!(named(Some("trader")).missing_identity().len(), 2);
        let mut legal = named(Some("legal_person"));
        assert_eq!(legal.missing_identity().len(), 3);
        legal.founder = Some("F".into());
        legal.address = Some("A".into());
        legal.registration_number = Some("1".into());
        assert!(legal.missing_identity().is_empty());
        assert_eq!(named(Some("company")).missing_identity().len(), 1);
    }
}
