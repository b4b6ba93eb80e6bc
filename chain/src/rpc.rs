//! Any EVM chain over JSON-RPC (HTTP): reads with `eth_call`, transactions signed locally
//! (legacy, EIP-155) with a secp256k1 private key and sent with `eth_sendRawTransaction`.
//!
//! A transaction is first simulated with `eth_estimateGas`, so a revert is reported with its
//! decoded reason (as on the embedded chain) and nothing is sent; then it is sent with the
//! estimate plus 20% (or with the caller's gas limit, [`EvmBackend::transact_limited`], after
//! the caller's own estimate) and its receipt awaited. Logs are read with `eth_getLogs`.

use crate::abi::{decode_revert, u256_to_fr, BackupGate, StateSource};
use crate::evm::{EvmBackend, Receipt};
use crate::{ChainError, Result};
use alloy_consensus::{SignableTransaction, TxEnvelope, TxLegacy};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{
    hex, keccak256, Address, Bytes, Log, LogData, Signature, TxKind, B256, U256,
};
use alloy_sol_types::SolCall;
use ark_bn254::Fr;
use k256::ecdsa::SigningKey;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// How long [`RpcChain`] waits for a receipt.
pub const RECEIPT_TIMEOUT: Duration = Duration::from_secs(120);

/// A JSON-RPC endpoint, with an optional signing key for transactions.
pub struct RpcChain {
    url: String,
    agent: ureq::Agent,
    key: Option<SigningKey>,
    sender: Address,
    chain_id: u64,
    libraries: BTreeMap<String, Address>,
    next_id: u64,
}

impl std::fmt::Debug for RpcChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RpcChain")
            .field("url", &self.url)
            .field("sender", &self.sender)
            .field("chain_id", &self.chain_id)
            .finish_non_exhaustive()
    }
}

/// Our own description of a node's answer that we cannot use.
fn node_err(msg: impl std::fmt::Display) -> ChainError {
    ChainError::Node(msg.to_string())
}

/// A failed request or an undecodable answer, with its cause.
fn rpc_err<E: Into<crate::BoxError>>(what: impl std::fmt::Display) -> impl FnOnce(E) -> ChainError {
    let what = what.to_string();
    move |e| ChainError::Rpc {
        what,
        source: e.into(),
    }
}

/// Parses a hex private key (with or without `0x`, surrounding whitespace ignored).
pub fn parse_private_key(text: &str) -> Result<SigningKey> {
    let t = text.trim();
    let bytes = hex::decode(t.strip_prefix("0x").unwrap_or(t))
        .map_err(|_| ChainError::Input("the private key is not hex".into()))?;
    if bytes.len() != 32 {
        return Err(ChainError::Input(format!(
            "the private key has {} bytes, not 32",
            bytes.len()
        )));
    }
    SigningKey::from_slice(&bytes)
        .map_err(|_| ChainError::Input("the private key is not a valid secp256k1 key".into()))
}

/// The Ethereum address of a key.
pub fn address_of(key: &SigningKey) -> Address {
    let point = key.verifying_key().to_encoded_point(false);
    Address::from_slice(&keccak256(&point.as_bytes()[1..])[12..])
}

fn quantity(v: &Value, what: &str) -> Result<U256> {
    let s = v
        .as_str()
        .ok_or_else(|| node_err(format!("{what}: expected a hex quantity, got {v}")))?;
    U256::from_str_radix(s.trim_start_matches("0x"), 16)
        .map_err(rpc_err(format!("{what}: not a hex quantity")))
}

fn data(v: &Value, what: &str) -> Result<Bytes> {
    let s = v
        .as_str()
        .ok_or_else(|| node_err(format!("{what}: expected hex data, got {v}")))?;
    hex::decode(s)
        .map(Bytes::from)
        .map_err(rpc_err(format!("{what}: not hex data")))
}

/// Revert data in a JSON-RPC error (`error.data` as hex, or nested as some nodes do).
fn revert_data(err: &Value) -> Option<Bytes> {
    let d = &err["data"];
    let s = d.as_str().or_else(|| d["data"].as_str())?;
    hex::decode(s).ok().map(Bytes::from)
}

