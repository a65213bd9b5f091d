//! anonkos finds personal and sensitive data in tabular data and makes it safe to reuse.
//!
//! Data flows one way:
//!
//! ```text
//! source ──► detect ──► classify ──► plan ──► transform ──► sink
//!                                  └──────────────► report
//! ```
//!
//! * [`source`] reads CSV and Parquet into bounded [`value::Batch`]es (Arrow arrays plus the
//!   row offset of the first row, so every error can name a row);
//! * [`detect`] loads the pattern packs in `patterns/` (identifiers with check digits,
//!   vocabularies, header synonyms, municipalities, names), scans cells and classifies every
//!   column into the category vocabulary of the design (`detect::Category`);
//! * [`report`] turns the classification into the `anonkos.scan/v1` JSON contract, a Markdown
//!   report or a terminal table;
//! * [`stream`] applies a pipeline's row-local transforms to Arrow IPC streams, for
//!   distributed engines (Spark `mapInArrow`).
//!
//! The engine never depends on the CLI: [`scan::Scanner`] is the entry point for library users.
#![warn(missing_docs, clippy::unwrap_used)]

pub mod cli;
pub mod config;
pub mod detect;
pub mod digest;
pub mod error;
pub mod incremental;
pub mod interrupt;
pub mod key;
pub mod plan;
pub mod privacy;
pub mod progress;
pub mod redact;
pub mod report;
pub mod run;
pub mod sample;
pub mod scan;
pub mod sink;
pub mod source;
pub mod stream;
pub mod transform;
pub mod value;

pub use error::{Error, Location, Result};
