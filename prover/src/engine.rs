//! Our Groth16 prove path: the QAP witness map, then the five MSMs over the proving key's
//! bases through a backend seam, and the proof assembled exactly as `ark-groth16` 0.6 does
//! (`create_proof_with_assignment` in its `prover.rs`).
//!
//! # The seam
//! A [`PreparedKey`] is built once per proving key and shared by every proof of a run (it
//! lives in the [`ChunkProver`](crate::ChunkProver)): one [`QueryMsm`] per query (`A`, `B`
//! in G1, `B` in G2, `L`, `H`). The [`Backend::Arkworks`] backend holds nothing and runs
//! arkworks' `VariableBaseMSM::msm_unchecked` on the key's bases; [`Backend::Fixed`] holds
//! `zkbackup-msm`'s `FixedBaseMsm` tables of each query's bases, precomputed once.
//!
//! # Identical proofs
//! With the same `r, s`, the proof is the one `Groth16::prove` makes: the same group
//! elements (`msm(A, z)` over the full assignment `z = [1, …]` equals arkworks'
//! `A₀ + msm(A[1..], z[1..])`, and affine points are unique), checked bit for bit in
//! `tests/integration/engine.rs`.
//!
//! # Order and threads
//! The G2 MSM (the costliest per base) runs against the four G1 MSMs with `rayon::join`,
//! so that neither core idles in an MSM's serial tail; see [`ProveOptions::concurrent`].
//!
//! # Secrets
//! The assignment and `r, s` are the caller's [`Zeroizing`] values; the QAP evaluations
//! `h` and the witness map's internal vectors (`A·z`, `B·z`, `C·z` and their transforms,
//! [`crate::fft`]) are wiped here. Out of reach: the MSM backends' scalar copies (arkworks
//! and zkbackup-msm convert the scalars to big integers in their own vectors), which are
//! freed, not wiped.

use crate::reduction::{CircomReduction, Reduction};
use ark_bn254::{Bn254, Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::{CurveGroup, VariableBaseMSM};
use ark_ff::Zero;
use ark_groth16::r1cs_to_qap::{LibsnarkReduction, R1CSToQAP};
use ark_groth16::{Proof, ProvingKey};
use ark_poly::GeneralEvaluationDomain;
use ark_relations::gr1cs::SynthesisError;
use ark_relations::utils::matrix::Matrix;
use serde::Serialize;
use std::time::{Duration, Instant};
use zeroize::Zeroizing;
use zkbackup_msm::{FixedBaseMsm, MsmConfig};

/// Wall time of each stage of one proof, in milliseconds.
///
/// When MSMs run concurrently ([`ProveOptions::concurrent`]), each MSM's time is its own
/// wall time and they overlap: their sum exceeds `msm_wall`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct StageTimes {
    /// Synthesis of the witness (ours: without matrices; stock: synthesis that also builds
    /// the constraint system's matrices).
    pub witness: f64,
    /// Constraint matrices (stock: inlining the linear combinations and `to_matrices`;
    /// ours: 0, derived once per shape).
    pub matrices: f64,
    /// The QAP witness map (row evaluations, FFTs; ours: and the satisfaction check on
    /// the rows).
    pub qap: f64,
    /// MSM over the `A` query (G1).
    pub msm_a: f64,
    /// MSM over the `B` query in G1.
    pub msm_b_g1: f64,
    /// MSM over the `B` query in G2.
    pub msm_b_g2: f64,
    /// MSM over the `L` query (the witness part of `C`).
    pub msm_l: f64,
    /// MSM over the `H` query.
    pub msm_h: f64,
    /// Wall time of all MSMs together (less than their sum when they overlap).
    pub msm_wall: f64,
    /// The whole proof.
    pub total: f64,
}

