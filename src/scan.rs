//! [`Scanner`]: read every input, profile every column, classify it.
//!
//! One reader thread per dataset decodes batches while the rayon pool profiles the columns of
//! the previous batch, so parsing and detection overlap; inside a batch, columns are profiled
//! in parallel. Memory is bounded by two batches in flight plus the per-column profiles.
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::sync_channel;

use arrow_array::{Array, ArrayRef, LargeStringArray, StringArray, StringViewArray};
use arrow_cast::display::{ArrayFormatter, FormatOptions};
use arrow_schema::DataType;
use rayon::prelude::*;

use crate::detect::record_key::{self, KeyColumn};
use crate::detect::{Classification, ColumnProfile, PatternSet, Scratch, classify};
use crate::error::{Error, Result};
use crate::source::{self, DatasetInfo, Format, ReadOptions, RowCount, Source};

/// Default number of rows sampled per dataset.
pub const DEFAULT_SAMPLE_ROWS: usize = 5_000;

/// One classified column.
#[derive(Debug, Clone)]
pub struct ColumnScan {
    /// Column name.
    pub name: String,
    /// Arrow data type as read.
    pub data_type: String,
    /// Nested columns (struct, list, map) are reported but not scanned.
    pub nested: bool,
    /// Cells examined (including empty).
    pub cells: u64,
    /// The verdict.
    pub classification: Classification,
    /// Masked examples.
    pub examples: Vec<String>,
    /// Bottom-k sketch of keyed hashes of identifier-like values (see [`crate::detect::sketch`]).
    pub sketch: crate::detect::sketch::Sketch,
    /// Keys the source declares on the column (dumps: from the DDL).
    pub keys: source::rows::ColumnKeys,
    /// Non-empty cells examined.
    pub non_empty: u64,
    /// Distinct non-empty values among them (a lower bound past 50,000).
    pub distinct: u64,
    /// A hidden workbook column (read and scanned like the others).
    pub hidden: bool,
}

/// The result for one dataset.
#[derive(Debug, Clone)]
pub struct DatasetScan {
    /// The path or URL as given.
    pub source: String,
    /// Table, for multi-table sources.
    pub table: Option<String>,
    /// Format, when the file could be identified.
    pub format: Option<Format>,
    /// Rows examined.
    pub rows_scanned: u64,
    /// Total rows, if known.
    pub rows_total: Option<RowCount>,
    /// Whether only a sample was read.
    pub sampled: bool,
    /// How the source was read.
    pub notes: Vec<String>,
    /// Columns in order.
    pub columns: Vec<ColumnScan>,
    /// The error that stopped reading, if any (the columns then cover the rows read before).
    pub error: Option<String>,
    /// Unchanged since the state of an incremental scan: not read, its stored result reused.
    pub reused: bool,
    /// Content fingerprint kept by incremental scans ([`crate::incremental`]).
    pub fingerprint: Option<String>,
    /// A hidden workbook sheet (read and scanned like the others).
    pub hidden: bool,
}

impl DatasetScan {
    fn failed(source: &str, err: &Error) -> Self {
        DatasetScan {
            source: source.to_string(),
            table: None,
            format: None,
            rows_scanned: 0,
            rows_total: None,
            sampled: false,
            notes: Vec::new(),
            columns: Vec::new(),
            error: Some(err.to_string()),
            reused: false,
            fingerprint: None,
            hidden: false,
        }
    }
}

/// Scans inputs with one compiled [`PatternSet`].
pub struct Scanner {
    patterns: std::sync::OnceLock<std::result::Result<Arc<PatternSet>, String>>,
    loader: Option<PatternLoader>,
    read: ReadOptions,
    progress: Option<fn(&str)>,
    incremental: Option<Arc<crate::incremental::Incremental>>,
}

/// Compiles a pattern set on first use ([`Scanner::lazy`]).
pub type PatternLoader = Box<dyn Fn() -> Result<Arc<PatternSet>> + Send + Sync>;

impl Scanner {
    /// A scanner using `patterns` and reading with `read`.
    pub fn new(patterns: Arc<PatternSet>, read: ReadOptions) -> Self {
        let cell = std::sync::OnceLock::new();
        let _ = cell.set(Ok(patterns));
        Scanner {
            patterns: cell,
            loader: None,
            read,
            progress: None,
            incremental: None,
        }
    }

