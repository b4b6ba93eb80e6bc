//! The crate's integration tests, one module per file, built as one test binary (one link
//! and one copy of the generic arkworks code instead of one per file: CI time).

mod cipher_js;
mod cross_js;
mod escrow_core_js;
mod restore_js;
mod snarkjs;
