//! The verifier against honest bundles and each tamper a dishonest prover or a careless
//! operator could produce: every honest case has its negative twins, each failing with the
//! specific error that names the chunk and the check.

use crate::common;

use ark_bn254::{Bn254, Fq, Fq2, Fr, G1Affine, G1Projective, G2Affine};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{BigInteger, Field, PrimeField, UniformRand};
use common::{fixture, prove, setup, Fixture};
use rand::{rngs::StdRng, SeedableRng};
use serde_json::Value;
use zkbackup_verifier::keys::{verifying_key_from_bytes, verifying_key_to_bytes};
use zkbackup_verifier::*;

fn rng() -> StdRng {
    StdRng::seed_from_u64(42)
}

fn verify(f: &Fixture) -> Result<Summary, VerifyError> {
    f.verify()
}

/// 3 chunks of 4, the last partial (10 records).
fn small() -> Fixture {
    fixture(10, 4, 7)
}

fn json(bundle: &Bundle) -> Value {
    serde_json::from_str(&bundle.to_json()).unwrap()
}

fn read(value: &Value) -> Result<Bundle, BundleError> {
    Bundle::from_json(&value.to_string())
}

/// `x + r` (the scalar modulus) as 64 hex digits: the same residue, a non-canonical encoding.
fn plus_modulus(x: &Fr) -> String {
    let mut n = x.into_bigint();
    assert!(!n.add_with_carry(&Fr::MODULUS), "x + r < 2^256");
    format!("0x{}", hex::encode(n.to_bytes_be()))
}

#[test]
fn honest_bundle_verifies() {
    let f = small();
    let summary = verify(&f).expect("honest bundle");
    assert_eq!(summary.records, 10);
    assert_eq!(summary.chunks, 3);
    assert_eq!(summary.root, f.root);
    assert!(summary
        .to_string()
        .starts_with("OK: 10 records (3 chunks of 4, arity 4)"));
    // And through OS randomness.
    verify_bundle(&f.bundle, &f.vk, f.shape, &f.expected, Some(&f.backup))
        .expect("honest bundle, OsRng");
}

#[test]
fn one_record_and_full_last_chunk_verify() {
    let f = fixture(1, 1, 3);
    verify(&f).expect("one record");
    let f = fixture(8, 4, 5);
    verify(&f).expect("two full chunks");
    assert_eq!(f.bundle.chunks[1].public_inputs.count, Fr::from(4u64));
}

#[test]
fn json_round_trip_and_atomic_write() {
    let f = small();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bundle.json");
    write_bundle(&path, &f.bundle).unwrap();
    let back = read_bundle(&path).unwrap();
    assert_eq!(back, f.bundle);
    // Nothing but the bundle in the directory: the temporary file was renamed.
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(names.len(), 1);
    // Written lowercase, read in any case.
    let upper = f.bundle.to_json().replace("0x", "0X").to_uppercase();
    let upper = upper.replace("\"VERSION\"", "\"version\"");
    assert!(
        Bundle::from_json(&upper).is_err(),
        "field names are case-sensitive"
    );
    let mut v = json(&f.bundle);
    v["root"] = Value::String(to_hex(&f.root).to_uppercase().replacen("0X", "0x", 1));
    assert_eq!(read(&v).unwrap().root, f.root);
    // A missing file is an I/O error naming it.
    let err = read_bundle(&dir.path().join("missing.json")).unwrap_err();
    assert!(matches!(err, BundleError::Read { .. }));
    assert!(err.to_string().contains("missing.json"));
    // A file that is not a bundle is named, and the problem is its source.
    let bad = dir.path().join("bad.json");
    let mut v = json(&f.bundle);
    v["root"] = Value::String("0x12".into());
    std::fs::write(&bad, v.to_string()).unwrap();
    let err = read_bundle(&bad).unwrap_err();
    let BundleError::Invalid { path, source } = &err else {
        panic!("expected Invalid, got {err:?}");
    };
    assert_eq!(path, &bad);
    assert!(err.to_string().contains("bad.json"), "{err}");
    assert!(source.to_string().contains("root"), "{source}");
    assert!(
        !err.to_string().contains(&source.to_string()),
        "not repeated: {err}"
    );
}

