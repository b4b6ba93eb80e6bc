//! zkbackup prover
