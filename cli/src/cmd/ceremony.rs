//! `zkbackup ceremony start | verify | import`: a multi-party Groth16 setup run with snarkjs
//! (docs/CEREMONY.md).

use crate::cmd::export_r1cs::{r1cs_ref, write_chunk_r1cs};
use crate::error::{bad_input, stdout, InputResultExt};
use crate::snarkjs::Snarkjs;
use anyhow::Context;
use clap::{Args, Subcommand};
use rand::rngs::OsRng;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use zkbackup_ceremony::zkey::hex_of;
use zkbackup_ceremony::{read_ptau_header, read_zkey, required_power, ContributionKind, Zkey};
use zkbackup_core::chunk::{ChunkShape, ChunkWitness};
use zkbackup_core::EscrowKey;
use zkbackup_prover::{ChunkMatrices, ChunkProver, ProvingKeys, Reduction, Setup};

/// A multi-party trusted setup with snarkjs: start it from a public powers-of-tau file,
/// verify a contributed `.zkey`, and import the final one as proving keys.
///
/// Order: `ceremony start` (the coordinator), then `snarkjs zkey contribute` by each
/// participant in turn, `snarkjs zkey beacon` with public randomness fixed in advance,
/// `ceremony verify` (anyone), `ceremony import` (whoever proves). See docs/CEREMONY.md.
#[derive(Clone, Debug, Args)]
pub struct CeremonyArgs {
    #[command(subcommand)]
    command: CeremonyCommand,
}

#[derive(Clone, Debug, Subcommand)]
enum CeremonyCommand {
    Start(StartArgs),
    Verify(VerifyArgs),
    Import(ImportArgs),
}

/// The circuit and the tools: shared by the three verbs.
#[derive(Clone, Debug, Args)]
struct CircuitArgs {
    /// The powers-of-tau file, prepared for phase 2 (e.g. the perpetual powers of tau's
    /// `powersOfTau28_hez_final_NN.ptau`, NN at least what `export-r1cs` prints).
    #[arg(long, value_name = "PTAU")]
    ptau: PathBuf,
    /// Field elements per record (1 to 16).
    #[arg(long)]
    arity: usize,
    /// Records per chunk, a power of two.
    #[arg(long, value_name = "N", default_value_t = crate::cmd::backup::DEFAULT_CHUNK_SIZE)]
    chunk_size: usize,
    /// The snarkjs to run: a program, or a `.js`/`.cjs` file run with node (default:
    /// $ZKBACKUP_SNARKJS, else `snarkjs` on PATH; install with `npm install -g snarkjs@0.7.6`).
    #[arg(long, value_name = "CMD")]
    snarkjs: Option<PathBuf>,
}

/// Start a ceremony: write the chunk circuit's `.r1cs` and the initial `.zkey` (`snarkjs
/// groth16 setup`), then print who runs what next.
#[derive(Clone, Debug, Args)]
struct StartArgs {
    #[command(flatten)]
    circuit: CircuitArgs,
    /// The directory for `chunk.r1cs` and `chunk_0000.zkey` (created).
    #[arg(long, value_name = "DIR")]
    out_dir: PathBuf,
    /// Print one JSON object on stdout instead of the next steps.
    #[arg(long)]
    json: bool,
}

/// Verify a ceremony's `.zkey`: our structural checks against the chunk circuit, then
/// `snarkjs zkey verify` against the `.r1cs` and the `.ptau`; lists the contributions with
/// their hashes (each participant finds the hash snarkjs printed when they contributed).
#[derive(Clone, Debug, Args)]
struct VerifyArgs {
    #[command(flatten)]
    circuit: CircuitArgs,
    /// The `.zkey` to verify.
    #[arg(long, value_name = "ZKEY")]
    zkey: PathBuf,
    /// Print one JSON object on stdout instead of the report.
    #[arg(long)]
    json: bool,
}

/// Import a ceremony's final `.zkey` as a proving keys directory: verify it as `ceremony
/// verify` does, write the keys (circom's QAP reduction; the ceremony recorded in
/// keys.json) and verification_key.json, after proving and verifying one random chunk
/// with them.
#[derive(Clone, Debug, Args)]
struct ImportArgs {
    #[command(flatten)]
    circuit: CircuitArgs,
    /// The final `.zkey` (after the beacon).
    #[arg(long, value_name = "ZKEY")]
    zkey: PathBuf,
    /// The proving keys directory to write (created; refused if it already holds keys).
    #[arg(long, value_name = "DIR", visible_alias = "keys-dir")]
    out: PathBuf,
    /// Print one JSON object on stdout instead of the report.
    #[arg(long)]
    json: bool,
}

