//! `zkbackup demo`: the whole product on the embedded default — a generated state, an
//! in-process EVM (revm), backup, setup, parallel proving, off-chain and on-chain
//! verification, the key escrowed k-of-n (2-of-3 by default; dealt, proven, verified off chain and registered on
//! chain), a vault withdrawal gated on freshness and escrow, and a recovery drill from two
//! trustees' shares.

use crate::error::{bad_input, InputResultExt};
use crate::progress;
use alloy_primitives::U256;
use anyhow::{anyhow, Context};
use ark_ff::UniformRand;
use clap::Args;
use rand::rngs::{OsRng, StdRng};
use rand::SeedableRng;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;
use zkbackup_chain::escrow::{
    deploy_registry, deploy_verifier_any, escrow_of, is_escrowed, register,
};
use zkbackup_chain::{EmbeddedChain, EscrowShape as ChainEscrowShape, GateConfig, GateFlow};
use zkbackup_core::chunk::ChunkShape;
use zkbackup_core::escrow::{deal, open_share, recover, EscrowShape};
use zkbackup_core::field::to_hex;
use zkbackup_core::trustee_key::TrusteeSecret;
use zkbackup_core::EscrowKey;
use zkbackup_core::Fr;
use zkbackup_formats::backup::Backup;
use zkbackup_formats::claims::ClaimsLedger;
use zkbackup_formats::records::{RecordFormat, Records};
use zkbackup_formats::trustee::write_trustee_key;
use zkbackup_formats::KeyFile;
use zkbackup_prover::{EscrowKeys, ProveJob, ProvingKeys};
use zkbackup_verifier::escrow::{read_escrow_file, verify_escrow, write_escrow_file, EscrowFile};
use zkbackup_verifier::verify::{verify_bundle, BackupSummary, Expected};

/// Trustee labels the demo's escrow file shows (bound by nothing).
const LABELS: [&str; 5] = ["alice", "bob", "carol", "dave", "erin"];

/// `--escrow K-of-N`: the shapes the embedded chain has a verifier for (2 + 2n public
/// inputs: the committed `Groth16Verifier8` and `Groth16Verifier12`).
fn escrow_shape(text: &str) -> Result<EscrowShape, String> {
    let (k, n) = text
        .split_once("-of-")
        .ok_or_else(|| format!("{text:?}: expected K-of-N, e.g. 2-of-3"))?;
    let k: usize = k
        .parse()
        .map_err(|_| format!("{text:?}: K is not a number"))?;
    let n: usize = n
        .parse()
        .map_err(|_| format!("{text:?}: N is not a number"))?;
    if n != 3 && n != 5 {
        return Err(format!(
            "{text:?}: the demo's embedded chain has escrow verifiers for 3 and 5 trustees only"
        ));
    }
    EscrowShape::new(k, n).map_err(|e| format!("{text:?}: {e}"))
}

/// Run the whole path on generated data and an in-process EVM, and print a report with a
/// ✓ or ✗ per step (exit code 1 if any step fails). After the first attestation, one
/// record is changed and one added on chain, and the gate is made fresh again by an
/// incremental backup, a delta proof of the touched chunks and a delta attestation.
#[derive(Clone, Debug, Args)]
pub struct DemoArgs {
    /// Records to generate.
    #[arg(long, default_value_t = 256)]
    records: usize,
    /// Records per chunk (a power of two).
    #[arg(long, value_name = "K", default_value_t = 64)]
    chunk_size: usize,
    /// Field elements per record.
    #[arg(long, default_value_t = 4)]
    arity: usize,
    /// Keep the demo's files (records, key, backup, keys, bundle, restored records) here;
    /// by default they go to a temporary directory that is removed at the end.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Chunks proven at once; default: the number of CPUs.
    #[arg(long)]
    jobs: Option<usize>,
    /// Print the report as one JSON object on stdout (each step with its time in seconds).
    #[arg(long)]
    json: bool,
    /// The escrow of the key: K of N trustees (N = 3 or 5); the drill uses the last K shares.
    #[arg(long, value_name = "K-of-N", default_value = "2-of-3", value_parser = escrow_shape)]
    escrow: EscrowShape,
}

/// One finished step: its name, whether it passed, what it did (or why it failed), and
/// its wall-clock time.
struct StepResult {
    name: String,
    passed: bool,
    detail: String,
    secs: f64,
}

struct Report {
    steps: Vec<StepResult>,
}

impl Report {
    /// Runs a step under a spinner; see [`Report::timed`].
    fn step<T>(
        &mut self,
        name: &str,
        f: impl FnOnce() -> anyhow::Result<(T, String)>,
    ) -> anyhow::Result<T> {
        let bar = progress::spinner(name);
        self.timed(name, || {
            let result = f();
            bar.finish_and_clear();
            result
        })
    }

