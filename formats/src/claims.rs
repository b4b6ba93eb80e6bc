//! The claims ledger: the generations of each lineage that have been handed out under one
//! escrow key, so that no (lineage, generation) pair, and so no nonce, is ever used twice
//! (`docs/FORMAT.md` §4).
//!
//! An incremental backup encrypts its changed chunks under nonces of a new generation of its
//! parent's lineage. "Parent generation + 1" alone is not enough: two children of one parent
//! (a fork: a retry after a crash, or two operators) would both take it and encrypt
//! different plaintexts under the same (key, nonce). So the generation is *claimed* first,
//! in a ledger beside the key file, `<KEY>.claims`: JSON Lines, owner-only (0600), one line
//! per claim,
//!
//! ```json
//! {"lineage":"0x<16 hex digits>","generation":<N>,"claim":"0x<16 hex digits>"}
//! ```
//!
//! appended and synced to disk **before** anything is encrypted. A child's generation is
//! `1 + max(parent's generation, every generation claimed for the lineage)`. A crash after
//! claiming only skips a generation; a second child of the same parent gets the next one.
//!
//! Concurrent claimers need no lock: each appends its line (one `write` on a file opened
//! for appending, so lines never interleave) with a random `claim` tag, re-reads the ledger,
//! and holds the generation only if its line is the first that claims that (lineage,
//! generation); otherwise it claims the next one. Lines without a tag (e.g. written by hand)
//! count as claims held by someone else.
//!
//! The honest limit: the ledger protects the copy of the key it sits beside. A copy of the
//! key used on another machine, or a deleted ledger, does not see these claims; full
//! backups draw random lineages and do not need it, but two incremental backups of one
//! lineage must be made with one ledger.

use rand::{rngs::OsRng, RngCore};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The ledger's file name suffix, after the key file's name.
pub const CLAIMS_SUFFIX: &str = ".claims";

/// How many times a claimer retries when others claim the same generation concurrently.
const MAX_ATTEMPTS: usize = 64;

/// Why a generation cannot be claimed.
#[derive(Debug, thiserror::Error)]
pub enum ClaimsError {
    /// Reading, appending or syncing the ledger failed.
    #[error("{path}")]
    Io {
        /// The ledger.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A line is not a claim: refused rather than skipped, since a skipped claim could
    /// hand out its generation twice.
    #[error("{path}, line {line}: not a claim ({reason}); fix or remove the line by hand, keeping every claim")]
    Malformed {
        /// The ledger.
        path: PathBuf,
        /// The line (1-based).
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// The lineage has used every generation a nonce can carry.
    #[error("lineage {lineage:#018x} has claimed generation {highest}, the last a nonce can carry: start a new lineage with a full backup")]
    GenerationExhausted {
        /// The lineage.
        lineage: u64,
        /// The highest generation claimed (or the parent's).
        highest: u32,
    },
    /// Other claimers took every generation tried.
    #[error(
        "{path}: {attempts} generations in a row were claimed concurrently by others; try again"
    )]
    Contended {
        /// The ledger.
        path: PathBuf,
        /// The attempts made.
        attempts: usize,
    },
}

/// One line of the ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Claim {
    /// The lineage.
    pub lineage: u64,
    /// The generation claimed.
    pub generation: u32,
    /// The claimer's random tag (`None` for a line without one).
    pub tag: Option<u64>,
}

impl Claim {
    /// The line, without its newline.
    pub fn to_line(&self) -> String {
        match self.tag {
            Some(tag) => format!(
                "{{\"lineage\":\"{:#018x}\",\"generation\":{},\"claim\":\"{tag:#018x}\"}}",
                self.lineage, self.generation
            ),
            None => format!(
                "{{\"lineage\":\"{:#018x}\",\"generation\":{}}}",
                self.lineage, self.generation
            ),
        }
    }

    fn parse(line: &str) -> Result<Self, String> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Line {
            lineage: String,
            generation: u32,
            claim: Option<String>,
        }
        let hex64 = |s: &str, what: &str| -> Result<u64, String> {
            s.strip_prefix("0x")
                .filter(|h| !h.is_empty() && h.len() <= 16)
                .and_then(|h| u64::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("{what} {s:?} is not 0x and 1 to 16 hex digits"))
        };
        let l: Line = serde_json::from_str(line).map_err(|e| e.to_string())?;
        Ok(Self {
            lineage: hex64(&l.lineage, "lineage")?,
            generation: l.generation,
            tag: l.claim.as_deref().map(|c| hex64(c, "claim")).transpose()?,
        })
    }
}

/// The claims ledger of one escrow key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimsLedger {
    path: PathBuf,
}

impl ClaimsLedger {
    /// The ledger beside the key file `key_path`: `<KEY>.claims`.
    pub fn beside_key(key_path: &Path) -> Self {
        let mut name = key_path.as_os_str().to_os_string();
        name.push(CLAIMS_SUFFIX);
        Self { path: name.into() }
    }

