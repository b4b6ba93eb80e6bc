//! `zkbackup export-snarkjs`: a bundle's proofs and verifying key in snarkjs's JSON format.

use crate::cmd::verify::read_vk;
use crate::error::{bad_input, InputResultExt};
use anyhow::Context;
use clap::Args;
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use zkbackup_verifier::bundle::{circuit_id, read_bundle};
use zkbackup_verifier::snarkjs::SnarkjsError;

/// Write verification_key.json and, per chunk i, proof_<i>.json and public_<i>.json, as
/// `snarkjs groth16 verify verification_key.json public_<i>.json proof_<i>.json` expects.
///
/// The output directory must be new or empty (its parent must exist): nothing is ever
/// overwritten. The files are written to a temporary directory beside it that takes its
/// name only once complete, so a failed export leaves nothing behind.
#[derive(Clone, Debug, Args)]
pub struct ExportSnarkjsArgs {
    /// The proof bundle.
    #[arg(long, value_name = "BUNDLE")]
    bundle: PathBuf,
    /// The verifying key: vk.bin, or the proving keys directory (from `zkbackup setup`)
    /// holding it.
    #[arg(long, value_name = "VK")]
    vk: PathBuf,
    /// Output directory: created; if it exists it must be empty.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Print one JSON object (the files written) on stdout.
    #[arg(long)]
    json: bool,
}

/// Runs `zkbackup export-snarkjs`.
pub fn run(args: ExportSnarkjsArgs) -> anyhow::Result<()> {
    check_output_directory(&args.out)?;
    let bundle = read_bundle(&args.bundle).input_error()?;
    let vk = read_vk(&args.vk)?;
    let id = circuit_id(&vk);
    if bundle.circuit_id != id {
        return Err(bad_input(format!(
            "{}: the bundle's circuit id is {}, the verifying key {} is of circuit {id}",
            args.bundle.display(),
            bundle.circuit_id,
            args.vk.display()
        )));
    }
    let names = export(&bundle, &vk, &args.out)?;
    if args.json {
        let value = json!({
            "out": args.out.display().to_string(),
            "circuit_id": id,
            "chunks": bundle.chunks.len(),
            "files": names,
        });
        let mut out = std::io::stdout().lock();
        crate::error::stdout(writeln!(out, "{value}"))?;
    } else {
        eprintln!("{} files written to {}", names.len(), args.out.display());
    }
    Ok(())
}

/// Refuses an output that exists and is not an empty directory, or whose parent directory
/// is missing: before anything is read or written.
pub fn check_output_directory(out: &Path) -> anyhow::Result<()> {
    match std::fs::symlink_metadata(out) {
        Ok(meta) if !meta.is_dir() => Err(bad_input(format!(
            "{}: exists and is not a directory (--out wants a new or empty directory)",
            out.display()
        ))),
        Ok(_) => {
            let mut entries = std::fs::read_dir(out)
                .with_context(|| format!("reading directory {}", out.display()))
                .input_error()?;
            if entries.next().is_some() {
                Err(bad_input(format!(
                    "{}: directory is not empty; refusing to overwrite or mix with its files \
                     (choose a new or empty directory)",
                    out.display()
                )))
            } else {
                Ok(())
            }
        }
        Err(_) => zkbackup_formats::fs::check_parent_directory(out)
            .with_context(|| format!("cannot create {}", out.display()))
            .input_error(),
    }
}

/// Exports into a staging directory beside `out`, then renames it to `out` (which replaces
/// `out` only if it is still an empty directory). Returns the file names written.
fn export(
    bundle: &zkbackup_verifier::bundle::Bundle,
    vk: &zkbackup_verifier::VerifyingKey<zkbackup_verifier::Bn254>,
    out: &Path,
) -> anyhow::Result<Vec<String>> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".zkbackup-tmp-");
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o777));
    // tempfile's error names the staging path, which means nothing to the user: keep the kind.
    let staging = builder
        .tempdir_in(parent)
        .map_err(|e| std::io::Error::from(e.kind()))
        .with_context(|| format!("cannot create {}", out.display()))?;
    let written = zkbackup_verifier::snarkjs::export_bundle(bundle, vk, staging.path()).map_err(
        |e| match e {
            // Name the file by where it was going, not by the staging directory.
            SnarkjsError::Write { path, source } => anyhow::Error::new(source).context(format!(
                "cannot write {}",
                out.join(path.file_name().unwrap_or_default()).display()
            )),
            other => anyhow::Error::new(other),
        },
    )?;
    std::fs::rename(staging.path(), out).map_err(|e| {
        if out.is_dir() {
            bad_input(format!(
                "{}: directory is not empty (files appeared while exporting); \
                 refusing to overwrite them",
                out.display()
            ))
        } else {
            anyhow::Error::new(e).context(format!("cannot create {}", out.display()))
        }
    })?;
    // Renamed: nothing left for the guard to remove.
    let _ = staging.keep();
    let mut names: Vec<String> = written
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    names.sort();
    Ok(names)
}
