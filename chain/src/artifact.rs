//! Compiled contracts: the artifacts of `contracts/build.mjs` (committed in `contracts/out`,
//! embedded here) and library linking.

use crate::{ChainError, Result};
use alloy_primitives::{hex, Address, Bytes};
use std::collections::BTreeMap;

/// A compiled contract: its ABI and creation bytecode with unlinked library placeholders.
#[derive(Clone, Debug)]
pub struct Artifact {
    /// The contract's name.
    pub name: String,
    /// The ABI, as solc prints it.
    pub abi: serde_json::Value,
    /// Creation bytecode as hex (no `0x`), possibly with `__$…$__` library placeholders.
    bytecode_hex: String,
    /// Library name → byte offsets of its 20-byte address slots in the creation bytecode.
    links: BTreeMap<String, Vec<usize>>,
}

impl Artifact {
    /// Parses a `contracts/build.mjs` artifact (`{contractName, abi, bytecode,
    /// linkReferences, ...}`).
    pub fn from_json(json: &str) -> Result<Self> {
        let bad = |name: &str, reason: String| ChainError::Artifact {
            name: name.to_string(),
            reason,
        };
        let v: serde_json::Value =
            serde_json::from_str(json).map_err(|source| ChainError::ArtifactJson {
                name: "?".into(),
                source,
            })?;
        let name = v["contractName"]
            .as_str()
            .ok_or_else(|| bad("?", "no contractName".into()))?
            .to_string();
        let bytecode = v["bytecode"]
            .as_str()
            .ok_or_else(|| bad(&name, "no bytecode".into()))?;
        let bytecode_hex = bytecode.strip_prefix("0x").unwrap_or(bytecode).to_string();
        if bytecode_hex.is_empty() {
            return Err(bad(
                &name,
                "empty bytecode (abstract contract or interface?)".into(),
            ));
        }
        let mut links = BTreeMap::new();
        if let Some(files) = v["linkReferences"].as_object() {
            for libs in files.values() {
                for (lib, refs) in libs.as_object().into_iter().flatten() {
                    let offsets: Vec<usize> = refs
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|r| r["start"].as_u64().map(|s| s as usize))
                        .collect();
                    links.insert(lib.clone(), offsets);
                }
            }
        }
        Ok(Self {
            name,
            abi: v["abi"].clone(),
            bytecode_hex,
            links,
        })
    }

    /// The names of the libraries this contract must be linked against.
    pub fn libraries(&self) -> impl Iterator<Item = &str> {
        self.links.keys().map(String::as_str)
    }

    /// The creation bytecode with every library placeholder replaced by its address.
    ///
    /// # Errors
    /// If a needed library has no address in `libraries`, or the bytecode is not hex.
    pub fn linked_bytecode(&self, libraries: &BTreeMap<String, Address>) -> Result<Bytes> {
        let mut code = self.bytecode_hex.clone();
        for (lib, offsets) in &self.links {
            let addr = libraries.get(lib).ok_or_else(|| ChainError::Artifact {
                name: self.name.clone(),
                reason: format!("library {lib} is not deployed"),
            })?;
            let addr_hex = hex::encode(addr);
            for &off in offsets {
                let range = 2 * off..2 * (off + 20);
                if range.end > code.len() {
                    return Err(ChainError::Artifact {
                        name: self.name.clone(),
                        reason: format!("link reference at {off} is past the bytecode"),
                    });
                }
                code.replace_range(range, &addr_hex);
            }
        }
        hex::decode(&code)
            .map(Bytes::from)
            .map_err(|source| ChainError::ArtifactHex {
                name: self.name.clone(),
                source,
            })
    }
}

/// The committed artifacts, embedded at build time (`contracts/out/*.json`).
pub mod committed {
    use super::Artifact;

    macro_rules! artifact {
        ($(#[$doc:meta])* $fn:ident, $file:literal) => {
            $(#[$doc])*
            pub fn $fn() -> Artifact {
                Artifact::from_json(include_str!(concat!("../../contracts/out/", $file)))
                    .expect(concat!("committed artifact ", $file, " parses"))
            }
        };
    }

    artifact!(
        /// `Groth16Verifier`: the verifying key is its constructor argument.
        groth16_verifier,
        "Groth16Verifier.json"
    );
    artifact!(
        /// `BackupGate(verifier, stateSource, keyCommitment, chunkSize)`; links `PoseidonT3`.
        backup_gate,
        "BackupGate.json"
    );
    artifact!(
        /// `StateSource()`: a LeanIMT of leaves; links `PoseidonT3`.
        state_source,
        "StateSource.json"
    );
    artifact!(
        /// `SeededStateSource()`: test-only, root and size set by its owner.
        seeded_state_source,
        "SeededStateSource.json"
    );
    artifact!(
        /// `Groth16Verifier8`: 8 public inputs (a 2-of-3 escrow's), the key as constructor
        /// argument.
        groth16_verifier_8,
        "Groth16Verifier8.json"
    );
    artifact!(
        /// `Groth16Verifier12`: 12 public inputs (a 3-of-5 escrow's), the key as constructor
        /// argument.
        groth16_verifier_12,
        "Groth16Verifier12.json"
    );
    artifact!(
        /// `EscrowRegistry(ks, ns, verifiers)`: one verifier per escrow shape (k, n).
        escrow_registry,
        "EscrowRegistry.json"
    );
    artifact!(
        /// Test only: `EscrowRegistryHashedTrustees(ks, ns, verifiers)`, the registry storing
        /// keccak(trustee keys) instead of the keys (gas comparison).
        escrow_registry_hashed_trustees,
        "EscrowRegistryHashedTrustees.json"
    );
    artifact!(
        /// `ExampleVault(gate, maxAgeBlocks, registry, minThreshold)` (registry 0: escrow not
        /// required).
        example_vault,
        "ExampleVault.json"
    );
    artifact!(
        /// poseidon-solidity's `PoseidonT3` library (circomlib Poseidon of 2 inputs).
        poseidon_t3,
        "PoseidonT3.json"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_artifacts_parse_and_link() {
        for a in [
            committed::groth16_verifier(),
            committed::backup_gate(),
            committed::state_source(),
            committed::seeded_state_source(),
            committed::example_vault(),
            committed::poseidon_t3(),
            committed::groth16_verifier_8(),
            committed::groth16_verifier_12(),
            committed::escrow_registry(),
            committed::escrow_registry_hashed_trustees(),
        ] {
            assert!(a.abi.is_array(), "{}", a.name);
            let libs: BTreeMap<String, Address> = a
                .libraries()
                .map(|l| (l.to_string(), Address::repeat_byte(0xab)))
                .collect();
            let code = a.linked_bytecode(&libs).unwrap();
            assert!(!code.is_empty());
            if !libs.is_empty() {
                let hex = hex::encode(&code);
                assert!(hex.contains(&"ab".repeat(20)), "{} linked", a.name);
            }
        }
        let gate = committed::backup_gate();
        assert_eq!(gate.libraries().collect::<Vec<_>>(), ["PoseidonT3"]);
        let err = gate.linked_bytecode(&BTreeMap::new()).unwrap_err();
        assert!(err.to_string().contains("PoseidonT3"), "{err}");
    }

    #[test]
    fn bad_artifacts_are_refused() {
        assert!(Artifact::from_json("{").is_err());
        assert!(Artifact::from_json(r#"{"contractName":"X","bytecode":"0x"}"#).is_err());
        let a = Artifact::from_json(r#"{"contractName":"X","bytecode":"0x6001zz"}"#).unwrap();
        assert!(a.linked_bytecode(&BTreeMap::new()).is_err());
    }
}
