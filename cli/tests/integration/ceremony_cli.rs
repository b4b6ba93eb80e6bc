//! The multi-party setup end to end, snarkjs (the package pinned in tests/js) for the
//! ceremony and zkbackup for the rest, on the smallest shape (arity 1, chunk size 1):
//! snarkjs makes a small `.ptau` (new, two contributions, a beacon, prepare phase 2);
//! `ceremony start`; two contributions and a beacon with snarkjs; `ceremony verify`;
//! `ceremony import`; then a backup proven with the imported keys is accepted by `verify`,
//! by `snarkjs groth16 verify` (from `export-snarkjs`) and on chain by the Solidity verifier
//! of the ceremony's key; snarkjs proves a chunk from `export-wtns` with the ceremony's
//! zkey and that proof verifies too. A zkey of another circuit and a tampered zkey are
//! refused at import, each with its reason.
//!
//! One test: the ceremony's phase 1 and snarkjs' own checks dominate (about three minutes on
//! two cores, most of it snarkjs).

use crate::common;

use common::*;
use serde_json::Value;
use std::path::Path;
use zkbackup_chain::gate::{deploy_verifier, verify_proof_raw};
use zkbackup_chain::{fr_to_u256, proof_words, EmbeddedChain};
use zkbackup_tests::snarkjs;

