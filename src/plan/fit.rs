//! Whether an action's output fits a column's declared SQL type. A dump output keeps the
//! input's `CREATE TABLE`, so a value the type cannot hold would fail at load time, long after
//! the run said it succeeded. The plan names each such column before anything is written.
use super::{Conflict, DatasetPlan, Plan};
use crate::detect::Category;
use crate::scan::DatasetScan;
use crate::transform::ActionSpec;

/// What a declared SQL type holds, as far as the planner needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlKind {
    /// Character data, with a length limit in characters when declared.
    Text(Option<usize>),
    /// Integers and decimals.
    Number,
    /// Dates, times and timestamps.
    Temporal,
    /// Bytes.
    Binary,
    /// An enumeration, boolean, uuid, JSON, network address, domain or anything else whose
    /// values must come from a set or grammar the planner does not know.
    Restricted,
}

/// Classify a declared type (`varchar(40)`, `character varying(10)`, `bigint`,
/// `enum('a','b')`, `public.my_domain`, …). An empty type (none declared) is text.
pub fn sql_kind(ty: &str) -> SqlKind {
    let t = ty.trim().to_ascii_lowercase();
    if t.is_empty() || t == "utf8" {
        return SqlKind::Text(None);
    }
    let base = t.split(['(', '[']).next().unwrap_or("").trim();
    let limit = || {
        let inner = t.split_once('(')?.1.split_once(')')?.0;
        inner.split(',').next()?.trim().parse::<usize>().ok()
    };
    match base {
        // MySQL TINYTEXT holds 255 bytes: 63 characters of utf8mb4 for certain.
        "tinytext" => SqlKind::Text(Some(63)),
        "text" | "mediumtext" | "longtext" | "clob" | "citext" | "string" => SqlKind::Text(None),
        "varchar" | "char" | "character varying" | "character" | "nvarchar" | "nchar"
        | "varchar2" | "bpchar" => SqlKind::Text(limit()),
        "smallint" | "integer" | "int" | "bigint" | "tinyint" | "mediumint" | "int2" | "int4"
        | "int8" | "serial" | "bigserial" | "smallserial" | "numeric" | "decimal" | "real"
        | "double precision" | "double" | "float" | "float4" | "float8" | "money" | "year" => {
            SqlKind::Number
        }
        "date" | "time" | "timestamp" | "datetime" | "interval" | "timetz" | "timestamptz" => {
            SqlKind::Temporal
        }
        b if b.starts_with("timestamp") || b.starts_with("time ") => SqlKind::Temporal,
        b if b.starts_with("int") && b.ends_with("unsigned") => SqlKind::Number,
        b if b.starts_with("bigint") || b.starts_with("smallint") || b.starts_with("tinyint") => {
            SqlKind::Number
        }
        _ if crate::source::rows::is_binary_sql_type(&t) => SqlKind::Binary,
        _ => SqlKind::Restricted,
    }
}

/// What an action writes, as far as types go.
enum Output {
    /// The input's values or ones of the same format: fits wherever the input did.
    SameFormat,
    /// NULL.
    Null,
    /// Text of at most this many characters (`None`: unbounded or unknown).
    Text(Option<usize>),
    /// Numbers.
    Number,
    /// Dates in the input's format.
    Date,
}

fn output(spec: &ActionSpec) -> Output {
    match spec {
        ActionSpec::Keep {} | ActionSpec::Fpe { .. } => Output::SameFormat,
        // Addresses become `shape.token@example.org`: up to 24 + 1 + 8 + 1 + 11 characters.
        ActionSpec::Fictitious { kind } if kind.as_deref() == Some("email") => {
            Output::Text(Some(45))
        }
        // Numbers keep their digits' count and layout.
        ActionSpec::Fictitious { .. } => Output::SameFormat,
        ActionSpec::Drop {} => Output::Null,
        ActionSpec::Redact { with } => Output::Text(Some(
            with.as_deref().unwrap_or("[REDACTED]").chars().count(),
        )),
        ActionSpec::Pseudonymise { length, prefix, .. } => Output::Text(Some(
            length.unwrap_or(16) + prefix.as_deref().map_or(0, |p| p.chars().count()),
        )),
        // Masking keeps the length but not the format (digits become `*`).
        ActionSpec::Mask { .. } | ActionSpec::RedactEntities { .. } => Output::Text(None),
        ActionSpec::Generalise { .. } => Output::Text(None),
        ActionSpec::DateShift { .. } => Output::Date,
        ActionSpec::Noise { .. } | ActionSpec::TopCode { .. } | ActionSpec::BottomCode { .. } => {
            Output::Number
        }
    }
}

