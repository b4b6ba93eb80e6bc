//! `zkbackup escrow open`: a trustee decrypts its share of an escrow.

use super::{read_escrow, read_trustee_secret, refuse_existing};
use crate::error::{bad_input, InputResultExt};
use anyhow::Context;
use clap::Args;
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;
use zkbackup_core::escrow::open_share;
use zkbackup_core::field;
use zkbackup_formats::{ShareFile, TrusteeFileError};

/// Open this trustee's share of an escrow: find the trustee's public key among the escrow's
/// trustees, compute the shared point s·E and decrypt the share (tag and pad checked), then
/// write it to a new share file (mode 0600, never overwritten) for `escrow recover`.
///
/// The escrow file is re-checked as it is read (digest and public inputs recomputed); with
/// --keys-dir or --vk the proof is checked too, before the share is written (else run
/// `escrow verify`). A share that decrypts, of an escrow whose proof verifies, is one the
/// proof covers: any k such shares rebuild the key behind K.
#[derive(Clone, Debug, Args)]
pub struct OpenArgs {
    /// The escrow file.
    #[arg(long, value_name = "ESCROW")]
    escrow: PathBuf,
    /// This trustee's key file (from `escrow trustee-keygen`).
    #[arg(long, value_name = "FILE")]
    trustee_key: PathBuf,
    /// The share file to create; must not exist. Keep it like the key.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Also verify the escrow's proof with the keys in this proving keys directory…
    #[arg(long, value_name = "DIR", conflicts_with = "vk")]
    keys_dir: Option<PathBuf>,
    /// …or with this verifying key file (vk.bin or verification_key.json).
    #[arg(long, value_name = "FILE")]
    vk: Option<PathBuf>,
    /// Print one JSON object on stdout (the share file's path, index, K, digest; never the
    /// share) instead of the `share …` line.
    #[arg(long)]
    json: bool,
}

/// Runs `zkbackup escrow open`.
pub fn run(args: OpenArgs) -> anyhow::Result<()> {
    refuse_existing("--out", &args.out)?;
    let escrow = read_escrow(&args.escrow)?;
    let secret = read_trustee_secret(&args.trustee_key)?;
    let public = secret.public_key();
    let index = escrow.trustee_index(&public).ok_or_else(|| {
        bad_input(format!(
            "{}: the public key of {} is not among the escrow's {} trustees",
            args.escrow.display(),
            args.trustee_key.display(),
            escrow.shape.trustees
        ))
    })?;
    let ciphertext = escrow
        .share(index)
        .with_context(|| format!("{}: no share {index}", args.escrow.display()))
        .input_error()?;
    let share = open_share(&secret, &escrow.ephemeral_public, index, ciphertext)
        .input_error()
        .with_context(|| {
            format!(
                "{}: the share of trustee {index} does not open with {}",
                args.escrow.display(),
                args.trustee_key.display()
            )
        })?;
    drop(secret);
    let proof_checked = args.keys_dir.is_some() || args.vk.is_some();
    if proof_checked {
        let vk =
            super::verify::escrow_vk(args.keys_dir.as_deref(), args.vk.as_deref(), escrow.shape)?;
        zkbackup_verifier::escrow::verify_escrow(&escrow, &vk, None).with_context(|| {
            format!(
                "{} does not verify; its share was not written",
                args.escrow.display()
            )
        })?;
    }
    let file = ShareFile {
        key_commitment: escrow.key_commitment,
        escrow_digest: escrow.digest,
        index,
        share,
    };
    match file.write_new(&args.out) {
        Ok(()) => {}
        Err(e @ TrusteeFileError::Exists { .. }) => return Err(e).input_error(),
        Err(e) => return Err(e).context("writing the share file"),
    }
    let label = escrow
        .trustees
        .get(index as usize - 1)
        .and_then(|t| t.label.clone());
    let mut out = std::io::stdout().lock();
    if args.json {
        let value = json!({
            "share_file": args.out,
            "index": index,
            "label": label,
            "key_commitment": field::to_hex(&escrow.key_commitment),
            "escrow_digest": field::to_hex(&escrow.digest),
            "threshold": escrow.shape.threshold,
            "trustees": escrow.shape.trustees,
            "proof_checked": proof_checked,
        });
        crate::error::stdout(writeln!(out, "{value}"))?;
    } else {
        crate::error::stdout(writeln!(out, "share {index}"))?;
        eprintln!(
            "opened share {index} of {} ({}-of-{} escrow of K = {}) into {} (owner-only)",
            args.escrow.display(),
            escrow.shape.threshold,
            escrow.shape.trustees,
            field::to_hex(&escrow.key_commitment),
            args.out.display()
        );
        if !proof_checked {
            eprintln!(
                "the proof was not checked: run `zkbackup escrow verify` (or give --keys-dir or \
                 --vk) to know that any k opened shares rebuild the key"
            );
        }
    }
    Ok(())
}
