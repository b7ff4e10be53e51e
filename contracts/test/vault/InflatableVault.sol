// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IZkinferVerifier} from "../../IZkinferVerifier.sol";
import {AIRiskVault} from "../../vault/AIRiskVault.sol";
import {IPriceHistory} from "../../vault/IPriceHistory.sol";

/// @notice The vault with one extra door: anyone may add to its book of cash without minting
/// shares (tests only). The real vault has no such door (tokens sent to it are ignored, and the
/// book grows only by interest), so this is how a test shows what the ERC-4626 decimals offset
/// would still guarantee if a future change opened one.
contract InflatableVault is AIRiskVault {
    constructor(
        IERC20 collateralToken,
        IERC20 borrowToken,
        IPriceHistory priceSource,
        RiskConfig memory config,
        IZkinferVerifier verifier_,
        bytes32 verifierCodehash,
        uint256 rotationDelay_,
        address initialOwner
    )
        AIRiskVault(
            collateralToken, borrowToken, priceSource, config, verifier_, verifierCodehash, rotationDelay_, initialOwner
        )
    {}

    /// @notice Books `amount` of cash that no share was minted for: a donation that counts.
    function bookDonation(uint256 amount) external {
        cash += amount;
    }
}
