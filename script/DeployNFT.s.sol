// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IZkinferCircuitInfo, IZkinferVerifier} from "../contracts/IZkinferVerifier.sol";
import {ZkinferAIGCNFT} from "../contracts/nft/ZkinferAIGCNFT.sol";
import {AigcVerifier} from "../contracts/test/fixtures/AigcVerifier.sol";
import {VM} from "../contracts/test/utils/Vm.sol";

/// @title Deploys the EIP-7007 AIGC NFT with its generated verifier on a local chain
/// @notice Deploys the generated `AigcVerifier` and {ZkinferAIGCNFT} (owned by the broadcaster,
/// verifier rotations behind a 2-day timelock). The collection reads the model's scale and packing
/// width from the verifier (`SCALE()`, `PACK_BITS()`) and checks its instance layout, so the script
/// passes no circuit facts. Minting and adding the proven image are left to the caller (see
/// `script/README.md`).
/// @dev Run: `forge script script/DeployNFT.s.sol --rpc-url <url> --broadcast --private-key <key>`.
/// The addresses are printed as the return values of {run}.
contract DeployNFT {
    uint256 internal constant ROTATION_DELAY = 2 days;

    /// @notice Deploys both contracts from the script's sender.
    /// @return verifier The model's verifier.
    /// @return nft The collection.
    function run() external returns (address verifier, ZkinferAIGCNFT nft) {
        address deployer = msg.sender;
        VM.startBroadcast();
        verifier = address(new AigcVerifier());
        // The fixture verifier's keys come from the development SRS: fine on a local chain only.
        require(
            !IZkinferCircuitInfo(verifier).DEV_SRS() || block.chainid == 31337 || block.chainid == 1337,
            "development-SRS verifier: local chains only"
        );
        nft = new ZkinferAIGCNFT(IZkinferVerifier(verifier), verifier.codehash, ROTATION_DELAY, deployer);
        VM.stopBroadcast();
    }
}
