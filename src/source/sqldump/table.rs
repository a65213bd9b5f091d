//! One table of a dump as a [`Source`]: reads its indexed byte ranges (all of them, or
//! sampling windows spread across them) into batches.
use std::borrow::Cow;
use std::collections::VecDeque;
use std::fs::File;
use std::path::PathBuf;
use std::sync::Arc;

use arrow_schema::SchemaRef;
use encoding_rs::Encoding;

use super::Dialect;
use super::buf::Window;
use super::copy::{CopyError, split_line};
use super::index::{SegKind, TableIndex};
use super::values::{InsertReader, RowError};
use crate::error::{Error, Location, Result};
use crate::source::rows::{RowBatcher, bytea_hex, is_binary_sql_type, text_schema};
use crate::source::{DatasetInfo, RowCount, Source};
use crate::value::Batch;

/// Sampling reads this many windows spread over a table's bytes (fewer for small samples).
const WINDOWS: usize = 16;

/// What a table reader shares with the dump it came from.
pub struct DumpShared {
    /// The dump file (a temporary plain copy for custom-format dumps).
    pub path: PathBuf,
    /// Keeps a temporary plain copy alive while tables read it.
    pub keep: Option<Arc<tempfile::TempPath>>,
    /// SQL dialect.
    pub dialect: Dialect,
    /// Declared legacy encoding, if any (UTF-8 otherwise).
    pub encoding: Option<&'static Encoding>,
    /// PostgreSQL `standard_conforming_strings`.
    pub standard_strings: bool,
    /// Largest value accepted, in bytes.
    pub max_value: usize,
}

/// A window of reading: a segment, where to start, and how many rows to take.
struct Task {
    seg: usize,
    from: u64,
    /// Rows starting at or after this absolute offset belong to the next window.
    until: u64,
    /// `None`: to the segment's end.
    quota: Option<u64>,
    /// Starts mid-segment: the reader must find a row boundary first.
    resync: bool,
    /// Continues a window paused by its quota: `from` is just after a row read earlier, on
    /// this line (for INSERTs: after a `)`, inside a statement).
    resume: Option<u64>,
}

enum Reader {
    Copy { win: Window, line: u64 },
    Insert(Box<InsertReader>),
}

/// One table of a dump.
pub struct DumpTableSource {
    info: DatasetInfo,
    schema: SchemaRef,
    shared: Arc<DumpShared>,
    table: TableIndex,
    /// For each segment: schema column of each of its fields.
    maps: Vec<Vec<usize>>,
    tasks: VecDeque<Task>,
    reader: Option<(Reader, Task)>,
    batcher: RowBatcher,
    rows_read: u64,
    bytes_read: u64,
    sampled: bool,
    finished: bool,
    binary_seen: bool,
    /// Per schema column: its declared type holds raw bytes (see [`is_binary_sql_type`]).
    binary_cols: Vec<bool>,
    /// Windows stopped by their quota, to be continued if later windows leave quota unused
    /// (e.g. an extended INSERT far longer than a window: later windows find no statement).
    paused: VecDeque<Task>,
    /// Quota left unused by the last window.
    leftover: u64,
    /// Some rows were left unread (sampling windows, quotas): the row count is an estimate.
    partial: bool,
}

