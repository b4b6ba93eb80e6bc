//! Our prove path ([`zkbackup_prover::engine`]) against stock `Groth16::prove`: with the same
//! `r, s` (drawn from the same seeded rng, r first, as stock draws them), the same proof bit
//! for bit, at several shapes, under both reductions, for every MSM backend and schedule.

use ark_bn254::{Bn254, Fr};
use ark_ff::{UniformRand, Zero};
use ark_groth16::Groth16;
use ark_serialize::CanonicalSerialize;
use ark_snark::SNARK;
use rand::{rngs::StdRng, SeedableRng};
use zkbackup_circuits::chunk::ChunkCircuit;
use zkbackup_core::chunk::{ChunkShape, ChunkWitness};
use zkbackup_core::EscrowKey;
use zkbackup_prover::{
    Backend, ChunkProver, CircomReduction, EnginePolicy, ProveOptions, ProvingKeys, Reduction,
    FIXED_MIN_PROOFS,
};

fn bytes(proof: &ark_groth16::Proof<Bn254>) -> Vec<u8> {
    let mut out = Vec::new();
    proof.serialize_uncompressed(&mut out).unwrap();
    out
}

fn stock(
    reduction: Reduction,
    pk: &ark_groth16::ProvingKey<Bn254>,
    witness: &ChunkWitness,
    seed: u64,
) -> ark_groth16::Proof<Bn254> {
    let circuit = ChunkCircuit::prove(witness.clone());
    let rng = &mut StdRng::seed_from_u64(seed);
    match reduction {
        Reduction::Libsnark => Groth16::<Bn254>::prove(pk, circuit, rng),
        Reduction::Circom => Groth16::<Bn254, CircomReduction>::prove(pk, circuit, rng),
    }
    .unwrap()
}

fn witness(shape: ChunkShape, rng: &mut StdRng) -> ChunkWitness {
    let records: Vec<Fr> = (0..shape.slots()).map(|_| Fr::rand(rng)).collect();
    ChunkWitness::new(shape, records, EscrowKey::generate_with(rng), 3).unwrap()
}

#[test]
fn the_auto_policy_builds_the_tables_only_for_enough_proofs_and_keeps_them() {
    let mut rng = StdRng::seed_from_u64(15);
    let shape = ChunkShape::new(1, 2).unwrap();
    let keys = ProvingKeys::generate(shape, &mut rng).unwrap();
    let pk = keys.pk.clone();
    let prover = keys.prover().unwrap();
    assert_eq!(prover.policy(), EnginePolicy::Auto);
    assert_eq!(prover.prepared_key().backend(), Backend::Arkworks);
    assert_eq!(
        prover.expect_proofs(FIXED_MIN_PROOFS - 1),
        Backend::Arkworks
    );
    assert_eq!(prover.prepared_key().memory_bytes(), 0, "no tables yet");
    // The tables' build is announced (start, end) exactly once, when it happens.
    let events = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut prover = prover;
    let seen = std::sync::Arc::clone(&events);
    prover.on_tables_build(move |event| {
        seen.lock()
            .unwrap()
            .push(event == zkbackup_prover::TablesEvent::Building)
    });
    let w = witness(shape, &mut rng);
    let before = prover
        .prove_assignment(
            &prover.assignment(w.clone()).unwrap(),
            Fr::from(5u64),
            Fr::from(7u64),
        )
        .unwrap();
    assert!(
        events.lock().unwrap().is_empty(),
        "nothing built below the threshold"
    );
    assert_eq!(prover.expect_proofs(FIXED_MIN_PROOFS), Backend::Fixed);
    assert!(prover.prepared_key().memory_bytes() > 0);
    assert_eq!(*events.lock().unwrap(), [true, false]);
    // Kept for every later proof, whatever is announced next; and the same proof as before.
    assert_eq!(prover.expect_proofs(1), Backend::Fixed);
    assert_eq!(prover.expect_proofs(FIXED_MIN_PROOFS), Backend::Fixed);
    assert_eq!(*events.lock().unwrap(), [true, false], "built once");
    let after = prover
        .prove_assignment(
            &prover.assignment(w).unwrap(),
            Fr::from(5u64),
            Fr::from(7u64),
        )
        .unwrap();
    assert_eq!(bytes(&before), bytes(&after));
    // Pinned policies ignore the announcement.
    let mut pinned = ChunkProver::new(shape, pk).unwrap();
    pinned.set_policy(EnginePolicy::Arkworks);
    assert_eq!(pinned.expect_proofs(usize::MAX), Backend::Arkworks);
    pinned.set_policy(EnginePolicy::Fixed);
    assert_eq!(pinned.expect_proofs(0), Backend::Fixed);
}

