//! iden3's binary container (`@iden3/binfileutils`), shared by `.r1cs`, `.wtns`, `.zkey` and
//! `.ptau`: a 4-byte magic, a `u32` version, a `u32` section count, then the sections one
//! after the other, each a `u32` id, a `u64` length and that many bytes. Integers are
//! little-endian.
//!
//! The reader checks the table before anything else reads a byte of a section: every
//! section lies inside the file, sections follow each other without gaps (so none overlaps
//! another), nothing trails the last one, and the caller names which ids may appear (each at
//! most once).

use std::io::{self, Write};

/// Why a file's container (magic, version, section table) is not acceptable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BinFileError {
    /// Shorter than the 12-byte file header.
    #[error("{len} bytes, too short for a {kind} file header (12 bytes)")]
    TooShort {
        /// The expected magic.
        kind: &'static str,
        /// The file's length.
        len: usize,
    },
    /// The first four bytes are not the expected magic.
    #[error("not a {expected} file (it starts with {found:02x?})")]
    Magic {
        /// The expected magic.
        expected: &'static str,
        /// The file's first four bytes.
        found: [u8; 4],
    },
    /// A version this reader does not know.
    #[error("{kind} version {found} is not supported (this reader knows version {supported})")]
    Version {
        /// The file kind.
        kind: &'static str,
        /// The version in the file.
        found: u32,
        /// The version this reader reads.
        supported: u32,
    },
    /// The section table claims more sections, or a longer section, than the file holds.
    #[error("section table entry {index} (of {count}) runs past the end of the file")]
    Truncated {
        /// The table entry (0-based).
        index: u32,
        /// The section count in the header.
        count: u32,
    },
    /// Bytes after the last section.
    #[error("{trailing} bytes after the last section")]
    Trailing {
        /// How many.
        trailing: usize,
    },
    /// A section id this file kind does not have.
    #[error("unexpected section {id}")]
    UnexpectedSection {
        /// The id.
        id: u32,
    },
    /// A section appears more than once.
    #[error("section {id} appears more than once")]
    DuplicateSection {
        /// The id.
        id: u32,
    },
    /// A section the file kind requires is absent.
    #[error("section {id} ({name}) is missing")]
    MissingSection {
        /// The id.
        id: u32,
        /// What it holds.
        name: &'static str,
    },
    /// A section's length is not what its content requires.
    #[error("section {id} ({name}) is {found} bytes, expected {expected}")]
    SectionLength {
        /// The id.
        id: u32,
        /// What it holds.
        name: &'static str,
        /// The length its content requires.
        expected: u64,
        /// The length in the file.
        found: u64,
    },
}

/// A parsed container: the sections' bytes by id.
pub(crate) struct BinFile<'a> {
    sections: Vec<(u32, &'a [u8])>,
}

impl<'a> BinFile<'a> {
    /// Parses the container of `bytes`: magic `kind`, version `version`, sections with ids
    /// in `allowed` only, each at most once.
    pub(crate) fn parse(
        bytes: &'a [u8],
        kind: &'static str,
        version: u32,
        allowed: &[u32],
    ) -> Result<Self, BinFileError> {
        if bytes.len() < 12 {
            return Err(BinFileError::TooShort {
                kind,
                len: bytes.len(),
            });
        }
        let magic: [u8; 4] = bytes[..4].try_into().expect("4 bytes");
        if magic != kind.as_bytes() {
            return Err(BinFileError::Magic {
                expected: kind,
                found: magic,
            });
        }
        let found = u32_at(bytes, 4);
        if found != version {
            return Err(BinFileError::Version {
                kind,
                found,
                supported: version,
            });
        }
        let count = u32_at(bytes, 8);
        let mut pos = 12usize;
        // Each entry takes at least 12 bytes: the table is checked against the file as it
        // is walked, so a huge count allocates nothing.
        let mut sections: Vec<(u32, &'a [u8])> = Vec::new();
        for index in 0..count {
            let truncated = BinFileError::Truncated { index, count };
            if bytes.len() - pos < 12 {
                return Err(truncated);
            }
            let id = u32_at(bytes, pos);
            let len = u64_at(bytes, pos + 4);
            pos += 12;
            let len = usize::try_from(len)
                .ok()
                .filter(|&len| len <= bytes.len() - pos)
                .ok_or(truncated)?;
            if !allowed.contains(&id) {
                return Err(BinFileError::UnexpectedSection { id });
            }
            if sections.iter().any(|(seen, _)| *seen == id) {
                return Err(BinFileError::DuplicateSection { id });
            }
            sections.push((id, &bytes[pos..pos + len]));
            pos += len;
        }
        if pos != bytes.len() {
            return Err(BinFileError::Trailing {
                trailing: bytes.len() - pos,
            });
        }
        Ok(Self { sections })
    }

    /// Section `id`, required.
    pub(crate) fn section(&self, id: u32, name: &'static str) -> Result<&'a [u8], BinFileError> {
        self.sections
            .iter()
            .find(|(seen, _)| *seen == id)
            .map(|(_, bytes)| *bytes)
            .ok_or(BinFileError::MissingSection { id, name })
    }

    /// Section `id`, required to be exactly `expected` bytes long.
    pub(crate) fn section_of_len(
        &self,
        id: u32,
        name: &'static str,
        expected: u64,
    ) -> Result<&'a [u8], BinFileError> {
        let bytes = self.section(id, name)?;
        if bytes.len() as u64 != expected {
            return Err(BinFileError::SectionLength {
                id,
                name,
                expected,
                found: bytes.len() as u64,
            });
        }
        Ok(bytes)
    }
}

/// The `u32` at `pos` (the caller checked the bounds).
pub(crate) fn u32_at(bytes: &[u8], pos: usize) -> u32 {
    u32::from_le_bytes(bytes[pos..pos + 4].try_into().expect("4 bytes"))
}

/// The `u64` at `pos` (the caller checked the bounds).
pub(crate) fn u64_at(bytes: &[u8], pos: usize) -> u64 {
    u64::from_le_bytes(bytes[pos..pos + 8].try_into().expect("8 bytes"))
}

/// Writes a container's header.
pub(crate) fn write_header(
    w: &mut impl Write,
    kind: &str,
    version: u32,
    sections: u32,
) -> io::Result<()> {
    w.write_all(kind.as_bytes())?;
    w.write_all(&version.to_le_bytes())?;
    w.write_all(&sections.to_le_bytes())
}

/// Writes one section: its id, its length, its bytes.
pub(crate) fn write_section(w: &mut impl Write, id: u32, content: &[u8]) -> io::Result<()> {
    w.write_all(&id.to_le_bytes())?;
    w.write_all(&(content.len() as u64).to_le_bytes())?;
    w.write_all(content)
}

/// A `u32` count for a file field, or an `InvalidInput` error naming it.
pub(crate) fn count_u32(n: usize, what: &str) -> io::Result<u32> {
    u32::try_from(n).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{what} ({n}) does not fit the format's 32-bit field"),
        )
    })
}
