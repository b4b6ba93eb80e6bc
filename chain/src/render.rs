//! The Groth16 verifier's Solidity source for any number of public inputs, and the standalone
//! verifier of `zkbackup export-verifier`.
//!
//! One template, `contracts/templates/Groth16Verifier.sol.tpl`, is rendered for N public inputs
//! by [`verifier_template`]: the key as constructor arguments kept in immutables (the committed
//! artifacts: `contracts/src/Groth16Verifier.sol` is the template at N = 5, the chunk proof's,
//! and `Groth16Verifier8.sol` / `Groth16Verifier12.sol` the escrow shapes' 2 + 2n for n = 3
//! and 5), or by [`render_verifier`] with one key's words as `constant`s (a standalone verifier
//! with no constructor). The test `committed_verifier_sources_are_the_template` keeps the
//! committed sources equal to the template's output (`ZKBACKUP_WRITE_VERIFIERS=1` rewrites
//! them; then `node contracts/build.mjs` recompiles the artifacts).

use crate::abi::vk_words_any;
use crate::{ChainError, Result};
use ark_bn254::Bn254;
use ark_groth16::VerifyingKey;
use std::fmt::Write;

/// The template (placeholders `{{NAME}}`, `{{N}}`, ...).
const TEMPLATE: &str = include_str!("../../contracts/templates/Groth16Verifier.sol.tpl");
const BEGIN: &str = "    // BEGIN VK\n";
const END: &str = "    // END VK\n";

/// The chunk proof's number of public inputs, whose verifier is `Groth16Verifier`.
pub const CHUNK_PUBLIC_INPUTS: usize = 5;
/// The most public inputs a rendered verifier takes: an escrow of 16 trustees has 2 + 2·16.
pub const MAX_PUBLIC_INPUTS: usize = 34;
/// The numbers of public inputs with a committed verifier artifact (`contracts/out`).
pub const COMMITTED_PUBLIC_INPUTS: [usize; 3] = [5, 8, 12];

/// The verifier contract's name for `n_public` inputs: `Groth16Verifier` for the chunk proof's
/// 5, `Groth16Verifier<N>` otherwise.
pub fn verifier_name(n_public: usize) -> String {
    if n_public == CHUNK_PUBLIC_INPUTS {
        "Groth16Verifier".into()
    } else {
        format!("Groth16Verifier{n_public}")
    }
}

fn check_n(n_public: usize) -> Result<()> {
    if (1..=MAX_PUBLIC_INPUTS).contains(&n_public) {
        Ok(())
    } else {
        Err(ChainError::Input(format!(
            "a verifier takes 1 to {MAX_PUBLIC_INPUTS} public inputs, not {n_public}"
        )))
    }
}

/// The names of the key's words, in the constructor's order: alpha, beta, gamma, delta, then
/// `IC0_X`, `IC0_Y`, ..., `IC<N>_Y`.
fn word_names(n_public: usize) -> Vec<String> {
    let mut names: Vec<String> = [
        "ALPHA_X", "ALPHA_Y", "BETA_X1", "BETA_X2", "BETA_Y1", "BETA_Y2", "GAMMA_X1", "GAMMA_X2",
        "GAMMA_Y1", "GAMMA_Y2", "DELTA_X1", "DELTA_X2", "DELTA_Y1", "DELTA_Y2",
    ]
    .map(String::from)
    .to_vec();
    for k in 0..=n_public {
        names.push(format!("IC{k}_X"));
        names.push(format!("IC{k}_Y"));
    }
    names
}

/// `base` if `off` is 0, else `add(base, off)` (hex offset, as the template writes them).
fn at(base: &str, off: usize) -> String {
    if off == 0 {
        base.into()
    } else {
        format!("add({base}, {off:#x})")
    }
}

