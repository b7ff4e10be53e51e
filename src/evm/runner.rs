//! Runs compiled contracts in an in-process EVM (revm) so that deployment, verification and gas can
//! be checked without a node. Transactions are sent and committed the way anvil would mine them
//! (a funded EOA, real nonces, receipt gas), so the numbers here can be compared with an anvil run
//! of the same contract; the only deliberate departure is the raised per-transaction gas cap.

use alloy::primitives::{Address, Bytes, TxKind, U256};
use revm::context::result::{EVMError, ExecutionResult, InvalidTransaction};
use revm::context::{BlockEnv, CfgEnv, Context, TxEnv};
use revm::database::{CacheDB, EmptyDB};
use revm::database_interface::DatabaseRef;
use revm::handler::{MainnetContext, MainnetEvm};
use revm::primitives::hardfork::SpecId;
use revm::state::AccountInfo;
use revm::{ExecuteCommitEvm, MainBuilder, MainContext};

use crate::error::ZkError;

/// anvil's first dev account, so contract addresses come out as they do on a fresh anvil.
pub const SENDER: Address = alloy::primitives::address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266");

/// anvil's default chain id, visible to contracts through CHAINID.
pub const CHAIN_ID: u64 = 31337;

/// Gas limit of every transaction. Osaka caps a transaction at 2^24 gas (EIP-7825), which a
/// verifier deployment or a large verification can exceed; the cap is raised to this value instead,
/// and gas used does not depend on the limit for contracts that do not branch on `gas()`.
pub const TX_GAS_LIMIT: u64 = 1_000_000_000;
const _: () = assert!(TX_GAS_LIMIT > revm::primitives::eip7825::TX_GAS_LIMIT_CAP);

type Db = CacheDB<EmptyDB>;
type Revm = MainnetEvm<MainnetContext<Db>>;

/// A contract that was created by a successful deployment transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployed {
    pub address: Address,
    /// Receipt gas of the creation transaction: intrinsic (with initcode words) + constructor + code deposit.
    pub gas_used: u64,
    pub runtime_size: usize,
}

/// How a call transaction ended; a revert or halt is an outcome, not an error, because rejecting a
/// bad proof is exactly what the verifier is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallOutcome {
    pub success: bool,
    /// Return data on success, revert data on revert, empty on an exceptional halt.
    pub output: Vec<u8>,
    /// Receipt gas: 21000 + calldata (or the EIP-7623 floor) + execution, after refunds.
    pub gas_used: u64,
}

/// An in-memory chain under Osaka rules with one funded sender; every transaction is committed.
pub struct Evm {
    inner: Revm,
}

impl Default for Evm {
    fn default() -> Self {
        Self::new()
    }
}

impl Evm {
    pub fn new() -> Self {
        let mut db = Db::default();
        // As much ether as an anvil dev account; gas is free (price 0) but value transfers are not.
        let balance = U256::from(10_000u64) * U256::from(10u64).pow(U256::from(18u64));
        db.insert_account_info(SENDER, AccountInfo::from_balance(balance));
        let inner = Context::mainnet()
            .modify_cfg_chained(|cfg: &mut CfgEnv| {
                // Pinned rather than taken from revm's default so a revm upgrade cannot move gas numbers.
                cfg.set_spec_and_mainnet_gas_params(SpecId::OSAKA);
                cfg.chain_id = CHAIN_ID;
                cfg.tx_gas_limit_cap = Some(TX_GAS_LIMIT);
                // `limit_contract_code_size` stays None: EIP-170 (24,576 bytes) applies as on mainnet.
            })
            .modify_block_chained(|block: &mut BlockEnv| {
                block.gas_limit = TX_GAS_LIMIT;
                block.basefee = 0;
                block.number = U256::from(1u64);
            })
            .with_db(db)
            .build_mainnet();
        Evm { inner }
    }

    /// Sends a creation transaction; anything but a created contract is an error.
    pub fn deploy(&mut self, creation_code: &[u8]) -> Result<Deployed, ZkError> {
        let result = self.transact(TxKind::Create, Bytes::copy_from_slice(creation_code))?;
        let gas_used = result.tx_gas_used();
        match result {
            ExecutionResult::Success { output, .. } => {
                let address = output
                    .address()
                    .copied()
                    .ok_or_else(|| ZkError::internal("creation succeeded but revm reported no address"))?;
                let runtime_size = self
                    .db()
                    .basic_ref(address)
                    .ok()
                    .flatten()
                    .and_then(|info| info.code.map(|code| code.len()))
                    .unwrap_or(0);
                Ok(Deployed { address, gas_used, runtime_size })
            }
            ExecutionResult::Revert { output, .. } => Err(ZkError::internal(format!(
                "deployment reverted after {gas_used} gas: {}",
                describe_revert(&output)
            ))),
            ExecutionResult::Halt { reason, .. } => {
                Err(ZkError::internal(format!("deployment halted after {gas_used} gas: {reason}")))
            }
        }
    }

