//! `zkbackup bench`: our prover against stock `ark_groth16::Groth16::prove` on the identical
//! chunk circuit, keys and witness, measured alternately in one run; plus verification.
//! With `--snarkjs`, also against `snarkjs groth16 prove` on the identical circuit, key and
//! witness: a key made for the circom QAP reduction, written as a `.zkey`, and the chunk's
//! witness as a `.wtns`.

use crate::error::{bad_input, InputResultExt};
use crate::progress;
use crate::snarkjs::Snarkjs;
use anyhow::Context;
use ark_ff::UniformRand;
use clap::Args;
use rand::rngs::{OsRng, StdRng};
use rand::SeedableRng;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;
use zkbackup_core::chunk::{ChunkShape, ChunkWitness};
use zkbackup_core::EscrowKey;
use zkbackup_core::Fr;
use zkbackup_prover::{Backend, ProveOptions, ProvingKeys, StageTimes};
use zkbackup_verifier::{batch_verify, prepare_verifying_key, verify::verify_chunk};

/// Measure the prover (ours and stock arkworks, alternating on the same circuit, keys and
/// witness), verification (single and batch) and memory, for one or more chunk sizes.
/// Prints a table and writes bench.json and bench.svg (prove time against chunk size).
#[derive(Clone, Debug, Args)]
pub struct BenchArgs {
    /// Chunk sizes (records per chunk, powers of two), comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = vec![16usize, 64, 256])]
    sizes: Vec<usize>,
    /// Field elements per record.
    #[arg(long, default_value_t = 4)]
    arity: usize,
    /// Proofs per prover and size (the median is reported).
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Proofs in the batch-verification measurement.
    #[arg(long, default_value_t = 64)]
    batch: usize,
    /// Directory for bench.json and bench.svg.
    #[arg(long, value_name = "DIR", default_value = "bench-out")]
    out: PathBuf,
    /// Also time `snarkjs groth16 prove` (this command: a snarkjs executable, or its
    /// `build/cli.cjs` run with node) on the same circuit, key and witness, alternating with
    /// ours. Without it, `$ZKBACKUP_SNARKJS` if set; else snarkjs is not measured.
    #[arg(long, value_name = "CMD")]
    snarkjs: Option<PathBuf>,
    /// Our MSM backend: `fixed` (zkbackup-msm's tables of the bases, built once per key:
    /// what `prove` uses for runs of many chunks) or `arkworks` (VariableBaseMSM on the key's
    /// bases: what it uses for a few).
    #[arg(long, default_value = "fixed", value_parser = ["arkworks", "fixed"])]
    backend: String,
    /// Run our five MSMs one after another instead of the G2 one against the G1 ones.
    #[arg(long)]
    sequential_msm: bool,
    /// Throughput: also prove this many chunks at once (comma-separated job counts, e.g.
    /// `1,2`), alternating the counts, and report records/s and peak memory per count.
    #[arg(long, value_delimiter = ',', value_name = "JOBS")]
    jobs: Vec<usize>,
}

/// Proving `jobs` chunks at once, ours.
#[derive(Clone, Debug, Serialize)]
pub struct JobsRow {
    /// Chunks in flight.
    pub jobs: usize,
    /// Median wall time of `jobs` proofs proven at once, ms.
    pub wall_ms: f64,
    /// Records per second (`jobs · chunk / wall`).
    pub records_per_s: f64,
    /// Peak resident memory while they ran (VmHWM reset before), MiB.
    pub peak_mib: f64,
}

/// Ours against snarkjs under one key made for the circom reduction.
#[derive(Clone, Debug, Serialize)]
pub struct SnarkjsRow {
    /// Median prove time, ours under the circom-reduction key, ms.
    pub ours_ms: f64,
    /// Median wall time of `snarkjs groth16 prove` (a node process: start, read the zkey and
    /// witness, prove, write the proof), ms.
    pub snarkjs_ms: f64,
    /// snarkjs / ours.
    pub ratio: f64,
    /// Bytes of the proving key as `proving_key.bin` holds it (arkworks, uncompressed).
    pub proving_key_bytes: u64,
    /// Bytes of the same key as a `.zkey`.
    pub zkey_bytes: u64,
    /// All prove times, ours, ms.
    pub ours_runs_ms: Vec<f64>,
    /// All snarkjs times, ms.
    pub snarkjs_runs_ms: Vec<f64>,
}

