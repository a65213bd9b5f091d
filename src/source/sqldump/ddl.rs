//! Keys and nullability from a dump's DDL: `PRIMARY KEY`, `UNIQUE`, `FOREIGN KEY … REFERENCES`
//! and `NOT NULL`, written inline on a column, as table constraints in `CREATE TABLE`, or (as
//! pg_dump does) in `ALTER TABLE … ADD CONSTRAINT`. The planner uses them so that a key is never
//! replaced by a constant and every table that references a key gets the same pseudonyms.
use super::Dialect;
use super::tok::{Tok, ident_list, qualified_name};

/// A foreign key as written: referenced table name parts (not yet qualified) and columns
/// (empty: the referenced table's primary key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKey {
    /// Referencing columns, in order.
    pub columns: Vec<String>,
    /// The referenced table, as named in the statement.
    pub table: Vec<String>,
    /// The referenced columns (empty: its primary key).
    pub references: Vec<String>,
}

/// Keys and NOT NULL columns of one table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Constraints {
    /// Primary key columns.
    pub primary: Vec<String>,
    /// Columns of each UNIQUE constraint.
    pub unique: Vec<Vec<String>>,
    /// Foreign keys.
    pub foreign: Vec<ForeignKey>,
    /// Columns declared NOT NULL (primary key columns are NOT NULL too).
    pub not_null: Vec<String>,
    /// Generated columns (`GENERATED ALWAYS AS (…)`, MySQL `AS (…)`): their values are
    /// computed by the server, and an INSERT may only give them `DEFAULT`.
    pub generated: Vec<String>,
    /// Columns the table is partitioned by (its own `PARTITION BY`, or its parent's).
    pub partition_key: Vec<String>,
    /// The partitioned table this one is a partition of (qualified like the index's names).
    pub partition_of: Option<String>,
}

impl Constraints {
    /// Whether `column` is part of a primary, unique or foreign key.
    pub fn is_key(&self, column: &str) -> bool {
        self.primary.iter().any(|c| c == column)
            || self.unique.iter().flatten().any(|c| c == column)
            || self
                .foreign
                .iter()
                .flat_map(|f| &f.columns)
                .any(|c| c == column)
    }

    /// Whether `column` may not be NULL.
    pub fn not_null(&self, column: &str) -> bool {
        self.not_null.iter().any(|c| c == column) || self.primary.iter().any(|c| c == column)
    }

    /// Add what `other` declares (a later statement about the same table).
    pub fn merge(&mut self, other: Constraints) {
        if !other.primary.is_empty() {
            self.primary = other.primary;
        }
        self.unique.extend(other.unique);
        self.foreign.extend(other.foreign);
        for c in other.not_null {
            if !self.not_null.contains(&c) {
                self.not_null.push(c);
            }
        }
        self.generated.extend(other.generated);
        if !other.partition_key.is_empty() {
            self.partition_key = other.partition_key;
        }
        if other.partition_of.is_some() {
            self.partition_of = other.partition_of;
        }
    }
}

/// Constraints of one item of a `CREATE TABLE` body (a column definition or a table
/// constraint), added to `into`.
pub fn table_item(item: &[&Tok], dialect: Dialect, into: &mut Constraints) {
    let Some(first) = item.first() else { return };
    let owned: Vec<Tok> = item.iter().map(|t| (*t).clone()).collect();
    if matches!(first, Tok::Word(_))
        && ["CONSTRAINT", "PRIMARY", "UNIQUE", "FOREIGN"]
            .iter()
            .any(|k| first.is(k))
    {
        into.merge(table_constraint(&owned, 0, dialect));
        return;
    }
    let Some(column) = first.ident(dialect) else {
        return;
    };
    into.merge(column_constraints(&owned, &column, dialect));
}

/// Inline constraints after a column's name and type.
fn column_constraints(toks: &[Tok], column: &str, dialect: Dialect) -> Constraints {
    let mut c = Constraints::default();
    let mut depth = 0usize;
    let mut i = 1;
    while i < toks.len() {
        match &toks[i] {
            Tok::Punct('(') => depth += 1,
            Tok::Punct(')') => depth = depth.saturating_sub(1),
            t if depth == 0 && t.is("NOT") && toks.get(i + 1).is_some_and(|n| n.is("NULL")) => {
                c.not_null.push(column.to_string());
                i += 1;
            }
            // `GENERATED ALWAYS AS (expr)`, or MySQL's short `AS (expr)`; not identity columns.
            t if depth == 0
                && t.is("AS")
                && toks.get(i + 1) == Some(&Tok::Punct('('))
                && !c.generated.iter().any(|g| g == column) =>
            {
                c.generated.push(column.to_string());
            }
            t if depth == 0 && t.is("PRIMARY") => c.primary = vec![column.to_string()],
            t if depth == 0 && t.is("UNIQUE") => c.unique.push(vec![column.to_string()]),
            t if depth == 0 && t.is("REFERENCES") => {
                if let Some((table, next)) = qualified_name(toks, i + 1, dialect) {
                    let references = ident_list(toks, next, dialect).map_or(Vec::new(), |l| l.0);
                    c.foreign.push(ForeignKey {
                        columns: vec![column.to_string()],
                        table,
                        references,
                    });
                }
            }
            _ => {}
        }
        i += 1;
    }
    c
}