    /// Sends a call transaction to `to`. As on a real chain, calling an address without code succeeds
    /// with empty output.
    pub fn call(&mut self, to: Address, calldata: Vec<u8>) -> Result<CallOutcome, ZkError> {
        let result = self.transact(TxKind::Call(to), Bytes::from(calldata))?;
        let gas_used = result.tx_gas_used();
        let (success, output) = match result {
            ExecutionResult::Success { output, .. } => (true, output.into_data().to_vec()),
            ExecutionResult::Revert { output, .. } => (false, output.to_vec()),
            ExecutionResult::Halt { .. } => (false, Vec::new()),
        };
        Ok(CallOutcome { success, output, gas_used })
    }

    fn db(&self) -> &Db {
        &self.inner.ctx.journaled_state.database
    }

    /// One committed transaction from [`SENDER`] with its current nonce, as a node would mine it.
    fn transact(&mut self, kind: TxKind, data: Bytes) -> Result<ExecutionResult, ZkError> {
        let nonce = self
            .db()
            .basic_ref(SENDER)
            .map_err(|e| ZkError::internal(format!("reading the sender account: {e:?}")))?
            .map(|info| info.nonce)
            .unwrap_or(0);
        let tx = TxEnv::builder()
            .caller(SENDER)
            .kind(kind)
            .data(data)
            .nonce(nonce)
            .chain_id(Some(CHAIN_ID))
            .gas_limit(TX_GAS_LIMIT)
            .gas_price(0)
            .build()
            .map_err(|e| ZkError::internal(format!("building the transaction: {e}")))?;
        self.inner.transact_commit(tx).map_err(|e| match e {
            EVMError::Transaction(invalid) => invalid_tx(invalid),
            other => ZkError::internal(format!("EVM failure: {other:?}")),
        })
    }
}

fn invalid_tx(invalid: InvalidTransaction) -> ZkError {
    ZkError::internal(format!("transaction rejected before execution: {invalid}"))
}

