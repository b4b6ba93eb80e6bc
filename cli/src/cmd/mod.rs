//! One module per verb: its clap arguments struct and its `run` function.

pub mod attest;
pub mod backup;
pub mod bench;
pub mod ceremony;
pub mod check;
pub mod demo;
pub mod escrow;
pub mod export_r1cs;
pub mod export_snarkjs;
pub mod export_verifier;
pub mod export_wtns;
pub mod inspect;
pub mod keygen;
pub mod prove;
pub mod prove_queue;
pub mod restore;
pub mod root;
pub mod setup;
pub mod sync;
pub mod verify;
pub mod worker;
