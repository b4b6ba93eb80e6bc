//! Exit codes: which failures are the user's input's fault.
//!
//! A command returns `anyhow::Result<()>`. An error is an *input error* (exit code 2) when an
//! [`InputError`] appears anywhere in its chain: wrap with [`InputResultExt::input_error`] or
//! build one with [`bad_input`] at the place that knows the input is at fault (a records file
//! that does not parse, a file that cannot be read, an argument out of range). Context added
//! on top keeps the mark. An output file whose directory does not exist
//! ([`zkbackup_formats::fs::MissingDirectory`] anywhere in the chain) is bad input too.
//! Every other error (a proof that does not verify, a failed write) exits with 1.
//!
//! A reader that closes stdout early (`zkbackup inspect --json | head -c 10`) is not a
//! failure: output to stdout goes through [`stdout`], which turns a broken pipe into
//! [`StdoutClosed`], and [`report`] exits 0 without a message for it.

use std::fmt::{Debug, Display};
use std::process::ExitCode;

/// Exit code of success.
pub const EXIT_OK: u8 = 0;
/// Exit code of a failure that is not the input's fault.
pub const EXIT_FAILURE: u8 = 1;
/// Exit code of bad input or usage (as clap's own usage errors).
pub const EXIT_INPUT: u8 = 2;

/// Marks an error as caused by the user's input: the command exits with [`EXIT_INPUT`].
/// Displays as, and has the sources of, the error it wraps.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct InputError(#[from] pub anyhow::Error);

/// `.input_error()` on any `Result`: mark its error as an [`InputError`].
pub trait InputResultExt<T> {
    /// The error, if any, marked as the input's fault.
    fn input_error(self) -> anyhow::Result<T>;
}

impl<T, E: Into<anyhow::Error>> InputResultExt<T> for Result<T, E> {
    fn input_error(self) -> anyhow::Result<T> {
        self.map_err(|e| InputError(e.into()).into())
    }
}

/// An input error with a message, e.g. for an argument out of range.
#[allow(dead_code, reason = "for verbs that validate their own arguments")]
pub fn bad_input(message: impl Display + Debug + Send + Sync + 'static) -> anyhow::Error {
    InputError(anyhow::Error::msg(message)).into()
}

/// stdout was closed by its reader (e.g. `| head`): the rest of the output is not wanted.
#[derive(Debug, thiserror::Error)]
#[error("stdout was closed")]
pub struct StdoutClosed;

/// The result of writing to stdout: a broken pipe becomes [`StdoutClosed`] (exit 0, no
/// message), any other error gets the context "writing to stdout".
pub fn stdout<T>(result: std::io::Result<T>) -> anyhow::Result<T> {
    use anyhow::Context;
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(StdoutClosed.into()),
        other => other.context("writing to stdout"),
    }
}

/// Whether `error` says that a directory the user named for an output does not exist.
fn is_missing_directory(error: &(dyn std::error::Error + 'static)) -> bool {
    error
        .downcast_ref::<std::io::Error>()
        .and_then(zkbackup_formats::fs::MissingDirectory::find)
        .is_some()
        || error.is::<zkbackup_formats::fs::MissingDirectory>()
}

/// The exit code for `error`: [`EXIT_OK`] if stdout was closed by its reader, [`EXIT_INPUT`]
/// if it is marked as an input error or names a missing output directory, else
/// [`EXIT_FAILURE`].
pub fn exit_code(error: &anyhow::Error) -> u8 {
    if error.chain().any(|e| e.is::<StdoutClosed>()) {
        EXIT_OK
    } else if error
        .chain()
        .any(|e| e.is::<InputError>() || is_missing_directory(e))
    {
        EXIT_INPUT
    } else {
        EXIT_FAILURE
    }
}

/// Prints a failed command's error (with its causes) to stderr and picks the exit code;
/// says nothing when stdout was closed by its reader.
pub fn report(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(error) => {
            let code = exit_code(&error);
            if code != EXIT_OK {
                eprintln!("error: {error:#}");
            }
            ExitCode::from(code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn marked_errors_exit_2_even_under_context() {
        let e = Err::<(), _>(std::io::Error::other("boom"))
            .input_error()
            .context("reading x")
            .unwrap_err();
        assert_eq!(exit_code(&e), EXIT_INPUT);
        assert_eq!(format!("{e:#}"), "reading x: boom");
        assert_eq!(
            exit_code(&bad_input("--count must be positive")),
            EXIT_INPUT
        );
        assert_eq!(
            exit_code(&anyhow::anyhow!("proof does not verify")),
            EXIT_FAILURE
        );
    }

    #[test]
    fn a_closed_stdout_exits_0_and_a_missing_directory_exits_2() {
        let closed = stdout::<()>(Err(std::io::ErrorKind::BrokenPipe.into()))
            .context("printing the report")
            .unwrap_err();
        assert_eq!(exit_code(&closed), EXIT_OK);
        let full = stdout::<()>(Err(std::io::Error::other("disk full"))).unwrap_err();
        assert_eq!(exit_code(&full), EXIT_FAILURE);
        assert_eq!(format!("{full:#}"), "writing to stdout: disk full");
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope/out.csv");
        let e = zkbackup_formats::fs::write_atomic(&missing, |_| Ok(()))
            .context("writing out.csv")
            .unwrap_err();
        assert_eq!(exit_code(&e), EXIT_INPUT);
    }
}
