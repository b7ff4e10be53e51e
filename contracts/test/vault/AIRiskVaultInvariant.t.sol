// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ZkinferInstances} from "../../ZkinferInstances.sol";
import {AIRiskVault} from "../../vault/AIRiskVault.sol";
import {IAIRiskVault} from "../../vault/IAIRiskVault.sol";
import {MockPriceSource} from "../../vault/MockPriceSource.sol";
import {MockERC20} from "./MockERC20.sol";
import {VaultTestBase} from "./VaultTestBase.sol";
import {VM} from "../utils/Vm.sol";

/// @notice Drives the vault with bounded, mostly valid actions from three actors (lending, borrowing,
/// repaying, liquidating, price moves, time, proven parameter updates) and keeps ghost totals of every
/// token flow for the invariants.
/// @dev Foundry does not keep `block.timestamp` between invariant calls reliably, so the handler keeps
/// its own clock (`time`) and warps to it first; the invariants do the same.
contract VaultHandler {
    uint256 internal constant WAD = 1e18;
    uint256 internal constant BITS = 10;

    AIRiskVault internal immutable VAULT;
    MockERC20 internal immutable COLLATERAL;
    MockERC20 internal immutable ASSET;
    MockPriceSource internal immutable PRICES;
    address[3] internal actors = [address(0xA11CE), address(0xB0B), address(0xCA201)];

    /// @notice The handler's clock.
    uint256 public time;

    // Ghost totals of every borrow-token flow into and out of the vault.
    uint256 public deposited;
    uint256 public withdrawn;
    uint256 public borrowed;
    uint256 public repaid; // by repay() and liquidate()
    // Collateral flows.
    uint256 public collateralIn;
    uint256 public collateralOut; // withdrawn and seized

    /// @notice Borrows or collateral withdrawals that left the account above its borrowing limit.
    uint256 public ltvViolations;
    /// @notice Write-offs on a position that still had collateral, or larger than the debt left.
    uint256 public badDebtViolations;
    /// @notice Proven updates, built from the vault's own view in the same block, that reverted.
    uint256 public updateFailures;
    /// @notice ERC-4626 calls that moved other than their preview said, or that reverted within
    /// the limits `maxWithdraw` / `maxRedeem` gave (the handler's calls are otherwise in range).
    uint256 public erc4626Violations;

    // Call counters (to see the campaign did something).
    uint256 public borrows;
    uint256 public liquidations;
    uint256 public updates;

    constructor(AIRiskVault vault_, MockERC20 collateral_, MockERC20 asset_, MockPriceSource prices_) {
        VAULT = vault_;
        COLLATERAL = collateral_;
        ASSET = asset_;
        PRICES = prices_;
        time = block.timestamp;
        for (uint256 i = 0; i < 3; ++i) {
            VM.startPrank(actors[i]);
            asset_.approve(address(vault_), type(uint256).max);
            collateral_.approve(address(vault_), type(uint256).max);
            VM.stopPrank();
        }
    }

    modifier atTime() {
        VM.warp(time);
        _;
        _checkAverages();
    }

    // Ghosts of the time-weighted inputs.
    uint256 internal averageEpoch;
    int256 internal averageUtilisation;
    int256 internal averageCoverage;
    uint256 internal lastCumUtilisation;
    uint256 internal lastCumCoverage;
    /// @notice Times the averaged utilisation or coverage changed within one epoch.
    uint256 public averageChanges;
    /// @notice Times an average left [0, ONE] or an integral went down.
    uint256 public accumulatorViolations;

    /// @dev After every action: this epoch's averaged inputs are the ones first seen in it, they
    /// stay in range, and the integrals never decrease.
    function _checkAverages() internal {
        int256[4] memory f = VAULT.currentFeatures();
        uint256 e = VAULT.currentEpoch();
        if (e == averageEpoch && (f[0] != averageUtilisation || f[3] != averageCoverage)) ++averageChanges;
        (averageEpoch, averageUtilisation, averageCoverage) = (e, f[0], f[3]);
        int256 one = int256(VAULT.FEATURE_ONE());
        if (f[0] < 0 || f[0] > one || f[3] < 0 || f[3] > one) ++accumulatorViolations;
        IAIRiskVault.Accumulators memory a = VAULT.accumulators();
        if (a.cumUtilisation < lastCumUtilisation || a.cumCoverage < lastCumCoverage) ++accumulatorViolations;
        if (a.observedAt > block.timestamp) ++accumulatorViolations;
        (lastCumUtilisation, lastCumCoverage) = (a.cumUtilisation, a.cumCoverage);
    }

    /// @notice The actors, for the invariants.
    function actor(uint256 i) external view returns (address) {
        return actors[i];
    }

    // ---- actions ----------------------------------------------------------------------------

    function deposit(uint256 who, uint256 amount) external atTime {
        address a = _actor(who);
        amount = _bound(amount, 1e15, 1e24);
        ASSET.mint(a, amount);
        uint256 expected = VAULT.previewDeposit(amount);
        VM.prank(a);
        try VAULT.deposit(amount, a) returns (uint256 shares) {
            if (shares != expected) ++erc4626Violations;
            deposited += amount;
        } catch {
            ++erc4626Violations;
        }
    }

    function mint(uint256 who, uint256 shares) external atTime {
        address a = _actor(who);
        shares = _bound(shares, 1e21, 1e30);
        uint256 assets = VAULT.previewMint(shares);
        ASSET.mint(a, assets);
        VM.prank(a);
        try VAULT.mint(shares, a) returns (uint256 paid) {
            if (paid != assets) ++erc4626Violations;
            deposited += paid;
        } catch {
            ++erc4626Violations;
        }
    }

    /// @dev Withdraws up to ERC-4626's {maxWithdraw}, which the cash not lent out caps: what it
    /// allows must go through and burn what {previewWithdraw} said.
    function withdraw(uint256 who, uint256 amount) external atTime {
        address a = _actor(who);
        uint256 max = VAULT.maxWithdraw(a);
        if (max > VAULT.cash()) ++erc4626Violations;
        if (max == 0) return;
        amount = _bound(amount, 1, max);
        uint256 expected = VAULT.previewWithdraw(amount);
        VM.prank(a);
        try VAULT.withdraw(amount, a, a) returns (uint256 burnt) {
            if (burnt != expected) ++erc4626Violations;
            withdrawn += amount;
        } catch {
            ++erc4626Violations;
        }
    }

    /// @dev Redeems up to {maxRedeem}: any non-empty redemption it allows must go through and pay
    /// what {previewRedeem} said (one worth nothing is refused by design, and skipped).
    function redeem(uint256 who, uint256 shares) external atTime {
        address a = _actor(who);
        uint256 max = VAULT.maxRedeem(a);
        if (max == 0) return;
        shares = _bound(shares, 1, max);
        uint256 assets = VAULT.previewRedeem(shares);
        if (assets > VAULT.cash()) ++erc4626Violations;
        if (assets == 0) return;
        VM.prank(a);
        try VAULT.redeem(shares, a, a) returns (uint256 out) {
            if (out != assets) ++erc4626Violations;
            withdrawn += out;
        } catch {
            ++erc4626Violations;
        }
    }

    function depositCollateral(uint256 who, uint256 amount) external atTime {
        address a = _actor(who);
        amount = _bound(amount, 1e12, 1e21);
        COLLATERAL.mint(a, amount);
        VM.prank(a);
        VAULT.depositCollateral(amount);
        collateralIn += amount;
    }

    function withdrawCollateral(uint256 who, uint256 amount) external atTime {
        address a = _actor(who);
        uint256 posted = VAULT.collateralOf(a);
        if (posted == 0) return;
        amount = _bound(amount, 1, posted);
        VM.prank(a);
        try VAULT.withdrawCollateral(amount) {
            collateralOut += amount;
            _checkLimit(a);
        } catch {}
    }

    function borrow(uint256 who, uint256 amount) external atTime {
        address a = _actor(who);
        uint256 limit = VAULT.borrowLimitOf(a);
        uint256 debt = VAULT.debtOf(a);
        if (limit <= debt) return;
        uint256 room = _min(limit - debt, VAULT.cash());
        if (room == 0) return;
        // Half the time close to the limit (so price drops make positions liquidatable), sometimes a
        // little past it (those must revert).
        amount = amount % 2 == 0 ? room + 1 - _bound(amount, 0, room / 50) : _bound(amount, 1, room + 1);
        VM.prank(a);
        try VAULT.borrow(amount) {
            borrowed += amount;
            ++borrows;
            _checkLimit(a);
        } catch {}
    }

    function repay(uint256 who, uint256 whose, uint256 amount) external atTime {
        address payer = _actor(who);
        address borrower = _actor(whose);
        uint256 debt = VAULT.debtOf(borrower);
        if (debt == 0) return;
        amount = _bound(amount, 1, debt + debt / 10);
        ASSET.mint(payer, _min(amount, debt));
        VM.prank(payer);
        repaid += VAULT.repay(borrower, amount);
    }

    function liquidate(uint256 who, uint256 whose, uint256 amount) external atTime {
        address liquidator = _actor(who);
        // The first liquidatable actor from `whose` on, if any.
        address borrower;
        for (uint256 i = 0; i < 3; ++i) {
            address candidate = _actor(whose % 3 + i);
            if (VAULT.isLiquidatable(candidate)) {
                borrower = candidate;
                break;
            }
        }
        if (borrower == address(0)) return;
        uint256 debt = VAULT.debtOf(borrower);
        amount = _bound(amount, 1, debt);
        ASSET.mint(liquidator, amount);
        uint256 badDebtBefore = VAULT.totalBadDebt();
        VM.prank(liquidator);
        (uint256 r, uint256 s) = VAULT.liquidate(borrower, amount);
        repaid += r;
        collateralOut += s;
        ++liquidations;
        uint256 writtenOff = VAULT.totalBadDebt() - badDebtBefore;
        // A write-off only when the collateral is gone, and never more than the debt left (+2 wei of rounding).
        if (writtenOff != 0 && (VAULT.collateralOf(borrower) != 0 || writtenOff + r > debt + 2)) {
            ++badDebtViolations;
        }
    }

    /// @notice Moves the price by -30% to +20%, within [10, 100,000].
    function movePrice(uint256 bps) external atTime {
        uint256 last = PRICES.latestPrice();
        uint256 next = last * _bound(bps, 7000, 12_000) / 10_000;
        PRICES.pushPrice(_min(_max(next, 10e18), 100_000e18));
    }

    /// @notice Halves the price (at least 10): deep enough for bad debt.
    function crashPrice() external atTime {
        PRICES.pushPrice(_max(PRICES.latestPrice() / 2, 10e18));
    }

    function skip(uint256 seconds_) external atTime {
        time += _bound(seconds_, 1, 3 days);
    }

    /// @notice A keeper submits a (mock-)proven update for the vault's features read in this block.
    function updateRisk(int256 y0, int256 y1) external atTime {
        if (VAULT.currentEpoch() <= VAULT.lastAppliedEpoch()) return;
        int256[] memory y = new int256[](2);
        y[0] = _boundInt(y0);
        y[1] = _boundInt(y1);
        uint256[] memory instances = new uint256[](2);
        instances[0] = VAULT.expectedInputWord();
        instances[1] = ZkinferInstances.pack(y, BITS)[0];
        try VAULT.updateRiskParameters(hex"00", instances) {
            ++updates;
        } catch {
            ++updateFailures;
        }
    }

    // ---- helpers ----------------------------------------------------------------------------

    function _checkLimit(address a) internal {
        if (VAULT.debtOf(a) > VAULT.borrowLimitOf(a)) ++ltvViolations;
    }

    function _actor(uint256 seed) internal view returns (address) {
        return actors[seed % 3];
    }

    function _bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        if (x >= lo && x <= hi) return x;
        return lo + x % (hi - lo + 1);
    }

    /// @dev Any 10-bit packable output, mostly inside the sigmoid's [0, 128].
    function _boundInt(int256 x) internal pure returns (int256) {
        // casting to 'uint256' keeps the bits; the results are below 1024, so the int256 casts are safe
        // forge-lint: disable-next-line(unsafe-typecast)
        uint256 u = uint256(x);
        // forge-lint: disable-next-line(unsafe-typecast)
        return u % 8 == 0 ? int256(u % 1024) - 512 : int256(u % 129);
    }

    function _min(uint256 a, uint256 b) internal pure returns (uint256) {
        return a < b ? a : b;
    }

    function _max(uint256 a, uint256 b) internal pure returns (uint256) {
        return a > b ? a : b;
    }
}

