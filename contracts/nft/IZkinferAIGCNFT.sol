// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title The external surface of the zkinfer ERC-7007 AIGC collection
/// @notice What `ZkinferAIGCNFT` adds for minters and provers: commit-reveal minting, adding proven
/// AI-generated content, the prompt features and instance layout a prover must reproduce, and the
/// collection's constants. `ZkinferAIGCNFT` implements this interface, so the compiler checks every
/// declaration here against the contract.
/// @dev Self-contained on purpose (no imports): the Rust minter (`zkinfer mint-aigc`) reads this file
/// with alloy's `sol!`, which follows no imports. `addAigcData` and `verify` are ERC-7007's (whose
/// `AigcData` event is in `IERC7007.sol`), `ownerOf` is ERC-721's (whose errors, e.g.
/// `ERC721NonexistentToken`, are OpenZeppelin's `IERC721Errors`), `verifier()` and
/// `expectedInstanceCount()` are {ZkinferConsumer}'s (errors and events in `IZkinferConsumer`);
/// they are repeated here for the minter.
interface IZkinferAIGCNFT {
    // ------------------------------------------------------------------------------------------
    // Errors
    // ------------------------------------------------------------------------------------------

    /// @notice The verifier's `SCALE()` (`scale`) and `PACK_BITS()` (`packBits`) do not describe a
    /// usable model: it needs `scale <= 14` (int16 pixels), `scale + 2 <= packBits` (the value 2^scale
    /// must be packable) and `packBits <= 63` (4 features in one word).
    error InvalidModelConfig(uint256 scale, uint256 packBits);
    /// @notice `committer` has no commitment `commitment` (wrong prompt, salt or sender, or already used).
    error CommitmentNotFound(address committer, bytes32 commitment);
    /// @notice The commitment can only be revealed from block `revealableAt` on.
    error CommitmentTooRecent(bytes32 commitment, uint256 revealableAt);
    /// @notice The commitment could only be revealed up to block `expiredAfter`; commit again.
    error CommitmentExpired(bytes32 commitment, uint256 expiredAfter);
    /// @notice The prompt of token `tokenId` has already been minted.
    error PromptAlreadyMinted(uint256 tokenId);
    /// @notice `tokenId` is not the token of the prompt given (`promptTokenId = keccak256(prompt)`).
    error PromptMismatch(uint256 tokenId, uint256 promptTokenId);
    /// @notice Token `tokenId` already has its AIGC data.
    error AigcDataAlreadyAdded(uint256 tokenId);
    /// @notice `aigcData` is `length` bytes long, not {AIGC_DATA_LENGTH}.
    error InvalidAigcDataLength(uint256 length);
    /// @notice Pixel `index` of `aigcData` has the value `value`, which cannot be packed at
    /// {PACK_BITS} bits, so no proof can carry it.
    error PixelOutOfRange(uint256 index, int256 value);

    // ------------------------------------------------------------------------------------------
    // Events
    // ------------------------------------------------------------------------------------------

    /// @notice `committer` committed to `commitment` in block `blockNumber` (see {commit}).
    /// @param committer The account that can reveal it.
    /// @param commitment `keccak256(abi.encode(committer, prompt, salt))`.
    /// @param blockNumber The block of the commitment.
    event Committed(address indexed committer, bytes32 indexed commitment, uint256 blockNumber);
    /// @notice `owner` revealed `commitment` and minted token `tokenId` for `prompt`.
    /// @param tokenId `uint256(keccak256(prompt))`.
    /// @param owner The committer, the token's first owner.
    /// @param commitment The commitment used (now deleted).
    /// @param prompt The prompt.
    event PromptRevealed(uint256 indexed tokenId, address indexed owner, bytes32 indexed commitment, bytes prompt);
    /// @notice Token `tokenId`'s proven AIGC data (the full bytes, which ERC-7007's `AigcData` logs only
    /// as a hash).
    /// @param tokenId The token.
    /// @param aigcData The 64 pixels, `abi.encodePacked` as int16.
    event AigcDataPublished(uint256 indexed tokenId, bytes aigcData);

    // ------------------------------------------------------------------------------------------
    // Minting and AIGC data
    // ------------------------------------------------------------------------------------------

    /// @notice Commits to minting a prompt, without revealing it.
    /// @param commitment The hash of the sender, the prompt and the salt
    /// (`keccak256(abi.encode(msg.sender, prompt, salt))`).
    function commit(bytes32 commitment) external;

    /// @notice Reveals a commitment and mints the prompt's token to the sender (the committer).
    /// @param prompt The prompt (any bytes, e.g. UTF-8 text).
    /// @param salt The salt of the commitment.
    /// @return tokenId `uint256(keccak256(prompt))`.
    function mint(bytes calldata prompt, bytes32 salt) external returns (uint256 tokenId);

    /// @notice Adds AIGC data to token `tokenId` given `prompt`, `aigcData` and `proof` (ERC-7007).
    /// @param tokenId The token.
    /// @param prompt The token's prompt.
    /// @param aigcData The AI-generated content: 64 pixels, `abi.encodePacked` as int16.
    /// @param proof The proof that `aigcData` is the model's output for `prompt`.
    function addAigcData(uint256 tokenId, bytes calldata prompt, bytes calldata aigcData, bytes calldata proof) external;

    /// @notice Verifies `prompt`, `aigcData` and `proof` (ERC-7007).
    /// @param prompt The prompt.
    /// @param aigcData The AI-generated content.
    /// @param proof The proof.
    /// @return success True if `proof` shows that `aigcData` is the model's output for `prompt`.
    function verify(bytes calldata prompt, bytes calldata aigcData, bytes calldata proof)
        external
        view
        returns (bool success);

