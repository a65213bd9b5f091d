//! What row handling knows apart from the stream: the columns, the encoding, the limits; the
//! decoding of a record into the column builders, and the located errors.
use std::io;
use std::path::PathBuf;

use arrow_array::builder::StringBuilder;
use csv::ByteRecord;

use super::decimal;
use super::encoding::{ENCODING_HINT, TextEncoding};
use super::guard::Trip;
use super::input::Compression;
use super::stream::Stream;
use super::utf16;
use crate::error::{Error, Location, Result};

/// Everything row handling needs to know, apart from the stream.
pub(super) struct Ctx {
    pub(super) loc: Location,
    pub(super) path: PathBuf,
    pub(super) names: Vec<String>,
    pub(super) enc: TextEncoding,
    pub(super) enc_forced: bool,
    pub(super) compression: Compression,
    pub(super) max_field: usize,
    pub(super) has_header: bool,
    /// A title block sits above the header: the file is a published table, whose total rows
    /// at the end are not data even without a footnote (`tail.rs`).
    pub(super) titled: bool,
    pub(super) delim: u8,
    /// The text is transcoded (UTF-16): no file offsets, no seeking.
    pub(super) transcoded: bool,
    /// Columns read as decimal-comma numbers.
    pub(super) decimal: Option<decimal::DecimalCommas>,
}

impl Ctx {
    pub(super) fn column(&self, j: usize) -> String {
        self.names
            .get(j)
            .cloned()
            .unwrap_or_else(|| format!("col{}", j + 1))
    }

    pub(super) fn at(&self, row: u64, col: Option<usize>) -> Location {
        let loc = self.loc.at_row(row);
        match col {
            Some(j) => loc.in_column(self.column(j)),
            None => loc,
        }
    }

    /// Decode one record into the column builders, checking its shape.
    pub(super) fn append_row(
        &self,
        rec: &ByteRecord,
        row: u64,
        stream: &Stream,
        builders: &mut [StringBuilder],
    ) -> Result<()> {
        let estimated = stream.estimated;
        if rec.len() != builders.len() {
            return Err(self.ragged(row, rec.len(), estimated));
        }
        // A NUL byte means UTF-16 or binary data, not text; it would also break a PostgreSQL
        // output. The guard has looked for one in every byte read so far (a memchr per read,
        // not per record), so records need searching only once one turned up.
        if stream.rdr.get_ref().nul_seen && memchr::memchr(0, rec.as_slice()).is_some() {
            let j = rec
                .iter()
                .position(|f| memchr::memchr(0, f).is_some())
                .unwrap_or(0);
            return Err(Error::input(
                self.at(row, Some(j)),
                format!(
                    "NUL byte in the field: this is not a text file (UTF-16 or binary data?){}",
                    estimated_suffix(estimated)
                ),
            ));
        }
        // UTF-8 is validated once per record rather than once per field (and with SIMD, as
        // mixed Albanian text keeps leaving std's ASCII fast path): a slice of valid UTF-8 is
        // valid exactly when it starts and ends on character boundaries. A field that does not
        // (a character split by a delimiter) is invalid on its own, so from there on the
        // per-field path takes over and reports it as before.
        let mut done = 0;
        if self.enc == TextEncoding::Utf8
            && let Ok(text) = simdutf8::basic::from_utf8(rec.as_slice())
        {
            for (j, b) in builders.iter_mut().enumerate() {
                let Some(range) = rec.range(j) else { break };
                if range.len() > self.max_field {
                    return Err(self.too_large(row, j, range.len() as u64, true, estimated));
                }
                let Some(value) = text.get(range) else { break };
                match &self.decimal {
                    Some(d) => b.append_value(d.apply(j, value)),
                    None => b.append_value(value),
                }
                done = j + 1;
            }
        }
        let rest = rec.iter().zip(builders.iter_mut()).enumerate().skip(done);
        for (j, (field, b)) in rest {
            if field.len() > self.max_field {
                return Err(self.too_large(row, j, field.len() as u64, true, estimated));
            }
            match self.enc.decode(field) {
                Ok(s) => match &self.decimal {
                    Some(d) => b.append_value(d.apply(j, &s)),
                    None => b.append_value(s),
                },
                Err(at) => return Err(self.bad_utf8(row, j, at, estimated)),
            }
        }
        Ok(())
    }

    pub(super) fn ragged(&self, row: u64, found: usize, estimated: bool) -> Error {
        let n = self.names.len();
        let what = if self.has_header {
            "header"
        } else {
            "first row"
        };
        Error::input(
            self.at(row, None),
            format!(
                "expected {n} fields, found {found}: the row does not line up with the {what}; \
                 refusing to guess how its columns shift, as that would misclassify data{}",
                estimated_suffix(estimated)
            ),
        )
    }

    pub(super) fn too_large(
        &self,
        row: u64,
        j: usize,
        len: u64,
        exact: bool,
        estimated: bool,
    ) -> Error {
        Error::input(
            self.at(row, Some(j)),
            format!(
                "field of {}{len} bytes exceeds the limit of {} bytes{}",
                if exact { "" } else { "more than " },
                self.max_field,
                estimated_suffix(estimated)
            ),
        )
    }

    pub(super) fn bad_utf8(&self, row: u64, j: usize, at: usize, estimated: bool) -> Error {
        Error::input(
            self.at(row, Some(j)),
            format!(
                "invalid UTF-8 at byte {} of the field (the file was {} as UTF-8 but is not UTF-8 \
                 throughout); {ENCODING_HINT}{}",
                at + 1,
                if self.enc_forced {
                    "declared"
                } else {
                    "detected from its first 64 KiB"
                },
                estimated_suffix(estimated)
            ),
        )
    }

    pub(super) fn trip_error(&self, trip: Trip, s: &Stream) -> Error {
        match trip {
            Trip::TooLarge {
                record,
                field,
                len,
                complete,
            } => self.too_large(s.row_of_record(record), field, len, complete, s.estimated),
            Trip::Unterminated { record, field } => {
                let row = s.row_of_record(record);
                Error::input(
                    self.at(row, Some(field)),
                    format!(
                        "unterminated quoted field starting at row {row}, column \"{}\": the \
                         closing quote is missing, so the rest of the file would be one field{}",
                        self.column(field),
                        estimated_suffix(s.estimated)
                    ),
                )
            }
        }
    }

    /// An I/O error while reading the text.
    pub(super) fn read_error(&self, e: io::Error) -> Error {
        if let Some(u) = utf16::utf16_error(&e) {
            return Error::input(self.loc.clone(), u.to_string());
        }
        match self.compression {
            Compression::None => Error::io(&self.path, e),
            c => Error::input(
                self.loc.clone(),
                format!("cannot decompress the {} stream: {e}", c.name()),
            ),
        }
    }

    pub(super) fn csv_error(&self, e: csv::Error, s: &Stream) -> Error {
        if let Some(trip) = s.rdr.get_ref().failure {
            return self.trip_error(trip, s);
        }
        match e.into_kind() {
            // Its byte offset says where; the parser's row is ahead of the decoder's.
            csv::ErrorKind::Io(io) if utf16::utf16_error(&io).is_some() => self.read_error(io),
            csv::ErrorKind::Io(io) => match self.read_error(io) {
                Error::Input { msg, .. } => Error::input(self.at(s.next_row(), None), msg),
                other => other,
            },
            _ => Error::input(self.at(s.next_row(), None), "malformed CSV record"),
        }
    }
}

pub(super) fn estimated_suffix(estimated: bool) -> &'static str {
    if estimated {
        " (row number estimated: sampled read)"
    } else {
        ""
    }
}
