//! The release leak matcher: which values of a dataset's identifier columns (direct
//! identifiers, record keys, credentials) appear anywhere in a run's output files, read as
//! decoded cells (Parquet, SQLite) or as text (CSV, SQL dumps, reports).
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use aho_corasick::AhoCorasick;

use super::layouts::Table;

/// Values shorter than this are left out: a short value (a first name like `Uka`, a small
/// integer) occurs inside unrelated text by chance and would report leaks that are not.
const MIN_NEEDLE: usize = 6;

/// The values whose presence in an output is a leak.
pub struct Needles {
    values: Vec<String>,
    /// The column each value came from (for reports, which name columns, never values).
    columns: BTreeMap<String, String>,
    ac: AhoCorasick,
}

impl Needles {
    pub fn new(values: BTreeSet<String>) -> Self {
        let values: Vec<String> = values.into_iter().collect();
        let ac = AhoCorasick::new(&values).expect("needle automaton");
        Needles {
            values,
            columns: BTreeMap::new(),
            ac,
        }
    }

    /// The columns that `found` values came from.
    pub fn columns_of(&self, found: &BTreeSet<String>) -> BTreeSet<String> {
        found
            .iter()
            .filter_map(|v| self.columns.get(v).cloned())
            .collect()
    }

    /// The identifier values of `t`, except those that also occur inside a non-identifier
    /// input cell (a release may keep those legitimately).
    pub fn of(t: &Table) -> Self {
        let mut ids = BTreeSet::new();
        let mut columns = BTreeMap::new();
        let mut other = String::new();
        for (i, (col, cells)) in t.spec.cols.iter().zip(&t.cells).enumerate() {
            let label = if t.spec.header {
                col.header.to_string()
            } else {
                format!("#{}", i + 1)
            };
            for c in cells {
                if col.is_identifier() {
                    let v = c.text();
                    if v.chars().count() >= MIN_NEEDLE {
                        columns.entry(v.clone()).or_insert_with(|| label.clone());
                        ids.insert(v);
                    }
                } else {
                    other.push_str(&c.text());
                    other.push('\n');
                }
            }
        }
        let all = Needles::new(ids);
        let shared = all.found_in(&other);
        let mut n = Needles::new(
            all.values
                .into_iter()
                .filter(|v| !shared.contains(v))
                .collect(),
        );
        n.columns = columns;
        n
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// The needles that occur in `text` as a whole token: not glued to a letter or digit on
    /// either side, so a six-digit key inside a hex blob or a longer number does not count.
    pub fn found_in(&self, text: &str) -> BTreeSet<String> {
        let b = text.as_bytes();
        let glued = |i: Option<&u8>| i.is_some_and(u8::is_ascii_alphanumeric);
        self.ac
            .find_overlapping_iter(text)
            .filter(|m| {
                !glued(m.start().checked_sub(1).and_then(|i| b.get(i))) && !glued(b.get(m.end()))
            })
            .map(|m| self.values[m.pattern().as_usize()].clone())
            .collect()
    }

    /// The needles found in any file under `dir`.
    pub fn found_under(&self, dir: &Path) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        for f in crate::util::files_under(dir) {
            found.extend(self.found_in(&file_text(&f)));
        }
        found
    }
}

/// A file's content as text: the cells of a Parquet or SQLite file, one per line; anything
/// else as (lossy) UTF-8, which covers CSV, SQL dumps and the run reports.
pub fn file_text(path: &Path) -> String {
    let bytes = std::fs::read(path).expect("read output");
    if bytes.starts_with(b"PAR1") {
        parquet_text(path)
    } else if bytes.starts_with(b"SQLite format 3\0") {
        sqlite_text(path)
    } else {
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

fn parquet_text(path: &Path) -> String {
    use arrow_array::{Array, StringArray};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path).expect("open"))
        .expect("parquet output")
        .build()
        .expect("parquet reader");
    let mut s = String::new();
    for batch in reader {
        let batch = batch.expect("parquet batch");
        for col in batch.columns() {
            // Binary columns (photos) hold no identifier text; other types cast to text.
            let Ok(text) = arrow_cast::cast(col, &arrow_schema::DataType::Utf8) else {
                continue;
            };
            let Some(a) = text.as_any().downcast_ref::<StringArray>() else {
                continue;
            };
            for i in 0..a.len() {
                if !a.is_null(i) {
                    s.push_str(a.value(i));
                    s.push('\n');
                }
            }
        }
    }
    s
}