#[test]
fn ours_is_stock_groth16_prove_bit_for_bit_at_several_shapes_reductions_and_backends() {
    let mut rng = StdRng::seed_from_u64(14);
    for (arity, size) in [(1, 1), (2, 2), (4, 4)] {
        let shape = ChunkShape::new(arity, size).unwrap();
        let witness = witness(shape, &mut rng);
        let inputs = witness.public().to_inputs();
        for reduction in [Reduction::Libsnark, Reduction::Circom] {
            let keys = ProvingKeys::generate_for(shape, reduction, &mut rng).unwrap();
            let pk = keys.pk.clone();
            let mut prover = keys.prover().unwrap();
            for &backend in Backend::ALL {
                for concurrent in [true, false] {
                    prover.set_engine(backend, ProveOptions { concurrent });
                    let seed = 1000 + size as u64;
                    let theirs = stock(reduction, &pk, &witness, seed);
                    let rng = &mut StdRng::seed_from_u64(seed);
                    let (public, ours, times) = prover
                        .prove_staged(witness.clone(), rng, |_| Ok(()))
                        .unwrap();
                    let what = format!("{shape:?} {reduction:?} {backend:?} {concurrent}");
                    assert_eq!(bytes(&ours), bytes(&theirs), "{what}");
                    assert_eq!(public.to_inputs(), inputs, "{what}");
                    assert!(Groth16::<Bn254>::verify(&pk.vk, &inputs, &ours).unwrap());
                    assert!(
                        times.total >= times.msm_wall && times.msm_wall > 0.0,
                        "{what}"
                    );
                    // `prove` (the public API) draws r, s alike.
                    let rng = &mut StdRng::seed_from_u64(seed);
                    let (_, again) = prover.prove(witness.clone(), rng).unwrap();
                    assert_eq!(again, theirs, "{what}");
                }
            }
            // Stock cut into timed stages is stock.
            let seed = 77;
            let rng = &mut StdRng::seed_from_u64(seed);
            let (_, staged, times) = prover.prove_stock_staged(witness.clone(), rng).unwrap();
            assert_eq!(
                staged,
                stock(reduction, &pk, &witness, seed),
                "{reduction:?}"
            );
            assert!(times.matrices > 0.0 && times.qap > 0.0);
            // And ark-groth16's own prover on our matrices.
            let full = prover.assignment(witness.clone()).unwrap();
            let (r, s) = (Fr::rand(&mut rng.clone()), Fr::from(5u64));
            assert_eq!(
                prover.prove_assignment(&full, r, s).unwrap(),
                prover.prove_assignment_arkworks(&full, r, s).unwrap()
            );
        }
    }
}

/// `r = 0` (arkworks then skips `B` in G1) and `s = 0`: still stock's proof.
#[test]
fn zero_blinding_scalars_give_stock_proofs() {
    let mut rng = StdRng::seed_from_u64(15);
    let shape = ChunkShape::new(2, 2).unwrap();
    let witness = witness(shape, &mut rng);
    for reduction in [Reduction::Libsnark, Reduction::Circom] {
        let keys = ProvingKeys::generate_for(shape, reduction, &mut rng).unwrap();
        let pk = keys.pk.clone();
        let mut prover: ChunkProver = keys.prover().unwrap();
        let full = prover.assignment(witness.clone()).unwrap();
        for &backend in Backend::ALL {
            prover.set_engine(backend, ProveOptions::default());
            for (r, s) in [
                (Fr::zero(), Fr::from(9u64)),
                (Fr::from(9u64), Fr::zero()),
                (Fr::zero(), Fr::zero()),
            ] {
                let circuit = ChunkCircuit::prove(witness.clone());
                let theirs = match reduction {
                    Reduction::Libsnark => {
                        Groth16::<Bn254>::create_proof_with_reduction(circuit, &pk, r, s)
                    }
                    Reduction::Circom => {
                        Groth16::<Bn254, CircomReduction>::create_proof_with_reduction(
                            circuit, &pk, r, s,
                        )
                    }
                }
                .unwrap();
                assert_eq!(
                    prover.prove_assignment(&full, r, s).unwrap(),
                    theirs,
                    "{reduction:?} {backend:?} r={r} s={s}"
                );
            }
        }
    }
}

