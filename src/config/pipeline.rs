//! The pipeline file (`pipelines/*.toml`): what to read, where to write, which key, and the
//! rules that choose one action per column.
//!
//! ```toml
//! [pipeline]
//! name = "pseudonymised-share"
//! strict = true                 # personal columns no rule covers stop the run
//! inputs = ["sample-data/"]     # replaced by `--input`
//!
//! [output]
//! dir = "out/share"
//! format = "same"               # same | csv | parquet | sqlite | xlsx
//!
//! [key]
//! mode = "required"             # required (--key-file / ANONKOS_KEY) | ephemeral | none
//!
//! [[rules]]
//! category = "phone_number"     # selectors: category, role, column (glob), dataset (glob)
//! action = "pseudonymise"       # action and its parameters
//! prefix = "TEL-"
//! ```
//!
//! Rules are kept as TOML tables until planning, where the selector keys are taken out and
//! the rest is parsed as a [`crate::transform::ActionSpec`]; errors name the rule and its line.
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::hint;
use crate::detect::{Category, Role};
use crate::error::{Error, Result};
use crate::transform::ActionSpec;

/// The parsed pipeline file.
#[derive(Debug, Clone)]
pub struct Pipeline {
    /// Where it was read from.
    pub path: PathBuf,
    /// `[pipeline]`.
    pub meta: Meta,
    /// `[output]`.
    pub output: OutputSpec,
    /// `[key]`.
    pub key: KeySpec,
    /// `[scan]`.
    pub scan: ScanSpec,
    /// `[[rules]]` in file order.
    pub rules: Vec<Rule>,
    /// `[suppress]`.
    pub suppress: Option<SuppressSpec>,
    /// `[privacy]`: privacy models enforced on every dataset (research releases).
    pub privacy: Option<PrivacySpec>,
    /// `[disclosure]`: to whom the outputs go and on what legal basis (Art. 12(3)).
    pub disclosure: Option<DisclosureSpec>,
    /// `[[declare]]` (and the annotations file's): declared categories, overriding the scan.
    pub declarations: Vec<super::declare::Declaration>,
    /// `[aggregate]`: which datasets are aggregate tables, and their threshold rule.
    pub aggregate: Option<AggregateSpec>,
}

/// `[aggregate]`: datasets that hold a count per combination of categories (population by
/// municipality, age band and sex) are released under the threshold rule instead of a
/// row-level privacy model: counts below `threshold` are suppressed, then further cells so
/// that no suppressed count can be recomputed from line totals (see
/// [`crate::privacy::aggregate`]). The rules still apply to the dimension columns first; rows
/// that a generalisation makes equal are summed.
///
/// ```toml
/// [aggregate]
/// datasets = ["*popullsia*"]   # globs, matched like a rule's `dataset`
/// count = "numri"              # the count column (default: a column named like a count)
/// threshold = 5                # counts 1..threshold-1 are suppressed (default 5)
/// totals = ["Gjithsej"]        # labels of total rows/columns (default: patterns/aggregate/totals.txt; [] = none)
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AggregateSpec {
    /// Globs naming the aggregate tables.
    pub datasets: Vec<String>,
    /// The count column; by default the column whose header is a count word
    /// (`patterns/aggregate/count.txt`).
    #[serde(default)]
    pub count: Option<String>,
    /// Counts `1..threshold` are not published (default 5).
    #[serde(default = "five")]
    pub threshold: u64,
    /// Labels that mark total rows or columns in a dimension column.
    #[serde(default)]
    pub totals: Option<Vec<String>>,
}

impl AggregateSpec {
    /// The total labels, lower-cased.
    pub fn total_labels(&self) -> Vec<String> {
        match &self.totals {
            Some(t) => t.iter().map(|l| l.trim().to_lowercase()).collect(),
            None => crate::privacy::aggregate::default_total_labels(),
        }
    }

    /// Whether dataset `ds` (source path, and table for multi-table sources) is declared.
    pub fn declares(&self, source: &str, table: Option<&str>) -> bool {
        self.datasets
            .iter()
            .any(|g| crate::plan::dataset_glob_matches(g, source, table))
    }
}

