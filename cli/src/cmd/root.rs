//! `zkbackup root`: the state root of a records file.

use crate::args::RecordsInput;
use clap::Args;
use serde_json::json;
use std::io::Write;
use zkbackup_core::field;

/// Print the state root (LeanIMT root of Poseidon(record) leaves) of a records file.
///
/// The root goes to stdout as 0x + 64 lowercase hex digits, alone on its line; the record
/// count and arity go to stderr. `--json` prints one object instead:
/// `{"file", "root", "records", "arity"}` (the tree size is `records`).
#[derive(Clone, Debug, Args)]
pub struct RootArgs {
    #[command(flatten)]
    records: RecordsInput,
    /// Print one JSON object on stdout.
    #[arg(long)]
    json: bool,
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
    let mut out = std::io::stdout().lock();
    if args.json {
        let value = json!({
            "file": args.records.records.display().to_string(),
            "root": field::to_hex(&root),
            "records": records.len(),
            "arity": records.arity(),
        });
        return crate::error::stdout(writeln!(out, "{value}"));
    }
    let noun = if records.len() == 1 {
        "record"
    } else {
        "records"
    };
    eprintln!("{} {noun}, arity {}", records.len(), records.arity());
    crate::error::stdout(writeln!(out, "{}", field::to_hex(&root)))
}
