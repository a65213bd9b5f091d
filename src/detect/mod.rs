//! Detection: pattern packs, validators, folding, header synonyms, per-column profiles and
//! the classifier.
//!
//! ```text
//! patterns/ ──load──► PatternSet ──┐
//! cells ──────────► ColumnProfile ─┴─► classify ──► Classification
//! header ─────────► HeaderMatch ───┘
//! ```
pub mod category;
pub mod classify;
pub mod fold;
pub mod hash;
pub mod header;
pub mod patterns;
pub mod profile;
pub mod record_key;
pub mod sketch;
pub mod validators;

pub use category::{Category, Role};
pub use classify::{Classification, Evidence, classify};
pub use patterns::PatternSet;
pub use profile::{ColumnProfile, Scratch};
