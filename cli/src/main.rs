//! `zkbackup`: prove in zero knowledge that an encrypted backup of a Merkle-committed state
//! is correct.
//!
//! Each verb lives in its own module under `cmd/` (its clap `Args` struct and a `run`
//! function); this file only parses and dispatches.
//!
//! # Exit codes
//!
//! - `0`: success.
//! - `1`: a failure that is not the input's fault (e.g. a proof that does not verify, a
//!   write that fails).
//! - `2`: bad input or usage: an invalid or unreadable input file, a bad argument, an
//!   output whose directory does not exist. Clap's own usage errors exit 2 as well. A command marks such errors by wrapping them in
//!   [`error::InputError`] (`result.input_error()?` or [`error::bad_input`]); `main` finds
//!   the mark anywhere in the error chain (see [`error::exit_code`]).
//!
//! A reader that closes stdout early (`| head`) is not an error: exit 0, nothing printed.
//!
//! Errors are printed to stderr as `error: ` followed by the error and its causes. Logs go
//! to stderr through `tracing`, filtered by `RUST_LOG` (default `warn`, i.e. quiet).

mod args;
mod cmd;
mod error;
mod keyfile;
mod progress;
mod snarkjs;

use clap::{Parser, Subcommand};
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

#[derive(Debug, Parser)]
#[command(name = "zkbackup", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Root(cmd::root::RootArgs),
    Keygen(cmd::keygen::KeygenArgs),
    Backup(cmd::backup::BackupArgs),
    Inspect(cmd::inspect::InspectArgs),
    Check(cmd::check::CheckArgs),
    Restore(cmd::restore::RestoreArgs),
    Setup(cmd::setup::SetupArgs),
    Ceremony(cmd::ceremony::CeremonyArgs),
    Prove(cmd::prove::ProveArgs),
    Verify(cmd::verify::VerifyArgs),
    ExportSnarkjs(cmd::export_snarkjs::ExportSnarkjsArgs),
    ExportR1cs(cmd::export_r1cs::ExportR1csArgs),
    ExportWtns(cmd::export_wtns::ExportWtnsArgs),
    Bench(cmd::bench::BenchArgs),
    Demo(cmd::demo::DemoArgs),
    Attest(cmd::attest::AttestArgs),
    ExportVerifier(cmd::export_verifier::ExportVerifierArgs),
    Sync(cmd::sync::SyncArgs),
    Escrow(cmd::escrow::EscrowArgs),
    Drill(cmd::escrow::drill::DrillArgs),
    Worker(cmd::worker::WorkerArgs),
}

fn main() -> ExitCode {
    init_tracing();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Root(args) => cmd::root::run(args),
        Command::Keygen(args) => cmd::keygen::run(args),
        Command::Backup(args) => cmd::backup::run(args),
        Command::Inspect(args) => cmd::inspect::run(args),
        Command::Check(args) => cmd::check::run(args),
        Command::Restore(args) => cmd::restore::run(args),
        Command::Setup(args) => cmd::setup::run(args),
        Command::Ceremony(args) => cmd::ceremony::run(args),
        Command::Prove(args) => cmd::prove::run(args),
        Command::Verify(args) => cmd::verify::run(args),
        Command::ExportSnarkjs(args) => cmd::export_snarkjs::run(args),
        Command::ExportR1cs(args) => cmd::export_r1cs::run(args),
        Command::ExportWtns(args) => cmd::export_wtns::run(args),
        Command::Bench(args) => cmd::bench::run(args),
        Command::Demo(args) => cmd::demo::run(args),
        Command::Attest(args) => cmd::attest::run(args),
        Command::ExportVerifier(args) => cmd::export_verifier::run(args),
        Command::Sync(args) => cmd::sync::run(args),
        Command::Escrow(args) => cmd::escrow::run(args),
        Command::Drill(args) => cmd::escrow::drill::run(args),
        Command::Worker(args) => cmd::worker::run(args),
    };
    error::report(result)
}

/// Logs to stderr, filtered by `RUST_LOG`; quiet (`warn`) by default.
fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
