// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {IZkinferCircuitInfo, IZkinferVerifier} from "../IZkinferVerifier.sol";
import {ZkinferConsumer} from "../ZkinferConsumer.sol";
import {ZkinferInstances} from "../ZkinferInstances.sol";
import {AIGCMetadata} from "./AIGCMetadata.sol";
import {IERC7007} from "./IERC7007.sol";
import {IZkinferAIGCNFT} from "./IZkinferAIGCNFT.sol";

/// @title An ERC-7007 collection of images proven to come from one zkinfer model
/// @notice Every token is a prompt (`tokenId = uint256(keccak256(prompt))`, so each prompt is minted
/// at most once) and, once added, the 8x8 grayscale image the pinned generative model produces for it,
/// checked by a zkinfer proof.
///
/// Minting is permissionless and front-running resistant (commit-reveal): {commit} a hash of your
/// address, the prompt and a secret salt; at least {MIN_COMMITMENT_AGE} block(s) later and at most
/// {MAX_COMMITMENT_AGE} blocks later, {mint} with the prompt and the salt. The token goes to the
/// committer. Anyone (typically a prover node) may then {addAigcData}: the image and a proof that the
/// model maps the prompt to it.
///
/// The model (all integers are fixed point with {SCALE} fractional bits, real value = v / 2^SCALE):
/// - Input: 4 features derived from the prompt alone. With `h = keccak256(prompt)` and `h[i]` its
///   i-th byte (big-endian: `h[0]` is the most significant), `f_i = floor(uint8(h[i]) * 2^SCALE / 255)`
///   for i = 0..3, so `f_i` is in `[0, 2^SCALE]` (the real value is in [0, 1]). See {promptFeatures}.
/// - Output: 64 pixel values, an 8x8 image in row-major order (pixel (r, c) is value `8 * r + c`);
///   a sigmoid produces them, so a valid proof has every value in `[0, 2^SCALE]`.
/// - `aigcData` is exactly `abi.encodePacked(int16(p_0), ..., int16(p_63))`: 128 bytes, every value
///   2 bytes big-endian two's complement. See {decodeAigcData}.
/// - Public instances, packed at {PACK_BITS} bits ({ZkinferInstances.pack}, `252 / PACK_BITS` values
///   a word): instance 0 is the input word (the 4 features), then {OUTPUT_WORDS} words holding the 64
///   pixel values in order. See {expectedInstances}.
///
/// {SCALE} and {PACK_BITS} are the verifier's (`IZkinferCircuitInfo.SCALE()` and `PACK_BITS()`, read
/// at deployment), and the constructor requires the verifier's instance layout (`instanceBlocks()`)
/// to be exactly the one above: the 4 features in one public packed word at instance 0, the 64 pixels
/// in {OUTPUT_WORDS} public packed words after it.
///
/// The owner ({ZkinferConsumer}, {Ownable2Step}) can only rotate the model's verifier, behind a
/// timelock; it cannot mint, move tokens or change AIGC data. A rotation must keep the layout above:
/// a proposed verifier whose circuit states another scale, packing width or instance layout is
/// rejected at once (`CircuitMismatch`).
///
/// The external surface is declared in {IZkinferAIGCNFT} (plus {IERC7007}, ERC-721 and
/// `IZkinferConsumer`).
/// @dev The prompt (at {mint}), the image and the digest of the verifying key that checked it (at
/// {addAigcData}) are stored so {tokenURI} can draw what was proven on chain; the image is also in
/// the {AigcDataPublished} event (the standard's {AigcData} event logs only its hash, as an indexed
/// topic) and the prompt in {PromptRevealed}.
contract ZkinferAIGCNFT is IZkinferAIGCNFT, ERC721, IERC7007, ZkinferConsumer {
    // ------------------------------------------------------------------------------------------
    // Constants and immutables
    // ------------------------------------------------------------------------------------------

    /// @inheritdoc IZkinferAIGCNFT
    uint256 public constant FEATURE_COUNT = 4;
    /// @inheritdoc IZkinferAIGCNFT
    uint256 public constant PIXEL_COUNT = 64;
    /// @inheritdoc IZkinferAIGCNFT
    uint256 public constant AIGC_DATA_LENGTH = 128;
    /// @inheritdoc IZkinferAIGCNFT
    uint256 public constant MAX_SCALE = 14;
    /// @inheritdoc IZkinferAIGCNFT
    uint256 public constant MAX_PACK_BITS = 63;
    /// @inheritdoc IZkinferAIGCNFT
    /// @dev A commitment made in block `b` can be revealed from block `b + MIN_COMMITMENT_AGE` on.
    uint256 public constant MIN_COMMITMENT_AGE = 1;
    /// @inheritdoc IZkinferAIGCNFT
    /// @dev A commitment made in block `b` can be revealed up to block `b + MAX_COMMITMENT_AGE` (about a
    /// day at 12-second blocks).
    uint256 public constant MAX_COMMITMENT_AGE = 7200;

    /// @inheritdoc IZkinferAIGCNFT
    uint256 public immutable SCALE;
    /// @inheritdoc IZkinferAIGCNFT
    uint256 public immutable PACK_BITS;
    /// @inheritdoc IZkinferAIGCNFT
    uint256 public immutable OUTPUT_WORDS;

    /// @dev 2^(PACK_BITS - 1): packable values are in `[-_HALF_RANGE, _HALF_RANGE)`.
    int256 private immutable _HALF_RANGE;

    // ------------------------------------------------------------------------------------------
    // State
    // ------------------------------------------------------------------------------------------

    /// @dev committer => commitment => the block it was made in (0: none).
    mapping(address committer => mapping(bytes32 commitment => uint256 blockNumber)) private _commitments;
    /// @dev tokenId => keccak256 of its AIGC data (0: none added yet).
    mapping(uint256 tokenId => bytes32 dataHash) private _aigcDataHashes;
    /// @dev tokenId => its prompt, stored at {mint} for {tokenURI}.
    mapping(uint256 tokenId => bytes prompt) private _prompts;
    /// @dev tokenId => its proven AIGC data (empty: none added yet), for {tokenURI}.
    mapping(uint256 tokenId => bytes aigcData) private _aigcData;
    /// @dev tokenId => the `VK_DIGEST()` of the verifier that checked its content's proof.
    mapping(uint256 tokenId => uint256 vkDigest) private _vkDigests;

    // ------------------------------------------------------------------------------------------
    // Construction
    // ------------------------------------------------------------------------------------------

    /// @notice Deploys the collection for the model `verifier_` verifies; {SCALE} and {PACK_BITS} are
    /// the verifier's `SCALE()` and `PACK_BITS()`.
    /// @dev Reverts with `MissingCircuitInfo` if the verifier does not state its circuit
    /// (`IZkinferCircuitInfo`), with {InvalidModelConfig} if its scale and packing width are unusable,
    /// with `CircuitMismatch` if its instance layout is not the collection's (see {_checkVerifier}),
    /// and with the {ZkinferConsumer} errors for a bad verifier, codehash, rotation delay or owner.
    /// The pinned instance count is `1 + ceil(64 / (252 / PACK_BITS))` (5 for packBits 12 or 13).
    /// @param verifier_ The model's zkinfer-generated verifier (implements `IZkinferCircuitInfo`).
    /// @param codehash_ The keccak256 of the verifier's runtime code (must match).
    /// @param rotationDelay_ The timelock of verifier rotations, in seconds.
    /// @param initialOwner The owner, who can only rotate the verifier.
    constructor(IZkinferVerifier verifier_, bytes32 codehash_, uint256 rotationDelay_, address initialOwner)
        ERC721("zkinfer AIGC", "ZKAIGC")
        ZkinferConsumer(verifier_, codehash_, _instanceCount(verifier_), rotationDelay_, initialOwner)
    {
        // _instanceCount checked both; the ZkinferConsumer constructor checked the layout.
        (uint256 scale_, uint256 packBits_) = _circuitInfo(verifier_);
        SCALE = scale_;
        PACK_BITS = packBits_;
        OUTPUT_WORDS = ZkinferInstances.wordCount(PIXEL_COUNT, packBits_);
        // casting to 'int256' is safe because packBits_ <= 63
        // forge-lint: disable-next-line(unsafe-typecast,incorrect-shift)
        _HALF_RANGE = int256(1 << (packBits_ - 1));
    }

    // ------------------------------------------------------------------------------------------
    // Commit-reveal minting
    // ------------------------------------------------------------------------------------------

    /// @inheritdoc IZkinferAIGCNFT
    /// @dev `commitment` must be `keccak256(abi.encode(msg.sender, prompt, salt))` with a secret,
    /// random `salt` (see {commitmentOf}; compute it locally, as a transaction would reveal the prompt).
    /// Commitments are kept per sender, so nobody can use, block or overwrite another account's
    /// commitment; committing again to the same value restarts its clock. Emits {Committed}.
    function commit(bytes32 commitment) external {
        _commitments[msg.sender][commitment] = block.number;
        emit Committed(msg.sender, commitment, block.number);
    }

    /// @inheritdoc IZkinferAIGCNFT
    /// @dev Why commit-reveal: `mint` shows the prompt to the mempool, but it only succeeds for an
    /// account holding a commitment to that prompt made at least {MIN_COMMITMENT_AGE} block before.
    /// A front-runner who learns the prompt from a pending `mint` has no such commitment (the
    /// commitment hides the prompt behind the salt, and binds the committer's address, so replaying
    /// the victim's `mint` or copying the victim's commitment does not work), and a commitment made
    /// now cannot be revealed in the same block. The remaining risk: a reveal left pending for more
    /// than {MIN_COMMITMENT_AGE} block gives a front-runner time to commit and reveal first; send it
    /// with a competitive fee or through a private transaction pool.
    ///
    /// Reverts with {PromptAlreadyMinted}, {CommitmentNotFound}, {CommitmentTooRecent} or
    /// {CommitmentExpired}, and like OpenZeppelin's `_safeMint` if the sender is a contract that does
    /// not accept ERC-721 tokens. Deletes the commitment, then emits {PromptRevealed} and
    /// {IERC721-Transfer}.
    function mint(bytes calldata prompt, bytes32 salt) external returns (uint256 tokenId) {
        tokenId = uint256(keccak256(prompt));
        if (_ownerOf(tokenId) != address(0)) revert PromptAlreadyMinted(tokenId);
        bytes32 commitment = keccak256(abi.encode(msg.sender, prompt, salt));
        uint256 committedAt = _commitments[msg.sender][commitment];
        // No transaction runs in block 0, so 0 always means "no commitment".
        if (committedAt == 0) revert CommitmentNotFound(msg.sender, commitment);
        if (block.number < committedAt + MIN_COMMITMENT_AGE) {
            revert CommitmentTooRecent(commitment, committedAt + MIN_COMMITMENT_AGE);
        }
        if (block.number > committedAt + MAX_COMMITMENT_AGE) {
            revert CommitmentExpired(commitment, committedAt + MAX_COMMITMENT_AGE);
        }
        delete _commitments[msg.sender][commitment];
        _prompts[tokenId] = prompt;
        emit PromptRevealed(tokenId, msg.sender, commitment, prompt);
        _safeMint(msg.sender, tokenId);
    }

    // ------------------------------------------------------------------------------------------
    // ERC-7007
    // ------------------------------------------------------------------------------------------

    /// @inheritdoc IERC7007
    /// @dev Anyone may call it (typically the prover node): a valid proof fixes the image as the
    /// model's output for the prompt, so there is only one image it can add. It succeeds exactly when
    /// {verify} returns true, for a minted token without AIGC data yet, and reverts with the reason
    /// otherwise: {PromptMismatch} (`tokenId != keccak256(prompt)`), OpenZeppelin's
    /// `ERC721NonexistentToken`, {AigcDataAlreadyAdded}, {InvalidAigcDataLength}, {PixelOutOfRange},
    /// or {ZkinferConsumer}'s `VerificationFailed` (wrapping the verifier's error),
    /// `InstanceCountMismatch` or `CodehashMismatch`. Stores keccak256(aigcData) ({aigcDataHash}), then
    /// emits {AigcData} and {AigcDataPublished}.
    function addAigcData(uint256 tokenId, bytes calldata prompt, bytes calldata aigcData, bytes calldata proof)
        external
        override(IERC7007, IZkinferAIGCNFT)
    {
        uint256 promptTokenId = uint256(keccak256(prompt));
        if (tokenId != promptTokenId) revert PromptMismatch(tokenId, promptTokenId);
        _requireOwned(tokenId);
        if (_aigcDataHashes[tokenId] != bytes32(0)) revert AigcDataAlreadyAdded(tokenId);
        _verifyProof(proof, expectedInstances(prompt, aigcData));
        _aigcDataHashes[tokenId] = keccak256(aigcData);
        _aigcData[tokenId] = aigcData;
        _vkDigests[tokenId] = IZkinferCircuitInfo(verifier()).VK_DIGEST();
        emit AigcData(tokenId, prompt, aigcData, proof);
        emit AigcDataPublished(tokenId, aigcData);
    }

    /// @inheritdoc IERC7007
    /// @dev Recomputes the public instances from `prompt` and `aigcData` ({expectedInstances}) and
    /// checks `proof` against them with the pinned verifier. Never reverts for bad input: returns
    /// false if `aigcData` is malformed (wrong length, a pixel that cannot be packed) or if the
    /// verification fails for any reason (the verifier rejects the proof or returns false, the
    /// verifier's code changed, the instance count does not match). Does not check that the token
    /// exists. Note: the verification runs in an external self-call ({checkProof}), so a call with too
    /// little gas for the verifier also returns false.
    function verify(bytes calldata prompt, bytes calldata aigcData, bytes calldata proof)
        external
        view
        override(IERC7007, IZkinferAIGCNFT)
        returns (bool success)
    {
        if (aigcData.length != AIGC_DATA_LENGTH) return false;
        (int256[] memory pixels, uint256 badIndex) = _decodePixels(aigcData);
        if (badIndex != PIXEL_COUNT) return false;
        uint256[] memory instances = _instances(prompt, pixels);
        try this.checkProof(proof, instances) {
            success = true;
        } catch {
            success = false;
        }
    }

    /// @inheritdoc IZkinferAIGCNFT
    /// @dev {ZkinferConsumer._verifyProof} as an external view, so {verify} can catch its revert.
    /// Reverts with `InstanceCountMismatch`, `CodehashMismatch` or `VerificationFailed`.
    function checkProof(bytes calldata proof, uint256[] calldata instances) external view {
        _verifyProof(proof, instances);
    }

    // ------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------

    /// @inheritdoc IZkinferAIGCNFT
    function aigcDataHash(uint256 tokenId) external view returns (bytes32) {
        return _aigcDataHashes[tokenId];
    }

    /// @notice ERC-721 metadata, rendered on chain from what was proven: `data:application/json;base64`
    /// JSON whose `image` is a `data:image/svg+xml;base64` SVG of the proven 8x8 pixels (grey levels,
    /// 2^SCALE is white) and whose attributes are the prompt, whether the content is proven, and the
    /// `VK_DIGEST()` of the verifier that checked it. A token without content yet shows a placeholder
    /// image and `"proven": "no"`. Reverts with `ERC721NonexistentToken` for an unminted token.
    /// @param tokenId The token.
    /// @return The metadata URI.
    function tokenURI(uint256 tokenId) public view override returns (string memory) {
        _requireOwned(tokenId);
        bytes memory data = _aigcData[tokenId];
        int256[] memory pixels;
        if (data.length == AIGC_DATA_LENGTH) (pixels,) = _decodePixels(data);
        return AIGCMetadata.tokenURI(tokenId, _prompts[tokenId], pixels, SCALE, _vkDigests[tokenId]);
    }

    /// @inheritdoc IZkinferAIGCNFT
    function promptOf(uint256 tokenId) external view returns (bytes memory) {
        return _prompts[tokenId];
    }

    /// @inheritdoc IZkinferAIGCNFT
    function aigcDataOf(uint256 tokenId) external view returns (bytes memory) {
        return _aigcData[tokenId];
    }

    /// @inheritdoc IZkinferAIGCNFT
    function contentVkDigest(uint256 tokenId) external view returns (uint256) {
        return _vkDigests[tokenId];
    }

    /// @inheritdoc IZkinferAIGCNFT
    function commitmentBlock(address committer, bytes32 commitment) external view returns (uint256) {
        return _commitments[committer][commitment];
    }

    /// @inheritdoc IZkinferAIGCNFT
    /// @dev A convenience for tests and tools; calling it through a public RPC node shows the prompt
    /// to that node (not to the mempool), so prefer computing it locally.
    function commitmentOf(address committer, bytes calldata prompt, bytes32 salt) external pure returns (bytes32) {
        return keccak256(abi.encode(committer, prompt, salt));
    }

    /// @inheritdoc IZkinferAIGCNFT
    function tokenIdOf(bytes calldata prompt) external pure returns (uint256) {
        return uint256(keccak256(prompt));
    }

    /// @inheritdoc IZkinferAIGCNFT
    /// @dev `f_i = floor(uint8(h[i]) * 2^SCALE / 255)` with `h = keccak256(prompt)`, `h[0]` its most
    /// significant byte. E.g. "a red fox at dawn" (hash 0xf78e18cc...) gives 123, 71, 12, 102 at scale 7.
    function promptFeatures(bytes calldata prompt) external view returns (int256[] memory features) {
        return _features(prompt);
    }

    /// @inheritdoc IZkinferAIGCNFT
    function inputWord(bytes calldata prompt) external view returns (uint256) {
        return ZkinferInstances.pack(_features(prompt), PACK_BITS)[0];
    }

    /// @inheritdoc IZkinferAIGCNFT
    /// @dev Reverts with {InvalidAigcDataLength} unless it is 128 bytes. Does not check the range.
    function decodeAigcData(bytes calldata aigcData) external view returns (int256[] memory pixels) {
        if (aigcData.length != AIGC_DATA_LENGTH) revert InvalidAigcDataLength(aigcData.length);
        (pixels,) = _decodePixels(aigcData);
    }

    /// @inheritdoc IZkinferAIGCNFT
    /// @dev `[inputWord(prompt), pack(pixels, PACK_BITS)...]`: 1 + {OUTPUT_WORDS} words. Reverts with
    /// {InvalidAigcDataLength} or {PixelOutOfRange} (the first offending pixel) if `aigcData` is malformed.
    function expectedInstances(bytes calldata prompt, bytes calldata aigcData)
        public
        view
        returns (uint256[] memory instances)
    {
        if (aigcData.length != AIGC_DATA_LENGTH) revert InvalidAigcDataLength(aigcData.length);
        (int256[] memory pixels, uint256 badIndex) = _decodePixels(aigcData);
        if (badIndex != PIXEL_COUNT) revert PixelOutOfRange(badIndex, pixels[badIndex]);
        return _instances(prompt, pixels);
    }

    /// @inheritdoc IZkinferAIGCNFT
    function ownerOf(uint256 tokenId) public view override(ERC721, IERC721, IZkinferAIGCNFT) returns (address) {
        return super.ownerOf(tokenId);
    }

    /// @inheritdoc IZkinferAIGCNFT
    function verifier() public view override(IZkinferAIGCNFT, ZkinferConsumer) returns (address) {
        return super.verifier();
    }

    /// @inheritdoc IZkinferAIGCNFT
    function expectedInstanceCount() public view override(IZkinferAIGCNFT, ZkinferConsumer) returns (uint256) {
        return super.expectedInstanceCount();
    }

    /// @notice ERC-165: ERC-7007 (0x702c55a6), ERC-721 (0x80ac58cd), ERC-721 metadata (0x5b5e139f)
    /// and ERC-165 (0x01ffc9a7).
    /// @param interfaceId The interface identifier.
    /// @return True if the contract implements it.
    function supportsInterface(bytes4 interfaceId) public view override(ERC721, IERC165) returns (bool) {
        return interfaceId == type(IERC7007).interfaceId || super.supportsInterface(interfaceId);
    }

    // ------------------------------------------------------------------------------------------
    // Circuit
    // ------------------------------------------------------------------------------------------

    /// @notice Accepts only a verifier whose circuit the collection decodes.
    /// @dev {ZkinferConsumer} hook, run at construction and at every proposal. Reads the candidate's
    /// `SCALE()` and `PACK_BITS()` (`MissingCircuitInfo` if it does not state them). At construction
    /// (`current` zero) they must be usable ({InvalidModelConfig}); at a proposal they must equal the
    /// pinned {SCALE} and {PACK_BITS} (`CircuitMismatch` naming `"SCALE"` or `"PACK_BITS"`). Then
    /// `instanceBlocks()` must be exactly the collection's layout (`CircuitMismatch` naming the first
    /// field that differs): the 4 features packed in one public word at instance 0, the 64 pixels
    /// packed in {OUTPUT_WORDS} public words from instance 1, both at the packing width, nothing else.
    /// @param candidate The verifier to pin or to propose.
    /// @param current The pinned verifier; zero at construction.
    function _checkVerifier(IZkinferVerifier candidate, IZkinferVerifier current) internal view override {
        (uint256 scale_, uint256 packBits_) = _circuitInfo(candidate);
        if (address(current) == address(0)) {
            _requireUsable(scale_, packBits_);
        } else {
            _requireCircuitFact(candidate, "SCALE", SCALE, scale_);
            _requireCircuitFact(candidate, "PACK_BITS", PACK_BITS, packBits_);
        }
        _requireInstanceBlocks(candidate, _instanceLayout(packBits_));
    }

    // ------------------------------------------------------------------------------------------
    // Internals
    // ------------------------------------------------------------------------------------------

    /// @dev Reads the verifier's scale and packing width, checks them ({InvalidModelConfig}) and
    /// returns the instance count to pin.
    function _instanceCount(IZkinferVerifier verifier_) private view returns (uint256) {
        (uint256 scale_, uint256 packBits_) = _circuitInfo(verifier_);
        _requireUsable(scale_, packBits_);
        return 1 + ZkinferInstances.wordCount(PIXEL_COUNT, packBits_);
    }

    /// @dev Reverts with {InvalidModelConfig} unless the collection can use `scale_` and `packBits_`.
    function _requireUsable(uint256 scale_, uint256 packBits_) private pure {
        if (scale_ > MAX_SCALE || scale_ + 2 > packBits_ || packBits_ > MAX_PACK_BITS) {
            revert InvalidModelConfig(scale_, packBits_);
        }
    }

    /// @dev The instance layout the collection decodes at packing width `packBits_` (a usable one).
    function _instanceLayout(uint256 packBits_)
        private
        pure
        returns (IZkinferCircuitInfo.InstanceBlock[] memory blocks)
    {
        uint256 outputWords = ZkinferInstances.wordCount(PIXEL_COUNT, packBits_);
        blocks = new IZkinferCircuitInfo.InstanceBlock[](2);
        blocks[0] = _instanceBlock(IZkinferCircuitInfo.Side.Input, false, 0, 1, FEATURE_COUNT, packBits_);
        blocks[1] = _instanceBlock(IZkinferCircuitInfo.Side.Output, false, 1, outputWords, PIXEL_COUNT, packBits_);
    }

    /// @dev The 4 features of `prompt` (see {promptFeatures}).
    function _features(bytes calldata prompt) private view returns (int256[] memory features) {
        uint256 h = uint256(keccak256(prompt));
        uint256 scale_ = SCALE;
        features = new int256[](FEATURE_COUNT);
        for (uint256 i = 0; i < FEATURE_COUNT; ++i) {
            // byte i of the hash, big-endian
            uint256 b = (h >> (248 - 8 * i)) & 0xff;
            // casting to 'int256' is safe because the value is at most 255 * 2^14 / 255
            // forge-lint: disable-next-line(unsafe-typecast)
            features[i] = int256((b << scale_) / 255);
        }
    }

    /// @dev Decodes the 64 big-endian int16 values of `aigcData` (the caller checked its length) and
    /// returns the index of the first one outside the packable range, or {PIXEL_COUNT} if none is.
    /// Takes memory, so {tokenURI} decodes stored data without calling itself; 128 bytes are
    /// exactly four ABI words.
    function _decodePixels(bytes memory aigcData) private view returns (int256[] memory pixels, uint256 badIndex) {
        uint256[4] memory chunks = abi.decode(aigcData, (uint256[4]));
        pixels = new int256[](PIXEL_COUNT);
        badIndex = PIXEL_COUNT;
        int256 half = _HALF_RANGE;
        for (uint256 w = 0; w < AIGC_DATA_LENGTH / 32; ++w) {
            // 16 values per 32-byte chunk
            uint256 chunk = chunks[w];
            for (uint256 j = 0; j < 16; ++j) {
                // casting to 'uint16' keeps exactly the 2 bytes of value j; to 'int16' reads them as
                // two's complement, as abi.encodePacked(int16) wrote them
                // forge-lint: disable-next-line(unsafe-typecast)
                int256 v = int16(uint16(chunk >> (240 - 16 * j)));
                uint256 k = 16 * w + j;
                pixels[k] = v;
                if (badIndex == PIXEL_COUNT && (v < -half || v >= half)) badIndex = k;
            }
        }
    }

    /// @dev `[inputWord(prompt), pack(pixels)...]`; the pixels are in range.
    function _instances(bytes calldata prompt, int256[] memory pixels)
        private
        view
        returns (uint256[] memory instances)
    {
        uint256[] memory outputWords = ZkinferInstances.pack(pixels, PACK_BITS);
        uint256 n = outputWords.length;
        instances = new uint256[](1 + n);
        instances[0] = ZkinferInstances.pack(_features(prompt), PACK_BITS)[0];
        for (uint256 i = 0; i < n; ++i) {
            instances[1 + i] = outputWords[i];
        }
    }
}