    /// @notice Reverts unless `proof` is valid for `instances` under the pinned model.
    /// @param proof The proof bytes.
    /// @param instances The public instances, in circuit order.
    function checkProof(bytes calldata proof, uint256[] calldata instances) external view;

    // ------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------

    /// @notice The keccak256 of token `tokenId`'s AIGC data.
    /// @param tokenId The token.
    /// @return The hash, or zero if no AIGC data has been added (or the token does not exist).
    function aigcDataHash(uint256 tokenId) external view returns (bytes32);

    /// @notice The prompt token `tokenId` was minted for (empty if it is not minted).
    /// @param tokenId The token.
    /// @return The prompt's bytes.
    function promptOf(uint256 tokenId) external view returns (bytes memory);

    /// @notice Token `tokenId`'s proven AIGC data (empty until {addAigcData}).
    /// @param tokenId The token.
    /// @return The 64 pixels, `abi.encodePacked` as int16.
    function aigcDataOf(uint256 tokenId) external view returns (bytes memory);

    /// @notice The `VK_DIGEST()` of the verifier that checked token `tokenId`'s content (0 until
    /// {addAigcData}); it stays the same when the collection later rotates its verifier.
    /// @param tokenId The token.
    /// @return The verifying key's digest.
    function contentVkDigest(uint256 tokenId) external view returns (uint256);

    /// @notice The block in which `committer` made `commitment`.
    /// @param committer The committer.
    /// @param commitment The commitment.
    /// @return The block number, or zero if there is no such commitment (never made, or used).
    function commitmentBlock(address committer, bytes32 commitment) external view returns (uint256);

    /// @notice The commitment {commit} expects: `keccak256(abi.encode(committer, prompt, salt))`.
    /// @param committer The account that will call {mint}.
    /// @param prompt The prompt.
    /// @param salt A secret random salt.
    /// @return The commitment.
    function commitmentOf(address committer, bytes calldata prompt, bytes32 salt) external pure returns (bytes32);

    /// @notice The token of `prompt`.
    /// @param prompt The prompt.
    /// @return `uint256(keccak256(prompt))`.
    function tokenIdOf(bytes calldata prompt) external pure returns (uint256);

    /// @notice The model's 4 input features for `prompt`.
    /// @param prompt The prompt.
    /// @return features The fixed-point features, each in `[0, 2^SCALE]`.
    function promptFeatures(bytes calldata prompt) external view returns (int256[] memory features);

    /// @notice The input word (instance 0) for `prompt`: its {promptFeatures} packed at {PACK_BITS}.
    /// @param prompt The prompt.
    /// @return `sum_i (f_i + 2^(PACK_BITS-1)) * 2^(PACK_BITS * i)`.
    function inputWord(bytes calldata prompt) external view returns (uint256);

    /// @notice Decodes `aigcData` into its 64 pixel values.
    /// @param aigcData `abi.encodePacked` of 64 int16 values.
    /// @return pixels The values, row-major (pixel (r, c) at index `8 * r + c`).
    function decodeAigcData(bytes calldata aigcData) external view returns (int256[] memory pixels);

    /// @notice The public instances a proof for `prompt` and `aigcData` must carry.
    /// @param prompt The prompt.
    /// @param aigcData The 64 pixels, `abi.encodePacked` as int16.
    /// @return instances The instances, in circuit order.
    function expectedInstances(bytes calldata prompt, bytes calldata aigcData)
        external
        view
        returns (uint256[] memory instances);

    /// @notice The owner of token `tokenId` (ERC-721); reverts if the token does not exist.
    /// @param tokenId The token.
    /// @return The owner.
    function ownerOf(uint256 tokenId) external view returns (address);

    /// @notice The pinned verifier of the generative model ({ZkinferConsumer}).
    /// @return The verifier proofs are checked with.
    function verifier() external view returns (address);

    /// @notice The number of public instances a proof must carry ({ZkinferConsumer}): `1 + OUTPUT_WORDS`.
    /// @return The instance count.
    function expectedInstanceCount() external view returns (uint256);

    // ------------------------------------------------------------------------------------------
    // Model constants
    // ------------------------------------------------------------------------------------------

    /// @notice Fractional bits of the model's fixed-point inputs and outputs: the verifier's `SCALE()`.
    function SCALE() external view returns (uint256);

    /// @notice The model's range bits, the packing width of its public instances: the verifier's `PACK_BITS()`.
    function PACK_BITS() external view returns (uint256);

    /// @notice The number of packed instances holding the 64 pixels: `ceil(64 / (252 / PACK_BITS))`.
    function OUTPUT_WORDS() external view returns (uint256);

    /// @notice The number of model inputs (prompt features): 4.
    function FEATURE_COUNT() external view returns (uint256);

    /// @notice The number of model outputs (pixels of the 8x8 image): 64.
    function PIXEL_COUNT() external view returns (uint256);

    /// @notice The length of `aigcData`: {PIXEL_COUNT} values of 2 bytes (int16).
    function AIGC_DATA_LENGTH() external view returns (uint256);

    /// @notice The largest {SCALE} accepted: 2^SCALE (a full-white pixel) must fit an int16.
    function MAX_SCALE() external view returns (uint256);

    /// @notice The largest {PACK_BITS} accepted: the 4 features must fit the one input word
    /// (`252 / PACK_BITS >= 4`).
    function MAX_PACK_BITS() external view returns (uint256);

    /// @notice The minimum age, in blocks, of a commitment at {mint}.
    function MIN_COMMITMENT_AGE() external view returns (uint256);

    /// @notice The maximum age, in blocks, of a commitment at {mint}.
    function MAX_COMMITMENT_AGE() external view returns (uint256);
}
