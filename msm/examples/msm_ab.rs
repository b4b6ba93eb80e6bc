//! A/B timing for tuning: alternates `FixedBaseMsm::msm` and arkworks' `msm_unchecked` in one
//! process and prints medians and the ratio.
//!
//! `cargo run --release -p zkbackup-msm --example msm_ab -- g1 18 [c,t,batch,threads[,split[,queue]] ...] [reps]`

use ark_bn254::Fr;
use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::{CurveGroup, PrimeGroup, VariableBaseMSM};
use ark_ff::{AdditiveGroup, UniformRand};
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::time::{Duration, Instant};
use zkbackup_msm::{FixedBaseMsm, MsmConfig};

fn bases<C: SWCurveConfig>(rng: &mut StdRng, n: usize) -> Vec<Affine<C>> {
    let seeds: Vec<Projective<C>> = (0..4)
        .map(|_| Projective::<C>::generator() * C::ScalarField::rand(rng))
        .collect();
    let mut acc = seeds[0];
    let proj: Vec<Projective<C>> = (0..n)
        .map(|i| {
            acc += seeds[1 + i % 3];
            acc.double_in_place();
            acc
        })
        .collect();
    Projective::normalize_batch(&proj)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn run<C: SWCurveConfig<ScalarField = Fr>>(log: u32, configs: &[MsmConfig], reps: usize) {
    let n = 1usize << log;
    let mut rng = StdRng::seed_from_u64(7);
    let bases = bases::<C>(&mut rng, n);
    let scalars: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
    let want = <Projective<C> as VariableBaseMSM>::msm_unchecked(&bases, &scalars);
    let engines: Vec<FixedBaseMsm<C>> = configs
        .iter()
        .map(|&cfg| {
            let start = Instant::now();
            let e = FixedBaseMsm::with_config(&bases, cfg);
            println!(
                "precompute {:?}: {:.2?}, {} MiB",
                cfg,
                start.elapsed(),
                e.memory_bytes() >> 20
            );
            assert_eq!(e.msm(&scalars), want, "wrong result for {cfg:?}");
            e
        })
        .collect();
    let mut ark = Vec::new();
    let mut ours: Vec<Vec<Duration>> = vec![Vec::new(); engines.len()];
    let skip_ark = std::env::var("ONLY_OURS").is_ok();
    for _ in 0..reps {
        let start = Instant::now();
        if !skip_ark {
            let _ = std::hint::black_box(<Projective<C> as VariableBaseMSM>::msm_unchecked(
                &bases, &scalars,
            ));
        }
        ark.push(start.elapsed());
        for (e, t) in engines.iter().zip(ours.iter_mut()) {
            let start = Instant::now();
            let _ = std::hint::black_box(e.msm(&scalars));
            t.push(start.elapsed());
        }
    }
    let a = median(ark);
    println!("arkworks 2^{log}: {a:.2?}");
    for (cfg, t) in configs.iter().zip(ours) {
        let m = median(t);
        println!(
            "ours {cfg:?}: {m:.2?} ratio {:.2}x",
            a.as_secs_f64() / m.as_secs_f64()
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let curve = args.first().map(String::as_str).unwrap_or("g1");
    let log: u32 = args.get(1).map_or(16, |s| s.parse().expect("log size"));
    let reps: usize = std::env::var("REPS").map_or(7, |s| s.parse().expect("REPS"));
    // Configs: "c,t,batch,threads[,split_phases[,queue]]" each, or the default for the size.
    let configs: Vec<MsmConfig> = if args.len() > 2 {
        args[2..]
            .iter()
            .map(|s| {
                let v: Vec<usize> = s.split(',').map(|x| x.parse().expect("number")).collect();
                MsmConfig {
                    window_bits: v[0] as u32,
                    table_stride: v[1] as u32,
                    batch_size: v[2],
                    threads: v[3],
                    split_phases: v.get(4).is_none_or(|&x| x != 0),
                    queue_size: v.get(5).copied().unwrap_or(256),
                }
            })
            .collect()
    } else {
        vec![MsmConfig::for_size(1 << log)]
    };
    match curve {
        "g1" => run::<ark_bn254::g1::Config>(log, &configs, reps),
        "g2" => run::<ark_bn254::g2::Config>(log, &configs, reps),
        other => panic!("curve must be g1 or g2, got {other}"),
    }
}