    /// Runs a step and records its time. All of a step's work must happen inside `f`: a
    /// step whose work ran before the call would show a time of 0 (as proving once did).
    fn timed<T>(
        &mut self,
        name: &str,
        f: impl FnOnce() -> anyhow::Result<(T, String)>,
    ) -> anyhow::Result<T> {
        let start = Instant::now();
        let result = f();
        let secs = start.elapsed().as_secs_f64();
        let (passed, detail, value) = match result {
            Ok((value, detail)) => {
                eprintln!("✓ {name} ({secs:.2} s) {detail}");
                (true, detail, Ok(value))
            }
            Err(e) => {
                eprintln!("✗ {name} ({secs:.2} s): {e:#}");
                (false, format!("{e:#}"), Err(e))
            }
        };
        self.steps.push(StepResult {
            name: name.into(),
            passed,
            detail,
            secs,
        });
        value
    }
}

fn check(ok: bool, what: impl FnOnce() -> String) -> anyhow::Result<()> {
    if ok {
        Ok(())
    } else {
        Err(anyhow!(what()))
    }
}

/// Runs `zkbackup demo`.
pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    let shape = ChunkShape::new(args.arity, args.chunk_size).input_error()?;
    if args.records == 0 {
        return Err(bad_input("--records must be at least 1"));
    }
    let tmp;
    let dir = match &args.dir {
        Some(d) => {
            std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
            d.clone()
        }
        None => {
            tmp = tempfile::tempdir().context("creating a temporary directory")?;
            tmp.path().to_path_buf()
        }
    };
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let mut report = Report { steps: Vec::new() };
    let total = Instant::now();
    let result = demo(&args, shape, &dir, jobs, &mut report);
    let total_secs = total.elapsed().as_secs_f64();
    let ok = result.is_ok() && report.steps.iter().all(|s| s.passed);
    crate::error::stdout(print_report(&args, &report, total_secs, ok))?;
    match result {
        Ok(()) if ok => Ok(()),
        Ok(()) => Err(anyhow!("a demo step failed")),
        Err(e) => Err(e.context("the demo stopped")),
    }
}

/// The report on stdout: a line per step with its time, or one JSON object.
fn print_report(
    args: &DemoArgs,
    report: &Report,
    total_secs: f64,
    ok: bool,
) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    if args.json {
        let steps: Vec<serde_json::Value> = report
            .steps
            .iter()
            .map(|s| {
                serde_json::json!({
                    "step": s.name, "ok": s.passed, "secs": s.secs, "detail": s.detail,
                })
            })
            .collect();
        let value = serde_json::json!({
            "ok": ok,
            "records": args.records,
            "arity": args.arity,
            "chunk_size": args.chunk_size,
            "steps": steps,
            "total_secs": total_secs,
            "dir": args.dir.as_ref().map(|d| d.display().to_string()),
        });
        return writeln!(out, "{value}");
    }
    writeln!(out)?;
    writeln!(
        out,
        "zkbackup demo — {} records of arity {}, chunks of {}",
        args.records, args.arity, args.chunk_size
    )?;
    let width = report
        .steps
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(0);
    for s in &report.steps {
        let mark = if s.passed { "✓" } else { "✗" };
        writeln!(
            out,
            "  {mark} {:<width$} {:>7.2} s  {}",
            s.name, s.secs, s.detail
        )?;
    }
    writeln!(out, "  total {total_secs:.2} s")?;
    if let Some(d) = &args.dir {
        writeln!(out, "  files kept in {}", d.display())?;
    }
    Ok(())
}

