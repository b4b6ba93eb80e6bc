//! The circom/snarkjs files against snarkjs itself (the npm package pinned in `tests/js`):
//! `snarkjs r1cs info` reads our `.r1cs`, `snarkjs wtns check` accepts an honest `.wtns` and
//! refuses a tampered one, and a ceremony run with snarkjs alone on a tiny chunk shape (phase
//! 1 with two contributions and a beacon, `groth16 setup` on our `.r1cs`, two phase-2
//! contributions and a beacon) gives a zkey that `read_zkey` reads into the key snarkjs
//! exports, made for our circuit and no other, listing the contributions with the hashes
//! snarkjs prints. Hostile zkeys are refused with the error naming the problem, never a
//! panic. One test binary (one link step); the ceremony runs once, in one test.

use ark_bn254::{Fq, Fq2, Fr, G2Affine};
use ark_ec::short_weierstrass::SWCurveConfig;
use ark_ff::{Field, One, UniformRand};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, SynthesisMode, R1CS_PREDICATE_LABEL,
};
use proptest::prelude::*;
use rand::{rngs::StdRng, SeedableRng};
use std::path::{Path, PathBuf};
use zkbackup_ceremony::field::{g2_to_zkey, G1_LEN, G2_LEN};
use zkbackup_ceremony::{
    domain_size, read_ptau_header, read_zkey, required_power, write_r1cs, write_wtns, write_zkey,
    BinFileError, ContributionKind, PtauErrorKind, R1csRef, Zkey, ZkeyErrorKind, ZkeyMismatch,
};
use zkbackup_circuits::chunk::ChunkCircuit;
use zkbackup_core::chunk::{ChunkShape, ChunkWitness, NUM_PUBLIC_INPUTS};
use zkbackup_core::EscrowKey;
use zkbackup_tests::mutation::Mutation;
use zkbackup_tests::snarkjs;

type Matrix = Vec<Vec<(Fr, usize)>>;

/// A chunk circuit's matrices, derived as the prover derives them (`ChunkProver::new`).
struct Circuit {
    a: Matrix,
    b: Matrix,
    c: Matrix,
    num_instance: usize,
    num_witness: usize,
}

impl Circuit {
    fn new(shape: ChunkShape) -> Self {
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Setup);
        ChunkCircuit::setup(shape)
            .generate_constraints(cs.clone())
            .unwrap();
        cs.finalize();
        let mut matrices = cs
            .to_matrices()
            .unwrap()
            .remove(R1CS_PREDICATE_LABEL)
            .unwrap();
        let c = matrices.pop().unwrap();
        let b = matrices.pop().unwrap();
        let a = matrices.pop().unwrap();
        Self {
            a,
            b,
            c,
            num_instance: cs.num_instance_variables(),
            num_witness: cs.num_witness_variables(),
        }
    }

    fn r1cs(&self) -> R1csRef<'_> {
        R1csRef {
            a: &self.a,
            b: &self.b,
            c: &self.c,
            num_instance: self.num_instance,
            num_witness: self.num_witness,
            num_private_inputs: 0,
        }
    }

    fn satisfied(&self, z: &[Fr]) -> bool {
        let eval = |row: &[(Fr, usize)]| -> Fr { row.iter().map(|(c, i)| *c * z[*i]).sum() };
        (0..self.a.len()).all(|i| eval(&self.a[i]) * eval(&self.b[i]) == eval(&self.c[i]))
    }
}

/// The full assignment `[1, public…, witness…]` of a random chunk of `shape`.
fn assignment(shape: ChunkShape, seed: u64) -> Vec<Fr> {
    let mut rng = StdRng::seed_from_u64(seed);
    let records = (0..shape.slots()).map(|_| Fr::rand(&mut rng)).collect();
    let key = EscrowKey::from_elements([Fr::rand(&mut rng), Fr::rand(&mut rng)]);
    let witness = ChunkWitness::new(shape, records, key, 7 << 64).unwrap();
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Prove {
        construct_matrices: false,
        generate_lc_assignments: false,
    });
    ChunkCircuit::prove(witness)
        .generate_constraints(cs.clone())
        .unwrap();
    let inner = cs.borrow().unwrap();
    let mut full = inner.assignments.instance_assignment.clone();
    full.extend_from_slice(&inner.assignments.witness_assignment);
    full
}

