//! `zkbackup escrow deal`: split the backup key among trustees and prove it.

use super::refuse_existing;
use crate::error::{bad_input, InputResultExt};
use crate::progress;
use anyhow::Context;
use clap::Args;
use rand::rngs::OsRng;
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;
use zkbackup_core::babyjubjub::Point;
use zkbackup_core::escrow::{deal_with, EscrowShape};
use zkbackup_core::field;
use zkbackup_formats::trustee::read_any_public_key;
use zkbackup_formats::TrusteeFileKind;
use zkbackup_prover::escrow::EscrowKeys;
use zkbackup_verifier::escrow::{write_escrow_file, EscrowFile, EscrowFileError};

/// Split the escrow key k-of-n among trustees (Shamir over the BN254 scalar field), encrypt
/// share i to trustee i (ECDH on Baby Jubjub + poseidon-cipher), prove the deal with
/// Groth16 and write the escrow file (docs/ESCROW.md §4-§7).
///
/// The trustees' order is the order of --trustee (trustee i is the i-th). Each --trustee is
/// a trustee public key file, or a trustee key file (then only its public key is used).
/// Prints `escrow 0x<digest>` (K, timing on stderr). The escrow file is written atomically,
/// owner-only (keep it off public storage: docs/ESCROW.md §10), never over an existing file.
#[derive(Clone, Debug, Args)]
pub struct DealArgs {
    /// The escrow key file to split (from `zkbackup keygen`).
    #[arg(long, value_name = "KEY")]
    key: PathBuf,
    /// k: shares needed to recover the key.
    #[arg(long, value_name = "K")]
    threshold: usize,
    /// A trustee's public key file, once per trustee, in index order.
    #[arg(long = "trustee", value_name = "PUB", required = true)]
    trustees: Vec<PathBuf>,
    /// A label per trustee, in the same order (shown, never trusted: bound by nothing).
    #[arg(long = "label", value_name = "NAME")]
    labels: Vec<String>,
    /// The proving keys directory holding escrow-<k>-of-<n>/ (from `escrow setup`).
    #[arg(long, value_name = "DIR")]
    keys_dir: PathBuf,
    /// The escrow file to create; must not exist.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Print one JSON object on stdout instead of the `escrow …` line.
    #[arg(long)]
    json: bool,
}

/// Runs `zkbackup escrow deal`.
pub fn run(args: DealArgs) -> anyhow::Result<()> {
    let n = args.trustees.len();
    let shape = EscrowShape::new(args.threshold, n)
        .input_error()
        .with_context(|| format!("--threshold {} with {n} --trustee", args.threshold))?;
    if !args.labels.is_empty() && args.labels.len() != n {
        return Err(bad_input(format!(
            "{} --label for {n} --trustee: give one label per trustee, or none",
            args.labels.len()
        )));
    }
    refuse_existing("--out", &args.out)?;
    let mut trustees: Vec<Point> = Vec::with_capacity(n);
    for (i, path) in args.trustees.iter().enumerate() {
        crate::args::expect_file("--trustee", path, "a trustee public key file")?;
        let (public, kind) = read_any_public_key(path)
            .input_error()
            .with_context(|| format!("trustee {}", i + 1))?;
        if kind == TrusteeFileKind::TrusteeKey {
            eprintln!(
                "note: {} is a trustee key file; only its public key is used (the dealer \
                 should not hold trustees' private keys)",
                path.display()
            );
        }
        if let Some(j) = trustees.iter().position(|p| *p == public) {
            return Err(bad_input(format!(
                "trustees {} ({}) and {} ({}) have the same public key: one person would hold \
                 two shares",
                j + 1,
                args.trustees[j].display(),
                i + 1,
                path.display()
            )));
        }
        trustees.push(public);
    }
    let key = crate::keyfile::read_escrow_key(&args.key)?;
    let shape_dir = EscrowKeys::dir(&args.keys_dir, shape);
    let spinner = progress::spinner("loading the escrow keys");
    let start = std::time::Instant::now();
    let keys = EscrowKeys::read(&args.keys_dir, shape)
        .input_error()
        .with_context(|| {
            format!(
                "no usable {}-of-{} escrow keys in {} (run `zkbackup escrow setup --threshold {} \
                 --trustees {} --keys-dir {}`)",
                shape.threshold,
                shape.trustees,
                shape_dir.display(),
                shape.threshold,
                shape.trustees,
                args.keys_dir.display()
            )
        });
    spinner.finish_and_clear();
    let keys = keys?;
    let load_secs = start.elapsed().as_secs_f64();
    let start = std::time::Instant::now();
    let deal = deal_with(&mut OsRng, &key, shape, &trustees)
        .input_error()
        .context("dealing the shares")?;
    drop(key);
    let deal_secs = start.elapsed().as_secs_f64();
    let spinner = progress::spinner("proving the deal");
    let start = std::time::Instant::now();
    let proof = keys.prove(&deal, &mut OsRng).context("proving the deal");
    spinner.finish_and_clear();
    let proof = proof?;
    let prove_secs = start.elapsed().as_secs_f64();
    let file = EscrowFile::new(
        &deal,
        keys.circuit_id().to_string(),
        proof.into(),
        &args.labels,
    );
    match write_escrow_file(&args.out, &file) {
        Ok(()) => {}
        Err(EscrowFileError::Write { source, .. })
            if source.kind() == std::io::ErrorKind::AlreadyExists =>
        {
            return Err(bad_input(format!(
                "--out {}: already exists; refusing to overwrite it",
                args.out.display()
            )));
        }
        Err(e) => return Err(e).context("writing the escrow file"),
    }
    let k_hex = field::to_hex(&deal.key_commitment());
    let digest = field::to_hex(&deal.digest());
    let mut out = std::io::stdout().lock();
    if args.json {
        let value = json!({
            "escrow": args.out,
            "key_commitment": k_hex,
            "escrow_digest": digest,
            "threshold": shape.threshold,
            "trustees": shape.trustees,
            "circuit_id": keys.circuit_id(),
            "seconds": {
                "load_keys": load_secs,
                "deal": deal_secs,
                "prove": prove_secs,
            },
        });
        crate::error::stdout(writeln!(out, "{value}"))?;
    } else {
        crate::error::stdout(writeln!(out, "escrow {digest}"))?;
        eprintln!(
            "dealt K = {k_hex} {}-of-{} to {}: deal {:.2} s, proof {:.2} s (keys loaded in {:.2} s)",
            shape.threshold,
            shape.trustees,
            args.out.display(),
            deal_secs,
            prove_secs,
            load_secs
        );
    }
    Ok(())
}