/// Runs `zkbackup ceremony …`.
pub fn run(args: CeremonyArgs) -> anyhow::Result<()> {
    match args.command {
        CeremonyCommand::Start(a) => start(a),
        CeremonyCommand::Verify(a) => verify(a),
        CeremonyCommand::Import(a) => import(a),
    }
}

impl CircuitArgs {
    fn shape(&self) -> anyhow::Result<ChunkShape> {
        ChunkShape::new(self.arity, self.chunk_size).input_error()
    }

    /// The ptau's power and preparation, against what `m` needs.
    fn check_ptau(&self, m: &ChunkMatrices) -> anyhow::Result<u32> {
        crate::args::expect_file("--ptau", &self.ptau, "a powers-of-tau (.ptau) file")?;
        let info = read_ptau_header(&self.ptau).input_error()?;
        let needed = required_power(m.num_constraints, m.num_instance_variables - 1);
        if info.power < needed {
            return Err(bad_input(format!(
                "{}: a powers of tau of power {}, too small: the chunk circuit of arity {} and \
                 chunk size {} ({} constraints) needs power {needed} or more (e.g. \
                 powersOfTau28_hez_final_{needed:02}.ptau)",
                self.ptau.display(),
                info.power,
                self.arity,
                self.chunk_size,
                m.num_constraints
            )));
        }
        if !info.prepared {
            return Err(bad_input(format!(
                "{}: not prepared for phase 2 (no Lagrange sections): run `snarkjs powersoftau \
                 prepare phase2 {} prepared.ptau`, or use a `_final_` file of the perpetual \
                 powers of tau",
                self.ptau.display(),
                self.ptau.display()
            )));
        }
        Ok(needed)
    }
}

fn start(args: StartArgs) -> anyhow::Result<()> {
    let c = &args.circuit;
    let shape = c.shape()?;
    crate::args::expect_dir(
        "--out-dir",
        &args.out_dir,
        "a directory for the ceremony's files",
    )?;
    let m = ChunkMatrices::derive(shape).context("deriving the chunk circuit")?;
    let power = c.check_ptau(&m)?;
    let r1cs = args.out_dir.join("chunk.r1cs");
    let zkey = args.out_dir.join("chunk_0000.zkey");
    if zkey.exists() {
        return Err(bad_input(format!(
            "{}: already exists; refusing to overwrite a ceremony's key",
            zkey.display()
        )));
    }
    std::fs::create_dir_all(&args.out_dir)
        .with_context(|| format!("creating {}", args.out_dir.display()))?;
    write_chunk_r1cs(shape, &r1cs)?;
    let snarkjs = Snarkjs::locate(c.snarkjs.as_deref());
    let spinner = crate::progress::spinner("snarkjs groth16 setup");
    let setup = snarkjs.run_verb(
        "groth16 setup",
        &[
            "groth16".as_ref(),
            "setup".as_ref(),
            r1cs.as_os_str(),
            c.ptau.as_os_str(),
            zkey.as_os_str(),
        ],
    );
    spinner.finish_and_clear();
    setup?;
    // What snarkjs wrote must be what we read: a key of this circuit, no contribution yet.
    let (initial, _, _) = read_checked(&zkey, &m)?;

    let mut out = std::io::stdout().lock();
    if args.json {
        let value = json!({
            "r1cs": r1cs,
            "zkey": zkey,
            "arity": shape.arity,
            "chunk_size": shape.chunk_size,
            "constraints": m.num_constraints,
            "ptau_power_needed": power,
            "circuit_hash": hex_of(&initial.cs_hash),
        });
        stdout(writeln!(out, "{value}"))?;
    } else {
        let d = args.out_dir.display();
        stdout(writeln!(
            out,
            "ceremony started: {} ({} constraints) and {}\n\
             circuit hash {}\n\n\
             next steps:\n\
             1. each participant in turn, from the previous participant's key:\n   \
             snarkjs zkey contribute {d}/chunk_0000.zkey {d}/chunk_0001.zkey --name=\"<who>\"\n   \
             (keeps the \"Contribution Hash\" it prints, to find it in step 3)\n\
             2. once all have contributed, with public randomness announced in advance (e.g. \
             the hash of a future block):\n   \
             snarkjs zkey beacon {d}/chunk_NNNN.zkey {d}/chunk_final.zkey <beacon hex> 10 -n=\"final beacon\"\n\
             3. anyone: zkbackup ceremony verify --ptau {} --arity {} --chunk-size {} --zkey {d}/chunk_final.zkey\n\
             4. the prover: zkbackup ceremony import --ptau {} --arity {} --chunk-size {} --zkey {d}/chunk_final.zkey --out keys/",
            r1cs.display(),
            m.num_constraints,
            zkey.display(),
            hex_of(&initial.cs_hash),
            c.ptau.display(),
            shape.arity,
            shape.chunk_size,
            c.ptau.display(),
            shape.arity,
            shape.chunk_size,
        ))?;
    }
    Ok(())
}

