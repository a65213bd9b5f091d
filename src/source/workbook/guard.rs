//! Checks a workbook before calamine reads it, and reads what calamine does not expose.
//!
//! - **Container.** An OLE2 (CFB) file is an `.xls` workbook, or an encrypted (password
//!   protected) `.xlsx`: Office stores those as CFB with an `EncryptionInfo` stream. A zip that
//!   does not open (no central directory: truncated or corrupt) is refused before calamine.
//! - **Zip bombs.** Every sheet part is decompressed here first through a counting reader that
//!   stops at [`MAX_PART_BYTES`] (the real bytes, not the size the zip declares), and a part
//!   whose declared size is above the cap or whose declared ratio is above [`MAX_RATIO`] is
//!   refused without decompressing anything. So calamine later parses at most the cap.
//! - **Dimension claims.** A sheet whose `<dimension ref>` claims more than [`MAX_CLAIMED_CELLS`]
//!   cells (e.g. `A1:XFD1048576`, 16,384 × 1,048,576) is refused naming the sheet.
//! - **What calamine does not expose.** Hidden columns (`<col hidden="1">`) and merged cells
//!   (`<mergeCell ref>`, which sit after the rows) are collected in the same pass, so the
//!   sheet is decompressed twice in total (here and by calamine), but parsed in full once.
//!   An ods `content.xml` gives its hidden columns (`table:visibility="collapse"`) the same
//!   way. An xls file keeps them in binary `COLINFO` records that calamine reads past without
//!   exposing; decoding BIFF8 records here would be a second xls parser, so xls columns are
//!   never marked hidden (they are read and scanned all the same).
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;

use quick_xml::events::{BytesStart, Event};

use crate::source::csv::MAX_COLUMNS;

/// Most decompressed bytes of one part (a sheet's XML, the shared strings, an ODS
/// `content.xml`): 1 GiB holds about 5 million rows of ten cells, far more than a sheet's
/// 1,048,576-row limit needs in practice; past it the workbook is refused.
pub const MAX_PART_BYTES: u64 = 1 << 30;
/// Highest declared decompressed/compressed ratio accepted for parts above 16 MiB. Real sheet
/// XML compresses 5–30×; a highly repetitive one reaches about 100×; deflate's ceiling is
/// about 1,032×, which is what bombs use.
pub const MAX_RATIO: u64 = 250;
/// Most cells a sheet's dimension tag may claim: 2^31 (16,384 × 131,072); the full grid of
/// 16,384 × 1,048,576 is only ever claimed by broken or hostile files.
pub const MAX_CLAIMED_CELLS: u64 = 1 << 31;
/// Most decompressed bytes of the workbook's own small parts (`xl/workbook.xml` and its
/// relationships), which are parsed as whole XML events.
const MAX_SMALL_PART_BYTES: u64 = 64 << 20;
/// Longest single tag the sheet scanner accepts (a `<col>` or `<mergeCell>` is tens of bytes).
const MAX_TAG_BYTES: usize = 1 << 20;
/// Most merged ranges kept per sheet; more are ignored (with a note).
pub const MAX_MERGES: usize = 100_000;

/// The container kinds calamine reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookKind {
    /// Office Open XML (`.xlsx`, `.xlsm`).
    Xlsx,
    /// BIFF (`.xls`).
    Xls,
    /// OpenDocument (`.ods`).
    Ods,
}

impl BookKind {
    /// The name used in notes.
    pub fn name(self) -> &'static str {
        match self {
            BookKind::Xlsx => "xlsx",
            BookKind::Xls => "xls",
            BookKind::Ods => "ods",
        }
    }
}

/// A merged range, 0-based and inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Merge {
    /// First row.
    pub top: u32,
    /// First column.
    pub left: u32,
    /// Last row.
    pub bottom: u32,
    /// Last column.
    pub right: u32,
}

