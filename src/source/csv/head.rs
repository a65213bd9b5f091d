//! Head analysis: the head's records, the delimiter, the header and the title block above it.
use std::collections::{BTreeMap, HashSet};

use csv::ByteRecord;

use super::encoding::TextEncoding;
use super::stream::csv_builder;

/// Records of the head used for sniffing and header detection.
pub(super) const HEAD_RECORDS: usize = 200;
/// Delimiter candidates, in order of preference on ties.
const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];

/// A complete record of the head and its byte range (in head offsets).
pub(super) struct HeadRecord {
    pub(super) rec: ByteRecord,
    pub(super) start: u64,
    pub(super) end: u64,
}

/// Up to `max` complete records of the head (a record running into the end of a head that is
/// not the whole file is incomplete and left out).
pub(super) fn parse_head(head: &[u8], at_eof: bool, delim: u8, max: usize) -> Vec<HeadRecord> {
    let mut rdr = csv_builder(delim).from_reader(head);
    let mut out = Vec::new();
    let mut rec = ByteRecord::new();
    while out.len() < max {
        let before = rdr.position().byte();
        if !matches!(rdr.read_byte_record(&mut rec), Ok(true)) {
            break;
        }
        let end = rdr.position().byte();
        if !at_eof && end >= head.len() as u64 {
            break;
        }
        out.push(HeadRecord {
            rec: rec.clone(),
            start: rec.position().map_or(before, |p| p.byte()),
            end,
        });
    }
    out
}

/// How a delimiter candidate ranks: consistent enough, the extension's own, consistency in
/// per mille, field count, earlier in [`CANDIDATES`].
pub(super) type SniffKey = (bool, bool, usize, usize, usize);

/// The candidate delimiter whose records most consistently have the same (≥ 2) field count.
pub(super) fn sniff_delimiter(head: &[u8], at_eof: bool, prefer: Option<u8>) -> Option<u8> {
    let mut best: Option<(SniffKey, u8)> = None;
    for (order, &d) in CANDIDATES.iter().enumerate() {
        let mut counts: Vec<usize> = parse_head(head, at_eof, d, HEAD_RECORDS)
            .iter()
            .map(|r| r.rec.len())
            .collect();
        if counts.is_empty() {
            // Not even one complete record: judge the first, truncated one.
            let mut rdr = csv_builder(d).from_reader(head);
            let mut rec = ByteRecord::new();
            if matches!(rdr.read_byte_record(&mut rec), Ok(true)) {
                counts.push(rec.len());
            }
        }
        let mut freq: BTreeMap<usize, usize> = BTreeMap::new();
        for &c in &counts {
            *freq.entry(c).or_default() += 1;
        }
        let Some((mode, n)) = freq.iter().max_by_key(|&(c, n)| (*n, *c)) else {
            continue;
        };
        if *mode < 2 {
            continue;
        }
        let permille = n * 1000 / counts.len();
        let key = (
            permille >= 900,
            prefer == Some(d),
            permille,
            *mode,
            CANDIDATES.len() - order,
        );
        if best.as_ref().is_none_or(|(b, _)| key > *b) {
            best = Some((key, d));
        }
    }
    best.map(|(_, d)| d)
}

/// A number, date, time, phone number or e-mail address: a value, never a column name.
pub(super) fn is_data_like(s: &str) -> bool {
    let t = s.trim();
    if t.is_empty() {
        return false;
    }
    if let Some((user, domain)) = t.split_once('@') {
        return !user.is_empty() && domain.contains('.') && !t.contains(' ');
    }
    let mut digits = 0usize;
    let mut total = 0usize;
    for c in t.chars() {
        total += 1;
        if c.is_ascii_digit() {
            digits += 1;
        } else if !matches!(
            c,
            '+' | '-' | '.' | ',' | '/' | ':' | ' ' | '(' | ')' | '\'' | '%' | 'T' | 'Z' | '€'
        ) {
            return false;
        }
    }
    digits > 0 && digits * 2 >= total
}

/// A four-digit year, as used for columns of statistics tables.
pub(super) fn is_year(s: &str) -> bool {
    let t = s.trim();
    t.len() == 4
        && t.bytes().all(|b| b.is_ascii_digit())
        && t.parse::<u32>().is_ok_and(|y| (1900..=2100).contains(&y))
}