    /// Reuse the results of unchanged datasets from an incremental scan's state.
    pub fn with_incremental(mut self, inc: Option<Arc<crate::incremental::Incremental>>) -> Self {
        self.incremental = inc;
        self
    }

    /// Report progress lines (rows read, rate, ETA per dataset) to `sink`.
    pub fn with_progress(mut self, sink: Option<fn(&str)>) -> Self {
        self.progress = sink;
        self
    }

    /// A scanner that compiles its pattern set with `loader` only when a dataset must be
    /// read: an incremental scan of unchanged inputs does not pay for it.
    pub fn lazy(loader: PatternLoader, read: ReadOptions) -> Self {
        Scanner {
            patterns: std::sync::OnceLock::new(),
            loader: Some(loader),
            read,
            progress: None,
            incremental: None,
        }
    }

    /// The pattern set in use (compiled now by a [`Scanner::lazy`] scanner).
    pub fn patterns(&self) -> Result<&PatternSet> {
        let r = self.patterns.get_or_init(|| match &self.loader {
            Some(load) => load().map_err(|e| e.to_string()),
            None => Err("no pattern set".to_string()),
        });
        match r {
            Ok(p) => Ok(p),
            Err(e) => Err(Error::Usage(e.clone())),
        }
    }

    /// Scan every input (files or directories, walked recursively in name order). Inputs that
    /// fail are reported as failed datasets; the others are still scanned.
    pub fn scan_inputs(&self, inputs: &[String]) -> Vec<DatasetScan> {
        let mut out = Vec::new();
        for input in inputs {
            // Interrupted: the caller sees the flag and reports nothing.
            if crate::interrupt::requested() {
                break;
            }
            if source::is_database_url(input) {
                match source::open_url(input, &self.read) {
                    Ok(sources) => out.extend(sources.into_iter().map(|s| self.scan_source(s))),
                    Err(e) => out.push(DatasetScan::failed(&source::db::redact_url(input), &e)),
                }
                continue;
            }
            if let Some((shown, e)) = source::db::refuse_key_values(input) {
                out.push(DatasetScan::failed(&shown, &e));
                continue;
            }
            match expand(Path::new(input)) {
                Ok(files) => {
                    for (path, display) in files {
                        out.extend(self.scan_path(&path, &display));
                    }
                }
                Err(e) => out.push(DatasetScan::failed(input, &e)),
            }
        }
        out
    }

    /// Scan one file (one or more datasets).
    pub fn scan_path(&self, path: &Path, display: &str) -> Vec<DatasetScan> {
        let mut file_fp = None;
        if let Some(inc) = &self.incremental {
            // An unreadable file is left to the reader below, which names the problem.
            if let Ok((fp, bytes)) = crate::incremental::fingerprint::file(path, inc.salt()) {
                inc.add_bytes(bytes);
                file_fp = Some(fp.blocks.clone());
                if let Some(reused) = inc.check_file(display, fp) {
                    return reused;
                }
            }
        }
        match source::open(path, display, &self.read) {
            Ok(sources) => sources
                .into_iter()
                .map(|s| {
                    let mut d = self.scan_source(s);
                    if d.table.is_none() && d.fingerprint.is_none() {
                        d.fingerprint = file_fp.clone();
                    }
                    d
                })
                .collect(),
            Err(e) => vec![DatasetScan::failed(display, &e)],
        }
    }

    /// Scan one opened source to its end.
    pub fn scan_source(&self, src: Box<dyn Source>) -> DatasetScan {
        let Some(inc) = &self.incremental else {
            return self.read_source(src);
        };
        let fp = src.content_fingerprint(inc.salt()).map(|(fp, bytes)| {
            inc.add_bytes(bytes);
            fp
        });
        if let Some(fp) = &fp {
            let info = src.info();
            if let Some(reused) = inc.check_dataset(&info.source, info.table.as_deref(), fp) {
                return reused;
            }
        }
        let mut d = self.read_source(src);
        d.fingerprint = fp;
        d
    }

