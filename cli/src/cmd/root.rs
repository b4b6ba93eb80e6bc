//! `zkbackup root`: the state root of a records file.

use crate::args::RecordsInput;
use anyhow::Context;
use clap::Args;
use std::io::Write;
use zkbackup_circuits::field;

/// Print the state root (LeanIMT root of Poseidon(record) leaves) of a records file.
///
/// The root goes to stdout as 0x + 64 lowercase hex digits, alone on its line; the record
/// count and arity go to stderr.
#[derive(Clone, Debug, Args)]
pub struct RootArgs {
    #[command(flatten)]
    records: RecordsInput,
}

/// Runs `zkbackup root`.
pub fn run(args: RootArgs) -> anyhow::Result<()> {
    let records = args.records.read()?;
    let start = std::time::Instant::now();
    let root = records.root();
    tracing::info!(
        elapsed_ms = start.elapsed().as_millis() as u64,
        "root computed"
    );
    let noun = if records.len() == 1 {
        "record"
    } else {
        "records"
    };
    eprintln!("{} {noun}, arity {}", records.len(), records.arity());
    writeln!(std::io::stdout().lock(), "{}", field::to_hex(&root))
        .context("writing the root to stdout")?;
    Ok(())
}
