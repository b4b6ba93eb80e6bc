//! `zkbackup backup`: encrypt a records file into a new backup file.

use crate::args::{MemoryCheck, RecordsInput};
use crate::error::{bad_input, InputResultExt};
use crate::keyfile::read_escrow_key;
use anyhow::Context;
use clap::Args;
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;
use zkbackup_core::chunk::ChunkShape;
use zkbackup_core::field;
use zkbackup_formats::backup::{Backup, BackupError, Changes};
use zkbackup_formats::claims::ClaimsLedger;
use zkbackup_formats::records::RecordFormat;

/// Records per chunk unless `--chunk-size` says otherwise.
pub const DEFAULT_CHUNK_SIZE: usize = 256;

/// Encrypt a records file under an escrow key into a backup file (format v2, docs/FORMAT.md).
///
/// Prints `root 0x…` (the state root R) and `commitment 0x…` (the backup commitment C).
///
/// Without `--parent` this is a full backup: a new random lineage, generation 0. With
/// `--parent OLD.zkb` it is an incremental backup of the same key, arity and chunk size:
/// chunks whose records are unchanged keep their nonce, ciphertext and commitment byte for
/// byte, the others are encrypted under a new generation of the parent's lineage, claimed
/// first in the ledger beside the key file (`KEY.claims`) so that no nonce is ever used
/// twice; a third line reports `N chunks: U unchanged, C changed, A added, D removed
/// (generation g of lineage 0x…)`.
/// The chunk size fixes the circuit the backup is proven with: its memory and time are
/// estimated first, and a chunk size whose proofs would not fit this machine's available
/// memory is refused.
#[derive(Clone, Debug, Args)]
pub struct BackupArgs {
    #[command(flatten)]
    records: RecordsInput,
    /// The escrow key file written by `zkbackup keygen` (not the proving keys directory).
    #[arg(long, value_name = "KEY")]
    key: PathBuf,
    /// Backup file to create; must not exist.
    #[arg(long, value_name = "BACKUP")]
    out: PathBuf,
    /// Records per chunk, a power of two [default: 256, or the parent's with --parent].
    #[arg(long, value_name = "N")]
    chunk_size: Option<usize>,
    /// Make an incremental backup of this earlier backup (same key): unchanged chunks are
    /// copied, the rest re-encrypted under a newly claimed generation.
    #[arg(long, value_name = "OLD")]
    parent: Option<PathBuf>,
    #[command(flatten)]
    memory: MemoryCheck,
    /// Print one JSON object on stdout instead of the `root …` and `commitment …` lines.
    #[arg(long)]
    json: bool,
}

/// Runs `zkbackup backup`.
pub fn run(args: BackupArgs) -> anyhow::Result<()> {
    if let Some(n) = args.chunk_size {
        if n == 0 || !n.is_power_of_two() {
            return Err(bad_input(format!("--chunk-size {n} is not a power of two")));
        }
    }
    if args.out.symlink_metadata().is_ok() {
        return Err(bad_input(format!(
            "{}: already exists; refusing to overwrite it",
            args.out.display()
        )));
    }
    let format = RecordFormat::resolve(&args.records.records, args.records.format.map(Into::into))
        .input_error()?;
    let parent = args
        .parent
        .as_deref()
        .map(|p| Backup::read(p).input_error())
        .transpose()?;
    let chunk_size = match (&parent, args.chunk_size) {
        (Some(parent), Some(n)) if n != parent.header().chunk_size => {
            return Err(bad_input(format!(
                "--chunk-size {n} differs from the parent's chunk size {}: an incremental \
                 backup keeps the parent's chunks (omit --chunk-size, or make a full backup)",
                parent.header().chunk_size
            )));
        }
        (Some(parent), _) => parent.header().chunk_size,
        (None, n) => n.unwrap_or(DEFAULT_CHUNK_SIZE),
    };
    let key = read_escrow_key(&args.key)?;
    let records = args.records.read()?;
    let shape = ChunkShape::new(records.arity(), chunk_size).input_error()?;
    args.memory.check(shape)?;
    let start = std::time::Instant::now();
    let spinner = crate::progress::spinner("encrypting");
    let made = match (&parent, &args.parent) {
        (Some(parent), Some(parent_path)) => {
            let claims = ClaimsLedger::beside_key(&args.key);
            Backup::update_named(parent, parent_path, &records, format, &key, &claims)
                .map(|(b, changes)| (b, Some(changes)))
        }
        _ => Backup::create(&records, format, &key, chunk_size).map(|b| (b, None)),
    };
    spinner.finish_and_clear();
    let (backup, changes) = match made {
        Ok(made) => made,
        // The ledger could not be read or appended: not the input's fault.
        Err(e @ BackupError::Claims(_)) => return Err(e).context("making the backup"),
        Err(e) => return Err(e).input_error(),
    };
    tracing::info!(
        elapsed_ms = start.elapsed().as_millis() as u64,
        chunks = backup.chunks().len(),
        "records encrypted"
    );
    match backup.write_to(&args.out) {
        Ok(()) => {}
        Err(e @ BackupError::Exists { .. }) => return Err(e).input_error(),
        Err(e) => return Err(e).context("writing the backup"),
    }
    let mut out = std::io::stdout().lock();
    let h = backup.header();
    let lineage = format!("{:#018x}", h.lineage);
    if args.json {
        let mut value = json!({
            "backup": args.out,
            "root": field::to_hex(&h.root),
            "commitment": field::to_hex(&h.commitment),
            "key_commitment": field::to_hex(&h.key_commitment),
            "lineage": lineage,
            "generation": h.generation,
            "records": h.records,
            "arity": h.arity,
            "chunk_size": h.chunk_size,
            "chunks": backup.chunks().len(),
        });
        if let (Some(changes), Some(parent)) = (&changes, &args.parent) {
            value["parent"] = json!(parent);
            value["changes"] = json!({
                "unchanged": changes.unchanged.len(),
                "changed": changes.changed.len(),
                "added": changes.added.len(),
                "removed": changes.removed.len(),
                "changed_chunks": changes.changed,
                "added_chunks": changes.added,
                "removed_chunks": changes.removed,
            });
        }
        writeln!(out, "{value}").context("writing to stdout")?;
    } else {
        writeln!(out, "root {}", field::to_hex(&backup.root())).context("writing to stdout")?;
        writeln!(out, "commitment {}", field::to_hex(&backup.commitment()))
            .context("writing to stdout")?;
        if let Some(changes) = &changes {
            writeln!(out, "{}", changes_line(&backup, changes)).context("writing to stdout")?;
        }
    }
    eprintln!(
        "{} records, arity {}, {} chunks of up to {} records, written to {}",
        records.len(),
        records.arity(),
        backup.chunks().len(),
        chunk_size,
        args.out.display()
    );
    Ok(())
}

/// `N chunks: U unchanged, C changed, A added, D removed (generation g of lineage 0x…)`.
fn changes_line(backup: &Backup, changes: &Changes) -> String {
    let h = backup.header();
    format!(
        "{} chunks: {} unchanged, {} changed, {} added, {} removed (generation {} of lineage {:#018x})",
        backup.chunks().len(),
        changes.unchanged.len(),
        changes.changed.len(),
        changes.added.len(),
        changes.removed.len(),
        h.generation,
        h.lineage
    )
}
