//! circom's witness file (iden3's `.wtns` layout, version 2), the full assignment a circom
//! prover (`snarkjs groth16 prove`) takes.
//!
//! ```text
//! "wtns" | version 2 | 2 sections
//! section 1, header: n8 = 32 | prime r (32 bytes LE) | nWitness u32
//! section 2, values: nWitness × 32 bytes LE, normal form
//! ```
//!
//! Value `i` is wire `i` of the `.r1cs` ([`crate::r1cs`]): arkworks' full assignment
//! `[1, public inputs…, witnesses…]`.
//!
//! # Secrets
//! A chunk's witness holds its records and the escrow key: whoever writes it to a file
//! writes it owner-only, and the bytes passed to `w` are the caller's to wipe.

use crate::binfile::{count_u32, write_header, write_section};
use crate::field::{le_bytes, modulus_le, N8};
use ark_bn254::Fr;
use std::io::{self, Write};

/// Writes `assignment` as a `.wtns` file (layout in the module doc). Writes straight to `w`
/// value by value (no copy of the whole witness); the caller buffers `w`.
pub fn write_wtns(w: &mut impl Write, assignment: &[Fr]) -> io::Result<()> {
    let n = count_u32(assignment.len(), "witness values")?;
    let mut header = Vec::with_capacity(4 + N8 + 4);
    header.extend_from_slice(&(N8 as u32).to_le_bytes());
    header.extend_from_slice(&modulus_le::<Fr>());
    header.extend_from_slice(&n.to_le_bytes());
    write_header(w, "wtns", 2, 2)?;
    write_section(w, 1, &header)?;
    w.write_all(&2u32.to_le_bytes())?;
    w.write_all(&((assignment.len() * N8) as u64).to_le_bytes())?;
    for value in assignment {
        let mut bytes = le_bytes(value);
        w.write_all(&bytes)?;
        bytes.fill(0);
    }
    Ok(())
}
