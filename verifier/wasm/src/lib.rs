//! zkbackup's bundle verifier for hosts that load a wasm module: `zkbackup-verifier` built
//! with `--no-default-features` (no files, no threads, no OS randomness) behind one exported
//! function. `./build.sh` builds it for `wasm32-unknown-unknown` in a size-optimized
//! release and prints its size.
//!
//! # The module's interface (raw wasm, no bindings generator)
//! - `alloc(len) -> ptr`: a buffer of `len` bytes in the module's memory, for the request;
//! - `verify(ptr, len) -> code`: reads and frees the request buffer, verifies, and returns
//!   0 (the bundle verifies), 1 (the request is malformed), 2 (the verifying key is
//!   invalid), 3 (the bundle is invalid) or 4 (a verification check failed);
//! - `message_ptr()`, `message_len()`: the UTF-8 report of the last `verify`: the summary
//!   line, or the error with its causes.
//!
//! The request is JSON text ([`Request`]): the verifying key as hex of `vk.bin`, the bundle
//! (the object of `docs/BUNDLE.md`), what the auditor trusts (root, size, key commitment,
//! the key's shape) and 32 random bytes from the host (e.g. `crypto.getRandomValues`) that
//! seed the batch verification's scalars: they must be unpredictable to the prover.

use ark_std::rand::{rngs::StdRng, SeedableRng};
use serde::Deserialize;
use std::cell::RefCell;
use std::path::Path;
use zkbackup_core::Fr;
use zkbackup_verifier::keys::verifying_key_from_bytes;
use zkbackup_verifier::{verify_bundle_with_rng, Bundle, ChunkShape, Expected};

/// What the host asks to verify.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// `vk.bin` (arkworks' compressed verifying key) as hex, with or without `0x`.
    pub vk: String,
    /// The proof bundle.
    pub bundle: serde_json::Value,
    /// The trusted state root `R` (decimal or `0x` hex).
    pub root: String,
    /// The trusted number of records (the tree size).
    pub size: u64,
    /// The escrowed key's commitment `K` (decimal or `0x` hex).
    pub key_commitment: String,
    /// The verifying key's shape: fields per record.
    pub arity: usize,
    /// The verifying key's shape: records per chunk.
    pub chunk_size: usize,
    /// 32 random bytes as hex (64 digits, with or without `0x`).
    pub seed: String,
}

/// Why a request did not verify: the exported function's code, and the report.
#[derive(Debug, PartialEq, Eq)]
pub struct Failure {
    /// 1 to 4, see the [crate docs](self).
    pub code: u32,
    /// The error and its causes.
    pub message: String,
}

fn fail(code: u32, error: &dyn std::error::Error) -> Failure {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    Failure { code, message }
}

fn malformed(message: String) -> Failure {
    Failure { code: 1, message }
}

fn unhex(text: &str) -> Result<Vec<u8>, hex::FromHexError> {
    hex::decode(text.strip_prefix("0x").unwrap_or(text))
}

/// Verifies the request (JSON text, see [`Request`]); the summary line if it verifies.
pub fn verify_request(request: &[u8]) -> Result<String, Failure> {
    let request: Request = serde_json::from_slice(request).map_err(|e| fail(1, &e))?;
    let field = |name: &str, text: &str| {
        zkbackup_core::field::parse(text).map_err(|e| malformed(format!("{name}: {e}")))
    };
    let root: Fr = field("root", &request.root)?;
    let key_commitment = field("key_commitment", &request.key_commitment)?;
    let seed: [u8; 32] = unhex(&request.seed)
        .ok()
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| malformed("seed: expected 32 bytes as 64 hex digits".into()))?;
    let shape = ChunkShape::new(request.arity, request.chunk_size).map_err(|e| fail(1, &e))?;
    let vk_bytes = unhex(&request.vk).map_err(|e| malformed(format!("vk: {e}")))?;
    let vk = verifying_key_from_bytes(&vk_bytes, Path::new("vk")).map_err(|e| fail(2, &e))?;
    let bundle = Bundle::from_json(&request.bundle.to_string()).map_err(|e| fail(3, &e))?;
    let expected = Expected {
        root,
        size: request.size,
        key_commitment,
    };
    let mut rng = StdRng::from_seed(seed);
    verify_bundle_with_rng(&bundle, &vk, shape, &expected, None, &mut rng)
        .map(|summary| summary.to_string())
        .map_err(|e| fail(4, &e))
}

thread_local! {
    /// The report of the last `verify`.
    static MESSAGE: RefCell<String> = const { RefCell::new(String::new()) };
}

/// A buffer of `len` bytes for the host to write a request into; `verify` frees it.
#[allow(unsafe_code)] // `no_mangle` only: the body is safe.
#[no_mangle]
pub extern "C" fn alloc(len: usize) -> *mut u8 {
    let mut buffer = std::mem::ManuallyDrop::new(vec![0u8; len]);
    buffer.as_mut_ptr()
}

/// Verifies the request in the buffer `ptr` (from [`alloc`], `len` bytes) and frees it.
/// Returns 0 or a [`Failure`] code; the report is at [`message_ptr`].
///
/// # Safety
/// `ptr` must come from `alloc(len)` with this `len`, and be handed to `verify` once.
#[allow(unsafe_code)] // `no_mangle`, and taking back the buffer `alloc` leaked.
#[no_mangle]
pub unsafe extern "C" fn verify(ptr: *mut u8, len: usize) -> u32 {
    // SAFETY: `ptr` and `len` are a buffer from `alloc(len)` (a `Vec<u8>` of length and
    // capacity `len`, leaked), handed back once, as the caller guarantees.
    let request = unsafe { Vec::from_raw_parts(ptr, len, len) };
    let (code, message) = match verify_request(&request) {
        Ok(summary) => (0, summary),
        Err(failure) => (failure.code, failure.message),
    };
    MESSAGE.with(|m| *m.borrow_mut() = message);
    code
}

/// Where the last report starts in the module's memory.
#[allow(unsafe_code)] // `no_mangle` only: the body is safe.
#[no_mangle]
pub extern "C" fn message_ptr() -> *const u8 {
    MESSAGE.with(|m| m.borrow().as_ptr())
}

/// The last report's length in bytes.
#[allow(unsafe_code)] // `no_mangle` only: the body is safe.
#[no_mangle]
pub extern "C" fn message_len() -> usize {
    MESSAGE.with(|m| m.borrow().len())
}
