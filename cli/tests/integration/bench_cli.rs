//! `zkbackup bench` on the smallest shapes, with the snarkjs column: every prover runs, the
//! table and bench.json carry the ratios, and snarkjs' proof was checked by the bench itself
//! (it refuses to report otherwise).

use crate::common;

use common::*;
use zkbackup_tests::snarkjs;

#[test]
fn bench_with_snarkjs_reports_ours_stock_and_snarkjs_per_size() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bench-out");
    let cli = snarkjs::cli();
    let table = ok(&[
        "bench",
        "--arity",
        "1",
        "--sizes",
        "2,1",
        "--runs",
        "1",
        "--batch",
        "2",
        "--snarkjs",
        s(&cli),
        "--out",
        s(&out),
    ]);
    assert!(table.contains("snarkjs/ours"), "{table}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("bench.json")).unwrap()).unwrap();
    let rows = json["rows"].as_array().unwrap();
    // Sorted by size, both measured.
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (
            rows[0]["chunk_size"].as_u64(),
            rows[1]["chunk_size"].as_u64()
        ),
        (Some(1), Some(2))
    );
    for row in rows {
        let j = &row["snarkjs"];
        assert_eq!(j["ours_runs_ms"].as_array().unwrap().len(), 1, "{row}");
        assert_eq!(j["snarkjs_runs_ms"].as_array().unwrap().len(), 1, "{row}");
        let (ours, theirs) = (
            j["ours_ms"].as_f64().unwrap(),
            j["snarkjs_ms"].as_f64().unwrap(),
        );
        assert!(ours > 0.0 && theirs > 0.0, "{row}");
        assert!(
            (j["ratio"].as_f64().unwrap() - theirs / ours).abs() < 1e-9,
            "{row}"
        );
        assert!(j["zkey_bytes"].as_u64().unwrap() > j["proving_key_bytes"].as_u64().unwrap());
        assert!(row["stock_ms"].as_f64().unwrap() > 0.0);
    }
    // Without --snarkjs (and no $ZKBACKUP_SNARKJS): no snarkjs column.
    let plain = dir.path().join("plain");
    let out = zkbackup_no_env(&[
        "bench",
        "--arity",
        "1",
        "--sizes",
        "1",
        "--runs",
        "1",
        "--batch",
        "2",
        "--out",
        s(&plain),
    ]);
    assert!(!out.contains("snarkjs/ours"), "{out}");
}

fn zkbackup_no_env(args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_zkbackup"))
        .args(args)
        .env_remove("ZKBACKUP_SNARKJS")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}
