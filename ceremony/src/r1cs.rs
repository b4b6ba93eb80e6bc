//! circom's binary R1CS (iden3's `r1csfile` layout, version 1), written from arkworks'
//! constraint matrices.
//!
//! ```text
//! "r1cs" | version 1 | 3 sections
//! section 1, header:      n8 = 32 | prime r (32 bytes LE) | nWires u32 | nPubOut u32 |
//!                         nPubIn u32 | nPrvIn u32 | nLabels u64 | nConstraints u32
//! section 2, constraints: per constraint, A then B then C, each:
//!                         nCoeffs u32, then nCoeffs × (wire u32 | value 32 bytes LE, normal form)
//! section 3, wire map:    nWires × label u64
//! ```
//!
//! Wire `i` is index `i` of arkworks' full assignment `[1, public inputs…, witnesses…]`, so
//! wire 0 is the constant one and the public inputs follow it, as circom orders them; the
//! label of wire `i` is `i`. Our public inputs are all declared as public *inputs*
//! (`nPubOut = 0`). Within a row, repeated wires are merged (their coefficients added),
//! zero coefficients dropped and the terms sorted by wire: this canonical row is what
//! [`crate::zkey`] compares a zkey's coefficients with.

use crate::binfile::{count_u32, write_header, write_section};
use crate::field::{le_bytes, modulus_le, N8};
use ark_bn254::Fr;
use ark_ff::Zero;
use std::io::{self, Write};

/// A constraint system as arkworks' matrices describe it: row `i` of `a`, `b`, `c` is
/// constraint `i`, a list of `(coefficient, variable)` over the full assignment.
#[derive(Clone, Copy, Debug)]
pub struct R1csRef<'a> {
    /// The A matrix.
    pub a: &'a [Vec<(Fr, usize)>],
    /// The B matrix.
    pub b: &'a [Vec<(Fr, usize)>],
    /// The C matrix.
    pub c: &'a [Vec<(Fr, usize)>],
    /// Instance variables, including the constant one.
    pub num_instance: usize,
    /// Witness variables.
    pub num_witness: usize,
    /// How many of the first witnesses circom would call private inputs (only reported in
    /// the header; Groth16 setup and proving do not use it).
    pub num_private_inputs: usize,
}

impl R1csRef<'_> {
    /// Constraints.
    pub fn num_constraints(&self) -> usize {
        self.a.len()
    }

    /// Wires (variables of the full assignment, the constant one included).
    pub fn num_wires(&self) -> usize {
        self.num_instance + self.num_witness
    }

    /// Public inputs, the constant one excluded (snarkjs' `nPublic`).
    pub fn num_public(&self) -> usize {
        self.num_instance.saturating_sub(1)
    }

    /// Checks the matrices fit the counts: three matrices of one length, at least the
    /// constant one, every variable a wire, private inputs among the witnesses.
    pub fn check(&self) -> io::Result<()> {
        let invalid = |msg: String| Err(io::Error::new(io::ErrorKind::InvalidInput, msg));
        if self.b.len() != self.a.len() || self.c.len() != self.a.len() {
            return invalid(format!(
                "the A, B, C matrices have {}, {}, {} rows",
                self.a.len(),
                self.b.len(),
                self.c.len()
            ));
        }
        if self.num_instance == 0 {
            return invalid("no instance variable (the constant one is one)".into());
        }
        if self.num_private_inputs > self.num_witness {
            return invalid(format!(
                "{} private inputs but {} witnesses",
                self.num_private_inputs, self.num_witness
            ));
        }
        let wires = self.num_wires();
        for (name, m) in [("A", self.a), ("B", self.b), ("C", self.c)] {
            for (i, row) in m.iter().enumerate() {
                if let Some((_, v)) = row.iter().find(|(_, v)| *v >= wires) {
                    return invalid(format!(
                        "constraint {i} of {name} uses variable {v}, there are {wires} wires"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// A row in canonical form: repeated wires merged, zero coefficients dropped, sorted by wire.
pub fn canonical_row(row: &[(Fr, usize)]) -> Vec<(Fr, usize)> {
    let mut terms: Vec<(Fr, usize)> = row.to_vec();
    terms.sort_by_key(|(_, wire)| *wire);
    let mut merged: Vec<(Fr, usize)> = Vec::with_capacity(terms.len());
    for (coefficient, wire) in terms {
        match merged.last_mut() {
            Some((sum, last)) if *last == wire => *sum += coefficient,
            _ => merged.push((coefficient, wire)),
        }
    }
    merged.retain(|(coefficient, _)| !coefficient.is_zero());
    merged
}

/// Writes `r` as a circom `.r1cs` file (layout in the module doc). The caller buffers `w`.
pub fn write_r1cs(w: &mut impl Write, r: &R1csRef) -> io::Result<()> {
    r.check()?;
    let wires = count_u32(r.num_wires(), "wires")?;
    let constraints = count_u32(r.num_constraints(), "constraints")?;

    let mut header = Vec::with_capacity(4 + N8 + 4 * 4 + 8 + 4);
    header.extend_from_slice(&(N8 as u32).to_le_bytes());
    header.extend_from_slice(&modulus_le::<Fr>());
    header.extend_from_slice(&wires.to_le_bytes());
    header.extend_from_slice(&0u32.to_le_bytes()); // public outputs
    header.extend_from_slice(&count_u32(r.num_public(), "public inputs")?.to_le_bytes());
    header.extend_from_slice(&count_u32(r.num_private_inputs, "private inputs")?.to_le_bytes());
    header.extend_from_slice(&u64::from(wires).to_le_bytes()); // labels: one per wire
    header.extend_from_slice(&constraints.to_le_bytes());

    let mut body = Vec::new();
    for i in 0..r.num_constraints() {
        for m in [r.a, r.b, r.c] {
            let row = canonical_row(&m[i]);
            body.extend_from_slice(&count_u32(row.len(), "terms in a row")?.to_le_bytes());
            for (coefficient, wire) in &row {
                body.extend_from_slice(&(*wire as u32).to_le_bytes());
                body.extend_from_slice(&le_bytes(coefficient));
            }
        }
    }

    let mut map = Vec::with_capacity(8 * r.num_wires());
    for wire in 0..u64::from(wires) {
        map.extend_from_slice(&wire.to_le_bytes());
    }

    write_header(w, "r1cs", 1, 3)?;
    write_section(w, 1, &header)?;
    write_section(w, 2, &body)?;
    write_section(w, 3, &map)
}
