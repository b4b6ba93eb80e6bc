//! The agent's directory: `sync.json` (what is proven, what is in progress) and one
//! subdirectory per cycle.
//!
//! `sync.json` is a UTF-8 JSON object, replaced atomically (written to a temporary file in
//! the directory, synced, renamed) after every step:
//!
//! ```json
//! {"version":1,"next_cycle":4,
//!  "current":{"dir":"cycle-000003","state":{"root":"0x…","size":16385},"attested_block":812},
//!  "pending":{"dir":"cycle-000004","target":{"root":"0x…","size":16386},
//!             "changed":{"block":815,"unix_ms":1764523000000},"step":"prove"}}
//! ```
//!
//! - `current`: the last **proven** backup (`<dir>/backup.zkb`) and its bundle
//!   (`<dir>/bundle.json`), of state `state`; `attested_block` is the block of the gate
//!   submission that completed it (absent until then). It is the parent of the next backup
//!   and the source of reusable proofs, and is deleted only once a newer one is proven.
//! - `pending`: the cycle in progress, making a backup of `target` (the chain's state when
//!   the cycle began; `changed` is when the chain changed to it) in `<dir>`; `step` is the
//!   next step to run: `backup` or `prove`.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The version of `sync.json` this build reads and writes.
pub const STATE_VERSION: u32 = 1;
/// The state file's name in the agent's directory.
pub const STATE_FILE: &str = "sync.json";
/// A cycle's backup file, in its directory.
pub const BACKUP_FILE: &str = "backup.zkb";
/// A cycle's bundle, in its directory (the prover's checkpoints go beside it).
pub const BUNDLE_FILE: &str = "bundle.json";

/// A state: the state source's root and size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateRef {
    /// The root, `0x` + 64 hex digits.
    #[serde(with = "hex_fr")]
    pub root: ark_bn254::Fr,
    /// The number of records (leaves).
    pub size: u64,
}

/// When the chain changed to a state: the first block that had it, and that block's time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangedAt {
    /// The block number.
    pub block: u64,
    /// The block's timestamp, in milliseconds since the Unix epoch.
    pub unix_ms: u64,
}

/// The last proven backup and bundle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Its subdirectory.
    pub dir: String,
    /// The state it backs up.
    pub state: StateRef,
    /// The block of the submission that made the gate's attestation of it complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attested_block: Option<u64>,
}

/// The next step of a cycle in progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    /// Write the incremental backup.
    Backup,
    /// Prove it (reusing the last bundle's proofs of unchanged chunks).
    Prove,
}

/// A cycle in progress.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// Its subdirectory.
    pub dir: String,
    /// The chain's state the cycle backs up.
    pub target: StateRef,
    /// When the chain changed to `target` (for a refresh: when the attestation was found
    /// aged out).
    pub changed: ChangedAt,
    /// The next step.
    pub step: Step,
    /// A refresh: the state did not change, the attestation aged out; the backup
    /// re-encrypts the last chunk so the gate gets a newer proof.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub refresh: bool,
}

/// The content of `sync.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncState {
    /// [`STATE_VERSION`].
    pub version: u32,
    /// The number of the next cycle (names its subdirectory).
    pub next_cycle: u64,
    /// The last proven backup, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<Snapshot>,
    /// The cycle in progress, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<Pending>,
}

impl Default for SyncState {
    fn default() -> Self {
        Self {
            version: STATE_VERSION,
            next_cycle: 1,
            current: None,
            pending: None,
        }
    }
}

/// Why the agent's directory cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// Creating, reading or writing a file or directory failed.
    #[error("{}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// `sync.json` is not valid.
    #[error("{}: not a valid sync state", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// `sync.json` has a version this build does not read.
    #[error("{}: sync state version {found}, this build reads {STATE_VERSION}", path.display())]
    Version {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: u32,
    },
    /// `sync.json` names a subdirectory that is not a plain name (e.g. `../x`).
    #[error("{}: cycle directory {dir:?} is not a plain name", path.display())]
    BadDir {
        /// The file.
        path: PathBuf,
        /// The name.
        dir: String,
    },
}

