//! The fixed-base tables cache: written after a build, read by the next prover of the same
//! key (so `auto` uses the tables from a few proofs on), and a damaged, foreign or unwritable
//! cache never used, never fatal.

use ark_bn254::Fr;
use ark_ff::UniformRand;
use rand::{rngs::StdRng, SeedableRng};
use std::sync::{Arc, Mutex};
use zkbackup_core::chunk::{ChunkShape, ChunkWitness};
use zkbackup_core::EscrowKey;
use zkbackup_prover::{
    Backend, ChunkProver, EnginePolicy, ProvingKeys, TablesCache, TablesEvent,
    FIXED_MIN_CACHED_PROOFS,
};

struct Fixture {
    _keys_dir: tempfile::TempDir,
    keys_path: std::path::PathBuf,
    cache: TablesCache,
    _cache_dir: tempfile::TempDir,
}

fn fixture() -> Fixture {
    let mut rng = StdRng::seed_from_u64(21);
    let shape = ChunkShape::new(1, 2).unwrap();
    let mut keys = ProvingKeys::generate(shape, &mut rng).unwrap();
    let keys_dir = tempfile::tempdir().unwrap();
    keys.write(keys_dir.path()).unwrap();
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = TablesCache::new(
        cache_dir.path().join("cache"),
        &keys.meta.proving_key_sha256,
    )
    .unwrap();
    Fixture {
        keys_path: keys_dir.path().to_path_buf(),
        _keys_dir: keys_dir,
        cache,
        _cache_dir: cache_dir,
    }
}

/// A prover of the fixture's keys with `policy` and `cache`, recording its table events.
fn prover(
    f: &Fixture,
    policy: EnginePolicy,
    cache: Option<TablesCache>,
) -> (ChunkProver, Arc<Mutex<Vec<TablesEvent>>>) {
    let mut p = ProvingKeys::read(&f.keys_path).unwrap().prover().unwrap();
    p.set_policy(policy);
    p.set_tables_cache(cache);
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&events);
    p.on_tables_build(move |e| seen.lock().unwrap().push(e));
    (p, events)
}

fn proof_bytes(p: &ChunkProver) -> Vec<u8> {
    use ark_serialize::CanonicalSerialize;
    let mut rng = StdRng::seed_from_u64(22);
    let shape = p.shape();
    let records: Vec<Fr> = (0..shape.slots() as u64).map(Fr::from).collect();
    let w = ChunkWitness::new(shape, records, EscrowKey::generate_with(&mut rng), 3).unwrap();
    let (r, s) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
    let proof = p.prove_assignment(&p.assignment(w).unwrap(), r, s).unwrap();
    let mut out = Vec::new();
    proof.serialize_compressed(&mut out).unwrap();
    out
}

#[test]
fn tables_built_once_are_read_by_the_next_prover_for_a_few_proofs() {
    let f = fixture();
    let path = f.cache.path();
    let (first, events) = prover(&f, EnginePolicy::Fixed, Some(f.cache.clone()));
    assert_eq!(first.expect_proofs(1), Backend::Fixed);
    assert_eq!(
        *events.lock().unwrap(),
        [
            TablesEvent::Building,
            TablesEvent::Built,
            TablesEvent::Saved(path.clone())
        ]
    );
    assert!(path.is_file());

    // Auto with a few proofs to make: without a cache it stays with arkworks; with one, it
    // reads the tables (not for a single proof: reading costs more than one proof saves).
    let few = FIXED_MIN_CACHED_PROOFS;
    let (uncached, _) = prover(&f, EnginePolicy::Auto, None);
    assert_eq!(uncached.expect_proofs(few), Backend::Arkworks);
    let (second, events) = prover(&f, EnginePolicy::Auto, Some(f.cache.clone()));
    assert_eq!(second.expect_proofs(few - 1), Backend::Arkworks);
    assert!(events.lock().unwrap().is_empty(), "not even read");
    assert_eq!(second.expect_proofs(few), Backend::Fixed);
    assert_eq!(*events.lock().unwrap(), [TablesEvent::Loaded(path.clone())]);
    assert_eq!(
        second.prepared_key().memory_bytes(),
        first.prepared_key().memory_bytes()
    );
    // The same proof bit for bit from read tables, built tables and arkworks' MSM.
    let want = proof_bytes(&uncached);
    assert_eq!(proof_bytes(&first), want);
    assert_eq!(proof_bytes(&second), want);
}

