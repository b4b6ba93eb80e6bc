//! What a chunk shape costs before anything runs: its constraints, the memory its setup and
//! its proofs need, rough times, and whether it fits this machine's memory.
//!
//! # Constraints
//! Exact (the circuit synthesized in setup mode, as the setup does) for shapes of at most
//! [`EXACT_SLOTS`] record fields; larger shapes are extrapolated from the two largest exact
//! shapes of the same arity. Every component of the chunk circuit is affine in the record
//! slots (one Poseidon per record, one per tree node, one per 3 cipher elements, one per 15
//! ciphertext elements in the commitment, a few selects per slot), so the extrapolation is
//! off only by the rounding of the cipher blocks and commitment groups: about 1 % of the
//! real count, mostly above it (checked against synthesis in `tests/estimate.rs`; +1.1 %
//! at arity 4, chunk 4,096), and never slow, whatever the chunk size.
//!
//! # Memory
//! A linear model in the constraints `c` and the QAP domain size `d` (the next power of two
//! at or above the constraints plus public inputs, which both the setup's `h` query and the
//! prover's FFTs are sized by), calibrated by measuring the peak resident memory (`VmHWM`)
//! of `zkbackup setup` and `zkbackup prove --jobs 1|2` on chosen shapes; see
//! `docs/PROOFS.md` ("Memory and time") for the measurements. The coefficients are rounded
//! up: the model errs on the side of refusing.
//!
//! # Time
//! Seconds per million constraints, measured the same way on the project's reference
//! machine (2 cores). A rough guide only: it scales with the cores and their speed.

use ark_relations::gr1cs::SynthesisError;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, OnceLock};
use zkbackup_circuits::counts::chunk_constraints;
use zkbackup_core::chunk::{ChunkShape, NUM_PUBLIC_INPUTS};

/// Shapes of at most this many record fields (`arity · chunk_size`) are synthesized to
/// count their constraints exactly (a few milliseconds); larger ones are extrapolated.
pub const EXACT_SLOTS: usize = 256;

// The memory coefficients below were fitted to peak RSS (`/usr/bin/time -f %M`) of the
// `zkbackup` binary (test profile: opt-level 3, target-cpu=native) on three shapes: arity 4
// chunk 64 (69,437 constraints, domain 2^17), arity 2 chunk 128 (96,701, 2^17) and arity 4
// chunk 128 (137,743, 2^18); the first two share a domain and give the per-constraint
// cost, the third checks the fit. A one-record shape gives the base. Rounded up; see
// docs/PROOFS.md ("Memory and time") for the table.

/// Setup memory: bytes per constraint (constraint matrices, QAP evaluations, the proving
/// key's `a`, `b` (G1 and G2) and `l` queries with their projective intermediates).
/// Fitted: 1,574.
const SETUP_BYTES_PER_CONSTRAINT: u64 = 1_600;
/// Setup memory: bytes per QAP domain element (the `h` query and the domain's
/// evaluations). Fitted: 718.
const SETUP_BYTES_PER_DOMAIN: u64 = 750;
/// Proving, shared by all jobs: bytes per constraint (proving key and constraint
/// matrices). Fitted: 1,349.
const PROVE_SHARED_BYTES_PER_CONSTRAINT: u64 = 1_400;
/// Proving, shared by all jobs: bytes per domain element (the proving key's `h` query).
/// Fitted: 599.
const PROVE_SHARED_BYTES_PER_DOMAIN: u64 = 600;
/// Proving, per chunk in flight: bytes per constraint (the witness, the MSM scalars).
/// Fitted: 132.
const PROVE_JOB_BYTES_PER_CONSTRAINT: u64 = 150;
/// Proving, per chunk in flight: bytes per domain element (the QAP witness map's FFT
/// vectors). Fitted: 349.
const PROVE_JOB_BYTES_PER_DOMAIN: u64 = 400;
/// The process itself (binary, allocator, thread stacks, rayon pool). Measured: 24–26 MiB.
const BASE_BYTES: u64 = 32 << 20;
/// Setup seconds per million constraints on the reference machine (2 cores, idle): 1.3×
/// a proving command, as measured side by side.
const SETUP_SECS_PER_MILLION: f64 = 50.0;
/// Proving seconds per million constraints on the reference machine (2 cores, idle):
/// benches/README.md, 1,742 ms for 69,437 constraints, 6,588 ms for 274,636.
const PROVE_SECS_PER_MILLION: f64 = 25.0;

