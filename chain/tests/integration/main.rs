//! The crate's integration tests, one module per file, built as one test binary (one link
//! and one copy of the generic arkworks code instead of one per file: CI time).

mod common;
mod escrow_registry;
mod export_verifier;
mod gas;
mod gate_delta;
mod gate_flow;
mod gate_soundness;
mod rpc_anvil;
