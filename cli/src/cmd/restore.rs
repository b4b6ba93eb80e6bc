//! `zkbackup restore`: decrypt a backup back into a records file.

use crate::error::{bad_input, InputResultExt};
use anyhow::{bail, Context};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use zkbackup_circuits::backup::{write_new_file, Backup};
use zkbackup_circuits::cipher::Key;
use zkbackup_circuits::field;
use zkbackup_circuits::records::RecordFormat;

/// Decrypt a backup with its escrow key and write the records back, in the format of the
/// original records file (canonical form: decimal values).
///
/// Every chunk is authenticated and the records are re-rooted against the backup's state
/// root (and `--expect-root` if given) before anything is written; on any failure nothing
/// is written. Prints `root 0x…`.
#[derive(Clone, Debug, Args)]
pub struct RestoreArgs {
    /// Backup file.
    #[arg(value_name = "BACKUP")]
    backup: PathBuf,
    /// Key file the backup was made with.
    #[arg(long, value_name = "KEY")]
    key: PathBuf,
    /// Records file to create; must not exist.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Refuse unless the restored records have this state root (0x-hex or decimal), e.g.
    /// the root on chain.
    #[arg(long, value_name = "ROOT")]
    expect_root: Option<String>,
}

/// Runs `zkbackup restore`.
pub fn run(args: RestoreArgs) -> anyhow::Result<()> {
    let expect_root = args
        .expect_root
        .as_deref()
        .map(|s| field::parse(s).map_err(|e| bad_input(format!("--expect-root: {e}"))))
        .transpose()?;
    if args.out.symlink_metadata().is_ok() {
        return Err(bad_input(format!(
            "{}: already exists; refusing to overwrite it",
            args.out.display()
        )));
    }
    let backup = Backup::read(&args.backup).input_error()?;
    if let Some(expected) = expect_root {
        // Cheap early refusal; the root is recomputed from the decrypted records below.
        if expected != backup.root() {
            bail!(
                "{}: state root mismatch: --expect-root is {}, the backup is of root {}",
                args.backup.display(),
                field::to_hex(&expected),
                field::to_hex(&backup.root())
            );
        }
    }
    let key: Key = crate::keyfile::read_escrow_key(&args.key)?;
    let start = std::time::Instant::now();
    let spinner = crate::progress::spinner("decrypting");
    let records = backup.restore_named(&key, &args.backup).input_error();
    spinner.finish_and_clear();
    let records = records?;
    tracing::info!(
        elapsed_ms = start.elapsed().as_millis() as u64,
        "backup decrypted and re-rooted"
    );
    let format = backup.header().format;
    if let Some(named) = RecordFormat::from_path(&args.out) {
        if named != format {
            eprintln!(
                "warning: {} is named like {named} but the backup was made from {format}; \
                 writing {format}",
                args.out.display()
            );
        }
    }
    write_new_file(&args.out, |w| {
        records.write_to(std::io::BufWriter::with_capacity(1 << 20, w), format)
    })
    .with_context(|| format!("{}: cannot write the restored records", args.out.display()))?;
    writeln!(
        std::io::stdout().lock(),
        "root {}",
        field::to_hex(&backup.root())
    )
    .context("writing to stdout")?;
    eprintln!(
        "restored {} records of arity {} ({format}) to {}",
        records.len(),
        records.arity(),
        args.out.display()
    );
    Ok(())
}