impl DumpTableSource {
    /// A reader for `table`; `sample_rows` as in [`crate::source::ReadOptions`].
    pub fn new(
        mut info: DatasetInfo,
        shared: Arc<DumpShared>,
        table: TableIndex,
        sample_rows: Option<usize>,
        batch_rows: usize,
    ) -> Result<Self> {
        let loc = info.location();
        let columns: Vec<(String, Option<String>)> = match &table.columns {
            Some(cols) => cols
                .iter()
                .map(|(n, t)| (n.clone(), (!t.is_empty()).then(|| t.clone())))
                .collect(),
            None => match table.segments.iter().find_map(|s| s.columns.clone()) {
                Some(cols) => {
                    info.notes.push(
                        "no CREATE TABLE in the dump: columns taken from the data statements"
                            .into(),
                    );
                    cols.into_iter().map(|n| (n, None)).collect()
                }
                None => {
                    let width = first_row_width(&shared, &table, &loc)?;
                    info.notes.push(
                        "no CREATE TABLE and no column list in the dump: columns are numbered"
                            .into(),
                    );
                    (1..=width).map(|i| (format!("col{i}"), None)).collect()
                }
            },
        };
        let names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
        let mut maps = Vec::with_capacity(table.segments.len());
        for seg in &table.segments {
            maps.push(match &seg.columns {
                None => (0..names.len()).collect(),
                Some(cols) => {
                    let mut m = Vec::with_capacity(cols.len());
                    for c in cols {
                        match names.iter().position(|n| n == c) {
                            Some(p) => m.push(p),
                            None => {
                                return Err(Error::input(
                                    loc.clone(),
                                    format!(
                                        "line {}: the data statement names column \"{c}\", which CREATE TABLE does not define",
                                        seg.line
                                    ),
                                ));
                            }
                        }
                    }
                    m
                }
            });
        }
        let schema = {
            let plain = text_schema(&columns);
            let names: Vec<String> = columns.iter().map(|(n, _)| n.clone()).collect();
            let keys = super::ddl::column_keys(&table.constraints, &names);
            let fields: Vec<arrow_schema::Field> = plain
                .fields()
                .iter()
                .zip(keys)
                .map(|(f, k)| k.annotate(f.as_ref().clone()))
                .collect();
            Arc::new(arrow_schema::Schema::new(fields))
        };
        let binary_cols = columns
            .iter()
            .map(|(_, t)| t.as_deref().is_some_and(is_binary_sql_type))
            .collect();
        let tasks = plan(&table, sample_rows);
        let covers_all = tasks.len() == table.segments.len()
            && tasks.iter().all(|t| {
                let s = &table.segments[t.seg];
                t.from == s.start && t.until == s.end
            });
        Ok(DumpTableSource {
            batcher: RowBatcher::new(schema.clone(), batch_rows),
            info,
            schema,
            shared,
            table,
            maps,
            tasks,
            reader: None,
            rows_read: 0,
            bytes_read: 0,
            sampled: sample_rows.is_some(),
            finished: false,
            binary_seen: false,
            partial: !covers_all,
            binary_cols,
            paused: VecDeque::new(),
            leftover: 0,
        })
    }

    fn loc(&self) -> Location {
        self.info.location()
    }

    fn open_reader(&self, task: &Task) -> Result<Option<Reader>> {
        let seg = &self.table.segments[task.seg];
        let file = File::open(&self.shared.path).map_err(|e| Error::io(&self.shared.path, e))?;
        // A resynchronising window starts one byte early so that a row (line or statement)
        // starting exactly at `from` is recognised by the newline before it.
        let open_at = if task.resync {
            task.from.saturating_sub(1).max(seg.start)
        } else {
            task.from
        };
        let win =
            Window::new(file, open_at, seg.end).map_err(|e| Error::io(&self.shared.path, e))?;
        // Lines are only known at a segment's start; resynchronised windows report the
        // segment's line as the nearest known place.
        let line = task.resume.unwrap_or(seg.line);
        match seg.kind {
            SegKind::Copy => {
                let mut win = win;
                if task.resync {
                    loop {
                        let b = win.buf();
                        if let Some(p) = memchr::memchr(b'\n', b) {
                            win.consume(p + 1);
                            break;
                        }
                        let n = b.len();
                        win.consume(n);
                        if !win.fill().map_err(|e| Error::io(&self.shared.path, e))? {
                            return Ok(None);
                        }
                    }
                }
                Ok(Some(Reader::Copy { win, line }))
            }
            SegKind::Insert => {
                let mut r = InsertReader::new(
                    win,
                    line,
                    self.shared.dialect,
                    self.shared.standard_strings,
                    self.shared.max_value,
                );
                r.stop = task.until;
                if task.resume.is_some() {
                    r.resume_after_row();
                } else if task.resync {
                    let kw: &[u8] = b"INSERT ";
                    match r.resync_to_statement(kw) {
                        Ok(true) => {}
                        Ok(false) => return Ok(None),
                        Err(e) => return Err(self.row_error(e)),
                    }
                }
                Ok(Some(Reader::Insert(Box::new(r))))
            }
        }
    }

