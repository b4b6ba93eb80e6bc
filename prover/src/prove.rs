//! Proving one chunk.
//!
//! [`ChunkProver::prove`] is ours: the constraint matrices are derived once per shape (they
//! never change), and each proof only computes the witness (synthesis without building
//! matrices or inlining linear combinations), then runs our prove path ([`crate::engine`]):
//! the QAP witness map and the five MSMs through the prover's [`PreparedKey`] (built once
//! per key and shared by every proof of a run).
//! [`ChunkProver::prove_stock`] is `ark_groth16::Groth16::prove` on the identical circuit
//! and key, kept for the benchmark's side-by-side comparison and as a cross-check.
//!
//! # Secrets
//! The full assignment holds the records and the key. Ours moves it out of the constraint
//! system (no copy is left there) into a [`Zeroizing`] vector, wiped when dropped, as are
//! the proof's blinding scalars `r, s` and the QAP evaluations `h`; the witness itself ([`ChunkWitness`]) wipes its
//! records and key on drop. Best effort: the gadgets' own copies of values during synthesis
//! and the internal vectors of ark-groth16's witness map and of the MSM backends (scalar
//! copies) are out of reach, and
//! [`ChunkProver::prove_stock`] wipes nothing beyond the witness.

use crate::engine::{self, timed, Backend, PreparedKey, ProveOptions, R1csView, StageTimes};
use crate::reduction::{CircomReduction, Reduction};
use crate::tables::{TablesCache, TablesEvent};
use ark_bn254::{Bn254, Fr, G1Projective, G2Projective};
use ark_ec::VariableBaseMSM;
use ark_ff::PrimeField;
use ark_ff::UniformRand;
use ark_groth16::{r1cs_to_qap::LibsnarkReduction, Groth16, Proof, ProvingKey};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, SynthesisError, SynthesisMode,
    R1CS_PREDICATE_LABEL,
};
use ark_relations::utils::matrix::Matrix;
use ark_snark::SNARK;
use rand::{CryptoRng, RngCore};
use std::sync::OnceLock;
use zeroize::Zeroize;
use zeroize::Zeroizing;
use zkbackup_circuits::chunk::ChunkCircuit;
use zkbackup_core::chunk::{ChunkPublic, ChunkShape, ChunkWitness};

/// Why a chunk could not be proven.
#[derive(Debug, thiserror::Error)]
pub enum ProveError {
    /// Constraint synthesis failed (a bug, or a witness that does not fit the shape).
    #[error("constraint synthesis failed")]
    Synthesis(#[from] SynthesisError),
    /// The witness's shape is not the keys' shape.
    #[error("the chunk has arity {got_arity} and chunk size {got_size}, the keys were made for arity {arity} and chunk size {size}")]
    Shape {
        /// The keys' arity.
        arity: usize,
        /// The keys' chunk size.
        size: usize,
        /// The witness's arity.
        got_arity: usize,
        /// The witness's chunk size.
        got_size: usize,
    },
    /// The caller's check of the public values refused them (see
    /// [`ChunkProver::prove_checked`]).
    #[error("{0}")]
    Rejected(String),
    /// The witness does not satisfy the circuit: the records, key or nonce are not what
    /// the public values say.
    #[error("the chunk's witness does not satisfy the circuit")]
    Unsatisfied,
    /// Our own proof did not verify under the key's verifying key (a prover bug, or a
    /// proving key whose verifying key is not its own): it was not written.
    #[error("the proof made for this chunk does not verify under the proving key's own verifying key; not written (a damaged proving key, or a prover bug)")]
    SelfCheck,
    /// Constraint matrices whose sizes are not the proving key's.
    #[error("the constraint matrices do not fit the proving key: {0}")]
    Matrices(String),
}

/// The constraint system of one chunk shape as matrices: what the Groth16 generator sees,
/// what the prover evaluates, and what `export-r1cs` writes.
///
/// Variable `i` of a row is index `i` of the full assignment `[1, public inputs…,
/// witnesses…]`: the 5 public inputs (in [`ChunkCircuit`]'s order), then the key's two
/// elements and the records' `arity · chunk_size` fields, then the gadgets' internal values.
/// A keys directory keeps them in `matrices.bin` ([`crate::matrices`]).
#[derive(Clone, Debug, PartialEq)]
pub struct ChunkMatrices {
    /// `A`, `B`, `C`, one row per constraint.
    pub matrices: Vec<Matrix<Fr>>,
    /// Instance variables, the constant one included.
    pub num_instance_variables: usize,
    /// Witness variables.
    pub num_witness_variables: usize,
    /// Constraints (rows).
    pub num_constraints: usize,
    /// Witness variables that are the circuit's private inputs (the key and the record
    /// fields), the first ones after the instance.
    pub num_private_inputs: usize,
}

impl ChunkMatrices {
    /// Derives `shape`'s matrices exactly as the Groth16 generator does (setup mode,
    /// constraint-count optimization, inlined).
    pub fn derive(shape: ChunkShape) -> Result<Self, SynthesisError> {
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Setup);
        ChunkCircuit::setup(shape).generate_constraints(cs.clone())?;
        cs.finalize();
        let mut all = cs.to_matrices()?;
        let matrices = all
            .remove(R1CS_PREDICATE_LABEL)
            .ok_or(SynthesisError::PredicateNotFound)?;
        Ok(Self {
            matrices,
            num_instance_variables: cs.num_instance_variables(),
            num_witness_variables: cs.num_witness_variables(),
            num_constraints: cs.num_constraints(),
            num_private_inputs: 2 + shape.slots(),
        })
    }

