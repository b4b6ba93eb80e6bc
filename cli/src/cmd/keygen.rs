//! `zkbackup keygen`: a fresh escrow key in a new key file.

use crate::error::InputResultExt;
use anyhow::Context;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use zkbackup_core::field;
use zkbackup_core::EscrowKey;
use zkbackup_formats::key_file::KeyFileError;
use zkbackup_formats::KeyFile;

/// Generate a random escrow key and write it to a new key file (mode 0600).
///
/// The file is `{"version":1,"key":["<k0>","<k1>"],"commitment":"0x…"}`; the commitment
/// `Poseidon(domain, k0, k1)` is printed to stdout as `commitment 0x…`. An existing file is
/// never overwritten.
#[derive(Clone, Debug, Args)]
pub struct KeygenArgs {
    /// Escrow key file to create; must not exist.
    #[arg(long, value_name = "KEY")]
    out: PathBuf,
    /// Print one JSON object on stdout (`{"key_file": …, "commitment": "0x…"}`) instead of
    /// the `commitment …` line.
    #[arg(long)]
    json: bool,
}

/// Runs `zkbackup keygen`.
pub fn run(args: KeygenArgs) -> anyhow::Result<()> {
    let key = EscrowKey::generate();
    match key.write_new(&args.out) {
        Ok(()) => {}
        Err(e @ KeyFileError::Exists { .. }) => return Err(e).input_error(),
        Err(e) => return Err(e).context("writing the key file"),
    }
    let commitment = field::to_hex(&key.commitment());
    let mut out = std::io::stdout().lock();
    if args.json {
        let value = serde_json::json!({ "key_file": args.out, "commitment": commitment });
        writeln!(out, "{value}")
    } else {
        writeln!(out, "commitment {commitment}")
    }
    .context("writing to stdout")?;
    eprintln!(
        "wrote {} (owner-only); keep it secret and escrowed: whoever holds it can decrypt \
         every backup made with it, and without it no backup can be restored",
        args.out.display()
    );
    Ok(())
}