/// One row of the table.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// Records per chunk.
    pub chunk_size: usize,
    /// Field elements per record.
    pub arity: usize,
    /// Constraints of the chunk circuit.
    pub constraints: usize,
    /// Constraints per record.
    pub constraints_per_record: f64,
    /// Median prove time, ours, ms.
    pub ours_ms: f64,
    /// Median prove time, stock `Groth16::prove`, ms.
    pub stock_ms: f64,
    /// Median of stock cut into stages (arkworks' own pieces in its order), per stage.
    pub stock_stages: StageTimes,
    /// Median of ours, per stage.
    pub ours_stages: StageTimes,
    /// Our MSM backend.
    pub backend: Backend,
    /// Deriving the constraint matrices, ms (median): what a run under a keys directory
    /// without `matrices.bin` pays once.
    pub derive_matrices_ms: f64,
    /// Reading them from `matrices.bin` (read, SHA-256, parse), ms (median): what a run
    /// pays once.
    pub read_matrices_ms: f64,
    /// Preparing the key for the backend (once per run), ms.
    pub prepare_key_ms: f64,
    /// Writing the prepared tables to a tables cache file, ms (median; fixed backend).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tables_save_ms: Option<f64>,
    /// Reading them back from it, what a later run does instead of `prepare_key_ms`, ms
    /// (median; fixed backend).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tables_load_ms: Option<f64>,
    /// Bytes the backend precomputed for the key (tables), MiB.
    pub prepared_mib: f64,
    /// Peak resident memory of the process while proving one chunk, ours (VmHWM reset
    /// before each proof; the keys and tables included), MiB.
    pub ours_peak_mib: f64,
    /// The same for stock `Groth16::prove`, MiB.
    pub stock_peak_mib: f64,
    /// Several chunks at once (`--jobs`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub throughput: Vec<JobsRow>,
    /// stock / ours.
    pub speedup: f64,
    /// Records per second, ours, one chunk at a time.
    pub records_per_s: f64,
    /// Peak resident memory of the process while proving one chunk of this size (ours or
    /// stock, the larger), MiB.
    pub peak_mib: f64,
    /// Median single verification, ms.
    pub verify_ms: f64,
    /// Batch verification time per proof, ms.
    pub batch_verify_ms_per_proof: f64,
    /// All prove times, ours, ms.
    pub ours_runs_ms: Vec<f64>,
    /// All prove times, stock, ms.
    pub stock_runs_ms: Vec<f64>,
    /// All totals of stock cut into stages, ms (to compare with `stock_runs_ms`).
    pub stock_staged_runs_ms: Vec<f64>,
    /// Ours against snarkjs, when measured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snarkjs: Option<SnarkjsRow>,
}

/// What the snarkjs comparison of one chunk size needs: a prover under a key made for the
/// circom reduction, that key as a `.zkey`, the witness as a `.wtns`, the verifying key as
/// snarkjs JSON, all in `dir`.
struct SnarkjsSide {
    prover: zkbackup_prover::ChunkProver,
    dir: tempfile::TempDir,
    proving_key_bytes: u64,
    zkey_bytes: u64,
}

