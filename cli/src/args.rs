//! Arguments shared by several verbs.

use crate::error::InputResultExt;
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use zkbackup_circuits::records::{RecordFormat, Records};

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
