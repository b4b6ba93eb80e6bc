//! Arguments shared by several verbs.

use crate::error::InputResultExt;
use anyhow::Context;
use clap::{Args, ValueEnum};
use std::path::{Path, PathBuf};
use zkbackup_formats::records::{RecordFormat, Records};

/// A records file format on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Comma-separated values, one record per line.
    Csv,
    /// JSON Lines: one JSON array of values per line.
    #[value(alias = "ndjson")]
    Jsonl,
}

impl From<FormatArg> for RecordFormat {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Csv => RecordFormat::Csv,
            FormatArg::Jsonl => RecordFormat::JsonLines,
        }
    }
}

/// `--records FILE [--format csv|jsonl]`: a records file to read.
#[derive(Clone, Debug, Args)]
pub struct RecordsInput {
    /// Records file: one record per line, values decimal or 0x-hex, CSV (.csv) or JSON Lines
    /// (.jsonl, .ndjson).
    #[arg(long, value_name = "FILE")]
    pub records: PathBuf,
    /// Records format, overriding the file extension.
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
}

impl RecordsInput {
    /// Reads and validates the records; any problem is an input error (exit code 2).
    pub fn read(&self) -> anyhow::Result<Records> {
        let start = std::time::Instant::now();
        let spinner = crate::progress::spinner("reading records");
        let records = Records::read(&self.records, self.format.map(Into::into)).input_error();
        spinner.finish_and_clear();
        let records = records?;
        tracing::info!(
            path = %self.records.display(),
            records = records.len(),
            arity = records.arity(),
            elapsed_ms = start.elapsed().as_millis() as u64,
            "records read"
        );
        Ok(records)
    }
}

/// `--skip-memory-check`: for verbs that fix a chunk size (`setup`, `backup`).
#[derive(Clone, Debug, Args)]
pub struct MemoryCheck {
    /// Do not refuse a chunk size whose setup or proofs would not fit this machine's
    /// available memory (e.g. when the proving runs on a bigger machine).
    #[arg(long)]
    pub skip_memory_check: bool,
}

impl MemoryCheck {
    /// Estimates `shape` and prints the estimate to stderr; refuses it (exit 2) when it
    /// needs more than this machine's available memory (`MemAvailable`), naming the largest
    /// chunk size that fits, unless `--skip-memory-check`.
    pub fn check(
        &self,
        shape: zkbackup_core::chunk::ChunkShape,
    ) -> anyhow::Result<zkbackup_prover::estimate::ShapeEstimate> {
        use zkbackup_prover::estimate::{check_fits, estimate, gib, FitError, MemoryInfo};
        let memory = MemoryInfo::read();
        let estimate = match (memory, self.skip_memory_check) {
            (Some(m), false) => match check_fits(shape, m.available) {
                Ok(e) => e,
                Err(FitError::TooLarge(e)) => {
                    return Err(crate::error::bad_input(format!(
                        "{e} (--skip-memory-check to go on anyway)"
                    )))
                }
                Err(e) => return Err(e).context("estimating the chunk circuit"),
            },
            _ => estimate(shape).context("estimating the chunk circuit")?,
        };
        let e = &estimate;
        eprintln!(
            "chunk size {}: {}{} constraints per chunk; setup needs about {} and {}, proving \
             about {} per chunk and {} with one job (+{} per extra job){}",
            shape.chunk_size,
            if e.exact { "" } else { "about " },
            e.constraints,
            gib(e.setup_bytes),
            crate::progress::duration(e.setup_secs),
            crate::progress::duration(e.prove_secs),
            gib(e.prove_bytes(1)),
            gib(e.prove_job_bytes),
            match memory {
                Some(m) => format!("; {} of memory available", gib(m.available)),
                None => "; memory not checked (no /proc/meminfo)".to_string(),
            }
        );
        Ok(estimate)
    }
}

/// Refuses a file given where a directory is wanted, naming the flag and what it wants.
pub fn expect_dir(flag: &str, path: &Path, what: &str) -> anyhow::Result<()> {
    if path.exists() && !path.is_dir() {
        return Err(crate::error::bad_input(format!(
            "{flag} wants {what}, but {} is a file",
            path.display()
        )));
    }
    Ok(())
}

/// Refuses a directory given where a file is wanted, naming the flag and what it wants.
pub fn expect_file(flag: &str, path: &Path, what: &str) -> anyhow::Result<()> {
    if path.is_dir() {
        return Err(crate::error::bad_input(format!(
            "{flag} wants {what}, but {} is a directory",
            path.display()
        )));
    }
    Ok(())
}

/// `--engine`: how the prover chooses its MSM backend.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum EngineArg {
    /// Fixed-base tables of the proving key when enough chunks are to be proven to pay for
    /// building them (they take about as long as a few dozen proofs), else arkworks' MSM.
    #[default]
    Auto,
    /// Always the fixed-base tables (built once, before the first proof; memory: see
    /// `zkbackup estimate`).
    Fixed,
    /// Always arkworks' variable-base MSM on the key's bases (no tables).
    Arkworks,
}

impl From<EngineArg> for zkbackup_prover::EnginePolicy {
    fn from(e: EngineArg) -> Self {
        match e {
            EngineArg::Auto => Self::Auto,
            EngineArg::Fixed => Self::Fixed,
            EngineArg::Arkworks => Self::Arkworks,
        }
    }
}

/// `--tables-cache`: where the proving key's fixed-base MSM tables are kept between runs.
#[derive(Clone, Debug, Default, Args)]
pub struct TablesCacheArg {
    /// Directory that keeps the proving key's fixed-base MSM tables between runs, or `none`
    /// (about 1 GB per key at chunk 256: built in about a minute, read back in seconds, so a
    /// short later run uses them from its first proof). Default: `$XDG_CACHE_HOME/zkbackup`,
    /// else `~/.cache/zkbackup`.
    #[arg(long = "tables-cache", value_name = "DIR|none")]
    pub tables_cache: Option<PathBuf>,
}

impl TablesCacheArg {
    /// The cache for the key whose proving key file hashes to `key_sha256` (`keys.json`):
    /// `None` with `none`, or with no default directory (no `$XDG_CACHE_HOME` nor `$HOME`).
    pub fn cache(&self, key_sha256: &str) -> Option<zkbackup_prover::TablesCache> {
        let dir = match &self.tables_cache {
            Some(dir) if dir.as_os_str() == "none" => return None,
            Some(dir) => dir.clone(),
            None => {
                let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
                var("XDG_CACHE_HOME")
                    .map(PathBuf::from)
                    .or_else(|| var("HOME").map(|home| PathBuf::from(home).join(".cache")))?
                    .join("zkbackup")
            }
        };
        zkbackup_prover::TablesCache::new(dir, key_sha256)
    }
}
