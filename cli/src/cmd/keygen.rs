//! `zkbackup keygen`: a fresh escrow key in a new key file.

use crate::error::InputResultExt;
use anyhow::Context;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use zkbackup_circuits::cipher::{Key, KeyFileError};
use zkbackup_circuits::field;

/// Generate a random escrow key and write it to a new key file (mode 0600).
///
/// The file is `{"version":1,"key":["<k0>","<k1>"],"commitment":"0x…"}`; the commitment
/// `Poseidon(domain, k0, k1)` is printed to stdout as `commitment 0x…`. An existing file is
/// never overwritten.
#[derive(Clone, Debug, Args)]
pub struct KeygenArgs {
    /// Key file to create; must not exist.
    #[arg(long, value_name = "KEY")]
    out: PathBuf,
}

/// Runs `zkbackup keygen`.
pub fn run(args: KeygenArgs) -> anyhow::Result<()> {
    let key = Key::generate();
    match key.write_new(&args.out) {
        Ok(()) => {}
        Err(e @ KeyFileError::Exists { .. }) => return Err(e).input_error(),
        Err(e) => return Err(e).context("writing the key file"),
    }
    writeln!(
        std::io::stdout().lock(),
        "commitment {}",
        field::to_hex(&key.commitment())
    )
    .context("writing to stdout")?;
    eprintln!(
        "wrote {} (owner-only); keep it secret and escrowed: whoever holds it can decrypt \
         every backup made with it, and without it no backup can be restored",
        args.out.display()
    );
    Ok(())
}