/// `[disclosure]`: Art. 12(3) of Law 03/L-172 requires the controller to register, for every
/// disclosure, which data went to whom, when and on what legal basis. The run report and the
/// processing log record these with the outputs' columns and the time of the run.
///
/// ```toml
/// [disclosure]
/// recipient = "Kosovo Agency of Statistics, research unit"
/// legal_basis = "Art. 9 of Law 03/L-172; data-sharing agreement 2026/14"
/// ```
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DisclosureSpec {
    /// Who receives the outputs.
    pub recipient: String,
    /// The legal basis of the disclosure.
    pub legal_basis: String,
}

/// `[privacy]`: k-anonymity, l-diversity and t-closeness enforced by generalising the
/// quasi-identifiers (lattice search for the least information loss) and suppressing rows.
///
/// ```toml
/// [privacy]
/// k = 5
/// l = 2                       # l-diversity of every sensitive attribute (optional)
/// diversity = "distinct"      # distinct | entropy
/// t = 0.5                     # t-closeness, equal ground distance (optional)
/// suppression = 0.05          # share of records that may be suppressed (≤ 0.05)
/// quasi_identifiers = ["dob"] # default: columns of role quasi_identifier the rules keep or generalise
/// sensitive = ["diagnosis"]   # default: columns of role sensitive the rules keep
/// [privacy.hierarchies]
/// dob = "date"                # built-in: date | age | municipality | postal_code | number | flat
/// zip = "hier/zip.csv"        # or an ARX hierarchy file (`;`-separated), relative to the pipeline
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacySpec {
    /// k of k-anonymity (default 5).
    #[serde(default = "five")]
    pub k: u64,
    /// l of l-diversity.
    #[serde(default)]
    pub l: Option<u64>,
    /// Kind of l-diversity.
    #[serde(default = "distinct")]
    pub diversity: crate::privacy::Diversity,
    /// t of t-closeness.
    #[serde(default)]
    pub t: Option<f64>,
    /// Record-suppression budget (share of rows, default 0.05).
    #[serde(default = "budget")]
    pub suppression: f64,
    /// Quasi-identifier columns (overrides the classification).
    #[serde(default)]
    pub quasi_identifiers: Option<Vec<String>>,
    /// Sensitive columns (overrides the classification).
    #[serde(default)]
    pub sensitive: Option<Vec<String>>,
    /// Column name → built-in hierarchy name or ARX hierarchy file.
    #[serde(default)]
    pub hierarchies: std::collections::BTreeMap<String, String>,
    /// Delimiter of hierarchy files (default `;`, as in ARX).
    #[serde(default)]
    pub hierarchy_delimiter: Option<char>,
}

fn five() -> u64 {
    5
}

fn distinct() -> crate::privacy::Diversity {
    crate::privacy::Diversity::Distinct
}

fn budget() -> f64 {
    crate::privacy::MAX_SUPPRESSION
}

impl PrivacySpec {
    /// The models to enforce (checked).
    pub fn models(&self) -> Result<crate::privacy::Models> {
        let m = crate::privacy::Models {
            k: self.k,
            l: self.l,
            diversity: self.diversity,
            t: self.t,
            suppression: self.suppression,
        };
        m.validate()?;
        Ok(m)
    }
}

/// `[pipeline]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// Short name (reports).
    pub name: String,
    /// What the pipeline is for.
    #[serde(default)]
    pub description: Option<String>,
    /// Stop before writing anything when a personal column has no rule (default true).
    #[serde(default = "yes")]
    pub strict: bool,
    /// Inputs: paths, directories, globs or database URLs (replaced by `--input`).
    #[serde(default)]
    pub inputs: Vec<String>,
    /// A shared annotations file of `[[declare]]` entries (relative to the pipeline).
    #[serde(default)]
    pub annotations: Option<PathBuf>,
}

fn yes() -> bool {
    true
}

