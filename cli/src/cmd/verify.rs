//! `zkbackup verify`: check a proof bundle against a verifying key and what the auditor
//! trusts (state root, tree size, key commitment: given, or read from the chain), and
//! optionally against the backup file.

use crate::error::{bad_input, InputResultExt};
use alloy_primitives::Address;
use anyhow::Context;
use clap::Args;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use zkbackup_chain::rpc::{RpcChain, StateAt};
use zkbackup_core::chunk::ChunkShape;
use zkbackup_core::field;
use zkbackup_formats::backup::Backup;
use zkbackup_verifier::bundle::{read_bundle, Bundle};
use zkbackup_verifier::verify::{verify_bundle, BackupSummary, Expected, Summary};
use zkbackup_verifier::vk_file::{load_verifying_key, LoadedKey, VkForm};
use zkbackup_verifier::{Bn254, Fr, VerifyingKey};

/// Verify a proof bundle: every chunk proof (batch-verified), the circuit id and shape
/// against the verifying key, the record count, key commitment and recombined state root
/// against the values you trust, the chunk nonces (one backup, chunk j's index in nonce j),
/// and, with --backup, every chunk commitment and C against the backup file.
///
/// What you trust is never taken from the prover's files: give --root, --size and
/// --key-commitment, or read them from the chain (--rpc with --state for root() and size()
/// at one block, --gate for keyCommitment(); --gate alone also finds the state source).
#[derive(Clone, Debug, Args)]
pub struct VerifyArgs {
    /// The proof bundle (from `zkbackup prove`).
    #[arg(long, value_name = "BUNDLE")]
    bundle: PathBuf,
    /// The verifying key: vk.bin, snarkjs's verification_key.json, or the proving keys
    /// directory from `zkbackup setup` (whose keys.json also gives the key's shape).
    #[arg(long, value_name = "VK")]
    vk: PathBuf,
    /// The backup file the bundle proves. Without it, C is checked only against the proofs,
    /// not against a file.
    #[arg(long, value_name = "BACKUP")]
    backup: Option<PathBuf>,
    /// The state root to check against, 0x + 64 hex digits (e.g. the chain's root).
    #[arg(long, value_name = "0x…")]
    root: Option<String>,
    /// The state's number of records (the tree size next to the root).
    #[arg(long, value_name = "N")]
    size: Option<u64>,
    /// The escrowed key's commitment K, 0x + 64 hex digits.
    #[arg(long, value_name = "0x…")]
    key_commitment: Option<String>,
    /// Read from a chain instead: its JSON-RPC endpoint…
    #[arg(long, value_name = "URL")]
    rpc: Option<String>,
    /// …the state source contract (its root() and size())…
    #[arg(long, value_name = "ADDR", requires = "rpc")]
    state: Option<String>,
    /// …the backup gate (its keyCommitment(); and its stateSource() if --state is absent)…
    #[arg(long, value_name = "ADDR", requires = "rpc")]
    gate: Option<String>,
    /// …at this block (default: the latest).
    #[arg(long, value_name = "N", requires = "rpc")]
    block: Option<u64>,
    /// The verifying key's record arity, when --vk does not come with a keys.json.
    #[arg(long, value_name = "A", requires = "chunk_size")]
    arity: Option<usize>,
    /// The verifying key's chunk size, when --vk does not come with a keys.json.
    #[arg(long, value_name = "N", requires = "arity")]
    chunk_size: Option<usize>,
    /// Print one JSON object on stdout instead of the report.
    #[arg(long)]
    json: bool,
}

/// Reads a verifying key: vk.bin, snarkjs's verification_key.json, or a key directory.
pub fn read_vk(path: &Path) -> anyhow::Result<VerifyingKey<Bn254>> {
    Ok(load_verifying_key(path).input_error()?.vk)
}

