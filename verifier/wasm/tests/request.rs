//! The module's one function, natively: an honest bundle verifies, a tampered one fails
//! with the check's code and message, a malformed request is refused as such.
//!
//! With `ZKBACKUP_WASM_REQUEST=<file>`, the honest request is written there, for trying the
//! built module in a wasm host (see `build.sh`).

#[path = "../../tests/common/mod.rs"]
mod common;

use ark_ff::Field;
use serde_json::{json, Value};
use zkbackup_verifier::keys::verifying_key_to_bytes;
use zkbackup_verifier::to_hex;
use zkbackup_verifier_wasm::{verify_request, Failure};

fn request() -> Value {
    let f = common::fixture(10, 4, 7);
    json!({
        "vk": hex::encode(verifying_key_to_bytes(&f.vk)),
        "bundle": serde_json::from_str::<Value>(&f.bundle.to_json()).unwrap(),
        "root": to_hex(&f.expected.root),
        "size": f.expected.size,
        "key_commitment": to_hex(&f.expected.key_commitment),
        "arity": f.shape.arity,
        "chunk_size": f.shape.chunk_size,
        "seed": format!("0x{}", "5a".repeat(32)),
    })
}

fn run(request: &Value) -> Result<String, Failure> {
    verify_request(request.to_string().as_bytes())
}

#[test]
fn honest_tampered_and_malformed_requests() {
    let honest = request();
    if let Some(path) = std::env::var_os("ZKBACKUP_WASM_REQUEST") {
        std::fs::write(path, honest.to_string()).unwrap();
    }
    let summary = run(&honest).unwrap();
    assert!(
        summary.starts_with("OK: 10 records (3 chunks of 4"),
        "{summary}"
    );

    let mut other_root = honest.clone();
    other_root["root"] = json!(to_hex(&ark_bn254::Fr::ONE));
    let failure = run(&other_root).unwrap_err();
    assert_eq!(failure.code, 4);
    assert!(
        failure.message.starts_with("state root mismatch"),
        "{}",
        failure.message
    );

    let mut bad_bundle = honest.clone();
    bad_bundle["bundle"]["root"] = json!("12");
    assert_eq!(run(&bad_bundle).unwrap_err().code, 3);

    let mut bad_vk = honest.clone();
    bad_vk["vk"] = json!("00");
    assert_eq!(run(&bad_vk).unwrap_err().code, 2);

    let mut no_seed = honest;
    no_seed["seed"] = json!("0x01");
    assert_eq!(run(&no_seed).unwrap_err().code, 1);
    assert_eq!(verify_request(b"not json").unwrap_err().code, 1);
}