fn write(path: &Path, f: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) {
    let mut bytes = Vec::new();
    f(&mut bytes).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The value after `label` on the line of snarkjs' output that holds it.
fn printed(text: &str, label: &str) -> usize {
    let line = text
        .lines()
        .find(|l| l.contains(label))
        .unwrap_or_else(|| panic!("no {label:?} in:\n{text}"));
    line.rsplit(':').next().unwrap().trim().parse().unwrap()
}

const SHAPE: (usize, usize) = (1, 1);

fn shape() -> ChunkShape {
    ChunkShape::new(SHAPE.0, SHAPE.1).unwrap()
}

#[test]
fn snarkjs_reads_our_r1cs_and_checks_our_wtns() {
    let dir = tempfile::tempdir().unwrap();
    let circuit = Circuit::new(shape());
    let r1cs = dir.path().join("chunk.r1cs");
    write(&r1cs, |w| write_r1cs(w, &circuit.r1cs()));

    let info = snarkjs::run(dir.path(), &["r1cs", "info", s(&r1cs)]);
    assert!(info.contains("Curve: bn-128"), "{info}");
    assert_eq!(
        printed(&info, "# of Wires"),
        circuit.num_instance + circuit.num_witness
    );
    assert_eq!(printed(&info, "# of Constraints"), circuit.a.len());
    assert_eq!(printed(&info, "# of Public Inputs"), NUM_PUBLIC_INPUTS);
    assert_eq!(printed(&info, "# of Outputs"), 0);
    assert_eq!(
        printed(&info, "# of Labels"),
        circuit.num_instance + circuit.num_witness
    );

    let z = assignment(shape(), 1);
    assert!(circuit.satisfied(&z));
    let wtns = dir.path().join("chunk.wtns");
    write(&wtns, |w| write_wtns(w, &z));
    let (ok, text) = snarkjs::try_run(dir.path(), &["wtns", "check", s(&r1cs), s(&wtns)]);
    assert!(ok && text.contains("WITNESS IS CORRECT"), "{text}");

    // One witness value changed: snarkjs finds the constraint it breaks.
    let mut tampered = z.clone();
    let last = tampered.len() - 1;
    tampered[last] += Fr::one();
    assert!(!circuit.satisfied(&tampered));
    write(&wtns, |w| write_wtns(w, &tampered));
    let (ok, text) = snarkjs::try_run(dir.path(), &["wtns", "check", s(&r1cs), s(&wtns)]);
    assert!(!ok && !text.contains("WITNESS IS CORRECT"), "{text}");
}

#[test]
fn canonical_rows_merge_sort_and_drop_zeros() {
    let two = Fr::from(2u64);
    let row = vec![
        (two, 5),
        (Fr::one(), 1),
        (-two, 5),
        (Fr::one(), 1),
        (Fr::from(0u64), 3),
    ];
    assert_eq!(
        zkbackup_ceremony::r1cs::canonical_row(&row),
        vec![(two, 1)],
        "wire 5 cancels, wire 3 is zero, wire 1 merges"
    );
    // snarkjs' rule: the smallest power of two above constraints + public inputs.
    assert_eq!(domain_size(1, 5), 8);
    assert_eq!(domain_size(2, 5), 8);
    assert_eq!(domain_size(3, 5), 16);
    assert_eq!(required_power(1955, 5), 11);
    assert_eq!(required_power(2042, 5), 11);
    assert_eq!(required_power(2043, 5), 12);
}

#[test]
fn a_new_ptau_is_not_prepared_and_other_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    snarkjs::run(d, &["powersoftau", "new", "bn128", "4", "new.ptau"]);
    let info = read_ptau_header(&d.join("new.ptau")).unwrap();
    assert_eq!(
        (
            info.power,
            info.ceremony_power,
            info.prepared,
            info.contributions
        ),
        (4, 4, false, 0)
    );
    // Not a ptau; a missing file.
    let r1cs = d.join("chunk.r1cs");
    write(&r1cs, |w| write_r1cs(w, &Circuit::new(shape()).r1cs()));
    assert!(matches!(
        read_ptau_header(&r1cs).unwrap_err().kind,
        PtauErrorKind::Magic(m) if &m == b"r1cs"
    ));
    let e = read_ptau_header(&d.join("missing.ptau")).unwrap_err();
    assert!(matches!(e.kind, PtauErrorKind::Io(_)));
    assert!(
        e.to_string().ends_with("missing.ptau: cannot read it"),
        "{e}"
    );
    let cause = std::error::Error::source(&e).expect("the I/O error");
    assert!(cause.is::<std::io::Error>(), "{cause}");
}

