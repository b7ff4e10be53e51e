//! Talking to a live chain: the keeper that proves and submits vault updates, the Rust deploy
//! path for generated verifiers, and the NFT minter. Everything here speaks JSON-RPC over plain
//! HTTP through alloy; the in-process EVM used by tests and `verify-evm` lives in [`crate::evm`].

pub mod aigc;
pub mod bindings;
pub mod deploy;
pub mod journal;
pub mod keeper;
pub mod revert;
pub mod rpc;
pub mod vault_features;

use alloy::primitives::U256;

use crate::error::ZkError;

/// Runs a contract call with the RPC timeout, naming the function in any error.
pub(crate) async fn call<T>(
    what: &str,
    fut: impl std::future::IntoFuture<Output = Result<T, alloy::contract::Error>>,
) -> Result<T, ZkError> {
    match tokio::time::timeout(rpc::REQUEST_TIMEOUT, fut.into_future()).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(ZkError::internal(format!("{what}: {e}"))),
        Err(_) => Err(ZkError::internal(format!("{what}: no answer within {}s", rpc::REQUEST_TIMEOUT.as_secs()))),
    }
}

pub(crate) fn to_u64(x: U256) -> Result<u64, ZkError> {
    u64::try_from(x).map_err(|_| ZkError::internal(format!("value {x} does not fit 64 bits")))
}

/// The build's verifying-key digest as the word a generated verifier's `VK_DIGEST()` returns.
pub(crate) fn build_vk_digest(setup: &crate::artifacts::SetupInfo) -> Result<U256, ZkError> {
    U256::from_str_radix(setup.vk_digest.trim_start_matches("0x"), 16)
        .map_err(|_| ZkError::input("setup.json has a malformed vk_digest"))
}

/// The verifying-key digest `verifier` states (an error if it does not answer `VK_DIGEST()`).
pub(crate) async fn stated_vk_digest(
    chain: &rpc::Chain,
    verifier: alloy::primitives::Address,
) -> Result<U256, ZkError> {
    call("VK_DIGEST()", bindings::IZkinferCircuitInfo::new(verifier, &chain.provider).VK_DIGEST().call()).await
}

/// The packing of a build whose inputs and outputs are public and packed (what the vault and the
/// NFT recompute on chain); `None` for any other build.
pub(crate) fn public_packing(settings: &crate::artifacts::Settings) -> Option<crate::circuit::chips::packing::Packing> {
    use crate::artifacts::Visibility::Public;
    settings.layout.packing.filter(|_| settings.visibility.input == Public && settings.visibility.output == Public)
}

/// `values` packed as the circuit packs them, as ABI words.
pub(crate) fn packed_words(packing: crate::circuit::chips::packing::Packing, values: &[i64]) -> Vec<U256> {
    let values: Vec<i128> = values.iter().map(|&v| v as i128).collect();
    packing.pack(&values).iter().map(|w| U256::from_be_bytes(crate::proof::transcript::fr_to_be_bytes(w))).collect()
}

/// A current-thread async runtime for one CLI command.
pub fn runtime() -> Result<tokio::runtime::Runtime, ZkError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ZkError::internal(format!("could not start the async runtime: {e}")))
}