    /// Read one opened source to its end and classify it.
    fn read_source(&self, src: Box<dyn Source>) -> DatasetScan {
        let info: DatasetInfo = src.info().clone();
        let set = match self.patterns() {
            Ok(s) => s,
            Err(e) => return DatasetScan::failed(&info.location().dataset, &e),
        };
        let schema = src.schema();
        let mut profiles: Vec<ColumnProfile> = schema
            .fields()
            .iter()
            .map(|_| ColumnProfile::new(set.identifiers.len()))
            .collect();
        let nested: Vec<bool> = schema
            .fields()
            .iter()
            .map(|f| f.data_type().is_nested())
            .collect();
        let mut rows = 0u64;
        let mut error = None;
        let meter = self.progress.map(|sink| {
            // A sampled read stops after about the sample, not at the dataset's end.
            let total = src
                .rows_total()
                .map(|t| t.value())
                .map(|t| self.read.sample_rows.map_or(t, |n| t.min(n as u64)));
            let m = crate::progress::Meter::new(sink, total);
            m.set_label(&info.location().dataset);
            m
        });

        std::thread::scope(|scope| {
            let (tx, rx) = sync_channel(2);
            let reader = scope.spawn(move || source::pump(src, tx));
            for next in rx {
                if crate::interrupt::requested() {
                    error = Some(Error::Interrupted.to_string());
                    break;
                }
                match next {
                    Ok(Some(batch)) => {
                        rows += batch.num_rows() as u64;
                        if let Some(m) = &meter {
                            m.add(batch.num_rows() as u64);
                        }
                        profile_batch(&batch.data, &nested, &mut profiles, set);
                    }
                    Ok(None) => break,
                    Err(e) => {
                        error = Some(e.to_string());
                        break;
                    }
                }
            }
            match reader.join() {
                Ok(src) => {
                    let total = src.rows_total();
                    (total, src.info().notes.clone())
                }
                Err(_) => (None, Vec::new()),
            }
        })
        .pipe(|(total, notes)| {
            let fields = schema.fields();
            let keys: Vec<_> = fields
                .iter()
                .map(|f| source::rows::ColumnKeys::of(f))
                .collect();
            let mut classes: Vec<Classification> = fields
                .iter()
                .zip(&profiles)
                .map(|(f, p)| classify(f.name(), p, set))
                .collect();
            let key_columns: Vec<KeyColumn<'_>> = fields
                .iter()
                .zip(&profiles)
                .zip(&keys)
                .map(|((f, p), k)| KeyColumn {
                    name: f.name(),
                    profile: p,
                    declared_key: k.primary || k.unique,
                })
                .collect();
            record_key::lookup_labels(&key_columns, &mut classes, set);
            record_key::promote(&key_columns, &mut classes, set);
            drop(key_columns);
            let columns = fields
                .iter()
                .zip(profiles)
                .zip(&nested)
                .zip(classes.into_iter().zip(keys))
                .map(
                    |(((field, prof), &nested), (classification, keys))| ColumnScan {
                        name: field.name().clone(),
                        data_type: source::rows::display_type(field),
                        nested,
                        cells: prof.cells,
                        classification,
                        examples: prof.examples.clone(),
                        sketch: prof.sketch.clone(),
                        keys,
                        non_empty: prof.non_empty,
                        distinct: prof.distinct(),
                        hidden: crate::source::workbook::is_hidden(
                            field.metadata().get(crate::source::workbook::HIDDEN_KEY),
                        ),
                    },
                )
                .collect();
            let mut all_notes = info.notes.clone();
            for n in notes {
                if !all_notes.contains(&n) {
                    all_notes.push(n);
                }
            }
            DatasetScan {
                source: info.source.clone(),
                table: info.table.clone(),
                format: Some(info.format),
                rows_scanned: rows,
                rows_total: total,
                sampled: self.read.sample_rows.is_some(),
                notes: all_notes,
                columns,
                error: error.take(),
                reused: false,
                fingerprint: None,
                hidden: crate::source::workbook::is_hidden(
                    schema.metadata().get(crate::source::workbook::HIDDEN_KEY),
                ),
            }
        })
    }
}

/// Tiny helper so the scoped block above reads top to bottom.
trait Pipe: Sized {
    fn pipe<T>(self, f: impl FnOnce(Self) -> T) -> T {
        f(self)
    }
}
impl<T> Pipe for T {}