/// What the guard learnt about one sheet.
#[derive(Debug, Clone, Default)]
pub struct SheetMeta {
    /// Hidden columns, 0-based.
    pub hidden_cols: Vec<u32>,
    /// Merged ranges (at most [`MAX_MERGES`]).
    pub merges: Vec<Merge>,
    /// Whether merged ranges were left out past [`MAX_MERGES`].
    pub merges_truncated: bool,
    /// Rows claimed by the dimension tag (an estimate for sampling), if any.
    pub claimed_rows: Option<u64>,
}

const CFB_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

/// The container of the file at `path`, from its first bytes. Errors are plain messages (the
/// caller names the file).
pub fn container(path: &Path) -> std::result::Result<BookKind, String> {
    let mut f = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let mut head = [0u8; 8];
    let n = f.read(&mut head).map_err(|e| format!("cannot read: {e}"))?;
    let head = &head[..n];
    if head.starts_with(CFB_MAGIC) {
        if cfb_has_encryption(&mut f)? {
            return Err(
                "the workbook is encrypted (password protected); save an unprotected \
                        copy to scan it"
                    .into(),
            );
        }
        return Ok(BookKind::Xls);
    }
    if !head.starts_with(b"PK") {
        return Err("not a workbook: neither a zip (xlsx, ods) nor an OLE2 (xls) file".into());
    }
    let zip = zip::ZipArchive::new(BufReader::new(
        File::open(path).map_err(|e| format!("cannot open: {e}"))?,
    ))
    .map_err(|e| format!("not a complete zip archive (truncated or corrupt): {e}"))?;
    let names: Vec<String> = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .collect();
    if names.iter().any(|n| n.starts_with("xl/")) {
        Ok(BookKind::Xlsx)
    } else if names.iter().any(|n| n == "content.xml") {
        Ok(BookKind::Ods)
    } else {
        Err("a zip archive without a workbook inside (no xl/workbook.xml or content.xml)".into())
    }
}

/// Whether an OLE2 file holds an `EncryptionInfo` stream (its directory stores names in
/// UTF-16LE). Reads at most the first 8 MiB: the directory of an encrypted package sits near
/// its start.
fn cfb_has_encryption(f: &mut File) -> std::result::Result<bool, String> {
    f.rewind().map_err(|e| format!("cannot read: {e}"))?;
    let mut buf = Vec::new();
    f.take(8 << 20)
        .read_to_end(&mut buf)
        .map_err(|e| format!("cannot read: {e}"))?;
    let needle: Vec<u8> = "EncryptionInfo"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    Ok(memchr::memmem::find(&buf, &needle).is_some())
}

/// Reads at most `cap` bytes, then fails: the real decompressed size is what is bounded.
struct Capped<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Err(std::io::Error::other(format!(
                "decompresses to more than {} MiB",
                MAX_PART_BYTES >> 20
            )));
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

type Archive = zip::ZipArchive<BufReader<File>>;

/// Refuse a part whose declared size or ratio is out of bounds (before decompressing it).
fn check_declared(zip: &mut Archive, part: &str) -> std::result::Result<(), String> {
    let f = match zip.by_name(part) {
        Ok(f) => f,
        Err(zip::result::ZipError::FileNotFound) => return Ok(()),
        Err(e) => return Err(format!("part {part}: {e}")),
    };
    if f.encrypted() {
        return Err(format!("part {part} is encrypted"));
    }
    let (size, packed) = (f.size(), f.compressed_size().max(1));
    if size > MAX_PART_BYTES {
        return Err(format!(
            "part {part} declares {} MiB of XML; at most {} MiB are read (a zip bomb or an \
             oversized sheet)",
            size >> 20,
            MAX_PART_BYTES >> 20
        ));
    }
    if size > (16 << 20) && size / packed > MAX_RATIO {
        return Err(format!(
            "part {part} expands {}× ({} MiB from {} KiB): refused as a zip bomb",
            size / packed,
            size >> 20,
            packed >> 10
        ));
    }
    Ok(())
}