#[test]
fn chain_binding_round_trips_and_is_validated() {
    let f = small();
    let mut bundle = f.bundle.clone();
    bundle.chain_id = Some(31337);
    bundle.contract = Some(format!("0x{}", "ab".repeat(20)));
    bundle.block = Some(123_456);
    assert_eq!(Bundle::from_json(&bundle.to_json()).unwrap(), bundle);
    let mut v = json(&bundle);
    v["contract"] = Value::String("0x1234".into());
    assert!(matches!(
        read(&v),
        Err(BundleError::HexLength { at, expected: 40, got: 4 }) if at.field == "contract"
    ));
    let mut g = small();
    g.bundle = bundle;
    let summary = g.verify().unwrap();
    // The chain binding is the bundle's claim: kept in the summary, never reported as checked.
    assert_eq!(
        (summary.chain_id, summary.block),
        (Some(31337), Some(123_456))
    );
    assert!(!summary.to_string().contains("31337"), "{summary}");
    assert!(!summary.to_string().contains("chain"), "{summary}");
}

// --- Reading: encodings, counts, versions -------------------------------------------------

#[test]
fn unknown_version_is_refused() {
    let f = small();
    let mut v = json(&f.bundle);
    v["version"] = Value::from(2);
    assert!(matches!(read(&v), Err(BundleError::UnsupportedVersion { found }) if found == "2"));
    v["version"] = Value::from("1");
    assert!(matches!(
        read(&v),
        Err(BundleError::UnsupportedVersion { .. })
    ));
    v.as_object_mut().unwrap().remove("version");
    assert!(matches!(read(&v), Err(BundleError::MissingVersion)));
    // A bundle built in memory with another version is refused by verify.
    let mut g = small();
    g.bundle.version = 2;
    assert_eq!(
        verify(&g),
        Err(VerifyError::UnsupportedVersion { found: 2 })
    );
}

#[test]
fn shape_errors_are_refused() {
    let f = small();
    let mut v = json(&f.bundle);
    v["extra"] = Value::from(1);
    let err = read(&v).unwrap_err();
    assert!(matches!(err, BundleError::Json(_)));
    // serde's message is the error's source (the CLI prints the chain), not its Display.
    let cause = |e: &BundleError| std::error::Error::source(e).unwrap().to_string();
    assert!(cause(&err).contains("extra"), "{err}");
    let mut v = json(&f.bundle);
    v.as_object_mut().unwrap().remove("root");
    assert!(cause(&read(&v).unwrap_err()).contains("root"));
    assert!(matches!(Bundle::from_json("{"), Err(BundleError::Json(_))));
    assert!(matches!(
        Bundle::from_json("[1]"),
        Err(BundleError::MissingVersion)
    ));
}

#[test]
fn wrong_counts_and_lengths_are_refused() {
    let f = small();
    let mut v = json(&f.bundle);
    v["chunks"][1]["public_inputs"]
        .as_array_mut()
        .unwrap()
        .pop();
    match read(&v) {
        Err(BundleError::ArrayLength {
            at,
            expected: 5,
            got: 4,
        }) => {
            assert_eq!(at.chunk, Some(1));
            assert_eq!(at.field, "public_inputs");
        }
        other => panic!("{other:?}"),
    }
    let mut v = json(&f.bundle);
    v["chunks"][2]["proof"]["b"].as_array_mut().unwrap().pop();
    assert!(matches!(
        read(&v),
        Err(BundleError::ArrayLength { at, expected: 2, got: 1 })
            if at.chunk == Some(2) && at.field == "proof.b"
    ));
    let mut v = json(&f.bundle);
    v["chunks"][0]["proof"]["a"]
        .as_array_mut()
        .unwrap()
        .push(Value::from("0x00"));
    assert!(matches!(read(&v), Err(BundleError::ArrayLength { at, .. }) if at.field == "proof.a"));
    let mut v = json(&f.bundle);
    let short = &v["commitment"].as_str().unwrap()[..65];
    v["commitment"] = Value::from(short.to_owned());
    assert!(matches!(
        read(&v),
        Err(BundleError::HexLength { at, expected: 64, got: 63 }) if at.field == "commitment"
    ));
    let mut v = json(&f.bundle);
    v["key_commitment"] = Value::from("12".repeat(32));
    assert!(matches!(
        read(&v),
        Err(BundleError::MissingHexPrefix { .. })
    ));
    let mut v = json(&f.bundle);
    v["chunks"][0]["proof"]["c"][1] = Value::from(format!("0x{}", "z".repeat(64)));
    assert!(matches!(
        read(&v),
        Err(BundleError::NotHex { at }) if at.chunk == Some(0) && at.field == "proof.c[1]"
    ));
    let mut v = json(&f.bundle);
    v["circuit_id"] = Value::from("0xabcd");
    assert!(matches!(read(&v), Err(BundleError::HexLength { at, .. }) if at.field == "circuit_id"));
}