impl SnarkjsSide {
    fn new(shape: ChunkShape, witness: &ChunkWitness) -> anyhow::Result<Self> {
        use ark_serialize::CanonicalSerialize;
        use std::io::{BufWriter, Write};
        let keys = ProvingKeys::generate_for(shape, zkbackup_prover::Reduction::Circom, &mut OsRng)
            .context("setup for the circom reduction")?;
        let proving_key_bytes = keys.pk.uncompressed_size() as u64;
        let prover = keys.prover()?;
        let pk = prover.proving_key();
        let dir = tempfile::tempdir().context("creating a temporary directory")?;
        let m = prover.matrices();
        let r1cs = zkbackup_ceremony::r1cs::R1csRef {
            a: &m.matrices[0],
            b: &m.matrices[1],
            c: &m.matrices[2],
            num_instance: m.num_instance_variables,
            num_witness: m.num_witness_variables,
            num_private_inputs: m.num_private_inputs,
        };
        let domain =
            zkbackup_ceremony::zkey::domain_size(r1cs.num_constraints(), r1cs.num_public());
        let zkey = dir.path().join("chunk.zkey");
        let mut w = BufWriter::new(std::fs::File::create(&zkey)?);
        zkbackup_ceremony::zkey::write_zkey(&mut w, pk, &r1cs, domain)
            .and_then(|()| w.flush())
            .with_context(|| format!("writing {}", zkey.display()))?;
        let full = prover.assignment(witness.clone())?;
        let wtns = dir.path().join("chunk.wtns");
        let mut w = BufWriter::new(std::fs::File::create(&wtns)?);
        zkbackup_ceremony::wtns::write_wtns(&mut w, &full)
            .and_then(|()| w.flush())
            .with_context(|| format!("writing {}", wtns.display()))?;
        zkbackup_verifier::snarkjs::write_verification_key(dir.path(), &(&pk.vk).into())
            .context("writing verification_key.json")?;
        let zkey_bytes = std::fs::metadata(&zkey)?.len();
        Ok(Self {
            prover,
            dir,
            proving_key_bytes,
            zkey_bytes,
        })
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// One `snarkjs groth16 prove`, timed. The previous run's proof is removed first, so
    /// that [`SnarkjsSide::check`] never checks a stale one.
    fn prove(&self, snarkjs: &Snarkjs) -> anyhow::Result<f64> {
        for name in ["proof.json", "public.json"] {
            match std::fs::remove_file(self.file(name)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(e).with_context(|| format!("removing {name}"))
                }
                _ => {}
            }
        }
        let t = Instant::now();
        snarkjs.run_verb(
            "groth16 prove",
            &[
                "groth16".into(),
                "prove".into(),
                self.file("chunk.zkey").into_os_string(),
                self.file("chunk.wtns").into_os_string(),
                self.file("proof.json").into_os_string(),
                self.file("public.json").into_os_string(),
            ] as &[std::ffi::OsString],
        )?;
        Ok(ms(t))
    }

    /// snarkjs' last proof verifies with `snarkjs groth16 verify` and with ours, and its
    /// public inputs are the chunk's.
    fn check(&self, snarkjs: &Snarkjs, inputs: &[Fr]) -> anyhow::Result<()> {
        let out = snarkjs.run_verb(
            "groth16 verify",
            &[
                "groth16".into(),
                "verify".into(),
                self.file("verification_key.json").into_os_string(),
                self.file("public.json").into_os_string(),
                self.file("proof.json").into_os_string(),
            ] as &[std::ffi::OsString],
        )?;
        anyhow::ensure!(out.contains("OK"), "snarkjs' proof does not verify: {out}");
        let public = std::fs::read_to_string(self.file("public.json"))?;
        let public: serde_json::Value = serde_json::from_str(&public)?;
        anyhow::ensure!(
            public == zkbackup_verifier::snarkjs::public_json(inputs),
            "snarkjs' public inputs {public} are not the chunk's"
        );
        let proof = std::fs::read_to_string(self.file("proof.json"))?;
        let proof = zkbackup_verifier::snarkjs::parse_proof(&proof)
            .context("reading snarkjs' proof.json")?;
        let vk = &self.prover.proving_key().vk;
        verify_chunk(&prepare_verifying_key(&vk.into()), inputs, &proof)
            .context("snarkjs' proof under our verifier")?;
        Ok(())
    }
}

fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Resets this process's peak resident set size (VmHWM) to its current size (Linux:
/// `5` written to `/proc/self/clear_refs`); false where that is not possible, and then the
/// peak is the whole run's so far.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", b"5").is_ok()
}

/// Peak resident set size of this process (VmHWM), MiB; 0 where /proc is missing.
pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1e3
}

/// Medians of writing `prover`'s fixed-base tables to a tables cache file and of reading
/// them back ([`zkbackup_prover::TablesCache`], what a later run does instead of building
/// them), `runs` times each, in a temporary directory.
fn tables_cache_times(
    prover: &zkbackup_prover::ChunkProver,
    runs: usize,
) -> anyhow::Result<(f64, f64)> {
    let dir = tempfile::tempdir().context("a temporary directory")?;
    // The bench's keys were never written, so they have no file hash: any fixed name does.
    let cache = zkbackup_prover::TablesCache::new(dir.path().to_path_buf(), &"0".repeat(64))
        .expect("a valid name");
    let (mut save, mut load) = (Vec::new(), Vec::new());
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        cache
            .save(prover.prepared_key())
            .map_err(|e| anyhow::anyhow!(e))?;
        save.push(ms(t));
        let t = Instant::now();
        let back = cache
            .load(prover.proving_key())
            .map_err(|e| anyhow::anyhow!(e))?
            .context("the tables just written")?;
        load.push(ms(t));
        anyhow::ensure!(
            back.memory_bytes() == prover.prepared_key().memory_bytes(),
            "the tables read back differ in size"
        );
    }
    Ok((median(&save), median(&load)))
}

/// Medians of deriving `shape`'s constraint matrices and of reading them back from a
/// `matrices.bin` (read, SHA-256, parse: [`zkbackup_prover::matrices::read_checked`], what a
/// proving run does), alternated `runs` times.
fn matrices_times(shape: ChunkShape, runs: usize) -> anyhow::Result<(f64, f64)> {
    use sha2::Digest;
    let dir = tempfile::tempdir().context("a temporary directory")?;
    let path = dir.path().join(zkbackup_prover::matrices::MATRICES_FILE);
    let bytes = zkbackup_prover::ChunkMatrices::derive(shape)
        .context("deriving the matrices")?
        .to_file_bytes(shape);
    std::fs::write(&path, &bytes).with_context(|| format!("writing {}", path.display()))?;
    let sha = hex::encode(sha2::Sha256::digest(&bytes));
    drop(bytes);
    let (mut derive, mut read) = (Vec::new(), Vec::new());
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        drop(zkbackup_prover::ChunkMatrices::derive(shape).context("deriving the matrices")?);
        derive.push(ms(t));
        let t = Instant::now();
        drop(zkbackup_prover::matrices::read_checked(&path, &sha, shape)?);
        read.push(ms(t));
    }
    Ok((median(&derive), median(&read)))
}

