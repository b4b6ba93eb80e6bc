//! End-to-end and cross-implementation tests live in `tests/`; this library holds the
//! fixtures every crate's tests share: the driver of the Node oracle in `tests/js/` (npm
//! reference implementations: poseidon-lite, circomlibjs, @zk-kit/lean-imt, ...), a local
//! Ethereum node, the toy Groth16 circuit ([`toy`]), byte-string edits for hostile-file
//! property tests ([`mutation`]), a memory-limited child process ([`memory_limit`]) and the
//! snarkjs CLI with the steps of a small ceremony ([`snarkjs`]).
//!
//! The oracle's dependencies must be installed (`npm ci` in `tests/js`, which CI does); the
//! helpers panic with that instruction rather than skip, so a missing install never passes
//! for a green run.

pub mod memory_limit;
pub mod mutation;
pub mod snarkjs;
pub mod toy;

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use zkbackup_core::{field, Fr};

/// The workspace root (the directory holding the top `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// `tests/js`, the Node harness.
pub fn js_dir() -> PathBuf {
    workspace_root().join("tests").join("js")
}

/// Panics with the fix if the Node harness is not installed.
pub fn require_node_modules() {
    let modules = js_dir().join("node_modules");
    assert!(
        modules.is_dir(),
        "{} is missing: run `npm ci` in tests/js (or `npm ci --prefix tests/js` from the \
         workspace root) before running these tests",
        modules.display()
    );
}

/// Runs `node` with `args` in `tests/js`, feeding `stdin`; returns stdout, panicking with
/// stderr on failure.
fn run_node(args: &[&str], stdin: &[u8]) -> String {
    require_node_modules();
    let mut child = Command::new("node")
        .args(args)
        .current_dir(js_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run `node` (is Node.js installed?): {e}"));
    let mut input = child.stdin.take().expect("piped stdin");
    // Write from another thread so a large request cannot deadlock against a full stdout.
    let stdin = stdin.to_vec();
    let writer = std::thread::spawn(move || input.write_all(&stdin));
    let out = child.wait_with_output().expect("node runs");
    writer
        .join()
        .expect("stdin writer")
        .expect("write node's stdin");
    assert!(
        out.status.success(),
        "node {args:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("node writes UTF-8")
}

/// One request through `tests/js/oracle.mjs`'s documented protocol (one JSON request on
/// stdin, one JSON response on stdout). Field elements are decimal strings both ways.
pub fn oracle(request: Value) -> Value {
    let out = run_node(&["oracle.mjs"], request.to_string().as_bytes());
    serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("oracle response is not JSON ({e}): {out}"))
}

/// Many requests in one Node process (through the `handle` function `oracle.mjs` exports,
/// the same code its stdin protocol runs), since starting Node costs ~0.3 s per process.
/// Responses are in request order.
pub fn oracle_batch(requests: &[Value]) -> Vec<Value> {
    const SCRIPT: &str = r#"
import { handle } from "./oracle.mjs"
const chunks = []
for await (const c of process.stdin) chunks.push(c)
const requests = JSON.parse(Buffer.concat(chunks).toString("utf8"))
const responses = []
for (const r of requests) responses.push(await handle(r))
process.stdout.write(JSON.stringify(responses) + "\n", () => process.exit(0))
"#;
    let out = run_node(
        &["--input-type=module", "-e", SCRIPT],
        Value::Array(requests.to_vec()).to_string().as_bytes(),
    );
    let responses: Vec<Value> = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("oracle batch response is not a JSON array ({e}): {out}"));
    assert_eq!(responses.len(), requests.len(), "one response per request");
    responses
}

/// Options of `tests/js/gen-records.mjs`, which writes a random records file and prints
/// its LeanIMT root.
#[derive(Clone, Debug)]
pub struct GenRecords {
    /// Fields per record (1..=16).
    pub arity: usize,
    /// Number of records.
    pub count: usize,
    /// `csv` or `jsonl`.
    pub format: &'static str,
    /// Seed for a deterministic file.
    pub seed: Option<u64>,
    /// Write about a third of the values as `0x` hex.
    pub hex: bool,
    /// Hash library: `poseidon-lite` (default) or `circomlibjs` (faster for wide records).
    pub lib: &'static str,
}

impl GenRecords {
    /// `count` records of `arity` in `format`, decimal, hashed with poseidon-lite.
    pub fn new(arity: usize, count: usize, format: &'static str) -> Self {
        Self {
            arity,
            count,
            format,
            seed: None,
            hex: false,
            lib: "poseidon-lite",
        }
    }

    /// Writes the file to `out` and returns the root the generator printed
    /// (`0x` + 64 lowercase hex digits).
    pub fn write(&self, out: &Path) -> String {
        let (arity, count) = (self.arity.to_string(), self.count.to_string());
        let out_arg = out.to_str().expect("UTF-8 temp path");
        let mut args = vec![
            "gen-records.mjs",
            "--arity",
            &arity,
            "--count",
            &count,
            "--format",
            self.format,
            "--out",
            out_arg,
            "--lib",
            self.lib,
        ];
        let seed = self.seed.map(|s| s.to_string());
        if let Some(seed) = &seed {
            args.extend(["--seed", seed]);
        }
        if self.hex {
            args.push("--hex");
        }
        let root = run_node(&args, b"").trim().to_string();
        assert!(
            root.len() == 66 && root.starts_with("0x"),
            "gen-records printed {root:?}"
        );
        root
    }
}

/// A field element as the oracle writes it (decimal string).
pub fn dec(x: &Fr) -> Value {
    Value::String(field::to_decimal(x))
}

/// Field elements as the oracle writes them.
pub fn decs(xs: &[Fr]) -> Value {
    Value::Array(xs.iter().map(dec).collect())
}

/// A field element from the oracle's JSON (a decimal string).
pub fn fr(v: &Value) -> Fr {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("expected a decimal string, got {v}"));
    field::parse(s).unwrap_or_else(|e| panic!("oracle value {s:?}: {e}"))
}

/// Field elements from the oracle's JSON array.
pub fn frs(v: &Value) -> Vec<Fr> {
    v.as_array()
        .unwrap_or_else(|| panic!("expected an array, got {v}"))
        .iter()
        .map(fr)
        .collect()
}

/// A local Ethereum node (anvil from the npm package pinned in `contracts/package.json`)
/// on a free 127.0.0.1 port; killed when dropped.
pub struct LocalNode {
    child: std::process::Child,
    /// Its JSON-RPC endpoint.
    pub url: String,
}

impl Drop for LocalNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The first account of anvil's default mnemonic (a public test key).
pub const LOCAL_NODE_KEY: &str =
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

/// Starts anvil and waits until it answers `eth_chainId`. Panics with the fix if the npm
/// package is missing (`npm ci` in contracts/).
pub fn start_local_node() -> LocalNode {
    let platform = match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => "linux-amd64",
        ("linux", "aarch64") => "linux-arm64",
        ("macos", "x86_64") => "darwin-amd64",
        ("macos", "aarch64") => "darwin-arm64",
        (os, arch) => panic!("no anvil package for {os}/{arch}"),
    };
    let bin = workspace_root().join(format!(
        "contracts/node_modules/@foundry-rs/anvil-{platform}/bin/anvil"
    ));
    assert!(
        bin.exists(),
        "run `npm ci` in contracts/ (missing {})",
        bin.display()
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(bin)
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--silent",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start anvil");
    let node = LocalNode {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let start = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed().as_secs() < 30,
            "anvil did not start on {}",
            node.url
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    node
}