/// The verifier's Solidity source for `n_public` public inputs (1 to [`MAX_PUBLIC_INPUTS`]),
/// with the verifying key as constructor argument (`uint256[14 + 2(N+1)]`: alpha; beta, gamma,
/// delta as `(x.c1, x.c0, y.c1, y.c0)`; IC[0..N]) kept in immutables. At N = 5 this is
/// `contracts/src/Groth16Verifier.sol`, byte for byte.
///
/// # Errors
/// If `n_public` is out of range.
pub fn verifier_template(n_public: usize) -> Result<String> {
    check_n(n_public)?;
    let names = word_names(n_public);
    let mut vk = String::new();
    for name in &names {
        writeln!(vk, "    uint256 internal immutable {name};").unwrap();
    }
    vk.push_str(&format!(
        "\n    /// @notice The verifying key in this order: alpha (x, y); beta, gamma, delta as\n    \
         ///         (x.c1, x.c0, y.c1, y.c0); IC[0..{n_public}] as (x, y).\n    \
         constructor(uint256[{}] memory vk) {{\n",
        names.len()
    ));
    for (i, name) in names.iter().enumerate() {
        writeln!(vk, "        {name} = vk[{i}];").unwrap();
    }
    vk.push_str("    }\n");
    Ok(fill(n_public, &vk))
}

/// Fills every placeholder of the template, with `vk_block` between `BEGIN VK` and `END VK`.
fn fill(n: usize, vk_block: &str) -> String {
    let notice = if n == CHUNK_PUBLIC_INPUTS {
        "/// @notice Verifies zkbackup chunk proofs: 5 public inputs\n\
         ///         [chunkRoot, chunkCommitment, keyCommitment, nonce, count].\n"
            .to_string()
    } else if n >= 4 && n.is_multiple_of(2) {
        format!(
            "/// @notice Verifies Groth16 proofs with {n} public inputs, e.g. zkbackup escrow proofs\n\
             ///         of {} trustees: [keyCommitment, escrowDigest, P1.x, P1.y, ...].\n",
            (n - 2) / 2
        )
    } else {
        format!("/// @notice Verifies Groth16 proofs with {n} public inputs.\n")
    };

    // _storeVk: IC points in groups of 3 (6 locals: no stack-too-deep).
    let mut store_ic = String::new();
    for group in (0..=n).collect::<Vec<_>>().chunks(3) {
        store_ic.push_str("        {\n");
        for &k in group {
            writeln!(store_ic, "            uint256 x{k} = IC{k}_X;").unwrap();
            writeln!(store_ic, "            uint256 y{k} = IC{k}_Y;").unwrap();
        }
        store_ic.push_str("            assembly {\n");
        for &k in group {
            writeln!(
                store_ic,
                "                mstore({}, x{k})",
                at("pIc", 0x60 * k)
            )
            .unwrap();
            writeln!(
                store_ic,
                "                mstore({}, y{k})",
                at("pIc", 0x60 * k + 0x20)
            )
            .unwrap();
        }
        store_ic.push_str("            }\n        }\n");
    }

    // Range checks of the inputs, two per line.
    let mut checks = String::new();
    let lt = |k: usize| format!("lt(calldataload({}), r)", at("input", 0x20 * k));
    for pair in (0..n).collect::<Vec<_>>().chunks(2) {
        match pair {
            [a, b] => writeln!(
                checks,
                "            ok := and(ok, and({}, {}))",
                lt(*a),
                lt(*b)
            )
            .unwrap(),
            [a] => writeln!(checks, "            ok := and(ok, {})", lt(*a)).unwrap(),
            _ => unreachable!(),
        }
    }

    let mut mul_adds = String::new();
    for k in 0..n {
        let out = if k + 1 == n { "0x200" } else { "0x380" };
        writeln!(
            mul_adds,
            "            mulAdd({:#x}, calldataload({}), {out})",
            0x380 + 0x60 * (k + 1),
            at("input", 0x20 * k)
        )
        .unwrap();
    }

    let alpha = 0x60 * (n + 1);
    TEMPLATE
        .replace("{{NOTICE}}", &notice)
        .replace("{{NAME}}", &verifier_name(n))
        .replace("{{STORE_IC}}", &store_ic)
        .replace("{{INPUT_CHECKS}}", &checks)
        .replace("{{MUL_ADDS}}", &mul_adds)
        .replace("{{N1}}", &(n + 1).to_string())
        .replace("{{N}}", &n.to_string())
        .replace("{{WORDS}}", &(8 + n).to_string())
        .replace("{{PROOF_BYTES}}", &format!("{:#x}", 0x20 * (8 + n)))
        .replace("{{INPUT_BYTES}}", &format!("{:#x}", 0x20 * n))
        .replace("{{ALPHA_SCALAR}}", &format!("{:#x}", alpha + 0x40))
        .replace("{{ALPHA}}", &format!("{alpha:#x}"))
        // Last: the key's block has no placeholders.
        .replace("{{VK_BLOCK}}", vk_block)
}