/// The offset and length of section `id` of an iden3 binary file.
fn section(bytes: &[u8], id: u32) -> (usize, usize) {
    let mut pos = 12;
    loop {
        let sid = u32::from_le_bytes(bytes[pos..pos + 4].try_into().unwrap());
        let len = u64::from_le_bytes(bytes[pos + 4..pos + 12].try_into().unwrap()) as usize;
        if sid == id {
            return (pos + 12, len);
        }
        pos += 12 + len;
    }
}

fn refused(bytes: &[u8]) -> ZkeyErrorKind {
    let path = Path::new("hostile.zkey");
    let e = read_zkey(bytes, path).expect_err("a hostile zkey is refused");
    assert!(e.to_string().starts_with("hostile.zkey: "), "{e}");
    e.kind
}

/// A G2 point on the curve outside the prime-order subgroup.
fn g2_outside_subgroup() -> G2Affine {
    (1u64..)
        .find_map(|i| {
            let x = Fq2::new(Fq::from(i), Fq::one());
            let y = (x * x * x + ark_bn254::g2::Config::COEFF_B).sqrt()?;
            let p = G2Affine::new_unchecked(x, y);
            assert!(p.is_on_curve());
            (!p.is_in_correct_subgroup_assuming_on_curve()).then_some(p)
        })
        .unwrap()
}

struct Ceremony {
    dir: tempfile::TempDir,
    r1cs: PathBuf,
    ptau: PathBuf,
    zkey: PathBuf,
    hashes: [String; 2],
}

fn ceremony(circuit: &Circuit) -> Ceremony {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let r1cs = d.join("chunk.r1cs");
    write(&r1cs, |w| write_r1cs(w, &circuit.r1cs()));
    let power = required_power(circuit.a.len(), circuit.num_instance - 1);
    let ptau = snarkjs::phase1_cached(Path::new(env!("CARGO_TARGET_TMPDIR")), power);
    let zkey_0000 = d.join("chunk_0000.zkey");
    snarkjs::run(d, &["groth16", "setup", s(&r1cs), s(&ptau), s(&zkey_0000)]);
    let (zkey, hashes) = snarkjs::phase2(d, &zkey_0000);
    Ceremony {
        dir,
        r1cs,
        ptau,
        zkey,
        hashes,
    }
}

