//! The pinned constraint-count table: any change to a gadget's cost fails here until the
//! table is regenerated on purpose, so every change shows in review.

use zkbackup_circuits::counts;

const TABLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/constraint_counts.csv");

#[test]
fn constraint_counts_are_pinned() {
    let measured =
        counts::to_csv(&counts::all().expect("every gadget synthesizes and is satisfied"));
    if std::env::var_os("UPDATE_CONSTRAINT_COUNTS").is_some() {
        std::fs::write(TABLE, &measured).unwrap();
    }
    let pinned =
        std::fs::read_to_string(TABLE).expect("circuits/constraint_counts.csv is committed");
    assert_eq!(
        pinned, measured,
        "constraint counts changed; if on purpose, rerun with UPDATE_CONSTRAINT_COUNTS=1 and commit the table"
    );
}

#[test]
fn poseidon_costs_no_more_than_circom_o2() {
    // circom 2 --O2 on circomlib's Poseidon(n), measured by the project.
    let circom = [(2usize, 240usize), (3, 261), (4, 297), (16, 609)];
    let all = counts::all().unwrap();
    for (n, bound) in circom {
        let ours = all
            .iter()
            .find(|c| c.name == format!("poseidon_{n}"))
            .unwrap();
        assert!(
            ours.constraints <= bound,
            "poseidon_{n}: {} > circom's {bound}",
            ours.constraints
        );
    }
}
