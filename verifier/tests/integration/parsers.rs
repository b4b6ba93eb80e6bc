//! Hostile files against the verifier's readers: the proof bundle (JSON) and the verifying
//! key (`vk.bin`, arkworks compressed).
//!
//! Property tests feed random bytes and mutations of valid files and assert an error, never
//! a panic; what does read is re-encoded to the same bytes (one encoding per value). A
//! verifying key whose point count exceeds the file is refused before the points are read.

use crate::common;

use ark_bn254::Bn254;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use std::path::Path;
use std::sync::OnceLock;
use zkbackup_tests::mutation::Mutation;
use zkbackup_verifier::keys::{verifying_key_from_bytes, verifying_key_to_bytes};
use zkbackup_verifier::{Bundle, KeyError, VerifyingKey};

/// An honest bundle (3 chunks of 4, the last partial) and its verifying key, made once.
fn sample() -> &'static (String, VerifyingKey<Bn254>) {
    static SAMPLE: OnceLock<(String, VerifyingKey<Bn254>)> = OnceLock::new();
    SAMPLE.get_or_init(|| {
        let f = common::fixture(10, 4, 7);
        (f.bundle.to_json(), f.vk)
    })
}

fn vk_path() -> &'static Path {
    Path::new("hostile-vk.bin")
}

/// Where `vk.bin` keeps its count of `gamma_abc_g1` points: after one compressed G1 point
/// and three compressed G2 points.
const COUNT_OFFSET: usize = 32 + 3 * 64;

/// Edits drawing new bytes from `alphabet`, plus bit flips anywhere.
fn mutation(alphabet: &'static [u8]) -> impl Strategy<Value = Mutation> {
    let byte = prop::sample::select(alphabet);
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, mask)| Mutation::Flip { at, mask }),
        (any::<usize>(), byte.clone()).prop_map(|(at, byte)| Mutation::Insert { at, byte }),
        any::<usize>().prop_map(|at| Mutation::Delete { at }),
        any::<usize>().prop_map(|len| Mutation::Truncate { len }),
        (any::<usize>(), prop::collection::vec(byte, 1..8))
            .prop_map(|(at, bytes)| Mutation::Overwrite { at, bytes }),
    ]
}

const ANY_BYTE: &[u8] = &{
    let mut all = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        all[i] = i as u8;
        i += 1;
    }
    all
};

/// Characters a bundle is made of, so that edits get past the JSON parser often.
const JSON_BYTES: &[u8] = b"0123456789abcdefABCDEFx\"[]{},: \n-.e+nulltrue";

/// Bundle text that reads must re-encode to a bundle that reads equal.
fn assert_bundle_consistent(text: &str) -> Result<(), TestCaseError> {
    if let Ok(bundle) = Bundle::from_json(text) {
        let again = Bundle::from_json(&bundle.to_json()).unwrap();
        prop_assert_eq!(again, bundle);
    }
    Ok(())
}