    /// Variables in all: the length of a full assignment.
    pub fn num_variables(&self) -> usize {
        self.num_instance_variables + self.num_witness_variables
    }
}

/// A prover for one chunk shape: the proving key, the QAP reduction it was made for, and the
/// circuit's constraint matrices.
pub struct ChunkProver {
    shape: ChunkShape,
    pk: ProvingKey<Bn254>,
    reduction: Reduction,
    r1cs: ChunkMatrices,
    policy: EnginePolicy,
    /// The arkworks backend's (empty) prepared key: always there.
    arkworks: PreparedKey,
    /// The fixed-base tables, built when the policy first asks for them, then kept for
    /// every later proof of this prover.
    fixed: OnceLock<PreparedKey>,
    options: ProveOptions,
    /// Told what happens to the fixed-base tables (built, read from or written to the
    /// cache).
    tables_hook: Option<TablesHook>,
    /// Where the fixed-base tables are kept between runs, if anywhere.
    tables_cache: Option<TablesCache>,
}

/// See [`ChunkProver::on_tables_build`].
type TablesHook = Box<dyn Fn(TablesEvent) + Send + Sync>;

/// How a [`ChunkProver`] chooses its MSM [`Backend`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EnginePolicy {
    /// The fixed-base tables once a run has at least [`FIXED_MIN_PROOFS`] chunks to prove
    /// ([`ChunkProver::expect_proofs`]) and they take at most half of the memory available:
    /// their one-off build then costs less than it saves. Fewer chunks (e.g. an incremental
    /// run's few changed chunks) prove with arkworks' MSM, which needs no tables.
    #[default]
    Auto,
    /// Always arkworks' MSM on the key's bases.
    Arkworks,
    /// Always the fixed-base tables (built by [`ChunkProver::expect_proofs`] or, at the
    /// latest, by the first proof).
    Fixed,
}

/// The number of proofs from which [`EnginePolicy::Auto`] builds the fixed-base tables.
///
/// Measured on this project's 2-core machine (release, `zkbackup bench`, quiet; see
/// `benches/README.md`): the tables take 15.9 s to build at chunk 64 and 66.3 s at 256, and
/// each proof with them saves ~0.95 s / ~3.5 s against arkworks' MSM, so they pay for
/// themselves after 17–19 proofs at either size (tables and proofs both grow with the key);
/// 24 leaves a margin for noise.
pub const FIXED_MIN_PROOFS: usize = 24;