fn problem(events: &Arc<Mutex<Vec<TablesEvent>>>) -> String {
    events
        .lock()
        .unwrap()
        .iter()
        .find_map(|e| match e {
            TablesEvent::CacheProblem(p) => Some(p.clone()),
            _ => None,
        })
        .expect("a cache problem reported")
}

#[test]
fn a_damaged_foreign_or_unwritable_cache_is_never_used_and_never_fatal() {
    let f = fixture();
    let path = f.cache.path();
    let (first, _) = prover(&f, EnginePolicy::Fixed, Some(f.cache.clone()));
    first.expect_proofs(1);
    let good = std::fs::read(&path).unwrap();
    let want = proof_bytes(&first);

    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            {
                let mut b = good.clone();
                let at = b.len() / 2;
                b[at] ^= 0x40;
                b
            },
            "",
        ),
        (good[..good.len() - 10].to_vec(), "checksum"),
        ([good.as_slice(), b"x"].concat(), "after the checksum"),
        (
            {
                let mut b = good.clone();
                b[8] = 9;
                b
            },
            "unknown version 9",
        ),
        (
            b"not tables at all, not even close, and long enough".to_vec(),
            "not a zkbackup tables file",
        ),
    ];
    for (bytes, want_problem) in cases {
        std::fs::write(&path, &bytes).unwrap();
        // Auto, a few proofs: the file is refused, the prover stays with arkworks (no build).
        let (p, events) = prover(&f, EnginePolicy::Auto, Some(f.cache.clone()));
        assert_eq!(p.expect_proofs(FIXED_MIN_CACHED_PROOFS), Backend::Arkworks);
        let problem = problem(&events);
        assert!(
            problem.contains("tables-") && problem.contains(want_problem),
            "{problem:?} should name the file and say {want_problem:?}"
        );
        assert_eq!(proof_bytes(&p), want);
    }

    // Fixed: refused, rebuilt and written again; the next prover reads the new file.
    let (p, events) = prover(&f, EnginePolicy::Fixed, Some(f.cache.clone()));
    p.expect_proofs(1);
    let seen = events.lock().unwrap().clone();
    assert!(matches!(seen[0], TablesEvent::CacheProblem(_)), "{seen:?}");
    assert_eq!(
        seen[1..],
        [
            TablesEvent::Building,
            TablesEvent::Built,
            TablesEvent::Saved(path.clone())
        ]
    );
    assert_eq!(std::fs::read(&path).unwrap(), good, "rebuilt byte for byte");

    // Another key's name on this key's file: refused as another key's.
    let other = TablesCache::new(f.cache.dir.clone(), &"ab".repeat(32)).unwrap();
    std::fs::copy(&path, other.path()).unwrap();
    let mut p = ProvingKeys::read(&f.keys_path).unwrap().prover().unwrap();
    p.set_tables_cache(Some(other));
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&events);
    p.on_tables_build(move |e| seen.lock().unwrap().push(e));
    assert_eq!(p.expect_proofs(FIXED_MIN_CACHED_PROOFS), Backend::Arkworks);
    assert!(problem(&events).contains("another proving key"));

    // A cache "directory" that is a file: the tables are built and used, not kept.
    let blocked = TablesCache::new(path.clone(), &f.cache.key_sha256).unwrap();
    let (p, events) = prover(&f, EnginePolicy::Fixed, Some(blocked));
    assert_eq!(p.expect_proofs(1), Backend::Fixed);
    assert!(problem(&events).contains(&path.display().to_string()));
    assert_eq!(proof_bytes(&p), want);
}
