//! `zkbackup check`: is a backup intact and (with the key) restorable? Writes nothing.

use crate::error::InputResultExt;
use anyhow::anyhow;
use clap::Args;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;
use zkbackup_core::field::to_hex;
use zkbackup_core::EscrowKey;
use zkbackup_formats::backup::{Backup, BackupError};
use zkbackup_formats::KeyFile;

/// Check a backup without restoring it, step by step, like `restic check`:
///
/// 1. integrity: the file's length and SHA-256 trailer;
/// 2. structure: header, chunk table, nonces, canonical field elements;
/// 3. commitments: every chunk commitment and the backup commitment C recomputed from the
///    ciphertext;
///
/// and with `--key`:
///
/// 4. key: the key's commitment is the backup's K;
/// 5. decrypt: every chunk decrypts and its authentication tag verifies;
/// 6. re-root: the decrypted records hash to the backup's state root R.
///
/// Nothing is written: the decrypted records stay in memory and are wiped. Prints a line
/// per step on stdout (`--json`: one JSON object) and exits 1 at the first step that fails;
/// a backup or key file that cannot be read at all exits 2.
#[derive(Clone, Debug, Args)]
pub struct CheckArgs {
    /// Backup file.
    #[arg(value_name = "BACKUP")]
    backup: PathBuf,
    /// Also decrypt with this escrow key file (from `zkbackup keygen`) and re-root the
    /// records against R.
    #[arg(long, value_name = "KEY")]
    key: Option<PathBuf>,
    /// Print one JSON object on stdout instead of a line per step.
    #[arg(long)]
    json: bool,
}

/// One step's outcome.
struct Step {
    name: &'static str,
    ok: bool,
    /// What was checked (on success) or what is wrong (on failure).
    detail: String,
    ms: f64,
}

/// The steps run so far; printed as they finish unless `json`.
struct Report {
    json: bool,
    steps: Vec<Step>,
}

impl Report {
    /// Runs one step; `None` (and the failure recorded) if it fails.
    fn step<T>(
        &mut self,
        name: &'static str,
        f: impl FnOnce() -> Result<(T, String), anyhow::Error>,
    ) -> anyhow::Result<Option<T>> {
        let spinner = crate::progress::spinner(name);
        let start = Instant::now();
        let result = f();
        let ms = start.elapsed().as_secs_f64() * 1e3;
        spinner.finish_and_clear();
        let (value, step) = match result {
            Ok((value, detail)) => (
                Some(value),
                Step {
                    name,
                    ok: true,
                    detail,
                    ms,
                },
            ),
            Err(e) => (
                None,
                Step {
                    name,
                    ok: false,
                    detail: format!("{e:#}"),
                    ms,
                },
            ),
        };
        if !self.json {
            let mark = if step.ok { "✓" } else { "✗" };
            crate::error::stdout(writeln!(
                std::io::stdout().lock(),
                "{mark} {:<12} {}",
                step.name,
                step.detail
            ))?;
        }
        self.steps.push(step);
        Ok(value)
    }

    fn failure(&self) -> Option<&Step> {
        self.steps.iter().find(|s| !s.ok)
    }
}

/// Runs `zkbackup check`.
pub fn run(args: CheckArgs) -> anyhow::Result<()> {
    // Unreadable inputs are usage errors (exit 2), found before any work.
    let bytes = std::fs::read(&args.backup)
        .map_err(|e| {
            anyhow::Error::new(e).context(format!("cannot read {}", args.backup.display()))
        })
        .input_error()?;
    let key = args
        .key
        .as_deref()
        .map(|k| EscrowKey::read(k).input_error())
        .transpose()?;
    let mut report = Report {
        json: args.json,
        steps: Vec::new(),
    };
    let backup = checks(&args.backup, &bytes, key.as_ref(), &mut report)?;
    drop(key);

    let failed = report.failure().map(|s| (s.name, s.detail.clone()));
    if args.json {
        let value = to_json(&args.backup, args.key.is_some(), backup.as_ref(), &report);
        crate::error::stdout(writeln!(std::io::stdout().lock(), "{value}"))?;
    } else if failed.is_none() {
        let mut out = std::io::stdout().lock();
        let summary = if args.key.is_some() {
            "no errors found: the backup is intact and restores to its state root".to_string()
        } else {
            "no errors found (contents not decrypted: give --key to decrypt and re-root)"
                .to_string()
        };
        crate::error::stdout(writeln!(out, "{summary}"))?;
    }
    match failed {
        None => Ok(()),
        // Exit 1: the check ran and found a problem (not a usage error).
        Some((name, detail)) => Err(anyhow!(
            "{}: check failed at step {name}: {detail}",
            args.backup.display()
        )),
    }
}

