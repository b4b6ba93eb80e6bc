//! An in-process EVM (revm, Prague rules) with an in-memory state: deploy, call, send, mine.
//! Every committed transaction is mined in its own block (as a local dev node does), so block
//! numbers advance with transactions and with [`EmbeddedChain::mine`].

use crate::abi::decode_revert;
use crate::artifact::{committed, Artifact};
use crate::{ChainError, Result};
use alloy_primitives::{address, Address, Bytes, Log, TxKind, B256, U256};
use revm::context::result::{ExecutionResult, Output};
use revm::context::{BlockEnv, CfgEnv, Context, Journal, TxEnv};
use revm::context_interface::cfg::gas::calculate_initial_tx_gas;
use revm::context_interface::ContextTr;
use revm::database::{CacheDB, EmptyDB};
use revm::primitives::hardfork::SpecId;
use revm::state::AccountInfo;
use revm::{DatabaseRef, ExecuteCommitEvm, ExecuteEvm, MainBuilder, MainContext, MainnetEvm};
use std::collections::BTreeMap;

type Db = CacheDB<EmptyDB>;
type Ctx = Context<BlockEnv, TxEnv, CfgEnv, Db, Journal<Db>, ()>;

/// The chain id of the embedded chain (a local dev chain's).
pub const CHAIN_ID: u64 = 31337;
/// The funded default sender (the first account of the usual dev mnemonic).
pub const DEFAULT_SENDER: Address = address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
/// The gas limit of every embedded transaction and call (unless a transaction sets its own,
/// [`EvmBackend::transact_limited`]).
pub const TX_GAS_LIMIT: u64 = 200_000_000;
const SPEC: SpecId = SpecId::PRAGUE;

/// The outcome of a successful transaction or call.
#[derive(Clone, Debug)]
pub struct Receipt {
    /// The returned data (for a creation: the deployed code).
    pub output: Bytes,
    /// The created contract, for a creation.
    pub contract_address: Option<Address>,
    /// Gas charged for the transaction (intrinsic included, refunds deducted).
    pub gas_used: u64,
    /// Gas spent by execution alone: total spent minus the intrinsic gas (21,000, calldata,
    /// creation), before refunds.
    pub execution_gas: u64,
    /// Emitted logs.
    pub logs: Vec<Log>,
    /// The block the transaction was mined in (for a call: the current block).
    pub block_number: u64,
}

/// Deploying and calling contracts, on the embedded EVM or (later) over JSON-RPC.
pub trait EvmBackend {
    /// The account that sends transactions.
    fn sender(&self) -> Address;
    /// Deployed libraries by name, for linking.
    fn libraries(&mut self) -> &mut BTreeMap<String, Address>;
    /// Sends a transaction from [`EvmBackend::sender`]; `to = None` creates a contract.
    fn transact(&mut self, to: Option<Address>, data: Bytes, value: U256) -> Result<Receipt>;
    /// Executes a call against the current state without changing it.
    fn call(&mut self, to: Address, data: Bytes) -> Result<Receipt>;
    /// The gas limit a transaction from [`EvmBackend::sender`] needs now (measured by the EVM:
    /// a simulation on the embedded chain, `eth_estimateGas` over JSON-RPC). A revert is
    /// [`ChainError::Reverted`] with its decoded reason.
    fn estimate_gas(&mut self, to: Address, data: Bytes) -> Result<u64>;
    /// Sends a transaction with gas limit `gas_limit` (it fails rather than use more).
    fn transact_limited(&mut self, to: Address, data: Bytes, gas_limit: u64) -> Result<Receipt>;
    /// The logs `address` emitted with first topic `topic0` and, if given, second topic
    /// `topic1`, in chain order (committed transactions only).
    fn logs(&mut self, address: Address, topic0: B256, topic1: Option<B256>) -> Result<Vec<Log>>;