/// Decompress `part` fully through the cap (the real size is checked, not the declared one).
pub fn drain_part(zip: &mut Archive, part: &str) -> std::result::Result<(), String> {
    check_declared(zip, part)?;
    let f = match zip.by_name(part) {
        Ok(f) => f,
        Err(zip::result::ZipError::FileNotFound) => return Ok(()),
        Err(e) => return Err(format!("part {part}: {e}")),
    };
    let mut r = Capped {
        inner: f,
        left: MAX_PART_BYTES,
    };
    std::io::copy(&mut r, &mut std::io::sink()).map_err(|e| format!("part {part}: {e}"))?;
    Ok(())
}

/// Open the zip of an xlsx or ods workbook.
pub fn open_zip(path: &Path) -> std::result::Result<Archive, String> {
    let f = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    zip::ZipArchive::new(BufReader::new(f))
        .map_err(|e| format!("not a complete zip archive (truncated or corrupt): {e}"))
}

/// Sheet name → part path of an xlsx workbook (from `xl/workbook.xml` and its relationships).
pub fn xlsx_sheet_parts(zip: &mut Archive) -> std::result::Result<Vec<(String, String)>, String> {
    for part in ["xl/workbook.xml", "xl/_rels/workbook.xml.rels"] {
        check_declared(zip, part)?;
    }
    let mut rels: HashMap<String, String> = HashMap::new();
    each_start(zip, "xl/_rels/workbook.xml.rels", &mut |e| {
        if e.local_name().as_ref() == "Relationship" {
            let id = attr(e, "Id");
            let target = attr(e, "Target");
            if let (Some(id), Some(t)) = (id, target) {
                let path = match t.strip_prefix('/') {
                    Some(abs) => abs.to_string(),
                    None => format!("xl/{t}"),
                };
                rels.insert(id, path);
            }
        }
        Ok(true)
    })?;
    let mut out = Vec::new();
    each_start(zip, "xl/workbook.xml", &mut |e| {
        if e.local_name().as_ref() == "sheet" {
            let name = attr(e, "name");
            let rid = e.attributes().with_checks(false).flatten().find_map(|a| {
                let k = a.key.as_ref();
                (k == "r:id" || k.ends_with(":id") || k == "id").then(|| a.value.to_string())
            });
            if let (Some(n), Some(r)) = (name, rid)
                && let Some(p) = rels.get(&r)
            {
                out.push((n, p.clone()));
            }
        }
        Ok(true)
    })?;
    Ok(out)
}

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    let a = e.try_get_attribute(name).ok().flatten()?;
    let raw = a.value.to_string();
    Some(quick_xml::escape::unescape(&raw).map_or_else(|_| raw.clone(), |v| v.into_owned()))
}

/// Call `f` on every start (or empty) element of `part`, through the size cap, until it
/// returns `Ok(false)`.
fn each_start(
    zip: &mut Archive,
    part: &str,
    f: &mut dyn FnMut(&BytesStart<'_>) -> std::result::Result<bool, String>,
) -> std::result::Result<(), String> {
    let file = match zip.by_name(part) {
        Ok(file) => file,
        Err(zip::result::ZipError::FileNotFound) => return Ok(()),
        Err(e) => return Err(format!("part {part}: {e}")),
    };
    let capped = Capped {
        inner: file,
        left: MAX_SMALL_PART_BYTES,
    };
    let mut xml = quick_xml::Reader::from_reader(BufReader::with_capacity(64 * 1024, capped));
    let mut buf = Vec::with_capacity(1024);
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) => {
                if !f(&e)? {
                    return Ok(());
                }
            }
            Ok(Event::Eof) => return Ok(()),
            Ok(_) => {}
            Err(e) => return Err(format!("part {part}: malformed XML ({e})")),
        }
    }
}