#[test]
fn public_input_plus_modulus_is_refused_not_reduced() {
    let f = small();
    for (i, name) in PUBLIC_INPUT_NAMES.iter().enumerate() {
        let mut v = json(&f.bundle);
        let x = f.bundle.chunks[1].public_inputs.to_inputs()[i];
        v["chunks"][1]["public_inputs"][i] = Value::from(plus_modulus(&x));
        match read(&v) {
            Err(BundleError::NonCanonical { at, field, .. }) => {
                assert_eq!(at.chunk, Some(1));
                assert_eq!(at.field, format!("public_inputs[{i}] ({name})"));
                assert_eq!(field, FieldKind::Scalar);
            }
            other => panic!("input {i}: {other:?}"),
        }
    }
    let mut v = json(&f.bundle);
    v["root"] = Value::from(plus_modulus(&f.root));
    assert!(matches!(read(&v), Err(BundleError::NonCanonical { at, .. }) if at.field == "root"));
    // A coordinate + the base-field modulus.
    let mut v = json(&f.bundle);
    let x = f.bundle.chunks[0].proof.a.x().unwrap();
    let mut n = x.into_bigint();
    assert!(!n.add_with_carry(&Fq::MODULUS));
    v["chunks"][0]["proof"]["a"][0] = Value::from(format!("0x{}", hex::encode(n.to_bytes_be())));
    assert!(matches!(
        read(&v),
        Err(BundleError::NonCanonical { at, field: FieldKind::Base, .. })
            if at.field == "proof.a[0]"
    ));
}

#[test]
fn flipped_proof_byte_is_refused() {
    let f = small();
    // A flipped hex digit in a coordinate: the point leaves the curve.
    for (point, index) in [("a", "0"), ("c", "1")] {
        let mut v = json(&f.bundle);
        let idx: usize = index.parse().unwrap();
        let s = v["chunks"][2]["proof"][point][idx]
            .as_str()
            .unwrap()
            .to_owned();
        let flipped = flip_last_digit(&s);
        v["chunks"][2]["proof"][point][idx] = Value::from(flipped);
        match read(&v) {
            Err(BundleError::NotOnCurve { at }) => {
                assert_eq!(at.chunk, Some(2));
                assert_eq!(at.field, format!("proof.{point}"));
            }
            other => panic!("{other:?}"),
        }
    }
    let mut v = json(&f.bundle);
    let s = v["chunks"][1]["proof"]["b"][0][1]
        .as_str()
        .unwrap()
        .to_owned();
    v["chunks"][1]["proof"]["b"][0][1] = Value::from(flip_last_digit(&s));
    assert!(matches!(read(&v), Err(BundleError::NotOnCurve { at }) if at.field == "proof.b"));
}

fn flip_last_digit(s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    let last = chars.last_mut().unwrap();
    *last = if *last == '0' { '1' } else { '0' };
    chars.into_iter().collect()
}

#[test]
fn altered_proof_point_on_the_curve_fails_verification() {
    // A valid group element that is not the proof's: reading succeeds, the check names the chunk.
    let mut f = small();
    let a = f.bundle.chunks[1].proof.a;
    f.bundle.chunks[1].proof.a = (a + G1Affine::generator()).into_affine();
    let bundle = Bundle::from_json(&f.bundle.to_json()).unwrap();
    f.bundle = bundle;
    assert_eq!(
        verify(&f),
        Err(VerifyError::InvalidProof { chunk: Some(1) })
    );
    // The proofs of two chunks exchanged (inputs kept): both fail, the first is named.
    let mut f = small();
    let p0 = f.bundle.chunks[0].proof.clone();
    f.bundle.chunks[0].proof = f.bundle.chunks[2].proof.clone();
    f.bundle.chunks[2].proof = p0;
    assert_eq!(
        verify(&f),
        Err(VerifyError::InvalidProof { chunk: Some(0) })
    );
}

