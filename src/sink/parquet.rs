//! Parquet output: one table, Arrow types kept, zstd compression, row groups of 128 Ki rows
//! (bounded writer memory). Text columns are dictionary-encoded only where the first batch
//! repeats values (`dictionary_pays`): on a column of unique values (tokens, personal
//! numbers, notes) the encoder interned every value of a row group and then dropped the
//! dictionary once it outgrew its page, which was most of the writer's time.
//!
//! A row group's columns are encoded in parallel (`RowGroups`): batches are held until the
//! group is full, then each column's writer takes its slices on its own thread and the
//! chunks are appended in column order. The bytes are those `ArrowWriter` writes (same
//! writers, same slices in the same order, same cuts); it encoded one column after another.
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{ArrowRowGroupWriterFactory, compute_leaves};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::ColumnPath;
use rayon::prelude::*;

use super::Writer;
use super::atomic::AtomicFile;
use crate::error::{Error, Result};

/// Rows per row group.
const ROW_GROUP_ROWS: usize = 128 * 1024;

/// Rows of the first batch sampled to judge a column's repeats.
const DICTIONARY_SAMPLE: usize = 4096;

/// Writes one table as Parquet.
pub struct ParquetWriter {
    path: PathBuf,
    file: Option<AtomicFile>,
    /// Set by `begin_table`; the writer itself is made at the first batch (or at commit for
    /// a table without rows), when the columns' repeats can be judged.
    schema: Option<SchemaRef>,
    out: Option<RowGroups>,
}

/// The file being written, row group by row group.
struct RowGroups {
    file: SerializedFileWriter<AtomicFile>,
    factory: ArrowRowGroupWriterFactory,
    schema: SchemaRef,
    /// Slices of batches of the row group being filled (shared buffers, not copies).
    pending: Vec<RecordBatch>,
    pending_rows: usize,
    written: usize,
}

impl RowGroups {
    fn write(&mut self, batch: &RecordBatch) -> parquet::errors::Result<()> {
        let mut rest = batch.clone();
        while rest.num_rows() > 0 {
            let take = (ROW_GROUP_ROWS - self.pending_rows).min(rest.num_rows());
            self.pending.push(rest.slice(0, take));
            self.pending_rows += take;
            rest = rest.slice(take, rest.num_rows() - take);
            if self.pending_rows >= ROW_GROUP_ROWS {
                self.flush()?;
            }
        }
        Ok(())
    }

    /// Encode the pending rows as one row group, a column per task.
    fn flush(&mut self) -> parquet::errors::Result<()> {
        if self.pending_rows == 0 {
            return Ok(());
        }
        let writers = self.factory.create_column_writers(self.written)?;
        let mut leaves: Vec<Vec<_>> = writers.iter().map(|_| Vec::new()).collect();
        for batch in &self.pending {
            let mut slot = leaves.iter_mut();
            for (field, column) in self.schema.fields().iter().zip(batch.columns()) {
                for leaf in compute_leaves(field.as_ref(), column)? {
                    slot.next()
                        .ok_or_else(|| {
                            parquet::errors::ParquetError::General(
                                "more leaves than column writers".into(),
                            )
                        })?
                        .push(leaf);
                }
            }
        }
        let chunks: Vec<_> = writers
            .into_par_iter()
            .zip(leaves)
            .map(|(mut w, leaves)| {
                for leaf in &leaves {
                    w.write(leaf)?;
                }
                w.close()
            })
            .collect();
        let mut group = self.file.next_row_group()?;
        for chunk in chunks {
            chunk?.append_to_row_group(&mut group)?;
        }
        group.close()?;
        self.pending.clear();
        self.pending_rows = 0;
        self.written += 1;
        Ok(())
    }

    /// Write the last row group and the footer; the file, ready to commit.
    fn finish(mut self) -> parquet::errors::Result<AtomicFile> {
        self.flush()?;
        self.file.into_inner()
    }
}

impl ParquetWriter {
    /// Start writing `path`.
    pub fn create(path: &Path) -> Result<Self> {
        Ok(ParquetWriter {
            path: path.to_path_buf(),
            file: Some(AtomicFile::create(path)?),
            schema: None,
            out: None,
        })
    }

    fn err(&self, e: impl std::fmt::Display) -> Error {
        Error::io(&self.path, std::io::Error::other(e.to_string()))
    }
}

impl ParquetWriter {
    /// Make the Arrow writer if not made yet, with dictionary encoding judged on `first`.
    fn start(&mut self, first: Option<&RecordBatch>) -> Result<()> {
        if self.out.is_some() {
            return Ok(());
        }
        let (Some(file), Some(schema)) = (self.file.take(), self.schema.clone()) else {
            return Err(Error::Internal("Parquet write before begin_table".into()));
        };
        let props = properties(&schema, first);
        // `ArrowWriter` makes the file's schema and its Arrow metadata; the row groups are
        // then written through its lower-level parts.
        let w = ArrowWriter::try_new(file, schema.clone(), Some(props)).map_err(|e| self.err(e))?;
        let (file, factory) = w.into_serialized_writer().map_err(|e| self.err(e))?;
        self.out = Some(RowGroups {
            file,
            factory,
            schema,
            pending: Vec::new(),
            pending_rows: 0,
            written: 0,
        });
        Ok(())
    }
}