/// Rows per task when a batch is split for the thread pool.
const CHUNK_ROWS: usize = 4096;

/// Profile every column of a batch in parallel. Columns are split into row chunks so one
/// heavy column (free text) does not leave the other cores idle; the chunk profiles are
/// merged back in row order, so the result equals a sequential pass.
fn profile_batch(
    batch: &arrow_array::RecordBatch,
    nested: &[bool],
    profiles: &mut [ColumnProfile],
    set: &PatternSet,
) {
    let n = batch.num_rows();
    let tasks: Vec<(usize, usize, usize)> = (0..batch.num_columns())
        .filter(|c| !nested[*c])
        .flat_map(|c| {
            (0..n)
                .step_by(CHUNK_ROWS)
                .map(move |s| (c, s, CHUNK_ROWS.min(n - s)))
        })
        .collect();
    let whole: &[ColumnProfile] = profiles;
    let partials: Vec<(usize, ColumnProfile)> = tasks
        .par_iter()
        .map(|&(c, start, len)| {
            let mut p = ColumnProfile::for_chunk(&whole[c]);
            profile_array(&batch.column(c).slice(start, len), &mut p, set);
            (c, p)
        })
        .collect();
    let mut by_column: Vec<Vec<ColumnProfile>> = profiles.iter().map(|_| Vec::new()).collect();
    for (c, p) in partials {
        by_column[c].push(p);
    }
    profiles
        .par_iter_mut()
        .zip(by_column.into_par_iter())
        .for_each(|(prof, parts)| {
            for p in parts {
                prof.merge(p);
            }
        });
}

/// Feed one Arrow column into a profile, formatting non-text types to text.
pub fn profile_array(col: &ArrayRef, prof: &mut ColumnProfile, set: &PatternSet) {
    let mut scratch = Scratch::default();
    macro_rules! strings {
        ($arr:expr) => {{
            for v in $arr.iter() {
                match v {
                    Some(s) => prof.observe(s, set, &mut scratch),
                    None => prof.observe_null(),
                }
            }
        }};
    }
    match col.data_type() {
        DataType::Utf8 => {
            if let Some(a) = col.as_any().downcast_ref::<StringArray>() {
                strings!(a)
            }
        }
        DataType::LargeUtf8 => {
            if let Some(a) = col.as_any().downcast_ref::<LargeStringArray>() {
                strings!(a)
            }
        }
        DataType::Utf8View => {
            if let Some(a) = col.as_any().downcast_ref::<StringViewArray>() {
                strings!(a)
            }
        }
        DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_) => {
            // Raw bytes (images, fingerprints, blobs) have no text to match; count them only.
            for i in 0..col.len() {
                prof.observe_null();
                let _ = i;
            }
        }
        _ => {
            let opts = FormatOptions::default();
            match ArrayFormatter::try_new(col.as_ref(), &opts) {
                Ok(fmt) => {
                    let mut buf = String::new();
                    for i in 0..col.len() {
                        if col.is_null(i) {
                            prof.observe_null();
                            continue;
                        }
                        buf.clear();
                        if std::fmt::Write::write_fmt(&mut buf, format_args!("{}", fmt.value(i)))
                            .is_ok()
                        {
                            prof.observe(&buf, set, &mut scratch);
                        }
                    }
                }
                Err(_) => {
                    for _ in 0..col.len() {
                        prof.observe_null();
                    }
                }
            }
        }
    }
}

/// Expand an input into files: a file as is, a directory walked recursively (sorted) for
/// supported extensions.
pub fn expand(path: &Path) -> Result<Vec<(PathBuf, String)>> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    // A `pg_dump -Fd` directory is one input (its files are not datasets of their own).
    if !meta.is_dir() || source::sqldump::is_pg_directory_dump(path) {
        return Ok(vec![(path.to_path_buf(), path.display().to_string())]);
    }
    let mut out = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| Error::io(&dir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for p in entries {
            let hidden = p
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if hidden {
                continue;
            }
            if source::sqldump::is_pg_directory_dump(&p) {
                out.push(p);
            } else if p.is_dir() {
                stack.push(p);
            } else if source::is_supported(&p) {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out
        .into_iter()
        .map(|p| {
            let d = p.display().to_string();
            (p, d)
        })
        .collect())
}