#[test]
fn a_snarkjs_ceremony_reads_into_the_key_snarkjs_exports() {
    let circuit = Circuit::new(shape());
    let c = ceremony(&circuit);
    let d = c.dir.path();

    // The ptau's header.
    let info = read_ptau_header(&c.ptau).unwrap();
    assert_eq!(
        info.power,
        required_power(circuit.a.len(), NUM_PUBLIC_INPUTS)
    );
    assert!(info.prepared);
    assert_eq!(info.contributions, 3, "two contributions and a beacon");
    let ptau_bytes = std::fs::read(&c.ptau).unwrap();
    let cut = d.join("cut.ptau");
    std::fs::write(&cut, &ptau_bytes[..ptau_bytes.len() / 2]).unwrap();
    assert!(matches!(
        read_ptau_header(&cut).unwrap_err().kind,
        PtauErrorKind::Truncated { .. }
    ));

    let bytes = std::fs::read(&c.zkey).unwrap();
    let zkey = read_zkey(&bytes, &c.zkey).unwrap();

    // The verifying key is the one snarkjs exports.
    let vk_json = d.join("verification_key.json");
    snarkjs::run(
        d,
        &["zkey", "export", "verificationkey", s(&c.zkey), s(&vk_json)],
    );
    let theirs = zkbackup_verifier::snarkjs::parse_verification_key(
        &std::fs::read_to_string(&vk_json).unwrap(),
    )
    .unwrap();
    let ours = &zkey.pk.vk;
    assert_eq!(theirs.alpha_g1, ours.alpha_g1);
    assert_eq!(theirs.beta_g2, ours.beta_g2);
    assert_eq!(theirs.gamma_g2, ours.gamma_g2);
    assert_eq!(theirs.delta_g2, ours.delta_g2);
    assert_eq!(theirs.gamma_abc_g1, ours.gamma_abc_g1);

    // Made for our circuit, and no other.
    zkey.check_circuit(&circuit.r1cs()).unwrap();
    assert_eq!(zkey.n_public, NUM_PUBLIC_INPUTS);
    let other = Circuit::new(ChunkShape::new(1, 2).unwrap());
    assert!(matches!(
        zkey.check_circuit(&other.r1cs()),
        Err(ZkeyMismatch::Vars { .. })
    ));
    let mut changed = Circuit::new(shape());
    let row = changed.b.iter().position(|r| !r.is_empty()).unwrap();
    changed.b[row][0].0 += Fr::one();
    assert_eq!(
        zkey.check_circuit(&changed.r1cs()),
        Err(ZkeyMismatch::Row {
            matrix: 'B',
            row,
            expected: circuit.b[row].len(),
            found: circuit.b[row].len()
        })
    );

    // The contributions, named, with the hashes snarkjs printed at contribute and lists at
    // verify.
    let kinds: Vec<_> = zkey.contributions.iter().map(|c| c.kind).collect();
    assert_eq!(
        kinds,
        [
            ContributionKind::Contribution,
            ContributionKind::Contribution,
            ContributionKind::Beacon
        ]
    );
    let names: Vec<_> = zkey
        .contributions
        .iter()
        .map(|c| c.name.as_deref().unwrap())
        .collect();
    assert_eq!(names, ["alice", "bob", "final beacon"]);
    assert_eq!(zkey.contributions[0].hash_hex(), c.hashes[0]);
    assert_eq!(zkey.contributions[1].hash_hex(), c.hashes[1]);
    let beacon = &zkey.contributions[2];
    assert_eq!(beacon.iterations_exp, Some(10));
    assert_eq!(
        zkbackup_ceremony::zkey::hex_of(beacon.beacon_hash.as_deref().unwrap()),
        snarkjs::BEACON
    );
    let (ok, verified) = snarkjs::zkey_verify(d, &c.r1cs, &c.ptau, &c.zkey);
    assert!(ok, "{verified}");
    for (i, contribution) in zkey.contributions.iter().enumerate() {
        let title = format!(
            "contribution #{} {}:",
            i + 1,
            contribution.name.as_ref().unwrap()
        );
        assert_eq!(
            snarkjs::printed_hashes(&verified, &title),
            [contribution.hash_hex()],
            "{title}"
        );
    }
    assert_eq!(
        snarkjs::printed_hashes(&verified, "Circuit Hash:"),
        [zkbackup_ceremony::zkey::hex_of(&zkey.cs_hash)]
    );

    written_zkey_round_trips_and_snarkjs_proves_with_it(&circuit, &zkey, d);
    hostile_zkeys_are_refused(&bytes);
}

/// write_zkey of the ceremony's key reads back to the same key, and snarkjs proves our
/// witness with it; the proof verifies with the key snarkjs exports from it.
fn written_zkey_round_trips_and_snarkjs_proves_with_it(circuit: &Circuit, zkey: &Zkey, d: &Path) {
    let written = d.join("written.zkey");
    write(&written, |w| {
        write_zkey(w, &zkey.pk, &circuit.r1cs(), zkey.domain_size)
    });
    let again = read_zkey(&std::fs::read(&written).unwrap(), &written).unwrap();
    assert_eq!(again.pk, zkey.pk);
    assert_eq!(again.coefficients, zkey.coefficients);
    assert!(again.contributions.is_empty());
    again.check_circuit(&circuit.r1cs()).unwrap();

    let wtns = d.join("chunk.wtns");
    write(&wtns, |w| write_wtns(w, &assignment(shape(), 2)));
    let (proof, public, vk) = (
        d.join("proof.json"),
        d.join("public.json"),
        d.join("vk.json"),
    );
    snarkjs::run(
        d,
        &[
            "groth16",
            "prove",
            s(&written),
            s(&wtns),
            s(&proof),
            s(&public),
        ],
    );
    snarkjs::run(
        d,
        &["zkey", "export", "verificationkey", s(&written), s(&vk)],
    );
    let out = snarkjs::run(d, &["groth16", "verify", s(&vk), s(&public), s(&proof)]);
    assert!(out.contains("OK!"), "{out}");

    let mut bad = zkey.pk.clone();
    bad.h_query.pop();
    let e = write_zkey(&mut Vec::new(), &bad, &circuit.r1cs(), zkey.domain_size).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
}