/// Feed `add` the bytes of up to [`DICTIONARY_SAMPLE`] non-null values spread over `a`.
fn sample_bytes<T: arrow_array::types::ByteArrayType>(
    a: &arrow_array::GenericByteArray<T>,
    add: &mut impl FnMut(&[u8]),
) {
    let step = a.len().div_ceil(DICTIONARY_SAMPLE).max(1);
    for i in (0..a.len()).step_by(step).filter(|&i| a.is_valid(i)) {
        let v: &[u8] = a.value(i).as_ref();
        add(v);
    }
}

/// The writer's properties: zstd, [`ROW_GROUP_ROWS`], and a dictionary for the text columns
/// of `first` whose values repeat.
fn properties(schema: &SchemaRef, first: Option<&RecordBatch>) -> WriterProperties {
    let mut props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_created_by(format!("anonkos {}", env!("CARGO_PKG_VERSION")));
    if let Some(batch) = first {
        for (field, col) in schema.fields().iter().zip(batch.columns()) {
            if !dictionary_pays(col.as_ref()) {
                let name = ColumnPath::from(field.name().as_str());
                props = props.set_column_dictionary_enabled(name, false);
            }
        }
    }
    props.build()
}

/// Whether a column's values repeat enough for a dictionary: fewer distinct values than half
/// of up to [`DICTIONARY_SAMPLE`] rows spread over the batch. Only text and binary columns
/// are judged (the encodings of numbers and dates cost little either way); a column that
/// starts repeating later is still written correctly, only without a dictionary.
fn dictionary_pays(col: &dyn Array) -> bool {
    let mut seen = crate::detect::hash::FxHashSet::default();
    let mut sampled = 0usize;
    let mut add = |bytes: &[u8]| {
        sampled += 1;
        seen.insert(crate::detect::hash::hash_bytes(bytes));
    };
    match col.data_type() {
        DataType::Utf8 => sample_bytes(col.as_string::<i32>(), &mut add),
        DataType::LargeUtf8 => sample_bytes(col.as_string::<i64>(), &mut add),
        DataType::Binary => sample_bytes(col.as_binary::<i32>(), &mut add),
        DataType::LargeBinary => sample_bytes(col.as_binary::<i64>(), &mut add),
        _ => return true,
    }
    sampled < 16 || seen.len() * 2 <= sampled
}

impl Writer for ParquetWriter {
    fn begin_table(&mut self, _table: Option<&str>, schema: &SchemaRef) -> Result<()> {
        if self.file.is_none() || self.schema.is_some() {
            return Err(Error::Internal("a Parquet file holds one table".into()));
        }
        self.schema = Some(schema.clone());
        Ok(())
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.start(Some(batch))?;
        let w = self
            .out
            .as_mut()
            .ok_or_else(|| Error::Internal("Parquet write before begin_table".into()))?;
        match w.write(batch) {
            Ok(()) => Ok(()),
            Err(e) => Err(self.err(e)),
        }
    }

    fn end_table(&mut self) -> Result<()> {
        Ok(())
    }