fn json(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn a_snarkjs_ceremony_gives_keys_all_three_verifiers_accept() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let p = |name: &str| d.join(name);
    let cli = snarkjs::cli();
    let sj = s(&cli);

    // The circuit's size, as zkbackup and snarkjs count it.
    let r1cs = json(&ok(&[
        "export-r1cs",
        "--arity",
        "1",
        "--chunk-size",
        "1",
        "--out",
        s(&p("chunk.r1cs")),
        "--json",
    ]));
    let info = snarkjs::run(d, &["r1cs", "info", s(&p("chunk.r1cs"))]);
    for (label, field) in [
        ("# of Constraints:", "constraints"),
        ("# of Wires:", "wires"),
        ("# of Public Inputs:", "public_inputs"),
    ] {
        assert!(
            info.contains(&format!("{label} {}", r1cs[field])),
            "{label} {}: {info}",
            r1cs[field]
        );
    }
    let power = r1cs["ptau_power"].as_u64().unwrap() as u32;

    // Phase 1 (snarkjs alone), then phase 2 started by zkbackup.
    let ptau = snarkjs::phase1_cached(Path::new(env!("CARGO_TARGET_TMPDIR")), power);
    let cer = p("ceremony");
    let shape = ["--arity", "1", "--chunk-size", "1"];
    let started = json(
        &Cmd::new("ceremony")
            .arg("start")
            .path("--ptau", &ptau)
            .args(&shape)
            .path("--out-dir", &cer)
            .flag("--snarkjs", sj)
            .arg("--json")
            .ok(),
    );
    assert_eq!(started["constraints"], r1cs["constraints"]);
    // Refused before any snarkjs run: a .ptau too small for the shape (the power needed is
    // named), the initial key (no contribution: delta is the generator).
    let err = Cmd::new("ceremony")
        .arg("start")
        .path("--ptau", &ptau)
        .args(&["--arity", "4", "--chunk-size", "8"])
        .path("--out-dir", &p("big"))
        .flag("--snarkjs", sj)
        .fails(2);
    assert!(
        err.contains("needs power 14") && err.contains("powersOfTau28_hez_final_14.ptau"),
        "{err}"
    );
    let err = Cmd::new("ceremony")
        .arg("verify")
        .path("--ptau", &ptau)
        .args(&shape)
        .path("--zkey", &cer.join("chunk_0000.zkey"))
        .flag("--snarkjs", sj)
        .fails(2);
    assert!(err.contains("no contribution"), "{err}");
    // A snarkjs that is not there: how to install it.
    let err = Cmd::new("ceremony")
        .arg("start")
        .path("--ptau", &ptau)
        .args(&shape)
        .path("--out-dir", &p("nosnarkjs"))
        .flag("--snarkjs", "/nonexistent/snarkjs")
        .fails(1);
    assert!(err.contains("npm install -g snarkjs@0.7.6"), "{err}");

    let (last, hashes) = snarkjs::phase2(d, &cer.join("chunk_0000.zkey"));

    // `ceremony verify`: ours and snarkjs', the contributions listed with the hashes each
    // participant was shown.
    let verified = json(
        &Cmd::new("ceremony")
            .arg("verify")
            .path("--ptau", &ptau)
            .args(&shape)
            .path("--zkey", &last)
            .flag("--snarkjs", sj)
            .arg("--json")
            .ok(),
    );
    assert_eq!(verified["verified"], true);
    assert_eq!(verified["circuit_hash"], started["circuit_hash"]);
    let listed = verified["contributions"].as_array().unwrap();
    assert_eq!(listed.len(), 3, "{verified}");
    assert_eq!(listed[0]["name"], "alice");
    assert_eq!(listed[0]["hash"], hashes[0].as_str());
    assert_eq!(listed[1]["name"], "bob");
    assert_eq!(listed[1]["hash"], hashes[1].as_str());
    assert_eq!(listed[2]["kind"], "beacon");
    assert_eq!(listed[2]["beacon_hash"], snarkjs::BEACON);

    // Refused at import: a zkey of another circuit, a tampered zkey.
    let import = |zkey: &Path, shape: &[&str], out: &Path| {
        Cmd::new("ceremony")
            .arg("import")
            .path("--ptau", &ptau)
            .args(shape)
            .path("--zkey", zkey)
            .path("--out", out)
            .flag("--snarkjs", sj)
    };
    let err = import(&last, &["--arity", "2", "--chunk-size", "1"], &p("other")).fails(2);
    assert!(
        err.contains("not a key of this chunk circuit") && err.contains("wires"),
        "{err}"
    );
    let mut bytes = std::fs::read(&last).unwrap();
    let at = bytes.len() - 4000; // inside the H points (section 9), before the contributions
    bytes[at] ^= 0x10;
    std::fs::write(p("tampered.zkey"), &bytes).unwrap();
    let err = import(&p("tampered.zkey"), &shape, &p("other")).fails(2);
    assert!(
        err.contains("tampered.zkey: ") && err.contains("point"),
        "{err}"
    );
    // A valid point where H[0] was (the G1 generator): our checks cannot tell, `snarkjs zkey
    // verify` can, and its verdict refuses the import.
    let mut bytes = std::fs::read(&last).unwrap();
    let h = section_start(&bytes, 9);
    bytes[h..h + 64].copy_from_slice(&g1_generator_zkey());
    std::fs::write(p("wrong_h.zkey"), &bytes).unwrap();
    let err = import(&p("wrong_h.zkey"), &shape, &p("other")).fails(2);
    assert!(
        err.contains("wrong_h.zkey: `snarkjs zkey verify` refused it")
            && err.contains("H section does not match"),
        "{err}"
    );
    assert!(!p("other").join("keys.json").exists());

    // Import.
    let keys = p("keys");
    let imported = import(&last, &shape, &keys).arg("--json").run();
    assert!(imported.status.success(), "{}", text(&imported.stderr));
    assert!(
        !text(&imported.stderr).contains("single-party"),
        "no single-party warning for ceremony keys"
    );
    let imported = json(&text(&imported.stdout));
    let meta = json(&std::fs::read_to_string(keys.join("keys.json")).unwrap());
    assert_eq!(meta["reduction"], "circom");
    assert_eq!(meta["setup"]["kind"], "ceremony");
    assert_eq!(meta["setup"]["contributions"], verified["contributions"]);
    assert_eq!(meta["circuit_id"], imported["circuit_id"]);

    // A backup proven with the ceremony's keys: zkbackup's verify accepts it.
    std::fs::write(p("records.csv"), "11\n22\n").unwrap();
    let root = ok(&["root", "--records", s(&p("records.csv"))])
        .trim()
        .to_string();
    ok(&["keygen", "--out", s(&p("key.json"))]);
    backup(&p("records.csv"), &p("key.json"), &p("backup.zkb"), 1);
    prove(&p("backup.zkb"), &p("key.json"), &keys, &p("bundle.json"));
    let key =
        <zkbackup_core::EscrowKey as zkbackup_formats::KeyFile>::read(&p("key.json")).unwrap();
    let k = zkbackup_core::field::to_hex(&key.commitment());
    let out = verify_cmd(&p("bundle.json"), &keys)
        .path("--backup", &p("backup.zkb"))
        .trusted(&root, 2, &k)
        .ok();
    assert!(out.starts_with("OK: 2 records"), "{out}");

    // snarkjs verifies the exported proofs.
    ok(&[
        "export-snarkjs",
        "--bundle",
        s(&p("bundle.json")),
        "--vk",
        s(&keys),
        "--out",
        s(&p("snarkjs")),
    ]);
    let sdir = p("snarkjs");
    for i in 0..2 {
        let out = snarkjs::run(
            d,
            &[
                "groth16",
                "verify",
                s(&sdir.join("verification_key.json")),
                s(&sdir.join(format!("public_{i}.json"))),
                s(&sdir.join(format!("proof_{i}.json"))),
            ],
        );
        assert!(out.contains("OK!"), "{out}");
    }

    // On chain: the Solidity verifier with the ceremony's key accepts each chunk proof and
    // refuses a changed input.
    let bundle = zkbackup_verifier::read_bundle(&p("bundle.json")).unwrap();
    let vk: ark_groth16::VerifyingKey<ark_bn254::Bn254> =
        zkbackup_verifier::read_verifying_key(&keys.join("vk.bin"))
            .unwrap()
            .into();
    let mut chain = EmbeddedChain::new();
    let verifier = deploy_verifier(&mut chain, &vk).unwrap();
    for c in &bundle.chunks {
        let inputs = c.public_inputs.to_inputs().map(fr_to_u256);
        let words = proof_words(&c.proof);
        assert!(
            verify_proof_raw(&mut chain, verifier, &words, &inputs)
                .unwrap()
                .0
        );
        let mut bad = inputs;
        bad[0] += alloy_primitives::U256::from(1u64);
        assert!(
            !verify_proof_raw(&mut chain, verifier, &words, &bad)
                .unwrap()
                .0
        );
    }

    // snarkjs proves chunk 0 from our witness with the ceremony's zkey; snarkjs and the
    // imported keys verify it, for the bundle's public values.
    let wtns = p("chunk0.wtns");
    let exported = json(&ok(&[
        "export-wtns",
        "--records",
        s(&p("records.csv")),
        "--key",
        s(&p("key.json")),
        "--backup",
        s(&p("backup.zkb")),
        "--chunk",
        "0",
        "--out",
        s(&wtns),
        "--json",
    ]));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&wtns).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the witness holds the records and the key");
    }
    let (proof, public) = (p("proof.json"), p("public.json"));
    snarkjs::run(
        d,
        &[
            "groth16",
            "prove",
            s(&last),
            s(&wtns),
            s(&proof),
            s(&public),
        ],
    );
    let out = snarkjs::run(
        d,
        &[
            "groth16",
            "verify",
            s(&keys.join("verification_key.json")),
            s(&public),
            s(&proof),
        ],
    );
    assert!(out.contains("OK!"), "{out}");
    let public: Value = json(&std::fs::read_to_string(&public).unwrap());
    assert_eq!(public, exported["public_inputs"]);
    let expected: Vec<String> = bundle.chunks[0]
        .public_inputs
        .to_inputs()
        .iter()
        .map(zkbackup_core::field::to_decimal)
        .collect();
    assert_eq!(public, serde_json::json!(expected));
    // ...and zkbackup's verifier accepts snarkjs' proof, for those inputs only.
    let theirs =
        zkbackup_verifier::snarkjs::parse_proof(&std::fs::read_to_string(&proof).unwrap()).unwrap();
    let pvk = zkbackup_verifier::prepare_verifying_key(&(&vk).into());
    let inputs = bundle.chunks[0].public_inputs.to_inputs();
    zkbackup_verifier::verify_chunk(&pvk, &inputs, &theirs).unwrap();
    let mut wrong = inputs;
    wrong[4] += ark_bn254::Fr::from(1u64);
    assert!(zkbackup_verifier::verify_chunk(&pvk, &wrong, &theirs).is_err());
    // export-wtns never overwrites.
    let err = fails(
        &[
            "export-wtns",
            "--records",
            s(&p("records.csv")),
            "--key",
            s(&p("key.json")),
            "--backup",
            s(&p("backup.zkb")),
            "--chunk",
            "0",
            "--out",
            s(&wtns),
        ],
        2,
    );
    assert!(err.contains("already exists"), "{err}");
}

/// Where section `id`'s bytes start in an iden3 binary file.
fn section_start(bytes: &[u8], id: u32) -> usize {
    let mut pos = 12;
    loop {
        let sid = u32::from_le_bytes(bytes[pos..pos + 4].try_into().unwrap());
        let len = u64::from_le_bytes(bytes[pos + 4..pos + 12].try_into().unwrap()) as usize;
        if sid == id {
            return pos + 12;
        }
        pos += 12 + len;
    }
}

/// The G1 generator as a zkey stores a point.
fn g1_generator_zkey() -> [u8; 64] {
    use ark_bn254::{Fq, G1Affine};
    zkbackup_ceremony::field::g1_to_zkey(&G1Affine::new_unchecked(Fq::from(1u64), Fq::from(2u64)))
}
