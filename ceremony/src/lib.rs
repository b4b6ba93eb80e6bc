//! The files of a multi-party trusted setup through the circom/snarkjs tools
//! ([CEREMONY.md](../../docs/CEREMONY.md)): a chunk circuit exported as a circom `.r1cs`
//! ([`r1cs`]) and its witness as a `.wtns` ([`wtns`]), snarkjs' Groth16 `.zkey` read into an
//! arkworks proving key and written from one ([`zkey`]), and the header of a powers-of-tau
//! `.ptau` ([`ptau`]).
//!
//! Pure file formats over arkworks' types: no processes, no file system except the `.ptau`
//! header (read by seeking, the files are large). Every length, count, offset, field element
//! and point read from a file is checked before use; errors name the file and the problem.

#![forbid(unsafe_code)]

mod binfile;
pub mod field;
pub mod ptau;
pub mod r1cs;
pub mod wtns;
pub mod zkey;

pub use binfile::BinFileError;
pub use ptau::{read_ptau_header, required_power, PtauError, PtauErrorKind, PtauInfo};
pub use r1cs::{write_r1cs, R1csRef};
pub use wtns::write_wtns;
pub use zkey::{
    domain_size, read_zkey, write_zkey, Contribution, ContributionKind, Zkey, ZkeyError,
    ZkeyErrorKind, ZkeyMismatch,
};