    fn commit(mut self: Box<Self>) -> Result<()> {
        self.start(None)?;
        let w = self
            .out
            .take()
            .ok_or_else(|| Error::Internal("Parquet commit before begin_table".into()))?;
        let file = w.finish().map_err(|e| self.err(e))?;
        file.commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{ArrayRef, StringArray};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use std::sync::Arc;

    #[test]
    fn dictionary_only_where_values_repeat() {
        let unique = StringArray::from_iter_values((0..10_000).map(|i| format!("{i:010}")));
        let repeated = StringArray::from_iter_values((0..10_000).map(|i| ["F", "M"][i % 2]));
        let tenfold = StringArray::from_iter_values((0..10_000).map(|i| format!("{}", i % 1000)));
        assert!(!dictionary_pays(&unique));
        assert!(dictionary_pays(&repeated));
        assert!(
            dictionary_pays(&tenfold),
            "each value ten times, spread out"
        );
        assert!(dictionary_pays(&StringArray::from(vec!["a", "b", "c"])));
        assert!(dictionary_pays(&arrow_array::Int64Array::from(vec![
            1, 2, 3
        ])));
    }

    /// The values come back unchanged, the repeated column has a dictionary page and the
    /// unique one none.
    #[test]
    fn written_columns_round_trip_with_the_judged_encodings() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.parquet");
        let unique: ArrayRef = Arc::new(StringArray::from_iter(
            (0..5_000).map(|i| (i % 7 != 0).then(|| format!("id-{i}"))),
        ));
        let repeated: ArrayRef = Arc::new(StringArray::from_iter_values(
            (0..5_000).map(|i| ["Prishtinë", "Prizren", "Pejë"][i % 3]),
        ));
        let batch =
            RecordBatch::try_from_iter([("id", unique), ("komuna", repeated)]).expect("batch");
        let mut w = Box::new(ParquetWriter::create(&path).expect("create"));
        w.begin_table(None, &batch.schema()).expect("begin");
        w.write(&batch).expect("write");
        w.write(&batch.slice(10, 100)).expect("write");
        w.end_table().expect("end");
        w.commit().expect("commit");

        let file = std::fs::File::open(&path).expect("open");
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).expect("reader");
        let meta = builder.metadata().clone();
        let back: Vec<RecordBatch> = builder
            .build()
            .expect("build")
            .collect::<std::result::Result<_, _>>()
            .expect("read");
        let back = arrow_select::concat::concat_batches(&batch.schema(), &back).expect("concat");
        let want = arrow_select::concat::concat_batches(
            &batch.schema(),
            &[batch.clone(), batch.slice(10, 100)],
        )
        .expect("concat");
        assert_eq!(back, want);
        let rg = meta.row_group(0);
        assert!(
            rg.column(0).dictionary_page_offset().is_none(),
            "unique column"
        );
        assert!(
            rg.column(1).dictionary_page_offset().is_some(),
            "repeated column"
        );
    }

    /// Over several row groups, nulls, a nested column and batches cut anywhere, the file is
    /// byte for byte the one `ArrowWriter` writes with the same properties.
    #[test]
    fn parallel_row_groups_write_the_bytes_of_arrow_writer() {
        let n = 3 * ROW_GROUP_ROWS + 777;
        let ids: ArrayRef = Arc::new(StringArray::from_iter(
            (0..n).map(|i| (i % 11 != 0).then(|| format!("{:010}", i * 7919))),
        ));
        let town: ArrayRef = Arc::new(StringArray::from_iter_values(
            (0..n).map(|i| ["Prishtinë", "Prizren", "Pejë", "Gjakovë"][i % 4]),
        ));
        let age: ArrayRef = Arc::new(arrow_array::Int32Array::from_iter(
            (0..n).map(|i| (i % 13 != 0).then_some((i % 97) as i32)),
        ));
        let nested: ArrayRef = Arc::new(arrow_array::StructArray::from(vec![(
            Arc::new(arrow_schema::Field::new("x", DataType::Int64, false)),
            Arc::new(arrow_array::Int64Array::from_iter_values(
                (0..n as i64).map(|i| i / 3),
            )) as ArrayRef,
        )]));
        let all = RecordBatch::try_from_iter([
            ("id", ids),
            ("komuna", town),
            ("age", age),
            ("s", nested),
        ])
        .expect("batch");
        let mut cuts = vec![0usize];
        let mut at = 0;
        for step in [5_000, 1, 70_000, 131_071, 2, 65_536].iter().cycle() {
            at = (at + step).min(n);
            cuts.push(at);
            if at == n {
                break;
            }
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let ours = dir.path().join("ours.parquet");
        let mut w = Box::new(ParquetWriter::create(&ours).expect("create"));
        w.begin_table(None, &all.schema()).expect("begin");
        for win in cuts.windows(2) {
            w.write(&all.slice(win[0], win[1] - win[0])).expect("write");
        }
        w.commit().expect("commit");

        let first = all.slice(0, 5_000);
        assert!(
            !dictionary_pays(first.column(0).as_ref()),
            "the ids go without"
        );
        let props = properties(&all.schema(), Some(&first));
        let mut plain = Vec::new();
        let mut aw = ArrowWriter::try_new(&mut plain, all.schema(), Some(props)).expect("writer");
        for win in cuts.windows(2) {
            aw.write(&all.slice(win[0], win[1] - win[0]))
                .expect("write");
        }
        aw.close().expect("close");
        let got = std::fs::read(&ours).expect("read");
        assert!(got == plain, "{} vs {} bytes", got.len(), plain.len());
    }

    #[test]
    fn a_table_without_rows_is_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("empty.parquet");
        let schema = Arc::new(arrow_schema::Schema::new(vec![arrow_schema::Field::new(
            "a",
            DataType::Utf8,
            true,
        )]));
        let mut w = Box::new(ParquetWriter::create(&path).expect("create"));
        w.begin_table(None, &schema).expect("begin");
        w.commit().expect("commit");
        let file = std::fs::File::open(&path).expect("open");
        let b = ParquetRecordBatchReaderBuilder::try_new(file).expect("reader");
        assert_eq!(b.schema().fields().len(), 1);
        assert_eq!(b.metadata().file_metadata().num_rows(), 0);
    }
}
