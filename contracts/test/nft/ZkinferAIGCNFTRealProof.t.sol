// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {IZkinferConsumer} from "../../IZkinferConsumer.sol";
import {IZkinferCircuitInfo, IZkinferVerifier} from "../../IZkinferVerifier.sol";
import {ZkinferAIGCNFT} from "../../nft/ZkinferAIGCNFT.sol";
import {AigcFixture} from "../fixtures/AigcFixture.sol";
import {AigcVerifier} from "../fixtures/AigcVerifier.sol";
import {VaultRiskVerifier} from "../fixtures/VaultRiskVerifier.sol";
import {DataUri} from "../utils/DataUri.sol";
import {VM} from "../utils/Vm.sol";

/// @notice The NFT with the generated verifier of its model and real generated content: the 8x8 image
/// zkinfer proved for the prompt "a red fox at dawn" (`cargo run --release --example gen_evm_fixtures`).
contract ZkinferAIGCNFTRealProofTest {
    address internal constant ARTIST = address(0xA11CE);
    bytes32 internal constant SALT = keccak256("salt");

    ZkinferAIGCNFT internal nft;
    IZkinferVerifier internal verifier;

    error Mismatch(uint256 actual, uint256 expected);

    function setUp() public {
        verifier = IZkinferVerifier(address(new AigcVerifier()));
        nft = new ZkinferAIGCNFT(verifier, address(verifier).codehash, 2 days, address(this));
    }

    function _eq(uint256 actual, uint256 expected) internal pure {
        if (actual != expected) revert Mismatch(actual, expected);
    }

    function _mint() internal returns (uint256 tokenId) {
        VM.startPrank(ARTIST);
        nft.commit(nft.commitmentOf(ARTIST, AigcFixture.PROMPT, SALT));
        VM.roll(block.number + 1);
        tokenId = nft.mint(AigcFixture.PROMPT, SALT);
        VM.stopPrank();
    }

    /// @notice The collection took its scale and packing width from the generated verifier, which
    /// states the circuit the fixture proof was made for: 4 features in one word, 64 pixels in 4.
    function test_circuitFactsAreTheVerifiers() public view {
        IZkinferCircuitInfo info = IZkinferCircuitInfo(address(verifier));
        _eq(nft.SCALE(), info.SCALE());
        _eq(nft.PACK_BITS(), info.PACK_BITS());
        _eq(info.SCALE(), AigcFixture.SCALE);
        _eq(info.PACK_BITS(), AigcFixture.PACK_BITS);
        _eq(info.VK_DIGEST(), AigcFixture.VK_DIGEST);
        _eq(nft.OUTPUT_WORDS(), 4);
        _eq(nft.expectedInstanceCount(), info.NUM_INSTANCES());
        IZkinferCircuitInfo.InstanceBlock[] memory b = info.instanceBlocks();
        _eq(b.length, 2);
        _eq(uint256(b[0].side), uint256(IZkinferCircuitInfo.Side.Input));
        _eq(b[0].values, 4);
        _eq(b[0].words, 1);
        _eq(uint256(b[1].side), uint256(IZkinferCircuitInfo.Side.Output));
        _eq(b[1].offset, 1);
        _eq(b[1].values, 64);
        _eq(b[1].words, 4);
        _eq(b[1].packBits, AigcFixture.PACK_BITS);
    }

    /// @notice The vault model's verifier (2 instances, packing width 12) cannot be proposed.
    function test_rotationToAnotherModelsVerifierIsRejected() public {
        address other = address(new VaultRiskVerifier());
        bytes32 h = other.codehash;
        VM.expectRevert(abi.encodeWithSelector(IZkinferConsumer.CircuitMismatch.selector, other, "PACK_BITS", 13, 12));
        nft.proposeVerifier(other, h, 2);
    }

    function test_realContentVerifiesForItsPrompt() public view {
        require(nft.verify(AigcFixture.PROMPT, AigcFixture.aigcData(), AigcFixture.proof()), "real content rejected");
    }

    function test_mintThenAddRealContent() public {
        uint256 tokenId = _mint();
        require(tokenId == uint256(keccak256(AigcFixture.PROMPT)), "tokenId is keccak256(prompt)");
        require(nft.ownerOf(tokenId) == ARTIST, "minted to the committer");
        nft.addAigcData(tokenId, AigcFixture.PROMPT, AigcFixture.aigcData(), AigcFixture.proof());
    }

    function test_alteredPixelIsRejected() public {
        bytes memory data = bytes.concat(AigcFixture.aigcData());
        data[41] = data[41] ^ 0x01; // pixel 20, low byte
        require(!nft.verify(AigcFixture.PROMPT, data, AigcFixture.proof()), "altered content accepted");
        uint256 tokenId = _mint();
        (bool ok,) = address(nft)
            .call(abi.encodeCall(ZkinferAIGCNFT.addAigcData, (tokenId, AigcFixture.PROMPT, data, AigcFixture.proof())));
        require(!ok, "altered content added");
    }

    function test_contentOfOnePromptDoesNotVerifyForAnother() public view {
        require(!nft.verify("a blue fox at dusk", AigcFixture.aigcData(), AigcFixture.proof()), "content moved prompts");
    }

    function test_tamperedProofIsRejected() public view {
        bytes memory bad = bytes.concat(AigcFixture.proof());
        bad[100] = bad[100] ^ 0x01;
        require(!nft.verify(AigcFixture.PROMPT, AigcFixture.aigcData(), bad), "tampered proof accepted");
    }

    /// @notice Before its content is added, a token's metadata is valid JSON with a placeholder
    /// image; after, the image is an SVG of exactly the proven pixels (each square's grey is the
    /// pixel's value, 2^SCALE white), and the attributes carry the prompt and the digest of the
    /// verifying key that checked the proof.
    function test_tokenURI_showsTheProvenPixels() public {
        uint256 tokenId = _mint();
        string memory before = DataUri.decode(nft.tokenURI(tokenId), "data:application/json;base64,");
        require(DataUri.same(VM.parseJsonString(before, ".attributes[0].value"), string(AigcFixture.PROMPT)), "prompt");
        require(DataUri.same(VM.parseJsonString(before, ".attributes[1].value"), "no"), "placeholder is not proven");
        string memory placeholder = DataUri.decode(VM.parseJsonString(before, ".image"), "data:image/svg+xml;base64,");
        _eq(DataUri.count(placeholder, "<rect "), 1);

        nft.addAigcData(tokenId, AigcFixture.PROMPT, AigcFixture.aigcData(), AigcFixture.proof());
        string memory json = DataUri.decode(nft.tokenURI(tokenId), "data:application/json;base64,");
        require(DataUri.same(VM.parseJsonString(json, ".name"), "zkinfer AIGC 0xf78e18cc"), "name");
        require(DataUri.same(VM.parseJsonString(json, ".attributes[0].value"), string(AigcFixture.PROMPT)), "prompt");
        require(DataUri.same(VM.parseJsonString(json, ".attributes[1].value"), "yes"), "proven");
        require(
            DataUri.same(
                VM.parseJsonString(json, ".attributes[2].value"), Strings.toHexString(AigcFixture.VK_DIGEST, 32)
            ),
            "verifier digest"
        );
        _eq(nft.contentVkDigest(tokenId), AigcFixture.VK_DIGEST);
        string memory svg = DataUri.decode(VM.parseJsonString(json, ".image"), "data:image/svg+xml;base64,");
        _eq(DataUri.count(svg, "<svg "), 1);
        _eq(DataUri.count(svg, "<rect "), 64);
        int256[] memory pixels = nft.decodeAigcData(AigcFixture.aigcData());
        uint256 one = 1 << AigcFixture.SCALE;
        bool anyGrey;
        for (uint256 i = 0; i < 64; ++i) {
            // A valid proof keeps every pixel in [0, 2^SCALE] (the model ends in a sigmoid).
            // casting to 'uint256' is safe because the fixture's pixels are non-negative
            // forge-lint: disable-next-line(unsafe-typecast)
            uint256 v = uint256(pixels[i]);
            require(v <= one, "fixture pixel out of range");
            uint256 grey = (v * 255 + one / 2) / one;
            anyGrey = anyGrey || (grey != 0 && grey != 255);
            string memory hex6 = string(abi.encodePacked(_digits(grey), _digits(grey), _digits(grey)));
            string memory rect = string.concat(
                '<rect x="',
                Strings.toString(i % 8),
                '" y="',
                Strings.toString(i / 8),
                '" width="1" height="1" fill="#',
                hex6,
                '"/>'
            );
            _eq(DataUri.count(svg, rect), 1);
        }
        require(anyGrey, "the fixture image is not all black and white");
        require(DataUri.same(string(nft.aigcDataOf(tokenId)), string(AigcFixture.aigcData())), "stored image");
    }

    /// @dev The two lowercase hex digits of `b` (`toHexString(b, 1)` without its "0x").
    function _digits(uint256 b) internal pure returns (bytes memory d) {
        bytes memory h = bytes(Strings.toHexString(b, 1));
        d = new bytes(2);
        d[0] = h[2];
        d[1] = h[3];
    }
}
