//! `zkbackup inspect`: a backup's header and chunks, without the key.

use crate::error::InputResultExt;
use clap::Args;
use serde_json::{json, Value};
use std::io::Write;
use std::path::PathBuf;
use zkbackup_core::field;
use zkbackup_formats::backup::Backup;

/// Show a backup's header and per-chunk table (no key needed).
///
/// The file's integrity (length and SHA-256 trailer), its structure and every commitment
/// (chunk commitments and the backup commitment C) are checked first; a damaged file is
/// refused. `--json` prints one JSON object instead, with each chunk's ciphertext as decimal
/// strings, ready for @zk-kit/poseidon-cipher's `poseidonDecrypt(ciphertext, key, nonce,
/// length)`.
#[derive(Clone, Debug, Args)]
pub struct InspectArgs {
    /// Backup file.
    #[arg(value_name = "BACKUP")]
    backup: PathBuf,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

/// Runs `zkbackup inspect`.
pub fn run(args: InspectArgs) -> anyhow::Result<()> {
    let backup = Backup::read(&args.backup).input_error()?;
    let spinner = crate::progress::spinner("checking commitments");
    let checked = backup.verify_commitments(&args.backup).input_error();
    spinner.finish_and_clear();
    checked?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = if args.json {
        serde_json::to_writer(&mut out, &to_json(&backup))
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out))
    } else {
        write_table(&mut out, &args.backup, &backup)
    };
    // A reader that stops early (`| head`) is not an error: see `error::stdout`.
    crate::error::stdout(written.and_then(|()| out.flush()))
}

/// The `--json` object.
fn to_json(backup: &Backup) -> Value {
    let h = backup.header();
    let chunks: Vec<Value> = backup
        .chunks()
        .iter()
        .map(|c| {
            json!({
                "index": c.index,
                "nonce": c.nonce.to_string(),
                "version": c.nonce_parts().version,
                "records": c.length as usize / h.arity,
                "length": c.length,
                "ciphertext": c.ciphertext.iter().map(field::to_decimal).collect::<Vec<_>>(),
                "commitment": field::to_hex(&c.commitment),
            })
        })
        .collect();
    json!({
        "version": h.version,
        "format": h.format.name(),
        "arity": h.arity,
        "records": h.records,
        "chunk_size": h.chunk_size,
        "chunk_count": backup.chunks().len(),
        "lineage": format!("{:#018x}", h.lineage),
        "generation": h.generation,
        "root": field::to_hex(&h.root),
        "commitment": field::to_hex(&h.commitment),
        "key_commitment": field::to_hex(&h.key_commitment),
        "chunks": chunks,
    })
}

/// The human-readable header and chunk table.
fn write_table(
    out: &mut impl Write,
    path: &std::path::Path,
    backup: &Backup,
) -> std::io::Result<()> {
    let h = backup.header();
    writeln!(out, "file            {}", path.display())?;
    writeln!(out, "version         {}", h.version)?;
    writeln!(out, "records format  {}", h.format)?;
    writeln!(out, "arity           {}", h.arity)?;
    writeln!(out, "records         {}", h.records)?;
    writeln!(out, "chunk size      {}", h.chunk_size)?;
    writeln!(out, "chunks          {}", backup.chunks().len())?;
    writeln!(out, "lineage         {:#018x}", h.lineage)?;
    writeln!(out, "generation      {}", h.generation)?;
    writeln!(out, "root (R)        {}", field::to_hex(&h.root))?;
    writeln!(out, "key commitment  {}", field::to_hex(&h.key_commitment))?;
    writeln!(out, "commitment (C)  {}", field::to_hex(&h.commitment))?;
    writeln!(
        out,
        "integrity       ok (SHA-256 trailer, commitments recomputed)"
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "{:>7}  {:>8}  {:>8}  {:>10}  {:>10}  {:<40}  commitment",
        "chunk", "records", "length", "ciphertext", "version", "nonce"
    )?;
    for c in backup.chunks() {
        writeln!(
            out,
            "{:>7}  {:>8}  {:>8}  {:>10}  {:>10}  {:<40}  {}",
            c.index,
            c.length as usize / h.arity,
            c.length,
            c.ciphertext.len(),
            c.nonce_parts().version,
            c.nonce,
            field::to_hex(&c.commitment)
        )?;
    }
    Ok(())
}