fn hostile_zkeys_are_refused(bytes: &[u8]) {
    // Truncated: the last section runs past the end.
    assert!(matches!(
        refused(&bytes[..bytes.len() - 1]),
        ZkeyErrorKind::File(BinFileError::Truncated { .. })
    ));
    let mut longer = bytes.to_vec();
    longer.push(0);
    assert_eq!(
        refused(&longer),
        ZkeyErrorKind::File(BinFileError::Trailing { trailing: 1 })
    );

    // A flipped byte in a point: A[0] (the constant one's, never at infinity).
    let (a, _) = section(bytes, 5);
    let mut flipped = bytes.to_vec();
    flipped[a + G1_LEN - 32] ^= 1;
    assert!(matches!(
        refused(&flipped),
        ZkeyErrorKind::Point {
            section: "A",
            index: 0,
            ..
        }
    ));

    // A G2 point on the curve but outside the subgroup.
    let (b2, _) = section(bytes, 7);
    let mut outside = bytes.to_vec();
    outside[b2..b2 + G2_LEN].copy_from_slice(&g2_to_zkey(&g2_outside_subgroup()));
    assert_eq!(
        refused(&outside),
        ZkeyErrorKind::Point {
            section: "B2",
            index: 0,
            problem: zkbackup_ceremony::field::PointProblem::NotInSubgroup
        }
    );

    // Counts changed: nPublic (the IC section no longer fits), nVars (A no longer fits).
    let (header, _) = section(bytes, 2);
    let n_vars_at = header + 4 + 32 + 4 + 32;
    let mut counts = bytes.to_vec();
    counts[n_vars_at + 4] = counts[n_vars_at + 4].wrapping_add(1);
    assert!(matches!(
        refused(&counts),
        ZkeyErrorKind::File(BinFileError::SectionLength { id: 3, .. })
    ));
    let mut counts = bytes.to_vec();
    counts[n_vars_at] = counts[n_vars_at].wrapping_add(1);
    assert!(matches!(
        refused(&counts),
        ZkeyErrorKind::File(BinFileError::SectionLength { id: 5, .. })
    ));

    // A coefficient at or above r.
    let (coefficients, _) = section(bytes, 4);
    let mut value = bytes.to_vec();
    value[coefficients + 4 + 12..coefficients + 4 + 44].fill(0xff);
    assert_eq!(
        refused(&value),
        ZkeyErrorKind::CoefficientValue { index: 0 }
    );

    // The contributions' transcript chain broken (the circuit hash changed).
    let (contributions, _) = section(bytes, 10);
    let mut chain = bytes.to_vec();
    chain[contributions] ^= 1;
    assert!(matches!(
        refused(&chain),
        ZkeyErrorKind::Contribution {
            index: 0,
            problem: zkbackup_ceremony::zkey::ContributionProblem::Transcript
        }
    ));

    // Arbitrary edits: an error or a key, never a panic.
    let config = ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let len = bytes.len();
    let strategy = prop_oneof![
        (0..len, 1..=255u8).prop_map(|(at, mask)| Mutation::Flip { at, mask }),
        (0..len).prop_map(|len| Mutation::Truncate { len }),
        (0..len).prop_map(|at| Mutation::Delete { at }),
        (0..len, proptest::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(at, bytes)| Mutation::Overwrite { at, bytes }),
    ];
    proptest::test_runner::TestRunner::new(config)
        .run(&strategy, |m| {
            let mut edited = bytes.to_vec();
            m.apply(&mut edited);
            let _ = read_zkey(&edited, Path::new("edited.zkey"));
            Ok(())
        })
        .unwrap();
}
