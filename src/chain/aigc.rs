//! `zkinfer mint-aigc`: generate an image for a prompt with the NFT's model, prove it, mint the
//! prompt's token (commit, then reveal) if nobody has, and attach the content with `addAigcData`.
//!
//! The prompt stays off the wire until the reveal: the commitment is computed locally (an
//! `eth_call` to `commitmentOf` would show the prompt to the RPC provider), and the on-chain
//! cross-checks of features and instances run only after `mint` has made the prompt public.

use std::future::IntoFuture;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use alloy::network::TransactionBuilder;
use alloy::primitives::{keccak256, Address, Bytes, B256, U256};
use alloy::rpc::types::{TransactionReceipt, TransactionRequest};
use alloy::sol_types::{SolCall, SolValue};
use serde::Serialize;

use super::rpc::{read_key_file, Chain};
use super::{call, check_verifier_states_build, packed_words, public_packing, to_u64};
use crate::encoding::field::to_word;
use crate::encoding::Scale;
use crate::error::ZkError;
use crate::evm::abi::IZkinferAIGCNFT;
use crate::evm::revert;
use crate::pipeline::{self, Build, Prover};

const RECEIPT_WAIT: Duration = Duration::from_secs(120);

/// The NFT's model inputs for a prompt, as the contract derives them: byte `i` of
/// keccak256(prompt), `floor(byte * 2^scale / 255)`, for i = 0..3.
pub fn prompt_features(prompt: &[u8], scale: Scale) -> [i64; 4] {
    let h = keccak256(prompt);
    [0, 1, 2, 3].map(|i| (h[i] as i64 * scale.one() as i64) / 255)
}

/// `aigcData`: the pixels as big-endian int16, row-major (what the contract decodes).
pub fn aigc_data(pixels: &[i64]) -> Result<Vec<u8>, ZkError> {
    let mut out = Vec::with_capacity(2 * pixels.len());
    for &p in pixels {
        let v = i16::try_from(p).map_err(|_| ZkError::input(format!("pixel value {p} does not fit int16")))?;
        out.extend_from_slice(&v.to_be_bytes());
    }
    Ok(out)
}

/// `keccak256(abi.encode(committer, prompt, salt))`, as `ZkinferAIGCNFT.commitmentOf`.
pub fn commitment(committer: Address, prompt: &[u8], salt: B256) -> B256 {
    keccak256((committer, Bytes::copy_from_slice(prompt), salt).abi_encode_params())
}

#[derive(Clone, Debug)]
pub struct MintConfig {
    pub rpc: String,
    pub nft: Address,
    pub build_dir: PathBuf,
    pub key_file: PathBuf,
    pub prompt: String,
    /// The commitment's salt; random when absent (pass the printed one to resume after a crash).
    pub salt: Option<B256>,
}

#[derive(Debug, Serialize)]
pub struct MintOutcome {
    pub token_id: U256,
    pub owner: Address,
    /// False when the token existed already and only the content was added.
    pub minted: bool,
    pub salt: Option<B256>,
    pub commit_gas: Option<u64>,
    pub mint_gas: Option<u64>,
    pub add_aigc_data_gas: u64,
    pub add_aigc_data_tx: B256,
    pub prove_s: f64,
    pub features: [i64; 4],
    pub aigc_data_hash: B256,
    /// The image, at `scale` fractional bits.
    pub pixels: Vec<i64>,
    pub scale: Scale,
}

async fn send(chain: &Chain, to: Address, data: Vec<u8>, what: &str) -> Result<TransactionReceipt, ZkError> {
    let tx = TransactionRequest::default().with_to(to).with_input(data);
    let gas = match chain.estimate_gas(&tx).await {
        Ok(g) => g,
        Err(Ok(data)) => return Err(ZkError::input(format!("{what} would revert: {}", revert::describe(&data)))),
        Err(Err(e)) => return Err(e),
    };
    let receipt = chain.send_and_wait(tx, gas + gas / 5 + 20_000, RECEIPT_WAIT).await?;
    if !receipt.status() {
        return Err(ZkError::internal(format!("{what} reverted on chain (tx {})", receipt.transaction_hash)));
    }
    Ok(receipt)
}