    /// Deploys `artifact` with ABI-encoded constructor arguments, deploying (once) and
    /// linking the committed libraries it needs.
    fn deploy(&mut self, artifact: &Artifact, ctor_args: &[u8]) -> Result<Address> {
        let needed: Vec<String> = artifact.libraries().map(str::to_string).collect();
        for lib in needed {
            if self.libraries().contains_key(&lib) {
                continue;
            }
            let lib_artifact = match lib.as_str() {
                "PoseidonT3" => committed::poseidon_t3(),
                other => {
                    return Err(ChainError::Artifact {
                        name: artifact.name.clone(),
                        reason: format!("no committed artifact for library {other}"),
                    })
                }
            };
            let addr = self.deploy(&lib_artifact, &[])?;
            self.libraries().insert(lib, addr);
        }
        let mut code = artifact.linked_bytecode(self.libraries())?.to_vec();
        code.extend_from_slice(ctor_args);
        let receipt = self.transact(None, code.into(), U256::ZERO)?;
        receipt
            .contract_address
            .ok_or_else(|| ChainError::Artifact {
                name: artifact.name.clone(),
                reason: "creation returned no address".into(),
            })
    }
}

/// An in-process EVM with an in-memory state and one funded sender.
pub struct EmbeddedChain {
    evm: MainnetEvm<Ctx>,
    sender: Address,
    libraries: BTreeMap<String, Address>,
    /// Every log of every committed transaction, in order.
    logs: Vec<Log>,
}

impl Default for EmbeddedChain {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for EmbeddedChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedChain")
            .field("block", &self.block_number())
            .field("sender", &self.sender)
            .field("libraries", &self.libraries)
            .finish()
    }
}

impl EmbeddedChain {
    /// A fresh chain at block 1 with [`DEFAULT_SENDER`] holding 10^24 wei; gas is free
    /// (base fee 0), the rules are Prague's.
    pub fn new() -> Self {
        let mut db = Db::new(EmptyDB::default());
        db.insert_account_info(
            DEFAULT_SENDER,
            AccountInfo {
                balance: U256::from(10u64).pow(U256::from(24u64)),
                ..Default::default()
            },
        );
        let ctx: Ctx = Context::mainnet()
            .with_db(db)
            .modify_cfg_chained(|cfg| {
                cfg.spec = SPEC;
                cfg.chain_id = CHAIN_ID;
            })
            .modify_block_chained(|b| {
                b.number = U256::from(1u64);
                b.timestamp = U256::from(1_700_000_000u64);
                b.gas_limit = 1_000_000_000;
                b.basefee = 0;
            });
        Self {
            evm: ctx.build_mainnet(),
            sender: DEFAULT_SENDER,
            libraries: BTreeMap::new(),
            logs: Vec::new(),
        }
    }

    /// The current block number (the block the next transaction goes into).
    pub fn block_number(&self) -> u64 {
        self.evm.ctx.block.number.saturating_to()
    }

    /// Advances the chain by `blocks` empty blocks.
    pub fn mine(&mut self, blocks: u64) {
        let b = &mut self.evm.ctx.block;
        b.number += U256::from(blocks);
        b.timestamp += U256::from(12 * blocks);
    }

    /// Sets the sending account (funding it with 10^24 wei if it has nothing).
    pub fn set_sender(&mut self, sender: Address) {
        if self.balance(sender).is_zero() {
            self.fund(sender, U256::from(10u64).pow(U256::from(24u64)));
        }
        self.sender = sender;
    }

    /// Sets an account's balance.
    pub fn fund(&mut self, account: Address, wei: U256) {
        let db = self.evm.ctx.db_mut();
        let mut info = db.basic_ref(account).ok().flatten().unwrap_or_default();
        info.balance = wei;
        db.insert_account_info(account, info);
    }

    /// An account's balance.
    pub fn balance(&self, account: Address) -> U256 {
        self.account(account).balance
    }

    /// An account's deployed code (empty if none).
    pub fn code(&self, account: Address) -> Bytes {
        self.account(account)
            .code
            .map(|c| c.original_bytes())
            .unwrap_or_default()
    }

    fn account(&self, account: Address) -> AccountInfo {
        let db = &self.evm.ctx.journaled_state.database;
        let mut info = db.basic_ref(account).ok().flatten().unwrap_or_default();
        if info.code.is_none() && !info.is_empty_code_hash() {
            info.code = db.code_by_hash_ref(info.code_hash).ok();
        }
        info
    }

    fn tx(&self, to: Option<Address>, data: Bytes, value: U256) -> TxEnv {
        self.tx_limited(to, data, value, TX_GAS_LIMIT)
    }

    fn tx_limited(&self, to: Option<Address>, data: Bytes, value: U256, gas_limit: u64) -> TxEnv {
        let nonce = self.account(self.sender).nonce;
        TxEnv::builder()
            .caller(self.sender)
            .kind(match to {
                Some(a) => TxKind::Call(a),
                None => TxKind::Create,
            })
            .data(data)
            .value(value)
            .gas_limit(gas_limit)
            .gas_price(0)
            .nonce(nonce)
            .chain_id(Some(CHAIN_ID))
            .build_fill()
    }

