//! A/B of the QAP witness map: ours (`zkbackup_prover::fft`) against ark-groth16's
//! alternating in one process, on the chunk circuit's own matrices (`chunk:N`, arity 4) with a
//! random assignment, or on random sparse matrices of a given number of rows.
//! `cargo run --release -p zkbackup-prover --example qap_ab -- [chunk:256 | constraints] [runs]`
use ark_bn254::Fr;
use ark_ff::{One, UniformRand};
use ark_groth16::r1cs_to_qap::{evaluate_constraint, LibsnarkReduction, R1CSToQAP};
use ark_poly::GeneralEvaluationDomain;
use ark_relations::utils::matrix::Matrix;
use rand::Rng;
use rayon::prelude::*;
use std::time::Instant;
use zkbackup_core::chunk::ChunkShape;
use zkbackup_prover::{fft, ChunkMatrices, CircomReduction, Reduction};

fn main() {
    let mut args = std::env::args().skip(1);
    let what = args.next().unwrap_or_else(|| "chunk:256".into());
    let runs: usize = args.next().map_or(5, |s| s.parse().unwrap());
    let mut rng = ark_std::test_rng();
    let (matrices, inputs, constraints, columns) = if let Some(chunk) = what.strip_prefix("chunk:")
    {
        let shape = ChunkShape::new(4, chunk.parse().unwrap()).unwrap();
        let m = ChunkMatrices::derive(shape).unwrap();
        let columns = m.num_instance_variables + m.num_witness_variables;
        let terms: usize = m.matrices.iter().flatten().map(|row| row.len()).sum();
        println!(
            "chunk {chunk}: {} constraints, {columns} variables, {terms} terms",
            m.num_constraints
        );
        (
            m.matrices,
            m.num_instance_variables,
            m.num_constraints,
            columns,
        )
    } else {
        let constraints: usize = what.parse().unwrap();
        (
            random_matrices(constraints, &mut rng),
            12,
            constraints,
            constraints,
        )
    };
    let mut full: Vec<Fr> = (0..columns).map(|_| Fr::rand(&mut rng)).collect();
    full[0] = Fr::one();
    // The rows alone (A·z, B·z, C·z), as both maps evaluate them.
    let t = Instant::now();
    for m in &matrices {
        let _: Vec<Fr> = m
            .par_iter()
            .map(|row| evaluate_constraint(row, &full))
            .collect();
    }
    println!(
        "rows A, B, C alone: {:.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    run(&matrices, inputs, constraints, &full, runs);
}

fn random_matrices(constraints: usize, rng: &mut impl Rng) -> Vec<Matrix<Fr>> {
    let columns = constraints;
    (0..3)
        .map(|_| {
            (0..constraints)
                .map(|_| {
                    (0..rng.gen_range(1..4))
                        .map(|_| (Fr::rand(rng), rng.gen_range(0..columns)))
                        .collect()
                })
                .collect()
        })
        .collect()
}

fn run(matrices: &[Matrix<Fr>], inputs: usize, constraints: usize, full: &[Fr], runs: usize) {
    type D = GeneralEvaluationDomain<Fr>;
    for reduction in [Reduction::Libsnark, Reduction::Circom] {
        let (mut ours, mut theirs) = (vec![], vec![]);
        for _ in 0..runs {
            let t = Instant::now();
            let h = match reduction {
                Reduction::Libsnark => LibsnarkReduction::witness_map_from_matrices::<Fr, D>(
                    matrices,
                    inputs,
                    constraints,
                    full,
                ),
                Reduction::Circom => CircomReduction::witness_map_from_matrices::<Fr, D>(
                    matrices,
                    inputs,
                    constraints,
                    full,
                ),
            }
            .unwrap();
            theirs.push(t.elapsed().as_secs_f64() * 1e3);
            let t = Instant::now();
            let ours_h =
                fft::witness_map_unchecked(reduction, matrices, inputs, constraints, full).unwrap();
            ours.push(t.elapsed().as_secs_f64() * 1e3);
            assert_eq!(*ours_h, h);
        }
        let median = |v: &mut Vec<f64>| {
            v.sort_by(|a, b| a.partial_cmp(b).unwrap());
            v[v.len() / 2]
        };
        let (o, t) = (median(&mut ours), median(&mut theirs));
        println!(
            "{reduction:?} {constraints} constraints: arkworks {t:.1} ms, ours {o:.1} ms, ratio {:.2}x (medians of {runs})",
            t / o
        );
    }
}
