//! `zkbackup export-wtns`: one chunk's full witness as a circom `.wtns` file.

use crate::args::{expect_file, RecordsInput};
use crate::error::{bad_input, stdout, InputResultExt};
use crate::keyfile::read_escrow_key;
use anyhow::Context;
use ark_bn254::Fr;
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, SynthesisMode,
};
use clap::Args;
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;
use zeroize::Zeroizing;
use zkbackup_circuits::chunk::ChunkCircuit;
use zkbackup_core::chunk::{ChunkShape, ChunkWitness};
use zkbackup_formats::backup::Backup;
use zkbackup_prover::ChunkMatrices;

/// Write the full witness of one chunk of a backup as a circom witness file (iden3's `.wtns`,
/// docs/CEREMONY.md), for `snarkjs groth16 prove chunk.zkey chunk.wtns` or `snarkjs wtns
/// check`.
///
/// The file holds the chunk's records and the escrow key in clear: it is created owner-only
/// (mode 0600), never replaces a file, and should be deleted after use. The witness is
/// checked against the circuit and the backup's chunk (its ciphertext commitment and nonce)
/// before anything is written.
#[derive(Clone, Debug, Args)]
pub struct ExportWtnsArgs {
    #[command(flatten)]
    records: RecordsInput,
    /// The escrow key file the backup was encrypted under.
    #[arg(long, value_name = "KEY")]
    key: PathBuf,
    /// The backup file (from `zkbackup backup`): gives the chunk's nonce and commitment.
    #[arg(long, value_name = "BACKUP")]
    backup: PathBuf,
    /// The chunk's index (0-based).
    #[arg(long, value_name = "I")]
    chunk: usize,
    /// The `.wtns` file to create; must not exist.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Print one JSON object on stdout instead of the summary line.
    #[arg(long)]
    json: bool,
}

/// The full assignment `[1, public inputs…, witnesses…]` of `witness`, checked against the
/// circuit's matrices. Wiped when dropped.
pub fn assignment(m: &ChunkMatrices, witness: ChunkWitness) -> anyhow::Result<Zeroizing<Vec<Fr>>> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Prove {
        construct_matrices: false,
        generate_lc_assignments: false,
    });
    let synthesized = ChunkCircuit::prove(witness).generate_constraints(cs.clone());
    let full = {
        let mut inner = cs.borrow_mut().context("the constraint system is gone")?;
        let a = &mut inner.assignments;
        let mut full = Zeroizing::new(Vec::with_capacity(
            a.instance_assignment.len() + a.witness_assignment.len(),
        ));
        full.extend_from_slice(&a.instance_assignment);
        full.extend_from_slice(&a.witness_assignment);
        zeroize::Zeroize::zeroize(&mut a.instance_assignment);
        zeroize::Zeroize::zeroize(&mut a.witness_assignment);
        full
    };
    synthesized.context("synthesizing the chunk circuit")?;
    if full.len() != m.num_variables() {
        anyhow::bail!(
            "the witness has {} values, the circuit {}",
            full.len(),
            m.num_variables()
        );
    }
    let eval = |row: &[(Fr, usize)]| -> Fr { row.iter().map(|(c, i)| *c * full[*i]).sum() };
    let [a, b, c] = [&m.matrices[0], &m.matrices[1], &m.matrices[2]];
    if let Some(i) = (0..m.num_constraints).find(|&i| eval(&a[i]) * eval(&b[i]) != eval(&c[i])) {
        anyhow::bail!("the witness does not satisfy constraint {i} of the chunk circuit");
    }
    Ok(full)
}

/// Runs `zkbackup export-wtns`.
pub fn run(args: ExportWtnsArgs) -> anyhow::Result<()> {
    expect_file("--backup", &args.backup, "the backup file")?;
    expect_file("--out", &args.out, "the .wtns file to create")?;
    if args.out.symlink_metadata().is_ok() {
        return Err(bad_input(format!(
            "{}: already exists; refusing to overwrite it",
            args.out.display()
        )));
    }
    let backup = Backup::read(&args.backup).input_error()?;
    let key = read_escrow_key(&args.key)?;
    let records = args.records.read()?;
    let h = backup.header();
    let shape = ChunkShape::new(h.arity, h.chunk_size).input_error()?;
    if records.arity() != shape.arity {
        return Err(bad_input(format!(
            "{} has arity {}, {} has arity {}",
            args.records.records.display(),
            records.arity(),
            args.backup.display(),
            shape.arity
        )));
    }
    let chunks = backup.chunks();
    let chunk = chunks.get(args.chunk).ok_or_else(|| {
        bad_input(format!(
            "--chunk {}: {} has {} chunks (0 to {})",
            args.chunk,
            args.backup.display(),
            chunks.len(),
            chunks.len().saturating_sub(1)
        ))
    })?;
    let fields = records.fields();
    let start = args.chunk * shape.slots();
    let end = (start + shape.slots()).min(fields.len());
    if start >= end {
        return Err(bad_input(format!(
            "{} has no records for chunk {} of {}",
            args.records.records.display(),
            args.chunk,
            args.backup.display()
        )));
    }
    let witness =
        ChunkWitness::new(shape, fields[start..end].to_vec(), key, chunk.nonce).input_error()?;
    let public = witness.public();
    if public.chunk_commitment != chunk.commitment || public.nonce != Fr::from(chunk.nonce) {
        return Err(bad_input(format!(
            "chunk {} of {} is not the encryption of these records under this key",
            args.chunk,
            args.backup.display()
        )));
    }
    let m = ChunkMatrices::derive(shape).context("deriving the chunk circuit")?;
    let full = assignment(&m, witness)?;
    // The encoding goes to one buffer of its exact size (no reallocation leaves a copy),
    // wiped when dropped, then to the file unbuffered.
    let mut bytes = Zeroizing::new(Vec::with_capacity(64 + 32 * full.len()));
    zkbackup_ceremony::write_wtns(&mut *bytes, &full).context("encoding the witness")?;
    zkbackup_formats::fs::write_new_file(&args.out, |w| w.write_all(&bytes))
        .with_context(|| format!("writing {}", args.out.display()))?;

    let mut out = std::io::stdout().lock();
    if args.json {
        let value = json!({
            "wtns": args.out,
            "chunk": args.chunk,
            "values": full.len(),
            "public_inputs": public.to_inputs().iter().map(zkbackup_core::field::to_decimal).collect::<Vec<_>>(),
        });
        stdout(writeln!(out, "{value}"))?;
    } else {
        stdout(writeln!(
            out,
            "{}: chunk {}, {} values",
            args.out.display(),
            args.chunk,
            full.len()
        ))?;
    }
    eprintln!(
        "{} holds the chunk's records and the escrow key in clear (mode 0600): delete it after use",
        args.out.display()
    );
    Ok(())
}