/// Check one xlsx sheet part and collect its hidden columns and merged ranges.
///
/// A tag scanner rather than an XML parser: text between tags is skipped without being
/// buffered, so a sheet of gigabytes of one text run costs no memory (an XML reader would
/// gather the run into one event).
pub fn xlsx_sheet(zip: &mut Archive, part: &str) -> std::result::Result<SheetMeta, String> {
    let mut meta = SheetMeta::default();
    scan_part(
        zip,
        part,
        &[b"dimension", b"col", b"mergeCell"],
        &mut |tag| sheet_tag(tag, &mut meta),
    )?;
    meta.hidden_cols.sort_unstable();
    meta.hidden_cols.dedup();
    Ok(meta)
}

/// Check an ods workbook's `content.xml` (through the same caps as a sheet part) and collect
/// each sheet's hidden columns, by sheet name: calamine exposes none. A column is hidden when
/// its `<table:table-column>` says `table:visibility="collapse"` (or `"filter"`); columns are
/// counted with their `table:number-columns-repeated`.
pub fn ods_sheets(zip: &mut Archive) -> std::result::Result<Vec<(String, SheetMeta)>, String> {
    let mut out: Vec<(String, SheetMeta)> = Vec::new();
    let mut col = 0u32;
    scan_part(
        zip,
        "content.xml",
        &[b"table", b"table-column"],
        &mut |tag| {
            let name = tag
                .split(|c: char| c.is_whitespace() || c == '/')
                .next()
                .unwrap_or("");
            match name.rsplit(':').next().unwrap_or(name) {
                "table" if !tag.starts_with('/') => {
                    let sheet = tag_attr(tag, "table:name").unwrap_or_default();
                    let sheet = quick_xml::escape::unescape(sheet)
                        .map_or_else(|_| sheet.to_string(), |v| v.into_owned());
                    out.push((sheet, SheetMeta::default()));
                    col = 0;
                }
                "table-column" => {
                    let repeated = tag_attr(tag, "table:number-columns-repeated")
                        .and_then(|v| v.parse::<u32>().ok())
                        .unwrap_or(1);
                    let end = col.saturating_add(repeated).min(MAX_COLUMNS as u32);
                    let hidden = tag_attr(tag, "table:visibility")
                        .is_some_and(|v| v == "collapse" || v == "filter");
                    if hidden && let Some((_, meta)) = out.last_mut() {
                        meta.hidden_cols.extend(col..end);
                    }
                    col = end;
                }
                _ => {}
            }
            Ok(())
        },
    )?;
    Ok(out)
}

/// Decompress `part` through the caps and hand every tag whose local name is in `wanted` to
/// `f` (see [`scan_tags`]).
fn scan_part(
    zip: &mut Archive,
    part: &str,
    wanted: &[&[u8]],
    f: &mut dyn FnMut(&str) -> std::result::Result<(), String>,
) -> std::result::Result<(), String> {
    check_declared(zip, part)?;
    let file = match zip.by_name(part) {
        Ok(file) => file,
        Err(e) => return Err(format!("part {part}: {e}")),
    };
    let mut r = Capped {
        inner: file,
        left: MAX_PART_BYTES,
    };
    let mut buf: Vec<u8> = Vec::with_capacity(128 * 1024);
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = r
            .read(&mut chunk)
            .map_err(|e| format!("part {part}: {e}"))?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        let done = scan_tags(&buf, wanted, f)?;
        buf.drain(..done);
        if buf.len() > MAX_TAG_BYTES {
            return Err(format!(
                "part {part}: a tag longer than 1 MiB (malformed XML)"
            ));
        }
    }
    Ok(())
}