    fn commit(&mut self, tx: TxEnv, data: &Bytes, create: bool) -> Result<Receipt> {
        let result = self
            .evm
            .transact_commit(tx)
            .map_err(|e| ChainError::Evm(Box::new(e)))?;
        let receipt = self.outcome(result, data, create);
        if let Ok(r) = &receipt {
            self.logs.extend(r.logs.iter().cloned());
        }
        self.mine(1);
        receipt
    }

    fn outcome(&self, result: ExecutionResult, data: &[u8], create: bool) -> Result<Receipt> {
        let intrinsic = calculate_initial_tx_gas(SPEC, data, create, 0, 0, 0, None);
        let intrinsic = intrinsic.initial_regular_gas + intrinsic.initial_state_gas;
        match result {
            ExecutionResult::Success {
                gas, logs, output, ..
            } => {
                let (output, contract_address) = match output {
                    Output::Call(b) => (b, None),
                    Output::Create(b, a) => (b, a),
                };
                Ok(Receipt {
                    output,
                    contract_address,
                    gas_used: gas.tx_gas_used(),
                    execution_gas: gas.total_gas_spent().saturating_sub(intrinsic),
                    logs,
                    block_number: self.block_number(),
                })
            }
            ExecutionResult::Revert { gas, output, .. } => Err(ChainError::Reverted {
                reason: decode_revert(&output),
                data: output,
                gas_used: gas.tx_gas_used(),
            }),
            ExecutionResult::Halt { reason, .. } => Err(ChainError::Halted(format!("{reason:?}"))),
        }
    }
}

impl EvmBackend for EmbeddedChain {
    fn sender(&self) -> Address {
        self.sender
    }

    fn libraries(&mut self) -> &mut BTreeMap<String, Address> {
        &mut self.libraries
    }

    fn transact(&mut self, to: Option<Address>, data: Bytes, value: U256) -> Result<Receipt> {
        let tx = self.tx(to, data.clone(), value);
        self.commit(tx, &data, to.is_none())
    }

    fn transact_limited(&mut self, to: Address, data: Bytes, gas_limit: u64) -> Result<Receipt> {
        let tx = self.tx_limited(Some(to), data.clone(), U256::ZERO, gas_limit);
        self.commit(tx, &data, false)
    }

    fn estimate_gas(&mut self, to: Address, data: Bytes) -> Result<u64> {
        let run = |chain: &mut Self, limit: u64| {
            let tx = chain.tx_limited(Some(to), data.clone(), U256::ZERO, limit);
            chain
                .evm
                .transact(tx)
                .map(|r| r.result)
                .map_err(|e| ChainError::Evm(Box::new(e)))
        };
        let gas = match run(self, TX_GAS_LIMIT)? {
            ExecutionResult::Success { gas, .. } => gas,
            other => return self.outcome(other, &data, false).map(|_| 0),
        };
        // Spent before refunds (or the calldata floor) is the least limit that can work; a
        // call forwards only 63/64 of what is left, so a little more may be needed.
        let least = gas.total_gas_spent().max(gas.floor_gas());
        for extra in [0, 64, 32, 16, 8, 4] {
            let limit = least + least.checked_div(extra).unwrap_or(0);
            if run(self, limit)?.is_success() {
                return Ok(limit);
            }
        }
        Err(ChainError::Halted(format!(
            "no gas limit up to {} lets the transaction succeed",
            least + least / 4
        )))
    }

    fn logs(&mut self, address: Address, topic0: B256, topic1: Option<B256>) -> Result<Vec<Log>> {
        Ok(self
            .logs
            .iter()
            .filter(|l| {
                let t = l.data.topics();
                l.address == address
                    && t.first() == Some(&topic0)
                    && topic1.is_none_or(|t1| t.get(1) == Some(&t1))
            })
            .cloned()
            .collect())
    }

    fn call(&mut self, to: Address, data: Bytes) -> Result<Receipt> {
        let tx = self.tx(Some(to), data.clone(), U256::ZERO);
        let result = self
            .evm
            .transact(tx)
            .map_err(|e| ChainError::Evm(Box::new(e)))?
            .result;
        self.outcome(result, &data, false)
    }
}