/// The agent's directory.
#[derive(Clone, Debug)]
pub struct StateDir {
    root: PathBuf,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StateError + '_ {
    move |source| StateError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A cycle directory's name: `cycle-` and six or more digits.
fn cycle_dir_name(cycle: u64) -> String {
    format!("cycle-{cycle:06}")
}

/// Whether `dir` is a plain file name (no separators, not `.` or `..`).
fn is_plain_name(dir: &str) -> bool {
    let mut parts = Path::new(dir).components();
    matches!(
        (parts.next(), parts.next()),
        (Some(std::path::Component::Normal(_)), None)
    )
}

impl StateDir {
    /// Opens `root`, creating it (owner-only on Unix: it holds plaintext-derived files and
    /// backups) if it does not exist.
    pub fn create(root: &Path) -> Result<Self, StateError> {
        if !root.exists() {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder.create(root).map_err(io(root))?;
        }
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// `sync.json`'s path.
    pub fn state_file(&self) -> PathBuf {
        self.root.join(STATE_FILE)
    }

    /// A cycle subdirectory's path.
    pub fn cycle_path(&self, dir: &str) -> PathBuf {
        self.root.join(dir)
    }

    /// Reads `sync.json`; a missing file is a fresh state.
    pub fn load(&self) -> Result<SyncState, StateError> {
        let path = self.state_file();
        let text = match std::fs::read(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(SyncState::default()),
            Err(source) => return Err(StateError::Io { path, source }),
        };
        #[derive(Deserialize)]
        struct Versioned {
            version: u32,
        }
        let invalid = |source| StateError::Invalid {
            path: path.clone(),
            source,
        };
        let Versioned { version } = serde_json::from_slice(&text).map_err(invalid)?;
        if version != STATE_VERSION {
            return Err(StateError::Version {
                path,
                found: version,
            });
        }
        let state: SyncState = serde_json::from_slice(&text).map_err(invalid)?;
        let dirs = state.current.iter().map(|c| &c.dir);
        for dir in dirs.chain(state.pending.iter().map(|p| &p.dir)) {
            if !is_plain_name(dir) {
                return Err(StateError::BadDir {
                    path,
                    dir: dir.clone(),
                });
            }
        }
        Ok(state)
    }

    /// Replaces `sync.json` atomically.
    pub fn save(&self, state: &SyncState) -> Result<(), StateError> {
        let path = self.state_file();
        let json = serde_json::to_vec(state).expect("the sync state serializes");
        zkbackup_formats::fs::write_atomic(&path, |w| w.write_all(&json)).map_err(io(&path))
    }

    /// Creates the next cycle's subdirectory (removing a leftover of an abandoned attempt
    /// with the same name) and advances `next_cycle`; returns its name. The caller saves.
    pub fn new_cycle(&self, state: &mut SyncState) -> Result<String, StateError> {
        let dir = cycle_dir_name(state.next_cycle);
        state.next_cycle += 1;
        let path = self.cycle_path(&dir);
        self.remove_cycle(&dir)?;
        std::fs::create_dir(&path).map_err(io(&path))?;
        Ok(dir)
    }

    /// Deletes a cycle's subdirectory and everything in it (nothing if it is absent).
    pub fn remove_cycle(&self, dir: &str) -> Result<(), StateError> {
        let path = self.cycle_path(dir);
        match std::fs::remove_dir_all(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(StateError::Io { path, source: e })
            }
            _ => Ok(()),
        }
    }
}

/// Field elements as `0x` + 64 hex digits.
mod hex_fr {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(x: &ark_bn254::Fr, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&zkbackup_core::field::to_hex(x))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ark_bn254::Fr, D::Error> {
        let text = String::deserialize(d)?;
        zkbackup_core::field::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> SyncState {
        SyncState {
            version: STATE_VERSION,
            next_cycle: 4,
            current: Some(Snapshot {
                dir: "cycle-000003".into(),
                state: StateRef {
                    root: ark_bn254::Fr::from(7u64),
                    size: 16385,
                },
                attested_block: Some(812),
            }),
            pending: Some(Pending {
                dir: "cycle-000004".into(),
                target: StateRef {
                    root: ark_bn254::Fr::from(9u64),
                    size: 16386,
                },
                changed: ChangedAt {
                    block: 815,
                    unix_ms: 1_764_523_000_000,
                },
                refresh: false,
                step: Step::Prove,
            }),
        }
    }

    #[test]
    fn the_state_round_trips_and_a_missing_file_is_a_fresh_start() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = StateDir::create(&tmp.path().join("agent")).unwrap();
        assert_eq!(dir.load().unwrap(), SyncState::default());
        dir.save(&state()).unwrap();
        assert_eq!(dir.load().unwrap(), state());
        let text = std::fs::read_to_string(dir.state_file()).unwrap();
        assert!(text.contains(r#""step":"prove""#), "{text}");
        assert!(
            text.contains(
                r#""root":"0x0000000000000000000000000000000000000000000000000000000000000007""#
            ),
            "{text}"
        );
    }

    #[test]
    fn a_state_file_from_another_version_or_naming_another_directory_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = StateDir::create(tmp.path()).unwrap();
        let mut text = serde_json::to_value(state()).unwrap();
        text["version"] = 2.into();
        std::fs::write(dir.state_file(), text.to_string()).unwrap();
        assert!(matches!(
            dir.load(),
            Err(StateError::Version { found: 2, .. })
        ));
        let mut text = serde_json::to_value(state()).unwrap();
        text["current"]["dir"] = "../elsewhere".into();
        std::fs::write(dir.state_file(), text.to_string()).unwrap();
        assert!(matches!(dir.load(), Err(StateError::BadDir { .. })));
        std::fs::write(dir.state_file(), "{\"version\":1,").unwrap();
        assert!(matches!(dir.load(), Err(StateError::Invalid { .. })));
    }

    #[test]
    fn new_cycles_get_fresh_directories() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = StateDir::create(tmp.path()).unwrap();
        let mut s = SyncState::default();
        let first = dir.new_cycle(&mut s).unwrap();
        std::fs::write(dir.cycle_path(&first).join("leftover"), "x").unwrap();
        assert_eq!(first, "cycle-000001");
        s.next_cycle = 1;
        // A leftover of an abandoned attempt under the same name is cleared.
        assert_eq!(dir.new_cycle(&mut s).unwrap(), "cycle-000001");
        assert!(!dir.cycle_path(&first).join("leftover").exists());
        assert_eq!(s.next_cycle, 2);
    }
}