    fn row_error(&self, e: RowError) -> Error {
        match e {
            RowError::Io(e) => Error::io(&self.shared.path, e),
            RowError::Syntax { line, msg } => {
                Error::input(self.loc(), format!("line {line}: {msg}"))
            }
        }
    }

    /// A value's bytes as text. Columns declared binary hold raw bytes: MySQL dumps write
    /// them as (escaped) string or hex literals, which become [`bytea_hex`] text; PostgreSQL
    /// dumps already write bytea as `\x…` (or the old escape format) text, kept as it is.
    /// Binary literals (`_binary '…'`, `0x…`, `X'…'`) elsewhere are text when they are UTF-8,
    /// else bytea hex. Other values are decoded in the dump's encoding (`Err` if invalid).
    fn text<'a>(
        &self,
        bytes: &'a [u8],
        literal_binary: bool,
        column_binary: bool,
    ) -> std::result::Result<Cow<'a, str>, ()> {
        let mysql = self.shared.dialect == Dialect::MySql;
        if column_binary && mysql {
            return Ok(Cow::Owned(bytea_hex(bytes)));
        }
        if literal_binary || column_binary {
            return Ok(match std::str::from_utf8(bytes) {
                Ok(s) => Cow::Borrowed(s),
                Err(_) => Cow::Owned(bytea_hex(bytes)),
            });
        }
        match self.shared.encoding {
            None => std::str::from_utf8(bytes)
                .map(Cow::Borrowed)
                .map_err(|_| ()),
            Some(enc) => Ok(enc.decode_without_bom_handling(bytes).0),
        }
    }

    /// A window that ended early (or could not start) passes its unused quota on to the next.
    fn pass_on_quota(&mut self, left: Option<u64>) {
        let Some(left) = left else { return };
        match self.tasks.front_mut() {
            Some(next) => {
                if let Some(q) = next.quota.as_mut() {
                    *q += left;
                }
            }
            None => self.leftover += left,
        }
    }

    /// When every window is done and quota is left, continue the paused windows with it
    /// (each still ends at its own `until`, so rows stay disjoint). False if there is nothing
    /// to continue.
    fn resume_paused(&mut self) -> bool {
        if self.leftover == 0 || self.paused.is_empty() {
            return false;
        }
        self.tasks = std::mem::take(&mut self.paused);
        if let Some(first) = self.tasks.front_mut() {
            first.quota = Some(self.leftover);
        }
        self.leftover = 0;
        true
    }

    /// Read rows of the current task into the batcher until it is full or the task ends.
    /// Returns false when the task is done.
    fn fill(&mut self) -> Result<bool> {
        let Some((mut reader, mut task)) = self.reader.take() else {
            return Ok(false);
        };
        let map = self.maps[task.seg].clone();
        let more = match &mut reader {
            Reader::Copy { win, line } => self.fill_copy(win, line, &mut task, &map)?,
            Reader::Insert(r) => self.fill_insert(r, &mut task, &map)?,
        };
        if more && task.quota != Some(0) {
            self.reader = Some((reader, task));
            return Ok(true);
        }
        // The quota ran out before the window's end (maybe exactly at it: then the count is
        // merely called an estimate). Keep where it stopped, to continue with unused quota.
        self.partial |= more;
        if more {
            let (from, line) = match &reader {
                Reader::Copy { win, line } => (win.offset(), *line),
                Reader::Insert(r) => (r.offset(), r.line),
            };
            self.paused.push_back(Task {
                from,
                quota: Some(0),
                resync: false,
                resume: Some(line),
                ..task
            });
        }
        self.pass_on_quota(task.quota);
        Ok(false)
    }

    /// Push `COPY` rows (one per line, tab-separated) until the batch is full, the quota is
    /// spent or the window ends; whether the window has more.
    fn fill_copy(
        &mut self,
        win: &mut Window,
        line: &mut u64,
        task: &mut Task,
        map: &[usize],
    ) -> Result<bool> {
        let width = map.len();
        let mut spare: Vec<Option<Cow<'static, str>>> = Vec::with_capacity(width);
        let mut owned = String::new();
        while self.batcher.room() > 0 && task.quota != Some(0) {
            if win.offset() >= task.until
                || win.at_end().map_err(|e| Error::io(&self.shared.path, e))?
            {
                return Ok(false);
            }
            let buf = win.buf();
            let Some(nl) = memchr::memchr(b'\n', buf) else {
                if buf.len() > self.shared.max_value.saturating_mul(4).max(1 << 20) {
                    return Err(Error::input(
                        self.loc(),
                        format!("line {line}: a COPY row is larger than the value limit"),
                    ));
                }
                if win.fill().map_err(|e| Error::io(&self.shared.path, e))? {
                    continue;
                }
                // Ranges end after a row's newline, so leftovers cannot be a row.
                return Ok(false);
            };
            let mut fields = recycle(std::mem::take(&mut spare));
            let mut raw = &buf[..nl];
            if raw.last() == Some(&b'\r') {
                raw = &raw[..raw.len() - 1];
            }
            let text: &[u8] = match self.shared.encoding {
                None => raw,
                Some(enc) => {
                    owned.clear();
                    owned.push_str(&enc.decode_without_bom_handling(raw).0);
                    owned.as_bytes()
                }
            };
            match split_line(text, width, &mut fields) {
                Ok(()) => {}
                Err(CopyError::FieldCount { found }) => {
                    return Err(Error::input(
                        self.loc().at_row(self.batcher.rows_pushed() + 1),
                        format!(
                            "line {line}: the COPY row has {found} fields, the table has {width} columns"
                        ),
                    ));
                }
                Err(CopyError::BadText { field }) => {
                    let col = self.schema.field(map[field - 1]).name().clone();
                    return Err(Error::input(
                        self.loc()
                            .at_row(self.batcher.rows_pushed() + 1)
                            .in_column(col),
                        format!(
                            "line {line}: the value is not valid UTF-8 (use a dump made with client_encoding UTF8, or declare the encoding)"
                        ),
                    ));
                }
            }
            push_mapped(&mut self.batcher, map, self.schema.fields().len(), |k| {
                fields[k].as_deref()
            });
            spare = recycle(fields);
            self.bytes_read += nl as u64 + 1;
            win.consume(nl + 1);
            *line += 1;
            self.rows_read += 1;
            if let Some(q) = task.quota.as_mut() {
                *q -= 1;
            }
        }
        Ok(true)
    }

    /// Push `INSERT` rows (every value decoded before any is pushed) until the batch is full,
    /// the quota is spent or the window ends; whether the window has more.
    fn fill_insert(
        &mut self,
        r: &mut InsertReader,
        task: &mut Task,
        map: &[usize],
    ) -> Result<bool> {
        let width = map.len();
        let mut spare: Vec<Option<Cow<'static, str>>> = Vec::with_capacity(width);
        while self.batcher.room() > 0 && task.quota != Some(0) {
            let before = r.offset();
            match r.next_row() {
                Ok(true) => {}
                Ok(false) => {
                    return Ok(false);
                }
                Err(_) if task.resync && self.rows_read == 0 => {
                    // A sampling window that landed on something that only looked
                    // like a statement start: drop the window, keep the scan going.
                    self.info.notes.push(
                        "a sampling window could not find a row boundary and was skipped".into(),
                    );
                    return Ok(false);
                }
                Err(e) => return Err(self.row_error(e)),
            }
            if r.row.len() != width {
                return Err(Error::input(
                    self.loc().at_row(self.batcher.rows_pushed() + 1),
                    format!(
                        "line {}: the INSERT row has {} values, the table has {width} columns",
                        r.row_line,
                        r.row.len()
                    ),
                ));
            }
            // Decode every value first so an error names its column before any is pushed.
            let mut decoded = recycle(std::mem::take(&mut spare));
            for (k, v) in r.row.iter().enumerate() {
                match &v.bytes {
                    None => decoded.push(None),
                    Some(range) => {
                        let column_binary = self.binary_cols[map[k]];
                        // (PostgreSQL bytea is text in the dump already.)
                        self.binary_seen |= (column_binary
                            && self.shared.dialect == Dialect::MySql)
                            || (v.binary && std::str::from_utf8(&r.arena[range.clone()]).is_err());
                        match self.text(&r.arena[range.clone()], v.binary, column_binary) {
                            Ok(t) => decoded.push(Some(t)),
                            Err(()) => {
                                let col = self.schema.field(map[k]).name().clone();
                                return Err(Error::input(
                                    self.loc()
                                        .at_row(self.batcher.rows_pushed() + 1)
                                        .in_column(col),
                                    format!(
                                        "line {}: the value is not valid UTF-8 (declare the dump's encoding with SET NAMES)",
                                        r.row_line
                                    ),
                                ));
                            }
                        }
                    }
                }
            }
            push_mapped(&mut self.batcher, map, self.schema.fields().len(), |k| {
                decoded[k].as_deref()
            });
            spare = recycle(decoded);
            self.bytes_read += r.offset().saturating_sub(before);
            self.rows_read += 1;
            if let Some(q) = task.quota.as_mut() {
                *q -= 1;
            }
        }
        Ok(true)
    }
}

