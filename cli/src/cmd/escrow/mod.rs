//! `zkbackup escrow …`: the operator's and the trustees' side of the verifiable k-of-n key
//! escrow (docs/ESCROW.md), one file per verb; and the helpers they share with `drill`.

pub mod deal;
pub mod drill;
pub mod open;
pub mod recover;
pub mod register;
pub mod setup;
pub mod trustee_keygen;
pub mod verify;

use crate::error::{bad_input, InputResultExt};
use anyhow::Context;
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use zkbackup_core::escrow::{recover as recover_key, RecoverError};
use zkbackup_core::field;
use zkbackup_core::trustee_key::TrusteeSecret;
use zkbackup_core::EscrowKey;
use zkbackup_formats::trustee::read_trustee_key;
use zkbackup_formats::ShareFile;
use zkbackup_verifier::escrow::{read_escrow_file, EscrowFile};

/// Split the backup key among trustees, prove it, check it, and recover the key from shares
/// (docs/ESCROW.md).
#[derive(Debug, Args)]
pub struct EscrowArgs {
    #[command(subcommand)]
    command: EscrowCommand,
}

#[derive(Debug, Subcommand)]
enum EscrowCommand {
    Setup(setup::SetupArgs),
    TrusteeKeygen(trustee_keygen::TrusteeKeygenArgs),
    Deal(deal::DealArgs),
    Verify(verify::VerifyArgs),
    Open(open::OpenArgs),
    Recover(recover::RecoverArgs),
    Register(register::RegisterArgs),
}

/// Runs `zkbackup escrow …`.
pub fn run(args: EscrowArgs) -> anyhow::Result<()> {
    match args.command {
        EscrowCommand::Setup(a) => setup::run(a),
        EscrowCommand::TrusteeKeygen(a) => trustee_keygen::run(a),
        EscrowCommand::Deal(a) => deal::run(a),
        EscrowCommand::Verify(a) => verify::run(a),
        EscrowCommand::Open(a) => open::run(a),
        EscrowCommand::Recover(a) => recover::run(a),
        EscrowCommand::Register(a) => register::run(a),
    }
}

/// Reads an escrow file (exit 2 on any problem: the reader checks everything the file alone
/// can, the digest recomputed included).
pub fn read_escrow(path: &Path) -> anyhow::Result<EscrowFile> {
    crate::args::expect_file("--escrow", path, "an escrow file (escrow.json)")?;
    read_escrow_file(path).input_error()
}

/// Reads a trustee key file given to `--trustee-key`, warning when its group or others can
/// read it (exit 2 on any problem).
pub fn read_trustee_secret(path: &Path) -> anyhow::Result<TrusteeSecret> {
    crate::args::expect_file("--trustee-key", path, "a trustee key file")?;
    let secret = read_trustee_key(path).input_error()?;
    if let Some(warning) = crate::keyfile::secret_permission_warning(
        path,
        "trustee key file",
        "whoever can read it can open this trustee's share of every escrow dealt to it",
    ) {
        eprintln!("{warning}");
    }
    Ok(secret)
}

/// Refuses an output path that exists, before any work (exit 2); the final write refuses it
/// again, atomically.
pub fn refuse_existing(flag: &str, path: &Path) -> anyhow::Result<()> {
    if path.symlink_metadata().is_ok() {
        return Err(bad_input(format!(
            "{flag} {}: already exists; refusing to overwrite it",
            path.display()
        )));
    }
    zkbackup_formats::fs::check_parent_directory(path)
        .with_context(|| format!("cannot write {}", path.display()))
        .input_error()
}

/// The shares given to `--share`, read and checked against the escrow: same `K` and digest,
/// indices of the escrow's trustees, no index twice. Exit 2 on any problem.
pub fn read_shares(
    escrow_path: &Path,
    escrow: &EscrowFile,
    paths: &[PathBuf],
) -> anyhow::Result<Vec<ShareFile>> {
    let mut shares: Vec<(PathBuf, ShareFile)> = Vec::with_capacity(paths.len());
    for path in paths {
        crate::args::expect_file("--share", path, "a share file from `zkbackup escrow open`")?;
        let share = ShareFile::read(path).input_error()?;
        if let Some(warning) = crate::keyfile::secret_permission_warning(
            path,
            "share file",
            "with enough shares anyone can rebuild the backup key",
        ) {
            eprintln!("{warning}");
        }
        if share.key_commitment != escrow.key_commitment {
            return Err(bad_input(format!(
                "{}: a share of another key: its keyCommitment is {}, {} escrows {}",
                path.display(),
                field::to_hex(&share.key_commitment),
                escrow_path.display(),
                field::to_hex(&escrow.key_commitment)
            )));
        }
        if share.escrow_digest != escrow.digest {
            return Err(bad_input(format!(
                "{}: a share of another escrow of this key: its escrowDigest is {}, {}'s is {}",
                path.display(),
                field::to_hex(&share.escrow_digest),
                escrow_path.display(),
                field::to_hex(&escrow.digest)
            )));
        }
        if !escrow.shape.has_index(share.index) {
            return Err(bad_input(format!(
                "{}: share index {} is not a trustee of {} (1..={})",
                path.display(),
                share.index,
                escrow_path.display(),
                escrow.shape.trustees
            )));
        }
        if let Some((first, _)) = shares.iter().find(|(_, s)| s.index == share.index) {
            return Err(bad_input(format!(
                "{} and {} are both share {}: give each trustee's share once",
                first.display(),
                path.display(),
                share.index
            )));
        }
        shares.push((path.clone(), share));
    }
    let threshold = escrow.shape.threshold;
    if shares.len() < threshold {
        return Err(bad_input(format!(
            "{} share{} given, {} needs {threshold} of its {} trustees' shares",
            shares.len(),
            if shares.len() == 1 { "" } else { "s" },
            escrow_path.display(),
            escrow.shape.trustees
        )));
    }
    Ok(shares.into_iter().map(|(_, s)| s).collect())
}

/// Rebuilds the key from checked shares ([`read_shares`]) and checks it against the escrow's
/// `K`; a wrong-but-well-formed share is reported with every subset tried (exit 2).
pub fn recover_from_shares(escrow: &EscrowFile, shares: &[ShareFile]) -> anyhow::Result<EscrowKey> {
    let points: Vec<(u64, [zkbackup_core::Fr; 2])> =
        shares.iter().map(|s| (s.index, s.share)).collect();
    let result = recover_key(escrow.shape, escrow.key_commitment, &points);
    let mut points = points;
    for (_, y) in &mut points {
        zeroize::Zeroize::zeroize(y);
    }
    match result {
        Ok(key) => Ok(key),
        Err(e @ RecoverError::NoMatchingSubset { .. }) => Err(e)
            .context(
                "a share is wrong (changed, or of another dealing): the recovered key's \
                 commitment is not the escrow's K",
            )
            .input_error(),
        Err(e) => Err(e).input_error(),
    }
}