/// Why `spec`'s output cannot be stored in a column of type `ty` (`None`: it can).
pub fn misfit(spec: &ActionSpec, ty: &str, not_null: bool) -> Option<String> {
    let kind = sql_kind(ty);
    let action = spec.name();
    match (output(spec), kind) {
        (Output::SameFormat, _) => None,
        (Output::Null, _) if not_null => Some(format!(
            "is declared NOT NULL, so `{action}` (which writes NULL into the kept schema) cannot load"
        )),
        (Output::Null, _) => None,
        (Output::Text(Some(n)), SqlKind::Text(Some(limit))) if n > limit => Some(format!(
            "holds at most {limit} characters ({ty}) and `{action}` writes {n}"
        )),
        (Output::Text(_), SqlKind::Text(_) | SqlKind::Binary) => None,
        (Output::Number, SqlKind::Number | SqlKind::Text(_)) => None,
        (Output::Date, SqlKind::Temporal | SqlKind::Text(_)) => None,
        _ => Some(format!(
            "is declared {ty}, which cannot hold what `{action}` writes; give it an action that \
             keeps the type (keep, fpe, fictitious, drop where NULL is allowed), or write the output as \
             CSV, Parquet or SQLite"
        )),
    }
}

/// For datasets whose output keeps the input's schema, name every column whose action's
/// output its declared type cannot hold.
pub fn check(plan: &mut Plan, scans: &[DatasetScan], keeps_schema: &dyn Fn(&DatasetPlan) -> bool) {
    for d in &plan.datasets {
        if !keeps_schema(d) {
            continue;
        }
        let Some(scan) = scans
            .iter()
            .find(|s| s.error.is_none() && s.source == d.source && s.table == d.table)
        else {
            continue;
        };
        for (c, col) in d.columns.iter().zip(&scan.columns) {
            // An e-mail column's `fictitious` writes longer text; the kind comes from the category.
            let spec = match &c.spec {
                ActionSpec::Fictitious { kind: None } if c.category == Category::Email => {
                    ActionSpec::Fictitious {
                        kind: Some("email".into()),
                    }
                }
                s => s.clone(),
            };
            if let Some(why) = misfit(&spec, &col.data_type, col.keys.not_null) {
                plan.conflicts.push(Conflict {
                    dataset: super::plan_label(d),
                    column: c.name.clone(),
                    problem: why,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(toml: &str) -> ActionSpec {
        toml::from_str(toml).unwrap()
    }

    #[test]
    fn declared_types_are_classified() {
        assert_eq!(sql_kind("varchar(40)"), SqlKind::Text(Some(40)));
        assert_eq!(sql_kind("character varying(10)"), SqlKind::Text(Some(10)));
        assert_eq!(sql_kind("text"), SqlKind::Text(None));
        assert_eq!(sql_kind(""), SqlKind::Text(None));
        assert_eq!(sql_kind("int(11) unsigned"), SqlKind::Number);
        assert_eq!(sql_kind("numeric(12,2)"), SqlKind::Number);
        assert_eq!(sql_kind("timestamp with time zone"), SqlKind::Temporal);
        assert_eq!(sql_kind("longblob"), SqlKind::Binary);
        assert_eq!(sql_kind("enum('a','b')"), SqlKind::Restricted);
        assert_eq!(sql_kind("public.numri"), SqlKind::Restricted);
        assert_eq!(sql_kind("uuid"), SqlKind::Restricted);
    }

    #[test]
    fn actions_fit_or_are_named() {
        let pseud = spec("action = \"pseudonymise\"");
        assert!(misfit(&pseud, "varchar(16)", false).is_none());
        assert!(
            misfit(&pseud, "varchar(10)", false)
                .unwrap()
                .contains("at most 10")
        );
        assert!(misfit(&pseud, "bigint", false).is_some());
        assert!(misfit(&pseud, "public.numri", false).is_some());
        let fpe = spec("action = \"fpe\"");
        assert!(misfit(&fpe, "public.numri", true).is_none());
        // Fictitious numbers keep their layout; fictitious addresses are up to 45 characters.
        let fict = spec("action = \"fictitious\"");
        assert!(misfit(&fict, "varchar(15)", true).is_none());
        let mail = spec("action = \"fictitious\"\nkind = \"email\"");
        assert!(misfit(&mail, "varchar(64)", false).is_none());
        assert!(
            misfit(&mail, "varchar(30)", false)
                .unwrap()
                .contains("at most 30")
        );
        let drop = spec("action = \"drop\"");
        assert!(misfit(&drop, "text", false).is_none());
        assert!(misfit(&drop, "text", true).unwrap().contains("NOT NULL"));
        let redact = spec("action = \"redact\"\nwith = \"[X]\"");
        assert!(misfit(&redact, "longblob", false).is_none());
        assert!(misfit(&redact, "date", false).is_some());
        let shift = spec("action = \"date_shift\"\nmax_days = 30");
        assert!(misfit(&shift, "date", false).is_none());
        assert!(misfit(&shift, "integer", false).is_some());
        let top = spec("action = \"top_code\"\nat = 90");
        assert!(misfit(&top, "smallint", false).is_none());
    }
}
