//! `zkbackup export-r1cs`: the chunk circuit of one shape as a circom `.r1cs` file.

use crate::error::{stdout, InputResultExt};
use anyhow::Context;
use clap::Args;
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use zkbackup_ceremony::R1csRef;
use zkbackup_core::chunk::ChunkShape;
use zkbackup_prover::ChunkMatrices;

/// Write the chunk circuit of one arity and chunk size as a circom R1CS file (iden3's
/// binary format, docs/CEREMONY.md), for `snarkjs r1cs info`, `snarkjs groth16 setup` and a
/// multi-party ceremony (`zkbackup ceremony start` writes it too).
#[derive(Clone, Debug, Args)]
pub struct ExportR1csArgs {
    /// Field elements per record (1 to 16).
    #[arg(long)]
    arity: usize,
    /// Records per chunk, a power of two.
    #[arg(long, value_name = "N", default_value_t = crate::cmd::backup::DEFAULT_CHUNK_SIZE)]
    chunk_size: usize,
    /// The `.r1cs` file to write (replaced if it exists).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Print one JSON object on stdout instead of the summary line.
    #[arg(long)]
    json: bool,
}

/// The R1CS view of a chunk circuit's matrices.
pub fn r1cs_ref(m: &ChunkMatrices) -> R1csRef<'_> {
    R1csRef {
        a: &m.matrices[0],
        b: &m.matrices[1],
        c: &m.matrices[2],
        num_instance: m.num_instance_variables,
        num_witness: m.num_witness_variables,
        num_private_inputs: m.num_private_inputs,
    }
}

/// Writes `shape`'s circuit to `path` (atomically); returns its matrices.
pub fn write_chunk_r1cs(shape: ChunkShape, path: &Path) -> anyhow::Result<ChunkMatrices> {
    let m = ChunkMatrices::derive(shape).context("deriving the chunk circuit")?;
    zkbackup_formats::fs::write_atomic(path, |w| {
        let mut w = std::io::BufWriter::new(w);
        zkbackup_ceremony::write_r1cs(&mut w, &r1cs_ref(&m))?;
        w.flush()
    })
    .with_context(|| format!("writing {}", path.display()))?;
    Ok(m)
}

/// Runs `zkbackup export-r1cs`.
pub fn run(args: ExportR1csArgs) -> anyhow::Result<()> {
    let shape = ChunkShape::new(args.arity, args.chunk_size).input_error()?;
    crate::args::expect_file("--out", &args.out, "the .r1cs file to write")?;
    let m = write_chunk_r1cs(shape, &args.out)?;
    let wires = m.num_variables();
    let public = m.num_instance_variables - 1;
    let power = zkbackup_ceremony::required_power(m.num_constraints, public);
    let mut out = std::io::stdout().lock();
    if args.json {
        let value = json!({
            "r1cs": args.out,
            "arity": shape.arity,
            "chunk_size": shape.chunk_size,
            "constraints": m.num_constraints,
            "wires": wires,
            "public_inputs": public,
            "private_inputs": m.num_private_inputs,
            "ptau_power": power,
        });
        stdout(writeln!(out, "{value}"))?;
    } else {
        stdout(writeln!(
            out,
            "{}: {} constraints, {wires} wires, {public} public inputs (a ceremony needs a .ptau of power {power} or more)",
            args.out.display(),
            m.num_constraints
        ))?;
    }
    Ok(())
}