impl RpcChain {
    /// Connects to `url` (read-only: transactions need [`RpcChain::with_key`]). Asks the
    /// node for its chain id.
    pub fn connect(url: &str) -> Result<Self> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(60)))
            .http_status_as_error(false)
            .build()
            .into();
        let mut chain = Self {
            url: url.to_string(),
            agent,
            key: None,
            sender: Address::ZERO,
            chain_id: 0,
            libraries: BTreeMap::new(),
            next_id: 1,
        };
        chain.chain_id =
            quantity(&chain.request("eth_chainId", json!([]))?, "eth_chainId")?.saturating_to();
        Ok(chain)
    }

    /// Signs transactions with `key` (see [`parse_private_key`]).
    pub fn with_key(mut self, key: SigningKey) -> Self {
        self.sender = address_of(&key);
        self.key = Some(key);
        self
    }

    /// The node's chain id.
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// The latest block number.
    pub fn block_number(&mut self) -> Result<u64> {
        Ok(quantity(
            &self.request("eth_blockNumber", json!([]))?,
            "eth_blockNumber",
        )?
        .saturating_to())
    }

    /// One JSON-RPC request; a JSON-RPC error becomes [`ChainError::Reverted`] when it carries
    /// revert data, [`ChainError::Node`] otherwise.
    pub fn request(&mut self, method: &str, params: Value) -> Result<Value> {
        let id = self.next_id;
        self.next_id += 1;
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let mut resp = self
            .agent
            .post(&self.url)
            .send_json(&body)
            .map_err(rpc_err(format!("{method} to {}", self.url)))?;
        let status = resp.status();
        let v: Value = resp
            .body_mut()
            .read_json()
            .map_err(rpc_err(format!("{method} to {}: HTTP {status}", self.url)))?;
        if let Some(err) = v.get("error") {
            if let Some(d) = revert_data(err) {
                return Err(ChainError::Reverted {
                    reason: decode_revert(&d),
                    data: d,
                    gas_used: 0,
                });
            }
            return Err(node_err(format!("{method}: {err}")));
        }
        Ok(v["result"].clone())
    }

    fn call_object(&self, to: Option<Address>, data: &Bytes, value: U256) -> Value {
        let mut o = json!({
            "from": self.sender,
            "data": data,
            "value": format!("0x{value:x}"),
        });
        if let Some(to) = to {
            o["to"] = json!(to);
        }
        o
    }

    /// `eth_call` at a block (`None`: latest).
    pub fn call_at(&mut self, to: Address, data: Bytes, block: Option<u64>) -> Result<Bytes> {
        let tag = match block {
            Some(b) => json!(format!("0x{b:x}")),
            None => json!("latest"),
        };
        let call = self.call_object(Some(to), &data, U256::ZERO);
        let out = self.request("eth_call", json!([call, tag]))?;
        data_of(&out, "eth_call")
    }

    fn receipt(&mut self, hash: B256) -> Result<Value> {
        let start = Instant::now();
        loop {
            let r = self.request("eth_getTransactionReceipt", json!([hash]))?;
            if !r.is_null() {
                return Ok(r);
            }
            if start.elapsed() > RECEIPT_TIMEOUT {
                return Err(node_err(format!(
                    "no receipt for {hash} after {}s",
                    RECEIPT_TIMEOUT.as_secs()
                )));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

fn data_of(v: &Value, what: &str) -> Result<Bytes> {
    data(v, what)
}

fn logs_of(receipt: &Value) -> Result<Vec<Log>> {
    let mut logs = Vec::new();
    for l in receipt["logs"].as_array().into_iter().flatten() {
        let address: Address =
            serde_json::from_value(l["address"].clone()).map_err(rpc_err("log address"))?;
        let topics: Vec<B256> =
            serde_json::from_value(l["topics"].clone()).map_err(rpc_err("log topics"))?;
        let d = data(&l["data"], "log data")?;
        logs.push(Log {
            address,
            data: LogData::new_unchecked(topics, d),
        });
    }
    Ok(logs)
}

impl RpcChain {
    fn estimate(&mut self, to: Option<Address>, data: &Bytes, value: U256) -> Result<u64> {
        let call = self.call_object(to, data, value);
        Ok(quantity(
            &self.request("eth_estimateGas", json!([call]))?,
            "eth_estimateGas",
        )?
        .saturating_to())
    }

    /// Sends a transaction with gas limit `gas_limit`, or the node's estimate plus 20%.
    fn send(
        &mut self,
        to: Option<Address>,
        data: Bytes,
        value: U256,
        gas_limit: Option<u64>,
    ) -> Result<Receipt> {
        let key = self
            .key
            .clone()
            .ok_or_else(|| ChainError::Input("sending a transaction needs a private key".into()))?;
        let gas_limit = match gas_limit {
            Some(limit) => limit,
            None => {
                let estimate = self.estimate(to, &data, value)?;
                estimate + estimate / 5
            }
        };
        let nonce: u64 = quantity(
            &self.request("eth_getTransactionCount", json!([self.sender, "pending"]))?,
            "eth_getTransactionCount",
        )?
        .saturating_to();
        let gas_price: u128 =
            quantity(&self.request("eth_gasPrice", json!([]))?, "eth_gasPrice")?.saturating_to();
        let tx = TxLegacy {
            chain_id: Some(self.chain_id),
            nonce,
            gas_price,
            gas_limit,
            to: match to {
                Some(a) => TxKind::Call(a),
                None => TxKind::Create,
            },
            value,
            input: data.clone(),
        };
        let (sig, recid) = key
            .sign_prehash_recoverable(tx.signature_hash().as_slice())
            .map_err(rpc_err("signing"))?;
        let signature = Signature::new(
            U256::from_be_slice(&sig.r().to_bytes()),
            U256::from_be_slice(&sig.s().to_bytes()),
            recid.is_y_odd(),
        );
        let raw = TxEnvelope::Legacy(tx.into_signed(signature)).encoded_2718();
        let hash: B256 = serde_json::from_value(
            self.request("eth_sendRawTransaction", json!([Bytes::from(raw)]))?,
        )
        .map_err(rpc_err("eth_sendRawTransaction"))?;
        let r = self.receipt(hash)?;
        let gas_used: u64 = quantity(&r["gasUsed"], "gasUsed")?.saturating_to();
        let block_number: u64 = quantity(&r["blockNumber"], "blockNumber")?.saturating_to();
        if quantity(&r["status"], "status")? != U256::from(1u64) {
            return Err(ChainError::Reverted {
                reason: format!("transaction {hash} failed on chain (status 0)"),
                data: Bytes::new(),
                gas_used,
            });
        }
        let contract_address = match r.get("contractAddress") {
            Some(v) if !v.is_null() => {
                Some(serde_json::from_value(v.clone()).map_err(rpc_err("contractAddress"))?)
            }
            _ => None,
        };
        let intrinsic = revm::context_interface::cfg::gas::calculate_initial_tx_gas(
            revm::primitives::hardfork::SpecId::PRAGUE,
            &data,
            to.is_none(),
            0,
            0,
            0,
            None,
        );
        Ok(Receipt {
            output: Bytes::new(),
            contract_address,
            gas_used,
            execution_gas: gas_used.saturating_sub(intrinsic.initial_regular_gas),
            logs: logs_of(&r)?,
            block_number,
        })
    }
}

impl EvmBackend for RpcChain {
    fn sender(&self) -> Address {
        self.sender
    }

    fn libraries(&mut self) -> &mut BTreeMap<String, Address> {
        &mut self.libraries
    }

    fn transact(&mut self, to: Option<Address>, data: Bytes, value: U256) -> Result<Receipt> {
        self.send(to, data, value, None)
    }

    fn transact_limited(&mut self, to: Address, data: Bytes, gas_limit: u64) -> Result<Receipt> {
        self.send(Some(to), data, U256::ZERO, Some(gas_limit))
    }

    fn estimate_gas(&mut self, to: Address, data: Bytes) -> Result<u64> {
        self.estimate(Some(to), &data, U256::ZERO)
    }

    /// `eth_getLogs` from block 0 to the latest block (a node that limits the range of
    /// `eth_getLogs` refuses it).
    fn logs(&mut self, address: Address, topic0: B256, topic1: Option<B256>) -> Result<Vec<Log>> {
        let topics = match topic1 {
            Some(t1) => json!([topic0, t1]),
            None => json!([topic0]),
        };
        let filter = json!({
            "address": address,
            "topics": topics,
            "fromBlock": "0x0",
            "toBlock": "latest",
        });
        let out = self.request("eth_getLogs", json!([filter]))?;
        logs_of(&json!({ "logs": out }))
    }

    fn call(&mut self, to: Address, data: Bytes) -> Result<Receipt> {
        let output = self.call_at(to, data, None)?;
        Ok(Receipt {
            output,
            contract_address: None,
            gas_used: 0,
            execution_gas: 0,
            logs: Vec::new(),
            block_number: 0,
        })
    }
}

/// Reads a state source's root (`root()` by `eth_call`) at `block` (`None`: latest): what
/// `zkbackup verify --rpc URL --state ADDR [--block N]` checks a backup against.
pub fn read_state_root(url: &str, state_source: Address, block: Option<u64>) -> Result<Fr> {
    let mut chain = RpcChain::connect(url)?;
    let out = chain.call_at(
        state_source,
        StateSource::rootCall {}.abi_encode().into(),
        block,
    )?;
    let root = StateSource::rootCall::abi_decode_returns(&out).map_err(|source| {
        ChainError::DecodeAbi {
            what: format!("root() of {state_source}"),
            source,
        }
    })?;
    u256_to_fr(root).ok_or_else(|| ChainError::Decode {
        what: format!("root() of {state_source}"),
        reason: format!("{root} is not a field element"),
    })
}

/// What a state source says at one block: what `zkbackup verify --rpc URL --state ADDR`
/// checks a bundle against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateAt {
    /// The node's chain id.
    pub chain_id: u64,
    /// The block both values were read at.
    pub block: u64,
    /// `root()`: the state root `R`.
    pub root: Fr,
    /// `size()`: the number of leaves (records).
    pub size: u64,
}

fn decode_call<C: SolCall>(out: &[u8], what: impl Fn() -> String) -> Result<C::Return> {
    C::abi_decode_returns(out).map_err(|source| ChainError::DecodeAbi {
        what: what(),
        source,
    })
}

impl RpcChain {
    /// `block`, or the latest block's number: reads that must agree are made at one block.
    pub fn resolve_block(&mut self, block: Option<u64>) -> Result<u64> {
        match block {
            Some(block) => Ok(block),
            None => self.block_number(),
        }
    }

    /// A state source's `root()` and `size()`, both at `block`.
    pub fn state_at(&mut self, state_source: Address, block: u64) -> Result<StateAt> {
        let what = |f: &str| format!("{f} of {state_source} at block {block}");
        let out = self.call_at(
            state_source,
            StateSource::rootCall {}.abi_encode().into(),
            Some(block),
        )?;
        let root = decode_call::<StateSource::rootCall>(&out, || what("root()"))?;
        let root = u256_to_fr(root).ok_or_else(|| ChainError::Decode {
            what: what("root()"),
            reason: format!("{root} is not a field element"),
        })?;
        let out = self.call_at(
            state_source,
            StateSource::sizeCall {}.abi_encode().into(),
            Some(block),
        )?;
        let size = decode_call::<StateSource::sizeCall>(&out, || what("size()"))?;
        let size = u64::try_from(size).map_err(|_| ChainError::Decode {
            what: what("size()"),
            reason: format!("{size} does not fit in 64 bits"),
        })?;
        Ok(StateAt {
            chain_id: self.chain_id,
            block,
            root,
            size,
        })
    }

    /// A gate's `keyCommitment()` (the escrowed key's `K`) at `block`.
    pub fn gate_key_commitment(&mut self, gate: Address, block: u64) -> Result<Fr> {
        let what = || format!("keyCommitment() of {gate} at block {block}");
        let out = self.call_at(
            gate,
            BackupGate::keyCommitmentCall {}.abi_encode().into(),
            Some(block),
        )?;
        let k = decode_call::<BackupGate::keyCommitmentCall>(&out, what)?;
        u256_to_fr(k).ok_or_else(|| ChainError::Decode {
            what: what(),
            reason: format!("{k} is not a field element"),
        })
    }

    /// A gate's `stateSource()` address at `block`.
    pub fn gate_state_source(&mut self, gate: Address, block: u64) -> Result<Address> {
        let out = self.call_at(
            gate,
            BackupGate::stateSourceCall {}.abi_encode().into(),
            Some(block),
        )?;
        decode_call::<BackupGate::stateSourceCall>(&out, || {
            format!("stateSource() of {gate} at block {block}")
        })
    }
}
