//! `FixedBaseMsm` against arkworks' `VariableBaseMSM::msm_unchecked` on G1 and G2 of BN254:
//! random inputs and the edge cases (zero scalars, -1, 1, bases at infinity, repeated and
//! opposite bases, n = 0, 1, 2, scalars shorter or longer than the bases), for each config.

use ark_bn254::{Fr, G1Affine, G2Affine};
use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup, VariableBaseMSM};
use ark_ff::{AdditiveGroup, Field, PrimeField, UniformRand};
use ark_std::Zero;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use zkbackup_msm::{FixedBaseMsm, MsmConfig};

/// Configs covering every path: window widths, table strides (full, partial, none), batch
/// sizes (0 = projective buckets; 1 = every addition its own batch; 4 = many conflicts),
/// threads 1 and 2.
/// Small windows keep bucket reductions cheap; [`wide_configs`] covers the widths used at scale.
/// Precomputation dominates these tests (about 256 doublings per base and config), so G2, whose
/// code path is the same generic code, runs a subset.
fn configs(full: bool) -> Vec<MsmConfig> {
    let mut out = Vec::new();
    let windows: &[(u32, u32)] = if full {
        &[(2, 4), (3, 2), (5, 3), (8, 1), (8, 100)]
    } else {
        &[(3, 2), (5, 1), (8, 100)]
    };
    let batches: &[usize] = if full {
        &[0, 1, 4, 1024]
    } else {
        &[0, 4, 1024]
    };
    for &(window_bits, table_stride) in windows {
        for &batch_size in batches {
            for (threads, split_phases) in [(1, false), (2, false), (2, true)] {
                out.push(MsmConfig {
                    window_bits,
                    table_stride,
                    batch_size,
                    threads,
                    split_phases,
                    queue_size: batch_size / 2,
                });
            }
        }
    }
    out
}

/// The window widths and strides the defaults use for large MSMs (each bucket reduction costs
/// `2^c` additions, so these run on fewer cases).
fn wide_configs() -> Vec<MsmConfig> {
    let mut out = Vec::new();
    for (window_bits, table_stride) in [(12, 2), (16, 1), (16, 2)] {
        for (batch_size, threads, split_phases) in
            [(7, 2, true), (1024, 1, false), (1024, 2, false)]
        {
            out.push(MsmConfig {
                window_bits,
                table_stride,
                batch_size,
                threads,
                split_phases,
                queue_size: batch_size / 2,
            });
        }
    }
    out
}

fn reference<C: SWCurveConfig<ScalarField = Fr>>(
    bases: &[Affine<C>],
    scalars: &[Fr],
) -> Projective<C> {
    <Projective<C> as VariableBaseMSM>::msm_unchecked(bases, scalars)
}

fn check<C: SWCurveConfig<ScalarField = Fr>>(bases: &[Affine<C>], scalars: &[Fr], what: &str) {
    check_with(
        bases,
        scalars,
        what,
        &configs(std::mem::size_of::<C::BaseField>() == 32),
    );
}

fn check_with<C: SWCurveConfig<ScalarField = Fr>>(
    bases: &[Affine<C>],
    scalars: &[Fr],
    what: &str,
    configs: &[MsmConfig],
) {
    let want = reference(bases, scalars);
    for &config in configs {
        let engine = FixedBaseMsm::with_config(bases, config);
        assert_eq!(engine.len(), bases.len());
        let got = engine.msm(scalars);
        assert_eq!(got.into_affine(), want.into_affine(), "{what}: {config:?}");
        let bigints: Vec<_> = scalars.iter().map(|s| s.into_bigint()).collect();
        assert_eq!(
            engine.msm_bigint(&bigints).into_affine(),
            want.into_affine(),
            "{what} (bigint): {config:?}"
        );
    }
    let default = FixedBaseMsm::new(bases);
    assert_eq!(
        default.msm(scalars).into_affine(),
        want.into_affine(),
        "{what}: default config"
    );
}

