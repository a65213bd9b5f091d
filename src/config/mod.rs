//! Configuration files: pipeline TOML ([`pipeline`]). Unknown keys are rejected with the line
//! they are on and a "did you mean" hint ([`hint`]).
pub mod declare;
pub mod hint;
pub mod pipeline;
