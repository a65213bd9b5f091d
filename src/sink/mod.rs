//! Writers. Every output is written through [`atomic::AtomicFile`].
pub mod atomic;