/// An assignment of the wrong length is refused, not proven.
#[test]
fn an_assignment_of_the_wrong_length_is_refused() {
    let mut rng = StdRng::seed_from_u64(16);
    let shape = ChunkShape::new(1, 1).unwrap();
    let prover = ProvingKeys::generate(shape, &mut rng)
        .unwrap()
        .prover()
        .unwrap();
    let mut full = prover
        .assignment(witness(shape, &mut rng))
        .unwrap()
        .to_vec();
    full.pop();
    assert!(matches!(
        prover.prove_assignment(&full, Fr::from(1u64), Fr::from(2u64)),
        Err(zkbackup_prover::ProveError::Unsatisfied)
    ));
}

/// An assignment of the right length with one witness value changed is refused by both
/// reductions' prove paths (the witness map checks the rows), not proven.
#[test]
fn an_assignment_that_breaks_a_constraint_is_refused() {
    let mut rng = StdRng::seed_from_u64(17);
    let shape = ChunkShape::new(1, 1).unwrap();
    for reduction in [Reduction::Libsnark, Reduction::Circom] {
        let prover = ProvingKeys::generate_for(shape, reduction, &mut rng)
            .unwrap()
            .prover()
            .unwrap();
        let mut full = prover
            .assignment(witness(shape, &mut rng))
            .unwrap()
            .to_vec();
        let last = full.len() - 1;
        assert!(prover
            .prove_assignment(&full, Fr::from(1u64), Fr::from(2u64))
            .is_ok());
        full[last] += Fr::from(1u64);
        assert!(
            matches!(
                prover.prove_assignment(&full, Fr::from(1u64), Fr::from(2u64)),
                Err(zkbackup_prover::ProveError::Unsatisfied)
            ),
            "{reduction:?}"
        );
    }
}

/// Timing, not a check (`--ignored --nocapture`): ours with each backend against stock
/// `Groth16::prove`, alternating, chunk `$ZKBACKUP_ENGINE_CHUNK` (default 64), arity 4.
#[test]
#[ignore]
fn timing_backends_against_stock() {
    use std::time::Instant;
    let n: usize = std::env::var("ZKBACKUP_ENGINE_CHUNK")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(64);
    let mut rng = StdRng::seed_from_u64(17);
    let shape = ChunkShape::new(4, n).unwrap();
    let witness = witness(shape, &mut rng);
    let mut provers: Vec<ChunkProver> = Backend::ALL
        .iter()
        .map(|&b| {
            let keys = ProvingKeys::generate_for(
                shape,
                Reduction::Libsnark,
                &mut StdRng::seed_from_u64(3),
            )
            .unwrap();
            let mut p = keys.prover().unwrap();
            let t = Instant::now();
            p.set_engine(b, ProveOptions::default());
            println!(
                "{b:?}: prepared in {:.0} ms, {:.0} MiB",
                t.elapsed().as_secs_f64() * 1e3,
                p.prepared_key().memory_bytes() as f64 / 1048576.0
            );
            p
        })
        .collect();
    let mut times = vec![Vec::new(); provers.len() + 1];
    for _ in 0..3 {
        for (k, p) in provers.iter_mut().enumerate() {
            let (_, _, t) = p
                .prove_staged(witness.clone(), &mut rng, |_| Ok(()))
                .unwrap();
            times[k].push(t);
        }
        let (_, _, t) = provers[0]
            .prove_stock_staged(witness.clone(), &mut rng)
            .unwrap();
        times[provers.len()].push(t);
    }
    for (k, t) in times.iter().enumerate() {
        let name = Backend::ALL
            .get(k)
            .map_or("stock".to_string(), |b| format!("{b:?}"));
        println!("{name}: {:?}", zkbackup_prover::StageTimes::median(t));
    }
}