/// Whether the first of `rows` is a header. Conservative: yes unless clear evidence says no.
///
/// Evidence for data: a column whose first cell is data-like (number, date, phone, e-mail) while
/// at least 80% of the non-empty cells below are too, or whose first cell recurs below. Evidence
/// for a header: a column whose first cell is text (or a year) above a column that is at least
/// 80% numbers/dates (that are not years), or a first row repeated later (concatenated files).
/// The first row is data only with some evidence for data and none for a header. A file of one
/// row is data only when all its non-empty cells are data-like.
pub(crate) fn looks_like_header(rows: &[Vec<String>]) -> bool {
    let Some((first, below)) = rows.split_first() else {
        return true;
    };
    if below.is_empty() {
        let mut cells = first.iter().filter(|c| !c.trim().is_empty()).peekable();
        return cells.peek().is_none() || !cells.all(|c| is_data_like(c));
    }
    if below.iter().any(|r| r == first) {
        return true;
    }
    let (mut data, mut header) = (0usize, 0usize);
    for (j, cell) in first.iter().enumerate() {
        let cell = cell.trim();
        let col: Vec<&str> = below
            .iter()
            .filter_map(|r| r.get(j))
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect();
        if cell.is_empty() || col.is_empty() {
            continue;
        }
        let share = |f: fn(&str) -> bool| col.iter().filter(|s| f(s)).count() * 10 >= col.len() * 8;
        let col_data = share(is_data_like);
        if is_data_like(cell) {
            if is_year(cell) && !share(is_year) {
                if col_data {
                    header += 1;
                }
            } else if col_data || col.contains(&cell) {
                data += 1;
            }
        } else if col_data {
            header += 1;
        } else if col.contains(&cell) {
            data += 1;
        }
    }
    !(data > 0 && header == 0)
}

/// The head's records as text, for the header decisions.
pub(super) fn decoded(complete: &[HeadRecord], enc: TextEncoding) -> Vec<Vec<String>> {
    complete
        .iter()
        .map(|r| {
            r.rec
                .iter()
                .map(|f| enc.decode_lossy(f).into_owned())
                .collect()
        })
        .collect()
}

/// How many leading records of the head are a spreadsheet's title block (0 for a plain CSV).
///
/// [`crate::source::header_find::find_header`] decides on the decoded head; on top of its rules a CSV
/// title line must look like a title and not like a lone column name: either it has a
/// different field count than the header, or its one filled field has several words. The
/// header must also have the field count of most records below it.
pub(super) fn csv_title_lines(complete: &[HeadRecord], enc: TextEncoding) -> usize {
    let rows = decoded(complete, enc);
    let k = crate::source::header_find::find_header(&rows);
    if k == 0 {
        return 0;
    }
    let width = complete[k].rec.len();
    let titles_ok = rows[..k].iter().zip(complete).all(|(row, rec)| {
        let text: Vec<&String> = row.iter().filter(|c| !c.trim().is_empty()).collect();
        text.is_empty()
            || rec.rec.len() != width
            || text.iter().all(|t| t.split_whitespace().nth(1).is_some())
    });
    let below = &complete[k + 1..];
    let same = below.iter().filter(|r| r.rec.len() == width).count();
    if titles_ok && same * 10 >= below.len() * 8 {
        k
    } else {
        0
    }
}

/// Trimmed, unique column names; an empty name becomes `colN`, a repeat `name_2`, `name_3`…
pub(crate) fn unique_names(raw: Vec<String>) -> Vec<String> {
    let mut used = HashSet::new();
    let mut out = Vec::with_capacity(raw.len());
    for (j, name) in raw.into_iter().enumerate() {
        let t = name.trim();
        let base = if t.is_empty() {
            format!("col{}", j + 1)
        } else {
            t.to_string()
        };
        let mut cand = base.clone();
        let mut k = 2;
        while used.contains(&cand) {
            cand = format!("{base}_{k}");
            k += 1;
        }
        used.insert(cand.clone());
        out.push(cand);
    }
    out
}

pub(super) fn delimiter_name(d: u8) -> String {
    match d {
        b'\t' => "TAB".to_string(),
        0x21..=0x7e => format!("'{}'", d as char),
        _ => format!("0x{d:02x}"),
    }
}