/// The number of proofs from which [`EnginePolicy::Auto`] reads the fixed-base tables from
/// the tables cache ([`ChunkProver::set_tables_cache`]) when it holds them.
///
/// Measured as above: reading them back takes 1.0 s at chunk 64 and 4.0 s at 256 (~17×
/// faster than building them), against the ~0.95 s / ~3.5 s each proof saves: they pay from
/// the second proof (barely at 64); 3 leaves a margin.
pub const FIXED_MIN_CACHED_PROOFS: usize = 3;

impl ChunkProver {
    /// A prover for keys made for the libsnark reduction (`zkbackup setup`'s).
    pub fn new(shape: ChunkShape, pk: ProvingKey<Bn254>) -> Result<Self, ProveError> {
        Self::with_reduction(shape, pk, Reduction::Libsnark)
    }

    /// A prover for keys made for `reduction`; derives the constraint matrices.
    pub fn with_reduction(
        shape: ChunkShape,
        pk: ProvingKey<Bn254>,
        reduction: Reduction,
    ) -> Result<Self, ProveError> {
        Self::with_matrices(shape, pk, reduction, ChunkMatrices::derive(shape)?)
    }

    /// A prover for keys made for `reduction`, with `shape`'s constraint matrices already
    /// at hand (e.g. read from a keys directory's `matrices.bin`). Refuses matrices whose
    /// sizes are not the key's; whether they are this circuit's is checked by every proof
    /// (satisfaction, then the proof's own verification).
    pub fn with_matrices(
        shape: ChunkShape,
        pk: ProvingKey<Bn254>,
        reduction: Reduction,
        r1cs: ChunkMatrices,
    ) -> Result<Self, ProveError> {
        let sizes = [
            (
                "public inputs",
                pk.vk.gamma_abc_g1.len(),
                r1cs.num_instance_variables,
            ),
            ("variables", pk.a_query.len(), r1cs.num_variables()),
            (
                "witness variables",
                pk.l_query.len(),
                r1cs.num_witness_variables,
            ),
        ];
        if let Some((what, key, m)) = sizes.iter().find(|(_, key, m)| key != m) {
            return Err(ProveError::Matrices(format!(
                "{m} {what}, the key has {key}"
            )));
        }
        if r1cs.matrices.len() != 3
            || r1cs
                .matrices
                .iter()
                .any(|m| m.len() != r1cs.num_constraints)
        {
            return Err(ProveError::Matrices(format!(
                "not three matrices of {} rows",
                r1cs.num_constraints
            )));
        }
        Ok(Self {
            arkworks: PreparedKey::new(&pk, Backend::Arkworks),
            shape,
            pk,
            reduction,
            r1cs,
            policy: EnginePolicy::default(),
            fixed: OnceLock::new(),
            options: ProveOptions::default(),
            tables_hook: None,
            tables_cache: None,
        })
    }

    /// Sets how the MSM backend is chosen. Nothing is built here: the tables come with
    /// [`ChunkProver::expect_proofs`] (or the first proof that needs them).
    pub fn set_policy(&mut self, policy: EnginePolicy) {
        self.policy = policy;
    }

    /// The policy.
    pub fn policy(&self) -> EnginePolicy {
        self.policy
    }

    /// Switches to one MSM backend (its tables built now) and the MSM schedule.
    pub fn set_engine(&mut self, backend: Backend, options: ProveOptions) {
        self.set_policy(match backend {
            Backend::Arkworks => EnginePolicy::Arkworks,
            Backend::Fixed => EnginePolicy::Fixed,
        });
        self.expect_proofs(usize::MAX);
        self.options = options;
    }

    /// Tells the prover that about `proofs` proofs are coming (e.g. a run's chunks to
    /// prove): builds the fixed-base tables now (once; they are kept for every later proof)
    /// under [`EnginePolicy::Fixed`], and under [`EnginePolicy::Auto`] from
    /// [`FIXED_MIN_PROOFS`] on when they fit. Returns the backend the next proofs use.
    pub fn expect_proofs(&self, proofs: usize) -> Backend {
        let build = match self.policy {
            EnginePolicy::Fixed => true,
            EnginePolicy::Auto => {
                self.fixed.get().is_none()
                    && self.tables_fit()
                    // Too few proofs to pay for a build: only tables read from the cache
                    // are worth it, and only for a few proofs.
                    && (proofs >= FIXED_MIN_PROOFS
                        || (proofs >= FIXED_MIN_CACHED_PROOFS && self.load_cached()))
            }
            EnginePolicy::Arkworks => false,
        };
        if build {
            self.fixed_key();
        }
        self.prepared_key().backend()
    }