/// Runs `zkbackup bench`.
pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    if args.runs == 0 || args.batch == 0 || args.sizes.is_empty() || args.jobs.contains(&0) {
        return Err(bad_input(
            "--runs, --batch, --sizes and --jobs must be non-empty / at least 1",
        ));
    }
    let snarkjs = match (&args.snarkjs, std::env::var_os("ZKBACKUP_SNARKJS")) {
        (Some(cmd), _) => Some(Snarkjs::locate(Some(cmd))),
        (None, Some(_)) => Some(Snarkjs::locate(None)),
        (None, None) => None,
    };
    let mut sizes = args.sizes.clone();
    sizes.sort_unstable();
    let mut rows = Vec::new();
    // Seeded inputs so runs are comparable; proving randomness stays OsRng.
    let mut rng = StdRng::seed_from_u64(0x2b);
    for &chunk_size in &sizes {
        let shape = ChunkShape::new(args.arity, chunk_size).input_error()?;
        let bar = progress::spinner(&format!("setup {chunk_size}"));
        let keys = ProvingKeys::generate(shape, &mut OsRng).context("setup")?;
        let constraints = keys.meta.constraints;
        let vk = keys.vk().clone();
        // Once per shape and run: the constraint matrices (derived, as a keys directory
        // without `matrices.bin` needs; read from the file, as `prove` does), then the
        // backend's tables.
        let (derive_matrices_ms, read_matrices_ms) = matrices_times(shape, args.runs)?;
        let t = Instant::now();
        let mut prover = keys.prover()?;
        let prover_ms = ms(t);
        let t = Instant::now();
        let backend = match args.backend.as_str() {
            "fixed" => Backend::Fixed,
            _ => Backend::Arkworks,
        };
        prover.set_engine(
            backend,
            ProveOptions {
                concurrent: !args.sequential_msm,
            },
        );
        let prepare_key_ms = prover_ms + ms(t);
        let (tables_save_ms, tables_load_ms) = match backend {
            Backend::Fixed => {
                let (save, load) = tables_cache_times(&prover, args.runs)?;
                (Some(save), Some(load))
            }
            Backend::Arkworks => (None, None),
        };
        let records: Vec<Fr> = (0..shape.slots()).map(|_| Fr::rand(&mut rng)).collect();
        let witness = ChunkWitness::new(shape, records, EscrowKey::generate_with(&mut rng), 1)?;
        let side = match &snarkjs {
            Some(_) => Some(SnarkjsSide::new(shape, &witness)?),
            None => None,
        };
        bar.finish_and_clear();

        let provers = if side.is_some() { 5 } else { 3 } + args.jobs.len() as u64;
        let bar = progress::bar(provers * args.runs as u64, &format!("prove {chunk_size}"));
        let (mut ours, mut stock) = (Vec::new(), Vec::new());
        let (mut ours_stages, mut stock_stages) = (Vec::new(), Vec::new());
        let (mut ours_peak, mut stock_peak) = (0.0f64, 0.0f64);
        let (mut ours_circom, mut snarkjs_runs) = (Vec::new(), Vec::new());
        let mut jobs_runs: Vec<Vec<(f64, f64)>> = vec![Vec::new(); args.jobs.len()];
        let mut last = None;
        for _ in 0..args.runs {
            // Alternate so that drift (thermal, other load) hits both alike.
            reset_peak_rss();
            let t = Instant::now();
            let (public, proof, stages) =
                prover.prove_staged(witness.clone(), &mut OsRng, |_| Ok(()))?;
            ours.push(ms(t));
            ours_peak = ours_peak.max(peak_rss_mib());
            ours_stages.push(stages);
            bar.inc(1);
            reset_peak_rss();
            let t = Instant::now();
            prover.prove_stock(witness.clone(), &mut OsRng)?;
            stock.push(ms(t));
            stock_peak = stock_peak.max(peak_rss_mib());
            bar.inc(1);
            let (_, _, stages) = prover.prove_stock_staged(witness.clone(), &mut OsRng)?;
            stock_stages.push(stages);
            bar.inc(1);
            for (k, &jobs) in args.jobs.iter().enumerate() {
                reset_peak_rss();
                let t = Instant::now();
                std::thread::scope(|scope| -> anyhow::Result<()> {
                    let handles: Vec<_> = (0..jobs)
                        .map(|_| {
                            let (prover, witness) = (&prover, witness.clone());
                            scope.spawn(move || prover.prove(witness, &mut OsRng))
                        })
                        .collect();
                    for h in handles {
                        h.join()
                            .map_err(|_| anyhow::anyhow!("a proving job panicked"))??;
                    }
                    Ok(())
                })?;
                jobs_runs[k].push((ms(t), peak_rss_mib()));
                bar.inc(1);
            }
            if let (Some(side), Some(snarkjs)) = (&side, &snarkjs) {
                let t = Instant::now();
                side.prover.prove(witness.clone(), &mut OsRng)?;
                ours_circom.push(ms(t));
                bar.inc(1);
                snarkjs_runs.push(side.prove(snarkjs)?);
                bar.inc(1);
            }
            last = Some((public, proof));
        }
        let throughput: Vec<JobsRow> = args
            .jobs
            .iter()
            .zip(&jobs_runs)
            .map(|(&jobs, runs)| {
                let wall = median(&runs.iter().map(|r| r.0).collect::<Vec<_>>());
                JobsRow {
                    jobs,
                    wall_ms: wall,
                    records_per_s: (jobs * chunk_size) as f64 / (wall / 1e3),
                    peak_mib: runs.iter().map(|r| r.1).fold(0.0, f64::max),
                }
            })
            .collect();
        bar.finish_and_clear();
        let (public, proof) = last.expect("at least one run");
        let inputs = public.to_inputs();
        let pvk = prepare_verifying_key(&(&vk).into());
        let proof_checked: zkbackup_verifier::Proof<ark_bn254::Bn254> = (&proof).into();
        let mut single = Vec::new();
        for _ in 0..10 {
            let t = Instant::now();
            verify_chunk(&pvk, &inputs, &proof_checked)?;
            single.push(ms(t));
        }
        let items: Vec<_> = (0..args.batch)
            .map(|_| {
                let p = ark_groth16::Groth16::<ark_bn254::Bn254>::rerandomize_proof(
                    &vk, &proof, &mut OsRng,
                );
                (inputs.to_vec(), zkbackup_verifier::Proof::from(p))
            })
            .collect();
        let mut batch = Vec::new();
        for _ in 0..3 {
            let t = Instant::now();
            batch_verify(&pvk, &items, &mut OsRng)?;
            batch.push(ms(t) / args.batch as f64);
        }
        let (o, s) = (median(&ours), median(&stock));
        let snarkjs_row = match (&side, &snarkjs) {
            (Some(side), Some(snarkjs)) => {
                side.check(snarkjs, &inputs)?;
                let (ours_ms, snarkjs_ms) = (median(&ours_circom), median(&snarkjs_runs));
                Some(SnarkjsRow {
                    ours_ms,
                    snarkjs_ms,
                    ratio: snarkjs_ms / ours_ms,
                    proving_key_bytes: side.proving_key_bytes,
                    zkey_bytes: side.zkey_bytes,
                    ours_runs_ms: ours_circom,
                    snarkjs_runs_ms: snarkjs_runs,
                })
            }
            _ => None,
        };
        rows.push(Row {
            chunk_size,
            arity: args.arity,
            constraints,
            constraints_per_record: constraints as f64 / chunk_size as f64,
            ours_ms: o,
            stock_ms: s,
            stock_staged_runs_ms: stock_stages.iter().map(|t| t.total).collect(),
            stock_stages: StageTimes::median(&stock_stages),
            ours_stages: StageTimes::median(&ours_stages),
            backend: prover.prepared_key().backend(),
            derive_matrices_ms,
            read_matrices_ms,
            prepare_key_ms,
            tables_save_ms,
            tables_load_ms,
            prepared_mib: prover.prepared_key().memory_bytes() as f64 / (1024.0 * 1024.0),
            ours_peak_mib: ours_peak,
            stock_peak_mib: stock_peak,
            throughput,
            speedup: s / o,
            records_per_s: chunk_size as f64 / (o / 1e3),
            peak_mib: ours_peak.max(stock_peak),
            verify_ms: median(&single),
            batch_verify_ms_per_proof: median(&batch),
            ours_runs_ms: ours,
            stock_runs_ms: stock,
            snarkjs: snarkjs_row,
        });
        eprintln!("{}", line(rows.last().expect("pushed")));
    }
    println!("{}", table(&rows));
    println!("{}", stages_table(&rows));
    if rows.iter().any(|r| !r.throughput.is_empty()) {
        println!("{}", jobs_table(&rows));
    }
    if rows.iter().any(|r| r.snarkjs.is_some()) {
        println!("{}", snarkjs_table(&rows));
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let json = serde_json::to_string_pretty(&serde_json::json!({
        "version": 1,
        "threads": rayon::current_num_threads(),
        "cpus": std::thread::available_parallelism().map_or(1, |n| n.get()),
        "rows": rows,
    }))?;
    write(&args.out.join("bench.json"), json.as_bytes())?;
    write(&args.out.join("bench.svg"), svg(&rows).as_bytes())?;
    eprintln!("wrote {0}/bench.json and {0}/bench.svg", args.out.display());
    Ok(())
}

