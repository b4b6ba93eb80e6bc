//! Verifying keys in every form `verify --vk` takes: snarkjs's `verification_key.json`
//! (round trip with our export, and each way a file can be bad), `vk.bin`, and a key
//! directory whose `keys.json` gives the key's shape.

use crate::common;

use ark_bn254::{Fq, Fq2, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{Field, PrimeField, UniformRand};
use common::setup;
use rand::{rngs::StdRng, SeedableRng};
use serde_json::{json, Value};
use zkbackup_verifier::snarkjs::{
    parse_verification_key, read_verification_key, verification_key_json, SnarkjsError, VkJsonError,
};
use zkbackup_verifier::vk_file::{read_shape, KEYS_META_FILE};
use zkbackup_verifier::*;

fn vk() -> VerifyingKey<Bn254> {
    setup(5, 3).vk
}

fn parse(v: &Value) -> Result<VerifyingKey<Bn254>, VkJsonError> {
    parse_verification_key(&v.to_string())
}

#[test]
fn our_export_round_trips() {
    let vk = vk();
    let exported = verification_key_json(&vk);
    assert_eq!(parse(&exported).unwrap(), vk);
    // Pretty-printed as written to disk, and without the optional vk_alphabeta_12.
    let text = serde_json::to_string_pretty(&exported).unwrap();
    assert_eq!(parse_verification_key(&text).unwrap(), vk);
    let mut v = exported.clone();
    v.as_object_mut().unwrap().remove("vk_alphabeta_12");
    assert_eq!(parse(&v).unwrap(), vk);
    // Unknown members are ignored, as snarkjs ignores them.
    let mut v = exported;
    v["comment"] = json!("from a ceremony");
    assert_eq!(parse(&v).unwrap(), vk);
}

#[test]
fn header_members_are_checked() {
    let good = verification_key_json(&vk());
    let cases: [(&str, Value); 4] = [
        ("protocol", json!("plonk")),
        ("curve", json!("bls12381")),
        ("nPublic", json!(4)),
        ("nPublic", json!("5")),
    ];
    for (member, value) in cases {
        let mut v = good.clone();
        v[member] = value.clone();
        let err = parse(&v).unwrap_err();
        let ok = match member {
            "protocol" => matches!(err, VkJsonError::Protocol(_)),
            "curve" => matches!(err, VkJsonError::Curve(_)),
            _ => matches!(err, VkJsonError::NumPublic(_)),
        };
        assert!(ok, "{member} = {value}: {err:?}");
    }
    let mut v = good.clone();
    v["IC"].as_array_mut().unwrap().pop();
    assert!(matches!(
        parse(&v),
        Err(VkJsonError::IcLength {
            n_public: 5,
            got: 5
        })
    ));
    let mut v = good.clone();
    v.as_object_mut().unwrap().remove("vk_delta_2");
    assert!(matches!(parse(&v), Err(VkJsonError::Missing("vk_delta_2"))));
    assert!(matches!(
        parse_verification_key("{"),
        Err(VkJsonError::Json(_))
    ));
    assert!(matches!(
        parse_verification_key("[1, 2]"),
        Err(VkJsonError::NotAnObject)
    ));
}

#[test]
fn numbers_must_be_canonical_decimal_strings() {
    let good = verification_key_json(&vk());
    let x = good["vk_alpha_1"][0].as_str().unwrap().to_owned();
    let q = Fq::MODULUS.to_string();
    let not_decimal = [
        json!(format!("0{x}")),
        json!(format!("-{x}")),
        json!(format!("0x{x}")),
        json!(""),
        json!(12),
        json!(format!("{x} ")),
    ];
    for bad in not_decimal {
        let mut v = good.clone();
        v["vk_alpha_1"][0] = bad.clone();
        match parse(&v) {
            Err(VkJsonError::NotDecimal { at, .. }) => assert_eq!(at, "vk_alpha_1[0]"),
            other => panic!("{bad}: {other:?}"),
        }
    }
    // x + q, q itself, and a number past 2^256: refused, never reduced.
    for bad in [q.clone(), "9".repeat(80), add_decimal(&x, &q)] {
        let mut v = good.clone();
        v["IC"][3][1] = json!(bad);
        assert!(
            matches!(parse(&v), Err(VkJsonError::NonCanonical { ref at, .. }) if at == "IC[3][1]"),
            "{bad}"
        );
    }
    let mut v = good.clone();
    v["vk_gamma_2"][1][0] = json!(q);
    assert!(matches!(
        parse(&v),
        Err(VkJsonError::NonCanonical { at, .. }) if at == "vk_gamma_2[1][0]"
    ));
}

/// `a + b` for decimal strings.
fn add_decimal(a: &str, b: &str) -> String {
    let (a, b): (Vec<u8>, Vec<u8>) = (
        a.bytes().rev().map(|d| d - b'0').collect(),
        b.bytes().rev().map(|d| d - b'0').collect(),
    );
    let mut out = Vec::new();
    let mut carry = 0;
    for i in 0..a.len().max(b.len()) {
        let s = a.get(i).copied().unwrap_or(0) + b.get(i).copied().unwrap_or(0) + carry;
        out.push(b'0' + s % 10);
        carry = s / 10;
    }
    if carry > 0 {
        out.push(b'0' + carry);
    }
    out.reverse();
    String::from_utf8(out).unwrap()
}

#[test]
fn points_must_be_affine_on_the_curve_and_in_the_subgroup() {
    let good = verification_key_json(&vk());
    // z = 2 (projective, not normalized) and a malformed point at infinity.
    let mut v = good.clone();
    v["vk_alpha_1"][2] = json!("2");
    assert!(matches!(parse(&v), Err(VkJsonError::NotAffine { at }) if at == "vk_alpha_1"));
    let mut v = good.clone();
    v["IC"][0] = json!(["1", "1", "0"]);
    assert!(matches!(parse(&v), Err(VkJsonError::NotAffine { at }) if at == "IC[0]"));
    let mut v = good.clone();
    v["vk_beta_2"][2] = json!(["1", "1"]);
    assert!(matches!(parse(&v), Err(VkJsonError::NotAffine { at }) if at == "vk_beta_2"));
    // Off the curve: y + 1.
    let mut v = good.clone();
    let y: Fq = good["IC"][2][1].as_str().unwrap().parse().unwrap();
    v["IC"][2][1] = json!((y + Fq::ONE).to_string());
    assert!(matches!(parse(&v), Err(VkJsonError::NotOnCurve { at }) if at == "IC[2]"));
    // On the G2 twist, outside the subgroup.
    let p = g2_off_subgroup();
    let mut v = good.clone();
    v["vk_delta_2"] = json!([
        [p.x.c0.to_string(), p.x.c1.to_string()],
        [p.y.c0.to_string(), p.y.c1.to_string()],
        ["1", "0"]
    ]);
    assert!(matches!(parse(&v), Err(VkJsonError::NotInSubgroup { at }) if at == "vk_delta_2"));
    // Wrong shapes.
    let mut v = good.clone();
    v["vk_gamma_2"][0] = json!(["1"]);
    assert!(matches!(
        parse(&v),
        Err(VkJsonError::Shape { at, expected: 2 }) if at == "vk_gamma_2[0]"
    ));
    let mut v = good.clone();
    v["vk_alpha_1"] = json!(["1", "2"]);
    assert!(matches!(
        parse(&v),
        Err(VkJsonError::Shape { at, expected: 3 }) if at == "vk_alpha_1"
    ));
    // The point at infinity in snarkjs's form is read as such.
    let mut v = good.clone();
    v["IC"][4] = json!(["0", "1", "0"]);
    assert!(parse(&v).unwrap().gamma_abc_g1[4].is_zero());
}

#[test]
fn a_lying_alphabeta_is_refused() {
    let other = verification_key_json(&setup(5, 4).vk);
    let mut v = verification_key_json(&vk());
    v["vk_alphabeta_12"] = other["vk_alphabeta_12"].clone();
    assert!(matches!(parse(&v), Err(VkJsonError::AlphaBeta)));
}

fn g2_off_subgroup() -> G2Affine {
    let mut rng = StdRng::seed_from_u64(1);
    loop {
        let x = Fq2::rand(&mut rng);
        if let Some(p) = G2Affine::get_point_from_x_unchecked(x, false) {
            if !p.is_in_correct_subgroup_assuming_on_curve() {
                return p;
            }
        }
    }
}

#[test]
fn files_and_directories_load_in_any_form() {
    let vk = vk();
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("vk.bin");
    write_verifying_key(&bin, &vk).unwrap();
    let loaded = load_verifying_key(&bin).unwrap();
    assert_eq!(loaded.vk, vk);
    assert_eq!(loaded.form, VkForm::Arkworks);
    assert_eq!(loaded.shape, None, "no keys.json: no shape");

    // snarkjs's file, by content whatever its name.
    let json_path = dir.path().join("key.txt");
    std::fs::write(
        &json_path,
        serde_json::to_string_pretty(&verification_key_json(&vk)).unwrap(),
    )
    .unwrap();
    let loaded = load_verifying_key(&json_path).unwrap();
    assert_eq!(
        (loaded.vk.clone(), loaded.form),
        (vk.clone(), VkForm::Snarkjs)
    );
    assert_eq!(circuit_id(&loaded.vk), circuit_id(&vk));
    assert_eq!(read_verification_key(&json_path).unwrap(), vk);

    // A key directory: vk.bin preferred, keys.json gives the shape.
    let meta = json!({
        "version": 1,
        "arity": 2,
        "chunk_size": 8,
        "constraints": 1234,
        "circuit_id": circuit_id(&vk),
        "proving_key_sha256": "00",
    });
    std::fs::write(dir.path().join(KEYS_META_FILE), meta.to_string()).unwrap();
    for path in [dir.path().to_path_buf(), bin.clone()] {
        let loaded = load_verifying_key(&path).unwrap();
        assert_eq!(loaded.file, bin);
        assert_eq!(
            loaded.shape,
            Some(ChunkShape {
                arity: 2,
                chunk_size: 8
            })
        );
    }

    // A keys.json of another key lends no shape: refused, naming both ids.
    let other = setup(5, 8).vk;
    let err = read_shape(&dir.path().join(KEYS_META_FILE), &other).unwrap_err();
    assert!(
        matches!(err, VkFileError::MetaCircuitId { ref key, .. } if *key == circuit_id(&other))
    );
    let mut bad = meta.clone();
    bad["chunk_size"] = json!(3);
    std::fs::write(dir.path().join(KEYS_META_FILE), bad.to_string()).unwrap();
    assert!(matches!(
        load_verifying_key(&bin),
        Err(VkFileError::MetaShape { .. })
    ));
    // Version 2 (the reduction and the setup recorded) reads alike; 3 is refused.
    let mut v2 = meta.clone();
    v2["version"] = json!(2);
    v2["reduction"] = json!("circom");
    v2["setup"] = json!({"kind": "single-party"});
    std::fs::write(dir.path().join(KEYS_META_FILE), v2.to_string()).unwrap();
    assert!(load_verifying_key(&bin).unwrap().shape.is_some());
    let mut bad = meta.clone();
    bad["version"] = json!(3);
    std::fs::write(dir.path().join(KEYS_META_FILE), bad.to_string()).unwrap();
    assert!(matches!(
        load_verifying_key(&bin),
        Err(VkFileError::MetaVersion { found: 3, .. })
    ));
    // Version 2 (`setup` and `ceremony import` since the ceremony) is read.
    let mut v2 = meta.clone();
    v2["version"] = json!(2);
    std::fs::write(dir.path().join(KEYS_META_FILE), v2.to_string()).unwrap();
    assert!(load_verifying_key(&bin).is_ok());
    std::fs::write(dir.path().join(KEYS_META_FILE), "{}").unwrap();
    assert!(matches!(
        load_verifying_key(&bin),
        Err(VkFileError::InvalidMeta { .. })
    ));

    // An empty directory, a missing file, a broken snarkjs file: each named.
    let empty = tempfile::tempdir().unwrap();
    let err = load_verifying_key(empty.path()).unwrap_err();
    assert!(matches!(err, VkFileError::NoKeyInDirectory { .. }));
    assert!(matches!(
        load_verifying_key(&empty.path().join("none.bin")),
        Err(VkFileError::Arkworks(KeyError::Read { .. }))
    ));
    let broken = empty.path().join("verification_key.json");
    std::fs::write(&broken, r#"{"protocol": "groth16"}"#).unwrap();
    let err = load_verifying_key(&broken).unwrap_err();
    assert!(matches!(
        err,
        VkFileError::Snarkjs(SnarkjsError::InvalidVerificationKey {
            source: VkJsonError::Curve(_) | VkJsonError::Missing(_),
            ..
        })
    ));
    let chain = anyhow_like(&err);
    assert!(chain.contains("verification_key.json is not a usable snarkjs verification key"));
}

/// The error and its sources joined as the CLI prints them.
fn anyhow_like(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[test]
fn snarkjs_proof_json_round_trips_and_is_checked() {
    use zkbackup_verifier::snarkjs::{parse_proof, proof_json};
    let keys = setup(5, 3);
    let mut rng = StdRng::seed_from_u64(9);
    let inputs: Vec<_> = (0..5u64).map(ark_bn254::Fr::from).collect();
    let proof = common::prove(&keys, &inputs, &mut rng);
    let exported = proof_json(&proof);
    assert_eq!(parse_proof(&exported.to_string()).unwrap(), proof);
    let pvk = prepare_verifying_key(&keys.vk);
    verify_chunk(&pvk, &inputs, &parse_proof(&exported.to_string()).unwrap()).unwrap();

    let edit = |f: &dyn Fn(&mut Value)| {
        let mut v = exported.clone();
        f(&mut v);
        parse_proof(&v.to_string())
    };
    // y + 1: off the curve; a non-decimal coordinate; z = 2; a missing member; another curve.
    let y = v_str(&exported["pi_a"][1]);
    assert!(matches!(
        edit(&|v| v["pi_a"][1] = json!(add_decimal(&y, "1"))),
        Err(VkJsonError::NotOnCurve { ref at }) if at == "pi_a"
    ));
    assert!(matches!(
        edit(&|v| v["pi_c"][0] = json!("0x1")),
        Err(VkJsonError::NotDecimal { .. })
    ));
    assert!(matches!(
        edit(&|v| v["pi_b"][2] = json!(["2", "0"])),
        Err(VkJsonError::NotAffine { ref at }) if at == "pi_b"
    ));
    assert!(matches!(
        edit(&|v| {
            v.as_object_mut().unwrap().remove("pi_c");
        }),
        Err(VkJsonError::Missing("pi_c"))
    ));
    assert!(matches!(
        edit(&|v| v["curve"] = json!("bls12381")),
        Err(VkJsonError::Curve(_))
    ));
}

fn v_str(v: &Value) -> String {
    v.as_str().unwrap().to_owned()
}