pub async fn mint_aigc(cfg: &MintConfig) -> Result<MintOutcome, ZkError> {
    let key = read_key_file(&cfg.key_file)?;
    let build = Build::open(&cfg.build_dir)?;
    let setup = build.setup_info().map_err(|e| e.context("run `zkinfer setup` on the build first"))?;
    let chain = Chain::connect(&cfg.rpc, Some(key)).await?;
    chain.require_code(cfg.nft, "--nft").await?;
    let me = chain.account()?;
    let nft = IZkinferAIGCNFT::new(cfg.nft, &chain.provider);
    let not_nft =
        |e: ZkError| ZkError::input(format!("{} does not answer as a ZkinferAIGCNFT ({})", cfg.nft, e.message));
    let scale = to_u64(call("SCALE()", nft.SCALE().call()).await.map_err(not_nft)?)?;
    if scale != u64::from(build.scale().bits()) {
        return Err(ZkError::input(format!(
            "wrong model for this NFT: it takes scale {scale}, {} has scale {}",
            cfg.build_dir.display(),
            build.scale().bits()
        )));
    }
    let verifier = call("verifier()", nft.verifier().call()).await?;
    let unstated = check_verifier_states_build(&chain, verifier, &setup, build.public()).await.map_err(|e| {
        ZkError::input(format!("wrong model for this NFT: {} ({})", e.message, cfg.build_dir.display()))
    })?;
    if let Some(why) = unstated {
        tracing::warn!(event = "unchecked_verifier", %verifier, error = %why,
            "the NFT's verifier does not state its VK digest; a wrong model shows only when addAigcData reverts");
    }
    let packing = match public_packing(build.public()) {
        Some(p) => p,
        None => {
            return Err(ZkError::input(format!(
                "wrong model for this NFT: {} must have public, packed inputs and outputs",
                cfg.build_dir.display()
            )))
        }
    };
    chain.require_funded().await?;

    // Generate and prove first, offline: nothing is sent unless there is content to attach, and
    // nothing that names the prompt (not even its token id) leaves the process before the commit.
    let prompt = cfg.prompt.as_bytes();
    let token_id = U256::from_be_bytes(keccak256(prompt).0);
    let features = prompt_features(prompt, build.scale());
    let inputs = vec![features.iter().map(|&f| f as i128).collect::<Vec<_>>()];
    let t = Instant::now();
    let (proved, build) = tokio::task::spawn_blocking(move || {
        let prover = Prover::load(&build)?;
        pipeline::prove(&build, &prover, &inputs, Default::default()).map(|p| (p, build))
    })
    .await
    .map_err(|e| ZkError::internal(format!("the prover thread failed: {e}")))??;
    let prove_s = t.elapsed().as_secs_f64();
    let pixels: Vec<i64> = proved.file.outputs_fixed.first().cloned().unwrap_or_default();
    let content = aigc_data(&pixels)?;
    let proof = proved.proof.bytes.clone();
    // The instances the contract will derive, computed here the way it does (features, then
    // pixels, each packed): a mismatch is found before any transaction.
    let local: Vec<U256> = packed_words(packing, &features).into_iter().chain(packed_words(packing, &pixels)).collect();
    let ours: Vec<U256> = proved.proof.instances.iter().map(to_word).collect();
    if local != ours {
        return Err(ZkError::internal(
            "the proof's instances are not the packing of the prompt features and pixels (a bug)",
        ));
    }

    // Commit first (it reveals nothing), then look whether the token exists: someone watching
    // for a query about this token id can no longer commit and reveal ahead of us.
    let (mut salt_used, mut commit_gas, mut mint_gas) = (None, None, None);
    let fresh = cfg.salt.is_none();
    let salt = cfg.salt.unwrap_or_else(|| {
        let mut b = [0u8; 32];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut b);
        B256::from(b)
    });
    let c = commitment(me, prompt, salt);
    if fresh {
        tracing::info!(event = "commit", %c, %salt, "committing (resume with --salt {salt} if interrupted)");
        let r = send(&chain, cfg.nft, IZkinferAIGCNFT::commitCall { commitment: c }.abi_encode(), "commit").await?;
        commit_gas = Some(r.gas_used);
    }
    let owner =
        match tokio::time::timeout(super::rpc::REQUEST_TIMEOUT, nft.ownerOf(token_id).call().into_future()).await {
            Ok(Ok(o)) => Some(o),
            // A revert (ERC721NonexistentToken): not minted. Anything else is an RPC failure.
            Ok(Err(e)) if e.as_revert_data().is_some() => None,
            Ok(Err(e)) => return Err(ZkError::internal(format!("ownerOf(): {e}"))),
            Err(_) => return Err(ZkError::internal("ownerOf(): no answer in time")),
        };
    let owner = match owner {
        Some(o) => {
            if fresh {
                tracing::warn!(event = "already_minted", %o, "the token exists already (owner {o}); the commitment goes unused");
            }
            o
        }
        None => {
            salt_used = Some(salt);
            let reveal = IZkinferAIGCNFT::mintCall { prompt: Bytes::copy_from_slice(prompt), salt }.abi_encode();
            // The reveal must land at least one block after the commitment.
            let mut tries = 0;
            let r = loop {
                match send(&chain, cfg.nft, reveal.clone(), "mint").await {
                    Ok(r) => break r,
                    Err(e) if e.message.contains("CommitmentTooRecent") && tries < 30 => {
                        tries += 1;
                        tokio::time::sleep(Duration::from_secs(2)).await;
                    }
                    Err(e) => return Err(e),
                }
            };
            mint_gas = Some(r.gas_used);
            me
        }
    };
    if call("aigcDataHash()", nft.aigcDataHash(token_id).call()).await? != B256::ZERO {
        return Err(ZkError::input(format!("token {token_id:#x} (this prompt) already has its content")));
    }

    // The prompt is public now: check the contract derives the same instances from it.
    let theirs = call("promptFeatures()", nft.promptFeatures(Bytes::copy_from_slice(prompt)).call()).await?;
    let theirs: Vec<i64> = theirs.iter().map(|f| i64::try_from(*f).unwrap_or(i64::MIN)).collect();
    if theirs.as_slice() != features.as_slice() {
        return Err(ZkError::internal(format!(
            "the NFT derives features {theirs:?} from the prompt, zkinfer {features:?}: the formulas disagree (a bug)"
        )));
    }
    let expected = call(
        "expectedInstances()",
        nft.expectedInstances(Bytes::copy_from_slice(prompt), Bytes::from(content.clone())).call(),
    )
    .await?;
    if expected != ours {
        return Err(ZkError::internal(
            "the NFT's expected instances differ from the proof's: the packing disagrees with the contract (a bug)",
        ));
    }
    let add = IZkinferAIGCNFT::addAigcDataCall {
        tokenId: token_id,
        prompt: Bytes::copy_from_slice(prompt),
        aigcData: Bytes::from(content.clone()),
        proof: Bytes::from(proof),
    };
    let r = send(&chain, cfg.nft, add.abi_encode(), "addAigcData").await?;
    Ok(MintOutcome {
        token_id,
        owner,
        minted: mint_gas.is_some(),
        salt: salt_used,
        commit_gas,
        mint_gas,
        add_aigc_data_gas: r.gas_used,
        add_aigc_data_tx: r.transaction_hash,
        prove_s,
        features,
        aigc_data_hash: keccak256(&content),
        pixels,
        scale: build.scale(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_features_and_content_encoding() {
        // examples/aigc-nft/README.md: "a red fox at dawn" -> [123, 71, 12, 102] at scale 7.
        assert_eq!(prompt_features(b"a red fox at dawn", Scale::new(7).unwrap()), [123, 71, 12, 102]);
        assert_eq!(aigc_data(&[1, -2, 300]).unwrap(), vec![0, 1, 0xff, 0xfe, 0x01, 0x2c]);
        assert!(aigc_data(&[40_000]).is_err());
    }
}
