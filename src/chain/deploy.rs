//! `zkinfer deploy`: the Rust path to put a generated verifier (and its verifying-key contract in
//! separate-VK mode) on any chain. The forge scripts in `script/` remain the Solidity path.

use alloy::network::TransactionBuilder;
use alloy::primitives::Address;
use alloy::rpc::types::TransactionRequest;
use serde::Serialize;

use super::rpc::Chain;
use super::{build_vk_digest, stated_vk_digest};
use crate::error::ZkError;
use crate::evm::revert;
use crate::pipeline::{self, Build};

const RECEIPT_WAIT: std::time::Duration = std::time::Duration::from_secs(120);

#[derive(Debug, Serialize)]
pub struct Deployment {
    pub chain_id: u64,
    pub verifier: Address,
    pub verifier_codehash: String,
    pub verifier_gas: u64,
    pub runtime_bytes: usize,
    /// Separate-VK mode: the verifying-key contract.
    pub verifying_key: Option<Address>,
    pub verifying_key_gas: Option<u64>,
    pub vk_digest: String,
    pub num_instances: usize,
    pub split_reason: Option<String>,
}

/// Sends one contract creation and returns the new address and the gas it used.
async fn create(chain: &Chain, code: Vec<u8>, what: &str) -> Result<(Address, u64), ZkError> {
    let tx = TransactionRequest::default().with_deploy_code(code);
    let gas = match chain.estimate_gas(&tx).await {
        Ok(g) => g,
        Err(Ok(data)) => {
            return Err(ZkError::internal(format!("deploying the {what} would revert: {}", revert::describe(&data))))
        }
        Err(Err(e)) => return Err(e),
    };
    let receipt = chain.send_and_wait(tx, gas + gas / 10, RECEIPT_WAIT).await?;
    if !receipt.status() {
        return Err(ZkError::internal(format!("deploying the {what} reverted (tx {})", receipt.transaction_hash)));
    }
    let address = receipt
        .contract_address
        .ok_or_else(|| ZkError::internal(format!("the {what}'s receipt has no contract address")))?;
    Ok((address, receipt.gas_used))
}

/// Chain ids of local development chains (anvil, hardhat; ganache's 1337), where development keys
/// are what one expects.
pub const LOCAL_CHAIN_IDS: [u64; 2] = [31337, 1337];

/// Development-SRS keys let anyone forge proofs: refused on any chain but a local one unless the
/// caller insists.
pub fn check_srs_for_chain(insecure_srs: bool, chain_id: u64, allow_insecure: bool) -> Result<(), ZkError> {
    if insecure_srs && !allow_insecure && !LOCAL_CHAIN_IDS.contains(&chain_id) {
        return Err(ZkError::input(format!(
            "refusing to deploy to chain {chain_id}: this build's keys come from the INSECURE development SRS, \
             whose secret is public, so anyone could forge proofs the verifier accepts. Set the build up with a \
             ceremony SRS (`zkinfer setup BUILD --srs FILE`), or pass --allow-insecure-srs for a test network"
        )));
    }
    Ok(())
}

/// Compiles the build's verifier and deploys it; then asks the deployed verifier which circuit it
/// verifies, so a deployment that does not match the build is an error, not a surprise later.
pub async fn deploy(
    chain: &Chain,
    build: &Build,
    force_split: bool,
    allow_insecure_srs: bool,
) -> Result<Deployment, ZkError> {
    let setup = build.setup_info().map_err(|e| e.context("run `zkinfer setup` on the build first"))?;
    check_srs_for_chain(setup.insecure_srs(), chain.chain_id, allow_insecure_srs)?;
    let compiled = pipeline::build_verifier(build, force_split)?;
    chain.require_funded().await?;
    let (verifying_key, verifying_key_gas) = match &compiled.vk {
        Some((_, code)) => {
            let (a, g) = create(chain, code.clone(), "verifying-key contract").await?;
            (Some(a), Some(g))
        }
        None => (None, None),
    };
    let code = match verifying_key {
        Some(vk) => compiled.creation_with_vk(vk),
        None => compiled.creation_code.clone(),
    };
    let (verifier, verifier_gas) = create(chain, code, "verifier").await?;
    let digest = stated_vk_digest(chain, verifier).await?;
    if digest != build_vk_digest(&setup)? {
        return Err(ZkError::internal(format!(
            "the deployed verifier reports VK digest {digest:#066x}, not the build's {}",
            setup.vk_digest
        )));
    }
    Ok(Deployment {
        chain_id: chain.chain_id,
        verifier,
        // The code as deployed (immutables filled in): what a consumer pins.
        verifier_codehash: format!("{}", chain.code_hash(verifier).await?),
        verifier_gas,
        runtime_bytes: compiled.runtime_code.len(),
        verifying_key,
        verifying_key_gas,
        vk_digest: setup.vk_digest,
        num_instances: build.public().num_instances,
        split_reason: compiled.split_reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn development_keys_only_on_local_chains_unless_allowed() {
        assert!(check_srs_for_chain(true, 31337, false).is_ok());
        assert!(check_srs_for_chain(true, 1337, false).is_ok());
        let e = check_srs_for_chain(true, 1, false).unwrap_err();
        assert!(e.message.contains("chain 1") && e.message.contains("--allow-insecure-srs"), "{e}");
        assert_eq!(e.exit_code(), 2);
        assert!(check_srs_for_chain(true, 11155111, true).is_ok());
        assert!(check_srs_for_chain(false, 1, false).is_ok(), "ceremony keys go anywhere");
    }
}