/// Reads `path` as a zkey of `m`'s circuit: every structural check, then the coefficients
/// against the circuit. Returns the key, the file's SHA-256 and its bytes.
fn read_checked(path: &Path, m: &ChunkMatrices) -> anyhow::Result<(Zkey, String, Vec<u8>)> {
    crate::args::expect_file("--zkey", path, "a snarkjs .zkey file")?;
    let bytes = std::fs::read(path)
        .with_context(|| format!("reading {}", path.display()))
        .input_error()?;
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let zkey = read_zkey(&bytes, path).input_error()?;
    zkey.check_circuit(&r1cs_ref(m))
        .input_error()
        .with_context(|| format!("{}: not a key of this chunk circuit", path.display()))?;
    Ok((zkey, sha256, bytes))
}

/// A verified ceremony key.
struct Verified {
    zkey: Zkey,
    zkey_sha256: String,
    shape: ChunkShape,
    matrices: ChunkMatrices,
}

/// Our checks, then `snarkjs zkey verify` (the `.r1cs` written to a temporary directory).
fn verify_zkey(c: &CircuitArgs, zkey_path: &Path) -> anyhow::Result<Verified> {
    let shape = c.shape()?;
    let m = ChunkMatrices::derive(shape).context("deriving the chunk circuit")?;
    let (zkey, zkey_sha256, bytes) = read_checked(zkey_path, &m)?;
    c.check_ptau(&m)?;
    if zkey.contributions.is_empty() {
        return Err(bad_input(format!(
            "{}: no contribution: this is the key `ceremony start` made, whose delta is the \
             generator: anyone could forge proofs with it",
            zkey_path.display()
        )));
    }
    let tmp = tempfile::tempdir().context("creating a temporary directory")?;
    let r1cs = tmp.path().join("chunk.r1cs");
    write_chunk_r1cs(shape, &r1cs)?;
    // snarkjs verifies the very bytes read above (a copy), not whatever the path holds by
    // the time it runs.
    let copy = tmp.path().join("chunk.zkey");
    std::fs::write(&copy, &bytes).with_context(|| format!("writing {}", copy.display()))?;
    drop(bytes);
    let snarkjs = Snarkjs::locate(c.snarkjs.as_deref());
    let spinner = crate::progress::spinner("snarkjs zkey verify");
    let args = [
        "zkey".as_ref(),
        "verify".as_ref(),
        r1cs.as_os_str(),
        c.ptau.as_os_str(),
        copy.as_os_str(),
    ];
    let result = snarkjs.run(&args);
    spinner.finish_and_clear();
    match result {
        Ok(text) if text.contains("ZKey Ok!") => {}
        Ok(text) => {
            return Err(bad_input(format!(
                "{}: `snarkjs zkey verify` did not accept it:\n{}",
                zkey_path.display(),
                text.trim_end()
            )))
        }
        // A zkey that snarkjs refuses exits 1: the input's fault, unless snarkjs could not
        // run at all.
        Err(e) if e.to_string().starts_with("cannot run snarkjs") => return Err(e),
        Err(e) => {
            return Err(e).input_error().with_context(|| {
                format!("{}: `snarkjs zkey verify` refused it", zkey_path.display())
            })
        }
    }
    Ok(Verified {
        zkey,
        zkey_sha256,
        shape,
        matrices: m,
    })
}

fn contributions(zkey: &Zkey) -> Vec<zkbackup_prover::Contribution> {
    zkey.contributions
        .iter()
        .map(|c| zkbackup_prover::Contribution {
            kind: match c.kind {
                ContributionKind::Contribution => "contribution",
                ContributionKind::Beacon => "beacon",
            }
            .to_string(),
            name: c.name.clone(),
            hash: c.hash_hex(),
            beacon_hash: c.beacon_hash.as_deref().map(hex_of),
            iterations_exp: c.iterations_exp,
        })
        .collect()
}