/// A table constraint starting at `toks[i]` (`CONSTRAINT name …`, `PRIMARY KEY (…)`,
/// `UNIQUE [KEY|INDEX] [name] (…)`, `FOREIGN KEY [name] (…) REFERENCES t [(…)]`).
fn table_constraint(toks: &[Tok], mut i: usize, dialect: Dialect) -> Constraints {
    let mut c = Constraints::default();
    if toks.get(i).is_some_and(|t| t.is("CONSTRAINT")) {
        i += 1;
        // The constraint's name, unless the kind follows at once (MySQL allows that).
        if !toks.get(i).is_some_and(|t| {
            ["PRIMARY", "UNIQUE", "FOREIGN", "CHECK"]
                .iter()
                .any(|k| t.is(k))
        }) {
            i += 1;
        }
    }
    let Some(kind) = toks.get(i) else { return c };
    i += 1;
    // Skip `KEY`/`INDEX` and an optional index name up to the column list.
    while toks.get(i).is_some_and(|t| *t != Tok::Punct('(')) && i < toks.len() {
        i += 1;
    }
    let Some((columns, next)) = key_columns(toks, i, dialect) else {
        return c;
    };
    if kind.is("PRIMARY") {
        c.not_null.extend(columns.iter().cloned());
        c.primary = columns;
    } else if kind.is("UNIQUE") {
        c.unique.push(columns);
    } else if kind.is("FOREIGN") {
        let mut j = next;
        while toks.get(j).is_some_and(|t| !t.is("REFERENCES")) {
            j += 1;
        }
        if let Some((table, after)) = qualified_name(toks, j + 1, dialect) {
            let references = key_columns(toks, after, dialect).map_or(Vec::new(), |l| l.0);
            c.foreign.push(ForeignKey {
                columns,
                table,
                references,
            });
        }
    }
    c
}

/// A key's column list `(a, b(10) DESC, …)`: names, skipping prefix lengths and orderings.
fn key_columns(toks: &[Tok], i: usize, dialect: Dialect) -> Option<(Vec<String>, usize)> {
    if let Some(plain) = ident_list(toks, i, dialect) {
        return Some(plain);
    }
    if toks.get(i) != Some(&Tok::Punct('(')) {
        return None;
    }
    let mut names = Vec::new();
    let mut depth = 0usize;
    let mut expect_name = true;
    for (k, t) in toks.iter().enumerate().skip(i + 1) {
        match t {
            Tok::Punct('(') => depth += 1,
            Tok::Punct(')') if depth == 0 => return Some((names, k + 1)),
            Tok::Punct(')') => depth -= 1,
            Tok::Punct(',') if depth == 0 => expect_name = true,
            t if depth == 0 && expect_name => {
                names.push(t.ident(dialect)?);
                expect_name = false;
            }
            _ => {}
        }
    }
    None
}

/// What an `ALTER TABLE` statement declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alter {
    /// The altered table's name parts.
    pub table: Vec<String>,
    /// The constraints it adds.
    pub constraints: Constraints,
    /// `ATTACH PARTITION child`: the child's name parts.
    pub attached: Option<Vec<String>>,
}