/// @notice Invariants of the vault under the handler's random action sequences.
contract AIRiskVaultInvariantTest is VaultTestBase {
    VaultHandler internal handler;

    function setUp() public {
        _deploy();
        handler = new VaultHandler(vault, collateral, asset, prices);
        prices.transferOwnership(address(handler));
    }

    /// @notice Foundry calls only the handler (this replaces forge-std's `targetContract`).
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function _sync() internal {
        VM.warp(handler.time());
    }

    /// @notice Cash is exactly the net flow of borrow tokens, and it is all in the vault:
    /// `balance == cash == deposited - withdrawn - borrowed + repaid`.
    /// forge-config: default.invariant.runs = 64
    /// forge-config: default.invariant.depth = 40
    function invariant_cashIsTheNetTokenFlow() public {
        _sync();
        uint256 balance = asset.balanceOf(address(vault));
        _eq(vault.cash(), balance);
        _eq(balance + handler.withdrawn() + handler.borrowed(), handler.deposited() + handler.repaid());
    }

    /// @notice Outstanding debt is the net principal plus accrued interest, never less:
    /// `totalDebt() + repaid + totalBadDebt >= borrowed`, and the per-account debts add up to
    /// `totalDebt()` (each rounded up: at most one wei per account more).
    /// forge-config: default.invariant.runs = 64
    /// forge-config: default.invariant.depth = 40
    function invariant_debtCoversNetPrincipal() public {
        _sync();
        uint256 total = vault.totalDebt();
        _true(total + handler.repaid() + vault.totalBadDebt() >= handler.borrowed(), "debt below net principal");
        uint256 sum;
        uint256 scaled;
        for (uint256 i = 0; i < 3; ++i) {
            sum += vault.debtOf(handler.actor(i));
            scaled += vault.scaledDebtOf(handler.actor(i));
        }
        _eq(scaled, vault.totalScaledDebt());
        _true(sum >= total && sum <= total + 3, "sum of debts");
    }

    /// @notice Collateral is conserved: `balance == totalCollateral == sum(collateralOf) == in - out`.
    /// forge-config: default.invariant.runs = 64
    /// forge-config: default.invariant.depth = 40
    function invariant_collateralIsConserved() public {
        _sync();
        uint256 balance = collateral.balanceOf(address(vault));
        _eq(vault.totalCollateral(), balance);
        uint256 sum;
        for (uint256 i = 0; i < 3; ++i) {
            sum += vault.collateralOf(handler.actor(i));
        }
        _eq(sum, balance);
        _eq(balance + handler.collateralOut(), handler.collateralIn());
    }

    /// @notice Shares add up, all of them together never redeem for more than the assets, and every
    /// ERC-4626 call did what its preview said, within limits that never promised more than the cash.
    /// forge-config: default.invariant.runs = 64
    /// forge-config: default.invariant.depth = 40
    function invariant_sharesAreBacked() public {
        _sync();
        uint256 shares;
        uint256 claims;
        for (uint256 i = 0; i < 3; ++i) {
            uint256 s = vault.balanceOf(handler.actor(i));
            shares += s;
            claims += vault.previewRedeem(s);
        }
        _eq(shares, vault.totalSupply());
        _true(claims <= vault.totalAssets(), "claims above assets");
        _eq(handler.erc4626Violations(), 0);
    }

    /// @notice No borrow or collateral withdrawal ever left an account above collateral value times
    /// the current maxLtv; write-offs happen only on positions without collateral.
    /// forge-config: default.invariant.runs = 64
    /// forge-config: default.invariant.depth = 40
    function invariant_noAccountAboveMaxLtvAfterBorrowing() public view {
        _eq(handler.ltvViolations(), 0);
        _eq(handler.badDebtViolations(), 0);
    }

    /// @notice The model's averaged inputs never change within an epoch (whatever the actors do in
    /// it), stay in [0, ONE], and the integrals behind them only grow.
    /// forge-config: default.invariant.runs = 64
    /// forge-config: default.invariant.depth = 40
    function invariant_timeWeightedInputsHoldForTheEpoch() public {
        _sync();
        _eq(handler.averageChanges(), 0);
        _eq(handler.accumulatorViolations(), 0);
    }

    /// @notice The parameters stay within their bounds, the liquidation threshold above maxLtv, and
    /// a keeper's update built from the vault's own view in the same block is always accepted.
    /// forge-config: default.invariant.runs = 64
    /// forge-config: default.invariant.depth = 40
    function invariant_parametersStayInBounds() public {
        _sync();
        uint256 ltv = vault.maxLtv();
        uint256 rate = vault.borrowRate();
        _true(ltv >= LTV_FLOOR && ltv <= LTV_CEILING, "ltv bounds");
        _true(rate >= RATE_FLOOR && rate <= RATE_CEILING, "rate bounds");
        _true(vault.liquidationThreshold() > ltv, "threshold above ltv");
        _true(vault.lastAppliedEpoch() <= vault.currentEpoch(), "epoch");
        _eq(handler.updateFailures(), 0);
    }
}
