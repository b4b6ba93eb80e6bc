//! Writing files so that nothing is ever half-written: the content goes to a temporary file
//! in the target's directory, is synced, and only then takes the target's name. Every file
//! zkbackup writes goes through one of these two.

use std::io::Write;
use std::path::Path;

fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Writes `path` with content from `write`, replacing an existing file only once the new
/// content is complete and synced. On any error the temporary file is removed. The file
/// gets the permissions of a plain new file (0666 less the umask on Unix): this is for
/// public outputs; secrets go through [`write_new_file`] (0600, never replacing).
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".zkbackup-tmp-");
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let tmp = builder.tempfile_in(directory_of(path))?;
    write(&mut tmp.as_file())?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Creates `path` with content from `write`, never leaving a partial file and never
/// replacing an existing one: the content goes to a temporary file in the same directory
/// (created exclusively, mode 0600 on Unix), is synced, then linked into place with
/// no-clobber semantics. An existing `path` is an error of kind `AlreadyExists`, checked
/// before writing and again, atomically, at the end.
pub fn write_new_file(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let exists = || {
        std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "already exists; refusing to overwrite it",
        )
    };
    if path.symlink_metadata().is_ok() {
        return Err(exists());
    }
    let tmp = tempfile::Builder::new()
        .prefix(".zkbackup-tmp-")
        .tempfile_in(directory_of(path))?;
    // Unbuffered: the caller buffers if it wants to (a key file must not linger in a buffer).
    write(&mut tmp.as_file())?;
    tmp.as_file().sync_all()?;
    tmp.persist_noclobber(path).map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            exists()
        } else {
            e.error
        }
    })?;
    Ok(())
}
