//! Writing files so that nothing is ever half-written: the content goes to a temporary file
//! in the target's directory, is synced, and only then takes the target's name. Every file
//! zkbackup writes goes through one of these two.
//!
//! Errors never name the temporary file (an internal detail the user cannot act on): a
//! missing or non-directory parent is a [`MissingDirectory`] naming that directory, and any
//! other failure to create the temporary file keeps only its kind (permission denied,
//! read-only file system, ...). Callers name the target path in their own context.

use std::io::Write;
use std::path::{Path, PathBuf};

fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// The directory an output file should go to does not exist (or is not a directory).
///
/// Carried inside an [`std::io::Error`] of kind `NotFound`, so that a caller can tell "the
/// user named a directory that is not there" (bad input) from a failed write:
/// [`MissingDirectory::find`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("directory {} does not exist", dir.display())]
pub struct MissingDirectory {
    /// The directory that is missing.
    pub dir: PathBuf,
}

impl MissingDirectory {
    /// The [`MissingDirectory`] inside `error`, if that is what it is.
    pub fn find(error: &std::io::Error) -> Option<&MissingDirectory> {
        error.get_ref()?.downcast_ref::<MissingDirectory>()
    }
}

/// Checks that the directory `path` goes to exists; the error is a [`MissingDirectory`].
pub fn check_parent_directory(path: &Path) -> std::io::Result<()> {
    let dir = directory_of(path);
    if dir.is_dir() {
        Ok(())
    } else {
        Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            MissingDirectory {
                dir: dir.to_path_buf(),
            },
        ))
    }
}

/// `tempfile`'s errors name the temporary file ("... at path \"dir/.zkbackup-tmp-x1y2\"");
/// keep only the kind, after checking for the common, actionable case of a missing
/// directory. (The OS error inside cannot be kept without the name: tempfile wraps it in a
/// private type whose `source` skips it.)
fn temporary_in(
    builder: &tempfile::Builder<'_, '_>,
    path: &Path,
) -> std::io::Result<tempfile::NamedTempFile> {
    check_parent_directory(path)?;
    builder
        .tempfile_in(directory_of(path))
        .map_err(|e| std::io::Error::from(e.kind()))
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
    let tmp = temporary_in(&builder, path)?;
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
    let mut builder = tempfile::Builder::new();
    builder.prefix(".zkbackup-tmp-");
    let tmp = temporary_in(&builder, path)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_directory_is_named_and_no_temporary_path_leaks() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-such-dir");
        let target = missing.join("out.bin");
        for result in [
            write_atomic(&target, |w| w.write_all(b"x")),
            write_new_file(&target, |w| w.write_all(b"x")),
        ] {
            let e = result.unwrap_err();
            assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
            assert_eq!(
                MissingDirectory::find(&e),
                Some(&MissingDirectory {
                    dir: missing.clone()
                })
            );
            let text = e.to_string();
            assert_eq!(
                text,
                format!("directory {} does not exist", missing.display())
            );
        }
        // A file where the directory should be: named the same way.
        let file = dir.path().join("file");
        std::fs::write(&file, b"").unwrap();
        let e = write_atomic(&file.join("out.bin"), |w| w.write_all(b"x")).unwrap_err();
        assert!(MissingDirectory::find(&e).is_some(), "{e}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn an_unwritable_directory_does_not_name_the_temporary_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let locked = dir.path().join("locked");
        std::fs::create_dir(&locked).unwrap();
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o500)).unwrap();
        let result = write_atomic(&locked.join("out.bin"), |w| w.write_all(b"x"));
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o700)).unwrap();
        if let Err(e) = result {
            // (root can write anywhere; then there is nothing to check.)
            assert!(!e.to_string().contains("zkbackup-tmp"), "{e}");
            assert!(!e.to_string().contains("at path"), "{e}");
        }
    }
}