    /// Keeps the fixed-base tables in `cache` between runs: read from it when they are
    /// needed (instead of built), written to it after a build. With a cache holding them,
    /// [`EnginePolicy::Auto`] uses them from [`FIXED_MIN_CACHED_PROOFS`] proofs on.
    pub fn set_tables_cache(&mut self, cache: Option<TablesCache>) {
        self.tables_cache = cache;
    }

    fn event(&self, event: TablesEvent) {
        if let Some(hook) = &self.tables_hook {
            hook(event)
        }
    }

    /// Reads the cached tables into this prover if there are usable ones.
    fn load_cached(&self) -> bool {
        let Some(cache) = &self.tables_cache else {
            return false;
        };
        if self.fixed.get().is_some() {
            return true;
        }
        match cache.load(&self.pk) {
            Ok(Some(key)) => {
                let _ = self.fixed.set(key);
                self.event(TablesEvent::Loaded(cache.path()));
                true
            }
            Ok(None) => false,
            Err(problem) => {
                self.event(TablesEvent::CacheProblem(problem));
                false
            }
        }
    }

    /// Bytes the fixed-base tables of this prover's key take (built or not).
    pub fn tables_bytes(&self) -> u64 {
        engine::tables_bytes(
            Backend::Fixed,
            self.r1cs.num_variables() as u64,
            self.pk.h_query.len() as u64,
        )
    }

    /// Whether the tables leave at least half of the memory available now for the proofs
    /// themselves (unknown memory: yes). [`EnginePolicy::Auto`] stays with arkworks' MSM,
    /// which needs no tables, on a machine too small for them.
    fn tables_fit(&self) -> bool {
        crate::estimate::MemoryInfo::read()
            .is_none_or(|m| self.tables_bytes().saturating_mul(2) <= m.available)
    }

    /// Calls `hook` with what happens to the fixed-base tables: their build starting (once
    /// per prover: about a minute at chunk 256) and ending, their reading from or writing
    /// to the cache, a cached file that could not be used. A progress display can say why
    /// no chunk is finishing.
    pub fn on_tables_build(&mut self, hook: impl Fn(TablesEvent) + Send + Sync + 'static) {
        self.tables_hook = Some(Box::new(hook));
    }

    fn fixed_key(&self) -> &PreparedKey {
        if self.fixed.get().is_none() {
            self.load_cached();
        }
        self.fixed.get_or_init(|| {
            self.event(TablesEvent::Building);
            let key = PreparedKey::new(&self.pk, Backend::Fixed);
            self.event(TablesEvent::Built);
            if let Some(cache) = &self.tables_cache {
                self.event(match cache.save(&key) {
                    Ok(path) => TablesEvent::Saved(path),
                    Err(problem) => TablesEvent::CacheProblem(problem),
                });
            }
            key
        })
    }

    /// The prepared key the next proof uses (the MSM backend's per-query state).
    pub fn prepared_key(&self) -> &PreparedKey {
        match self.policy {
            EnginePolicy::Arkworks => &self.arkworks,
            EnginePolicy::Fixed => self.fixed_key(),
            EnginePolicy::Auto => self.fixed.get().unwrap_or(&self.arkworks),
        }
    }

    /// The constraint matrices.
    pub fn matrices(&self) -> &ChunkMatrices {
        &self.r1cs
    }

    /// The QAP reduction proofs use.
    pub fn reduction(&self) -> Reduction {
        self.reduction
    }

    /// The shape this prover proves.
    pub fn shape(&self) -> ChunkShape {
        self.shape
    }

    /// Constraints of the circuit.
    pub fn num_constraints(&self) -> usize {
        self.r1cs.num_constraints
    }

    /// The proving key.
    pub fn proving_key(&self) -> &ProvingKey<Bn254> {
        &self.pk
    }

