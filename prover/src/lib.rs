//! zkbackup's prover: per-shape Groth16 proving keys, chunk proofs (ours and stock arkworks, on the
//! same circuit and keys), and the parallel, resumable run over a whole backup.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod engine;
pub mod escrow;
pub mod estimate;
pub mod fft;
pub mod keys;
pub mod matrices;
pub mod prove;
pub mod reduction;
pub mod run;
pub mod tables;

pub use engine::{Backend, PreparedKey, ProveOptions, StageTimes};
pub use escrow::{EscrowKeys, EscrowKeysMeta};
pub use keys::{Ceremony, Contribution, ProvingKeys, ProvingKeysError, ProvingKeysMeta, Setup};
pub use prove::{
    ChunkMatrices, ChunkProver, EnginePolicy, ProveError, FIXED_MIN_CACHED_PROOFS, FIXED_MIN_PROOFS,
};
pub use reduction::{CircomReduction, Reduction};
pub use run::{
    checkpoint_dir, lock_path, verify_proofs, OutputLock, Plan, ProveJob, ReuseMismatch, RunError,
    RunReport,
};
pub use tables::{TablesCache, TablesEvent};