/// Output format choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FormatChoice {
    /// The input's own format (dumps stay dumps in their dialect; databases become Parquet).
    Same,
    /// CSV.
    Csv,
    /// Parquet.
    Parquet,
    /// SQLite.
    Sqlite,
    /// An Excel workbook: one sheet per table (a workbook's sheets keep their names).
    Xlsx,
}

/// `[output]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSpec {
    /// Output directory (replaced by `--out-dir`).
    #[serde(default)]
    pub dir: Option<PathBuf>,
    /// Output format.
    #[serde(default = "same")]
    pub format: FormatChoice,
    /// What CSV outputs do with cells a spreadsheet would run as a formula.
    #[serde(default)]
    pub csv_formulas: CsvFormulas,
}

/// `[output] csv_formulas`: cells starting with `=`, `+`, `-`, `@`, TAB or CR are run as
/// formulas by spreadsheets (`=HYPERLINK(…)` can send data away when a person opens the
/// file). `keep` (the default) writes the values as they are, so outputs equal the data;
/// `neutralise` prefixes such cells, the header included, with `'` (the OWASP rule), which
/// changes them (`-5` becomes `'-5`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CsvFormulas {
    /// Cells are written as they are.
    #[default]
    Keep,
    /// Cells that start like a formula get a leading `'`.
    #[serde(alias = "neutralize")]
    Neutralise,
}

fn same() -> FormatChoice {
    FormatChoice::Same
}

impl Default for OutputSpec {
    fn default() -> Self {
        OutputSpec {
            dir: None,
            format: FormatChoice::Same,
            csv_formulas: CsvFormulas::Keep,
        }
    }
}

/// Where the secret key comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyMode {
    /// From `--key-file` or `ANONKOS_KEY`; the run fails without one.
    Required,
    /// A random key made for this run and never stored (tokens cannot be linked to any other
    /// run: the research-release setting).
    Ephemeral,
    /// No key: keyed actions are refused.
    None,
}

/// `[key]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySpec {
    /// Where the key comes from.
    pub mode: KeyMode,
    /// With an ephemeral key: give every table of the release the same tokens, so its tables
    /// join (default false: each table gets its own, and the privacy model measured per table
    /// holds for the release). With a kept key tokens always join.
    #[serde(default)]
    pub link_tables: bool,
}

impl Default for KeySpec {
    fn default() -> Self {
        KeySpec {
            mode: KeyMode::Required,
            link_tables: false,
        }
    }
}

/// `[scan]`: how columns are classified for planning.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanSpec {
    /// Rows sampled per dataset to classify its columns.
    #[serde(default = "sample_rows")]
    pub sample_rows: usize,
    /// Longest one database statement may run, in seconds (live databases, SQLite views):
    /// a table whose read takes longer fails alone. Sampling and catalogue queries use at
    /// most 60 s of it.
    #[serde(default = "statement_timeout")]
    pub statement_timeout: u64,
}

fn statement_timeout() -> u64 {
    crate::source::DEFAULT_STATEMENT_TIMEOUT.as_secs()
}

impl ScanSpec {
    /// How the run reads its inputs in full.
    pub fn read_options(&self) -> crate::source::ReadOptions {
        crate::source::ReadOptions {
            statement_timeout: std::time::Duration::from_secs(self.statement_timeout.max(1)),
            ..crate::source::ReadOptions::default()
        }
    }
}

fn sample_rows() -> usize {
    crate::scan::DEFAULT_SAMPLE_ROWS
}

impl Default for ScanSpec {
    fn default() -> Self {
        ScanSpec {
            sample_rows: sample_rows(),
            statement_timeout: statement_timeout(),
        }
    }
}

/// `[suppress]`: drop every row of the people on an objection list (Art. 24(3), Art. 60).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuppressSpec {
    /// The list: one identifier (or pseudonym token) per line, `#` comments; a relative path
    /// is relative to the pipeline file's folder.
    pub list: PathBuf,
    /// Category of the identifier the list holds (default `kosovo_personal_number`); rows
    /// are matched on the dataset's columns of that category.
    #[serde(default)]
    pub category: Option<String>,
    /// For lists of pseudonym tokens: the `length` the tokens were made with (default 16).
    #[serde(default)]
    pub token_length: Option<usize>,
    /// For lists of pseudonym tokens: the `prefix` the tokens were made with.
    #[serde(default)]
    pub token_prefix: Option<String>,
}