/// `ALTER TABLE [ONLY] [IF EXISTS] name ADD [CONSTRAINT n] …[, ADD …]`, `… ATTACH PARTITION
/// child …`: what it declares. `None` for other statements.
pub fn alter_table(toks: &[Tok], dialect: Dialect) -> Option<Alter> {
    if !(toks.first()?.is("ALTER") && toks.get(1)?.is("TABLE")) {
        return None;
    }
    let mut i = 2;
    while toks
        .get(i)
        .is_some_and(|t| t.is("ONLY") || t.is("IF") || t.is("EXISTS"))
    {
        i += 1;
    }
    let (name, next) = qualified_name(toks, i, dialect)?;
    let mut c = Constraints::default();
    let mut attached = None;
    let mut depth = 0usize;
    for (k, t) in toks.iter().enumerate().skip(next) {
        match t {
            Tok::Punct('(') => depth += 1,
            Tok::Punct(')') => depth = depth.saturating_sub(1),
            t if depth == 0 && t.is("ADD") => {
                let start = k + 1;
                if toks.get(start).is_some_and(|t| {
                    ["CONSTRAINT", "PRIMARY", "UNIQUE", "FOREIGN"]
                        .iter()
                        .any(|w| t.is(w))
                }) {
                    c.merge(table_constraint(toks, start, dialect));
                }
            }
            // `ATTACH PARTITION child FOR VALUES …` (pg_dump's way of making partitions)
            t if depth == 0 && t.is("ATTACH") => {
                if toks.get(k + 1).is_some_and(|p| p.is("PARTITION"))
                    && let Some((child, _)) = qualified_name(toks, k + 2, dialect)
                {
                    attached = Some(child);
                }
            }
            // `ALTER COLUMN x SET NOT NULL`
            t if depth == 0 && t.is("ALTER") => {
                let mut j = k + 1;
                if toks.get(j).is_some_and(|t| t.is("COLUMN")) {
                    j += 1;
                }
                if let Some(col) = toks.get(j).and_then(|t| t.ident(dialect))
                    && toks.get(j + 1).is_some_and(|t| t.is("SET"))
                    && toks.get(j + 2).is_some_and(|t| t.is("NOT"))
                    && toks.get(j + 3).is_some_and(|t| t.is("NULL"))
                {
                    c.not_null.push(col);
                }
            }
            _ => {}
        }
    }
    Some(Alter {
        table: name,
        constraints: c,
        attached,
    })
}

/// The keys of each column of `columns`, for the field metadata.
pub fn column_keys(c: &Constraints, columns: &[String]) -> Vec<crate::source::rows::ColumnKeys> {
    columns
        .iter()
        .map(|col| {
            let references = c.foreign.iter().find_map(|f| {
                let k = f.columns.iter().position(|x| x == col)?;
                let table = f.table.join(".");
                // Without a column list the reference is to the primary key, named by
                // position; an unknown name is still a key to keep consistent.
                let column = f.references.get(k).cloned().unwrap_or_default();
                Some((table, column))
            });
            crate::source::rows::ColumnKeys {
                partition: c.partition_key.iter().any(|x| x == col),
                primary: c.primary.iter().any(|x| x == col),
                unique: c.unique.iter().any(|u| u.iter().any(|x| x == col)),
                references,
                not_null: c.not_null(col),
            }
        })
        .collect()
}

/// After a table's column list: the columns named in `PARTITION BY RANGE|LIST|HASH|KEY
/// [COLUMNS] (…)` (PostgreSQL, MySQL; expressions such as `YEAR(born)` count the columns they
/// use), among `columns`.
pub fn partition_key(rest: &[Tok], dialect: Dialect, columns: &[&str]) -> Vec<String> {
    let Some(p) = rest
        .windows(2)
        .position(|w| w[0].is("PARTITION") && w[1].is("BY"))
    else {
        return Vec::new();
    };
    let Some(open) = rest[p..].iter().position(|t| *t == Tok::Punct('(')) else {
        return Vec::new();
    };
    let mut depth = 0usize;
    let mut out: Vec<String> = Vec::new();
    for t in &rest[p + open..] {
        match t {
            Tok::Punct('(') => depth += 1,
            Tok::Punct(')') => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            t => {
                if let Some(name) = t.ident(dialect)
                    && columns.contains(&name.as_str())
                    && !out.contains(&name)
                {
                    out.push(name);
                }
            }
        }
    }
    out
}

/// `CREATE TABLE child PARTITION OF parent …`: the child's and the parent's name parts.
pub fn partition_of(toks: &[Tok], dialect: Dialect) -> Option<(Vec<String>, Vec<String>)> {
    let at = toks.iter().position(|t| t.is("TABLE"))?;
    let mut i = at + 1;
    if toks.get(i).is_some_and(|t| t.is("IF")) {
        i += 3;
    }
    let (child, next) = qualified_name(toks, i, dialect)?;
    if !(toks.get(next)?.is("PARTITION") && toks.get(next + 1)?.is("OF")) {
        return None;
    }
    let (parent, _) = qualified_name(toks, next + 2, dialect)?;
    Some((child, parent))
}