/// What one chunk shape costs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ShapeEstimate {
    /// The shape.
    pub shape: ChunkShape,
    /// Constraints of the chunk circuit.
    pub constraints: u64,
    /// Whether [`ShapeEstimate::constraints`] was counted (true) or extrapolated (false).
    pub exact: bool,
    /// The QAP domain size: the next power of two at or above the constraints plus the
    /// public inputs.
    pub domain: u64,
    /// Peak memory of the setup, in bytes.
    pub setup_bytes: u64,
    /// Memory of a proving run that every job shares (proving key, matrices, and the MSM
    /// backend's tables, [`ShapeEstimate::tables_bytes`]), in bytes.
    pub prove_shared_bytes: u64,
    /// The part of [`ShapeEstimate::prove_shared_bytes`] that is the MSM backend's
    /// precomputed tables of the key's bases (0 for arkworks' MSM), in bytes.
    pub tables_bytes: u64,
    /// Memory of each chunk in flight during proving, in bytes.
    pub prove_job_bytes: u64,
    /// Rough setup time on the reference machine, in seconds.
    pub setup_secs: f64,
    /// Rough time to prove one chunk on the reference machine, in seconds.
    pub prove_secs: f64,
}

impl ShapeEstimate {
    /// Peak memory of a proving run with `jobs` chunks in flight, in bytes.
    pub fn prove_bytes(&self, jobs: usize) -> u64 {
        BASE_BYTES
            .saturating_add(self.prove_shared_bytes)
            .saturating_add(self.prove_job_bytes.saturating_mul(jobs.max(1) as u64))
    }

    /// What the shape needs to be usable at all: the larger of the setup and a proving run
    /// with one job, in bytes.
    pub fn needed_bytes(&self) -> u64 {
        self.setup_bytes.max(self.prove_bytes(1))
    }

    /// The most jobs whose proving run fits in `budget` bytes (0 if not even one does).
    pub fn jobs_within(&self, budget: u64) -> usize {
        let fixed = BASE_BYTES.saturating_add(self.prove_shared_bytes);
        if budget < fixed.saturating_add(self.prove_job_bytes) {
            return 0;
        }
        ((budget - fixed) / self.prove_job_bytes.max(1)).min(usize::MAX as u64) as usize
    }
}

/// Estimates `shape` (see the [module docs](self)) for the default MSM backend.
pub fn estimate(shape: ChunkShape) -> Result<ShapeEstimate, SynthesisError> {
    estimate_for(shape, crate::engine::Backend::default())
}

/// Estimates `shape` for the MSM `backend`: its tables are shared by all jobs.
pub fn estimate_for(
    shape: ChunkShape,
    backend: crate::engine::Backend,
) -> Result<ShapeEstimate, SynthesisError> {
    let (constraints, exact) = constraints(shape)?;
    let domain = (constraints + NUM_PUBLIC_INPUTS as u64 + 1)
        .checked_next_power_of_two()
        .unwrap_or(u64::MAX);
    let linear = |per_constraint: u64, per_domain: u64| {
        constraints
            .saturating_mul(per_constraint)
            .saturating_add(domain.saturating_mul(per_domain))
    };
    let millions = constraints as f64 / 1e6;
    // The A, B (G1, G2) and L queries have a base per variable (about one per
    // constraint), H one per domain element.
    let tables_bytes = crate::engine::tables_bytes(backend, constraints, domain);
    Ok(ShapeEstimate {
        shape,
        constraints,
        exact,
        domain,
        setup_bytes: BASE_BYTES
            .saturating_add(linear(SETUP_BYTES_PER_CONSTRAINT, SETUP_BYTES_PER_DOMAIN)),
        prove_shared_bytes: linear(
            PROVE_SHARED_BYTES_PER_CONSTRAINT,
            PROVE_SHARED_BYTES_PER_DOMAIN,
        )
        .saturating_add(tables_bytes),
        tables_bytes,
        prove_job_bytes: linear(PROVE_JOB_BYTES_PER_CONSTRAINT, PROVE_JOB_BYTES_PER_DOMAIN),
        setup_secs: millions * SETUP_SECS_PER_MILLION,
        prove_secs: millions * PROVE_SECS_PER_MILLION,
    })
}

/// [`chunk_constraints`], remembered: a search over chunk sizes counts each small shape
/// once.
fn exact_constraints(shape: ChunkShape) -> Result<u64, SynthesisError> {
    static COUNTED: OnceLock<Mutex<HashMap<ChunkShape, u64>>> = OnceLock::new();
    let counted = COUNTED.get_or_init(Default::default);
    if let Some(&c) = counted
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&shape)
    {
        return Ok(c);
    }
    let c = chunk_constraints(shape)? as u64;
    counted
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(shape, c);
    Ok(c)
}

