//! Hostile files against every reader of this crate: the backup file, the key file and the
//! records files (CSV and JSON Lines).
//!
//! - Files that lie about their lengths are refused before anything is allocated for them
//!   (checked in a child process under `ulimit -v`, so a regression aborts the child, not
//!   the machine).
//! - Property tests feed random bytes and mutations of valid files (bytes flipped, inserted,
//!   deleted, truncated; header fields rewritten with the trailer re-hashed so that the
//!   integrity check passes) and assert an error, never a panic, and never restored records
//!   other than the ones backed up. Valid files read back equal and round-trip.

use ark_bn254::Fr;
use ark_ff::UniformRand;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use rand::{rngs::StdRng, SeedableRng};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::OnceLock;
use zkbackup_core::EscrowKey;
use zkbackup_formats::backup::{Backup, BackupError, HEADER_LEN, MAGIC, TRAILER_LEN, VERSION};
use zkbackup_formats::claims::ClaimsLedger;
use zkbackup_formats::key_file::KeyFileError;
use zkbackup_formats::key_file::MAX_KEY_FILE_LEN;
use zkbackup_formats::records::{RecordFormat, Records, RecordsError};
use zkbackup_formats::KeyFile;
use zkbackup_tests::mutation::Mutation;

fn p() -> &'static Path {
    Path::new("hostile.zkb")
}

/// Replaces the trailer (length and SHA-256) of `bytes`, or appends one to content that has
/// none yet: what an attacker does after editing a file.
fn reseal(content: &[u8]) -> Vec<u8> {
    let mut out = content.to_vec();
    let total = (out.len() + TRAILER_LEN) as u64;
    out.extend_from_slice(&total.to_be_bytes());
    let digest = Sha256::digest(&out);
    out.extend_from_slice(&digest);
    out
}

fn content(file: &[u8]) -> &[u8] {
    &file[..file.len() - TRAILER_LEN]
}

// ------------------------------------------------------------------------------------------
// Lengths checked before allocating, under a memory limit

/// The address-space limit of the child processes, in KiB: far below what a reader that
/// trusts a length field would allocate (16 GiB for the backup below).
const CHILD_MEMORY_KIB: u64 = 2 << 20;
const CHILD_ENV: &str = "ZKBACKUP_PARSERS_LIMITED_CHILD";

/// Runs `body` in a child process limited to [`CHILD_MEMORY_KIB`] of address space
/// (`zkbackup_tests::memory_limit`).
fn with_memory_limit(name: &str, body: impl FnOnce()) {
    zkbackup_tests::memory_limit::with_memory_limit(name, CHILD_ENV, CHILD_MEMORY_KIB, body);
}

/// The 180-byte file of issue 9: a header claiming `2^32 − 1` chunks of one record (and as
/// many records), no chunk, and a valid trailer. The old reader built a table of `2^32 − 1`
/// chunk lengths (16 GiB) before comparing the layout with the file's size, and aborted.
fn hostile_chunk_count_file() -> Vec<u8> {
    let mut header = Vec::with_capacity(HEADER_LEN);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&VERSION.to_be_bytes());
    header.extend_from_slice(&[0, 1, 0, 0]); // CSV, arity 1, reserved
    header.extend_from_slice(&1u32.to_be_bytes()); // chunk size
    header.extend_from_slice(&u32::MAX.to_be_bytes()); // chunk count
    header.extend_from_slice(&u64::from(u32::MAX).to_be_bytes()); // records
    header.extend_from_slice(&[0; 12]); // lineage and generation
    header.extend_from_slice(&[0; 3 * 32]); // R, K, C
    assert_eq!(header.len(), HEADER_LEN);
    let file = reseal(&header);
    assert_eq!(file.len(), 180);
    file
}

#[test]
fn hostile_chunk_count_is_refused_before_allocating() {
    with_memory_limit("hostile_chunk_count_is_refused_before_allocating", || {
        let file = hostile_chunk_count_file();
        let err = Backup::from_bytes(&file, p()).unwrap_err();
        match &err {
            BackupError::SizeMismatch {
                path,
                described,
                actual: 180,
            } => {
                assert_eq!(path, p());
                // 2^32 − 1 chunks of 24 + 32·(3 + 2) bytes, header and trailer.
                assert_eq!(*described, 180 + u128::from(u32::MAX) * 184);
            }
            other => panic!("{other:?}"),
        }
        assert!(
            err.to_string().starts_with(
                "hostile.zkb: invalid backup: the header describes a file of 790273982460 bytes, \
                 the file has 180"
            ),
            "{err}"
        );
        // The same through the file system.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hostile.zkb");
        std::fs::write(&path, &file).unwrap();
        let err = Backup::read(&path).unwrap_err();
        assert!(
            matches!(&err, BackupError::SizeMismatch { path: named, .. } if *named == path),
            "{err}"
        );
    });
}