/// Reuse a vector's allocation for borrows of a different lifetime (it is emptied first, so
/// no borrow outlives its buffer).
fn recycle<'b>(mut v: Vec<Option<Cow<'_, str>>>) -> Vec<Option<Cow<'b, str>>> {
    v.clear();
    v.into_iter().map(|_| None).collect()
}

fn push_mapped<'a>(
    batcher: &mut RowBatcher,
    map: &[usize],
    ncols: usize,
    value: impl Fn(usize) -> Option<&'a str>,
) {
    if map.len() == ncols && map.iter().enumerate().all(|(i, &j)| i == j) {
        for k in 0..ncols {
            batcher.append_cell(k, value(k));
        }
    } else {
        // Columns the statement does not name are NULL.
        let mut src = vec![None; ncols];
        for (k, &j) in map.iter().enumerate() {
            src[j] = Some(k);
        }
        for (j, s) in src.iter().enumerate() {
            batcher.append_cell(j, s.and_then(&value));
        }
    }
    batcher.end_row();
}

/// The width of a table's first INSERT row (tables with neither CREATE TABLE nor column list).
fn first_row_width(shared: &DumpShared, table: &TableIndex, loc: &Location) -> Result<usize> {
    let Some(seg) = table.segments.first() else {
        return Ok(0);
    };
    let file = File::open(&shared.path).map_err(|e| Error::io(&shared.path, e))?;
    let win = Window::new(file, seg.start, seg.end).map_err(|e| Error::io(&shared.path, e))?;
    if seg.kind == SegKind::Copy {
        return Err(Error::input(
            loc.clone(),
            "a COPY block without a column list or CREATE TABLE",
        ));
    }
    let mut r = InsertReader::new(
        win,
        seg.line,
        shared.dialect,
        shared.standard_strings,
        shared.max_value,
    );
    match r.next_row() {
        Ok(true) => Ok(r.row.len()),
        Ok(false) => Ok(0),
        Err(RowError::Io(e)) => Err(Error::io(&shared.path, e)),
        Err(RowError::Syntax { line, msg }) => {
            Err(Error::input(loc.clone(), format!("line {line}: {msg}")))
        }
    }
}

