// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ZkinferInstances} from "../../ZkinferInstances.sol";
import {AIRiskVault} from "../../vault/AIRiskVault.sol";
import {MockPriceSource} from "../../vault/MockPriceSource.sol";
import {MockERC20} from "./MockERC20.sol";
import {MockZkinferVerifier} from "./MockZkinferVerifier.sol";
import {VM} from "../utils/Vm.sol";

/// @notice Deployment, actors and helpers shared by the vault tests. The risk model's verifier is
/// {MockZkinferVerifier} (pinned by its codehash like a real one, stating scale 7 and packing width 10
/// like a generated one): the tests exercise everything the vault does around verification, with the
/// proof itself stubbed.
abstract contract VaultTestBase {
    uint256 internal constant START = 1_700_000_000;
    uint256 internal constant EPOCH = 1 hours;
    uint256 internal constant SCALE = 7;
    int256 internal constant ONE = 128;
    uint256 internal constant BITS = 10;
    uint256 internal constant DELAY = 2 days;
    uint256 internal constant PRICE = 2000e18;
    uint256 internal constant WAD = 1e18;

    uint256 internal constant LTV_FLOOR = 0.3e18;
    uint256 internal constant LTV_CEILING = 0.85e18;
    uint256 internal constant RATE_FLOOR = 0.01e18;
    uint256 internal constant RATE_CEILING = 0.4e18;
    uint256 internal constant LTV_STEP = 0.05e18;
    uint256 internal constant RATE_STEP = 0.05e18;
    uint256 internal constant INITIAL_LTV = 0.6e18;
    uint256 internal constant INITIAL_RATE = 0.05e18;

    address internal constant LENDER = address(0x1001);
    address internal constant BORROWER = address(0x2002);
    address internal constant LIQUIDATOR = address(0x3003);
    address internal constant KEEPER = address(0x4004);
    address internal constant OTHER = address(0x5005);

    /// @dev The mock verifier ignores the proof bytes.
    bytes internal constant PROOF = hex"00";

    MockERC20 internal collateral;
    MockERC20 internal asset;
    MockPriceSource internal prices;
    MockZkinferVerifier internal verifier;
    AIRiskVault internal vault;

    error Mismatch(uint256 actual, uint256 expected);
    error MismatchInt(int256 actual, int256 expected);
    error Failed(string what);

    // ---- deployment -------------------------------------------------------------------------

    function _config() internal pure returns (AIRiskVault.RiskConfig memory) {
        return AIRiskVault.RiskConfig({
            epochLength: EPOCH,
            ltvFloor: LTV_FLOOR,
            ltvCeiling: LTV_CEILING,
            rateFloor: RATE_FLOOR,
            rateCeiling: RATE_CEILING,
            maxLtvChange: LTV_STEP,
            maxRateChange: RATE_STEP,
            initialLtv: INITIAL_LTV,
            initialRate: INITIAL_RATE
        });
    }

    function _newVault(AIRiskVault.RiskConfig memory config) internal returns (AIRiskVault) {
        return
            new AIRiskVault(
                collateral, asset, prices, config, verifier, address(verifier).codehash, DELAY, address(this)
            );
    }

    /// @dev Tokens, a price source holding one price (PRICE), the mock verifier and the vault, at START.
    function _deploy() internal {
        VM.warp(START);
        collateral = new MockERC20("Collateral", "COL");
        asset = new MockERC20("Borrowed", "BOR");
        prices = new MockPriceSource(address(this));
        prices.pushPrice(PRICE);
        verifier = new MockZkinferVerifier(SCALE, BITS);
        vault = _newVault(_config());
    }

    /// @dev Moves to the start of the epoch after next: the state left now has been held for the
    /// whole previous epoch, so {AIRiskVault-currentFeatures}' averages are the recorded values.
    function _settle() internal {
        VM.warp((block.timestamp / EPOCH + 2) * EPOCH);
    }

    // ---- model updates ----------------------------------------------------------------------

    function _outputWord(int256 y0, int256 y1) internal pure returns (uint256) {
        int256[] memory y = new int256[](2);
        y[0] = y0;
        y[1] = y1;
        return ZkinferInstances.pack(y, BITS)[0];
    }

    /// @dev What an honest keeper submits now: the vault's own input word, then the output word.
    function _instances(uint256 outputWord) internal view returns (uint256[] memory instances) {
        instances = new uint256[](2);
        instances[0] = vault.expectedInputWord();
        instances[1] = outputWord;
    }

    function _update(int256 y0, int256 y1) internal returns (uint256 newLtv, uint256 newRate) {
        return vault.updateRiskParameters(PROOF, _instances(_outputWord(y0, y1)));
    }

    /// @dev Warps to the first second of the next epoch.
    function _nextEpoch() internal {
        VM.warp((block.timestamp / EPOCH + 1) * EPOCH);
    }

    // ---- actors -----------------------------------------------------------------------------

    function _lend(address lender, uint256 amount) internal returns (uint256 shares) {
        asset.mint(lender, amount);
        VM.startPrank(lender);
        asset.approve(address(vault), amount);
        shares = vault.deposit(amount, lender);
        VM.stopPrank();
    }

    function _post(address borrower, uint256 amount) internal {
        collateral.mint(borrower, amount);
        VM.startPrank(borrower);
        collateral.approve(address(vault), amount);
        vault.depositCollateral(amount);
        VM.stopPrank();
    }

    function _borrow(address borrower, uint256 amount) internal {
        VM.prank(borrower);
        vault.borrow(amount);
    }

    /// @dev Mints `payer` enough to pay `amount` (or the whole debt) and repays for `borrower`.
    function _repay(address payer, address borrower, uint256 amount) internal returns (uint256 repaid) {
        uint256 debt = vault.debtOf(borrower);
        uint256 needed = amount < debt ? amount : debt;
        asset.mint(payer, needed);
        VM.startPrank(payer);
        asset.approve(address(vault), needed);
        repaid = vault.repay(borrower, amount);
        VM.stopPrank();
    }

    // ---- assertions -------------------------------------------------------------------------

    function _eq(uint256 actual, uint256 expected) internal pure {
        if (actual != expected) revert Mismatch(actual, expected);
    }

    function _eq(int256 actual, int256 expected) internal pure {
        if (actual != expected) revert MismatchInt(actual, expected);
    }

    function _eq(address actual, address expected) internal pure {
        _eq(uint256(uint160(actual)), uint256(uint160(expected)));
    }

    function _eq(bytes32 actual, bytes32 expected) internal pure {
        _eq(uint256(actual), uint256(expected));
    }

    function _true(bool condition, string memory what) internal pure {
        if (!condition) revert Failed(what);
    }

    /// @dev `x` mapped into [lo, hi] (forge-std's `bound`, simplified).
    function _bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        if (x >= lo && x <= hi) return x;
        return lo + x % (hi - lo + 1);
    }

    /// @dev `x` mapped into [lo, hi] for signed values (hi - lo must fit a uint256 comfortably).
    function _boundInt(int256 x, int256 lo, int256 hi) internal pure returns (int256) {
        if (x >= lo && x <= hi) return x;
        // casting is safe: hi - lo + 1 is small and positive, the remainder is below it
        // forge-lint: disable-next-line(unsafe-typecast)
        uint256 span = uint256(hi - lo + 1);
        // forge-lint: disable-next-line(unsafe-typecast)
        uint256 r = uint256(x < 0 ? -(x + 1) : x) % span;
        // forge-lint: disable-next-line(unsafe-typecast)
        return lo + int256(r);
    }
}