/// What a rule selects.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Selector {
    /// Column category.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    /// Column role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Column name glob.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// Dataset glob (source path, or `source:table` / table name for multi-table sources).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset: Option<String>,
}

impl Selector {
    /// How specific the rule is: column name beats category beats role; a dataset scope
    /// breaks ties in its favour.
    pub fn specificity(&self) -> (u8, bool) {
        let base = if self.column.is_some() {
            3
        } else if self.category.is_some() {
            2
        } else {
            u8::from(self.role.is_some())
        };
        (base, self.dataset.is_some())
    }
}

/// One `[[rules]]` entry.
#[derive(Debug, Clone)]
pub struct Rule {
    /// 1-based position in the file.
    pub number: usize,
    /// Line of its `[[rules]]` header, when found.
    pub line: Option<usize>,
    /// What it selects.
    pub selector: Selector,
    /// What it does.
    pub action: ActionSpec,
    /// The action's name and parameters as written (reports, dry runs).
    pub params: toml::Table,
    /// Optional human reason (`why = "…"`), shown in the plan.
    pub why: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    pipeline: Meta,
    #[serde(default)]
    output: OutputSpec,
    #[serde(default)]
    key: KeySpec,
    #[serde(default)]
    scan: ScanSpec,
    #[serde(default)]
    rules: Vec<toml::Table>,
    #[serde(default)]
    suppress: Option<SuppressSpec>,
    #[serde(default)]
    privacy: Option<PrivacySpec>,
    #[serde(default)]
    disclosure: Option<DisclosureSpec>,
    #[serde(default)]
    aggregate: Option<AggregateSpec>,
    #[serde(default)]
    declare: Vec<super::declare::RawDeclaration>,
}

const SELECTOR_KEYS: [&str; 5] = ["category", "role", "column", "dataset", "why"];

const ROLES: [&str; 7] = [
    "direct_identifier",
    "record_key",
    "uncertain",
    "quasi_identifier",
    "sensitive",
    "free_text",
    "not_personal",
];

fn role_from_name(name: &str) -> Option<Role> {
    Some(match name {
        "direct_identifier" => Role::DirectIdentifier,
        "record_key" => Role::RecordKey,
        "uncertain" => Role::Uncertain,
        "quasi_identifier" => Role::QuasiIdentifier,
        "sensitive" => Role::Sensitive,
        "free_text" => Role::FreeText,
        "not_personal" => Role::NotPersonal,
        _ => return None,
    })
}

impl Pipeline {
    /// Read and validate a pipeline file.
    pub fn load(path: &Path) -> Result<Pipeline> {
        #[allow(clippy::disallowed_methods)] // a small config file
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::parse(&text, path)
    }