/// Where a trusted value came from.
#[derive(Clone, Debug)]
enum Source {
    /// A command-line flag.
    Flag(&'static str),
    /// An `eth_call` on a contract.
    Chain {
        call: &'static str,
        contract: Address,
        chain_id: u64,
        block: u64,
    },
}

impl Source {
    fn describe(&self) -> String {
        match self {
            Source::Flag(flag) => format!("given ({flag})"),
            Source::Chain {
                call,
                contract,
                chain_id,
                block,
            } => format!("read from chain {chain_id}: {call} of {contract} at block {block}"),
        }
    }

    fn to_json(&self) -> Value {
        match self {
            Source::Flag(flag) => json!({ "flag": flag }),
            Source::Chain {
                call,
                contract,
                chain_id,
                block,
            } => json!({
                "call": call,
                "contract": contract.to_string(),
                "chain_id": chain_id,
                "block": block,
            }),
        }
    }
}

/// The trusted values and where each came from.
struct Trusted {
    expected: Expected,
    root: Source,
    size: Source,
    key_commitment: Source,
    /// The state read from the chain, if any.
    chain: Option<(Address, StateAt)>,
}

fn parse_address(flag: &str, text: &str) -> anyhow::Result<Address> {
    text.parse::<Address>()
        .input_error()
        .with_context(|| format!("{flag} {text}: not an address"))
}

fn parse_field(flag: &str, text: &str) -> anyhow::Result<Fr> {
    field::parse(text)
        .with_context(|| format!("{flag} {text}"))
        .input_error()
}

/// Gathers root, size and K from the flags and, for those not given, from the chain.
fn trusted(args: &VerifyArgs) -> anyhow::Result<Trusted> {
    let flag_root = args
        .root
        .as_deref()
        .map(|r| parse_field("--root", r))
        .transpose()?;
    let flag_k = args
        .key_commitment
        .as_deref()
        .map(|k| parse_field("--key-commitment", k))
        .transpose()?;
    let state = args
        .state
        .as_deref()
        .map(|a| parse_address("--state", a))
        .transpose()?;
    let gate = args
        .gate
        .as_deref()
        .map(|a| parse_address("--gate", a))
        .transpose()?;

    let need_state = flag_root.is_none() || args.size.is_none();
    let need_gate = flag_k.is_none();
    let mut chain = None;
    let mut chain_state = None;
    let mut chain_k = None;
    if let Some(url) = &args.rpc {
        let connect = || RpcChain::connect(url).with_context(|| format!("connecting to {url}"));
        if need_state && (state.is_some() || gate.is_some()) {
            let mut rpc = connect()?;
            let block = rpc.resolve_block(args.block)?;
            let source = match (state, gate) {
                (Some(state), _) => state,
                (None, Some(gate)) => rpc
                    .gate_state_source(gate, block)
                    .with_context(|| format!("reading stateSource() of {gate} from {url}"))?,
                (None, None) => unreachable!("checked above"),
            };
            let at = rpc
                .state_at(source, block)
                .with_context(|| format!("reading root() and size() of {source} from {url}"))?;
            chain_state = Some((source, at));
            chain = Some((rpc, block));
        }
        if let (true, Some(gate)) = (need_gate, gate) {
            let (mut rpc, block) = match chain.take() {
                Some(c) => c,
                None => {
                    let mut rpc = connect()?;
                    let block = rpc.resolve_block(args.block)?;
                    (rpc, block)
                }
            };
            let k = rpc
                .gate_key_commitment(gate, block)
                .with_context(|| format!("reading keyCommitment() of {gate} from {url}"))?;
            chain_k = Some((k, gate, rpc.chain_id(), block));
        }
    }

    let missing = |what: &str, flags: &str| {
        bad_input(format!(
            "missing the {what}: give {flags} (what verify trusts never comes from the prover's files)"
        ))
    };
    let (root, root_source) = match (flag_root, &chain_state) {
        (Some(root), _) => (root, Source::Flag("--root")),
        (None, Some((contract, at))) => (at.root, chain_source("root()", *contract, at)),
        (None, None) => {
            return Err(missing(
                "state root",
                "--root 0x…, or --rpc URL with --state ADDR (or --gate ADDR)",
            ))
        }
    };
    let (size, size_source) = match (args.size, &chain_state) {
        (Some(size), _) => (size, Source::Flag("--size")),
        (None, Some((contract, at))) => (at.size, chain_source("size()", *contract, at)),
        (None, None) => {
            return Err(missing(
                "tree size",
                "--size N, or --rpc URL with --state ADDR (or --gate ADDR)",
            ))
        }
    };
    let (key_commitment, key_source) = match (flag_k, chain_k) {
        (Some(k), _) => (k, Source::Flag("--key-commitment")),
        (None, Some((k, gate, chain_id, block))) => (
            k,
            Source::Chain {
                call: "keyCommitment()",
                contract: gate,
                chain_id,
                block,
            },
        ),
        (None, None) => {
            return Err(missing(
                "key commitment",
                "--key-commitment 0x…, or --rpc URL with --gate ADDR",
            ))
        }
    };
    Ok(Trusted {
        expected: Expected {
            root,
            size,
            key_commitment,
        },
        root: root_source,
        size: size_source,
        key_commitment: key_source,
        chain: chain_state,
    })
}

fn chain_source(call: &'static str, contract: Address, at: &StateAt) -> Source {
    Source::Chain {
        call,
        contract,
        chain_id: at.chain_id,
        block: at.block,
    }
}

/// The key's shape: from the keys.json beside it and/or --arity/--chunk-size (which must
/// agree when both are there).
fn shape(args: &VerifyArgs, key: &LoadedKey) -> anyhow::Result<(ChunkShape, String)> {
    let flags = match (args.arity, args.chunk_size) {
        (Some(arity), Some(chunk_size)) => Some(
            ChunkShape::new(arity, chunk_size)
                .context("--arity/--chunk-size")
                .input_error()?,
        ),
        _ => None,
    };
    match (key.shape, flags, &key.shape_file) {
        (Some(meta), Some(flags), Some(file)) if meta != flags => Err(bad_input(format!(
            "--arity {} --chunk-size {} contradict {} (arity {}, chunk size {})",
            flags.arity,
            flags.chunk_size,
            file.display(),
            meta.arity,
            meta.chunk_size
        ))),
        (Some(meta), _, Some(file)) => Ok((meta, format!("from {}", file.display()))),
        (_, Some(flags), _) => Ok((flags, "given (--arity, --chunk-size)".into())),
        _ => Err(bad_input(format!(
            "{} does not say which shape it is for: give --arity and --chunk-size, or --vk the \
             key directory (its keys.json says it)",
            key.file.display()
        ))),
    }
}

/// What the bundle claims about its chain, and whether that was checked.
fn chain_claim(bundle: &Bundle, trusted: &Trusted) -> (String, Value) {
    let claim = json!({
        "chain_id": bundle.chain_id,
        "contract": bundle.contract,
        "block": bundle.block,
    });
    let Some(chain_id) = bundle.chain_id else {
        return (
            "the bundle claims no chain".into(),
            json!({ "claim": claim, "checked": false }),
        );
    };
    let described = format!(
        "chain {chain_id}, contract {}, block {}",
        bundle.contract.as_deref().unwrap_or("none"),
        bundle
            .block
            .map_or_else(|| "none".to_string(), |b| b.to_string())
    );
    // Checked only when R and the size were read from the chain, at the block and from the
    // contract the bundle names.
    let matches = trusted.chain.as_ref().is_some_and(|(contract, at)| {
        matches!(trusted.root, Source::Chain { .. })
            && matches!(trusted.size, Source::Chain { .. })
            && at.chain_id == chain_id
            && bundle.block == Some(at.block)
            && bundle.contract.as_deref() == Some(&format!("{contract:#x}"))
    });
    let line = if matches {
        format!("checked: R and size were read at the bundle's {described}")
    } else {
        format!("NOT checked: the bundle claims {described}; R and size were not read there")
    };
    (line, json!({ "claim": claim, "checked": matches }))
}

fn report_json(
    summary: &Summary,
    trusted: &Trusted,
    shape_source: &str,
    key: &LoadedKey,
    args: &VerifyArgs,
    bundle: &Bundle,
    elapsed_ms: f64,
) -> Value {
    let (_, chain) = chain_claim(bundle, trusted);
    json!({
        "ok": true,
        "circuit_id": summary.circuit_id,
        "records": summary.records,
        "chunks": summary.chunks,
        "chunk_size": summary.chunk_size,
        "arity": summary.arity,
        "lineage": format!("{:#018x}", summary.lineage),
        "generation": summary.generation,
        "root": field::to_hex(&summary.root),
        "commitment": field::to_hex(&summary.commitment),
        "key_commitment": field::to_hex(&summary.key_commitment),
        "trusted": {
            "root": trusted.root.to_json(),
            "size": trusted.size.to_json(),
            "key_commitment": trusted.key_commitment.to_json(),
        },
        "vk": {
            "file": key.file.display().to_string(),
            "form": match key.form { VkForm::Arkworks => "arkworks", VkForm::Snarkjs => "snarkjs" },
            "shape": shape_source,
        },
        "backup_checked": summary.backup_checked,
        "backup": args.backup.as_ref().map(|p| p.display().to_string()),
        "bundle_chain": chain,
        "verify_ms": elapsed_ms,
    })
}

/// Runs `zkbackup verify`.
pub fn run(args: VerifyArgs) -> anyhow::Result<()> {
    let result = verify(&args);
    if let (true, Err(e)) = (args.json, &result) {
        println!("{}", json!({ "ok": false, "error": format!("{e:#}") }));
    }
    result
}

fn verify(args: &VerifyArgs) -> anyhow::Result<()> {
    let bundle = read_bundle(&args.bundle).input_error()?;
    let key = load_verifying_key(&args.vk).input_error()?;
    let (shape, shape_source) = shape(args, &key)?;
    let backup = match &args.backup {
        Some(path) => Some(BackupSummary::from_backup(
            &Backup::read(path).input_error()?,
        )),
        None => None,
    };
    let trusted = trusted(args)?;
    let start = std::time::Instant::now();
    let summary = verify_bundle(&bundle, &key.vk, shape, &trusted.expected, backup.as_ref())
        .with_context(|| format!("{} does not verify", args.bundle.display()))?;
    let elapsed_ms = start.elapsed().as_secs_f64() * 1e3;
    if args.json {
        let report = report_json(
            &summary,
            &trusted,
            &shape_source,
            &key,
            args,
            &bundle,
            elapsed_ms,
        );
        println!("{report}");
        return Ok(());
    }
    println!("{summary}");
    println!("  state root:      {}", trusted.root.describe());
    println!(
        "  tree size:       {}, {}",
        trusted.expected.size,
        trusted.size.describe()
    );
    println!("  key commitment:  {}", trusted.key_commitment.describe());
    println!(
        "  key shape:       arity {}, chunk size {} ({shape_source})",
        shape.arity, shape.chunk_size
    );
    match &args.backup {
        Some(path) => println!(
            "  backup file:     checked: every chunk commitment and C recomputed from {}",
            path.display()
        ),
        None => println!(
            "  backup file:     NOT checked: no --backup, so C was not checked against a file \
             (the proofs bind C; compare it with the file you hold)"
        ),
    }
    println!("  bundle's chain:  {}", chain_claim(&bundle, &trusted).0);
    eprintln!("verified in {elapsed_ms:.1} ms");
    Ok(())
}
