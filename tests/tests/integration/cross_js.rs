//! Cross-implementation checks of the native library against the npm reference libraries
//! (through the Node oracle in `tests/js`): circomlib Poseidon for every arity against
//! poseidon-lite and circomlibjs, its constants against circomlibjs, LeanIMT roots and
//! proofs and record roots against @zk-kit/lean-imt.
//!
//! Needs `npm ci` in `tests/js`; fails (does not skip) without it.

use ark_ff::{UniformRand, Zero};
use rand::{rngs::StdRng, Rng, SeedableRng};
use serde_json::{json, Value};
use zkbackup_core::lean_imt::{self, LeanImt};
use zkbackup_core::poseidon::{self, MAX_INPUTS};
use zkbackup_core::Fr;
use zkbackup_formats::records::Records;
use zkbackup_tests::{dec, decs, fr, frs, oracle, oracle_batch};

/// Uniform values mixed with the edges 0, 1 and p - 1.
fn value(rng: &mut StdRng) -> Fr {
    match rng.gen_range(0..8) {
        0 => Fr::zero(),
        1 => Fr::from(1u64),
        2 => -Fr::from(1u64),
        _ => Fr::rand(rng),
    }
}

fn values(n: usize, seed: u64) -> Vec<Fr> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n).map(|_| value(&mut rng)).collect()
}

#[test]
fn oracle_speaks_the_documented_protocol() {
    // The stdin/stdout protocol itself, once (the other tests batch through `handle`).
    let response = oracle(json!({"op": "poseidon", "inputs": [["1", "2"]]}));
    let want = poseidon::hash2(Fr::from(1u64), Fr::from(2u64));
    assert_eq!(frs(&response["hashes"]), vec![want]);
}

#[test]
fn poseidon_every_arity_matches_poseidon_lite_and_circomlibjs() {
    let mut requests = Vec::new();
    let mut expected = Vec::new();
    for arity in 1..=MAX_INPUTS {
        let mut inputs: Vec<Vec<Fr>> = (0..24)
            .map(|i| values(arity, (arity * 100 + i) as u64))
            .collect();
        inputs.push(vec![Fr::zero(); arity]);
        inputs.push(vec![-Fr::from(1u64); arity]);
        let hashes: Vec<Fr> = inputs.iter().map(|x| poseidon::hash(x)).collect();
        let json_inputs: Vec<Value> = inputs.iter().map(|x| decs(x)).collect();
        for lib in ["poseidon-lite", "circomlibjs"] {
            requests.push(json!({"op": "poseidon", "lib": lib, "inputs": json_inputs}));
            expected.push((arity, lib, hashes.clone()));
        }
    }
    let responses = oracle_batch(&requests);
    for ((arity, lib, want), response) in expected.iter().zip(&responses) {
        assert_eq!(
            &frs(&response["hashes"]),
            want,
            "Poseidon({arity}) vs {lib}"
        );
    }
}

#[test]
fn poseidon_differs_when_one_input_changes() {
    // Negative twin: the comparison above would catch a changed input.
    let x = values(4, 7);
    let mut y = x.clone();
    y[2] += Fr::from(1u64);
    let response = oracle(json!({"op": "poseidon", "inputs": [decs(&x), decs(&y)]}));
    let hashes = frs(&response["hashes"]);
    assert_eq!(hashes[0], poseidon::hash(&x));
    assert_ne!(hashes[1], poseidon::hash(&x));
    assert_eq!(hashes[1], poseidon::hash(&y));
}

#[test]
fn poseidon_constants_match_circomlibjs_for_every_width() {
    let widths: Vec<usize> = (poseidon::MIN_WIDTH..=poseidon::MAX_WIDTH).collect();
    let requests: Vec<Value> = widths
        .iter()
        .map(|t| json!({"op": "constants", "t": t}))
        .collect();
    for (&t, response) in widths.iter().zip(&oracle_batch(&requests)) {
        let params = poseidon::params(t);
        let flat: Vec<Fr> = params.round_constants.iter().flatten().copied().collect();
        assert_eq!(frs(&response["C"]), flat, "round constants, t = {t}");
        let mds: Vec<Vec<Fr>> = response["M"].as_array().unwrap().iter().map(frs).collect();
        assert_eq!(mds, params.mds, "MDS matrix, t = {t}");
        assert_eq!(
            response["nRoundsP"],
            json!(params.partial_rounds),
            "t = {t}"
        );
        assert_eq!(
            response["nRoundsF"],
            json!(poseidon::FULL_ROUNDS),
            "t = {t}"
        );
    }
}

#[test]
fn lean_imt_root_every_size_to_300_and_4097() {
    let leaves = values(4097, 42);
    let sizes: Vec<usize> = (1..=300).chain([1023, 1024, 1025, 4096, 4097]).collect();
    let requests: Vec<Value> = sizes
        .iter()
        .map(|&n| json!({"op": "lean_imt_root", "leaves": decs(&leaves[..n])}))
        .collect();
    for (&n, response) in sizes.iter().zip(&oracle_batch(&requests)) {
        let tree = LeanImt::new(leaves[..n].to_vec()).unwrap();
        assert_eq!(fr(&response["root"]), tree.root(), "root of {n} leaves");
        assert_eq!(fr(&response["root"]), lean_imt::root(&leaves[..n]).unwrap());
        assert_eq!(response["size"], json!(n));
        assert_eq!(
            response["depth"],
            json!(tree.depth()),
            "depth of {n} leaves"
        );
    }
}

