//! The crate's integration tests, one module per file, built as one test binary (one link
//! and one copy of the generic arkworks code instead of one per file: CI time).

mod engine;
mod escrow;
mod estimate;
mod matrices;
mod prove;
mod reuse;
mod run;
mod tables;