/// The constraints of `shape`'s circuit: `(count, exact)`.
fn constraints(shape: ChunkShape) -> Result<(u64, bool), SynthesisError> {
    if shape.slots() <= EXACT_SLOTS {
        return Ok((exact_constraints(shape)?, true));
    }
    // The two largest chunk sizes of this arity that are counted exactly.
    let large = (EXACT_SLOTS / shape.arity).next_power_of_two();
    let large = if large * shape.arity > EXACT_SLOTS {
        large / 2
    } else {
        large
    };
    let small = large / 2;
    let count = |n: usize| {
        ChunkShape::new(shape.arity, n)
            .map_err(|_| SynthesisError::Unsatisfiable)
            .and_then(exact_constraints)
    };
    let (c_small, c_large) = (count(small)?, count(large)?);
    let per_record = (c_large - c_small).div_ceil(small as u64);
    let extra = (shape.chunk_size - large) as u64;
    Ok((
        c_large.saturating_add(per_record.saturating_mul(extra)),
        false,
    ))
}

/// The machine's memory, from `/proc/meminfo`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryInfo {
    /// `MemTotal`, in bytes.
    pub total: u64,
    /// `MemAvailable`, in bytes (what can be allocated without swapping).
    pub available: u64,
}

impl MemoryInfo {
    /// Reads `/proc/meminfo`; `None` where it does not exist or lacks the two fields.
    pub fn read() -> Option<Self> {
        Self::read_from(Path::new("/proc/meminfo"))
    }

    /// Reads a file in `/proc/meminfo`'s format.
    pub fn read_from(path: &Path) -> Option<Self> {
        Self::parse(&std::fs::read_to_string(path).ok()?)
    }

    /// Parses `/proc/meminfo`'s text (`MemTotal:  24684092 kB` lines).
    pub fn parse(text: &str) -> Option<Self> {
        let field = |name: &str| -> Option<u64> {
            let line = text.lines().find(|l| l.starts_with(name))?;
            let mut words = line[name.len()..].split_whitespace();
            let value: u64 = words.next()?.parse().ok()?;
            let unit = match words.next() {
                Some("kB") => 1024,
                None => 1,
                Some(_) => return None,
            };
            value.checked_mul(unit)
        };
        Some(Self {
            total: field("MemTotal:")?,
            available: field("MemAvailable:")?,
        })
    }
}

/// A shape that does not fit the memory it has.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TooLarge {
    /// The shape's estimate.
    pub estimate: ShapeEstimate,
    /// Bytes it needs ([`ShapeEstimate::needed_bytes`]).
    pub needed: u64,
    /// Bytes available.
    pub available: u64,
    /// The largest chunk size of this arity that fits, if any.
    pub largest: Option<usize>,
}

impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let e = &self.estimate;
        write!(
            f,
            "arity {}, chunk size {}: its setup and proofs need about {} of memory ({} \
             constraints per chunk), but {} is available",
            e.shape.arity,
            e.shape.chunk_size,
            gib(self.needed),
            e.constraints,
            gib(self.available)
        )?;
        match self.largest {
            Some(n) => write!(f, "; the largest chunk size that fits is {n}"),
            None => write!(f, "; not even a chunk size of 1 fits"),
        }
    }
}

impl std::error::Error for TooLarge {}

/// Why a shape could not be checked against the memory.
#[derive(Debug, thiserror::Error)]
pub enum FitError {
    /// The shape does not fit.
    #[error(transparent)]
    TooLarge(#[from] TooLarge),
    /// Counting the constraints of a small shape failed (a bug).
    #[error("counting the chunk circuit's constraints failed")]
    Count(#[from] SynthesisError),
}

/// `bytes` in GiB (or MiB when small), for messages.
pub fn gib(bytes: u64) -> String {
    if bytes >= 1 << 30 {
        format!("{:.1} GiB", bytes as f64 / (1u64 << 30) as f64)
    } else {
        format!("{:.0} MiB", (bytes as f64 / (1u64 << 20) as f64).ceil())
    }
}

/// Estimates `shape` and checks that it fits in `available` bytes
/// ([`ShapeEstimate::needed_bytes`]); when it does not, the error names the largest chunk
/// size of the same arity that does.
pub fn check_fits(shape: ChunkShape, available: u64) -> Result<ShapeEstimate, FitError> {
    let estimate = estimate(shape)?;
    let needed = estimate.needed_bytes();
    if needed <= available {
        return Ok(estimate);
    }
    let mut largest = None;
    let mut n = shape.chunk_size / 2;
    while n >= 1 {
        let candidate = ChunkShape {
            arity: shape.arity,
            chunk_size: n,
        };
        if self::estimate(candidate)?.needed_bytes() <= available {
            largest = Some(n);
            break;
        }
        n /= 2;
    }
    Err(TooLarge {
        estimate,
        needed,
        available,
        largest,
    }
    .into())
}
