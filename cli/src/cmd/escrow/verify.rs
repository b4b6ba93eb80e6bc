//! `zkbackup escrow verify`: check an escrow file's proof off chain.

use crate::error::{bad_input, InputResultExt};
use anyhow::Context;
use clap::Args;
use serde_json::json;
use std::path::{Path, PathBuf};
use zkbackup_core::escrow::EscrowShape;
use zkbackup_core::field;
use zkbackup_prover::escrow::EscrowKeys;
use zkbackup_verifier::escrow::verify_escrow;
use zkbackup_verifier::{Bn254, VerifyingKey};

/// Verify an escrow file (docs/ESCROW.md §7, "What verify checks"): its structure, every
/// public key, the digest and public inputs recomputed from the file, the circuit id
/// against the verifying key of its shape, K against the one you trust, and the Groth16
/// proof.
///
/// Exit 0: the escrow is valid for K. Exit 1: it is not (the proof, K or the circuit).
/// Exit 2: bad input (an unreadable or malformed file, a key of another shape).
#[derive(Clone, Debug, Args)]
pub struct VerifyArgs {
    /// The escrow file (from `zkbackup escrow deal`).
    #[arg(value_name = "ESCROW")]
    escrow: PathBuf,
    /// The key commitment K you trust (0x + 64 hex digits, e.g. from the gate on chain).
    #[arg(long, value_name = "0x…")]
    key_commitment: String,
    /// The proving keys directory holding escrow-<k>-of-<n>/ (from `escrow setup`)…
    #[arg(
        long,
        value_name = "DIR",
        required_unless_present = "vk",
        conflicts_with = "vk"
    )]
    keys_dir: Option<PathBuf>,
    /// …or the verifying key of the escrow's shape: vk.bin or snarkjs's
    /// verification_key.json.
    #[arg(long, value_name = "FILE")]
    vk: Option<PathBuf>,
    /// Print one JSON object on stdout.
    #[arg(long)]
    json: bool,
}

/// A verifying key file: snarkjs's JSON if it parses as a JSON object, else arkworks' vk.bin.
fn read_vk_file(path: &Path) -> anyhow::Result<VerifyingKey<Bn254>> {
    crate::args::expect_file(
        "--vk",
        path,
        "a verifying key file (vk.bin or verification_key.json)",
    )?;
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read {}", path.display()))
        .input_error()?;
    let looks_json = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if looks_json {
        let text = std::str::from_utf8(&bytes)
            .with_context(|| format!("{}: not UTF-8 text", path.display()))
            .input_error()?;
        zkbackup_verifier::snarkjs::parse_verification_key(text)
            .with_context(|| format!("{}: not a valid verification_key.json", path.display()))
            .input_error()
    } else {
        zkbackup_verifier::keys::read_verifying_key(path).input_error()
    }
}

/// The verifying key of `shape`: `keys_dir`/escrow-<k>-of-<n>/vk.bin, or the file `vk`.
pub fn escrow_vk(
    keys_dir: Option<&Path>,
    vk: Option<&Path>,
    shape: EscrowShape,
) -> anyhow::Result<VerifyingKey<Bn254>> {
    match (keys_dir, vk) {
        (Some(dir), None) => {
            let file = EscrowKeys::dir(dir, shape).join(zkbackup_verifier::vk_file::VK_FILE);
            if !file.is_file() {
                return Err(bad_input(format!(
                    "{} holds no {}-of-{} escrow keys ({} is missing; run `zkbackup escrow \
                     setup --threshold {} --trustees {} --keys-dir {}`, or give --vk)",
                    dir.display(),
                    shape.threshold,
                    shape.trustees,
                    file.display(),
                    shape.threshold,
                    shape.trustees,
                    dir.display()
                )));
            }
            read_vk_file(&file)
        }
        (None, Some(vk)) => read_vk_file(vk),
        _ => Err(bad_input("give --keys-dir or --vk")),
    }
}

/// Runs `zkbackup escrow verify`.
pub fn run(args: VerifyArgs) -> anyhow::Result<()> {
    let result = verify(&args);
    if let (true, Err(e)) = (args.json, &result) {
        println!("{}", json!({ "ok": false, "error": format!("{e:#}") }));
    }
    result
}

fn verify(args: &VerifyArgs) -> anyhow::Result<()> {
    let expected = field::parse(&args.key_commitment)
        .input_error()
        .with_context(|| format!("--key-commitment {}", args.key_commitment))?;
    let file = super::read_escrow(&args.escrow)?;
    let shape = file.shape;
    let vk = escrow_vk(args.keys_dir.as_deref(), args.vk.as_deref(), shape)?;
    let start = std::time::Instant::now();
    verify_escrow(&file, &vk, Some(expected))
        .with_context(|| format!("{} does not verify", args.escrow.display()))?;
    let ms = start.elapsed().as_secs_f64() * 1e3;
    let labels: Vec<serde_json::Value> = file
        .trustees
        .iter()
        .map(|t| {
            json!({
                "index": t.index,
                "public_key": [field::to_decimal(&t.public_key.x), field::to_decimal(&t.public_key.y)],
                "label": t.label,
            })
        })
        .collect();
    if args.json {
        println!(
            "{}",
            json!({
                "ok": true,
                "escrow": args.escrow,
                "key_commitment": field::to_hex(&file.key_commitment),
                "escrow_digest": field::to_hex(&file.digest),
                "threshold": shape.threshold,
                "trustees": labels,
                "circuit_id": file.circuit_id,
                "verify_ms": ms,
            })
        );
    } else {
        println!(
            "escrow OK: {}-of-{} escrow of K = {}",
            shape.threshold,
            shape.trustees,
            field::to_hex(&file.key_commitment)
        );
        println!("  digest:   {}", field::to_hex(&file.digest));
        println!("  circuit:  {}", file.circuit_id);
        for t in &file.trustees {
            println!(
                "  trustee {}: ({}, {}){}",
                t.index,
                field::to_decimal(&t.public_key.x),
                field::to_decimal(&t.public_key.y),
                match &t.label {
                    Some(l) => format!(" label {l:?} (unverified)"),
                    None => String::new(),
                }
            );
        }
        eprintln!("verified in {ms:.1} ms");
    }
    Ok(())
}
