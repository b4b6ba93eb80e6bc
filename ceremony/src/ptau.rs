//! The header of a powers-of-tau file (`.ptau`, snarkjs' phase 1), read without reading the
//! file (the largest public ones are hundreds of gigabytes): the section table is walked by
//! seeking.
//!
//! ```text
//! "ptau" | version 1 | sections
//!  1 header:        n8 u32 | q | power u32 | ceremonyPower u32
//!  2..6             tau·G1, tau·G2, alpha·tau·G1, beta·tau·G1, beta·G2
//!  7 contributions: n u32 | …
//! 12..15            the Lagrange bases `snarkjs powersoftau prepare phase2` adds
//! ```
//!
//! `snarkjs groth16 setup` needs a prepared file (sections 12 to 15) whose power is at
//! least [`required_power`] of the circuit.

use crate::binfile::{u32_at, u64_at};
use crate::field::{modulus_le, N8};
use crate::zkey::domain_size;
use ark_bn254::Fq;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// What the header of a `.ptau` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PtauInfo {
    /// The file's power: it serves circuits whose domain has up to `2^power` points.
    pub power: u32,
    /// The power of the ceremony it was cut from.
    pub ceremony_power: u32,
    /// Whether `snarkjs powersoftau prepare phase2` ran (sections 12 to 15 present).
    pub prepared: bool,
    /// Phase-1 contributions recorded in the file.
    pub contributions: u32,
}

/// A `.ptau` that cannot be read, naming the file. Displays as `path: problem`; its source is
/// the problem's (the I/O error), so a printed chain says each thing once.
#[derive(Debug)]
pub struct PtauError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong.
    pub kind: PtauErrorKind,
}

impl std::fmt::Display for PtauError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.kind)
    }
}

impl std::error::Error for PtauError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.kind)
    }
}

/// What is wrong with a `.ptau`.
#[derive(Debug, thiserror::Error)]
pub enum PtauErrorKind {
    /// Opening, seeking or reading failed.
    #[error("cannot read it")]
    Io(#[source] io::Error),
    /// Not a `.ptau` file.
    #[error("not a powers-of-tau file (it starts with {0:02x?})")]
    Magic([u8; 4]),
    /// A version other than 1.
    #[error("powers-of-tau version {0} is not supported (this reader knows version 1)")]
    Version(u32),
    /// The section table runs past the end of the file.
    #[error("the section table runs past the end of the file (entry {index})")]
    Truncated {
        /// The table entry.
        index: u32,
    },
    /// A section appears twice.
    #[error("section {0} appears more than once")]
    DuplicateSection(u32),
    /// The header section is missing or malformed.
    #[error("no valid header section")]
    Header,
    /// Not over BN254.
    #[error("not a BN254 (bn128) powers of tau")]
    Curve,
    /// The contributions section is missing or shorter than its count.
    #[error("no valid contributions section")]
    Contributions,
}

/// The power of the smallest `.ptau` `snarkjs groth16 setup` accepts for a circuit: `log2` of
/// its [`domain_size`].
pub fn required_power(constraints: usize, public: usize) -> u32 {
    domain_size(constraints, public).trailing_zeros()
}

/// Reads the header of the `.ptau` at `path` (layout in the module doc), seeking over the
/// sections.
pub fn read_ptau_header(path: &Path) -> Result<PtauInfo, PtauError> {
    read(path).map_err(|kind| PtauError {
        path: path.to_path_buf(),
        kind,
    })
}

fn read(path: &Path) -> Result<PtauInfo, PtauErrorKind> {
    let io = PtauErrorKind::Io;
    let mut file = File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let mut head = [0u8; 12];
    read_exact_or(&mut file, &mut head, PtauErrorKind::Truncated { index: 0 })?;
    let magic: [u8; 4] = head[..4].try_into().expect("4 bytes");
    if &magic != b"ptau" {
        return Err(PtauErrorKind::Magic(magic));
    }
    let version = u32_at(&head, 4);
    if version != 1 {
        return Err(PtauErrorKind::Version(version));
    }
    let count = u32_at(&head, 8);
    let mut pos = 12u64;
    // (id, start, length) of each section.
    let mut sections: Vec<(u32, u64, u64)> = Vec::new();
    for index in 0..count {
        let mut entry = [0u8; 12];
        if len - pos < 12 {
            return Err(PtauErrorKind::Truncated { index });
        }
        file.seek(SeekFrom::Start(pos)).map_err(io)?;
        read_exact_or(&mut file, &mut entry, PtauErrorKind::Truncated { index })?;
        let id = u32_at(&entry, 0);
        let size = u64_at(&entry, 4);
        pos += 12;
        if size > len - pos {
            return Err(PtauErrorKind::Truncated { index });
        }
        if sections.iter().any(|(seen, _, _)| *seen == id) {
            return Err(PtauErrorKind::DuplicateSection(id));
        }
        sections.push((id, pos, size));
        pos += size;
    }
    let find = |id: u32| sections.iter().find(|(seen, _, _)| *seen == id).copied();

    let (_, start, size) = find(1).ok_or(PtauErrorKind::Header)?;
    if size != (4 + N8 + 8) as u64 {
        // A 32-byte q and two u32 powers; another size is another curve or a damaged file.
        return Err(if size >= 4 {
            PtauErrorKind::Curve
        } else {
            PtauErrorKind::Header
        });
    }
    let mut header = [0u8; 4 + N8 + 8];
    file.seek(SeekFrom::Start(start)).map_err(io)?;
    read_exact_or(&mut file, &mut header, PtauErrorKind::Header)?;
    if u32_at(&header, 0) != N8 as u32 || header[4..4 + N8] != modulus_le::<Fq>() {
        return Err(PtauErrorKind::Curve);
    }
    let power = u32_at(&header, 4 + N8);
    let ceremony_power = u32_at(&header, 8 + N8);

    let (_, start, size) = find(7).ok_or(PtauErrorKind::Contributions)?;
    if size < 4 {
        return Err(PtauErrorKind::Contributions);
    }
    let mut n = [0u8; 4];
    file.seek(SeekFrom::Start(start)).map_err(io)?;
    read_exact_or(&mut file, &mut n, PtauErrorKind::Contributions)?;

    Ok(PtauInfo {
        power,
        ceremony_power,
        prepared: (12..=15).all(|id| find(id).is_some()),
        contributions: u32::from_le_bytes(n),
    })
}

fn read_exact_or(
    file: &mut File,
    buf: &mut [u8],
    short: PtauErrorKind,
) -> Result<(), PtauErrorKind> {
    match file.read_exact(buf) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Err(short),
        Err(e) => Err(PtauErrorKind::Io(e)),
    }
}