/// Every count at its largest, with sizes that overflow a `u64` if summed naively.
#[test]
fn largest_counts_do_not_overflow() {
    with_memory_limit("largest_counts_do_not_overflow", || {
        for (arity, chunk_size, chunks, records) in [
            (16u8, 1u32 << 27, u32::MAX, u64::from(u32::MAX) << 27),
            (1, 1 << 31, u32::MAX, (u64::from(u32::MAX) << 31) - 5),
            (16, 1, u32::MAX, u64::from(u32::MAX)),
            (1, 1, 1, 1),
        ] {
            let mut header = hostile_chunk_count_file()[..HEADER_LEN].to_vec();
            header[13] = arity;
            header[16..20].copy_from_slice(&chunk_size.to_be_bytes());
            header[20..24].copy_from_slice(&chunks.to_be_bytes());
            header[24..32].copy_from_slice(&records.to_be_bytes());
            let err = Backup::from_bytes(&reseal(&header), p()).unwrap_err();
            assert!(
                matches!(err, BackupError::SizeMismatch { actual: 180, .. }),
                "{err}"
            );
        }
    });
}

/// A records file of one wide record and then millions of blank lines: the old parser
/// allocated 512 bytes of field elements per byte of newline (16 GiB for these 32 MiB)
/// before finding the blank line.
#[test]
fn records_blank_lines_cost_no_memory() {
    with_memory_limit("records_blank_lines_cost_no_memory", || {
        let mut text = vec!["1"; 16].join(",").into_bytes();
        text.resize(text.len() + (32 << 20), b'\n');
        text.extend_from_slice(vec!["1"; 16].join(",").as_bytes());
        let err = Records::parse(&text, RecordFormat::Csv, "big.csv").unwrap_err();
        assert!(
            matches!(err, RecordsError::BlankLine { line: 2, .. }),
            "{err}"
        );
        // Short lines of another kind: a one-value line after a line of 16.
        let mut text = "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]\n".to_string();
        text.push_str(&"[1]\n".repeat(8 << 20));
        let err =
            Records::parse(text.as_bytes(), RecordFormat::JsonLines, "big.jsonl").unwrap_err();
        assert!(
            matches!(
                err,
                RecordsError::WrongArity {
                    line: 2,
                    expected: 16,
                    got: 1,
                    ..
                }
            ),
            "{err}"
        );
    });
}

#[test]
fn oversized_key_files_are_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("key.json");
    let key = EscrowKey::generate_with(&mut StdRng::seed_from_u64(1));
    // A valid key padded with whitespace to just over the limit.
    let mut text = key.to_json().to_string();
    text.push_str(&" ".repeat(MAX_KEY_FILE_LEN as usize + 1 - text.len()));
    std::fs::write(&path, &text).unwrap();
    let err = EscrowKey::read(&path).unwrap_err();
    assert!(
        matches!(&err, KeyFileError::TooLarge { path: named, len } if *named == path && *len == MAX_KEY_FILE_LEN + 1),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("too large for a zkbackup key file"),
        "{err}"
    );
    // At the limit it is read.
    text.pop();
    std::fs::write(&path, &text).unwrap();
    assert_eq!(EscrowKey::read(&path).unwrap(), key);
    // A device that never ends is refused after reading one byte past the limit.
    #[cfg(unix)]
    {
        let err = EscrowKey::read(Path::new("/dev/zero")).unwrap_err();
        assert!(
            matches!(err, KeyFileError::TooLarge { len, .. } if len == MAX_KEY_FILE_LEN + 1),
            "{err}"
        );
    }
}

// ------------------------------------------------------------------------------------------
// Property tests: backups