#[test]
fn lean_imt_root_differs_when_leaves_swap() {
    // Negative twin: a reordered state has another root in both implementations.
    let mut leaves = values(5, 3);
    leaves.swap(1, 2);
    let response = oracle(json!({"op": "lean_imt_root", "leaves": decs(&leaves)}));
    assert_eq!(fr(&response["root"]), lean_imt::root(&leaves).unwrap());
    leaves.swap(1, 2);
    assert_ne!(fr(&response["root"]), lean_imt::root(&leaves).unwrap());
}

#[test]
fn lean_imt_proofs_match() {
    let leaves = values(300, 9);
    let mut requests = Vec::new();
    let mut cases = Vec::new();
    for n in [1, 2, 3, 5, 7, 8, 13, 100, 255, 300] {
        for index in [0, n / 2, n - 1] {
            requests.push(
                json!({"op": "lean_imt_proof", "leaves": decs(&leaves[..n]), "index": index}),
            );
            cases.push((n, index));
        }
    }
    for (&(n, index), response) in cases.iter().zip(&oracle_batch(&requests)) {
        let proof = LeanImt::new(leaves[..n].to_vec())
            .unwrap()
            .proof(index)
            .unwrap();
        assert!(proof.verify());
        assert_eq!(
            fr(&response["root"]),
            proof.root,
            "n = {n}, index = {index}"
        );
        assert_eq!(
            fr(&response["leaf"]),
            proof.leaf,
            "n = {n}, index = {index}"
        );
        assert_eq!(
            response["index"],
            json!(proof.index),
            "n = {n}, index = {index}"
        );
        assert_eq!(
            frs(&response["siblings"]),
            proof.siblings,
            "n = {n}, index = {index}"
        );
    }
}

/// Records of `arity` at the sizes against the oracle's `records_root`.
fn records_root_matches(arity: usize) {
    let sizes = [1, 2, 3, 5, 1000, 4097];
    let all = values(4097 * arity, arity as u64);
    let records: Vec<Records> = sizes
        .iter()
        .map(|&n| Records::new(arity, all[..n * arity].to_vec()).unwrap())
        .collect();
    let requests: Vec<Value> = records
        .iter()
        .map(|r| {
            let rows: Vec<Value> = r.iter_rows().map(decs).collect();
            // poseidon-lite needs ~3 ms per 16-input hash; circomlibjs (checked equal to it
            // above) keeps the big wide cases fast. cli_root covers them with poseidon-lite.
            let lib = if arity * r.len() > 8000 {
                "circomlibjs"
            } else {
                "poseidon-lite"
            };
            json!({"op": "records_root", "lib": lib, "records": rows})
        })
        .collect();
    for (r, response) in records.iter().zip(&oracle_batch(&requests)) {
        let n = r.len();
        assert_eq!(
            frs(&response["leaves"]),
            r.leaves(),
            "leaves, arity {arity}, {n} records"
        );
        assert_eq!(
            fr(&response["root"]),
            r.root(),
            "root, arity {arity}, {n} records"
        );
        assert_eq!(response["root"], dec(&r.root()));
    }
}

#[test]
fn records_root_arity_1() {
    records_root_matches(1);
}

#[test]
fn records_root_arity_4() {
    records_root_matches(4);
}

#[test]
fn records_root_arity_16() {
    records_root_matches(16);
}

#[test]
fn lean_imt_siblings_after_updates_and_inserts_match() {
    // What the gate planner feeds `InternalLeanIMT._update`: siblings of a tree already
    // changed by earlier updates and appends (`LeanImt::update`, `LeanImt::push`).
    let leaves = values(70, 21);
    let fresh = values(12, 22);
    let mut requests = Vec::new();
    let mut cases = Vec::new();
    for n in [1usize, 2, 5, 8, 33, 64] {
        let updates: Vec<(usize, Fr)> = [0, n / 2, n - 1]
            .iter()
            .zip(&fresh)
            .map(|(&i, &leaf)| (i, leaf))
            .collect();
        let inserts = &fresh[3..3 + n % 5];
        let mut tree = LeanImt::new(leaves[..n].to_vec()).unwrap();
        for &(i, leaf) in &updates {
            tree.update(i, leaf).unwrap();
        }
        for &leaf in inserts {
            tree.push(leaf);
        }
        for index in [0, n / 2, tree.size() - 1] {
            let json_updates: Vec<Value> =
                updates.iter().map(|(i, l)| json!([i, dec(l)])).collect();
            requests.push(json!({
                "op": "lean_imt_proof",
                "leaves": decs(&leaves[..n]),
                "updates": json_updates,
                "inserts": decs(inserts),
                "index": index,
            }));
            cases.push((n, index, tree.root(), tree.siblings(index).unwrap()));
        }
    }
    for ((n, index, root, siblings), response) in cases.iter().zip(&oracle_batch(&requests)) {
        assert_eq!(&fr(&response["root"]), root, "n = {n}, index = {index}");
        assert_eq!(
            &frs(&response["siblings"]),
            siblings,
            "n = {n}, index = {index}"
        );
    }
}