#[test]
fn g2_point_outside_the_subgroup_is_refused() {
    let f = small();
    let point = g2_off_subgroup();
    let mut v = json(&f.bundle);
    v["chunks"][0]["proof"]["b"] = serde_json::json!([
        [to_hex(&point.x.c0), to_hex(&point.x.c1)],
        [to_hex(&point.y.c0), to_hex(&point.y.c1)]
    ]);
    match read(&v) {
        Err(BundleError::NotInSubgroup { at }) => {
            assert_eq!(at.chunk, Some(0));
            assert_eq!(at.field, "proof.b");
        }
        other => panic!("{other:?}"),
    }
    // The same point handed to the verifier directly.
    let mut proof = f.bundle.chunks[0].proof.clone();
    proof.b = point;
    let pvk = prepare_verifying_key(&f.vk);
    let inputs = f.bundle.chunks[0].public_inputs.to_inputs();
    assert_eq!(
        verify_chunk(&pvk, &inputs, &proof),
        Err(VerifyError::InvalidPoint {
            chunk: None,
            point: "b",
            problem: PointProblem::NotInSubgroup
        })
    );
    let items = vec![(inputs, f.bundle.chunks[1].proof.clone()), (inputs, proof)];
    assert_eq!(
        batch_verify(&pvk, &items, &mut rng()),
        Err(VerifyError::InvalidPoint {
            chunk: Some(1),
            point: "b",
            problem: PointProblem::NotInSubgroup
        })
    );
}