/// A small valid backup, its key and records: 5 records of arity 2 in chunks of 2, an
/// incremental backup (generation 1) whose chunks 0 and 2 are its parent's (nonce version
/// 0) and chunk 1 re-encrypted (version 1), so both nonce rules of v2 are exercised.
fn sample() -> &'static (Vec<u8>, EscrowKey, Records) {
    static SAMPLE: OnceLock<(Vec<u8>, EscrowKey, Records)> = OnceLock::new();
    SAMPLE.get_or_init(|| {
        let mut rng = StdRng::seed_from_u64(42);
        let key = EscrowKey::generate_with(&mut rng);
        let fields: Vec<Fr> = (0..10).map(|_| Fr::rand(&mut rng)).collect();
        let mut older = fields.clone();
        older[4] += Fr::from(1u64);
        let parent =
            Backup::create(&Records::new(2, older).unwrap(), RecordFormat::Csv, &key, 2).unwrap();
        let records = Records::new(2, fields).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let claims = ClaimsLedger::beside_key(&dir.path().join("key.json"));
        let (backup, changes) =
            Backup::update(&parent, &records, RecordFormat::Csv, &key, &claims).unwrap();
        assert_eq!((changes.changed, changes.unchanged), (vec![1], vec![0, 2]));
        (backup.to_bytes(), key, records)
    })
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, mask)| Mutation::Flip { at, mask }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Insert { at, byte }),
        any::<usize>().prop_map(|at| Mutation::Delete { at }),
        any::<usize>().prop_map(|len| Mutation::Truncate { len }),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..40))
            .prop_map(|(at, bytes)| Mutation::Overwrite { at, bytes }),
    ]
}

/// A value for a header integer: edge cases and random values.
fn edge_u64() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        Just(1),
        Just(2),
        Just(3),
        Just(4),
        Just(5),
        Just(6),
        Just(8),
        Just(16),
        Just(17),
        Just(u64::from(u32::MAX)),
        Just(u64::from(u32::MAX) + 1),
        Just(1 << 31),
        Just(u64::MAX),
        any::<u64>(),
    ]
}

/// The integer fields of the header and of chunk 0, as (offset, width in bytes).
const INTEGER_FIELDS: [(usize, usize); 11] = [
    (8, 4),               // version
    (12, 1),              // records format
    (13, 1),              // arity
    (16, 4),              // chunk size
    (20, 4),              // chunk count
    (24, 8),              // record count
    (32, 8),              // lineage
    (40, 4),              // generation
    (HEADER_LEN + 12, 4), // chunk 0 nonce version
    (HEADER_LEN, 4),      // chunk 0 index
    (HEADER_LEN + 20, 4), // chunk 0 length
];