    /// Parse pipeline text; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Pipeline> {
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start));
            Error::Config {
                path: path.to_path_buf(),
                line,
                msg: hint::improve_serde_message(e.message()),
            }
        })?;
        if let Some(p) = &raw.privacy {
            p.models().map_err(|e| Error::Config {
                path: path.to_path_buf(),
                line: text
                    .lines()
                    .position(|l| l.trim() == "[privacy]")
                    .map(|i| i + 1),
                msg: match e {
                    Error::Usage(m) => m,
                    other => other.to_string(),
                },
            })?;
        }
        if let Some(a) = &raw.aggregate
            && a.threshold < 2
        {
            return Err(Error::Config {
                path: path.to_path_buf(),
                line: text
                    .lines()
                    .position(|l| l.trim() == "[aggregate]")
                    .map(|i| i + 1),
                msg: format!(
                    "[aggregate] threshold = {}: a threshold below 2 suppresses nothing; \
                     statistics offices commonly use 5",
                    a.threshold
                ),
            });
        }
        let headers = rule_header_lines(text);
        let mut rules = Vec::with_capacity(raw.rules.len());
        for (i, table) in raw.rules.into_iter().enumerate() {
            let line = headers.get(i).copied();
            rules.push(parse_rule(i + 1, line, table).map_err(|msg| Error::Config {
                path: path.to_path_buf(),
                line,
                msg: format!("rule {}: {msg}", i + 1),
            })?);
        }
        // Declarations: the shared file's first, the pipeline's own after (they win).
        let mut declarations = Vec::new();
        if let Some(a) = &raw.pipeline.annotations {
            let a = if a.is_relative() {
                path.parent().unwrap_or(Path::new("")).join(a)
            } else {
                a.clone()
            };
            declarations.extend(super::declare::load_annotations(&a)?);
        }
        declarations.extend(super::declare::check(raw.declare, path)?);
        Ok(Pipeline {
            path: path.to_path_buf(),
            declarations,
            meta: raw.pipeline,
            output: raw.output,
            key: raw.key,
            scan: raw.scan,
            rules,
            suppress: raw.suppress.map(|mut s| {
                // Like hierarchy files, the list belongs with the pipeline: a relative path
                // means the same whatever the working directory.
                if s.list.is_relative() {
                    let dir = path.parent().unwrap_or(Path::new(""));
                    s.list = dir.join(&s.list);
                }
                s
            }),
            privacy: raw.privacy,
            disclosure: raw.disclosure,
            aggregate: raw.aggregate,
        })
    }
}

fn parse_rule(
    number: usize,
    line: Option<usize>,
    mut table: toml::Table,
) -> std::result::Result<Rule, String> {
    let mut sel = Selector::default();
    let take_str = |t: &mut toml::Table, k: &str| -> std::result::Result<Option<String>, String> {
        match t.remove(k) {
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(format!("`{k}` must be a string")),
        }
    };
    if let Some(c) = take_str(&mut table, "category")? {
        sel.category = Some(Category::from_name(&c).ok_or_else(|| {
            format!(
                "unknown category `{c}`{}",
                hint::did_you_mean(&c, Category::ALL.iter().map(|c| c.name()))
            )
        })?);
    }
    if let Some(r) = take_str(&mut table, "role")? {
        sel.role = Some(
            role_from_name(&r)
                .ok_or_else(|| format!("unknown role `{r}`{}", hint::did_you_mean(&r, ROLES)))?,
        );
    }
    sel.column = take_str(&mut table, "column")?;
    sel.dataset = take_str(&mut table, "dataset")?;
    let why = take_str(&mut table, "why")?;
    if sel.category.is_none() && sel.role.is_none() && sel.column.is_none() {
        return Err(
            "a rule needs `category`, `role` or `column` to say which columns it covers".into(),
        );
    }
    let action_name = match table.get("action") {
        Some(toml::Value::String(a)) => a.clone(),
        Some(_) => return Err("`action` must be a string".into()),
        None => return Err("a rule needs an `action`".into()),
    };
    if !ActionSpec::NAMES.contains(&action_name.as_str()) {
        return Err(format!(
            "unknown action `{action_name}`{}; actions: {}",
            hint::did_you_mean(&action_name, ActionSpec::NAMES.iter().copied()),
            ActionSpec::NAMES.join(", ")
        ));
    }
    let mut params = table.clone();
    params.remove("action");
    let action: ActionSpec =
        toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| {
                let msg = hint::improve_serde_message(e.message());
                // Selector keys are valid in a rule; say so when one is misspelt.
                if msg.contains("unknown field") {
                    let word = msg.split('`').nth(1).unwrap_or("");
                    let sel_hint = hint::did_you_mean(word, SELECTOR_KEYS);
                    if !sel_hint.is_empty() {
                        return format!("unknown key `{word}`{sel_hint}");
                    }
                }
                format!("action `{action_name}`: {msg}")
            })?;
    Ok(Rule {
        number,
        line,
        selector: sel,
        action,
        params,
        why,
    })
}

/// 1-based line of byte offset `at`.
fn line_of(text: &str, at: usize) -> usize {
    text.as_bytes()[..at.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Lines of the `[[rules]]` headers, in order.
fn rule_header_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with("[[rules]]"))
        .map(|(i, _)| i + 1)
        .collect()
}
