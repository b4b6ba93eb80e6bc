//! What the agent reads from the chain over JSON-RPC: the state source's root and size, the
//! gate's freshness, and when the state last changed.

use crate::agent::{ChainState, StepError};
use crate::state::{ChangedAt, StateRef};
use alloy_primitives::{Address, U256};
use alloy_sol_types::SolCall;
use serde_json::json;
use zkbackup_chain::abi::BackupGate;
use zkbackup_chain::RpcChain;

/// The first block in `lo + 1 ..= hi` at which `has` holds, for a `has` that holds at `hi`
/// and, from its first block on, at every later one (a state reached and not left). With
/// `has(lo)` false; about `log2(hi - lo)` calls.
pub fn first_block<E>(
    lo: u64,
    hi: u64,
    mut has: impl FnMut(u64) -> Result<bool, E>,
) -> Result<u64, E> {
    let (mut lo, mut hi) = (lo, hi);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if has(mid)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(hi)
}

/// How far back [`RpcView::changed_at`] searches when the agent knows no older block.
pub const CHANGE_SEARCH_BLOCKS: u64 = 4096;

/// A gate and its state source over JSON-RPC.
pub struct RpcView {
    chain: RpcChain,
    gate: Address,
    source: Address,
    max_age_blocks: u64,
}

fn node(step: &str) -> impl FnOnce(zkbackup_chain::ChainError) -> StepError + '_ {
    move |e| StepError::transient(step, e)
}

impl RpcView {
    /// The gate `gate` on `chain`; its state source is the gate's `stateSource()`.
    /// Freshness is `isFresh(max_age_blocks)`.
    pub fn new(mut chain: RpcChain, gate: Address, max_age_blocks: u64) -> Result<Self, StepError> {
        let block = chain.block_number().map_err(node("reading the chain"))?;
        let source = chain
            .gate_state_source(gate, block)
            .map_err(node("reading the gate's state source"))?;
        Ok(Self {
            chain,
            gate,
            source,
            max_age_blocks,
        })
    }

    /// The JSON-RPC connection.
    pub fn chain(&mut self) -> &mut RpcChain {
        &mut self.chain
    }

    /// The gate's address.
    pub fn gate(&self) -> Address {
        self.gate
    }

    /// The state source's address.
    pub fn source(&self) -> Address {
        self.source
    }

    fn state_at(&mut self, block: u64) -> Result<StateRef, StepError> {
        let s = self
            .chain
            .state_at(self.source, block)
            .map_err(node("reading the state source"))?;
        Ok(StateRef {
            root: s.root,
            size: s.size,
        })
    }

    fn timestamp_ms(&mut self, block: u64) -> Result<u64, StepError> {
        let step = "reading a block's time";
        let b = self
            .chain
            .request(
                "eth_getBlockByNumber",
                json!([format!("0x{block:x}"), false]),
            )
            .map_err(node(step))?;
        let t = b["timestamp"].as_str().ok_or_else(|| {
            StepError::transient(step, format!("block {block} has no timestamp: {b}"))
        })?;
        let secs = u64::from_str_radix(t.trim_start_matches("0x"), 16)
            .map_err(|e| StepError::transient(step, e))?;
        Ok(secs.saturating_mul(1000))
    }

    /// The state source's state and the gate's freshness, at the latest block.
    pub fn observe(&mut self) -> Result<ChainState, StepError> {
        let block = self
            .chain
            .block_number()
            .map_err(node("reading the chain"))?;
        let state = self.state_at(block)?;
        let call = BackupGate::isFreshCall {
            maxAgeBlocks: U256::from(self.max_age_blocks),
        };
        let out = self
            .chain
            .call_at(self.gate, call.abi_encode().into(), Some(block))
            .map_err(node("reading the gate"))?;
        let fresh = BackupGate::isFreshCall::abi_decode_returns(&out)
            .map_err(|e| StepError::transient("reading the gate", e))?;
        Ok(ChainState {
            block,
            unix_ms: self.timestamp_ms(block)?,
            state,
            fresh,
        })
    }

    /// The first block holding `now.state`, searched after `since` (or the last
    /// [`CHANGE_SEARCH_BLOCKS`] blocks), and its time. A node that keeps no old state
    /// (a pruned node) cannot answer: then the block `now` was read at stands in.
    pub fn changed_at(
        &mut self,
        now: &ChainState,
        since: Option<u64>,
    ) -> Result<ChangedAt, StepError> {
        let lo = since.unwrap_or(now.block.saturating_sub(CHANGE_SEARCH_BLOCKS));
        let target = now.state;
        let found = if lo >= now.block {
            Ok(now.block)
        } else {
            match self.state_at(lo) {
                Ok(s) if s == target => Ok(lo),
                Ok(_) => first_block(lo, now.block, |b| Ok(self.state_at(b)? == target)),
                Err(e) => Err(e),
            }
        };
        let block = match found {
            Ok(block) => block,
            Err(e) => {
                tracing::debug!(error = %e, "no old state to search: using the block read");
                now.block
            }
        };
        Ok(ChangedAt {
            block,
            unix_ms: if block == now.block {
                now.unix_ms
            } else {
                self.timestamp_ms(block)?
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_block_finds_the_change_in_few_reads() {
        for change in [1u64, 2, 37, 999, 1000] {
            let mut reads = 0;
            let found = first_block::<()>(0, 1000, |b| {
                reads += 1;
                Ok(b >= change)
            })
            .unwrap();
            assert_eq!(found, change);
            assert!(reads <= 10, "{reads} reads");
        }
    }
}
