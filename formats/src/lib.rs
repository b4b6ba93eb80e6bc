//! zkbackup's file formats, as `docs/FORMAT.md` specifies them:
//!
//! - [`records`]: the records a state holds, read from and written to CSV and JSON Lines;
//! - [`backup`]: the backup file (create, update, read, check, restore);
//! - [`claims`]: the claims ledger beside a key file, which hands out each generation of a
//!   backup lineage once (so an incremental backup never reuses a nonce);
//! - [`key_file`]: the escrow key file (owner-only, never overwritten);
//! - [`trustee`]: the escrow's trustee key, trustee public key and share files;
//! - [`fs`]: atomic and no-clobber writes, shared by every file zkbackup writes.
//!
//! The values in them (Poseidon, LeanIMT, cipher, commitments) are `zkbackup_core`'s.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod backup;
pub mod claims;
pub mod fs;
pub mod key_file;
pub mod records;
pub mod trustee;

pub use key_file::KeyFile;
pub use trustee::{ShareFile, TrusteeFileError, TrusteeFileKind};