/// A point on the G2 twist but outside the order-r subgroup (the cofactor is large, so a
/// point from a random x is almost never in it).
fn g2_off_subgroup() -> G2Affine {
    let mut rng = rng();
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
fn point_off_the_curve_given_directly_is_refused() {
    let f = small();
    let pvk = prepare_verifying_key(&f.vk);
    let inputs = f.bundle.chunks[0].public_inputs.to_inputs();
    let mut proof = f.bundle.chunks[0].proof.clone();
    proof.c = G1Affine::new_unchecked(proof.c.x, proof.c.y + Fq::ONE);
    assert_eq!(
        verify_chunk(&pvk, &inputs, &proof),
        Err(VerifyError::InvalidPoint {
            chunk: None,
            point: "c",
            problem: PointProblem::NotOnCurve
        })
    );
}

// --- Verification: statement, chunking, per-chunk values, recombination --------------------

#[test]
fn wrong_circuit_id_is_refused() {
    let mut f = small();
    f.bundle.circuit_id = format!("0x{}", "00".repeat(32));
    assert!(
        matches!(verify(&f), Err(VerifyError::CircuitIdMismatch { found, .. }) if found == f.bundle.circuit_id)
    );
}

#[test]
fn wrong_verifying_key_is_refused() {
    let mut f = small();
    let other = setup(5, 99).vk;
    let check = |bundle: &Bundle, vk: &VerifyingKey<Bn254>| {
        verify_bundle_with_rng(
            bundle,
            vk,
            f.shape,
            &f.expected,
            Some(&f.backup),
            &mut rng(),
        )
    };
    // The bundle names its circuit: another key is caught by the id.
    let err = check(&f.bundle, &other);
    assert!(
        matches!(err, Err(VerifyError::CircuitIdMismatch { expected, .. }) if expected == circuit_id(&other))
    );
    // Even with the id rewritten to the other key's, the proofs do not verify.
    f.bundle.circuit_id = circuit_id(&other);
    let err = check(&f.bundle, &other);
    assert_eq!(err, Err(VerifyError::InvalidProof { chunk: Some(0) }));
    // A key for another number of public inputs.
    let four = setup(4, 5).vk;
    f.bundle.circuit_id = circuit_id(&four);
    let err = check(&f.bundle, &four);
    assert_eq!(
        err,
        Err(VerifyError::PublicInputLength {
            expected: 5,
            got: 4
        })
    );
    let pvk = prepare_verifying_key(&f.vk);
    assert_eq!(
        verify_chunk(&pvk, &[Fr::ONE; 4], &f.bundle.chunks[0].proof),
        Err(VerifyError::PublicInputLength {
            expected: 5,
            got: 4
        })
    );
}

#[test]
fn chunk_count_mismatch_is_refused() {
    // Dropped last chunk.
    let mut f = small();
    f.bundle.chunks.pop();
    assert_eq!(
        verify(&f),
        Err(VerifyError::ChunkCount {
            holder: "bundle",
            expected: 3,
            found: 2
        })
    );
    // An extra chunk.
    let mut f = small();
    let mut extra = f.bundle.chunks[2].clone();
    extra.index = 3;
    f.bundle.chunks.push(extra);
    assert!(matches!(
        verify(&f),
        Err(VerifyError::ChunkCount {
            holder: "bundle",
            found: 4,
            ..
        })
    ));
    // The record count raised past a chunk boundary (bundle, backup and trusted size alike).
    let mut f = small();
    f.bundle.records = 13;
    f.backup.records = 13;
    f.expected.size = 13;
    assert!(matches!(
        verify(&f),
        Err(VerifyError::ChunkCount { expected: 4, .. })
    ));
    // The backup has a chunk fewer.
    let mut f = small();
    f.backup.chunks.pop();
    assert!(matches!(
        verify(&f),
        Err(VerifyError::ChunkCount {
            holder: "backup",
            ..
        })
    ));
}

#[test]
fn swapped_and_duplicated_chunks_are_refused() {
    let mut f = small();
    f.bundle.chunks.swap(0, 1);
    assert_eq!(
        verify(&f),
        Err(VerifyError::ChunkIndex {
            position: 0,
            found: 1
        })
    );
    // Swapped with the indices rewritten: chunk 0's nonce carries index 1.
    f.bundle.chunks[0].index = 0;
    f.bundle.chunks[1].index = 1;
    assert_eq!(
        verify(&f),
        Err(VerifyError::NonceIndex { chunk: 0, found: 1 })
    );
    // A duplicated chunk in place of another.
    let mut f = small();
    f.bundle.chunks[1] = f.bundle.chunks[0].clone();
    assert_eq!(
        verify(&f),
        Err(VerifyError::ChunkIndex {
            position: 1,
            found: 0
        })
    );
    // With its index rewritten: a duplicate nonce, refused as chunk 1 carrying index 0.
    f.bundle.chunks[1].index = 1;
    assert_eq!(
        verify(&f),
        Err(VerifyError::NonceIndex { chunk: 1, found: 0 })
    );
}

#[test]
fn per_chunk_inputs_are_checked_against_the_backup() {
    let mut rng = rng();
    // Each case: a *valid* proof of the altered inputs, so only the cross-check can catch it.
    type Alter = fn(&mut ChunkPublic);
    let cases: [(usize, Alter); 4] = [
        (2, |p| p.key_commitment += Fr::ONE),
        (1, |p| p.nonce += Fr::ONE),
        (2, |p| p.count = Fr::from(4u64)),
        (0, |p| p.chunk_commitment += Fr::ONE),
    ];
    for (case, (chunk, alter)) in cases.into_iter().enumerate() {
        let mut f = small();
        let entry = &mut f.bundle.chunks[chunk];
        alter(&mut entry.public_inputs);
        entry.proof = prove(&f.pk, &entry.public_inputs.to_inputs(), &mut rng);
        let err = verify(&f).unwrap_err();
        let ok = match case {
            0 => matches!(err, VerifyError::ChunkKeyCommitment { chunk: 2, .. }),
            1 => matches!(err, VerifyError::NonceIndex { chunk: 1, found: 2 }),
            2 => matches!(
                err,
                VerifyError::ChunkRecordCount {
                    chunk: 2,
                    expected: 2,
                    ..
                }
            ),
            _ => matches!(err, VerifyError::ChunkCommitment { chunk: 0, .. }),
        };
        assert!(ok, "case {case}: {err}");
    }
}

#[test]
fn another_backup_is_refused() {
    // The bundle of one backup against another backup of the same shape.
    let f = small();
    let g = fixture(10, 4, 8);
    let err = f.verify_with(&f.expected, Some(&g.backup));
    assert!(
        matches!(
            err,
            Err(VerifyError::HeaderMismatch {
                field: "key_commitment",
                ..
            })
        ),
        "{err:?}"
    );
    // Same key, other ciphertext: C differs.
    let mut backup = g.backup.clone();
    backup.key_commitment = f.backup.key_commitment;
    let err = f.verify_with(&f.expected, Some(&backup));
    assert!(matches!(
        err,
        Err(VerifyError::HeaderMismatch {
            field: "commitment",
            ..
        })
    ));
    // Header shape.
    for field in ["arity", "chunk_size", "records", "root"] {
        let mut f = small();
        match field {
            "arity" => f.backup.arity = 3,
            "chunk_size" => f.backup.chunk_size = 8,
            "records" => f.backup.records = 9,
            _ => f.backup.root += Fr::ONE,
        }
        assert!(
            matches!(verify(&f), Err(VerifyError::HeaderMismatch { field: x, .. }) if x == field)
        );
    }
    let mut f = small();
    f.backup.chunks[1].count = 3;
    assert!(matches!(
        verify(&f),
        Err(VerifyError::BackupInconsistent { .. })
    ));
}

#[test]
fn bad_chunk_size_and_empty_bundle_are_refused() {
    let mut f = small();
    f.bundle.chunk_size = 3;
    f.backup.chunk_size = 3;
    f.shape.chunk_size = 3;
    assert_eq!(
        verify(&f),
        Err(VerifyError::InvalidChunkSize { chunk_size: 3 })
    );
    let mut f = small();
    f.bundle.records = 0;
    f.backup.records = 0;
    assert_eq!(verify(&f), Err(VerifyError::NoRecords));
}

#[test]
fn recombination_is_checked() {
    let mut rng = rng();
    // A valid proof for another chunk root: the chunk roots no longer make R.
    let mut f = small();
    let entry = &mut f.bundle.chunks[1];
    entry.public_inputs.chunk_root += Fr::ONE;
    entry.proof = prove(&f.pk, &entry.public_inputs.to_inputs(), &mut rng);
    assert!(
        matches!(verify(&f), Err(VerifyError::RecombinedRootMismatch { bundle, .. }) if bundle == f.root)
    );
    // A C in bundle and backup headers that is not the chunk commitments' root.
    let mut f = small();
    f.bundle.commitment += Fr::ONE;
    f.backup.commitment += Fr::ONE;
    assert!(matches!(
        verify(&f),
        Err(VerifyError::RecombinedCommitmentMismatch { .. })
    ));
}

#[test]
fn wrong_root_is_refused() {
    let f = small();
    let other = f.root + Fr::ONE;
    let expected = Expected {
        root: other,
        ..f.expected
    };
    assert_eq!(
        f.verify_with(&expected, Some(&f.backup)),
        Err(VerifyError::StateRootMismatch {
            expected: other,
            found: f.root
        })
    );
    // A whole honest bundle and backup of another state, checked against our root.
    let g = fixture(10, 4, 11);
    let expected = Expected {
        root: f.root,
        ..g.expected
    };
    let err = g.verify_with(&expected, Some(&g.backup));
    assert!(matches!(err, Err(VerifyError::StateRootMismatch { .. })));
}

#[test]
fn error_messages_name_chunk_and_check() {
    let mut f = small();
    f.bundle.chunks[1].public_inputs.nonce += Fr::ONE;
    let msg = verify(&f).unwrap_err().to_string();
    assert!(
        msg.starts_with("chunk 1: the nonce's chunk index (low 32 bits) is 2, must be 1"),
        "{msg}"
    );
    let msg = VerifyError::InvalidProof { chunk: Some(4) }.to_string();
    assert_eq!(
        msg,
        "chunk 4: the proof does not verify against its public inputs"
    );
}

// --- Batch verification --------------------------------------------------------------------

#[test]
fn batch_and_single_agree_and_batch_names_the_failing_chunk() {
    let f = fixture(24, 1, 21);
    let pvk = prepare_verifying_key(&f.vk);
    let mut items: Vec<([Fr; 5], Proof<Bn254>)> = f
        .bundle
        .chunks
        .iter()
        .map(|c| (c.public_inputs.to_inputs(), c.proof.clone()))
        .collect();
    for (x, p) in &items {
        verify_chunk(&pvk, x, p).unwrap();
    }
    batch_verify(&pvk, &items, &mut rng()).unwrap();
    batch_verify(&pvk, &items[..1], &mut rng()).unwrap();
    batch_verify::<[Fr; 5], Proof<Bn254>, _>(&pvk, &[], &mut rng()).unwrap();
    // One wrong input among 24.
    items[17].0[3] += Fr::ONE;
    assert_eq!(
        verify_chunk(&pvk, &items[17].0, &items[17].1),
        Err(VerifyError::InvalidProof { chunk: None })
    );
    assert_eq!(
        batch_verify(&pvk, &items, &mut rng()),
        Err(VerifyError::InvalidProof { chunk: Some(17) })
    );
    // Two proofs whose errors would cancel in an unweighted sum: C_i shifted by ±G.
    let mut items: Vec<([Fr; 5], Proof<Bn254>)> = f
        .bundle
        .chunks
        .iter()
        .map(|c| (c.public_inputs.to_inputs(), c.proof.clone()))
        .collect();
    let g = G1Projective::from(G1Affine::generator());
    items[3].1.c = (items[3].1.c + g).into_affine();
    items[5].1.c = (items[5].1.c - g).into_affine();
    assert_eq!(
        batch_verify(&pvk, &items, &mut rng()),
        Err(VerifyError::InvalidProof { chunk: Some(3) })
    );
    // Wrong number of inputs in one item.
    let short: Vec<(Vec<Fr>, &Proof<Bn254>)> = vec![
        (vec![Fr::ONE; 5], &items[0].1),
        (vec![Fr::ONE; 6], &items[1].1),
    ];
    assert_eq!(
        batch_verify(&pvk, &short, &mut rng()),
        Err(VerifyError::PublicInputLength {
            expected: 5,
            got: 6
        })
    );
}

// --- Keys ------------------------------------------------------------------------------------

#[test]
fn verifying_key_files() {
    let f = small();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vk.bin");
    write_verifying_key(&path, &f.vk).unwrap();
    let vk = read_verifying_key(&path).unwrap();
    assert_eq!(vk, f.vk);
    assert_eq!(circuit_id(&vk), f.bundle.circuit_id);
    assert!(circuit_id(&vk).len() == 66 && circuit_id(&vk).starts_with("0x"));

    let bytes = verifying_key_to_bytes(&f.vk);
    let truncated = verifying_key_from_bytes(&bytes[..bytes.len() - 1], &path);
    assert!(matches!(
        truncated,
        Err(KeyError::Length { declared: 6, .. })
    ));
    let truncated = verifying_key_from_bytes(&bytes[..100], &path);
    assert!(matches!(truncated, Err(KeyError::Invalid { .. })));
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(
        verifying_key_from_bytes(&longer, &path),
        Err(KeyError::TrailingBytes { extra: 1, .. })
    ));
    // A flipped byte in the first point (alpha): refused, never a panic.
    let mut flipped = bytes.clone();
    flipped[3] ^= 0x40;
    assert!(verifying_key_from_bytes(&flipped, &path).is_err());
    // An IC point rewritten as infinity (flag 0x40 in its last byte) while its coordinate
    // bytes stay set: arkworks reads it as infinity; it is not the key's encoding. Found by
    // `parsers::vk_mutations_are_refused_or_canonical` on the old code, which accepted it.
    let ic0 = 32 + 3 * 64 + 8;
    let mut infinity_with_bytes = bytes.clone();
    infinity_with_bytes[ic0 + 31] = 0x40;
    assert!(matches!(
        verifying_key_from_bytes(&infinity_with_bytes, &path),
        Err(KeyError::NonCanonical { .. })
    ));
    // delta at infinity (canonical: all bytes zero but the flag): every proof would verify.
    let mut degenerate = f.vk.clone();
    degenerate.delta_g2 = Default::default();
    let err = verifying_key_from_bytes(&verifying_key_to_bytes(&degenerate), &path).unwrap_err();
    assert!(matches!(
        err,
        KeyError::Degenerate {
            point: "delta_g2",
            ..
        }
    ));
    assert!(err.to_string().contains("vk.bin"));
    let err = read_verifying_key(&dir.path().join("none")).unwrap_err();
    assert!(matches!(err, KeyError::Read { .. }));
    assert!(err.to_string().contains("none"));
}