/// What a reader may do with an edited file: refuse it at some step, or (for edits that
/// change nothing restore depends on) restore exactly the records backed up.
fn assert_refused_or_same(file: &[u8]) -> Result<(), TestCaseError> {
    let (_, key, records) = sample();
    let Ok(backup) = Backup::from_bytes(file, p()) else {
        return Ok(());
    };
    // Whatever was read, inspect's check and restore answer without panicking, and never
    // with other records.
    let _ = backup.verify_commitments(p());
    if let Ok(restored) = backup.restore_named(key, p()) {
        prop_assert_eq!(&restored, records);
        prop_assert!(backup.verify_commitments(p()).is_ok());
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
    #![proptest_config(config(256))]

    /// Random bytes, with or without the magic and a valid trailer, are refused.
    #[test]
    fn backup_random_bytes_are_refused(
        body in prop::collection::vec(any::<u8>(), 0..600),
        magic in any::<bool>(),
        sealed in any::<bool>(),
    ) {
        let mut bytes = body;
        if magic {
            let mut with = MAGIC.to_vec();
            with.extend_from_slice(&VERSION.to_be_bytes());
            with.extend_from_slice(&bytes);
            bytes = with;
        }
        if sealed {
            bytes = reseal(&bytes);
        }
        let err = Backup::from_bytes(&bytes, p());
        prop_assert!(err.is_err());
        if !sealed {
            prop_assert!(err.unwrap_err().is_integrity());
        }
    }

    /// Any edit of a valid file without re-hashing fails the integrity check.
    #[test]
    fn backup_mutations_fail_integrity(edits in prop::collection::vec(mutation(), 1..4)) {
        let (file, _, _) = sample();
        let mut bytes = file.clone();
        for edit in &edits {
            edit.apply(&mut bytes);
        }
        prop_assume!(bytes != *file);
        let err = Backup::from_bytes(&bytes, p()).unwrap_err();
        prop_assert!(err.is_integrity(), "{}", err);
    }

    /// Edits of the content with the trailer re-hashed (so integrity passes): refused by
    /// some later step, or harmless.
    #[test]
    fn backup_resealed_mutations_are_refused_or_harmless(
        edits in prop::collection::vec(mutation(), 1..4),
    ) {
        let (file, _, _) = sample();
        let mut bytes = content(file).to_vec();
        for edit in &edits {
            edit.apply(&mut bytes);
        }
        assert_refused_or_same(&reseal(&bytes))?;
    }

    /// Header and chunk length fields rewritten (one or several at once) with the trailer
    /// re-hashed: refused without allocating what they describe, or harmless.
    #[test]
    fn backup_length_fields_are_checked(
        edits in prop::collection::vec((0..INTEGER_FIELDS.len(), edge_u64()), 1..4),
    ) {
        let (file, _, _) = sample();
        let mut bytes = content(file).to_vec();
        for (field, value) in edits {
            let (offset, width) = INTEGER_FIELDS[field];
            bytes[offset..offset + width].copy_from_slice(&value.to_be_bytes()[8 - width..]);
        }
        assert_refused_or_same(&reseal(&bytes))?;
    }

    /// Valid backups of every shape read back equal, pass the commitment check and restore
    /// their records.
    #[test]
    fn backup_round_trips(
        arity in 1usize..=16,
        n in 1usize..=12,
        log_chunk in 0u32..=3,
        seed in any::<u64>(),
        jsonl in any::<bool>(),
    ) {
        let mut rng = StdRng::seed_from_u64(seed);
        let key = EscrowKey::generate_with(&mut rng);
        let fields: Vec<Fr> = (0..n * arity).map(|_| Fr::rand(&mut rng)).collect();
        let records = Records::new(arity, fields).unwrap();
        let format = if jsonl { RecordFormat::JsonLines } else { RecordFormat::Csv };
        let backup = Backup::create(&records, format, &key, 1 << log_chunk).unwrap();
        let bytes = backup.to_bytes();
        prop_assert_eq!(bytes.len(), backup.encoded_len());
        let read = Backup::from_bytes(&bytes, p()).unwrap();
        prop_assert_eq!(&read, &backup);
        prop_assert_eq!(read.to_bytes(), bytes);
        read.verify_commitments(p()).unwrap();
        prop_assert_eq!(read.restore(&key).unwrap(), records);
    }
}

// ------------------------------------------------------------------------------------------
// Property tests: key files

fn key_path() -> &'static Path {
    Path::new("hostile-key.json")
}

/// Edits that write and insert bytes of `alphabet` (the characters a file of some format is
/// made of, so that mutations get past its first parser often), plus deletions,
/// truncations and bit flips anywhere.
fn text_mutation(alphabet: &'static [u8]) -> impl Strategy<Value = Mutation> {
    let byte = prop::sample::select(alphabet);
    prop_oneof![
        (any::<usize>(), byte.clone())
            .prop_map(|(at, b)| Mutation::Overwrite { at, bytes: vec![b] }),
        (any::<usize>(), byte).prop_map(|(at, byte)| Mutation::Insert { at, byte }),
        any::<usize>().prop_map(|at| Mutation::Delete { at }),
        any::<usize>().prop_map(|len| Mutation::Truncate { len }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, mask)| Mutation::Flip { at, mask }),
    ]
}

/// Printable text with the characters a key file is made of.
fn key_text_mutation() -> impl Strategy<Value = Mutation> {
    text_mutation(b"0123456789abcdefx\"[]{},: \n\\-.e")
}