/// Reading plan: every segment whole, or sampling windows spread over the table's bytes.
///
/// Windows are disjoint by construction: a window starting mid-segment owns the rows (COPY
/// lines, INSERT statements) that *start* at or after its `from`, and reads only those starting
/// before its `until`, which is the next window's `from` in the same segment (else the
/// segment's end). So no row is read twice, whatever the quotas and however rows are laid out.
fn plan(table: &TableIndex, sample_rows: Option<usize>) -> VecDeque<Task> {
    let whole = |i: usize, s: &super::index::Segment| Task {
        seg: i,
        from: s.start,
        until: s.end,
        quota: None,
        resync: false,
        resume: None,
    };
    let Some(n) = sample_rows else {
        return table
            .segments
            .iter()
            .enumerate()
            .map(|(i, s)| whole(i, s))
            .collect();
    };
    let total = table.data_bytes();
    let small = table.known_rows().is_some_and(|r| r <= n as u64) || total <= 256 * 1024;
    if small {
        let mut tasks: VecDeque<Task> = table
            .segments
            .iter()
            .enumerate()
            .map(|(i, s)| whole(i, s))
            .collect();
        if let Some(t) = tasks.front_mut() {
            t.quota = Some(n as u64);
        }
        for t in tasks.iter_mut().skip(1) {
            t.quota = Some(0);
        }
        return tasks;
    }
    let k = WINDOWS.min(n.div_ceil(64)).max(1);
    let per = (n / k).max(1) as u64;
    // Window starts as (segment, absolute offset), in file order, without duplicates.
    let mut starts: Vec<(usize, u64)> = Vec::with_capacity(k);
    for w in 0..k {
        let target = total / k as u64 * w as u64;
        let mut acc = 0u64;
        for (i, s) in table.segments.iter().enumerate() {
            let len = s.end - s.start;
            if target < acc + len || i + 1 == table.segments.len() {
                let at = (i, s.start + target.saturating_sub(acc).min(len));
                if starts.last() != Some(&at) {
                    starts.push(at);
                }
                break;
            }
            acc += len;
        }
    }
    let mut tasks = VecDeque::with_capacity(starts.len());
    for (w, &(seg, from)) in starts.iter().enumerate() {
        let s = &table.segments[seg];
        let until = match starts.get(w + 1) {
            Some(&(next_seg, next_from)) if next_seg == seg => next_from,
            _ => s.end,
        };
        tasks.push_back(Task {
            seg,
            from,
            until,
            quota: Some(per),
            resync: from > s.start,
            resume: None,
        });
    }
    tasks
}

