// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IZkinferCircuitInfo} from "../IZkinferVerifier.sol";
import {AIRiskVault} from "../vault/AIRiskVault.sol";
import {ZkinferAIGCNFT} from "../nft/ZkinferAIGCNFT.sol";
import {AigcFixture} from "./fixtures/AigcFixture.sol";
import {VaultRiskFixture} from "./fixtures/VaultRiskFixture.sol";
import {DeployNFT} from "../../script/DeployNFT.s.sol";
import {DeployVault} from "../../script/DeployVault.s.sol";
import {VM} from "./utils/Vm.sol";

/// @notice The deploy scripts (`script/`), run as `forge script` runs them: the vault and the NFT
/// take their circuit facts from the generated verifier the script deploys (the scripts pass none),
/// and the vault is left in the state the fixture proof was made for.
/// @dev `run()` is entered by delegatecall, so its `msg.sender` is the test's sender, which is also
/// the account `startBroadcast()` uses (the transaction origin), as with `forge script --private-key`.
contract DeployScriptsTest {
    error Mismatch(uint256 actual, uint256 expected);
    error RunFailed(bytes revertData);

    function _eq(uint256 actual, uint256 expected) internal pure {
        if (actual != expected) revert Mismatch(actual, expected);
    }

    function _run(address script, bytes memory call) internal returns (bytes memory) {
        (bool ok, bytes memory ret) = script.delegatecall(call);
        if (!ok) revert RunFailed(ret);
        return ret;
    }

    function test_deployVault() public {
        VM.warp(1_700_000_000); // a chain's clock (the vault needs two epochs of history behind it)
        bytes memory ret = _run(address(new DeployVault()), abi.encodeCall(DeployVault.run, ()));
        (,,,, address verifier, AIRiskVault vault) =
            abi.decode(ret, (address, address, address, address, address, AIRiskVault));
        IZkinferCircuitInfo info = IZkinferCircuitInfo(verifier);
        _eq(vault.FEATURE_SCALE(), info.SCALE());
        _eq(vault.PACK_BITS(), info.PACK_BITS());
        _eq(vault.FEATURE_SCALE(), VaultRiskFixture.SCALE);
        _eq(vault.PACK_BITS(), VaultRiskFixture.PACK_BITS);
        _eq(uint160(vault.verifier()), uint160(verifier));
        _eq(vault.expectedInstanceCount(), info.NUM_INSTANCES());
        // The worked example's state, once held through a whole epoch: the fixture proof's input word.
        VM.warp((block.timestamp / 1 hours + 2) * 1 hours);
        _eq(vault.expectedInputWord(), VaultRiskFixture.instances()[0]);
    }

    function test_deployNFT() public {
        bytes memory ret = _run(address(new DeployNFT()), abi.encodeCall(DeployNFT.run, ()));
        (address verifier, ZkinferAIGCNFT nft) = abi.decode(ret, (address, ZkinferAIGCNFT));
        IZkinferCircuitInfo info = IZkinferCircuitInfo(verifier);
        _eq(nft.SCALE(), info.SCALE());
        _eq(nft.PACK_BITS(), info.PACK_BITS());
        _eq(nft.SCALE(), AigcFixture.SCALE);
        _eq(nft.PACK_BITS(), AigcFixture.PACK_BITS);
        _eq(nft.expectedInstanceCount(), info.NUM_INSTANCES());
        if (!nft.verify(AigcFixture.PROMPT, AigcFixture.aigcData(), AigcFixture.proof())) {
            revert Mismatch(0, 1);
        }
    }
}