fn write(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    zkbackup_formats::fs::write_atomic(path, |w| w.write_all(bytes))
        .with_context(|| format!("writing {}", path.display()))
}

fn line(r: &Row) -> String {
    format!(
        "| {:>6} | {:>9} | {:>7.0} | {:>9.1} | {:>9.1} | {:>5.2}x | {:>9.1} | {:>8.0} | {:>6.2} | {:>8.3} |",
        r.chunk_size,
        r.constraints,
        r.constraints_per_record,
        r.ours_ms,
        r.stock_ms,
        r.speedup,
        r.records_per_s,
        r.peak_mib,
        r.verify_ms,
        r.batch_verify_ms_per_proof
    )
}

/// The table as Markdown.
pub fn table(rows: &[Row]) -> String {
    let mut s = String::from(
        "| chunk  | constraints | c/record | ours ms (median) | stock ms (median) | stock/ours | records/s | peak MiB | verify ms | batch ms/proof |\n\
         |-------:|----------:|--------:|----------:|----------:|------:|----------:|---------:|-------:|---------:|\n",
    );
    for r in rows {
        s.push_str(&line(r));
        s.push('\n');
    }
    s
}

/// Per chunk size, the median time of each stage, ours and stock, their ratio, and each
/// stage's share of our total, as Markdown.
pub fn stages_table(rows: &[Row]) -> String {
    let mut s = String::from(
        "| chunk | stage | ours ms | stock ms | stock/ours | share of ours |\n\
         |------:|:------|--------:|---------:|-----------:|--------------:|\n",
    );
    for r in rows {
        let (o, k) = (&r.ours_stages, &r.stock_stages);
        let ratio = |ours: f64, stock: f64| {
            if ours > 0.0 {
                format!("{:.2}x", stock / ours)
            } else {
                "-".into()
            }
        };
        let mut push = |name: &str, ours: f64, stock: f64, share: bool| {
            let share = if share && o.total > 0.0 {
                format!("{:.1} %", 100.0 * ours / o.total)
            } else {
                String::new()
            };
            s.push_str(&format!(
                "| {:>5} | {name} | {ours:.1} | {stock:.1} | {} | {share} |\n",
                r.chunk_size,
                ratio(ours, stock)
            ));
        };
        for ((name, ours), (_, stock)) in o.stages().into_iter().zip(k.stages()) {
            push(name, ours, stock, true);
        }
        push("msm (wall)", o.msm_wall, k.msm_wall, true);
        push("total (staged)", o.total, k.total, false);
        push(
            "total (prove, Groth16::prove)",
            r.ours_ms,
            r.stock_ms,
            false,
        );
        let cache = match (r.tables_save_ms, r.tables_load_ms) {
            (Some(save), Some(load)) => {
                format!(" (tables cache: written {save:.0} ms, read back {load:.0} ms)")
            }
            _ => String::new(),
        };
        s.push_str(&format!(
            "| {:>5} | once per run: matrices read {:.0} ms (derived: {:.0} ms), key prepared {:.0} ms ({:.0} MiB){cache}; peak RSS per job: ours {:.0} MiB, stock {:.0} MiB | | | | |\n",
            r.chunk_size, r.read_matrices_ms, r.derive_matrices_ms, r.prepare_key_ms, r.prepared_mib, r.ours_peak_mib, r.stock_peak_mib
        ));
    }
    s.push_str(
        "\nMSMs of ours run concurrently unless --sequential-msm: their times overlap, see msm (wall).\n",
    );
    s
}