// --- A real backup file --------------------------------------------------------------------

#[test]
fn summary_of_a_real_backup_verifies() {
    use zkbackup_core::lean_imt;
    use zkbackup_core::EscrowKey;
    use zkbackup_formats::backup::Backup;
    use zkbackup_formats::records::{RecordFormat, Records};

    let mut rng = rng();
    let fields: Vec<Fr> = (0..10 * 4).map(|_| Fr::rand(&mut rng)).collect();
    let records = Records::new(4, fields).unwrap();
    let key = EscrowKey::generate_with(&mut rng);
    let backup = Backup::create_with_lineage(&records, RecordFormat::Csv, &key, 4, 77).unwrap();
    let summary = BackupSummary::from_backup(&backup);
    assert_eq!(summary.records, 10);
    assert_eq!(summary.chunks.len(), 3);
    assert_eq!(
        summary.chunks.iter().map(|c| c.count).collect::<Vec<_>>(),
        [4, 4, 2]
    );
    for (ours, theirs) in summary.chunks.iter().zip(backup.chunks()) {
        assert_eq!(ours.commitment, theirs.commitment);
        assert_eq!(ours.nonce, theirs.nonce);
    }

    // Toy proofs of the backup's true public values.
    let pk = setup(5, 1);
    let roots = lean_imt::chunk_roots(&records.leaves(), 4).unwrap();
    let chunks = summary
        .chunks
        .iter()
        .zip(&roots)
        .enumerate()
        .map(|(j, (c, root))| {
            let public_inputs = ChunkPublic {
                chunk_root: *root,
                chunk_commitment: c.commitment,
                key_commitment: key.commitment(),
                nonce: Fr::from(c.nonce),
                count: Fr::from(c.count),
            };
            let proof = prove(&pk, &public_inputs.to_inputs(), &mut rng);
            ChunkProof {
                index: j,
                public_inputs,
                proof,
            }
        })
        .collect();
    let bundle = Bundle {
        version: BUNDLE_VERSION,
        circuit_id: circuit_id(&pk.vk),
        chain_id: None,
        contract: None,
        block: None,
        arity: 4,
        chunk_size: 4,
        records: 10,
        root: backup.root(),
        commitment: backup.commitment(),
        key_commitment: backup.key_commitment(),
        chunks,
    };
    let shape = ChunkShape {
        arity: 4,
        chunk_size: 4,
    };
    let expected = Expected {
        root: records.root(),
        size: 10,
        key_commitment: key.commitment(),
    };
    let ok = verify_bundle_with_rng(&bundle, &pk.vk, shape, &expected, Some(&summary), &mut rng)
        .unwrap();
    assert_eq!((ok.lineage, ok.generation), (77, 0));
    assert!(ok.backup_checked);
    assert_eq!(ok.root, records.root());
    // Another key's backup of the same records: refused on K.
    let other = Backup::create_with_lineage(
        &records,
        RecordFormat::Csv,
        &EscrowKey::generate_with(&mut rng),
        4,
        77,
    )
    .unwrap();
    let err = verify_bundle_with_rng(
        &bundle,
        &pk.vk,
        shape,
        &expected,
        Some(&BackupSummary::from_backup(&other)),
        &mut rng,
    );
    assert!(matches!(
        err,
        Err(VerifyError::HeaderMismatch {
            field: "key_commitment",
            ..
        })
    ));
}