impl Source for DumpTableSource {
    fn info(&self) -> &DatasetInfo {
        &self.info
    }

    /// The table's definition and every byte of its row segments (not their offsets: rows
    /// that moved because another table changed keep the fingerprint).
    fn content_fingerprint(&self, salt: &[u8]) -> Option<(String, u64)> {
        let t = &self.table;
        let header = format!(
            "{:?}|{:?}|{:?}|{}|{:?}|{:?}|{:?}",
            self.shared.dialect,
            self.shared.encoding.map(|e| e.name()),
            t.columns,
            self.shared.standard_strings,
            t.constraints,
            t.error.as_ref().map(|e| &e.1),
            t.segments
                .iter()
                .map(|s| (&s.kind, &s.columns, s.rows))
                .collect::<Vec<_>>(),
        );
        crate::incremental::fingerprint::hash_ranges(
            &self.shared.path,
            salt,
            header.as_bytes(),
            t.segments.iter().map(|s| (s.start, s.end)),
        )
        .ok()
    }

    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn next_batch(&mut self) -> Result<Option<Batch>> {
        if self.finished {
            return self.table_error();
        }
        loop {
            if self.batcher.room() == 0 {
                return self.batcher.take();
            }
            if self.reader.is_none() {
                let Some(task) = self.tasks.pop_front() else {
                    if self.resume_paused() {
                        continue;
                    }
                    break;
                };
                if task.quota == Some(0) {
                    self.partial = true;
                    continue;
                }
                match self.open_reader(&task)? {
                    Some(r) => self.reader = Some((r, task)),
                    None => {
                        self.pass_on_quota(task.quota);
                        continue;
                    }
                }
            }
            self.fill()?;
        }
        self.finished = true;
        if self.binary_seen {
            self.info
                .notes
                .push("binary values are read as \\x followed by lower-case hexadecimal".into());
        }
        if let Some(b) = self.batcher.take()? {
            // The table's own truncation error comes after its readable rows.
            return Ok(Some(b));
        }
        self.table_error()
    }