impl StageTimes {
    /// The stages as `(name, ms)` in pipeline order (without `msm_wall` and `total`).
    pub fn stages(&self) -> [(&'static str, f64); 8] {
        [
            ("witness", self.witness),
            ("matrices", self.matrices),
            ("qap", self.qap),
            ("msm_a", self.msm_a),
            ("msm_b_g1", self.msm_b_g1),
            ("msm_b_g2", self.msm_b_g2),
            ("msm_l", self.msm_l),
            ("msm_h", self.msm_h),
        ]
    }

    /// The median of each field over `runs`.
    pub fn median(runs: &[StageTimes]) -> StageTimes {
        let m = |f: fn(&StageTimes) -> f64| {
            let mut v: Vec<f64> = runs.iter().map(f).collect();
            v.sort_by(|a, b| a.total_cmp(b));
            match v.len() {
                0 => 0.0,
                n if n % 2 == 1 => v[n / 2],
                n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
            }
        };
        StageTimes {
            witness: m(|t| t.witness),
            matrices: m(|t| t.matrices),
            qap: m(|t| t.qap),
            msm_a: m(|t| t.msm_a),
            msm_b_g1: m(|t| t.msm_b_g1),
            msm_b_g2: m(|t| t.msm_b_g2),
            msm_l: m(|t| t.msm_l),
            msm_h: m(|t| t.msm_h),
            msm_wall: m(|t| t.msm_wall),
            total: m(|t| t.total),
        }
    }
}

/// Milliseconds in `d`.
pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// `f()` and its wall time in ms.
pub(crate) fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let t = Instant::now();
    let out = f();
    (out, ms(t.elapsed()))
}

/// One query's MSM: `Σ_{i < min(len, scalars.len())} scalars[i] · bases[i]`, where `bases`
/// are the proving key's bases of that query (a backend with its own tables ignores them).
pub trait QueryMsm<G: CurveGroup>: Send + Sync {
    /// The MSM of `scalars` against this query.
    fn msm(&self, bases: &[G::Affine], scalars: &[G::ScalarField]) -> G;
    /// Bytes of memory this backend holds for the query (tables), beyond the key.
    fn memory_bytes(&self) -> usize;
    /// Writes this backend's precomputed tables (the tables cache); a backend without any
    /// has nothing to write and says so.
    fn write_tables(&self, _w: &mut dyn std::io::Write) -> std::io::Result<()> {
        Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "this MSM backend has no tables",
        ))
    }
}

/// arkworks' variable-base MSM over the key's own bases: nothing precomputed.
#[derive(Clone, Copy, Debug, Default)]
pub struct ArkworksMsm;

impl<G: CurveGroup + VariableBaseMSM<MulBase = G::Affine>> QueryMsm<G> for ArkworksMsm {
    fn msm(&self, bases: &[G::Affine], scalars: &[G::ScalarField]) -> G {
        G::msm_unchecked(bases, scalars)
    }

    fn memory_bytes(&self) -> usize {
        0
    }
}

/// Which MSM implementation a [`PreparedKey`] uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// arkworks' `VariableBaseMSM` on the key's bases.
    #[default]
    Arkworks,
    /// `zkbackup-msm`'s [`FixedBaseMsm`]: tables of the key's bases precomputed once per
    /// key (memory: [`tables_bytes`]).
    Fixed,
}

impl Backend {
    /// Every backend (tests prove with each).
    pub const ALL: &'static [Backend] = &[Backend::Arkworks, Backend::Fixed];
}

impl<C: SWCurveConfig> QueryMsm<Projective<C>> for FixedBaseMsm<C> {
    fn msm(&self, _bases: &[Affine<C>], scalars: &[C::ScalarField]) -> Projective<C> {
        FixedBaseMsm::msm(self, scalars)
    }

    fn memory_bytes(&self) -> usize {
        FixedBaseMsm::memory_bytes(self)
    }

    fn write_tables(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        self.write_to(w)
    }
}

/// Bytes of `backend`'s tables for a key of about `variables` bases per `A`, `B` (G1 and
/// G2) and `L` query and `domain` bases in `H` (the memory model of
/// [`crate::estimate`]).
pub fn tables_bytes(backend: Backend, variables: u64, domain: u64) -> u64 {
    match backend {
        Backend::Arkworks => 0,
        Backend::Fixed => {
            let bytes = |n: u64, g2: bool| -> u64 {
                let n = usize::try_from(n).unwrap_or(usize::MAX);
                let config = query_config(n, g2);
                let b = if g2 {
                    config.table_bytes::<ark_bn254::g2::Config>(n)
                } else {
                    config.table_bytes::<ark_bn254::g1::Config>(n)
                };
                b as u64
            };
            (3 * bytes(variables, false))
                .saturating_add(bytes(variables, true))
                .saturating_add(bytes(domain, false))
        }
    }
}

