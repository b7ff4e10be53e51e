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

/// A current-thread async runtime for one CLI command.
pub fn runtime() -> Result<tokio::runtime::Runtime, ZkError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ZkError::internal(format!("could not start the async runtime: {e}")))
}
