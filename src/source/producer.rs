//! A [`Producer`] runs a blocking row reader (an SQLite statement, a PostgreSQL `COPY`, a MySQL
//! result set) on its own thread and hands its batches over a bounded channel.
//!
//! Database drivers stream rows through cursors that borrow their connection, which a
//! [`Source`] cannot hold across `next_batch` calls; a thread that owns both
//! connection and cursor can. The thread starts lazily on the first batch (so opening a
//! database with many tables opens no per-table connections up front), at most two batches are
//! in flight, and dropping the producer stops the thread at its next batch.
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use arrow_schema::SchemaRef;

use crate::error::{Error, Result};
use crate::source::{DatasetInfo, RowCount, Source};
use crate::value::Batch;

/// What the reader thread sends.
enum Event {
    Batch(Batch),
    Note(String),
    End(Option<RowCount>),
}

/// The reader thread's handle for sending batches and notes.
pub struct Emit {
    tx: SyncSender<Result<Event>>,
}

impl Emit {
    /// Send one batch. Fails when the consumer has gone away; the reader should then stop.
    pub fn batch(&self, batch: Batch) -> Result<()> {
        self.tx
            .send(Ok(Event::Batch(batch)))
            .map_err(|_| Error::Internal("batch consumer went away".into()))
    }

    /// Attach a note (e.g. "blob values shown as hex") to the dataset.
    pub fn note(&self, note: impl Into<String>) -> Result<()> {
        self.tx
            .send(Ok(Event::Note(note.into())))
            .map_err(|_| Error::Internal("batch consumer went away".into()))
    }
}

type Job = Box<dyn FnOnce(&Emit) -> Result<Option<RowCount>> + Send + 'static>;

/// A lazily started reader thread; see the module docs.
pub struct Producer {
    name: String,
    job: Option<Job>,
    rx: Option<Receiver<Result<Event>>>,
    total: Option<RowCount>,
    notes: Vec<String>,
    finished: bool,
}

impl Producer {
    /// A producer that runs `job` on a thread named `name` when the first batch is asked
    /// for. The job sends batches through [`Emit`] and returns the dataset's row count.
    pub fn new(
        name: impl Into<String>,
        job: impl FnOnce(&Emit) -> Result<Option<RowCount>> + Send + 'static,
    ) -> Self {
        Producer {
            name: name.into(),
            job: Some(Box::new(job)),
            rx: None,
            total: None,
            notes: Vec::new(),
            finished: false,
        }
    }

    /// The next batch, `None` at the end. Notes sent by the job are collected on the way
    /// (see [`Producer::take_notes`]).
    pub fn next_batch(&mut self) -> Result<Option<Batch>> {
        if self.finished {
            return Ok(None);
        }
        if let Some(job) = self.job.take() {
            let (tx, rx) = sync_channel(2);
            std::thread::Builder::new()
                .name(format!("anonkos-{}", self.name))
                .spawn(move || {
                    let emit = Emit { tx };
                    let end = job(&emit).map(Event::End);
                    // The consumer may be gone; then there is nobody left to tell.
                    let _ = emit.tx.send(end);
                })
                .map_err(|e| Error::Internal(format!("starting a reader thread: {e}")))?;
            self.rx = Some(rx);
        }
        let Some(rx) = &self.rx else {
            return Ok(None);
        };
        loop {
            match rx.recv() {
                Ok(Ok(Event::Batch(b))) => return Ok(Some(b)),
                Ok(Ok(Event::Note(n))) => {
                    if !self.notes.contains(&n) {
                        self.notes.push(n);
                    }
                }
                Ok(Ok(Event::End(total))) => {
                    self.finished = true;
                    self.total = total;
                    return Ok(None);
                }
                Ok(Err(e)) => {
                    self.finished = true;
                    return Err(e);
                }
                Err(_) => {
                    self.finished = true;
                    return Err(Error::Internal(format!(
                        "the reader thread for {} stopped unexpectedly",
                        self.name
                    )));
                }
            }
        }
    }

    /// The row count the job returned, once it has finished.
    pub fn rows_total(&self) -> Option<RowCount> {
        self.total
    }

    /// Notes received since the last call.
    pub fn take_notes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notes)
    }
}

/// A [`Source`] for one table whose rows come from a [`Producer`].
pub struct ProducerSource {
    info: DatasetInfo,
    schema: SchemaRef,
    producer: Producer,
}

impl ProducerSource {
    /// A source named by `info` with columns `schema`, read by `producer`.
    pub fn new(info: DatasetInfo, schema: SchemaRef, producer: Producer) -> Self {
        ProducerSource {
            info,
            schema,
            producer,
        }
    }
}

impl Source for ProducerSource {
    fn info(&self) -> &DatasetInfo {
        &self.info
    }

    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn next_batch(&mut self) -> Result<Option<Batch>> {
        let next = self.producer.next_batch();
        for n in self.producer.take_notes() {
            if !self.info.notes.contains(&n) {
                self.info.notes.push(n);
            }
        }
        next
    }

    fn rows_total(&self) -> Option<RowCount> {
        self.producer.rows_total()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::source::rows::{RowBatcher, text_schema};

    #[test]
    fn streams_batches_notes_and_total() {
        let schema = text_schema(&[("a", None::<&str>)]);
        let mut p = Producer::new("t", move |emit| {
            let mut b = RowBatcher::new(schema, 2);
            emit.note("hello")?;
            for i in 0..5 {
                b.push(&[Some(i.to_string())]);
                if b.is_full()
                    && let Some(batch) = b.take()?
                {
                    emit.batch(batch)?;
                }
            }
            if let Some(batch) = b.take()? {
                emit.batch(batch)?;
            }
            Ok(Some(RowCount::Exact(5)))
        });
        let mut rows = 0;
        while let Some(b) = p.next_batch().unwrap() {
            rows += b.num_rows();
        }
        assert_eq!(rows, 5);
        assert_eq!(p.rows_total(), Some(RowCount::Exact(5)));
        assert_eq!(p.take_notes(), vec!["hello".to_string()]);
        assert!(p.next_batch().unwrap().is_none());
    }

    #[test]
    fn errors_and_early_drop() {
        let mut p = Producer::new("e", |_| Err(Error::Internal("boom".into())));
        assert!(p.next_batch().is_err());
        assert!(p.next_batch().unwrap().is_none());
        // Dropping before the end must not hang.
        let schema = text_schema(&[("a", None::<&str>)]);
        let mut p = Producer::new("d", move |emit| {
            let mut b = RowBatcher::new(schema, 1);
            loop {
                b.push(&[Some("x")]);
                if let Some(batch) = b.take()? {
                    emit.batch(batch)?;
                }
            }
        });
        assert!(p.next_batch().unwrap().is_some());
        drop(p);
    }
}