proptest! {
    #![proptest_config(config(256))]

    /// Random text is refused.
    #[test]
    fn key_random_text_is_refused(text in ".{0,300}") {
        prop_assert!(EscrowKey::from_json(&text, key_path()).is_err());
    }

    /// An edited key file is refused, unless the edit is one JSON ignores (whitespace, the
    /// case of the commitment's hex digits): then it reads the same key.
    #[test]
    fn key_mutations_are_refused_or_harmless(
        seed in any::<u64>(),
        edits in prop::collection::vec(key_text_mutation(), 1..4),
    ) {
        let key = EscrowKey::generate_with(&mut StdRng::seed_from_u64(seed));
        let mut bytes = key.to_json().as_bytes().to_vec();
        for edit in &edits {
            edit.apply(&mut bytes);
        }
        let Ok(text) = std::str::from_utf8(&bytes) else { return Ok(()) };
        if let Ok(read) = EscrowKey::from_json(text, key_path()) {
            prop_assert_eq!(read, key);
        }
    }

    /// Keys round-trip through their file text.
    #[test]
    fn key_round_trips(seed in any::<u64>()) {
        let key = EscrowKey::generate_with(&mut StdRng::seed_from_u64(seed));
        prop_assert_eq!(EscrowKey::from_json(&key.to_json(), key_path()).unwrap(), key);
    }
}

// ------------------------------------------------------------------------------------------
// Property tests: records files

fn formats() -> impl Strategy<Value = RecordFormat> {
    prop_oneof![Just(RecordFormat::Csv), Just(RecordFormat::JsonLines)]
}

/// Records of `arity` 1..=16 with edge values (0, 1, r − 1) and random ones.
fn records_strategy() -> impl Strategy<Value = Records> {
    (1usize..=16, 1usize..=20, any::<u64>()).prop_map(|(arity, n, seed)| {
        let mut rng = StdRng::seed_from_u64(seed);
        let fields = (0..arity * n)
            .map(|i| match i % 5 {
                0 => Fr::from(0u64),
                1 => Fr::from(1u64),
                2 => -Fr::from(1u64),
                _ => Fr::rand(&mut rng),
            })
            .collect();
        Records::new(arity, fields).unwrap()
    })
}

/// Parsing never panics; what parses is canonical after one write and round-trips.
fn assert_parses_consistently(bytes: &[u8], format: RecordFormat) -> Result<(), TestCaseError> {
    if let Ok(records) = Records::parse(bytes, format, "hostile.txt") {
        prop_assert!((1..=16).contains(&records.arity()));
        let canonical = records.to_bytes(format);
        let again = Records::parse(&canonical, format, "canonical.txt").unwrap();
        prop_assert_eq!(&again, &records);
        prop_assert_eq!(again.to_bytes(format), canonical);
    }
    Ok(())
}

/// Bytes that look like records text: digits, separators, brackets, quotes, line ends.
fn record_text_mutation() -> impl Strategy<Value = Mutation> {
    text_mutation(b"0123456789xXaF,\"[]{} \t\r\n\\-.e\xEF\xBB\xBF")
}

proptest! {
    #![proptest_config(config(256))]

    /// Random bytes and random record-like text never panic the parsers.
    #[test]
    fn records_random_bytes_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..400),
        text in "[0-9a-fxX,\\[\\]\" \t\r\n]{0,200}",
        format in formats(),
    ) {
        assert_parses_consistently(&bytes, format)?;
        assert_parses_consistently(text.as_bytes(), format)?;
    }

    /// JSON-like lines (escapes, signs, fractions, nesting, literals) never panic the JSON
    /// Lines parser (nor its error positions: they are computed from serde_json's partial
    /// parse).
    #[test]
    fn records_json_like_text_never_panics(
        text in "(\\[|[0-9\",\\]{}:+.eE\\\\u -]|null|true|\n){0,60}",
    ) {
        assert_parses_consistently(text.as_bytes(), RecordFormat::JsonLines)?;
    }

    /// Edited records files are refused or parse to records that round-trip.
    #[test]
    fn records_mutations_are_refused_or_consistent(
        records in records_strategy(),
        format in formats(),
        edits in prop::collection::vec(record_text_mutation(), 1..6),
    ) {
        let mut bytes = records.to_bytes(format);
        for edit in &edits {
            edit.apply(&mut bytes);
        }
        assert_parses_consistently(&bytes, format)?;
    }

    /// Valid records files read back equal, in both formats, and are written back byte for
    /// byte.
    #[test]
    fn records_round_trip(records in records_strategy(), format in formats()) {
        let bytes = records.to_bytes(format);
        let read = Records::parse(&bytes, format, "valid.txt").unwrap();
        prop_assert_eq!(&read, &records);
        prop_assert_eq!(read.to_bytes(format), bytes);
        prop_assert_eq!(read.root(), records.root());
    }
}
