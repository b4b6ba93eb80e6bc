//! Reading the escrow key file, with a warning when others can read it.

use crate::error::{bad_input, InputResultExt};
use std::path::Path;
use zkbackup_core::EscrowKey;
use zkbackup_formats::KeyFile;

/// Reads and validates the escrow key file given to `--key` (exit 2 on any problem). Warns
/// on stderr when the file is readable or writable by its group or others (Unix mode
/// `& 0o077`): whoever can read it can decrypt every backup made with it.
pub fn read_escrow_key(path: &Path) -> anyhow::Result<EscrowKey> {
    if path.is_dir() {
        return Err(bad_input(format!(
            "--key wants the escrow key file written by `zkbackup keygen`, but {} is a \
             directory (the proving keys directory goes to --keys-dir)",
            path.display()
        )));
    }
    if let Some(warning) = permission_warning(path) {
        eprintln!("{warning}");
    }
    EscrowKey::read(path).input_error()
}

/// The warning for a key file that its group or others may access, if it is one.
pub fn permission_warning(path: &Path) -> Option<String> {
    secret_permission_warning(
        path,
        "key file",
        "whoever can read it can decrypt every backup made with it",
    )
}

/// The warning for a secret file (`what`, e.g. "key file") that its group or others may
/// access, if it is one; `consequence` says what a reader of it can do.
pub fn secret_permission_warning(path: &Path, what: &str, consequence: &str) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then(|| {
            format!(
                "warning: the {what} {} is accessible by its group or others (mode {mode:03o}); \
                 {consequence}: `chmod 600 {}`",
                path.display(),
                path.display()
            )
        })
    }
    #[cfg(not(unix))]
    {
        let _ = (path, what, consequence);
        None
    }
}
