mod common;
use ark_bn254::{Bn254, Fr, G1Affine, G1Projective, G2Affine};
use ark_ec::{pairing::Pairing, AffineRepr, CurveGroup};
use ark_groth16::prepare_verifying_key;
use std::time::Instant;

fn t<T>(name: &str, n: usize, mut f: impl FnMut() -> T) -> T {
    let _ = f();
    let mut v = vec![];
    let mut out = None;
    for _ in 0..7 {
        let s = Instant::now();
        out = Some(f());
        v.push(s.elapsed());
    }
    v.sort();
    println!(
        "{name}: {:.3} ms total, {:.4} ms each",
        v[3].as_secs_f64() * 1e3,
        v[3].as_secs_f64() * 1e3 / n as f64
    );
    out.unwrap()
}

#[test]
#[ignore]
fn breakdown() {
    let f = common::fixture(64, 1, 64);
    let pvk = prepare_verifying_key(&f.vk);
    let a: Vec<G1Affine> = f.bundle.chunks.iter().map(|c| c.proof.a).collect();
    let b: Vec<G2Affine> = f.bundle.chunks.iter().map(|c| c.proof.b).collect();
    let r: Vec<u128> = (0..64)
        .map(|i| (i as u128 + 1) * 0x1234_5678_9abc_def0_1234_5678_9abc_def1)
        .collect();
    t("g2 subgroup check", 64, || {
        b.iter()
            .all(|p| p.is_in_correct_subgroup_assuming_on_curve())
    });
    t("g2 on curve", 64, || b.iter().all(|p| p.is_on_curve()));
    t("r*A Fr", 64, || {
        a.iter()
            .zip(&r)
            .map(|(p, r)| *p * Fr::from(*r))
            .collect::<Vec<_>>()
    });
    t("r*A bigint", 64, || {
        a.iter()
            .zip(&r)
            .map(|(p, r)| p.mul_bigint([*r as u64, (*r >> 64) as u64]))
            .collect::<Vec<_>>()
    });
    let prep: Vec<<Bn254 as Pairing>::G2Prepared> =
        t("g2 prepare", 64, || b.iter().map(|p| (*p).into()).collect());
    t("mml 64", 64, || {
        Bn254::multi_miller_loop(a.clone(), prep.clone())
    });
    t("mml 3", 1, || {
        Bn254::multi_miller_loop(a[..3].to_vec(), prep[..3].to_vec())
    });
    let ml = Bn254::multi_miller_loop(a[..3].to_vec(), prep[..3].to_vec());
    t("final exp", 1, || Bn254::final_exponentiation(ml));
    let _ = pvk;
    let _ = G1Projective::normalize_batch(&[]);
}

use ark_bn254::{Config, Fq12};
use ark_ec::bn::BnConfig;
use ark_ff::Field;

fn my_mml(a: &[G1Affine], b: &[<Bn254 as Pairing>::G2Prepared], groups: usize) -> Fq12 {
    let n = a.len();
    let per = n.div_ceil(groups);
    let run = |lo: usize, hi: usize| {
        let mut f = Fq12::ONE;
        let mut idx = vec![0usize; hi - lo];
        let ell =
            |f: &mut Fq12, c: &(ark_bn254::Fq2, ark_bn254::Fq2, ark_bn254::Fq2), p: &G1Affine| {
                let mut c0 = c.0;
                let mut c1 = c.1;
                c0.mul_assign_by_fp(&p.y);
                c1.mul_assign_by_fp(&p.x);
                f.mul_by_034(&c0, &c1, &c.2);
            };
        let lc = Config::ATE_LOOP_COUNT;
        for i in (1..lc.len()).rev() {
            if i != lc.len() - 1 {
                f.square_in_place();
            }
            for k in lo..hi {
                let c = &b[k].ell_coeffs[idx[k - lo]];
                idx[k - lo] += 1;
                ell(&mut f, c, &a[k]);
            }
            let bit = lc[i - 1];
            if bit == 1 || bit == -1 {
                for k in lo..hi {
                    let c = &b[k].ell_coeffs[idx[k - lo]];
                    idx[k - lo] += 1;
                    ell(&mut f, c, &a[k]);
                }
            }
        }
        for _ in 0..2 {
            for k in lo..hi {
                let c = &b[k].ell_coeffs[idx[k - lo]];
                idx[k - lo] += 1;
                ell(&mut f, c, &a[k]);
            }
        }
        f
    };
    (0..groups)
        .map(|g| run(g * per, ((g + 1) * per).min(n)))
        .product()
}

#[test]
#[ignore]
fn mml_scaling() {
    let f = common::fixture(64, 1, 64);
    let a: Vec<G1Affine> = f.bundle.chunks.iter().map(|c| c.proof.a).collect();
    let b: Vec<G2Affine> = f.bundle.chunks.iter().map(|c| c.proof.b).collect();
    let prep: Vec<<Bn254 as Pairing>::G2Prepared> = b.iter().map(|p| (*p).into()).collect();
    for n in [3usize, 4, 8, 16, 32, 64] {
        let x = t(&format!("ark mml {n}"), n, || {
            Bn254::multi_miller_loop(a[..n].to_vec(), prep[..n].to_vec()).0
        });
        let y = t(&format!("my  mml {n}"), n, || {
            my_mml(&a[..n], &prep[..n], 1)
        });
        assert_eq!(x, y);
    }
}