/// Largest G1 query given full tables (stride 1).
const G1_FULL_TABLES_MAX: usize = 1 << 18;

/// The table config of a query of `n` bases: `MsmConfig::for_size`, except that G1 queries of
/// up to [`G1_FULL_TABLES_MAX`] bases get full tables (stride 1, one bucket set): measured
/// 1.57× arkworks against 1.48× for stride 2 at 2^16 (`msm_ab`, 2 threads) and 1.54×
/// against 1.36× at 2^18 (`msm/README.md`), for twice the table memory. That covers every G1
/// query up to chunks of 128 at arity 4 (tables then ~1 GiB in all); at 256 the queries are
/// larger and stride 2 keeps one job within 2 GiB. G2 keeps stride 2 (measured faster at
/// 2^16). The tables cache records the stride, so files of another config are rebuilt.
pub fn query_config(n: usize, g2: bool) -> MsmConfig {
    let mut config = MsmConfig::for_size(n);
    if !g2 && n <= G1_FULL_TABLES_MAX {
        config.table_stride = 1;
    }
    config
}

/// The fixed-base tables of one query, under [`query_config`].
fn fixed<C: SWCurveConfig>(bases: &[Affine<C>], g2: bool) -> FixedBaseMsm<C> {
    FixedBaseMsm::with_config(bases, query_config(bases.len(), g2))
}

/// One MSM object per proving-key query, built once per key.
pub struct PreparedKey {
    backend: Backend,
    a: Box<dyn QueryMsm<G1Projective>>,
    b_g1: Box<dyn QueryMsm<G1Projective>>,
    b_g2: Box<dyn QueryMsm<G2Projective>>,
    l: Box<dyn QueryMsm<G1Projective>>,
    h: Box<dyn QueryMsm<G1Projective>>,
}

impl PreparedKey {
    /// Prepares `pk`'s queries for `backend` (for [`Backend::Fixed`], the five tables,
    /// built in parallel).
    pub fn new(pk: &ProvingKey<Bn254>, backend: Backend) -> Self {
        match backend {
            Backend::Fixed => {
                let ((a, b_g1), ((b_g2, l), h)) = rayon::join(
                    || {
                        rayon::join(
                            || fixed(&pk.a_query, false),
                            || fixed(&pk.b_g1_query, false),
                        )
                    },
                    || {
                        rayon::join(
                            || {
                                rayon::join(
                                    || fixed(&pk.b_g2_query, true),
                                    || fixed(&pk.l_query, false),
                                )
                            },
                            || fixed(&pk.h_query, false),
                        )
                    },
                );
                Self {
                    backend,
                    a: Box::new(a),
                    b_g1: Box::new(b_g1),
                    b_g2: Box::new(b_g2),
                    l: Box::new(l),
                    h: Box::new(h),
                }
            }
            Backend::Arkworks => Self {
                backend,
                a: Box::new(ArkworksMsm),
                b_g1: Box::new(ArkworksMsm),
                b_g2: Box::new(ArkworksMsm),
                l: Box::new(ArkworksMsm),
                h: Box::new(ArkworksMsm),
            },
        }
    }

    /// Writes the five tables of a [`Backend::Fixed`] key in the order `A`, `B` in G1, `B`
    /// in G2, `L`, `H` (the tables cache, [`crate::tables`]).
    pub fn write_fixed(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        self.a.write_tables(w)?;
        self.b_g1.write_tables(w)?;
        self.b_g2.write_tables(w)?;
        self.l.write_tables(w)?;
        self.h.write_tables(w)
    }

