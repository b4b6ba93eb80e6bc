//! One edit of a byte string, for the property tests that feed hostile files to the readers
//! (backup, key file, records, bundle, `vk.bin`). Each test draws edits with its own
//! strategy; the edit and how it applies live here once.

/// One edit of a byte string. Positions are taken modulo the length, so any drawn value
/// applies to any string.
#[derive(Clone, Debug)]
pub enum Mutation {
    /// XOR the byte at `at` with `mask` (at least 1, so the byte changes).
    Flip {
        /// Position.
        at: usize,
        /// XOR mask.
        mask: u8,
    },
    /// Insert `byte` before position `at` (or at the end).
    Insert {
        /// Position.
        at: usize,
        /// The new byte.
        byte: u8,
    },
    /// Remove the byte at `at`.
    Delete {
        /// Position.
        at: usize,
    },
    /// Keep the first `len` bytes.
    Truncate {
        /// New length (modulo length + 1).
        len: usize,
    },
    /// Overwrite bytes from `at` on, wrapping around.
    Overwrite {
        /// Position.
        at: usize,
        /// The new bytes.
        bytes: Vec<u8>,
    },
}

impl Mutation {
    /// Applies the edit to `bytes`; an edit of an empty string that needs a byte does nothing.
    pub fn apply(&self, bytes: &mut Vec<u8>) {
        let n = bytes.len();
        match self {
            Mutation::Flip { at, mask } if n > 0 => bytes[at % n] ^= (*mask).max(1),
            Mutation::Insert { at, byte } => bytes.insert(at % (n + 1), *byte),
            Mutation::Delete { at } if n > 0 => {
                bytes.remove(at % n);
            }
            Mutation::Truncate { len } => bytes.truncate(len % (n + 1)),
            Mutation::Overwrite { at, bytes: new } if n > 0 => {
                for (i, b) in new.iter().enumerate() {
                    bytes[(at + i) % n] = *b;
                }
            }
            _ => {}
        }
    }
}
