// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC721Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {IZkinferConsumer} from "../../IZkinferConsumer.sol";
import {IZkinferCircuitInfo, IZkinferVerifier} from "../../IZkinferVerifier.sol";
import {ZkinferInstances} from "../../ZkinferInstances.sol";
import {IERC7007} from "../../nft/IERC7007.sol";
import {IZkinferAIGCNFT} from "../../nft/IZkinferAIGCNFT.sol";
import {ZkinferAIGCNFT} from "../../nft/ZkinferAIGCNFT.sol";
import {MockAIGCVerifier} from "./MockAIGCVerifier.sol";
import {DataUri} from "../utils/DataUri.sol";
import {VM} from "../utils/Vm.sol";

/// @notice ZkinferAIGCNFT against a mock verifier (the real proof fixture comes with the model):
/// ERC-165 / ERC-7007 identifiers, the feature and aigcData layouts the prover must reproduce,
/// commit-reveal minting and its front-running guard, and adding AIGC data.
///
/// Worked example (scale 7, packBits 12, so 21 values a word and 1 + 4 instances): the prompt
/// "a red fox at dawn" has keccak256 0xf78e18cc58bc580f8a8d925381444e40989cdadecb45defa8c07278731345651;
/// its first four bytes 0xf7, 0x8e, 0x18, 0xcc (247, 142, 24, 204) give the features
/// floor(247*128/255) = 123, floor(142*128/255) = 71, floor(24*128/255) = 12, floor(204*128/255) = 102,
/// and the input word (123+2048) + (71+2048)<<12 + (12+2048)<<24 + (102+2048)<<36 = 0x86680c84787b.
contract ZkinferAIGCNFTTest {
    uint256 internal constant SCALE = 7;
    uint256 internal constant BITS = 12;
    int256 internal constant HALF = 2048;
    uint256 internal constant PER_WORD = 21;
    uint256 internal constant DELAY = 2 days;
    uint256 internal constant START_BLOCK = 1000;
    uint256 internal constant START_TIME = 1_700_000_000;

    address internal constant ALICE = address(0xA11CE);
    address internal constant BOB = address(0xB0B);
    address internal constant MALLORY = address(0xBAD);
    address internal constant PROVER = address(0x9409E5);

    bytes internal constant PROMPT = "a red fox at dawn";
    bytes32 internal constant PROMPT_HASH = 0xf78e18cc58bc580f8a8d925381444e40989cdadecb45defa8c07278731345651;
    uint256 internal constant PROMPT_INPUT_WORD = 0x86680c84787b;
    bytes32 internal constant SALT = keccak256("alice's salt");
    bytes32 internal constant MALLORY_SALT = keccak256("mallory's salt");
    /// @dev The mock verifier only compares the proof bytes when a call is pinned.
    bytes internal constant PROOF = hex"c0ffee";
    bytes4 internal constant PROOF_REJECTED = bytes4(keccak256("ProofRejected()"));

    MockAIGCVerifier internal verifier;
    ZkinferAIGCNFT internal nft;

    error Mismatch(uint256 actual, uint256 expected);
    error MismatchInt(int256 actual, int256 expected);
    error Failed(string what);

    // The events the tests expect (same signatures as the emitters').
    event Transfer(address indexed from, address indexed to, uint256 indexed tokenId);
    event AigcData(uint256 indexed tokenId, bytes indexed prompt, bytes indexed aigcData, bytes proof);
    event Committed(address indexed committer, bytes32 indexed commitment, uint256 blockNumber);
    event PromptRevealed(uint256 indexed tokenId, address indexed owner, bytes32 indexed commitment, bytes prompt);
    event AigcDataPublished(uint256 indexed tokenId, bytes aigcData);

    function setUp() public {
        VM.roll(START_BLOCK);
        VM.warp(START_TIME);
        verifier = new MockAIGCVerifier(SCALE, BITS);
        nft = _deploy(verifier);
    }

    // ---- helpers ----------------------------------------------------------------------------

    function _deploy(MockAIGCVerifier v) internal returns (ZkinferAIGCNFT) {
        return new ZkinferAIGCNFT(v, address(v).codehash, DELAY, address(this));
    }

    /// @dev A collection whose (mock) verifier states `scale` and packing width `bits`.
    function _deploy(uint256 scale, uint256 bits) internal returns (ZkinferAIGCNFT) {
        return _deploy(new MockAIGCVerifier(scale, bits));
    }

    function _commitment(address who, bytes memory prompt, bytes32 salt) internal pure returns (bytes32) {
        return keccak256(abi.encode(who, prompt, salt));
    }

    function _commit(address who, bytes memory prompt, bytes32 salt) internal returns (bytes32 c) {
        c = _commitment(who, prompt, salt);
        VM.prank(who);
        nft.commit(c);
    }

    /// @dev Commits, waits one block, reveals.
    function _mint(address who, bytes memory prompt, bytes32 salt) internal returns (uint256 tokenId) {
        _commit(who, prompt, salt);
        VM.roll(block.number + 1);
        VM.prank(who);
        tokenId = nft.mint(prompt, salt);
    }

    /// @dev A valid-looking image: pixel k = 2k (0..126, within [0, 128] at scale 7).
    function _image() internal pure returns (int256[] memory px) {
        px = new int256[](64);
        for (uint256 k = 0; k < 64; ++k) {
            // casting to 'int256' is safe because k < 64
            // forge-lint: disable-next-line(unsafe-typecast)
            px[k] = int256(2 * k);
        }
    }

    /// @dev The aigcData layout, spelled out: abi.encodePacked of every value as int16.
    function _encode(int256[] memory px) internal pure returns (bytes memory data) {
        for (uint256 k = 0; k < px.length; ++k) {
            // casting to 'int16' is safe because the tests only encode int16 values
            // forge-lint: disable-next-line(unsafe-typecast)
            data = bytes.concat(data, abi.encodePacked(int16(px[k])));
        }
    }

    /// @dev The features, from their definition.
    function _refFeatures(bytes memory prompt, uint256 scale) internal pure returns (int256[] memory f) {
        bytes32 h = keccak256(prompt);
        f = new int256[](4);
        for (uint256 i = 0; i < 4; ++i) {
            uint256 b = uint8(h[i]);
            // casting to 'int256' is safe because the value is at most 2^scale
            // forge-lint: disable-next-line(unsafe-typecast)
            f[i] = int256(b * 2 ** scale / 255);
        }
    }

    /// @dev W = sum_i (v_i + 2^(bits-1)) * 2^(bits*i) over consecutive blocks of per = 252/bits
    /// values, written out without the library.
    function _refPack(int256[] memory values, uint256 bits) internal pure returns (uint256[] memory words) {
        uint256 per = 252 / bits;
        words = new uint256[]((values.length + per - 1) / per);
        // casting to 'int256' is safe because bits <= 63
        // forge-lint: disable-next-line(unsafe-typecast)
        int256 half = int256(2 ** (bits - 1));
        for (uint256 i = 0; i < values.length; ++i) {
            // casting to 'uint256' is safe because the values are packable (v + half >= 0)
            // forge-lint: disable-next-line(unsafe-typecast)
            words[i / per] += uint256(values[i] + half) * 2 ** (bits * (i % per));
        }
    }

    function _refInstances(bytes memory prompt, int256[] memory px) internal pure returns (uint256[] memory inst) {
        uint256[] memory out = _refPack(px, BITS);
        inst = new uint256[](1 + out.length);
        inst[0] = _refPack(_refFeatures(prompt, SCALE), BITS)[0];
        for (uint256 i = 0; i < out.length; ++i) {
            inst[1 + i] = out[i];
        }
    }

    function _failed(bytes memory verifierError) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IZkinferConsumer.VerificationFailed.selector, verifierError);
    }

    function _eq(uint256 actual, uint256 expected) internal pure {
        if (actual != expected) revert Mismatch(actual, expected);
    }

    function _eq(int256 actual, int256 expected) internal pure {
        if (actual != expected) revert MismatchInt(actual, expected);
    }

    function _eq(bytes32 actual, bytes32 expected) internal pure {
        _eq(uint256(actual), uint256(expected));
    }

    function _eq(address actual, address expected) internal pure {
        _eq(uint256(uint160(actual)), uint256(uint160(expected)));
    }

    function _eq(uint256[] memory actual, uint256[] memory expected) internal pure {
        _eq(actual.length, expected.length);
        for (uint256 i = 0; i < actual.length; ++i) {
            _eq(actual[i], expected[i]);
        }
    }

    function _eq(int256[] memory actual, int256[] memory expected) internal pure {
        _eq(actual.length, expected.length);
        for (uint256 i = 0; i < actual.length; ++i) {
            _eq(actual[i], expected[i]);
        }
    }

    function _true(bool condition, string memory what) internal pure {
        if (!condition) revert Failed(what);
    }

    // ---- deployment -------------------------------------------------------------------------

    function test_deployment() public view {
        _eq(nft.SCALE(), SCALE);
        _eq(nft.SCALE(), verifier.SCALE());
        _eq(nft.PACK_BITS(), BITS);
        _eq(nft.PACK_BITS(), verifier.PACK_BITS());
        _eq(nft.OUTPUT_WORDS(), 4);
        _eq(nft.expectedInstanceCount(), 5);
        _eq(address(nft.verifier()), address(verifier));
        _eq(nft.verifierCodehash(), address(verifier).codehash);
        _eq(nft.rotationDelay(), DELAY);
        _eq(nft.owner(), address(this));
        _true(keccak256(bytes(nft.name())) == keccak256("zkinfer AIGC"), "name");
        _true(keccak256(bytes(nft.symbol())) == keccak256("ZKAIGC"), "symbol");
    }

    /// @dev instance count = 1 + ceil(64 / (252 / packBits)).
    function test_instanceCount_followsPackBits() public {
        _eq(_deploy(7, 9).expectedInstanceCount(), 1 + 3); // 28 a word
        _eq(_deploy(7, 10).expectedInstanceCount(), 1 + 3); // 25 a word
        _eq(_deploy(7, 16).expectedInstanceCount(), 1 + 5); // 15 a word
        _eq(_deploy(14, 16).expectedInstanceCount(), 1 + 5);
        _eq(_deploy(7, 63).expectedInstanceCount(), 1 + 16); // 4 a word
        _eq(_deploy(0, 2).expectedInstanceCount(), 1 + 1); // 126 a word
    }

    /// @dev The scale and packing width come from the verifier; unusable ones are refused.
    function test_constructor_rejectsUnusableModelConfig() public {
        uint256[2][5] memory bad =
            [[uint256(15), 20], [uint256(7), 8], [uint256(11), 12], [uint256(7), 64], [uint256(0), 1]];
        for (uint256 i = 0; i < bad.length; ++i) {
            MockAIGCVerifier v = new MockAIGCVerifier(bad[i][0], bad[i][1]);
            bytes32 h = address(v).codehash;
            VM.expectRevert(abi.encodeWithSelector(IZkinferAIGCNFT.InvalidModelConfig.selector, bad[i][0], bad[i][1]));
            new ZkinferAIGCNFT(v, h, DELAY, address(this));
        }
    }

    function _circuitMismatch(address v, string memory fact, uint256 expected, uint256 actual)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodeWithSelector(IZkinferConsumer.CircuitMismatch.selector, v, fact, expected, actual);
    }

    /// @dev A mock stating scale 7, packing width 12 and 5 instances but the layout `blocks`: refused.
    function _expectLayoutRejected(
        IZkinferCircuitInfo.InstanceBlock[] memory blocks,
        string memory fact,
        uint256 expected,
        uint256 actual
    ) internal {
        MockAIGCVerifier v = new MockAIGCVerifier(SCALE, BITS);
        v.setInstanceBlocks(blocks);
        v.setNumInstances(5);
        bytes32 h = address(v).codehash;
        VM.expectRevert(_circuitMismatch(address(v), fact, expected, actual));
        new ZkinferAIGCNFT(v, h, DELAY, address(this));
    }

    /// @dev The collection decodes 4 public packed features at instance 0 and 64 public packed pixels
    /// after them; a verifier stating any other layout is refused, naming the field that differs.
    function test_constructor_rejectsAnotherInstanceLayout() public {
        IZkinferCircuitInfo.InstanceBlock[] memory b = verifier.instanceBlocks();
        b[0].commitment = true; // hashed prompt features
        b[0].packBits = 0;
        _expectLayoutRejected(b, "instanceBlocks[0].commitment", 0, 1);

        b = verifier.instanceBlocks();
        b[1].values = 63;
        _expectLayoutRejected(b, "instanceBlocks[1].values", 64, 63);

        b = verifier.instanceBlocks();
        b[1].side = IZkinferCircuitInfo.Side.Params;
        _expectLayoutRejected(b, "instanceBlocks[1].side", 1, 2);

        b = verifier.instanceBlocks();
        b[1].offset = 2;
        _expectLayoutRejected(b, "instanceBlocks[1].offset", 1, 2);

        IZkinferCircuitInfo.InstanceBlock[] memory one = new IZkinferCircuitInfo.InstanceBlock[](1);
        one[0] = b[0];
        _expectLayoutRejected(one, "instanceBlocks.length", 2, 1);
    }

    function test_constructor_rejectsAVerifierWithoutCircuitInfo() public {
        MockAIGCVerifier silent = new MockAIGCVerifier(SCALE, BITS);
        silent.setStatesCircuit(false);
        bytes32 h = address(silent).codehash;
        VM.expectRevert(abi.encodeWithSelector(IZkinferConsumer.MissingCircuitInfo.selector, address(silent)));
        new ZkinferAIGCNFT(silent, h, DELAY, address(this));
    }

    /// @dev A rotation to a verifier with another scale, packing width or layout fails at the proposal.
    function test_proposeVerifier_rejectsAnotherCircuit() public {
        MockAIGCVerifier other = new MockAIGCVerifier(SCALE + 1, BITS);
        // Every mock has the same runtime code (its configuration is in storage), so one codehash.
        bytes32 h = address(other).codehash;
        VM.expectRevert(_circuitMismatch(address(other), "SCALE", SCALE, SCALE + 1));
        nft.proposeVerifier(address(other), h, 5);

        other = new MockAIGCVerifier(SCALE, BITS + 1); // 19 values a word: still 1 + 4 instances
        VM.expectRevert(_circuitMismatch(address(other), "PACK_BITS", BITS, BITS + 1));
        nft.proposeVerifier(address(other), h, 5);

        other = new MockAIGCVerifier(SCALE, BITS);
        IZkinferCircuitInfo.InstanceBlock[] memory b = other.instanceBlocks();
        b[0].values = 5;
        other.setInstanceBlocks(b);
        VM.expectRevert(_circuitMismatch(address(other), "instanceBlocks[0].values", 4, 5));
        nft.proposeVerifier(address(other), h, 5);

        other = new MockAIGCVerifier(SCALE, BITS);
        other.setStatesCircuit(false);
        VM.expectRevert(abi.encodeWithSelector(IZkinferConsumer.MissingCircuitInfo.selector, address(other)));
        nft.proposeVerifier(address(other), h, 5);

        (address next,,, uint256 at) = nft.pendingRotation();
        _eq(next, address(0));
        _eq(at, 0);
    }

    function test_constructor_rejectsWrongCodehash() public {
        bytes32 wrong = keccak256("not the verifier");
        VM.expectRevert(
            abi.encodeWithSelector(
                IZkinferConsumer.CodehashMismatch.selector, address(verifier), wrong, address(verifier).codehash
            )
        );
        new ZkinferAIGCNFT(verifier, wrong, DELAY, address(this));
    }

    // ---- ERC-165 / ERC-7007 identifiers -----------------------------------------------------

    function test_supportsInterface() public view {
        _true(nft.supportsInterface(0x702c55a6), "ERC-7007");
        _true(nft.supportsInterface(0x80ac58cd), "ERC-721");
        _true(nft.supportsInterface(0x5b5e139f), "ERC-721 metadata");
        _true(nft.supportsInterface(0x01ffc9a7), "ERC-165");
        _true(!nft.supportsInterface(0xffffffff), "0xffffffff must be false (ERC-165)");
        _true(!nft.supportsInterface(0x780e9d63), "not ERC-721 enumerable");
        _true(!nft.supportsInterface(0xfa1a557a), "not ERC-7007 enumerable");
        _true(!nft.supportsInterface(0x3f37dce2), "not ERC-7007 updatable");
    }

    /// @dev The identifier is the XOR of the selectors of the functions IERC7007 itself declares,
    /// computed here from their canonical signatures, and must be the final spec's 0x702c55a6.
    function test_interfaceId_fromSelectors() public pure {
        bytes4 add = bytes4(keccak256("addAigcData(uint256,bytes,bytes,bytes)"));
        bytes4 ver = bytes4(keccak256("verify(bytes,bytes,bytes)"));
        _eq(uint32(add), uint32(0xaea30507));
        _eq(uint32(ver), uint32(0xde8f50a1));
        _eq(uint32(add ^ ver), uint32(0x702c55a6));
        // The Solidity interface declares exactly these functions.
        _eq(uint32(IERC7007.addAigcData.selector), uint32(add));
        _eq(uint32(IERC7007.verify.selector), uint32(ver));
        _eq(uint32(type(IERC7007).interfaceId), uint32(0x702c55a6));
        _eq(IERC7007.AigcData.selector, keccak256("AigcData(uint256,bytes,bytes,bytes)"));
    }

    // ---- features and input word ------------------------------------------------------------

    function test_tokenId_isKeccakOfPrompt() public {
        _eq(keccak256(PROMPT), PROMPT_HASH);
        _eq(nft.tokenIdOf(PROMPT), uint256(PROMPT_HASH));
        uint256 id = _mint(ALICE, PROMPT, SALT);
        _eq(id, uint256(keccak256(PROMPT)));
        _eq(nft.ownerOf(uint256(keccak256(PROMPT))), ALICE);
        _eq(nft.balanceOf(ALICE), 1);
    }

    /// @dev The worked example of the contract header.
    function test_promptFeatures_workedExample() public view {
        int256[] memory f = nft.promptFeatures(PROMPT);
        _eq(f.length, 4);
        _eq(f[0], 123); // 0xf7 = 247
        _eq(f[1], 71); // 0x8e = 142
        _eq(f[2], 12); // 0x18 = 24
        _eq(f[3], 102); // 0xcc = 204
        _eq(nft.inputWord(PROMPT), PROMPT_INPUT_WORD);
        _eq(PROMPT_INPUT_WORD, 2171 + (2119 << 12) + (2060 << 24) + (2150 << 36));
    }

    /// @dev Extremes: byte 0 gives 0, byte 255 gives exactly 2^scale (real 1.0), at the largest scale.
    function test_promptFeatures_extremesAtMaxScale() public {
        ZkinferAIGCNFT wide = _deploy(14, 16);
        // keccak256("") = 0xc5d2460186f7...: 0xc5 = 197, 0xd2 = 210, 0x46 = 70, 0x01 = 1.
        int256[] memory f = wide.promptFeatures("");
        _eq(f[0], 12657); // floor(197 * 16384 / 255)
        _eq(f[1], 13492); // floor(210 * 16384 / 255)
        _eq(f[2], 4497); // floor(70 * 16384 / 255)
        _eq(f[3], 64); // floor(1 * 16384 / 255)
    }

    function testFuzz_promptFeatures(bytes calldata prompt, uint8 scaleSeed) public {
        uint256 scale = uint256(scaleSeed) % 11; // packBits 12 allows scale <= 10
        ZkinferAIGCNFT n = scale == SCALE ? nft : _deploy(scale, BITS);
        int256[] memory f = n.promptFeatures(prompt);
        int256[] memory ref = _refFeatures(prompt, scale);
        _eq(f, ref);
        bytes32 h = keccak256(prompt);
        uint256 word;
        for (uint256 i = 0; i < 4; ++i) {
            uint256 b = uint8(h[i]);
            // casting to 'uint256' is safe because features are non-negative
            // forge-lint: disable-next-line(unsafe-typecast)
            uint256 v = uint256(f[i]);
            // floor(b * 2^scale / 255): v * 255 <= b * 2^scale < (v + 1) * 255, and v in [0, 2^scale]
            _true(v * 255 <= b << scale && b << scale < (v + 1) * 255, "floor");
            _true(v <= 2 ** scale, "range");
            word += (v + 2048) << (12 * i);
        }
        _eq(n.inputWord(prompt), word);
        uint256[] memory inst = new uint256[](1);
        inst[0] = word;
        _eq(ZkinferInstances.unpackAll(inst, 0, 4, BITS), f);
    }

    // ---- aigcData layout --------------------------------------------------------------------

    /// @dev The gradient image 0, 2, ..., 126: bytes and instances, hand-computed.
    function test_aigcData_workedExample() public view {
        bytes memory data = _encode(_image());
        _eq(data.length, 128);
        _eq(
            keccak256(data),
            keccak256(
                hex"00000002000400060008000a000c000e00100012001400160018001a001c001e00200022002400260028002a002c002e00300032003400360038003a003c003e00400042004400460048004a004c004e00500052005400560058005a005c005e00600062006400660068006a006c006e00700072007400760078007a007c007e"
            )
        );
        uint256[] memory inst = nft.expectedInstances(PROMPT, data);
        _eq(inst.length, 5);
        _eq(inst[0], PROMPT_INPUT_WORD);
        _eq(inst[1], 0x82882682482282081e81c81a81881681481281080e80c80a808806804802800);
        _eq(inst[2], 0x85285084e84c84a84884684484284083e83c83a83883683483283082e82c82a);
        _eq(inst[3], 0x87c87a87887687487287086e86c86a86886686486286085e85c85a858856854);
        _eq(inst[4], 0x87e); // pixel 63 = 126, alone in the last word
        _eq(inst, _refInstances(PROMPT, _image()));
        _eq(nft.decodeAigcData(data), _image());
    }

    /// @dev Negative values are two's complement, big-endian.
    function test_aigcData_negativeValues() public view {
        int256[] memory px = new int256[](64);
        px[0] = -1;
        px[1] = -2048;
        px[2] = 2047;
        px[63] = 128;
        bytes memory data = _encode(px);
        _true(data[0] == 0xff && data[1] == 0xff, "-1");
        _true(data[2] == 0xf8 && data[3] == 0x00, "-2048");
        _true(data[4] == 0x07 && data[5] == 0xff, "2047");
        _true(data[126] == 0x00 && data[127] == 0x80, "128");
        _eq(nft.decodeAigcData(data), px);
        _eq(nft.expectedInstances(PROMPT, data), _refInstances(PROMPT, px));
        _true(nft.verify(PROMPT, data, PROOF), "packable values verify");
    }

    /// @dev Any 64 int16 values round-trip; verify is true exactly when all are packable (12 bits),
    /// and expectedInstances names the first one that is not.
    function testFuzz_aigcData_encoding(int16[64] calldata raw) public {
        int256[] memory px = new int256[](64);
        uint256 firstBad = 64;
        for (uint256 k = 0; k < 64; ++k) {
            px[k] = raw[k];
            if (firstBad == 64 && (px[k] < -HALF || px[k] >= HALF)) firstBad = k;
        }
        bytes memory data = _encode(px);
        _eq(data.length, 128);
        for (uint256 k = 0; k < 64; ++k) {
            // casting is safe: the two bytes of the int16's two's complement
            // forge-lint: disable-next-line(unsafe-typecast)
            uint16 u = uint16(raw[k]);
            // forge-lint: disable-next-line(unsafe-typecast)
            _true(uint8(data[2 * k]) == uint8(u >> 8) && uint8(data[2 * k + 1]) == uint8(u), "big-endian int16");
        }
        _eq(nft.decodeAigcData(data), px);
        _true(nft.verify(PROMPT, data, PROOF) == (firstBad == 64), "verify iff packable");
        if (firstBad < 64) {
            VM.expectRevert(abi.encodeWithSelector(IZkinferAIGCNFT.PixelOutOfRange.selector, firstBad, px[firstBad]));
            nft.expectedInstances(PROMPT, data);
        } else {
            _eq(nft.expectedInstances(PROMPT, data), _refInstances(PROMPT, px));
        }
    }

    /// @dev Packable images: the verifier is called with exactly [inputWord, pack(pixels)...], and the
    /// output words decode back to the pixels.
    function testFuzz_aigcData_packableImages(int16[64] calldata raw, bytes calldata prompt) public {
        int256[] memory px = new int256[](64);
        for (uint256 k = 0; k < 64; ++k) {
            px[k] = int256(raw[k]) % HALF; // in (-2048, 2048)
        }
        bytes memory data = _encode(px);
        uint256[] memory inst = _refInstances(prompt, px);
        verifier.expectCall(PROOF, inst);
        _true(nft.verify(prompt, data, PROOF), "pinned call accepted");
        _eq(ZkinferInstances.unpackAll(inst, 1, 64, BITS), px);
        _eq(ZkinferInstances.unpackAll(inst, 0, 4, BITS), nft.promptFeatures(prompt));
    }

    // ---- commit-reveal ----------------------------------------------------------------------

    function test_commitMintAddAigcData_happyPath() public {
        bytes32 c = nft.commitmentOf(ALICE, PROMPT, SALT);
        _eq(c, _commitment(ALICE, PROMPT, SALT));
        VM.expectEmit(true, true, true, true, address(nft));
        emit Committed(ALICE, c, START_BLOCK);
        VM.prank(ALICE);
        nft.commit(c);
        _eq(nft.commitmentBlock(ALICE, c), START_BLOCK);

        VM.roll(START_BLOCK + 1);
        uint256 id = uint256(PROMPT_HASH);
        VM.expectEmit(true, true, true, true, address(nft));
        emit PromptRevealed(id, ALICE, c, PROMPT);
        VM.expectEmit(true, true, true, true, address(nft));
        emit Transfer(address(0), ALICE, id);
        VM.prank(ALICE);
        _eq(nft.mint(PROMPT, SALT), id);
        _eq(nft.ownerOf(id), ALICE);
        _eq(nft.commitmentBlock(ALICE, c), 0);
        _eq(nft.aigcDataHash(id), bytes32(0));

        // A prover node (not the owner) adds the image; the verifier sees exactly the instances.
        bytes memory data = _encode(_image());
        verifier.expectCall(PROOF, _refInstances(PROMPT, _image()));
        _true(nft.verify(PROMPT, data, PROOF), "verify");
        VM.expectEmit(true, true, true, true, address(nft));
        emit AigcData(id, PROMPT, data, PROOF);
        VM.expectEmit(true, true, true, true, address(nft));
        emit AigcDataPublished(id, data);
        VM.prank(PROVER);
        nft.addAigcData(id, PROMPT, data, PROOF);
        _eq(nft.aigcDataHash(id), keccak256(data));
        _eq(nft.ownerOf(id), ALICE);
    }

    function test_mint_withoutCommitment_reverts() public {
        VM.prank(ALICE);
        VM.expectRevert(
            abi.encodeWithSelector(IZkinferAIGCNFT.CommitmentNotFound.selector, ALICE, _commitment(ALICE, PROMPT, SALT))
        );
        nft.mint(PROMPT, SALT);
    }

    function test_mint_wrongSaltOrPrompt_reverts() public {
        _commit(ALICE, PROMPT, SALT);
        VM.roll(block.number + 1);
        VM.prank(ALICE);
        VM.expectRevert(
            abi.encodeWithSelector(
                IZkinferAIGCNFT.CommitmentNotFound.selector, ALICE, _commitment(ALICE, PROMPT, MALLORY_SALT)
            )
        );
        nft.mint(PROMPT, MALLORY_SALT);
        VM.prank(ALICE);
        VM.expectRevert(
            abi.encodeWithSelector(
                IZkinferAIGCNFT.CommitmentNotFound.selector, ALICE, _commitment(ALICE, "a red fox at dusk", SALT)
            )
        );
        nft.mint("a red fox at dusk", SALT);
    }

    /// @dev Bob cannot use Alice's commitment, neither by revealing her prompt and salt nor by
    /// committing her commitment value himself.
    function test_mint_withAnothersCommitment_reverts() public {
        bytes32 aliceCommitment = _commit(ALICE, PROMPT, SALT);
        VM.prank(BOB);
        nft.commit(aliceCommitment);
        VM.roll(block.number + 1);
        VM.prank(BOB);
        VM.expectRevert(
            abi.encodeWithSelector(IZkinferAIGCNFT.CommitmentNotFound.selector, BOB, _commitment(BOB, PROMPT, SALT))
        );
        nft.mint(PROMPT, SALT);
        // Alice's commitment is untouched.
        VM.prank(ALICE);
        nft.mint(PROMPT, SALT);
        _eq(nft.ownerOf(uint256(PROMPT_HASH)), ALICE);
    }

    function test_mint_tooEarly_reverts() public {
        bytes32 c = _commit(ALICE, PROMPT, SALT);
        VM.prank(ALICE);
        VM.expectRevert(abi.encodeWithSelector(IZkinferAIGCNFT.CommitmentTooRecent.selector, c, START_BLOCK + 1));
        nft.mint(PROMPT, SALT);
        VM.roll(START_BLOCK + 1);
        VM.prank(ALICE);
        nft.mint(PROMPT, SALT);
    }

    function test_mint_tooLate_reverts() public {
        bytes32 c = _commit(ALICE, PROMPT, SALT);
        uint256 maxAge = nft.MAX_COMMITMENT_AGE();
        _eq(maxAge, 7200);
        VM.roll(START_BLOCK + maxAge + 1);
        VM.prank(ALICE);
        VM.expectRevert(abi.encodeWithSelector(IZkinferAIGCNFT.CommitmentExpired.selector, c, START_BLOCK + maxAge));
        nft.mint(PROMPT, SALT);
        // The last block of the window still works.
        VM.roll(START_BLOCK + maxAge);
        VM.prank(ALICE);
        nft.mint(PROMPT, SALT);
    }

    function test_commit_againRestartsTheClock() public {
        bytes32 c = _commit(ALICE, PROMPT, SALT);
        VM.roll(START_BLOCK + 10_000);
        VM.prank(ALICE);
        VM.expectRevert(abi.encodeWithSelector(IZkinferAIGCNFT.CommitmentExpired.selector, c, START_BLOCK + 7200));
        nft.mint(PROMPT, SALT);
        _commit(ALICE, PROMPT, SALT);
        _eq(nft.commitmentBlock(ALICE, c), START_BLOCK + 10_000);
        VM.roll(START_BLOCK + 10_001);
        VM.prank(ALICE);
        nft.mint(PROMPT, SALT);
    }

    function test_mint_samePromptTwice_reverts() public {
        uint256 id = _mint(ALICE, PROMPT, SALT);
        // Someone else, with a valid commitment of their own.
        _commit(BOB, PROMPT, keccak256("bob"));
        VM.roll(block.number + 1);
        VM.prank(BOB);
        VM.expectRevert(abi.encodeWithSelector(IZkinferAIGCNFT.PromptAlreadyMinted.selector, id));
        nft.mint(PROMPT, keccak256("bob"));
        // The owner again.
        _commit(ALICE, PROMPT, SALT);
        VM.roll(block.number + 1);
        VM.prank(ALICE);
        VM.expectRevert(abi.encodeWithSelector(IZkinferAIGCNFT.PromptAlreadyMinted.selector, id));
        nft.mint(PROMPT, SALT);
        _eq(nft.balanceOf(ALICE), 1);
    }

    /// @dev Alice's reveal is in the mempool; Mallory reads the prompt and salt from it and tries
    /// everything within the block: replaying it, committing and revealing at once, reusing Alice's
    /// commitment value. None works, Alice's reveal lands, and later the prompt is taken.
    function test_frontRunner_cannotMintAPromptSeenInTheMempool() public {
        bytes32 aliceCommitment = _commit(ALICE, PROMPT, SALT);
        VM.roll(START_BLOCK + 1);

        // 1. Replaying Alice's call from her own account: the commitment binds Alice's address.
        VM.prank(MALLORY);
        VM.expectRevert(
            abi.encodeWithSelector(
                IZkinferAIGCNFT.CommitmentNotFound.selector, MALLORY, _commitment(MALLORY, PROMPT, SALT)
            )
        );
        nft.mint(PROMPT, SALT);

        // 2. Committing now and revealing in the same block: too recent.
        bytes32 mc = _commit(MALLORY, PROMPT, MALLORY_SALT);
        VM.prank(MALLORY);
        VM.expectRevert(abi.encodeWithSelector(IZkinferAIGCNFT.CommitmentTooRecent.selector, mc, START_BLOCK + 2));
        nft.mint(PROMPT, MALLORY_SALT);

        // 3. Committing Alice's commitment value: stored under Mallory, useless to her.
        VM.prank(MALLORY);
        nft.commit(aliceCommitment);
        VM.prank(MALLORY);
        VM.expectRevert(
            abi.encodeWithSelector(
                IZkinferAIGCNFT.CommitmentNotFound.selector, MALLORY, _commitment(MALLORY, PROMPT, SALT)
            )
        );
        nft.mint(PROMPT, SALT);

        // Alice's reveal is mined.
        VM.prank(ALICE);
        nft.mint(PROMPT, SALT);
        _eq(nft.ownerOf(uint256(PROMPT_HASH)), ALICE);

        // Next block: Mallory's commitment is old enough, but the prompt is taken.
        VM.roll(START_BLOCK + 2);
        VM.prank(MALLORY);
        VM.expectRevert(abi.encodeWithSelector(IZkinferAIGCNFT.PromptAlreadyMinted.selector, uint256(PROMPT_HASH)));
        nft.mint(PROMPT, MALLORY_SALT);
    }

    /// @dev The documented residual risk: a reveal left pending for a whole block lets a front-runner
    /// who committed in the meantime reveal first.
    function test_frontRunner_winsOnlyIfTheRevealStaysPendingABlock() public {
        _commit(ALICE, PROMPT, SALT);
        VM.roll(START_BLOCK + 1);
        // Alice's reveal is broadcast but not mined in this block; Mallory commits.
        _commit(MALLORY, PROMPT, MALLORY_SALT);
        VM.roll(START_BLOCK + 2);
        VM.prank(MALLORY);
        nft.mint(PROMPT, MALLORY_SALT);
        VM.prank(ALICE);
        VM.expectRevert(abi.encodeWithSelector(IZkinferAIGCNFT.PromptAlreadyMinted.selector, uint256(PROMPT_HASH)));
        nft.mint(PROMPT, SALT);
    }

    // ---- verify and addAigcData -------------------------------------------------------------

    function test_verify_returnsFalseWhenTheVerifierRejects() public {
        uint256 id = _mint(ALICE, PROMPT, SALT);
        bytes memory data = _encode(_image());
        _true(nft.verify(PROMPT, data, PROOF), "accepted by default");

        bytes memory rejected = abi.encodeWithSelector(PROOF_REJECTED);
        verifier.setRevert(rejected);
        _true(!nft.verify(PROMPT, data, PROOF), "verifier revert -> false");
        VM.expectRevert(_failed(rejected));
        nft.addAigcData(id, PROMPT, data, PROOF);

        verifier.setReturnFalse();
        _true(!nft.verify(PROMPT, data, PROOF), "verifier false -> false");
        VM.expectRevert(_failed(abi.encode(false)));
        nft.addAigcData(id, PROMPT, data, PROOF);

        verifier.setAccept();
        nft.addAigcData(id, PROMPT, data, PROOF);
    }

    /// @dev The proof is bound to the prompt and every pixel: with the verifier pinned to the right
    /// call, another proof, prompt or image is rejected (false, no revert).
    function test_verify_isBoundToPromptImageAndProof() public {
        int256[] memory px = _image();
        bytes memory data = _encode(px);
        verifier.expectCall(PROOF, _refInstances(PROMPT, px));
        _true(nft.verify(PROMPT, data, PROOF), "right call");
        _true(!nft.verify(PROMPT, data, hex"c0ffef"), "other proof");
        _true(!nft.verify("a red fox at dusk", data, PROOF), "other prompt");
        for (uint256 k = 0; k < 64; k += 21) {
            px[k] += 1;
            _true(!nft.verify(PROMPT, _encode(px), PROOF), "other image");
            px[k] -= 1;
        }
        px[63] += 1;
        _true(!nft.verify(PROMPT, _encode(px), PROOF), "last pixel");
    }

    /// @dev The pinned codehash is checked inside verify too: changed verifier code gives false.
    function test_verify_returnsFalseWhenTheVerifierCodeChanged() public {
        uint256 id = _mint(ALICE, PROMPT, SALT);
        bytes memory data = _encode(_image());
        bytes32 pinned = address(verifier).codehash;
        bytes memory other = hex"600160005260206000f3"; // returns 1 for anything
        VM.etch(address(verifier), other);
        _true(!nft.verify(PROMPT, data, PROOF), "codehash changed -> false");
        VM.expectRevert(
            abi.encodeWithSelector(
                IZkinferConsumer.CodehashMismatch.selector, address(verifier), pinned, keccak256(other)
            )
        );
        nft.addAigcData(id, PROMPT, data, PROOF);
    }

    function testFuzz_aigcData_wrongLength(bytes calldata junk) public {
        bytes memory data = junk.length == 128 ? bytes.concat(junk, hex"00") : junk;
        uint256 id = _mint(ALICE, PROMPT, SALT);
        _true(!nft.verify(PROMPT, data, PROOF), "wrong length -> false");
        VM.expectRevert(abi.encodeWithSelector(IZkinferAIGCNFT.InvalidAigcDataLength.selector, data.length));
        nft.addAigcData(id, PROMPT, data, PROOF);
        VM.expectRevert(abi.encodeWithSelector(IZkinferAIGCNFT.InvalidAigcDataLength.selector, data.length));
        nft.decodeAigcData(data);
        _eq(nft.aigcDataHash(id), bytes32(0));
    }

    function test_aigcData_outOfRangeValues() public {
        uint256 id = _mint(ALICE, PROMPT, SALT);
        int256[] memory px = _image();
        int256[4] memory bad = [int256(2048), -2049, 32767, -32768];
        for (uint256 i = 0; i < bad.length; ++i) {
            uint256 k = 5 + 19 * i;
            px[k] = bad[i];
            bytes memory data = _encode(px);
            _true(!nft.verify(PROMPT, data, PROOF), "out of range -> false");
            VM.expectRevert(abi.encodeWithSelector(IZkinferAIGCNFT.PixelOutOfRange.selector, k, bad[i]));
            nft.addAigcData(id, PROMPT, data, PROOF);
            px[k] = 0;
        }
        // The packable extremes are fine.
        px[0] = -2048;
        px[63] = 2047;
        nft.addAigcData(id, PROMPT, _encode(px), PROOF);
    }

    function test_addAigcData_nonexistentToken_reverts() public {
        bytes memory data = _encode(_image());
        _true(nft.verify(PROMPT, data, PROOF), "verify does not need the token");
        VM.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721NonexistentToken.selector, uint256(PROMPT_HASH)));
        nft.addAigcData(uint256(PROMPT_HASH), PROMPT, data, PROOF);
    }

    function test_addAigcData_promptMismatch_reverts() public {
        uint256 id = _mint(ALICE, PROMPT, SALT);
        bytes memory other = "a red fox at dusk";
        VM.expectRevert(abi.encodeWithSelector(IZkinferAIGCNFT.PromptMismatch.selector, id, uint256(keccak256(other))));
        nft.addAigcData(id, other, _encode(_image()), PROOF);
    }

    function test_addAigcData_twice_reverts() public {
        uint256 id = _mint(ALICE, PROMPT, SALT);
        bytes memory data = _encode(_image());
        nft.addAigcData(id, PROMPT, data, PROOF);
        VM.expectRevert(abi.encodeWithSelector(IZkinferAIGCNFT.AigcDataAlreadyAdded.selector, id));
        nft.addAigcData(id, PROMPT, data, PROOF);
        int256[] memory px = _image();
        px[0] = 1;
        VM.expectRevert(abi.encodeWithSelector(IZkinferAIGCNFT.AigcDataAlreadyAdded.selector, id));
        nft.addAigcData(id, PROMPT, _encode(px), PROOF);
        _eq(nft.aigcDataHash(id), keccak256(data));
    }

    /// @dev After a verifier rotation, proofs are checked by the new verifier (same layout).
    function test_verify_usesTheRotatedVerifier() public {
        bytes memory data = _encode(_image());
        MockAIGCVerifier next = new MockAIGCVerifier(SCALE, BITS);
        next.setReturnFalse();
        nft.proposeVerifier(address(next), address(next).codehash, 5);
        VM.warp(START_TIME + DELAY);
        nft.executeVerifierRotation();
        _true(!nft.verify(PROMPT, data, PROOF), "new verifier rejects");
        next.setAccept();
        _true(nft.verify(PROMPT, data, PROOF), "new verifier accepts");
    }

    /// @dev checkProof is the external form of the consumer's verification.
    function test_checkProof_revertsLikeTheConsumer() public {
        uint256[] memory inst = _refInstances(PROMPT, _image());
        nft.checkProof(PROOF, inst);
        uint256[] memory short = new uint256[](4);
        VM.expectRevert(abi.encodeWithSelector(IZkinferConsumer.InstanceCountMismatch.selector, 5, 4));
        nft.checkProof(PROOF, short);
    }

    /// @dev Keeps the IZkinferVerifier import meaningful: the NFT accepts any implementation.
    function test_verifierIsAnIZkinferVerifier() public view {
        IZkinferVerifier v = IZkinferVerifier(nft.verifier());
        _eq(address(v), address(verifier));
    }

    // ---- tokenURI ------------------------------------------------------------------------------

    function _metadata(uint256 id) internal view returns (string memory) {
        return DataUri.decode(nft.tokenURI(id), "data:application/json;base64,");
    }

    /// @notice Quotes and backslashes in a prompt are escaped: the metadata stays valid JSON and
    /// reads back as the prompt that was minted.
    function test_tokenURI_escapesThePrompt() public {
        bytes memory prompt = 'a "quoted" back\\slash';
        uint256 id = _mint(ALICE, prompt, SALT);
        _true(DataUri.same(VM.parseJsonString(_metadata(id), ".attributes[0].value"), string(prompt)), "prompt");
    }

    /// @notice A prompt that is not printable ASCII (a newline, UTF-8, raw bytes) is shown as its hex.
    function test_tokenURI_showsOtherPromptsAsHex() public {
        bytes memory prompt = hex"e28c9a0a01ff";
        uint256 id = _mint(ALICE, prompt, SALT);
        _true(DataUri.same(VM.parseJsonString(_metadata(id), ".attributes[0].value"), "0xe28c9a0a01ff"), "hex");
    }

    /// @notice The image is the added content: pixel k = 2k at scale 7 is grey round(2k * 255 / 128),
    /// pixel 64 would be white; the mock verifier states digest 0.
    function test_tokenURI_drawsTheAddedImage() public {
        uint256 id = _mint(ALICE, PROMPT, SALT);
        _true(DataUri.same(VM.parseJsonString(_metadata(id), ".attributes[1].value"), "no"), "not proven yet");
        nft.addAigcData(id, PROMPT, _encode(_image()), PROOF);
        string memory json = _metadata(id);
        _true(DataUri.same(VM.parseJsonString(json, ".attributes[1].value"), "yes"), "proven");
        _true(
            DataUri.same(
                VM.parseJsonString(json, ".attributes[2].value"),
                "0x" "0000000000000000000000000000000000000000000000000000000000000000"
            ),
            "digest"
        );
        string memory svg = DataUri.decode(VM.parseJsonString(json, ".image"), "data:image/svg+xml;base64,");
        // pixel 0 = 0 (black), pixel 1 = 2 (grey 4), pixel 63 = 126 (grey 251 = 0xfb)
        _eq(DataUri.count(svg, '<rect x="0" y="0" width="1" height="1" fill="#000000"/>'), 1);
        _eq(DataUri.count(svg, '<rect x="1" y="0" width="1" height="1" fill="#040404"/>'), 1);
        _eq(DataUri.count(svg, '<rect x="7" y="7" width="1" height="1" fill="#fbfbfb"/>'), 1);
        _eq(DataUri.count(svg, "<rect "), 64);
    }

    function test_tokenURI_nonexistentToken_reverts() public {
        VM.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721NonexistentToken.selector, 42));
        nft.tokenURI(42);
    }
}
