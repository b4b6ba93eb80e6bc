//! `zkbackup escrow trustee-keygen`: a trustee's Baby Jubjub key pair.

use super::refuse_existing;
use crate::error::InputResultExt;
use anyhow::Context;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use zkbackup_core::trustee_key::TrusteeSecret;
use zkbackup_formats::trustee::{public_key_json, write_public_key, write_trustee_key};
use zkbackup_formats::TrusteeFileError;

/// Generate a trustee's key pair (Baby Jubjub, derived as @zk-kit/eddsa-poseidon does) and
/// write it to a new trustee key file (mode 0600, never overwritten).
///
/// Prints the public key file's JSON on stdout (what the trustee hands to the dealer, who
/// passes it to `escrow deal --trustee`); `--public-out` also writes it to a file.
#[derive(Clone, Debug, Args)]
pub struct TrusteeKeygenArgs {
    /// Trustee key file to create; must not exist. Keep it secret.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Also write the public key file here (must not exist).
    #[arg(long, value_name = "FILE")]
    public_out: Option<PathBuf>,
}

/// Runs `zkbackup escrow trustee-keygen`.
pub fn run(args: TrusteeKeygenArgs) -> anyhow::Result<()> {
    refuse_existing("--out", &args.out)?;
    if let Some(p) = &args.public_out {
        refuse_existing("--public-out", p)?;
    }
    let secret = TrusteeSecret::generate();
    let public = secret.public_key();
    match write_trustee_key(&args.out, &secret) {
        Ok(()) => {}
        Err(e @ TrusteeFileError::Exists { .. }) => return Err(e).input_error(),
        Err(e) => return Err(e).context("writing the trustee key file"),
    }
    drop(secret);
    if let Some(p) = &args.public_out {
        write_public_key(p, &public).context("writing the public key file")?;
    }
    crate::error::stdout(
        std::io::stdout()
            .lock()
            .write_all(public_key_json(&public).as_bytes()),
    )?;
    eprintln!(
        "wrote {} (owner-only); keep it secret: it opens this trustee's share of every escrow \
         dealt to it{}",
        args.out.display(),
        match &args.public_out {
            Some(p) => format!("; public key in {}", p.display()),
            None => String::new(),
        }
    );
    Ok(())
}
