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
use zkbackup_formats::backup::{Backup, BackupError};
use zkbackup_formats::records::RecordFormat;

/// Records per chunk unless `--chunk-size` says otherwise.
pub const DEFAULT_CHUNK_SIZE: usize = 256;

/// Encrypt a records file under an escrow key into a backup file (format v1, docs/FORMAT.md).
///
/// Prints `root 0x…` (the state root R) and `commitment 0x…` (the backup commitment C).
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
    /// Records per chunk, a power of two.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_CHUNK_SIZE)]
    chunk_size: usize,
    #[command(flatten)]
    memory: MemoryCheck,
    /// Print one JSON object on stdout instead of the `root …` and `commitment …` lines.
    #[arg(long)]
    json: bool,
}

/// Runs `zkbackup backup`.
pub fn run(args: BackupArgs) -> anyhow::Result<()> {
    if args.chunk_size == 0 || !args.chunk_size.is_power_of_two() {
        return Err(bad_input(format!(
            "--chunk-size {} is not a power of two",
            args.chunk_size
        )));
    }
    if args.out.symlink_metadata().is_ok() {
        return Err(bad_input(format!(
            "{}: already exists; refusing to overwrite it",
            args.out.display()
        )));
    }
    let format = RecordFormat::resolve(&args.records.records, args.records.format.map(Into::into))
        .input_error()?;
    let key = read_escrow_key(&args.key)?;
    let records = args.records.read()?;
    let shape = ChunkShape::new(records.arity(), args.chunk_size).input_error()?;
    args.memory.check(shape)?;
    let start = std::time::Instant::now();
    let spinner = crate::progress::spinner("encrypting");
    let backup = Backup::create(&records, format, &key, args.chunk_size).input_error();
    spinner.finish_and_clear();
    let backup = backup?;
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
    if args.json {
        let h = backup.header();
        let value = json!({
            "backup": args.out,
            "root": field::to_hex(&h.root),
            "commitment": field::to_hex(&h.commitment),
            "key_commitment": field::to_hex(&h.key_commitment),
            "backup_id": h.backup_id.to_string(),
            "records": h.records,
            "arity": h.arity,
            "chunk_size": h.chunk_size,
            "chunks": backup.chunks().len(),
        });
        writeln!(out, "{value}").context("writing to stdout")?;
    } else {
        writeln!(out, "root {}", field::to_hex(&backup.root())).context("writing to stdout")?;
        writeln!(out, "commitment {}", field::to_hex(&backup.commitment()))
            .context("writing to stdout")?;
    }
    eprintln!(
        "{} records, arity {}, {} chunks of up to {} records, written to {}",
        records.len(),
        records.arity(),
        backup.chunks().len(),
        args.chunk_size,
        args.out.display()
    );
    Ok(())
}