/// A readable revert reason for error messages: `Error(string)` and `Panic(uint256)` decoded, else hex.
fn describe_revert(output: &[u8]) -> String {
    if output.is_empty() {
        return "no revert data".to_string();
    }
    alloy::sol_types::decode_revert_reason(output).unwrap_or_else(|| format!("revert data 0x{}", hex::encode(output)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evm::solc::tests::compile_test_contract;
    use alloy::sol_types::{SolCall, SolError};

    alloy::sol! {
        interface ITest {
            error Nope(uint256 code);
            function add(uint256 a, uint256 b) external pure returns (uint256);
            function fail(uint256 code) external pure;
        }
    }

    /// Pre-Prague intrinsic calldata cost: 4 per zero byte, 16 per non-zero byte.
    fn calldata_cost(data: &[u8]) -> u64 {
        data.iter().map(|&b| if b == 0 { 4 } else { 16 }).sum()
    }

    /// EIP-7623 floor: 21000 + 10 per token, where a zero byte is one token and a non-zero byte four.
    fn calldata_floor(data: &[u8]) -> u64 {
        21_000 + 10 * data.iter().map(|&b| if b == 0 { 1 } else { 4 }).sum::<u64>()
    }

    fn deployed_test_contract(evm: &mut Evm) -> Deployed {
        let compiled = compile_test_contract();
        let deployed = evm.deploy(&compiled.creation_code).unwrap();
        assert_eq!(deployed.runtime_size, compiled.runtime_code.len());
        deployed
    }

    #[test]
    fn deploys_and_calls_compiled_contract() {
        let mut evm = Evm::new();
        let deployed = deployed_test_contract(&mut evm);
        // Same address as the first deployment on a fresh anvil.
        assert_eq!(deployed.address, SENDER.create(0));
        assert!(deployed.gas_used > 53_000, "creation costs at least 53000 intrinsic: {}", deployed.gas_used);

        let calldata = ITest::addCall { a: U256::from(40u64), b: U256::from(2u64) }.abi_encode();
        let outcome = evm.call(deployed.address, calldata.clone()).unwrap();
        assert!(outcome.success);
        let sum = ITest::addCall::abi_decode_returns(&outcome.output).unwrap();
        assert_eq!(sum, U256::from(42u64));
        assert!(outcome.gas_used >= 21_000 + calldata_cost(&calldata), "{}", outcome.gas_used);
        assert!(outcome.gas_used >= calldata_floor(&calldata), "{}", outcome.gas_used);
        assert!(outcome.gas_used < 30_000, "a pure add should be cheap: {}", outcome.gas_used);

        // The next creation uses the bumped nonce (one create + one call so far).
        let second = deployed_test_contract(&mut evm);
        assert_eq!(second.address, SENDER.create(2));
    }

    #[test]
    fn revert_is_an_outcome_with_the_custom_error() {
        let mut evm = Evm::new();
        let deployed = deployed_test_contract(&mut evm);
        let calldata = ITest::failCall { code: U256::from(7u64) }.abi_encode();
        let outcome = evm.call(deployed.address, calldata.clone()).unwrap();
        assert!(!outcome.success);
        assert_eq!(outcome.output[..4], ITest::Nope::SELECTOR);
        let decoded = ITest::Nope::abi_decode(&outcome.output).unwrap();
        assert_eq!(decoded.code, U256::from(7u64));
        assert!(outcome.gas_used >= 21_000 + calldata_cost(&calldata), "{}", outcome.gas_used);

        // Overflow in checked arithmetic is a Panic revert, also not an error.
        let overflow = ITest::addCall { a: U256::MAX, b: U256::from(1u64) }.abi_encode();
        let outcome = evm.call(deployed.address, overflow).unwrap();
        assert!(!outcome.success);
        assert_eq!(describe_revert(&outcome.output), "panic: arithmetic underflow or overflow (0x11)");
    }

    #[test]
    fn gas_used_is_receipt_gas_including_intrinsic() {
        let mut evm = Evm::new();
        let empty = Address::repeat_byte(0x42);
        // No code at the target: the receipt gas is exactly the intrinsic cost.
        assert_eq!(evm.call(empty, Vec::new()).unwrap().gas_used, 21_000);
        // With calldata and no execution, the EIP-7623 floor (Prague and later) is what is charged.
        let calldata = ITest::addCall { a: U256::from(1u64), b: U256::from(2u64) }.abi_encode();
        let outcome = evm.call(empty, calldata.clone()).unwrap();
        assert!(outcome.success && outcome.output.is_empty());
        assert_eq!(outcome.gas_used, calldata_floor(&calldata).max(21_000 + calldata_cost(&calldata)));
    }

    /// Init code that returns `size` zero bytes as the runtime code.
    fn initcode_returning(size: u16) -> Vec<u8> {
        let [hi, lo] = size.to_be_bytes();
        vec![0x61, hi, lo, 0x60, 0x00, 0xf3] // PUSH2 size, PUSH1 0, RETURN
    }

    #[test]
    fn eip170_code_size_limit_is_enforced() {
        let mut evm = Evm::new();
        let at_limit = evm.deploy(&initcode_returning(24_576)).unwrap();
        assert_eq!(at_limit.runtime_size, 24_576);
        assert!(at_limit.gas_used > 200 * 24_576, "code deposit is 200 gas a byte: {}", at_limit.gas_used);
        let err = evm.deploy(&initcode_returning(24_577)).unwrap_err();
        assert!(err.message.contains("halted"), "{err}");
        assert!(err.message.to_lowercase().contains("size"), "{err}");
    }

    #[test]
    fn transactions_may_exceed_the_osaka_gas_cap() {
        let mut evm = Evm::new();
        // Runtime `JUMPDEST PUSH1 0 JUMP`, an endless loop, put in place by MSTORE + RETURN.
        let initcode = [0x63, 0x5b, 0x60, 0x00, 0x56, 0x60, 0x00, 0x52, 0x60, 0x04, 0x60, 0x1c, 0xf3];
        let looping = evm.deploy(&initcode).unwrap();
        assert_eq!(looping.runtime_size, 4);
        let outcome = evm.call(looping.address, Vec::new()).unwrap();
        // A halt burns the whole limit, far beyond EIP-7825's 2^24, and is an outcome, not an error.
        assert_eq!(outcome, CallOutcome { success: false, output: Vec::new(), gas_used: TX_GAS_LIMIT });
    }

    #[test]
    fn reverting_constructor_is_an_error() {
        let mut evm = Evm::new();
        // PUSH1 0, PUSH1 0, REVERT
        let err = evm.deploy(&[0x60, 0x00, 0x60, 0x00, 0xfd]).unwrap_err();
        assert!(err.message.contains("reverted"), "{err}");
    }
}