/// An incremental backup (a real file's summary: chunks 0 and 2 of version 0 copied from
/// the parent, chunk 1 of version 1) with toy proofs of its true public values verifies
/// against the file, and the summary reports the lineage and generation 1; the parent's
/// file is refused for the child's bundle (chunk 1's nonce is not the parent's).
#[test]
fn an_incremental_backup_with_mixed_versions_verifies() {
    use zkbackup_core::lean_imt;
    use zkbackup_core::EscrowKey;
    use zkbackup_formats::backup::Backup;
    use zkbackup_formats::claims::ClaimsLedger;
    use zkbackup_formats::records::{RecordFormat, Records};

    let mut rng = rng();
    let mut fields: Vec<Fr> = (0..10 * 4).map(|_| Fr::rand(&mut rng)).collect();
    let key = EscrowKey::generate_with(&mut rng);
    let parent = Backup::create_with_lineage(
        &Records::new(4, fields.clone()).unwrap(),
        RecordFormat::Csv,
        &key,
        4,
        0x5eed,
    )
    .unwrap();
    fields[5 * 4] += Fr::ONE; // record 5: chunk 1
    let records = Records::new(4, fields).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let claims = ClaimsLedger::beside_key(&dir.path().join("key.json"));
    let (child, changes) =
        Backup::update(&parent, &records, RecordFormat::Csv, &key, &claims).unwrap();
    assert_eq!(changes.changed, vec![1]);
    let summary = BackupSummary::from_backup(&child);

    let pk = setup(5, 1);
    let roots = lean_imt::chunk_roots(&records.leaves(), 4).unwrap();
    let chunks = summary
        .chunks
        .iter()
        .zip(&roots)
        .enumerate()
        .map(|(j, (c, root))| {
            let public_inputs = ChunkPublic {
                chunk_root: *root,
                chunk_commitment: c.commitment,
                key_commitment: key.commitment(),
                nonce: Fr::from(c.nonce),
                count: Fr::from(c.count),
            };
            let proof = prove(&pk, &public_inputs.to_inputs(), &mut rng);
            ChunkProof {
                index: j,
                public_inputs,
                proof,
            }
        })
        .collect();
    let bundle = Bundle {
        version: BUNDLE_VERSION,
        circuit_id: circuit_id(&pk.vk),
        chain_id: None,
        contract: None,
        block: None,
        arity: 4,
        chunk_size: 4,
        records: 10,
        root: child.root(),
        commitment: child.commitment(),
        key_commitment: child.key_commitment(),
        chunks,
    };
    let shape = ChunkShape {
        arity: 4,
        chunk_size: 4,
    };
    let expected = Expected {
        root: records.root(),
        size: 10,
        key_commitment: key.commitment(),
    };
    let ok = verify_bundle_with_rng(&bundle, &pk.vk, shape, &expected, Some(&summary), &mut rng)
        .unwrap();
    assert_eq!((ok.lineage, ok.generation), (0x5eed, 1));
    assert!(ok.backup_checked);
    // The parent's file for the child's bundle: refused (its header's C and R differ first).
    let err = verify_bundle_with_rng(
        &bundle,
        &pk.vk,
        shape,
        &expected,
        Some(&BackupSummary::from_backup(&parent)),
        &mut rng,
    );
    assert!(
        matches!(err, Err(VerifyError::HeaderMismatch { .. })),
        "{err:?}"
    );
}