/// `cases` cases per property, failures saved to (and replayed from) the committed
/// `proptest-regressions/parsers.txt` of this crate.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/parsers.txt",
        ))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(128))]

    /// Random text and random JSON-like text are refused.
    #[test]
    fn bundle_random_text_is_refused(
        text in ".{0,300}",
        json in "[{}\\[\\]\",:0-9a-fx \n]{0,300}",
    ) {
        prop_assert!(Bundle::from_json(&text).is_err());
        prop_assert!(Bundle::from_json(&json).is_err());
    }

    /// Edited bundles are refused, or read as a bundle that re-encodes consistently.
    #[test]
    fn bundle_mutations_are_refused_or_consistent(
        edits in prop::collection::vec(mutation(JSON_BYTES), 1..5),
    ) {
        let (text, _) = sample();
        let mut bytes = text.as_bytes().to_vec();
        for edit in &edits {
            edit.apply(&mut bytes);
        }
        if let Ok(text) = std::str::from_utf8(&bytes) {
            assert_bundle_consistent(text)?;
        }
    }

    /// The bundle's counts and indices set to edge values: read (they are the verifier's
    /// to judge) or refused, never a panic or an allocation of what they claim.
    #[test]
    fn bundle_counts_are_only_read(
        field in prop::sample::select(vec!["arity", "chunk_size", "records", "version", "chain_id", "block"]),
        value in prop_oneof![
            Just(serde_json::json!(0)),
            Just(serde_json::json!(u64::MAX)),
            Just(serde_json::json!(-1)),
            Just(serde_json::json!(1e300)),
            Just(serde_json::json!("4")),
            Just(serde_json::json!(null)),
            any::<u64>().prop_map(|v| serde_json::json!(v)),
        ],
        index in prop_oneof![Just(u64::MAX), any::<u64>()],
    ) {
        let (text, _) = sample();
        let mut v: serde_json::Value = serde_json::from_str(text).unwrap();
        v[field] = value;
        v["chunks"][0]["index"] = serde_json::json!(index);
        assert_bundle_consistent(&v.to_string())?;
    }

    /// Random bytes are not a verifying key.
    #[test]
    fn vk_random_bytes_are_refused(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        prop_assert!(verifying_key_from_bytes(&bytes, vk_path()).is_err());
    }

    /// Edited keys are refused, or (an edit that keeps every point valid) read as a key
    /// with exactly those bytes.
    #[test]
    fn vk_mutations_are_refused_or_canonical(
        edits in prop::collection::vec(mutation(ANY_BYTE), 1..4),
    ) {
        let (_, vk) = sample();
        let mut bytes = verifying_key_to_bytes(vk);
        for edit in &edits {
            edit.apply(&mut bytes);
        }
        if let Ok(read) = verifying_key_from_bytes(&bytes, vk_path()) {
            prop_assert_eq!(verifying_key_to_bytes(&read), bytes);
        }
    }

    /// The point count rewritten: refused before reading when the file is too short for it,
    /// refused anyway unless it is the true count.
    #[test]
    fn vk_point_count_is_checked_against_the_file(
        count in prop_oneof![Just(u64::MAX), Just(u64::MAX / 32), Just(0u64), 0u64..20, any::<u64>()],
    ) {
        let (_, vk) = sample();
        let mut bytes = verifying_key_to_bytes(vk);
        bytes[COUNT_OFFSET..COUNT_OFFSET + 8].copy_from_slice(&count.to_le_bytes());
        let result = verifying_key_from_bytes(&bytes, vk_path());
        let fits = (COUNT_OFFSET + 8) as u128 + u128::from(count) * 32 <= bytes.len() as u128;
        match result {
            Err(KeyError::Length { declared, actual, .. }) => {
                prop_assert!(!fits);
                prop_assert_eq!((declared, actual), (count, bytes.len()));
            }
            Err(_) => prop_assert!(fits && count != 6),
            Ok(read) => prop_assert_eq!(&read, vk),
        }
    }
}

proptest! {
    // Each case runs a (toy) Groth16 setup.
    #![proptest_config(config(12))]

    /// Honest bundles round-trip through their text.
    #[test]
    fn bundle_round_trips(records in 1u64..12, log_chunk in 0u32..3, seed in 0u64..4) {
        let f = common::fixture(records, 1 << log_chunk, seed);
        prop_assert_eq!(Bundle::from_json(&f.bundle.to_json()).unwrap(), f.bundle);
        let bytes = verifying_key_to_bytes(&f.vk);
        prop_assert_eq!(verifying_key_from_bytes(&bytes, vk_path()).unwrap(), f.vk);
    }
}

/// A key claiming `2^64 − 1` points in 232 bytes is named as such, with the file.
#[test]
fn vk_with_an_impossible_count_names_the_file() {
    let (_, vk) = sample();
    let mut bytes = verifying_key_to_bytes(vk)[..COUNT_OFFSET + 8].to_vec();
    bytes[COUNT_OFFSET..].copy_from_slice(&u64::MAX.to_le_bytes());
    let err = verifying_key_from_bytes(&bytes, vk_path()).unwrap_err();
    assert!(
        matches!(
            err,
            KeyError::Length {
                declared: u64::MAX,
                actual: 232,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "hostile-vk.bin declares {} gamma_abc_g1 points, {} bytes of key, but has 232 bytes",
            u64::MAX,
            232 + u128::from(u64::MAX) * 32
        )
    );
}