/// Hand every complete tag of `buf` (the text between `<` and `>`) whose local name is in
/// `wanted` to `f`; returns how many bytes were consumed (up to the start of an incomplete last
/// tag).
fn scan_tags(
    buf: &[u8],
    wanted: &[&[u8]],
    f: &mut dyn FnMut(&str) -> std::result::Result<(), String>,
) -> std::result::Result<usize, String> {
    let mut at = 0;
    while let Some(lt) = memchr::memchr(b'<', &buf[at..]) {
        let start = at + lt;
        let Some(gt) = memchr::memchr(b'>', &buf[start..]) else {
            return Ok(start);
        };
        let tag = &buf[start + 1..start + gt];
        // Only the few tags of interest are decoded.
        let name_end = tag
            .iter()
            .position(|b| b.is_ascii_whitespace() || *b == b'/')
            .unwrap_or(tag.len());
        let name = &tag[..name_end];
        let local = name.rsplit(|b| *b == b':').next().unwrap_or(name);
        if wanted.contains(&local) {
            f(&String::from_utf8_lossy(tag))?;
        }
        at = start + gt + 1;
    }
    Ok(buf.len())
}

/// `name="value"` of a tag's text.
fn tag_attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let mut rest = tag;
    loop {
        let i = rest.find(name)?;
        let before = rest[..i].chars().next_back();
        let after = &rest[i + name.len()..];
        if before.is_some_and(char::is_whitespace)
            && let Some(v) = after.trim_start().strip_prefix('=')
        {
            let v = v.trim_start();
            let q = v.chars().next()?;
            if q == '"' || q == '\'' {
                let body = &v[1..];
                return body.find(q).map(|end| &body[..end]);
            }
        }
        rest = after;
    }
}

fn sheet_tag(tag: &str, meta: &mut SheetMeta) -> std::result::Result<(), String> {
    let name = tag
        .split(|c: char| c.is_whitespace() || c == '/')
        .next()
        .unwrap_or("");
    let local = name.rsplit(':').next().unwrap_or(name);
    match local {
        "dimension" => {
            if let Some(m) = tag_attr(tag, "ref").and_then(parse_range) {
                let rows = u64::from(m.bottom - m.top) + 1;
                let cols = u64::from(m.right - m.left) + 1;
                if rows * cols > MAX_CLAIMED_CELLS || cols > MAX_COLUMNS as u64 {
                    return Err(format!(
                        "its dimension tag claims {cols} columns × {rows} rows ({} cells); at \
                         most {MAX_CLAIMED_CELLS} cells and {MAX_COLUMNS} columns are read per \
                         sheet",
                        rows * cols
                    ));
                }
                meta.claimed_rows = Some(u64::from(m.bottom) + 1);
            }
        }
        "col" if tag_attr(tag, "hidden").is_some_and(|h| h == "1" || h == "true") => {
            let min = tag_attr(tag, "min").and_then(|v| v.parse::<u32>().ok());
            let max = tag_attr(tag, "max").and_then(|v| v.parse::<u32>().ok());
            if let (Some(a), Some(b)) = (min, max) {
                let b = b.min(MAX_COLUMNS as u32);
                meta.hidden_cols.extend(a.saturating_sub(1)..b);
            }
        }
        "mergeCell" => {
            if meta.merges.len() >= MAX_MERGES {
                meta.merges_truncated = true;
            } else if let Some(m) = tag_attr(tag, "ref").and_then(parse_range) {
                meta.merges.push(m);
            }
        }
        _ => {}
    }
    Ok(())
}

/// `B3:D7` (or `B3`) as a 0-based inclusive range.
pub fn parse_range(r: &str) -> Option<Merge> {
    let (a, b) = r.split_once(':').unwrap_or((r, r));
    let (r1, c1) = parse_cell(a)?;
    let (r2, c2) = parse_cell(b)?;
    Some(Merge {
        top: r1.min(r2),
        left: c1.min(c2),
        bottom: r1.max(r2),
        right: c1.max(c2),
    })
}