fn demo(
    args: &DemoArgs,
    shape: ChunkShape,
    dir: &std::path::Path,
    jobs: usize,
    report: &mut Report,
) -> anyhow::Result<()> {
    let mut rng = StdRng::from_rng(OsRng).context("seeding the record generator")?;
    let records = report.step("generate records", || {
        let fields = (0..args.records * args.arity)
            .map(|_| Fr::rand(&mut rng))
            .collect();
        let records = Records::new(args.arity, fields)?;
        records.write(dir.join("records.csv"), RecordFormat::Csv)?;
        Ok((records, format!("{} records → records.csv", args.records)))
    })?;
    let root = records.root();

    let key = EscrowKey::generate();
    // The key file, as `keygen` writes it (owner-only): what a drill's recovered key is
    // compared with.
    key.write_new(&dir.join("key.json"))
        .context("writing the demo's key file")?;
    let keys = report.step("setup (single party)", || {
        eprintln!("  {}", crate::cmd::setup::SINGLE_PARTY_WARNING);
        let mut keys = ProvingKeys::generate(shape, &mut OsRng)?;
        keys.write(&dir.join("keys"))?;
        let detail = format!(
            "{} constraints/chunk, {:.0}/record",
            keys.meta.constraints,
            keys.meta.constraints as f64 / shape.chunk_size as f64
        );
        Ok((keys, detail))
    })?;
    let vk = keys.vk().clone();

    // The key escrowed k-of-n to n trustees (escrow setup, deal, proof, escrow.json).
    let escrow_shape = args.escrow;
    let (escrow_k, escrow_n) = (escrow_shape.threshold, escrow_shape.trustees);
    let trustees: Vec<TrusteeSecret> = (0..escrow_n).map(|_| TrusteeSecret::generate()).collect();
    let escrow_keys = report.step("escrow setup (single party)", || {
        let mut keys = EscrowKeys::generate(escrow_shape, &mut OsRng)?;
        keys.write(&dir.join("keys"))?;
        // The trustees' key files, as `escrow trustee-keygen` writes them (owner-only), so
        // a kept demo directory can be opened with `escrow open` or the npm libraries.
        for (i, t) in trustees.iter().enumerate() {
            write_trustee_key(&dir.join(format!("trustee-{}.key.json", i + 1)), t)?;
        }
        let detail = format!(
            "{escrow_shape}: {} constraints; trustee-1..{escrow_n}.key.json",
            keys.meta.constraints
        );
        Ok((keys, detail))
    })?;
    let escrow_path = dir.join("escrow.json");
    let escrow = report.step("escrow deal (prove)", || {
        let publics: Vec<_> = trustees.iter().map(|t| t.public_key()).collect();
        let deal = deal(&key, escrow_shape, &publics)?;
        let proof = escrow_keys.prove(&deal, &mut OsRng)?;
        let labels: Vec<String> = LABELS.iter().map(|l| l.to_string()).collect();
        let file = EscrowFile::new(
            &deal,
            escrow_keys.circuit_id().to_owned(),
            proof.into(),
            &labels,
        );
        write_escrow_file(&escrow_path, &file)?;
        let detail = format!(
            "K {}, digest {} → escrow.json",
            short(&file.key_commitment),
            short(&file.digest)
        );
        Ok((file, detail))
    })?;
    let escrow_vk: zkbackup_verifier::VerifyingKey<_> = escrow_keys.vk().into();
    report.step("escrow verify off chain", || {
        let read = read_escrow_file(&escrow_path)?;
        verify_escrow(&read, &escrow_vk, Some(key.commitment()))?;
        Ok((
            (),
            format!(
                "{} trustees, threshold {}",
                read.shape.trustees, read.shape.threshold
            ),
        ))
    })?;

    let flow = report.step("deploy contracts (revm)", || {
        let mut chain = EmbeddedChain::new();
        let escrow_verifier = deploy_verifier_any(&mut chain, escrow_keys.vk())?;
        let registry = deploy_registry(
            &mut chain,
            &[(
                ChainEscrowShape {
                    threshold: escrow_k as u8,
                    trustees: escrow_n as u8,
                },
                escrow_verifier,
            )],
        )?;
        let flow = GateFlow::deploy_escrowed(
            chain,
            &vk,
            GateConfig {
                key_commitment: key.commitment(),
                chunk_size: shape.chunk_size as u64,
                max_age_blocks: 100,
            },
            registry,
            escrow_k as u64,
        )?;
        Ok((
            (flow, registry),
            format!(
                "StateSource, Groth16Verifier, BackupGate, Groth16Verifier{}, EscrowRegistry, \
                 ExampleVault (fresh and escrowed {escrow_shape})",
                2 + 2 * escrow_n
            ),
        ))
    })?;
    let (mut flow, registry) = flow;

    report.step("insert leaves on chain", || {
        let leaves = records.leaves();
        let mut gas = 0u64;
        for batch in leaves.chunks(64) {
            gas += flow.insert_leaves(batch)?.gas_used;
        }
        let on_chain = flow.state_root()?;
        check(on_chain == root, || {
            format!(
                "chain root {} ≠ records root {}",
                to_hex(&on_chain),
                to_hex(&root)
            )
        })?;
        Ok((
            (),
            format!(
                "{} txs, {} gas, root {}",
                leaves.len().div_ceil(64),
                gas,
                short(&root)
            ),
        ))
    })?;

    let backup_path = dir.join("backup.zkb");
    let backup = report.step("backup (encrypt)", || {
        let backup = Backup::create(&records, RecordFormat::Csv, &key, shape.chunk_size)?;
        backup.write_to(&backup_path)?;
        let detail = format!(
            "{} chunks, commitment {}",
            backup.chunks().len(),
            short(&backup.commitment())
        );
        Ok((backup, detail))
    })?;

    let bundle_path = dir.join("bundle.json");
    // Timed as a whole (preparing the prover included) and with its own progress bar, not
    // the step spinner.
    let (bundle, prover) = report.timed("prove (parallel)", || {
        let start = Instant::now();
        let prover = keys.prover()?;
        let bar = progress::bar(backup.chunks().len() as u64, "proving");
        let job = ProveJob {
            backup: &backup,
            records: &records,
            key: &key,
            prover: &prover,
            out: &bundle_path,
            jobs,
            stop: None,
            reuse: None,
        };
        let result = job.run(&|done, _| bar.set_position(done as u64));
        bar.finish_and_clear();
        let (bundle, r) = result?;
        let secs = start.elapsed().as_secs_f64();
        Ok((
            (bundle, prover),
            format!(
                "{} chunks, {} jobs, {:.1} records/s",
                r.chunks,
                jobs,
                args.records as f64 / secs
            ),
        ))
    })?;

    report.step("verify off chain", || {
        let start = Instant::now();
        let expected = Expected {
            root,
            size: records.len() as u64,
            key_commitment: key.commitment(),
        };
        let summary = BackupSummary::from_backup(&backup);
        let s = verify_bundle(&bundle, &(&vk).into(), shape, &expected, Some(&summary))?;
        Ok((
            (),
            format!(
                "{:.1} ms for {} proofs (batch)",
                start.elapsed().as_secs_f64() * 1e3,
                s.chunks
            ),
        ))
    })?;

    let attestation = crate::cmd::attest::attestation(&bundle)?;
    let first_gas = report.step("attest on chain", || {
        let report = flow.attest(&attestation, zkbackup_chain::MAX_GAS_CAP)?;
        let fresh = flow.is_fresh(100)?;
        check(fresh, || "the gate is not fresh after attesting".into())?;
        let n = attestation.chunks.len() as u64;
        Ok((
            report.gas_used(),
            format!(
                "{} gas in {} transaction(s), {} per chunk",
                report.gas_used(),
                report.transactions.len(),
                report.gas_used() / n
            ),
        ))
    })?;

    report.step("vault refuses: key not escrowed", || {
        flow.deposit(U256::from(1_000u64))?;
        let reason = match flow.withdraw(U256::from(400u64)) {
            Ok(_) => return Err(anyhow!("the vault paid out before the key was escrowed")),
            Err(e) => e.revert_reason().unwrap_or_default().to_owned(),
        };
        check(reason.contains("KeyNotEscrowed"), || {
            format!("the vault reverted with {reason:?}, not KeyNotEscrowed")
        })?;
        Ok((
            (),
            "fresh backup, but withdraw reverts KeyNotEscrowed".to_string(),
        ))
    })?;

    report.step("escrow register on chain", || {
        let registration = crate::cmd::escrow::register::registration(&escrow);
        let r = register(&mut flow.chain, registry, &registration)?;
        let on_chain = escrow_of(&mut flow.chain, registry, key.commitment())?
            .ok_or_else(|| anyhow!("escrowOf(K) is empty after register"))?;
        check(on_chain.trustees == registration.trustees, || {
            "escrowOf(K) names other trustees".into()
        })?;
        check(on_chain.digest == escrow.digest, || {
            "escrowOf(K) names another digest".into()
        })?;
        check(
            is_escrowed(&mut flow.chain, registry, key.commitment(), escrow_k as u64)?,
            || format!("isEscrowed(K, {escrow_k}) is false after register"),
        )?;
        Ok((
            (),
            format!(
                "proof verified on chain, {} gas; escrowOf(K) names the {} trustees",
                r.gas_used,
                on_chain.trustees.len()
            ),
        ))
    })?;

    report.step("vault withdraw (fresh, escrowed)", || {
        let r = flow.withdraw(U256::from(400u64))?;
        Ok(((), format!("withdrew 400 wei, {} gas", r.gas_used)))
    })?;

    // The state changes as a protocol's does: one record is updated in place (a LeanIMT
    // update of its leaf) and one is added (an insert).
    let at = 1.min(records.len() - 1);
    let changed = {
        let mut fields = records.fields().to_vec();
        let a = args.arity;
        for x in &mut fields[at * a..(at + 1) * a] {
            *x = Fr::rand(&mut rng);
        }
        fields.extend((0..a).map(|_| Fr::rand(&mut rng)));
        Records::new(a, fields)?
    };
    report.step("change one record and add one on chain", || {
        let before = records.leaves();
        let after = changed.leaves();
        flow.update_leaf(&before, at, after[at])?;
        flow.insert_leaves(&after[before.len()..])?;
        changed.write(dir.join("records.csv"), RecordFormat::Csv)?;
        let fresh = flow.is_fresh(100)?;
        check(!fresh, || {
            "the gate is still fresh after the root changed".into()
        })?;
        let refused = flow.withdraw(U256::from(100u64)).is_err();
        check(refused, || "the vault paid out on a stale backup".into())?;
        Ok((
            (),
            format!(
                "record {at} updated, record {} added → isFresh false, withdraw reverts",
                records.len()
            ),
        ))
    })?;

    let child_path = dir.join("backup-2.zkb");
    let (child, changes) = report.step("incremental backup (--parent)", || {
        let ledger = ClaimsLedger::at(dir.join("key.json.claims"));
        let (child, changes) = Backup::update(&backup, &changed, RecordFormat::Csv, &key, &ledger)?;
        child.write_to(&child_path)?;
        let detail = format!(
            "{} chunks: {} unchanged, {} changed, {} added (generation {})",
            child.chunks().len(),
            changes.unchanged.len(),
            changes.changed.len(),
            changes.added.len(),
            child.header().generation
        );
        Ok(((child, changes), detail))
    })?;

    let delta_path = dir.join("bundle-2.json");
    let delta = report.timed("delta prove (--reuse)", || {
        let job = ProveJob {
            backup: &child,
            records: &changed,
            key: &key,
            prover: &prover,
            out: &delta_path,
            jobs,
            stop: None,
            reuse: Some(&bundle),
        };
        let (bundle, r) = job.run(&|_, _| {})?;
        check(r.proven == changes.encrypted().len(), || {
            format!(
                "proved {} chunks, {} changed",
                r.proven,
                changes.encrypted().len()
            )
        })?;
        Ok((
            bundle,
            format!("proved {} chunks, reused {} (verified)", r.proven, r.reused),
        ))
    })?;

    report.step("delta attest on chain", || {
        let attestation = crate::cmd::attest::attestation(&delta)?;
        let r = flow.attest(&attestation, zkbackup_chain::MAX_GAS_CAP)?;
        check(flow.is_fresh(100)?, || {
            "the gate is not fresh after the delta".into()
        })?;
        flow.withdraw(U256::from(100u64))?;
        Ok((
            (),
            format!(
                "{} chunks sent, {} gas in {} transaction(s) ({:.1}% of the first attestation's {}); fresh, withdraw pays",
                r.chunks_submitted(),
                r.gas_used(),
                r.transactions.len(),
                100.0 * r.gas_used() as f64 / first_gas as f64,
                first_gas
            ),
        ))
    })?;

    report.step("recovery drill (trustee shares)", || {
        // The last k trustees open their shares from escrow.json alone; the key is rebuilt,
        // checked against K, and the latest backup restored with it and re-rooted.
        let start = Instant::now();
        let file = read_escrow_file(&escrow_path)?;
        let shares = ((escrow_n - escrow_k + 1) as u64..=escrow_n as u64)
            .collect::<Vec<_>>()
            .iter()
            .map(|&i| {
                let ct = file.share(i).ok_or_else(|| anyhow!("no share {i}"))?;
                Ok((i, open_share(&trustees[i as usize - 1], &file.ephemeral_public, i, ct)?))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let recovered = recover(file.shape, file.key_commitment, &shares)?;
        let key_secs = start.elapsed().as_secs_f64();
        let read = Backup::read(&child_path)?;
        let restored = read.restore(&recovered)?;
        let secs = start.elapsed().as_secs_f64();
        check(recovered == key, || "the recovered key is not the escrowed one".into())?;
        check(restored.root() == flow.state_root()?, || {
            "restored records have another root than the chain's".into()
        })?;
        check(restored == changed, || "restored records differ".into())?;
        restored.write(dir.join("restored.csv"), RecordFormat::Csv)?;
        Ok((
            (),
            format!(
                "key from {escrow_k} of {escrow_n} shares in {:.0} ms; RTO {:.2} s ({:.0} records/s), root matches the chain's",
                key_secs * 1e3,
                secs,
                changed.len() as f64 / secs
            ),
        ))
    })?;
    Ok(())
}

fn short(x: &Fr) -> String {
    let h = to_hex(x);
    format!("{}…{}", &h[..10], &h[h.len() - 4..])
}