fn random_bases<C: SWCurveConfig>(rng: &mut StdRng, n: usize) -> Vec<Affine<C>> {
    // A few random points, then cheap combinations of them (random points are slow in G2).
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

fn random_scalars(rng: &mut StdRng, n: usize) -> Vec<Fr> {
    (0..n).map(|_| Fr::rand(rng)).collect()
}

fn all_cases<C: SWCurveConfig<ScalarField = Fr>>(seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let minus_one = -Fr::ONE;

    // Sizes 0, 1, 2, small odd, and a size with more points than buckets at small windows.
    for n in [0usize, 1, 2, 3, 7, 33, 120] {
        let bases = random_bases::<C>(&mut rng, n);
        let scalars = random_scalars(&mut rng, n);
        check(&bases, &scalars, &format!("random n={n}"));
    }

    let n = 40;
    let bases = random_bases::<C>(&mut rng, n);

    // Zero scalars, sprinkled, and all zero.
    let mut scalars = random_scalars(&mut rng, n);
    for i in (0..n).step_by(3) {
        scalars[i] = Fr::zero();
    }
    check(&bases, &scalars, "some zero scalars");
    check(&bases, &vec![Fr::zero(); n], "all zero scalars");

    // 1 and r-1 (= -1), and a mix of small and large.
    check(&bases, &vec![Fr::ONE; n], "all scalars 1");
    check(&bases, &vec![minus_one; n], "all scalars -1");
    let mixed: Vec<Fr> = (0..n)
        .map(|i| match i % 4 {
            0 => Fr::ONE,
            1 => minus_one,
            2 => Fr::from(rng.gen_range(0u64..1 << 20)),
            _ => -Fr::from(rng.gen_range(0u64..1 << 20)),
        })
        .collect();
    check(&bases, &mixed, "1, -1 and small scalars");

    // Bases at infinity: first, last, interleaved, and all.
    let mut with_inf = bases.clone();
    with_inf[0] = Affine::<C>::zero();
    with_inf[n - 1] = Affine::<C>::zero();
    for i in (5..n).step_by(7) {
        with_inf[i] = Affine::<C>::zero();
    }
    let scalars = random_scalars(&mut rng, n);
    check(&with_inf, &scalars, "bases at infinity");
    check(
        &with_inf,
        &scalars[..n / 2],
        "bases at infinity, fewer scalars",
    );
    check(
        &[Affine::<C>::zero(); 5],
        &scalars[..5],
        "all bases at infinity",
    );

    // Repeated and opposite bases: P, P, -P, ... with equal and opposite scalars, so batch-affine
    // additions meet x1 == x2 (doubling and cancellation) inside one batch.
    let p = bases[3];
    let q = bases[4];
    let rep: Vec<Affine<C>> = (0..n)
        .map(|i| match i % 5 {
            0 | 1 => p,
            2 => -p,
            3 => q,
            _ => -q,
        })
        .collect();
    let s = Fr::rand(&mut rng);
    check(&rep, &vec![s; n], "repeated bases, equal scalars");
    check(&rep, &vec![Fr::ONE; n], "repeated bases, scalar 1");
    let alt: Vec<Fr> = (0..n).map(|i| if i % 2 == 0 { s } else { -s }).collect();
    check(&rep, &alt, "repeated bases, opposite scalars");
    check(
        &rep,
        &random_scalars(&mut rng, n),
        "repeated bases, random scalars",
    );
    // Exactly P + (-P) = 0 and P + P.
    check(&[p, -p], &[Fr::ONE, Fr::ONE], "P + (-P)");
    check(&[p, p], &[s, s], "sP + sP");
    check(&[p, p, -p], &[Fr::ONE, Fr::ONE, Fr::ONE], "P + P - P");

    // Scalars shorter and longer than the bases.
    let scalars = random_scalars(&mut rng, n + 9);
    check(&bases, &scalars[..n - 11], "fewer scalars than bases");
    check(&bases, &scalars, "more scalars than bases");
}

#[test]
fn g1_matches_arkworks() {
    all_cases::<ark_bn254::g1::Config>(1);
}

#[test]
fn g2_matches_arkworks() {
    all_cases::<ark_bn254::g2::Config>(2);
}

/// Wide windows: random scalars, and repeated bases with -1/1 so batches meet x1 == x2.
fn wide_cases<C: SWCurveConfig<ScalarField = Fr>>(seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let n = 64;
    let bases = random_bases::<C>(&mut rng, n);
    check_with(
        &bases,
        &random_scalars(&mut rng, n),
        "wide: random",
        &wide_configs(),
    );
    let rep: Vec<Affine<C>> = (0..n)
        .map(|i| if i % 3 == 2 { -bases[0] } else { bases[0] })
        .collect();
    let scalars: Vec<Fr> = (0..n)
        .map(|i| if i % 4 == 0 { -Fr::ONE } else { Fr::ONE })
        .collect();
    check_with(
        &rep,
        &scalars,
        "wide: repeated bases, 1 and -1",
        &wide_configs(),
    );
}

#[test]
fn g1_wide_windows_match_arkworks() {
    wide_cases::<ark_bn254::g1::Config>(5);
}

#[test]
fn g2_wide_windows_match_arkworks() {
    wide_cases::<ark_bn254::g2::Config>(6);
}

#[test]
fn seeded_random_g1_many_configs() {
    let mut rng = StdRng::seed_from_u64(3);
    for round in 0..6 {
        let n = rng.gen_range(1..300);
        let bases: Vec<G1Affine> = random_bases(&mut rng, n);
        let m = rng.gen_range(0..n + 5);
        let scalars = random_scalars(&mut rng, m);
        check(&bases, &scalars, &format!("round {round}, n={n}"));
    }
}

#[test]
fn memory_accounts_for_the_table() {
    let mut rng = StdRng::seed_from_u64(4);
    let bases: Vec<G2Affine> = random_bases(&mut rng, 50);
    let config = MsmConfig {
        window_bits: 8,
        table_stride: 2,
        batch_size: 64,
        threads: 1,
        split_phases: false,
        queue_size: 0,
    };
    let engine = FixedBaseMsm::with_config(&bases, config);
    // 254-bit scalars: 32 signed 8-bit windows, one entry every 2 = 16 entries per base.
    assert_eq!(config.entries_per_base::<ark_bn254::g2::Config>(), 16);
    assert_eq!(engine.memory_bytes(), 50 * 16 * 128);
    assert_eq!(
        config.table_bytes::<ark_bn254::g2::Config>(50),
        50 * 16 * 128
    );
    let _ = G1Affine::generator();
}

#[test]
fn budget_picks_the_smallest_stride_that_fits() {
    type G1 = ark_bn254::g1::Config;
    let n = 1000;
    let full = MsmConfig {
        table_stride: 1,
        ..MsmConfig::for_size(n)
    };
    let full_bytes = full.table_bytes::<G1>(n);
    assert_eq!(
        MsmConfig::for_size_within::<G1>(n, full_bytes).table_stride,
        1
    );
    let half = MsmConfig::for_size_within::<G1>(n, full_bytes / 2);
    assert!(half.table_stride >= 2 && half.table_bytes::<G1>(n) <= full_bytes / 2);
    assert!(
        MsmConfig {
            table_stride: half.table_stride - 1,
            ..half
        }
        .table_bytes::<G1>(n)
            > full_bytes / 2
    );
    // Nothing fits: no table (one entry per base, the base itself).
    let none = MsmConfig::for_size_within::<G1>(n, 0);
    assert_eq!(none.entries_per_base::<G1>(), 1);
}

fn tables_round_trip<C: SWCurveConfig<ScalarField = Fr>>(seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut bases = random_bases::<C>(&mut rng, 40);
    // Bases at infinity exercise the kept-index list.
    bases[3] = Affine::<C>::zero();
    bases[17] = Affine::<C>::zero();
    let scalars = random_scalars(&mut rng, 40);
    let want = reference(&bases, &scalars).into_affine();
    for config in [MsmConfig::for_size(40), configs(false)[1]] {
        let engine = FixedBaseMsm::with_config(&bases, config);
        let mut bytes = Vec::new();
        engine.write_to(&mut bytes).unwrap();
        let back = FixedBaseMsm::<C>::read_from(&mut &bytes[..], bases.len(), config).unwrap();
        assert_eq!(back.msm(&scalars).into_affine(), want, "{config:?}");
        assert_eq!(back.len(), engine.len());
        assert_eq!(back.memory_bytes(), engine.memory_bytes());
        let mut again = Vec::new();
        back.write_to(&mut again).unwrap();
        assert_eq!(again, bytes, "written back byte for byte");

        // Another window width, another base count, a truncation, a bad index, a
        // non-canonical coordinate: each refused with what is wrong.
        let other = MsmConfig {
            window_bits: config.window_bits + 1,
            ..config
        };
        let err = |b: &[u8], len: usize, config: MsmConfig| {
            FixedBaseMsm::<C>::read_from(&mut &b[..], len, config)
                .err()
                .expect("refused")
        };
        assert!(err(&bytes, 40, other).contains("windows"));
        assert!(err(&bytes, 41, config).contains("the key has 41"));
        assert!(!err(&bytes[..bytes.len() - 1], 40, config).is_empty());
        let mut bad = bytes.clone();
        // Header: 4 + 4 + 8 · 3 bytes, then the indices (38 kept).
        bad[32..36].copy_from_slice(&99u32.to_le_bytes());
        assert!(err(&bad, 40, config).contains("index 99"));
        let mut bad = bytes.clone();
        let first = 32 + 4 * 38;
        bad[first..first + 32].copy_from_slice(&[0xff; 32]);
        assert!(err(&bad, 40, config).contains("table entry 0"));
    }
}

#[test]
fn tables_written_and_read_back_give_the_same_msm() {
    tables_round_trip::<ark_bn254::g1::Config>(41);
    tables_round_trip::<ark_bn254::g2::Config>(42);
}