/// `AB12` → (11, 27).
fn parse_cell(s: &str) -> Option<(u32, u32)> {
    let s = s.trim().replace('$', "");
    let split = s.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = s.split_at(split);
    if letters.is_empty() || letters.len() > 3 {
        return None;
    }
    let mut col: u32 = 0;
    for c in letters.chars() {
        if !c.is_ascii_alphabetic() {
            return None;
        }
        col = col * 26 + (c.to_ascii_uppercase() as u32 - 'A' as u32 + 1);
    }
    let row: u32 = digits.parse().ok()?;
    if row == 0 || col == 0 {
        return None;
    }
    Some((row - 1, col - 1))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(
            parse_range("B3:D7").unwrap(),
            Merge {
                top: 2,
                left: 1,
                bottom: 6,
                right: 3
            }
        );
        let full = parse_range("A1:XFD1048576").unwrap();
        assert_eq!((full.right + 1, full.bottom + 1), (16_384, 1_048_576));
        assert!(parse_range("A0").is_none());
        assert!(parse_range("1A").is_none());
        assert!(parse_range("ABCD1").is_none());
    }

    #[test]
    fn tags_across_chunks() {
        let xml = br#"<worksheet><dimension ref="A1:C3"/><cols><col min="2" max="3" hidden="1" width="0"/></cols><sheetData>   lots of text   </sheetData><mergeCells><x:mergeCell ref="A1:C1"/></mergeCells>"#;
        let mut meta = SheetMeta::default();
        let mut buf = Vec::new();
        for piece in xml.chunks(7) {
            buf.extend_from_slice(piece);
            let wanted: &[&[u8]] = &[b"dimension", b"col", b"mergeCell"];
            let done = scan_tags(&buf, wanted, &mut |t| sheet_tag(t, &mut meta)).unwrap();
            buf.drain(..done);
        }
        assert_eq!(meta.hidden_cols, vec![1, 2]);
        assert_eq!(meta.merges.len(), 1);
        assert_eq!(meta.claimed_rows, Some(3));
        let mut m = SheetMeta::default();
        assert!(sheet_tag(r#"dimension ref="A1:XFD1048576""#, &mut m).is_err());
        assert_eq!(tag_attr(r#"col min="1" hidden='1'"#, "hidden"), Some("1"));
        assert_eq!(tag_attr(r#"col xhidden="1""#, "hidden"), None);
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // a throw-away fixture, not an output
    fn ods_hidden_columns() {
        let xml = r#"<office:spreadsheet><table:table table:name="A &amp; B"><table:table-column table:number-columns-repeated="2"/><table:table-column table:visibility="collapse" table:number-columns-repeated="2"/><table:table-column/><table:table-column table:visibility="collapse" table:number-columns-repeated="99999"/><table:table-row><table:table-cell/></table:table-row></table:table><table:table table:name="Dy"><table:table-header-columns><table:table-column table:visibility="collapse"/></table:table-header-columns></table:table></office:spreadsheet>"#;
        let path = std::env::temp_dir().join(format!("ods-guard-{}.zip", std::process::id()));
        {
            let mut w = zip::ZipWriter::new(File::create(&path).unwrap());
            w.start_file("content.xml", zip::write::SimpleFileOptions::default())
                .unwrap();
            std::io::Write::write_all(&mut w, xml.as_bytes()).unwrap();
            w.finish().unwrap();
        }
        let sheets = ods_sheets(&mut open_zip(&path).unwrap()).unwrap();
        let _ = std::fs::remove_file(&path);
        assert_eq!(sheets.len(), 2);
        assert_eq!(sheets[0].0, "A & B");
        let hidden = &sheets[0].1.hidden_cols;
        assert_eq!(hidden[..3], [2, 3, 5]);
        assert_eq!(hidden.len(), 2 + (MAX_COLUMNS - 5));
        assert_eq!(
            (sheets[1].0.as_str(), &sheets[1].1.hidden_cols[..]),
            ("Dy", &[0][..])
        );
    }
}