    /// Reads what [`Self::write_fixed`] wrote for `pk` (each query's base count and this
    /// build's default table config are checked): a [`Backend::Fixed`] key.
    pub fn read_fixed(pk: &ProvingKey<Bn254>, r: &mut dyn std::io::Read) -> Result<Self, String> {
        fn query<C: ark_ec::short_weierstrass::SWCurveConfig>(
            r: &mut dyn std::io::Read,
            name: &str,
            len: usize,
            g2: bool,
        ) -> Result<FixedBaseMsm<C>, String> {
            FixedBaseMsm::read_from(r, len, query_config(len, g2))
                .map_err(|e| format!("the {name} tables: {e}"))
        }
        let a = query::<ark_bn254::g1::Config>(r, "A", pk.a_query.len(), false)?;
        let b_g1 = query::<ark_bn254::g1::Config>(r, "B (G1)", pk.b_g1_query.len(), false)?;
        let b_g2 = query::<ark_bn254::g2::Config>(r, "B (G2)", pk.b_g2_query.len(), true)?;
        let l = query::<ark_bn254::g1::Config>(r, "L", pk.l_query.len(), false)?;
        let h = query::<ark_bn254::g1::Config>(r, "H", pk.h_query.len(), false)?;
        Ok(Self {
            backend: Backend::Fixed,
            a: Box::new(a),
            b_g1: Box::new(b_g1),
            b_g2: Box::new(b_g2),
            l: Box::new(l),
            h: Box::new(h),
        })
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Bytes the backend holds beyond the proving key (precomputed tables).
    pub fn memory_bytes(&self) -> usize {
        self.a.memory_bytes()
            + self.b_g1.memory_bytes()
            + self.b_g2.memory_bytes()
            + self.l.memory_bytes()
            + self.h.memory_bytes()
    }
}

/// How [`prove_assignment`] schedules the MSMs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProveOptions {
    /// Run the G2 MSM against the G1 MSMs (and the G1 ones pairwise) with `rayon::join`;
    /// else one after another, in arkworks' order (`H`, `L`, `A`, `B` in G1, `B` in G2).
    pub concurrent: bool,
}

impl Default for ProveOptions {
    fn default() -> Self {
        Self { concurrent: true }
    }
}

/// The constraint system's description the witness map needs.
pub struct R1csView<'a> {
    /// `A`, `B`, `C`.
    pub matrices: &'a [Matrix<Fr>],
    /// Instance variables, the constant one included.
    pub num_instance_variables: usize,
    /// Constraints.
    pub num_constraints: usize,
}

type Domain = GeneralEvaluationDomain<Fr>;

/// The QAP witness map (`h`'s evaluations) of `reduction`: ours ([`crate::fft`]), equal bit
/// for bit to ark-groth16's `R1CSToQAP::witness_map_from_matrices`, for an assignment that
/// satisfies the constraints (else `SynthesisError::Unsatisfiable`). Wiped when dropped.
pub fn witness_map(
    reduction: Reduction,
    r1cs: &R1csView<'_>,
    full: &[Fr],
) -> Result<Zeroizing<Vec<Fr>>, SynthesisError> {
    crate::fft::witness_map(
        reduction,
        r1cs.matrices,
        r1cs.num_instance_variables,
        r1cs.num_constraints,
        full,
    )
}

/// The QAP witness map through ark-groth16's `R1CSToQAP::witness_map_from_matrices` (and
/// our reference [`CircomReduction`] on arkworks' domains): what stock proving does.
pub fn witness_map_arkworks(
    reduction: Reduction,
    r1cs: &R1csView<'_>,
    full: &[Fr],
) -> Result<Zeroizing<Vec<Fr>>, SynthesisError> {
    let (m, n, c) = (
        r1cs.matrices,
        r1cs.num_instance_variables,
        r1cs.num_constraints,
    );
    Ok(Zeroizing::new(match reduction {
        Reduction::Libsnark => {
            LibsnarkReduction::witness_map_from_matrices::<Fr, Domain>(m, n, c, full)?
        }
        Reduction::Circom => {
            CircomReduction::witness_map_from_matrices::<Fr, Domain>(m, n, c, full)?
        }
    }))
}

/// The five MSM results of one proof.
pub(crate) struct Msms {
    pub(crate) a: G1Projective,
    pub(crate) b_g1: G1Projective,
    pub(crate) b_g2: G2Projective,
    pub(crate) l: G1Projective,
    pub(crate) h: G1Projective,
}