/// Several chunks at once: records/s and peak memory per job count, as Markdown.
pub fn jobs_table(rows: &[Row]) -> String {
    let mut s = String::from(
        "| chunk | jobs | wall ms (median) | records/s | peak MiB |\n\
         |------:|-----:|-----------------:|----------:|---------:|\n",
    );
    for r in rows {
        for j in &r.throughput {
            s.push_str(&format!(
                "| {:>5} | {} | {:.1} | {:.1} | {:.0} |\n",
                r.chunk_size, j.jobs, j.wall_ms, j.records_per_s, j.peak_mib
            ));
        }
    }
    s
}

/// Ours against snarkjs, as Markdown.
pub fn snarkjs_table(rows: &[Row]) -> String {
    let mut s = String::from(
        "| chunk  | ours ms (circom key, median) | snarkjs ms (median) | snarkjs/ours | proving_key.bin MiB | .zkey MiB |\n\
         |-------:|----------:|----------:|------:|-------:|-------:|\n",
    );
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    for r in rows {
        if let Some(j) = &r.snarkjs {
            s.push_str(&format!(
                "| {:>6} | {:>9.1} | {:>9.1} | {:>5.2}x | {:>6.1} | {:>6.1} |\n",
                r.chunk_size,
                j.ours_ms,
                j.snarkjs_ms,
                j.ratio,
                mib(j.proving_key_bytes),
                mib(j.zkey_bytes)
            ));
        }
    }
    s
}

