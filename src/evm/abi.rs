//! Every contract ABI the Rust side encodes, decodes or calls, declared once: alloy's `sol!` reads
//! the Solidity interfaces in `contracts/` that the contracts themselves implement, so solc keeps
//! the two sides in step and nothing here is a hand copy.
//!
//! - `IZkinferVerifier.sol`: `verifyProof`, the verifier's custom errors, and `IZkinferCircuitInfo`
//!   (what a generated verifier states about its circuit);
//! - `vault/IAIRiskVault.sol`, `vault/IPriceHistory.sol`: what the keeper reads and sends;
//! - `nft/IZkinferAIGCNFT.sol`: what `mint-aigc` sends;
//! - `IZkinferConsumer.sol`, `IZkinferInstancesErrors.sol`: the errors a consumer contract reverts
//!   with, for [`super::revert`].

use alloy::sol;

use crate::encoding::{InstanceLayout, Side};

sol!(
    #[sol(rpc, all_derives)]
    "contracts/IZkinferVerifier.sol"
);

sol!(
    #[sol(rpc, all_derives)]
    "contracts/vault/IAIRiskVault.sol"
);

sol!(
    #[sol(rpc)]
    "contracts/vault/IPriceHistory.sol"
);

sol!(
    #[sol(rpc, all_derives)]
    "contracts/nft/IZkinferAIGCNFT.sol"
);

sol!(
    #[sol(all_derives)]
    "contracts/IZkinferConsumer.sol"
);

sol!(
    #[sol(all_derives)]
    "contracts/IZkinferInstancesErrors.sol"
);

sol! {
    /// OpenZeppelin's ERC-721 error the NFT can revert with (declared by OpenZeppelin, not by us).
    #[sol(all_derives)]
    interface OpenZeppelinErrors {
        error ERC721NonexistentToken(uint256 tokenId);
    }
}

/// A build's instance blocks as a generated verifier's `instanceBlocks()` returns them.
pub fn instance_blocks(public: &InstanceLayout) -> Vec<IZkinferCircuitInfo::InstanceBlock> {
    public
        .blocks
        .iter()
        .map(|b| IZkinferCircuitInfo::InstanceBlock {
            side: match b.side {
                Side::Input => IZkinferCircuitInfo::Side::Input,
                Side::Output => IZkinferCircuitInfo::Side::Output,
                Side::Params => IZkinferCircuitInfo::Side::Params,
            },
            commitment: b.commitment.is_some(),
            offset: b.offset as u32,
            words: b.len as u32,
            values: b.values as u32,
            packBits: b.packing.map_or(0, |p| p.bits as u8),
        })
        .collect()
}
