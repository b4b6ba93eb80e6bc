//! `zkbackup drill`: the disaster path, timed: shares → key → restore → re-root.

use super::{read_escrow, read_shares, recover_from_shares, refuse_existing};
use crate::args::FormatArg;
use crate::error::{bad_input, InputResultExt};
use anyhow::{bail, Context};
use clap::Args;
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;
use zkbackup_core::field;
use zkbackup_formats::backup::Backup;
use zkbackup_formats::fs::write_new_file;
use zkbackup_formats::records::RecordFormat;

/// A recovery drill: rebuild the key from the trustees' shares, restore the backup with it
/// (every commitment checked, every chunk decrypted and authenticated, the records re-rooted,
/// as `restore` does) and compare the state root and record count with the ones you expect
/// (e.g. the chain's). Reports the recovery time actually achieved: seconds per stage and
/// records per second.
///
/// Writes nothing unless asked (--out-records). Exit 0: the drill restored R with N
/// records. Exit 1: it did not (another root or size). Exit 2: bad input (a file, a share,
/// a key that is not the backup's).
#[derive(Clone, Debug, Args)]
pub struct DrillArgs {
    /// The backup file to restore.
    #[arg(long, value_name = "BACKUP")]
    backup: PathBuf,
    /// The escrow file of the backup's key.
    #[arg(long, value_name = "ESCROW")]
    escrow: PathBuf,
    /// A trustee's share file (from `escrow open`), at least k of them.
    #[arg(long = "share", value_name = "FILE", required = true)]
    shares: Vec<PathBuf>,
    /// The state root the restore must reach (0x-hex or decimal).
    #[arg(long, value_name = "ROOT")]
    expect_root: String,
    /// The number of records the restore must give.
    #[arg(long, value_name = "N")]
    size: u64,
    /// Also write the restored records to this new file (format from --format or its
    /// extension).
    #[arg(long, value_name = "FILE")]
    out_records: Option<PathBuf>,
    /// Records format for --out-records, overriding its extension.
    #[arg(long, value_enum, requires = "out_records")]
    format: Option<FormatArg>,
    /// Print one JSON object on stdout instead of the report.
    #[arg(long)]
    json: bool,
}

/// Runs `zkbackup drill`.
pub fn run(args: DrillArgs) -> anyhow::Result<()> {
    let result = drill(&args);
    if let (true, Err(e)) = (args.json, &result) {
        println!("{}", json!({ "ok": false, "error": format!("{e:#}") }));
    }
    result
}

fn drill(args: &DrillArgs) -> anyhow::Result<()> {
    let expect_root = field::parse(&args.expect_root)
        .input_error()
        .context("--expect-root")?;
    let out_format = match &args.out_records {
        Some(path) => {
            refuse_existing("--out-records", path)?;
            Some(match args.format {
                Some(f) => RecordFormat::from(f),
                None => RecordFormat::from_path(path).ok_or_else(|| {
                    bad_input(format!(
                        "{}: the name does not say which records format to write; give \
                         --format csv|jsonl, or name the file .csv, .jsonl or .ndjson",
                        path.display()
                    ))
                })?,
            })
        }
        None => None,
    };
    let start = Instant::now();

    let t = Instant::now();
    let escrow = read_escrow(&args.escrow)?;
    let shares = read_shares(&args.escrow, &escrow, &args.shares)?;
    let read_shares_secs = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let key = recover_from_shares(&escrow, &shares)?;
    let recover_secs = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let backup = Backup::read(&args.backup).input_error()?;
    let read_backup_secs = t.elapsed().as_secs_f64();
    if backup.key_commitment() != escrow.key_commitment {
        return Err(bad_input(format!(
            "{} is under the key K = {}, but {} escrows K = {}",
            args.backup.display(),
            field::to_hex(&backup.key_commitment()),
            args.escrow.display(),
            field::to_hex(&escrow.key_commitment)
        )));
    }

    let t = Instant::now();
    let spinner = crate::progress::spinner("checking, decrypting and re-rooting");
    let records = backup.restore_named(&key, &args.backup);
    spinner.finish_and_clear();
    // The backup's own checks failing (a damaged file) is the input's fault; a wrong
    // root or size below is the drill's finding.
    let records = records.input_error()?;
    let restore_secs = t.elapsed().as_secs_f64();
    drop(key);
    // `restore_named` re-rooted the decrypted records and compared them with the header's R:
    // the header's root is the records' root.
    let root = backup.root();
    let count = records.len() as u64;
    let elapsed = start.elapsed().as_secs_f64();
    let per_second = count as f64 / elapsed.max(1e-9);
    if root != expect_root {
        bail!(
            "drill failed: {} restores to state root {}, not the expected {}",
            args.backup.display(),
            field::to_hex(&root),
            field::to_hex(&expect_root)
        );
    }
    if count != args.size {
        bail!(
            "drill failed: {} restores {count} records, not the expected {}",
            args.backup.display(),
            args.size
        );
    }
    let mut write_secs = None;
    if let (Some(path), Some(format)) = (&args.out_records, out_format) {
        let t = Instant::now();
        write_new_file(path, |w| {
            records.write_to(std::io::BufWriter::with_capacity(1 << 20, w), format)
        })
        .with_context(|| format!("{}: cannot write the restored records", path.display()))?;
        write_secs = Some(t.elapsed().as_secs_f64());
    }
    let indices: Vec<u64> = shares.iter().map(|s| s.index).collect();
    let mut out = std::io::stdout().lock();
    if args.json {
        let value = json!({
            "ok": true,
            "backup": args.backup,
            "escrow": args.escrow,
            "key_commitment": field::to_hex(&escrow.key_commitment),
            "threshold": escrow.shape.threshold,
            "trustees": escrow.shape.trustees,
            "shares": indices,
            "root": field::to_hex(&root),
            "records": count,
            "arity": records.arity(),
            "seconds": elapsed,
            "records_per_second": per_second,
            "stages": {
                "read_escrow_and_shares": read_shares_secs,
                "recover_key": recover_secs,
                "read_backup": read_backup_secs,
                "restore_and_reroot": restore_secs,
            },
            "out_records": args.out_records,
            "write_records_seconds": write_secs,
        });
        crate::error::stdout(writeln!(out, "{value}"))?;
    } else {
        crate::error::stdout(writeln!(
            out,
            "drill OK: shares {indices:?} of a {}-of-{} escrow rebuilt K = {}; {} restores to \
             root {} with {count} records",
            escrow.shape.threshold,
            escrow.shape.trustees,
            field::to_hex(&escrow.key_commitment),
            args.backup.display(),
            field::to_hex(&root)
        ))?;
        crate::error::stdout(writeln!(
            out,
            "recovery time: {elapsed:.3} s ({per_second:.0} records/s): shares {read_shares_secs:.3} s, \
             key {recover_secs:.3} s, read backup {read_backup_secs:.3} s, restore and re-root \
             {restore_secs:.3} s"
        ))?;
        if let (Some(path), Some(secs)) = (&args.out_records, write_secs) {
            eprintln!(
                "wrote the records to {} ({secs:.3} s, not counted)",
                path.display()
            );
        }
    }
    Ok(())
}
