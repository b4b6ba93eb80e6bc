//! The crate's integration tests, one module per file, built as one test binary (one link
//! and one copy of the generic arkworks code instead of one per file: CI time).

mod backup_cli;
mod bench_cli;
mod ceremony_cli;
mod chain_cli;
mod check_cli;
mod cli_root;
mod common;
mod distributed_cli;
mod escrow_cli;
mod export_cli;
mod operator_cli;
mod prove_cli;
mod sync_cli;
mod verify_cli;