/// The report of a verified key: JSON, or lines for people.
fn report(v: &Verified, extra: Value, json_out: bool) -> anyhow::Result<()> {
    let list = contributions(&v.zkey);
    let mut out = std::io::stdout().lock();
    if json_out {
        let mut value = json!({
            "arity": v.shape.arity,
            "chunk_size": v.shape.chunk_size,
            "constraints": v.matrices.num_constraints,
            "zkey_sha256": v.zkey_sha256,
            "circuit_hash": hex_of(&v.zkey.cs_hash),
            "contributions": list,
        });
        if let (Value::Object(value), Value::Object(extra)) = (&mut value, extra) {
            value.extend(extra);
        }
        return stdout(writeln!(out, "{value}"));
    }
    stdout(writeln!(
        out,
        "zkey sha256 {}\ncircuit hash {}\ncontributions (find yours by the hash snarkjs printed when you contributed):",
        v.zkey_sha256,
        hex_of(&v.zkey.cs_hash)
    ))?;
    for (i, c) in list.iter().enumerate() {
        stdout(writeln!(
            out,
            "  #{} {} {}: {}",
            i + 1,
            c.kind,
            c.name.as_deref().unwrap_or("(no name)"),
            c.hash
        ))?;
        if let (Some(beacon), Some(exp)) = (&c.beacon_hash, c.iterations_exp) {
            stdout(writeln!(out, "     beacon {beacon}, 2^{exp} iterations"))?;
        }
    }
    if list.last().is_none_or(|c| c.kind != "beacon") {
        stdout(writeln!(
            out,
            "note: the last contribution is not a beacon; finish with `snarkjs zkey beacon`"
        ))?;
    }
    Ok(())
}

fn verify(args: VerifyArgs) -> anyhow::Result<()> {
    let v = verify_zkey(&args.circuit, &args.zkey)?;
    report(
        &v,
        json!({ "zkey": args.zkey, "verified": true }),
        args.json,
    )?;
    if !args.json {
        eprintln!(
            "{}: verified (ours and snarkjs zkey verify)",
            args.zkey.display()
        );
    }
    Ok(())
}

/// SHA-256 of a file, streamed (a `.ptau` can be gigabytes).
fn sha256_file(path: &Path) -> anyhow::Result<String> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).with_context(|| format!("reading {}", path.display()))?;
    Ok(hex::encode(hasher.finalize()))
}

fn import(args: ImportArgs) -> anyhow::Result<()> {
    crate::args::expect_dir("--out", &args.out, "a directory for the proving keys")?;
    if args.out.join(zkbackup_prover::keys::META_FILE).exists() {
        return Err(bad_input(format!(
            "{}: already holds keys; refusing to overwrite them",
            args.out.display()
        )));
    }
    let v = verify_zkey(&args.circuit, &args.zkey)?;
    let ceremony = zkbackup_prover::Ceremony {
        zkey_sha256: v.zkey_sha256.clone(),
        circuit_hash: hex_of(&v.zkey.cs_hash),
        ptau_sha256: Some(sha256_file(&args.circuit.ptau)?),
        contributions: contributions(&v.zkey),
    };
    let mut keys = ProvingKeys::new(
        v.shape,
        v.zkey.pk.clone(),
        Reduction::Circom,
        Setup::Ceremony(ceremony),
    )
    .input_error()
    .with_context(|| format!("{}", args.zkey.display()))?;

    // Self-test: one random full chunk proven and verified under the imported key.
    let spinner = crate::progress::spinner("self-test: proving one chunk");
    let self_test = self_test(v.shape, &v.zkey);
    spinner.finish_and_clear();
    self_test.with_context(|| {
        format!(
            "{}: the imported key does not prove and verify a chunk; refusing the import",
            args.zkey.display()
        )
    })?;

    keys.write(&args.out).context("writing the keys")?;
    zkbackup_verifier::snarkjs::write_verification_key(&args.out, &keys.vk().into())
        .context("writing verification_key.json")?;
    report(
        &v,
        json!({
            "keys_dir": args.out,
            "circuit_id": keys.meta.circuit_id,
            "reduction": "circom",
        }),
        args.json,
    )?;
    if !args.json {
        stdout(writeln!(
            std::io::stdout().lock(),
            "circuit {}",
            keys.meta.circuit_id
        ))?;
    }
    eprintln!(
        "keys in {} (from the ceremony's {}; verification_key.json for snarkjs and export-verifier)",
        args.out.display(),
        args.zkey.display()
    );
    Ok(())
}

/// Proves a random full chunk with `zkey`'s key (circom's reduction) and verifies it.
fn self_test(shape: ChunkShape, zkey: &Zkey) -> anyhow::Result<()> {
    use ark_ff::UniformRand;
    let mut rng = OsRng;
    let records = (0..shape.slots())
        .map(|_| ark_bn254::Fr::rand(&mut rng))
        .collect();
    let witness = ChunkWitness::new(shape, records, EscrowKey::generate_with(&mut rng), 1)
        .context("a random chunk")?;
    let prover = ChunkProver::with_reduction(shape, zkey.pk.clone(), Reduction::Circom)
        .context("preparing the prover")?;
    let (public, proof) = prover.prove(witness, &mut rng).context("proving")?;
    let vk: zkbackup_verifier::VerifyingKey<ark_bn254::Bn254> = (&zkey.pk.vk).into();
    zkbackup_verifier::verify_chunk(
        &zkbackup_verifier::prepare_verifying_key(&vk),
        &public.to_inputs(),
        &proof.into(),
    )
    .context("verifying")?;
    Ok(())
}
