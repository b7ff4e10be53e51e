//! The on-chain surfaces the keeper, `deploy` and `mint-aigc` call, declared once for alloy.
//!
//! The verifier ABI comes from the same Solidity file the calldata encoder reads
//! (`contracts/IZkinferVerifier.sol`). The vault and NFT declarations below list only what the
//! Rust side calls or decodes; the end-to-end tests run them against the real contracts, so a
//! signature that drifts from the Solidity fails a test rather than a keeper in production.

use alloy::sol;

sol!(
    #[sol(rpc)]
    "contracts/IZkinferVerifier.sol"
);

sol! {
    /// The lending vault's keeper-facing surface (contracts/vault/AIRiskVault.sol).
    #[sol(rpc)]
    interface IAIRiskVault {
        function updateRiskParameters(bytes calldata proof, uint256[] calldata instances)
            external returns (uint256 newLtv, uint256 newRate);
        function currentFeatures() external view returns (int256[4] memory features);
        function expectedInputWord() external view returns (uint256);
        function previewRiskUpdate(uint256 outputWord) external view returns (uint256 newLtv, uint256 newRate);
        function currentEpoch() external view returns (uint256);
        function lastAppliedEpoch() external view returns (uint256);
        function maxLtv() external view returns (uint256);
        function borrowRate() external view returns (uint256);
        function totalDebt() external view returns (uint256);
        function cash() external view returns (uint256);
        function totalCollateral() external view returns (uint256);
        function PRICE_SOURCE() external view returns (address);
        function FEATURE_SCALE() external view returns (uint256);
        function PACK_BITS() external view returns (uint256);
        function EPOCH_LENGTH() external view returns (uint256);
        function PRICE_WINDOW() external view returns (uint256);
        function VOLATILITY_MULTIPLIER() external view returns (uint256);
        function VOLATILITY_CAP() external view returns (uint256);
        function MAX_COVERAGE() external view returns (uint256);
        function verifier() external view returns (address);
        function expectedInstanceCount() external view returns (uint256);

        event RiskParametersUpdated(
            uint256 indexed epoch, uint256 oldLtv, uint256 newLtv, uint256 oldRate, uint256 newRate
        );
    }

    /// The vault's price history (contracts/vault/IPriceHistory.sol).
    #[sol(rpc)]
    interface IPriceHistory {
        function observations() external view returns (uint256[] memory prices, uint256[] memory timestamps);
    }

    /// The EIP-7007 NFT's minting surface (contracts/nft/ZkinferAIGCNFT.sol).
    #[sol(rpc)]
    interface IZkinferAIGCNFT {
        function commit(bytes32 commitment) external;
        function mint(bytes calldata prompt, bytes32 salt) external returns (uint256 tokenId);
        function addAigcData(uint256 tokenId, bytes calldata prompt, bytes calldata aigcData, bytes calldata proof)
            external;
        function commitmentOf(address committer, bytes calldata prompt, bytes32 salt) external pure returns (bytes32);
        function promptFeatures(bytes calldata prompt) external view returns (int256[] memory features);
        function expectedInstances(bytes calldata prompt, bytes calldata aigcData)
            external view returns (uint256[] memory instances);
        function aigcDataHash(uint256 tokenId) external view returns (bytes32);
        function ownerOf(uint256 tokenId) external view returns (address);
        function SCALE() external view returns (uint256);
        function verifier() external view returns (address);
    }

    /// Every custom error the keeper's and minter's transactions can revert with, for decoding.
    #[sol(all_derives)]
    interface ZkinferRevertReasons {
        // AIRiskVault
        error EpochAlreadyApplied(uint256 epoch, uint256 lastAppliedEpoch);
        error InputMismatch(uint256 expected, uint256 actual);
        error InvalidPrice(uint256 price);
        // ZkinferConsumer
        error InstanceCountMismatch(uint256 expected, uint256 actual);
        error VerificationFailed(bytes reason);
        error CodehashMismatch(address account, bytes32 expected, bytes32 actual);
        // ZkinferInstances
        error InvalidPackedWord(uint256 position, uint256 word);
        // ZkinferAIGCNFT
        error CommitmentNotFound(address committer, bytes32 commitment);
        error CommitmentTooRecent(bytes32 commitment, uint256 revealableAt);
        error CommitmentExpired(bytes32 commitment, uint256 expiredAfter);
        error PromptAlreadyMinted(uint256 tokenId);
        error PromptMismatch(uint256 tokenId, uint256 promptTokenId);
        error AigcDataAlreadyAdded(uint256 tokenId);
        error InvalidAigcDataLength(uint256 length);
        error PixelOutOfRange(uint256 index, int256 value);
        // OpenZeppelin ERC-721
        error ERC721NonexistentToken(uint256 tokenId);
    }
}