/// Runs the steps in order, stopping at the first failure; returns the backup if it parsed.
fn checks(
    path: &Path,
    bytes: &[u8],
    key: Option<&EscrowKey>,
    report: &mut Report,
) -> anyhow::Result<Option<Backup>> {
    // `Backup::from_bytes` checks the trailer first, then the structure: its error says
    // which of the two failed.
    let parsed = Backup::from_bytes(bytes, path);
    let integrity_failed = matches!(&parsed, Err(e) if e.is_integrity());
    let parsed = report.step("integrity", || match parsed {
        Err(e) if integrity_failed => Err(e.into()),
        other => Ok((
            other,
            format!("{} bytes, length and SHA-256 trailer match", bytes.len()),
        )),
    })?;
    let Some(parsed) = parsed else {
        return Ok(None);
    };
    let Some(backup) = report.step("structure", || {
        let backup = parsed?;
        let h = backup.header();
        let detail = format!(
            "version {}, {} records of arity {} in {} chunks of {}, lineage {:#018x} generation {}",
            h.version,
            h.records,
            h.arity,
            backup.chunks().len(),
            h.chunk_size,
            h.lineage,
            h.generation
        );
        Ok((backup, detail))
    })?
    else {
        return Ok(None);
    };
    let commitments_ok = report.step("commitments", || {
        backup.verify_commitments(path)?;
        Ok((
            (),
            format!(
                "{} chunk commitments and C = {} recomputed",
                backup.chunks().len(),
                to_hex(&backup.commitment())
            ),
        ))
    })?;
    let (Some(()), Some(key)) = (commitments_ok, key) else {
        return Ok(Some(backup));
    };
    let key_ok = report.step("key", || {
        let found = key.commitment();
        if found != backup.key_commitment() {
            return Err(anyhow!(
                "wrong key: the backup was made with the key whose commitment is {}, this \
                 key's commitment is {}",
                to_hex(&backup.key_commitment()),
                to_hex(&found)
            ));
        }
        Ok(((), format!("K = {} matches", to_hex(&found))))
    })?;
    if key_ok.is_none() {
        return Ok(Some(backup));
    }
    // One library call decrypts and re-roots; its error says which part failed.
    let restored = backup.restore_named(key, path);
    let (decrypted, root_error) = match restored {
        Ok(records) => (Ok(records.len()), None),
        Err(e @ BackupError::StateRootMismatch { .. }) => {
            (Ok(backup.header().records as usize), Some(e))
        }
        Err(e) => (Err(e), None),
    };
    let decrypted = report.step("decrypt", || {
        let n = decrypted?;
        Ok((
            (),
            format!(
                "{} chunks decrypted and authenticated, {n} records",
                backup.chunks().len()
            ),
        ))
    })?;
    if decrypted.is_some() {
        report.step("re-root", || match root_error {
            Some(e) => Err(e.into()),
            None => Ok((
                (),
                format!("the records' root is R = {}", to_hex(&backup.root())),
            )),
        })?;
    }
    Ok(Some(backup))
}

/// The `--json` object.
fn to_json(path: &Path, key_given: bool, backup: Option<&Backup>, report: &Report) -> Value {
    let steps: Vec<Value> = report
        .steps
        .iter()
        .map(|s| {
            let mut step = json!({
                "step": s.name,
                "ok": s.ok,
                "ms": (s.ms * 1e3).round() / 1e3,
            });
            step[if s.ok { "detail" } else { "error" }] = Value::String(s.detail.clone());
            step
        })
        .collect();
    let backup = backup.map(|b| {
        let h = b.header();
        json!({
            "version": h.version,
            "arity": h.arity,
            "records": h.records,
            "chunk_size": h.chunk_size,
            "chunk_count": b.chunks().len(),
            "lineage": format!("{:#018x}", h.lineage),
            "generation": h.generation,
            "root": to_hex(&h.root),
            "commitment": to_hex(&h.commitment),
            "key_commitment": to_hex(&h.key_commitment),
        })
    });
    json!({
        "file": path.display().to_string(),
        "ok": report.failure().is_none(),
        "decrypted": key_given && report.failure().is_none(),
        "error": report.failure().map(|s| s.detail.clone()),
        "steps": steps,
        "backup": backup,
    })
}
