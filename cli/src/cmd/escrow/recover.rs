//! `zkbackup escrow recover`: rebuild the escrow key from k trustees' shares.

use super::{read_escrow, read_shares, recover_from_shares, refuse_existing};
use crate::error::InputResultExt;
use anyhow::Context;
use clap::Args;
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;
use zkbackup_core::field;
use zkbackup_formats::key_file::KeyFileError;
use zkbackup_formats::KeyFile;

/// Rebuild the escrow key from the trustees' shares (Lagrange interpolation at 0) and check
/// it against the escrow's K; write it as the key file `zkbackup keygen` writes (mode 0600,
/// never overwritten).
///
/// Refused before interpolating: fewer than k shares, a share of another key or another
/// escrow, an index given twice or not a trustee's, a malformed share file. With more than
/// k shares every k-subset is tried until one gives K; a wrong share is detected (no subset
/// gives K) and the error names the subsets tried.
#[derive(Clone, Debug, Args)]
pub struct RecoverArgs {
    /// The escrow file.
    #[arg(long, value_name = "ESCROW")]
    escrow: PathBuf,
    /// A share file (from `escrow open`), at least k of them.
    #[arg(long = "share", value_name = "FILE", required = true)]
    shares: Vec<PathBuf>,
    /// The key file to create; must not exist.
    #[arg(long, value_name = "KEY")]
    out: PathBuf,
    /// Print one JSON object on stdout instead of the `commitment …` line.
    #[arg(long)]
    json: bool,
}

/// Runs `zkbackup escrow recover`.
pub fn run(args: RecoverArgs) -> anyhow::Result<()> {
    refuse_existing("--out", &args.out)?;
    let escrow = read_escrow(&args.escrow)?;
    let shares = read_shares(&args.escrow, &escrow, &args.shares)?;
    let start = std::time::Instant::now();
    let key = recover_from_shares(&escrow, &shares)?;
    let secs = start.elapsed().as_secs_f64();
    match key.write_new(&args.out) {
        Ok(()) => {}
        Err(e @ KeyFileError::Exists { .. }) => return Err(e).input_error(),
        Err(e) => return Err(e).context("writing the key file"),
    }
    let commitment = field::to_hex(&key.commitment());
    let mut out = std::io::stdout().lock();
    if args.json {
        let value = json!({
            "key_file": args.out,
            "commitment": commitment,
            "shares": shares.iter().map(|s| s.index).collect::<Vec<_>>(),
            "threshold": escrow.shape.threshold,
            "seconds": secs,
        });
        crate::error::stdout(writeln!(out, "{value}"))?;
    } else {
        crate::error::stdout(writeln!(out, "commitment {commitment}"))?;
        eprintln!(
            "recovered the key of K = {commitment} from shares {:?} into {} (owner-only)",
            shares.iter().map(|s| s.index).collect::<Vec<_>>(),
            args.out.display()
        );
    }
    Ok(())
}
