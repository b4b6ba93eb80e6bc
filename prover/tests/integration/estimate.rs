//! The shape estimate: constraint counts (exact when small, extrapolated within 1 % when
//! large), the memory check and the largest chunk size that fits.

use zkbackup_circuits::counts::chunk_constraints;
use zkbackup_core::chunk::ChunkShape;
use zkbackup_prover::estimate::{check_fits, estimate, FitError, MemoryInfo, EXACT_SLOTS};

fn shape(arity: usize, chunk_size: usize) -> ChunkShape {
    ChunkShape::new(arity, chunk_size).unwrap()
}

#[test]
fn small_shapes_are_counted_exactly_as_the_pinned_table() {
    // circuits/constraint_counts.csv: chunk_a4_n64_total.
    let e = estimate(shape(4, 64)).unwrap();
    assert!(e.exact);
    assert_eq!(e.constraints, 69_437);
    assert_eq!(e.domain, 131_072);
}

#[test]
fn large_shapes_are_extrapolated_within_one_percent() {
    for (arity, chunk_size) in [(2, 256), (4, 128), (16, 32), (1, 512)] {
        let s = shape(arity, chunk_size);
        assert!(s.slots() > EXACT_SLOTS);
        let e = estimate(s).unwrap();
        assert!(!e.exact);
        let real = chunk_constraints(s).unwrap() as f64;
        let error = (e.constraints as f64 - real) / real;
        assert!(
            (-0.002..0.01).contains(&error),
            "arity {arity}, chunk size {chunk_size}: estimated {}, real {real}",
            e.constraints
        );
    }
}

#[test]
fn a_huge_chunk_size_is_estimated_at_once() {
    let start = std::time::Instant::now();
    let e = estimate(shape(4, 1 << 20)).unwrap();
    assert!(start.elapsed().as_secs() < 5);
    // About 1 085 constraints per record of arity 4.
    assert!((1_000 << 20..1_200 << 20).contains(&e.constraints), "{e:?}");
    assert!(e.needed_bytes() > 1 << 40, "over a TiB: {e:?}");
}

#[test]
fn a_shape_that_does_not_fit_names_the_largest_that_does() {
    let budget = estimate(shape(4, 256)).unwrap().needed_bytes();
    assert!(check_fits(shape(4, 256), budget).is_ok());
    match check_fits(shape(4, 4096), budget) {
        Err(FitError::TooLarge(e)) => {
            assert_eq!(e.largest, Some(256));
            assert_eq!(e.available, budget);
            let message = e.to_string();
            assert!(
                message.contains("chunk size 4096")
                    && message.contains("the largest chunk size that fits is 256"),
                "{message}"
            );
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    match check_fits(shape(4, 4), 1 << 20) {
        Err(FitError::TooLarge(e)) => {
            assert_eq!(e.largest, None);
            assert!(e.to_string().contains("not even a chunk size of 1 fits"));
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
}

#[test]
fn proving_memory_grows_with_the_jobs() {
    let e = estimate(shape(2, 64)).unwrap();
    assert_eq!(e.prove_bytes(3) - e.prove_bytes(2), e.prove_job_bytes);
    assert_eq!(e.jobs_within(e.prove_bytes(3)), 3);
    assert_eq!(e.jobs_within(e.prove_bytes(1) - 1), 0);
}

#[test]
fn meminfo_is_parsed_in_bytes() {
    let text = "MemTotal:       24684092 kB\nMemFree:  100 kB\nMemAvailable:   23826664 kB\n";
    assert_eq!(
        MemoryInfo::parse(text),
        Some(MemoryInfo {
            total: 24_684_092 * 1024,
            available: 23_826_664 * 1024
        })
    );
    assert_eq!(MemoryInfo::parse("MemTotal: 1 kB\n"), None);
}