fn sqlite_text(path: &Path) -> String {
    let db = rusqlite::Connection::open(path).expect("sqlite output");
    let mut st = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .expect("tables");
    let tables: Vec<String> = st
        .query_map([], |r| r.get(0))
        .expect("query")
        .map(|r| r.expect("table name"))
        .collect();
    let mut s = String::new();
    for t in tables {
        let mut q = db
            .prepare(&format!("SELECT * FROM \"{}\"", t.replace('"', "\"\"")))
            .expect("select");
        let n = q.column_count();
        let mut rows = q.query([]).expect("rows");
        while let Some(r) = rows.next().expect("row") {
            for i in 0..n {
                use rusqlite::types::ValueRef;
                match r.get_ref(i).expect("cell") {
                    ValueRef::Text(b) => s.push_str(&String::from_utf8_lossy(b)),
                    ValueRef::Integer(x) => s.push_str(&x.to_string()),
                    ValueRef::Real(x) => s.push_str(&x.to_string()),
                    ValueRef::Null | ValueRef::Blob(_) => {}
                }
                s.push('\n');
            }
        }
    }
    s
}

#[test]
fn corpus2_leak_matcher_finds_a_planted_value() {
    use super::layouts::{Cell, ROWS};
    let tables = super::layouts::corpus(11);
    let t = tables
        .iter()
        .find(|t| t.spec.name == "users")
        .expect("users dataset");
    let needles = Needles::of(t);
    assert!(needles.len() > ROWS, "needles: {}", needles.len());
    let login_col = t.spec.cols.iter().position(|c| c.header == "username");
    let Cell::Text(planted) = &t.cells[login_col.expect("username")][7] else {
        panic!("login is text");
    };
    let d = crate::util::TestDir::new();
    // Planted in a CSV cell among other text, in a Parquet cell and in a SQLite cell.
    d.file(
        "a.csv",
        format!("x,y\n1,\"pre {planted} post\"\n").as_bytes(),
    );
    // Glued into a longer token it is not a leak.
    let clean = d.file(
        "clean.csv",
        format!("x,y\n1,nothing\n2,ab{planted}9\n").as_bytes(),
    );
    assert_eq!(needles.found_in(&file_text(Path::new(&clean))).len(), 0);
    let pq = d.path().join("b.parquet");
    {
        use arrow_array::{RecordBatch, StringArray};
        let a = StringArray::from(vec![planted.as_str(), "other"]);
        let batch = RecordBatch::try_from_iter([("v", std::sync::Arc::new(a) as _)]).expect("b");
        let f = std::fs::File::create(&pq).expect("create");
        let mut w = parquet::arrow::ArrowWriter::try_new(f, batch.schema(), None).expect("w");
        w.write(&batch).expect("write");
        w.close().expect("close");
    }
    let sq = d.path().join("c.sqlite");
    {
        let db = rusqlite::Connection::open(&sq).expect("sqlite");
        db.execute_batch("CREATE TABLE t (v TEXT)").expect("create");
        db.execute("INSERT INTO t VALUES (?1)", [planted])
            .expect("insert");
    }
    for f in ["a.csv", "b.parquet", "c.sqlite"] {
        let found = needles.found_in(&file_text(&d.path().join(f)));
        assert_eq!(found.len(), 1, "{f}: planted login not found exactly once");
    }
    assert_eq!(needles.found_under(d.path()).len(), 1);
}
