// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IZkinferVerifier} from "../../IZkinferVerifier.sol";
import {ZkinferAIGCNFT} from "../../nft/ZkinferAIGCNFT.sol";
import {AigcVerifier} from "../fixtures/AigcVerifier.sol";
import {AigcFixture} from "../fixtures/AigcFixture.sol";
import {VM} from "../utils/Vm.sol";

/// @notice The NFT with the generated verifier of its model and real generated content: the 8x8 image
/// zkinfer proved for the prompt "a red fox at dawn" (`cargo run --release --example gen_evm_fixtures`).
contract ZkinferAIGCNFTRealProofTest {
    address internal constant ARTIST = address(0xA11CE);
    bytes32 internal constant SALT = keccak256("salt");

    ZkinferAIGCNFT internal nft;

    function setUp() public {
        IZkinferVerifier verifier = IZkinferVerifier(address(new AigcVerifier()));
        nft = new ZkinferAIGCNFT(
            verifier, address(verifier).codehash, AigcFixture.SCALE, AigcFixture.PACK_BITS, 2 days, address(this)
        );
    }

    function _mint() internal returns (uint256 tokenId) {
        VM.startPrank(ARTIST);
        nft.commit(nft.commitmentOf(ARTIST, AigcFixture.PROMPT, SALT));
        VM.roll(block.number + 1);
        tokenId = nft.mint(AigcFixture.PROMPT, SALT);
        VM.stopPrank();
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
}