/// The proof of `full` (a full assignment `[1, public…, witness…]`) with the blinding
/// scalars `r, s`: the witness map, the MSMs through `prepared`, and the proof assembled as
/// ark-groth16 does. Fills `times`' `qap`, MSM and `total` fields. An assignment that does
/// not satisfy the constraints gets `SynthesisError::Unsatisfiable` from the witness map,
/// before any MSM.
#[allow(clippy::too_many_arguments)]
pub fn prove_assignment(
    pk: &ProvingKey<Bn254>,
    prepared: &PreparedKey,
    reduction: Reduction,
    r1cs: &R1csView<'_>,
    full: &[Fr],
    r: Fr,
    s: Fr,
    options: ProveOptions,
    times: &mut StageTimes,
) -> Result<Proof<Bn254>, SynthesisError> {
    let start = Instant::now();
    let (h, qap) = timed(|| witness_map(reduction, r1cs, full));
    let h = h?;
    times.qap = qap;
    let aux = &full[r1cs.num_instance_variables..];
    // As ark-groth16: B in G1 is only needed for `r · B`.
    let need_b_g1 = !r.is_zero();

    let msm_start = Instant::now();
    let g1 = |q: &dyn QueryMsm<G1Projective>, bases: &[G1Affine], scalars: &[Fr]| {
        timed(|| q.msm(bases, scalars))
    };
    let g2 = |q: &dyn QueryMsm<G2Projective>, bases: &[G2Affine], scalars: &[Fr]| {
        timed(|| q.msm(bases, scalars))
    };
    let p = prepared;
    let b_g1_of = || {
        if need_b_g1 {
            g1(&*p.b_g1, &pk.b_g1_query, full)
        } else {
            (G1Projective::zero(), 0.0)
        }
    };
    let (a, b_g1, b_g2, l, hh) = if options.concurrent {
        let (b_g2, ((hh, l), (a, b_g1))) = rayon::join(
            || g2(&*p.b_g2, &pk.b_g2_query, full),
            || {
                rayon::join(
                    || (g1(&*p.h, &pk.h_query, &h), g1(&*p.l, &pk.l_query, aux)),
                    || (g1(&*p.a, &pk.a_query, full), b_g1_of()),
                )
            },
        );
        (a, b_g1, b_g2, l, hh)
    } else {
        let hh = g1(&*p.h, &pk.h_query, &h);
        let l = g1(&*p.l, &pk.l_query, aux);
        let a = g1(&*p.a, &pk.a_query, full);
        let b_g1 = b_g1_of();
        let b_g2 = g2(&*p.b_g2, &pk.b_g2_query, full);
        (a, b_g1, b_g2, l, hh)
    };
    drop(h);
    times.msm_a = a.1;
    times.msm_b_g1 = b_g1.1;
    times.msm_b_g2 = b_g2.1;
    times.msm_l = l.1;
    times.msm_h = hh.1;
    times.msm_wall = ms(msm_start.elapsed());
    let proof = assemble(
        pk,
        Msms {
            a: a.0,
            b_g1: b_g1.0,
            b_g2: b_g2.0,
            l: l.0,
            h: hh.0,
        },
        r,
        s,
    );
    times.total = ms(start.elapsed());
    Ok(proof)
}

/// The proof from the MSMs over the full assignment, as ark-groth16 0.6's
/// `create_proof_with_assignment` computes it:
/// `A = α + Σ aᵢ zᵢ + r·δ`, `B = β + Σ bᵢ zᵢ + s·δ` (G1 and G2),
/// `C = s·A + r·B₁ − r·s·δ + Σ lᵢ wᵢ + Σ hᵢ Hᵢ`.
pub(crate) fn assemble(pk: &ProvingKey<Bn254>, m: Msms, r: Fr, s: Fr) -> Proof<Bn254> {
    let g_a = pk.delta_g1 * r + pk.vk.alpha_g1 + m.a;
    let g1_b = if r.is_zero() {
        G1Projective::zero()
    } else {
        pk.delta_g1 * s + pk.beta_g1 + m.b_g1
    };
    let g2_b = pk.vk.delta_g2 * s + pk.vk.beta_g2 + m.b_g2;
    let r_s_delta_g1 = pk.delta_g1 * (r * s);
    let mut g_c = g_a * s;
    g_c += g1_b * r;
    g_c -= r_s_delta_g1;
    g_c += m.l;
    g_c += m.h;
    Proof {
        a: g_a.into_affine(),
        b: g2_b.into_affine(),
        c: g_c.into_affine(),
    }
}