    /// The proving circuit of `witness` (its public values computed once), checked
    /// against this prover's shape.
    fn circuit(&self, witness: ChunkWitness) -> Result<(ChunkCircuit, ChunkPublic), ProveError> {
        if witness.shape != self.shape {
            return Err(ProveError::Shape {
                arity: self.shape.arity,
                size: self.shape.chunk_size,
                got_arity: witness.shape.arity,
                got_size: witness.shape.chunk_size,
            });
        }
        let circuit = ChunkCircuit::prove(witness);
        let public = circuit
            .public()
            .expect("a proving circuit has public values");
        Ok((circuit, public))
    }

    /// The full assignment `[1, public inputs…, witnesses…]`, computed without building
    /// constraint matrices. Checks satisfaction against the precomputed matrices. Wiped
    /// when dropped.
    pub fn assignment(&self, witness: ChunkWitness) -> Result<Zeroizing<Vec<Fr>>, ProveError> {
        let (circuit, _) = self.circuit(witness)?;
        let full = self.assignment_of(circuit)?;
        if !self.satisfied(&full) {
            return Err(ProveError::Unsatisfied);
        }
        Ok(full)
    }

    /// The full assignment, not checked: the prove path checks satisfaction in the QAP
    /// witness map, on the rows it evaluates anyway ([`crate::fft::witness_map`]).
    fn assignment_of(&self, circuit: ChunkCircuit) -> Result<Zeroizing<Vec<Fr>>, ProveError> {
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Prove {
            construct_matrices: false,
            generate_lc_assignments: false,
        });
        let synthesized = circuit.generate_constraints(cs.clone());
        // Move the assignment out of the constraint system rather than copy it, so that
        // the only copy is the wiped one below, whether synthesis succeeded or not.
        let (instance, witness) = {
            let mut inner = cs.borrow_mut().ok_or(SynthesisError::MissingCS)?;
            let assignments = &mut inner.assignments;
            assignments.lc_assignment.zeroize();
            (
                Zeroizing::new(std::mem::take(&mut assignments.instance_assignment)),
                Zeroizing::new(std::mem::take(&mut assignments.witness_assignment)),
            )
        };
        synthesized?;
        if instance.len() != self.r1cs.num_instance_variables {
            return Err(ProveError::Unsatisfied);
        }
        let mut full = Zeroizing::new(Vec::with_capacity(instance.len() + witness.len()));
        full.extend_from_slice(&instance);
        full.extend_from_slice(&witness);
        Ok(full)
    }

    /// Whether `assignment` satisfies the circuit's constraints (`A·z ∘ B·z = C·z`).
    fn satisfied(&self, z: &[Fr]) -> bool {
        use rayon::prelude::*;
        let eval = |row: &[(Fr, usize)]| crate::fft::evaluate_row(row, z);
        let m = &self.r1cs.matrices;
        let (a, b, c) = (&m[0], &m[1], &m[2]);
        (0..self.r1cs.num_constraints)
            .into_par_iter()
            .all(|i| eval(&a[i]) * eval(&b[i]) == eval(&c[i]))
    }

    /// Proves `witness` (ours): returns its public values and the proof.
    pub fn prove<R: RngCore + CryptoRng>(
        &self,
        witness: ChunkWitness,
        rng: &mut R,
    ) -> Result<(ChunkPublic, Proof<Bn254>), ProveError> {
        self.prove_checked(witness, rng, |_| Ok(()))
    }

    /// [`ChunkProver::prove`], calling `check` on the public values before the expensive
    /// part, so that a witness that does not match its backup costs no proof; its error
    /// comes back as [`ProveError::Rejected`].
    pub fn prove_checked<R: RngCore + CryptoRng>(
        &self,
        witness: ChunkWitness,
        rng: &mut R,
        check: impl FnOnce(&ChunkPublic) -> Result<(), String>,
    ) -> Result<(ChunkPublic, Proof<Bn254>), ProveError> {
        let (public, proof, _) = self.prove_staged(witness, rng, check)?;
        Ok((public, proof))
    }

    /// [`ChunkProver::prove_checked`], also returning the time of each stage.
    pub fn prove_staged<R: RngCore + CryptoRng>(
        &self,
        witness: ChunkWitness,
        rng: &mut R,
        check: impl FnOnce(&ChunkPublic) -> Result<(), String>,
    ) -> Result<(ChunkPublic, Proof<Bn254>, StageTimes), ProveError> {
        let start = std::time::Instant::now();
        let (circuit, public) = self.circuit(witness)?;
        check(&public).map_err(ProveError::Rejected)?;
        let (full, witness_ms) = timed(|| self.assignment_of(circuit));
        let full = full?;
        // As `Groth16::prove`: r, then s, from the caller's rng.
        let r = Zeroizing::new(Fr::rand(rng));
        let s = Zeroizing::new(Fr::rand(rng));
        let mut times = StageTimes::default();
        let proof = self.prove_assignment_timed(&full, *r, *s, &mut times)?;
        times.witness = witness_ms;
        times.total = engine::ms(start.elapsed());
        Ok((public, proof, times))
    }

    /// The proof of a full assignment with the blinding scalars `r, s`, under this
    /// prover's reduction, by our prove path. An assignment that does not satisfy the
    /// constraints gets [`ProveError::Unsatisfied`] (checked in the QAP witness map).
    pub fn prove_assignment(&self, full: &[Fr], r: Fr, s: Fr) -> Result<Proof<Bn254>, ProveError> {
        self.prove_assignment_timed(full, r, s, &mut StageTimes::default())
    }

    fn prove_assignment_timed(
        &self,
        full: &[Fr],
        r: Fr,
        s: Fr,
        times: &mut StageTimes,
    ) -> Result<Proof<Bn254>, ProveError> {
        if full.len() != self.r1cs.num_variables() {
            return Err(ProveError::Unsatisfied);
        }
        engine::prove_assignment(
            &self.pk,
            self.prepared_key(),
            self.reduction,
            &self.r1cs_view(),
            full,
            r,
            s,
            self.options,
            times,
        )
        .map_err(|e| match e {
            // The witness map checks satisfaction on the rows it evaluates.
            SynthesisError::Unsatisfiable => ProveError::Unsatisfied,
            e => ProveError::Synthesis(e),
        })
    }

    fn r1cs_view(&self) -> R1csView<'_> {
        R1csView {
            matrices: &self.r1cs.matrices,
            num_instance_variables: self.r1cs.num_instance_variables,
            num_constraints: self.r1cs.num_constraints,
        }
    }

    /// The proof of a full assignment by ark-groth16's own
    /// `create_proof_with_reduction_and_matrices` on the precomputed matrices (the prove
    /// path before ours; kept for comparison).
    pub fn prove_assignment_arkworks(
        &self,
        full: &[Fr],
        r: Fr,
        s: Fr,
    ) -> Result<Proof<Bn254>, ProveError> {
        let m = &self.r1cs;
        let (inputs, constraints) = (m.num_instance_variables, m.num_constraints);
        Ok(match self.reduction {
            Reduction::Libsnark => {
                Groth16::<Bn254, LibsnarkReduction>::create_proof_with_reduction_and_matrices(
                    &self.pk,
                    r,
                    s,
                    &m.matrices,
                    inputs,
                    constraints,
                    full,
                )?
            }
            Reduction::Circom => {
                Groth16::<Bn254, CircomReduction>::create_proof_with_reduction_and_matrices(
                    &self.pk,
                    r,
                    s,
                    &m.matrices,
                    inputs,
                    constraints,
                    full,
                )?
            }
        })
    }

    /// Proves `witness` with stock `ark_groth16::Groth16::prove` (synthesis with matrices,
    /// inlining, then proving), on the same circuit, key and reduction.
    pub fn prove_stock<R: RngCore + CryptoRng>(
        &self,
        witness: ChunkWitness,
        rng: &mut R,
    ) -> Result<(ChunkPublic, Proof<Bn254>), ProveError> {
        let (circuit, public) = self.circuit(witness)?;
        let proof = match self.reduction {
            Reduction::Libsnark => Groth16::<Bn254>::prove(&self.pk, circuit, rng)?,
            Reduction::Circom => Groth16::<Bn254, CircomReduction>::prove(&self.pk, circuit, rng)?,
        };
        Ok((public, proof))
    }
}

