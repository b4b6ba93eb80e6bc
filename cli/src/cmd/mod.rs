//! One module per verb: its clap arguments struct and its `run` function.

pub mod attest;
pub mod backup;
pub mod bench;
pub mod check;
pub mod demo;
pub mod export_snarkjs;
pub mod export_verifier;
pub mod inspect;
pub mod keygen;
pub mod prove;
pub mod restore;
pub mod root;
pub mod setup;
pub mod sync;
pub mod verify;