/// A small SVG line plot: median prove time (ms) against chunk size, ours and stock.
pub fn svg(rows: &[Row]) -> String {
    let (w, h, pad) = (640.0, 400.0, 60.0);
    let max_t = rows
        .iter()
        .map(|r| r.stock_ms.max(r.ours_ms))
        .fold(1.0, f64::max);
    let n = rows.len().max(2) as f64 - 1.0;
    let x = |i: usize| pad + (w - 2.0 * pad) * i as f64 / n;
    let y = |t: f64| h - pad - (h - 2.0 * pad) * t / max_t;
    let path = |f: &dyn Fn(&Row) -> f64| {
        rows.iter()
            .enumerate()
            .map(|(i, r)| format!("{:.1},{:.1}", x(i), y(f(r))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{pad}\" y=\"24\" font-size=\"15\">Chunk prove time (median ms) vs chunk size, arity {2}</text>\n\
         <line x1=\"{pad}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"black\"/>\n\
         <line x1=\"{pad}\" y1=\"{pad}\" x2=\"{pad}\" y2=\"{0}\" stroke=\"black\"/>\n",
        h - pad,
        w - pad,
        rows.first().map_or(0, |r| r.arity),
    );
    for (i, r) in rows.iter().enumerate() {
        s.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\n",
            x(i),
            h - pad + 18.0,
            r.chunk_size
        ));
    }
    for k in 0..=4 {
        let t = max_t * k as f64 / 4.0;
        s.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{:.0}</text>\n",
            pad - 6.0,
            y(t) + 4.0,
            t
        ));
    }
    s.push_str(&format!(
        "<polyline fill=\"none\" stroke=\"#c0392b\" stroke-width=\"2\" points=\"{}\"/>\n",
        path(&|r| r.stock_ms)
    ));
    s.push_str(&format!(
        "<polyline fill=\"none\" stroke=\"#2471a3\" stroke-width=\"2\" points=\"{}\"/>\n",
        path(&|r| r.ours_ms)
    ));
    s.push_str(&format!(
        "<text x=\"{0}\" y=\"44\" fill=\"#2471a3\">ours</text><text x=\"{1}\" y=\"44\" fill=\"#c0392b\">stock Groth16::prove</text>\n",
        w - 230.0,
        w - 180.0
    ));
    s.push_str(&format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">records per chunk</text>\n</svg>\n",
        w / 2.0,
        h - 12.0
    ));
    s
}
