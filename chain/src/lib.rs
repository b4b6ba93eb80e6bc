//! zkbackup on chain: the committed contract artifacts (`contracts/out`), an in-process EVM
//! on revm ([`EmbeddedChain`]), the gate flow ([`GateFlow`]: state source, verifier, gate,
//! vault), the escrow registry ([`escrow`]), and the standalone Solidity verifier export
//! ([`render_verifier`], for any number of public inputs).
//!
//! Nothing here needs solc: the artifacts are compiled once by `contracts/build.mjs` and
//! embedded; a verifier for any verifying key is the committed `Groth16Verifier` artifact with
//! the key as constructor arguments (kept in immutables), and [`render_verifier`] writes the
//! same contract with the key as constants for `zkbackup export-verifier`.
//!
//! The Rust bindings of the contracts ([`abi::BackupGate`], ...: calls, events, custom errors)
//! are generated at build time by alloy's `sol!` from the ABI in those same committed
//! artifacts, so a contract's interface is written once, in Solidity (see [`abi`]).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod abi;
pub mod artifact;
pub mod escrow;
pub mod evm;
pub mod gate;
pub mod render;
pub mod rpc;
pub mod submit;

pub use abi::{fr_to_u256, proof_words, u256_to_fr, vk_words};
pub use artifact::Artifact;
pub use escrow::{EscrowRecord, EscrowRegistration, EscrowShape};
pub use evm::{EmbeddedChain, EvmBackend, Receipt};
pub use gate::{gate_inputs, Attestation, AttestationRecord, GateConfig, GateFlow};
pub use render::{render_verifier, verifier_template};
pub use rpc::{read_state_root, RpcChain};
pub use submit::{
    AttestReport, LineageOnChain, Plan, PlanError, RawSubmission, SubmitTx, MAX_GAS_CAP,
};

use alloy_primitives::Bytes;

/// Boxed cause of a [`ChainError`] from a library whose error type is not part of our API.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Errors of the chain layer.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// A committed artifact or a compiler output is not what it should be.
    #[error("artifact {name}: {reason}")]
    Artifact {
        /// The contract's name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// A committed artifact or a compiler output is not JSON.
    #[error("artifact {name}: not JSON")]
    ArtifactJson {
        /// The contract's name (`?` when unknown).
        name: String,
        /// The JSON error.
        source: serde_json::Error,
    },
    /// An artifact's bytecode is not hex.
    #[error("artifact {name}: bytecode is not hex (unlinked library?)")]
    ArtifactHex {
        /// The contract's name.
        name: String,
        /// The hex decoder's error.
        source: alloy_primitives::hex::FromHexError,
    },
    /// The transaction or call reverted; `reason` is the decoded custom error when known.
    #[error("reverted: {reason}")]
    Reverted {
        /// The decoded revert reason (custom error name and arguments, `Error(string)`, panic
        /// code) or the raw data in hex.
        reason: String,
        /// The raw revert data.
        data: Bytes,
        /// Gas used by the transaction.
        gas_used: u64,
    },
    /// The EVM halted (out of gas, invalid opcode, ...).
    #[error("halted: {0}")]
    Halted(String),
    /// The embedded EVM refused the transaction (nonce, balance, gas limit, ...).
    #[error("EVM error")]
    Evm(#[source] BoxError),
    /// A JSON-RPC request failed, or its answer is not what it should be.
    #[error("{what}")]
    Rpc {
        /// The request or the value, and where it went.
        what: String,
        /// The cause (transport, HTTP, JSON, signing).
        source: BoxError,
    },
    /// A JSON-RPC node answered something we cannot use (our description, or the node's
    /// own error object).
    #[error("{0}")]
    Node(String),
    /// A returned value could not be decoded.
    #[error("could not decode the result of {what}: {reason}")]
    Decode {
        /// The call whose result was being decoded.
        what: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A returned value is not ABI-encoded as expected.
    #[error("could not decode the result of {what}")]
    DecodeAbi {
        /// The call whose result was being decoded.
        what: String,
        /// The ABI decoder's error.
        source: alloy_sol_types::Error,
    },
    /// A verifying key, proof or input does not fit the contracts (e.g. a number of public
    /// inputs without a verifier).
    #[error("invalid input: {0}")]
    Input(String),
    /// The chunk roots or commitments do not form a LeanIMT (e.g. no chunks).
    #[error("invalid input")]
    Tree(#[from] zkbackup_core::lean_imt::LeanImtError),
    /// The bundle cannot be submitted to the gate's lineage as it is on chain.
    #[error("cannot attest")]
    Plan(#[from] PlanError),
}

impl ChainError {
    /// The decoded revert reason, if this is a revert.
    pub fn revert_reason(&self) -> Option<&str> {
        match self {
            ChainError::Reverted { reason, .. } => Some(reason),
            _ => None,
        }
    }
}

/// Result alias of this crate.
pub type Result<T, E = ChainError> = std::result::Result<T, E>;