/// A standalone Solidity verifier (`contract Groth16Verifier`, or `Groth16Verifier<N>` for
/// N ≠ 5 public inputs) with `vk` embedded as constants, like snarkjs's exported verifier:
/// `verifyProof(uint[2], uint[2][2], uint[2], uint[N])` (snarkjs's ABI) and
/// `verifyBatch(uint256[8][], uint256[N][])`. Compiles with solc >= 0.8.24 and needs no
/// constructor arguments.
///
/// # Errors
/// If the key has no public inputs or more than [`MAX_PUBLIC_INPUTS`].
pub fn render_verifier(vk: &VerifyingKey<Bn254>) -> Result<String> {
    let n = vk.gamma_abc_g1.len().saturating_sub(1);
    check_n(n)?;
    let words = vk_words_any(vk);
    let mut block =
        String::from("    // Verifying key (generated by `zkbackup export-verifier`).\n");
    for (name, w) in word_names(n).iter().zip(words) {
        writeln!(block, "    uint256 internal constant {name} = {w};").unwrap();
    }
    let out = fill(n, &block);
    // The template's BEGIN/END markers go with the immutables.
    let out = out.replacen(BEGIN, "", 1).replacen(END, "", 1);
    let header = "// SPDX-License-Identifier: MIT OR Apache-2.0\n";
    Ok(out.replacen(
        header,
        &format!("{header}// Generated by `zkbackup export-verifier`: a standalone Groth16 verifier for one verifying key.\n"),
        1,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn src(name: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../contracts/src/{name}.sol"))
    }

    /// The committed verifier sources are the template's output (with
    /// `ZKBACKUP_WRITE_VERIFIERS=1`: rewrite them, then run `node contracts/build.mjs`).
    #[test]
    fn committed_verifier_sources_are_the_template() {
        let write = std::env::var_os("ZKBACKUP_WRITE_VERIFIERS").is_some();
        for n in COMMITTED_PUBLIC_INPUTS {
            let path = src(&verifier_name(n));
            let want = verifier_template(n).unwrap();
            if write {
                std::fs::write(&path, &want).unwrap();
            }
            let have = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                have == want,
                "{} is not the template's output for {n} inputs: run \
                 `ZKBACKUP_WRITE_VERIFIERS=1 cargo test -p zkbackup-chain --lib render` and \
                 `node contracts/build.mjs`",
                path.display()
            );
        }
    }

    #[test]
    fn every_placeholder_is_filled() {
        for n in 1..=MAX_PUBLIC_INPUTS {
            let t = verifier_template(n).unwrap();
            assert!(!t.contains("{{"), "{n}");
            assert!(t.contains(&format!("uint256[{}] memory vk", 16 + 2 * n)));
            assert!(t.contains(&format!("IC{n}_Y = vk[{}];", 15 + 2 * n)));
        }
        assert!(verifier_template(0).is_err());
        assert!(verifier_template(MAX_PUBLIC_INPUTS + 1).is_err());
    }
}