    fn rows_total(&self) -> Option<RowCount> {
        if let Some(n) = self.table.known_rows() {
            return Some(RowCount::Exact(n));
        }
        if !self.sampled || (self.finished && !self.partial) {
            return Some(RowCount::Exact(self.rows_read));
        }
        if self.rows_read == 0 || self.bytes_read == 0 {
            return None;
        }
        let per_row = self.bytes_read as f64 / self.rows_read as f64;
        Some(RowCount::Estimated(
            (self.table.data_bytes() as f64 / per_row).round() as u64,
        ))
    }
}

impl DumpTableSource {
    fn table_error(&mut self) -> Result<Option<Batch>> {
        match self.table.error.take() {
            Some((line, msg)) => Err(Error::input(self.loc(), format!("line {line}: {msg}"))),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Format;
    use crate::source::sqldump::index;
    use crate::source::sqldump::tests::styled_dump;
    use arrow_array::{Array, StringArray};
    use std::io::Write;

    /// The ids each sampling window reads when its quota is lifted: windows must partition the
    /// table's rows (disjoint, and together every row).
    fn window_ids(sql: &[u8], dialect: Dialect, sample: usize) -> Vec<Vec<u64>> {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(sql).unwrap();
        let file = File::open(f.path()).unwrap();
        let ix = index::build(file, sql.len() as u64, dialect).unwrap();
        let table = ix.tables.into_iter().next().unwrap();
        let shared = Arc::new(DumpShared {
            path: f.path().to_path_buf(),
            keep: None,
            dialect,
            encoding: None,
            standard_strings: true,
            max_value: 1 << 20,
        });
        let tasks = plan(&table, Some(sample));
        assert!(tasks.len() > 1, "the table is large enough to be windowed");
        let mut out = Vec::new();
        for task in tasks {
            let info = DatasetInfo {
                source: "d.sql".into(),
                table: Some(table.name.clone()),
                format: Format::PgDump,
                notes: Vec::new(),
            };
            let mut src =
                DumpTableSource::new(info, shared.clone(), table.clone(), None, 4096).unwrap();
            src.tasks = VecDeque::from([Task {
                quota: None,
                ..task
            }]);
            let mut ids = Vec::new();
            while let Some(b) = src.next_batch().unwrap() {
                let a = b.data.column(0);
                let a = a.as_any().downcast_ref::<StringArray>().unwrap();
                ids.extend((0..a.len()).map(|r| a.value(r).parse::<u64>().unwrap()));
            }
            out.push(ids);
        }
        out
    }

    #[test]
    fn sampling_windows_partition_the_rows() {
        let n = 4581u64;
        for (style, dialect) in [
            ("single", Dialect::MySql),
            ("multi", Dialect::MySql),
            ("one", Dialect::MySql),
            ("copy", Dialect::Pg),
        ] {
            let windows = window_ids(&styled_dump(style, n as usize), dialect, 1000);
            let mut all: Vec<u64> = windows.iter().flatten().copied().collect();
            all.sort_unstable();
            assert_eq!(
                all,
                (0..n).collect::<Vec<_>>(),
                "{style}: windows {:?}",
                windows.iter().map(Vec::len).collect::<Vec<_>>()
            );
            if style != "one" {
                assert!(
                    windows.iter().all(|w| !w.is_empty()),
                    "{style}: an empty window"
                );
            }
        }
    }
}
