//! A/B of the QAP witness map: ours (`zkbackup_prover::fft`) against ark-groth16's
//! on random sparse matrices of the chunk circuit's size, alternating in one process.
//! `cargo run --release -p zkbackup-prover --example qap_ab -- [constraints] [runs]`
use ark_bn254::Fr;
use ark_ff::{One, UniformRand};
use ark_groth16::r1cs_to_qap::{LibsnarkReduction, R1CSToQAP};
use ark_poly::GeneralEvaluationDomain;
use ark_relations::utils::matrix::Matrix;
use rand::Rng;
use std::time::Instant;
use zkbackup_prover::{fft, CircomReduction, Reduction};

fn main() {
    let mut args = std::env::args().skip(1);
    let constraints: usize = args.next().map_or(274_636, |s| s.parse().unwrap());
    let runs: usize = args.next().map_or(5, |s| s.parse().unwrap());
    let inputs = 12;
    let columns = constraints;
    let mut rng = ark_std::test_rng();
    let matrices: Vec<Matrix<Fr>> = (0..3)
        .map(|_| {
            (0..constraints)
                .map(|_| {
                    (0..rng.gen_range(1..4))
                        .map(|_| (Fr::rand(&mut rng), rng.gen_range(0..columns)))
                        .collect()
                })
                .collect()
        })
        .collect();
    let mut full: Vec<Fr> = (0..columns).map(|_| Fr::rand(&mut rng)).collect();
    full[0] = Fr::one();
    type D = GeneralEvaluationDomain<Fr>;
    for reduction in [Reduction::Libsnark, Reduction::Circom] {
        let (mut ours, mut theirs) = (vec![], vec![]);
        for _ in 0..runs {
            let t = Instant::now();
            let h = match reduction {
                Reduction::Libsnark => LibsnarkReduction::witness_map_from_matrices::<Fr, D>(
                    &matrices,
                    inputs,
                    constraints,
                    &full,
                ),
                Reduction::Circom => CircomReduction::witness_map_from_matrices::<Fr, D>(
                    &matrices,
                    inputs,
                    constraints,
                    &full,
                ),
            }
            .unwrap();
            theirs.push(t.elapsed().as_secs_f64() * 1e3);
            let t = Instant::now();
            let ours_h =
                fft::witness_map(reduction, &matrices, inputs, constraints, &full).unwrap();
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
