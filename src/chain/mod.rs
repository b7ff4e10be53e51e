//! Talking to a live chain: the keeper that proves and submits vault updates, the Rust deploy
//! path for generated verifiers, and the NFT minter. Everything here speaks JSON-RPC over plain
//! HTTP through alloy; the in-process EVM used by tests and `verify-evm` lives in [`crate::evm`].

pub mod aigc;
pub mod deploy;
pub mod journal;
pub mod keeper;
pub mod rpc;
pub mod vault_features;

use alloy::primitives::U256;

use crate::encoding::field::to_word;
use crate::encoding::{InstanceLayout, Packing, Visibility};
use crate::error::ZkError;
use crate::evm::abi::{instance_blocks, IZkinferCircuitInfo};

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
    Ok(to_word(&setup.vk_digest_fr()?))
}

/// The verifying-key digest `verifier` states (an error if it does not answer `VK_DIGEST()`).
pub(crate) async fn stated_vk_digest(
    chain: &rpc::Chain,
    verifier: alloy::primitives::Address,
) -> Result<U256, ZkError> {
    call("VK_DIGEST()", IZkinferCircuitInfo::new(verifier, &chain.provider).VK_DIGEST().call()).await
}

/// Checks that `verifier` states this build's circuit: its VK digest, then its public values (scale,
/// packing, instance count, blocks), and no development SRS off a local chain. `Err` names the first
/// difference. `Ok(Some(why))`: the verifier states nothing (it is no generated verifier, e.g. a
/// mock), so nothing could be checked; the caller decides what that means.
pub(crate) async fn check_verifier_states_build(
    chain: &rpc::Chain,
    verifier: alloy::primitives::Address,
    setup: &crate::artifacts::SetupInfo,
    public: &InstanceLayout,
) -> Result<Option<String>, ZkError> {
    let digest = match stated_vk_digest(chain, verifier).await {
        Ok(d) => d,
        Err(e) => return Ok(Some(e.message)),
    };
    if digest != build_vk_digest(setup)? {
        return Err(ZkError::input(format!(
            "its verifier {verifier} checks proofs for verifying key {digest:#066x}, but the build has keys for {} \
             (another model, calibration or SRS)",
            setup.vk_digest
        )));
    }
    let info = IZkinferCircuitInfo::new(verifier, &chain.provider);
    let scale = to_u64(call("SCALE()", info.SCALE().call()).await?)?;
    let pack = to_u64(call("PACK_BITS()", info.PACK_BITS().call()).await?)?;
    let count = to_u64(call("NUM_INSTANCES()", info.NUM_INSTANCES().call()).await?)?;
    let blocks = call("instanceBlocks()", info.instanceBlocks().call()).await?;
    if call("DEV_SRS()", info.DEV_SRS().call()).await? && !deploy::LOCAL_CHAIN_IDS.contains(&chain.chain_id) {
        return Err(ZkError::input(format!(
            "its verifier {verifier} was made from the INSECURE development SRS (DEV_SRS() is true) on chain {}: \
             anyone can forge the proofs it accepts",
            chain.chain_id
        )));
    }
    let ours_pack = public.packing.map_or(0, |p| p.bits as u64);
    if scale != u64::from(public.scale.bits()) || pack != ours_pack || count != public.num_instances as u64 {
        return Err(ZkError::input(format!(
            "its verifier {verifier} states scale {scale}, {pack}-bit packing and {count} instances; the build has \
             scale {}, {ours_pack}-bit packing and {} instances",
            public.scale.bits(),
            public.num_instances
        )));
    }
    if blocks != instance_blocks(public) {
        return Err(ZkError::input(format!(
            "its verifier {verifier} states another instance layout than the build's: {blocks:?}"
        )));
    }
    Ok(None)
}

/// The packing of a build whose inputs and outputs are public and packed (what the vault and the
/// NFT recompute on chain); `None` for any other build.
pub(crate) fn public_packing(public: &InstanceLayout) -> Option<Packing> {
    let v = &public.visibility;
    public.packing.filter(|_| v.input == Visibility::Public && v.output == Visibility::Public)
}

/// `values` packed as the circuit packs them, as ABI words.
pub(crate) fn packed_words(packing: Packing, values: &[i64]) -> Vec<U256> {
    let values: Vec<i128> = values.iter().map(|&v| v as i128).collect();
    packing.pack(&values).iter().map(to_word).collect()
}

/// A current-thread async runtime for one CLI command.
pub fn runtime() -> Result<tokio::runtime::Runtime, ZkError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ZkError::internal(format!("could not start the async runtime: {e}")))
}
