//! The pinned constraint-count table: any change to a gadget's cost fails here until the
//! table is regenerated on purpose, so every change shows in review.

use zkbackup_circuits::counts;

const TABLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/constraint_counts.csv");

#[test]
fn constraint_counts_are_pinned() {
    let measured =
        counts::to_csv(&counts::all().expect("every gadget synthesizes and is satisfied"));
    if std::env::var_os("UPDATE_CONSTRAINT_COUNTS").is_some() {
        std::fs::write(TABLE, &measured).unwrap();
    }
    let pinned =
        std::fs::read_to_string(TABLE).expect("circuits/constraint_counts.csv is committed");
    assert_eq!(
        pinned, measured,
        "constraint counts changed; if on purpose, rerun with UPDATE_CONSTRAINT_COUNTS=1 and commit the table"
    );
}

#[test]
fn poseidon_costs_no_more_than_circom_o2() {
    // circom 2 --O2 on circomlib's Poseidon(n), measured by the project.
    let circom = [(2usize, 240usize), (3, 261), (4, 297), (16, 609)];
    let all = counts::all().unwrap();
    for (n, bound) in circom {
        let ours = all
            .iter()
            .find(|c| c.name == format!("poseidon_{n}"))
            .unwrap();
        assert!(
            ours.constraints <= bound,
            "poseidon_{n}: {} > circom's {bound}",
            ours.constraints
        );
    }
}

#[test]
fn chunk_circuit_has_equal_counts_in_setup_and_prove_mode() {
    use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
    use rand::{rngs::StdRng, SeedableRng};
    use zkbackup_circuits::chunk::ChunkCircuit;
    use zkbackup_core::chunk::{ChunkShape, ChunkWitness};
    use zkbackup_core::{EscrowKey, Fr};
    for (arity, chunk_size, count) in [(4, 4, 4), (4, 4, 1), (16, 2, 1), (1, 8, 5)] {
        let shape = ChunkShape::new(arity, chunk_size).unwrap();
        let key = EscrowKey::generate_with(&mut StdRng::seed_from_u64(1));
        let records = (0..count * arity).map(|i| Fr::from(i as u64)).collect();
        let cs = ConstraintSystem::<Fr>::new_ref();
        ChunkCircuit::prove(ChunkWitness::new(shape, records, key, 5).unwrap())
            .generate_constraints(cs.clone())
            .unwrap();
        assert!(cs.is_satisfied().unwrap());
        assert_eq!(
            cs.num_constraints(),
            counts::chunk_constraints(shape).unwrap(),
            "{shape:?}"
        );
    }
}
