//! `zkbackup restore`: decrypt a backup back into a records file.

use crate::args::FormatArg;
use crate::error::{bad_input, InputResultExt};
use anyhow::{bail, Context};
use clap::Args;
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use zkbackup_core::field;
use zkbackup_core::EscrowKey;
use zkbackup_formats::backup::Backup;
use zkbackup_formats::fs::write_new_file;
use zkbackup_formats::records::RecordFormat;

/// Decrypt a backup with its escrow key and write the records back (canonical form:
/// decimal values), as CSV or JSON Lines.
///
/// The output format is `--format`, else the extension of `--out` (.csv, .jsonl, .ndjson);
/// `--out -` writes the records to stdout (CSV unless `--format`). The format byte in the
/// backup's header is not authenticated, so it never decides what is written. Every
/// commitment is checked, every chunk is authenticated and the records are re-rooted
/// against the backup's state root (and `--expect-root` if given) before anything is
/// written; on any failure nothing is written. Prints `root 0x…` (on stderr with `--out -`).
#[derive(Clone, Debug, Args)]
pub struct RestoreArgs {
    /// Backup file.
    #[arg(value_name = "BACKUP")]
    backup: PathBuf,
    /// The escrow key file the backup was made with (from `zkbackup keygen`).
    #[arg(long, value_name = "KEY")]
    key: PathBuf,
    /// Records file to create (must not exist; its directory must), or `-` for stdout.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Records format to write, overriding the extension of `--out`.
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    /// Refuse unless the restored records have this state root (0x-hex or decimal), e.g.
    /// the root on chain.
    #[arg(long, value_name = "ROOT")]
    expect_root: Option<String>,
    /// Print one JSON object (root, records, arity, format, output) on stdout instead of
    /// `root 0x…`; not with `--out -`.
    #[arg(long)]
    json: bool,
}

/// Where the records go.
enum Destination<'a> {
    Stdout,
    File(&'a Path),
}

/// The records format restore writes: `--format`, else the name of `--out`, else CSV for
/// stdout; never the backup header's (unauthenticated) format byte.
fn output_format(
    format: Option<FormatArg>,
    destination: &Destination<'_>,
) -> anyhow::Result<RecordFormat> {
    if let Some(f) = format {
        return Ok(f.into());
    }
    match destination {
        Destination::Stdout => Ok(RecordFormat::Csv),
        Destination::File(path) => RecordFormat::from_path(path).ok_or_else(|| {
            bad_input(format!(
                "{}: the name does not say which records format to write; give --format \
                 csv|jsonl, or name the file .csv, .jsonl or .ndjson",
                path.display()
            ))
        }),
    }
}

/// Runs `zkbackup restore`.
pub fn run(args: RestoreArgs) -> anyhow::Result<()> {
    let expect_root = args
        .expect_root
        .as_deref()
        .map(|s| field::parse(s).input_error().context("--expect-root"))
        .transpose()?;
    let destination = if args.out.as_os_str() == "-" {
        Destination::Stdout
    } else {
        Destination::File(&args.out)
    };
    if args.json && matches!(destination, Destination::Stdout) {
        return Err(bad_input(
            "--json prints its report on stdout, where --out - writes the records: \
             choose one",
        ));
    }
    let format = output_format(args.format, &destination)?;
    if let Destination::File(out) = destination {
        if out.symlink_metadata().is_ok() {
            return Err(bad_input(format!(
                "{}: already exists; refusing to overwrite it",
                out.display()
            )));
        }
        zkbackup_formats::fs::check_parent_directory(out)
            .with_context(|| format!("cannot write {}", out.display()))
            .input_error()?;
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
    let key: EscrowKey = crate::keyfile::read_escrow_key(&args.key)?;
    let start = std::time::Instant::now();
    let spinner = crate::progress::spinner("checking and decrypting");
    let records = backup.restore_named(&key, &args.backup).input_error();
    spinner.finish_and_clear();
    let records = records?;
    tracing::info!(
        elapsed_ms = start.elapsed().as_millis() as u64,
        "backup checked, decrypted and re-rooted"
    );
    let root = field::to_hex(&backup.root());
    match destination {
        Destination::Stdout => {
            let mut out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
            crate::error::stdout(
                records
                    .write_to(&mut out, format)
                    .and_then(|()| out.flush()),
            )?;
            eprintln!("root {root}");
            eprintln!(
                "restored {} records of arity {} ({format}) to stdout",
                records.len(),
                records.arity()
            );
        }
        Destination::File(path) => {
            write_new_file(path, |w| {
                records.write_to(std::io::BufWriter::with_capacity(1 << 20, w), format)
            })
            .with_context(|| format!("{}: cannot write the restored records", path.display()))?;
            let mut out = std::io::stdout().lock();
            if args.json {
                let value = json!({
                    "backup": args.backup.display().to_string(),
                    "out": path.display().to_string(),
                    "format": format.name(),
                    "records": records.len(),
                    "arity": records.arity(),
                    "root": root,
                    "expect_root_checked": expect_root.is_some(),
                });
                crate::error::stdout(writeln!(out, "{value}"))?;
            } else {
                crate::error::stdout(writeln!(out, "root {root}"))?;
                eprintln!(
                    "restored {} records of arity {} ({format}) to {}",
                    records.len(),
                    records.arity(),
                    path.display()
                );
            }
        }
    }
    Ok(())
}
