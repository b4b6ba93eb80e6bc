//! Running the snarkjs command-line tool (the ceremony verbs and `bench --snarkjs`).
//!
//! `--snarkjs CMD` names it: a file ending in `.js`, `.cjs` or `.mjs` runs under `node`
//! (e.g. `node_modules/snarkjs/build/cli.cjs`), anything else runs as a program. Without the
//! flag: `$ZKBACKUP_SNARKJS`, then `snarkjs` on `PATH`.

use anyhow::{bail, Context};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The version the project tests against (tests/js/package.json).
pub const TESTED_VERSION: &str = "0.7.6";

/// A way to run snarkjs.
#[derive(Clone, Debug)]
pub struct Snarkjs {
    program: PathBuf,
    script: Option<PathBuf>,
}

impl Snarkjs {
    /// From `--snarkjs` (if given), else `$ZKBACKUP_SNARKJS`, else `snarkjs`.
    pub fn locate(flag: Option<&Path>) -> Self {
        let chosen = flag
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("ZKBACKUP_SNARKJS").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("snarkjs"));
        let is_script = matches!(
            chosen.extension().and_then(OsStr::to_str),
            Some("js" | "cjs" | "mjs")
        );
        if is_script {
            Self {
                program: PathBuf::from("node"),
                script: Some(chosen),
            }
        } else {
            Self {
                program: chosen,
                script: None,
            }
        }
    }

    /// A command running snarkjs with no arguments yet.
    pub fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        if let Some(script) = &self.script {
            command.arg(script);
        }
        command
    }

    /// How it is run, for messages.
    pub fn describe(&self) -> String {
        match &self.script {
            Some(script) => format!("node {}", script.display()),
            None => self.program.display().to_string(),
        }
    }

    /// Runs `snarkjs args…`, returning its stdout; a failure (cannot start, non-zero exit)
    /// names the command and carries the end of its output.
    pub fn run<S: AsRef<OsStr>>(&self, args: &[S]) -> anyhow::Result<String> {
        let shown = args
            .iter()
            .map(|a| a.as_ref().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        let output = self.command().args(args).output().map_err(|e| {
            anyhow::anyhow!(
                "cannot run snarkjs ({}): {e}; install it with `npm install -g snarkjs@{TESTED_VERSION}` \
                 or pass --snarkjs PATH (e.g. node_modules/snarkjs/build/cli.cjs)",
                self.describe()
            )
        })?;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let tail = |s: &str| {
                let lines: Vec<_> = s.lines().collect();
                lines[lines.len().saturating_sub(15)..].join("\n")
            };
            bail!(
                "`snarkjs {shown}` failed ({}):\n{}\n{}",
                output.status,
                tail(&stdout),
                tail(&stderr)
            );
        }
        Ok(stdout)
    }

    /// [`Snarkjs::run`], with "running snarkjs <verb>" as context.
    pub fn run_verb<S: AsRef<OsStr>>(&self, verb: &str, args: &[S]) -> anyhow::Result<String> {
        self.run(args)
            .with_context(|| format!("running snarkjs {verb}"))
    }
}