/// Partitions are partitioned by their parent's key (through any depth of nesting).
pub fn inherit_partition_keys(tables: &mut [super::index::TableIndex]) {
    for _ in 0..8 {
        let keys: Vec<(String, Vec<String>)> = tables
            .iter()
            .map(|t| (t.name.clone(), t.constraints.partition_key.clone()))
            .collect();
        let mut changed = false;
        for t in tables.iter_mut() {
            let Some(parent) = &t.constraints.partition_of else {
                continue;
            };
            if let Some((_, key)) = keys.iter().find(|(n, _)| n == parent)
                && !key.is_empty()
                && t.constraints.partition_key != *key
            {
                t.constraints.partition_key = key.clone();
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::sqldump::tok::tokenize;

    fn items(body: &str, dialect: Dialect) -> Constraints {
        // Split a body at top-level commas like the index does.
        let toks = tokenize(body.as_bytes(), dialect);
        let mut c = Constraints::default();
        let mut depth = 0usize;
        let mut item: Vec<&Tok> = Vec::new();
        for t in &toks {
            match t {
                Tok::Punct('(') => depth += 1,
                Tok::Punct(')') => depth -= 1,
                Tok::Punct(',') if depth == 0 => {
                    table_item(&item, dialect, &mut c);
                    item.clear();
                    continue;
                }
                _ => {}
            }
            item.push(t);
        }
        table_item(&item, dialect, &mut c);
        c
    }

    #[test]
    fn inline_and_table_constraints_postgres() {
        let c = items(
            "id serial PRIMARY KEY, nr varchar(10) NOT NULL UNIQUE, p int REFERENCES s.\"Parent\" (id), \
             a int, b int, CONSTRAINT fk FOREIGN KEY (a, b) REFERENCES q (x, y), \
             note text DEFAULT 'NOT NULL', CHECK (a > 0)",
            Dialect::Pg,
        );
        assert_eq!(c.primary, vec!["id"]);
        assert_eq!(c.unique, vec![vec!["nr".to_string()]]);
        assert!(c.not_null("nr") && c.not_null("id") && !c.not_null("note"));
        assert_eq!(c.foreign.len(), 2);
        assert_eq!(c.foreign[0].table, vec!["s", "Parent"]);
        assert_eq!(c.foreign[1].columns, vec!["a", "b"]);
        assert_eq!(c.foreign[1].references, vec!["x", "y"]);
        assert!(c.is_key("a") && c.is_key("p") && !c.is_key("note"));
        assert!(c.generated.is_empty());
    }

    #[test]
    fn generated_columns_but_not_identities() {
        let c = items(
            "id integer GENERATED ALWAYS AS IDENTITY, e text, u text GENERATED ALWAYS AS (upper(e)) STORED, \
             n int GENERATED BY DEFAULT AS IDENTITY (START WITH 5)",
            Dialect::Pg,
        );
        assert_eq!(c.generated, vec!["u"]);
        let c = items(
            "`e` varchar(9), `u` varchar(9) AS (upper(`e`)) STORED, `v` int GENERATED ALWAYS AS (length(`e`)) VIRTUAL",
            Dialect::MySql,
        );
        assert_eq!(c.generated, vec!["u", "v"]);
    }

    #[test]
    fn mysql_keys_with_names_prefixes_and_orderings() {
        let c = items(
            "`id` int NOT NULL AUTO_INCREMENT, `email` varchar(50), `k` int, \
             PRIMARY KEY (`id`), UNIQUE KEY `uq` (`email`(10) DESC), KEY `ix` (`k`), \
             CONSTRAINT `fk_k` FOREIGN KEY (`k`) REFERENCES `other` (`id`) ON DELETE CASCADE",
            Dialect::MySql,
        );
        assert_eq!(c.primary, vec!["id"]);
        assert_eq!(c.unique, vec![vec!["email".to_string()]]);
        assert_eq!(c.foreign[0].table, vec!["other"]);
        assert!(!c.is_key("nothing"));
        // A plain KEY is an index, not a constraint.
        assert!(c.is_key("k"), "k is a foreign key");
    }

    #[test]
    fn pg_dump_alter_table_constraints() {
        let t = tokenize(
            b"ALTER TABLE ONLY public.vizitat\n    ADD CONSTRAINT vizitat_p_fkey FOREIGN KEY (pacienti) REFERENCES regjistri.\"pac\"\"x\"(nr);",
            Dialect::Pg,
        );
        let Alter {
            table: name,
            constraints: c,
            ..
        } = alter_table(&t, Dialect::Pg).unwrap();
        assert_eq!(name, vec!["public", "vizitat"]);
        assert_eq!(c.foreign[0].table, vec!["regjistri", "pac\"x"]);
        assert_eq!(c.foreign[0].references, vec!["nr"]);
        let t = tokenize(
            b"ALTER TABLE ONLY t ADD CONSTRAINT t_pkey PRIMARY KEY (a, b);",
            Dialect::Pg,
        );
        assert_eq!(
            alter_table(&t, Dialect::Pg).unwrap().constraints.primary,
            vec!["a", "b"]
        );
        let t = tokenize(
            b"ALTER TABLE ONLY t ALTER COLUMN id SET DEFAULT nextval('s');",
            Dialect::Pg,
        );
        assert_eq!(
            alter_table(&t, Dialect::Pg).unwrap().constraints,
            Constraints::default()
        );
        let t = tokenize(b"ALTER SEQUENCE s OWNED BY t.id;", Dialect::Pg);
        assert!(alter_table(&t, Dialect::Pg).is_none());
    }
}