impl ChunkProver {
    /// Stock `Groth16::prove`'s path cut into its stages, each timed: arkworks' own pieces
    /// called in its order (synthesis building the matrices, inlining and `to_matrices`,
    /// `witness_map_from_matrices`, then `msm_bigint` per query with arkworks' scalar
    /// conversions, sequentially: `H`, `L`, `A`, `B` in G1, `B` in G2). `r, s` are drawn from
    /// `rng` as `Groth16::prove` draws them, so the proof is the one it makes.
    pub fn prove_stock_staged<R: RngCore + CryptoRng>(
        &self,
        witness: ChunkWitness,
        rng: &mut R,
    ) -> Result<(ChunkPublic, Proof<Bn254>, StageTimes), ProveError> {
        let start = std::time::Instant::now();
        let (circuit, public) = self.circuit(witness)?;
        let r = Zeroizing::new(Fr::rand(rng));
        let s = Zeroizing::new(Fr::rand(rng));
        let (r, s) = (*r, *s);
        let mut t = StageTimes::default();
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Prove {
            construct_matrices: true,
            generate_lc_assignments: false,
        });
        let (synth, ms) = timed(|| circuit.generate_constraints(cs.clone()));
        synth?;
        t.witness = ms;
        let (matrices, ms) = timed(|| {
            cs.finalize();
            cs.to_matrices()
        });
        let mut matrices = matrices?;
        let matrices = matrices
            .remove(R1CS_PREDICATE_LABEL)
            .ok_or(SynthesisError::PredicateNotFound)?;
        t.matrices = ms;
        let (inputs, constraints) = (cs.num_instance_variables(), cs.num_constraints());
        let (h, ms) = timed(|| -> Result<_, SynthesisError> {
            let inner = cs.borrow().ok_or(SynthesisError::MissingCS)?;
            let full = [inner.instance_assignment()?, inner.witness_assignment()?].concat();
            let view = R1csView {
                matrices: &matrices,
                num_instance_variables: inputs,
                num_constraints: constraints,
            };
            let h = engine::witness_map_arkworks(self.reduction, &view, &full)?;
            Ok((h, full))
        });
        let (h, full) = h?;
        t.qap = ms;
        let pk = &self.pk;
        let msm_start = std::time::Instant::now();
        // As ark-groth16 0.6's `create_proof_with_assignment`.
        let (h_acc, ms) = timed(|| {
            let h: Vec<_> = h.iter().map(|x| x.into_bigint()).collect();
            G1Projective::msm_bigint(&pk.h_query, &h)
        });
        t.msm_h = ms;
        let ((l_acc, assignment), ms) = timed(|| {
            let aux: Vec<_> = full[inputs..].iter().map(|x| x.into_bigint()).collect();
            let l = G1Projective::msm_bigint(&pk.l_query, &aux);
            let input: Vec<_> = full[1..inputs].iter().map(|x| x.into_bigint()).collect();
            (l, [&input[..], &aux[..]].concat())
        });
        t.msm_l = ms;
        let (a_acc, ms) = timed(|| G1Projective::msm_bigint(&pk.a_query[1..], &assignment));
        t.msm_a = ms;
        let (b_g1_acc, ms) = timed(|| G1Projective::msm_bigint(&pk.b_g1_query[1..], &assignment));
        t.msm_b_g1 = ms;
        let (b_g2_acc, ms) = timed(|| G2Projective::msm_bigint(&pk.b_g2_query[1..], &assignment));
        t.msm_b_g2 = ms;
        t.msm_wall = engine::ms(msm_start.elapsed());
        let proof = engine::assemble(
            pk,
            engine::Msms {
                a: a_acc + pk.a_query[0],
                b_g1: b_g1_acc + pk.b_g1_query[0],
                b_g2: b_g2_acc + pk.b_g2_query[0],
                l: l_acc,
                h: h_acc,
            },
            r,
            s,
        );
        t.total = engine::ms(start.elapsed());
        Ok((public, proof, t))
    }
}