    /// A ledger at `path`.
    pub fn at(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The ledger's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io(&self) -> impl FnOnce(std::io::Error) -> ClaimsError + '_ {
        |source| ClaimsError::Io {
            path: self.path.clone(),
            source,
        }
    }

    /// Every claim, in the order appended (none if the ledger does not exist yet).
    pub fn claims(&self) -> Result<Vec<Claim>, ClaimsError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.io()(e)),
        };
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                Claim::parse(l).map_err(|reason| ClaimsError::Malformed {
                    path: self.path.clone(),
                    line: i + 1,
                    reason,
                })
            })
            .collect()
    }

    /// The highest generation claimed for `lineage`, if any.
    pub fn highest(&self, lineage: u64) -> Result<Option<u32>, ClaimsError> {
        Ok(highest(&self.claims()?, lineage))
    }

    /// Claims a generation of `lineage` above `parent` and above every generation claimed
    /// for it, appending the claim and syncing it to disk before returning it. Whoever
    /// gets `Ok(g)` is the only claimer of `(lineage, g)` in this ledger.
    pub fn claim_next(&self, lineage: u64, parent: u32) -> Result<u32, ClaimsError> {
        for _ in 0..MAX_ATTEMPTS {
            let claims = self.claims()?;
            let highest = highest(&claims, lineage).map_or(parent, |h| h.max(parent));
            let generation = highest
                .checked_add(1)
                .ok_or(ClaimsError::GenerationExhausted { lineage, highest })?;
            let claim = Claim {
                lineage,
                generation,
                tag: Some(OsRng.next_u64()),
            };
            self.append(&claim)?;
            let first = self
                .claims()?
                .into_iter()
                .find(|c| c.lineage == lineage && c.generation == generation);
            if first == Some(claim) {
                return Ok(generation);
            }
        }
        Err(ClaimsError::Contended {
            path: self.path.clone(),
            attempts: MAX_ATTEMPTS,
        })
    }

    /// Appends one claim in a single write and syncs it (and, for a new ledger, its
    /// directory).
    fn append(&self, claim: &Claim) -> Result<(), ClaimsError> {
        let created = !self.path.exists();
        let mut options = std::fs::OpenOptions::new();
        options.append(true).create(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&self.path).map_err(self.io())?;
        let line = format!("{}\n", claim.to_line());
        file.write_all(line.as_bytes()).map_err(self.io())?;
        file.sync_all().map_err(self.io())?;
        if created {
            let dir = match self.path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            #[cfg(unix)]
            std::fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(self.io())?;
        }
        Ok(())
    }
}

fn highest(claims: &[Claim], lineage: u64) -> Option<u32> {
    claims
        .iter()
        .filter(|c| c.lineage == lineage)
        .map(|c| c.generation)
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_go_up_per_lineage_and_skip_nothing_claimed() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = ClaimsLedger::beside_key(&dir.path().join("key.json"));
        assert_eq!(ledger.path(), dir.path().join("key.json.claims"));
        assert_eq!(ledger.claims().unwrap(), vec![]);
        assert_eq!(ledger.claim_next(7, 0).unwrap(), 1);
        // A second child of the same parent: the next generation.
        assert_eq!(ledger.claim_next(7, 0).unwrap(), 2);
        // A parent above the ledger: above the parent.
        assert_eq!(ledger.claim_next(7, 9).unwrap(), 10);
        // Another lineage is independent.
        assert_eq!(ledger.claim_next(8, 0).unwrap(), 1);
        assert_eq!(ledger.highest(7).unwrap(), Some(10));
        assert_eq!(ledger.highest(9).unwrap(), None);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(ledger.path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let text = std::fs::read_to_string(ledger.path()).unwrap();
        let first = text.lines().next().unwrap();
        assert!(
            first.starts_with(r#"{"lineage":"0x0000000000000007","generation":1,"claim":"0x"#),
            "{first}"
        );
    }

    #[test]
    fn a_line_without_a_tag_is_someone_elses_claim() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = ClaimsLedger::at(dir.path().join("k.claims"));
        std::fs::write(
            ledger.path(),
            "{\"lineage\":\"0x0000000000000005\",\"generation\":3}\n\n",
        )
        .unwrap();
        assert_eq!(ledger.claim_next(5, 1).unwrap(), 4);
    }

    #[test]
    fn malformed_lines_and_exhausted_lineages_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = ClaimsLedger::at(dir.path().join("k.claims"));
        for bad in [
            "not json",
            r#"{"lineage":"5","generation":1}"#,
            r#"{"lineage":"0x5","generation":-1}"#,
            r#"{"lineage":"0x5","generation":1,"extra":0}"#,
        ] {
            std::fs::write(
                ledger.path(),
                format!(
                    "{}\n{bad}\n",
                    Claim {
                        lineage: 1,
                        generation: 1,
                        tag: None,
                    }
                    .to_line()
                ),
            )
            .unwrap();
            let err = ledger.claim_next(5, 0).unwrap_err();
            assert!(
                matches!(err, ClaimsError::Malformed { line: 2, .. }),
                "{bad}: {err}"
            );
        }
        std::fs::write(
            ledger.path(),
            format!("{{\"lineage\":\"0x5\",\"generation\":{}}}\n", u32::MAX),
        )
        .unwrap();
        let before = std::fs::read(ledger.path()).unwrap();
        let err = ledger.claim_next(5, 0).unwrap_err();
        assert!(
            matches!(
                err,
                ClaimsError::GenerationExhausted {
                    lineage: 5,
                    highest: u32::MAX
                }
            ),
            "{err}"
        );
        assert!(err
            .to_string()
            .contains("start a new lineage with a full backup"));
        assert_eq!(
            std::fs::read(ledger.path()).unwrap(),
            before,
            "nothing claimed"
        );
        let err = ClaimsLedger::at(dir.path().join("k2.claims"))
            .claim_next(5, u32::MAX)
            .unwrap_err();
        assert!(
            matches!(err, ClaimsError::GenerationExhausted { .. }),
            "{err}"
        );
    }

    /// Claimers racing on one ledger (threads here, processes in practice) each get a
    /// generation nobody else got.
    #[test]
    fn concurrent_claims_are_distinct() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = ClaimsLedger::at(dir.path().join("k.claims"));
        let got: Vec<u32> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        (0..4)
                            .map(|_| ledger.claim_next(3, 0).unwrap())
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect()
        });
        let mut sorted = got.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), got.len(), "{got:?}");
    }
}
