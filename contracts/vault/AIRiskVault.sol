// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IZkinferCircuitInfo, IZkinferVerifier} from "../IZkinferVerifier.sol";
import {ZkinferConsumer} from "../ZkinferConsumer.sol";
import {ZkinferInstances} from "../ZkinferInstances.sol";
import {IAIRiskVault} from "./IAIRiskVault.sol";
import {IPriceHistory} from "./IPriceHistory.sol";

/// @title A lending market whose risk parameters are set by a proven model
/// @notice Lenders deposit the borrow token and earn the interest borrowers pay, holding the vault's
/// ERC-4626 shares (OpenZeppelin's {ERC4626}, with a decimals offset of {SHARE_DECIMALS_OFFSET}
/// against share-price inflation); borrowers post the
/// collateral token and borrow up to {maxLtv} of its value at the annual rate {borrowRate}; anyone
/// may liquidate a position whose debt exceeds {liquidationThreshold} of its collateral value.
///
/// {maxLtv} and {borrowRate} change only through {updateRiskParameters}, once per epoch of
/// {EPOCH_LENGTH} seconds, with a zkinfer proof of the risk model. The vault computes the model's four
/// inputs itself from its own state and its price source ({currentFeatures}), packs them, and
/// requires the proof's input word to be exactly that, so a proof is only accepted for the state the
/// vault is in, in the block it is submitted. The two model outputs are mapped to parameters,
/// clamped to configured bounds and to a maximum change per update (as a risk steward would).
///
/// What the proof's instances mean comes from the verifier, not from the deployer: the constructor
/// reads the model's scale and packing width from the verifier (`IZkinferCircuitInfo.SCALE()` and
/// `PACK_BITS()`, kept as {FEATURE_SCALE} and {PACK_BITS}) and requires its instance layout
/// (`instanceBlocks()`) to be exactly what the vault decodes: the 4 features packed in instance 0, the
/// 2 outputs packed in instance 1, both public (not committed), at {PACK_BITS}.
///
/// The owner ({ZkinferConsumer}, {Ownable2Step}) can only rotate the model's verifier, behind a
/// timelock; it cannot set parameters or move funds. A proposed verifier whose circuit states
/// another scale, packing width or instance layout is rejected at once (`CircuitMismatch`).
///
/// The external surface (functions, events, errors) is declared in {IAIRiskVault}; the verifier
/// pinning and rotation in `IZkinferConsumer`.
/// @dev Amounts are in token base units; ratios and rates are 18-decimal fractions ("wad"). Debts are
/// tracked as scaled debt over a borrow index (`debt = ceil(scaled * index / 1e18)`) that grows by
/// simple interest at the current rate between accruals. Interest is accrued at the start of every
/// call that changes the book. Tokens must be plain ERC-20s (no fee on transfer, no rebasing); the vault
/// keeps its own book of cash and collateral, so tokens sent to it directly are ignored (they
/// cannot move the share price either: {totalAssets} is the book, not the balance).
///
/// Shares follow ERC-4626 exactly, with OpenZeppelin's rounding (always in the vault's favour).
/// Share transfers touch neither the book nor the model's features, so only deposit, mint,
/// withdraw and redeem accrue and observe. Withdrawals are limited by the cash not lent out:
/// {maxWithdraw} and {maxRedeem} say how much can leave now, and asking for more reverts with
/// ERC-4626's `ERC4626ExceededMaxWithdraw` or `ERC4626ExceededMaxRedeem`.
contract AIRiskVault is IAIRiskVault, ERC4626, ZkinferConsumer, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice The constructor's risk configuration. The model's scale and packing width are not part
    /// of it: the constructor reads them from the verifier.
    /// @param epochLength Seconds per epoch: at most one parameter update per epoch.
    /// @param ltvFloor The lowest {maxLtv} an update may set (wad).
    /// @param ltvCeiling The highest {maxLtv} an update may set (wad, below {MAX_LIQUIDATION_THRESHOLD}).
    /// @param rateFloor The lowest {borrowRate} an update may set (wad per year).
    /// @param rateCeiling The highest {borrowRate} an update may set (wad per year, at most {MAX_RATE}).
    /// @param maxLtvChange The most {maxLtv} may move in one update (wad, non-zero).
    /// @param maxRateChange The most {borrowRate} may move in one update (wad, non-zero).
    /// @param initialLtv {maxLtv} at deployment (within its bounds).
    /// @param initialRate {borrowRate} at deployment (within its bounds).
    struct RiskConfig {
        uint256 epochLength;
        uint256 ltvFloor;
        uint256 ltvCeiling;
        uint256 rateFloor;
        uint256 rateCeiling;
        uint256 maxLtvChange;
        uint256 maxRateChange;
        uint256 initialLtv;
        uint256 initialRate;
    }

    /// @notice The parameters and clocks, packed into one slot.
    /// @param maxLtv The current maximum loan-to-value (wad).
    /// @param borrowRate The current annual borrow rate (wad).
    /// @param lastAppliedEpoch The epoch of the last parameter update (0: none yet).
    /// @param lastAccrual The timestamp up to which interest has been accrued.
    struct Market {
        uint64 maxLtv;
        uint64 borrowRate;
        uint64 lastAppliedEpoch;
        uint64 lastAccrual;
    }

    // ------------------------------------------------------------------------------------------
    // Constants
    // ------------------------------------------------------------------------------------------

    /// @inheritdoc IAIRiskVault
    uint256 public constant WAD = 1e18;
    /// @inheritdoc IAIRiskVault
    uint256 public constant SECONDS_PER_YEAR = 365 days;
    /// @inheritdoc IAIRiskVault
    uint256 public constant INSTANCE_COUNT = 2;
    /// @inheritdoc IAIRiskVault
    uint256 public constant FEATURE_COUNT = 4;
    /// @inheritdoc IAIRiskVault
    uint256 public constant OUTPUT_COUNT = 2;
    /// @inheritdoc IAIRiskVault
    uint256 public constant PRICE_WINDOW = 8;
    /// @inheritdoc IAIRiskVault
    uint256 public constant VOLATILITY_MULTIPLIER = 10;
    /// @inheritdoc IAIRiskVault
    uint256 public constant VOLATILITY_CAP = 2;
    /// @inheritdoc IAIRiskVault
    uint256 public constant MAX_COVERAGE = 4;
    /// @inheritdoc IAIRiskVault
    uint256 public constant LTV_BASE = 0.3e18;
    /// @inheritdoc IAIRiskVault
    uint256 public constant LTV_SPAN = 0.6e18;
    /// @inheritdoc IAIRiskVault
    uint256 public constant RATE_SPAN = 0.5e18;
    /// @inheritdoc IAIRiskVault
    uint256 public constant LIQUIDATION_BUFFER = 0.05e18;
    /// @inheritdoc IAIRiskVault
    uint256 public constant MAX_LIQUIDATION_THRESHOLD = 0.95e18;
    /// @inheritdoc IAIRiskVault
    uint256 public constant LIQUIDATION_BONUS = 0.05e18;
    /// @inheritdoc IAIRiskVault
    uint256 public constant MAX_RATE = 1e18;
    /// @inheritdoc IAIRiskVault
    uint256 public constant MAX_FEATURE_SCALE = 32;
    /// @inheritdoc IAIRiskVault
    uint256 public constant MAX_PACK_BITS = 63;
    /// @inheritdoc IAIRiskVault
    uint8 public constant SHARE_DECIMALS_OFFSET = 6;

    // ------------------------------------------------------------------------------------------
    // Immutables
    // ------------------------------------------------------------------------------------------

    /// @dev The collateral token ({COLLATERAL_TOKEN}).
    IERC20 private immutable _COLLATERAL_TOKEN;
    /// @dev The borrow token ({BORROW_TOKEN}).
    IERC20 private immutable _BORROW_TOKEN;
    /// @dev The price source ({PRICE_SOURCE}).
    IPriceHistory private immutable _PRICE_SOURCE;
    /// @inheritdoc IAIRiskVault
    uint256 public immutable EPOCH_LENGTH;
    /// @inheritdoc IAIRiskVault
    uint256 public immutable FEATURE_SCALE;
    /// @inheritdoc IAIRiskVault
    uint256 public immutable PACK_BITS;
    /// @inheritdoc IAIRiskVault
    uint256 public immutable FEATURE_ONE;
    /// @inheritdoc IAIRiskVault
    uint256 public immutable LTV_FLOOR;
    /// @inheritdoc IAIRiskVault
    uint256 public immutable LTV_CEILING;
    /// @inheritdoc IAIRiskVault
    uint256 public immutable RATE_FLOOR;
    /// @inheritdoc IAIRiskVault
    uint256 public immutable RATE_CEILING;
    /// @inheritdoc IAIRiskVault
    uint256 public immutable MAX_LTV_CHANGE;
    /// @inheritdoc IAIRiskVault
    uint256 public immutable MAX_RATE_CHANGE;

    // ------------------------------------------------------------------------------------------
    // State
    // ------------------------------------------------------------------------------------------

    /// @dev Parameters and clocks.
    Market private _market;
    /// @dev The time-weighted state features ({accumulators}).
    Accumulators private _acc;
    /// @inheritdoc IAIRiskVault
    uint256 public borrowIndex;
    /// @inheritdoc IAIRiskVault
    uint256 public cash;
    /// @inheritdoc IAIRiskVault
    uint256 public totalScaledDebt;
    /// @inheritdoc IAIRiskVault
    uint256 public totalCollateral;
    /// @inheritdoc IAIRiskVault
    uint256 public totalBadDebt;
    /// @inheritdoc IAIRiskVault
    mapping(address borrower => uint256) public collateralOf;
    /// @inheritdoc IAIRiskVault
    mapping(address borrower => uint256) public scaledDebtOf;

    // ------------------------------------------------------------------------------------------
    // Constructor
    // ------------------------------------------------------------------------------------------

    /// @notice Deploys the market and pins the risk model's verifier, whose circuit sets
    /// {FEATURE_SCALE} (`SCALE()`) and {PACK_BITS} (`PACK_BITS()`).
    /// @dev Reverts with {InvalidRiskConfig} if an argument is out of range, with the
    /// {ZkinferConsumer} constructor's errors if the verifier does not check out (code, codehash, 2
    /// instances), with `MissingCircuitInfo` if it does not state its circuit, with
    /// {UnsupportedCircuit} if its scale or packing width is unusable, and with `CircuitMismatch` if
    /// its instance layout is not the vault's (see {_checkVerifier}).
    /// @param collateralToken The collateral token.
    /// @param borrowToken The borrow token (different from the collateral token).
    /// @param priceSource The collateral price source with history.
    /// @param config The risk configuration (see {RiskConfig}).
    /// @param verifier_ The zkinfer-generated verifier of the risk model (implements `IZkinferCircuitInfo`).
    /// @param verifierCodehash The keccak256 of the verifier's runtime code.
    /// @param rotationDelay_ The timelock of verifier rotations, in seconds.
    /// @param initialOwner The owner (may rotate the verifier, nothing else).
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
        ERC20("zkinfer AI risk vault share", "zkAIRV")
        ERC4626(borrowToken)
        ZkinferConsumer(verifier_, verifierCodehash, INSTANCE_COUNT, rotationDelay_, initialOwner)
    {
        if (address(collateralToken) == address(0)) {
            revert InvalidRiskConfig("collateralToken");
        }
        if (address(borrowToken) == address(0) || borrowToken == collateralToken) {
            revert InvalidRiskConfig("borrowToken");
        }
        if (address(priceSource) == address(0)) revert InvalidRiskConfig("priceSource");
        _validate(config);
        _COLLATERAL_TOKEN = collateralToken;
        _BORROW_TOKEN = borrowToken;
        _PRICE_SOURCE = priceSource;
        EPOCH_LENGTH = config.epochLength;
        // The ZkinferConsumer constructor ran {_checkVerifier}: both are usable and the layout is ours.
        (uint256 scale, uint256 packBits) = _circuitInfo(verifier_);
        FEATURE_SCALE = scale;
        PACK_BITS = packBits;
        FEATURE_ONE = 2 ** scale;
        LTV_FLOOR = config.ltvFloor;
        LTV_CEILING = config.ltvCeiling;
        RATE_FLOOR = config.rateFloor;
        RATE_CEILING = config.rateCeiling;
        MAX_LTV_CHANGE = config.maxLtvChange;
        MAX_RATE_CHANGE = config.maxRateChange;
        _market = Market({
            maxLtv: SafeCast.toUint64(config.initialLtv),
            borrowRate: SafeCast.toUint64(config.initialRate),
            lastAppliedEpoch: 0,
            lastAccrual: SafeCast.toUint64(block.timestamp)
        });
        borrowIndex = WAD;
        // The empty market (utilisation 0, coverage ONE) counts as held for two epochs before
        // deployment, so the first epochs' averages are defined (see {_timeWeighted}).
        if (block.timestamp < 2 * config.epochLength) revert InvalidRiskConfig("epochLength");
        _acc.observedAt = SafeCast.toUint64(block.timestamp - 2 * config.epochLength);
        _acc.checkpointEpoch = SafeCast.toUint64(_acc.observedAt / config.epochLength);
        _acc.coverage = SafeCast.toUint64(FEATURE_ONE);
    }

    /// @dev Observes the state features around every state change: closes the interval since the
    /// last observation with the values it had, lets the change happen, then records the values
    /// it left.
    modifier observed() {
        _observe();
        _;
        _record();
    }

    // ------------------------------------------------------------------------------------------
    // Lenders
    // ------------------------------------------------------------------------------------------

    /// @notice ERC-4626 deposit; interest is accrued and the state features observed around it.
    /// @dev Reverts with {ZeroAmount} for no assets and {ZeroShares} if they buy no share.
    function deposit(uint256 assets, address receiver) public override nonReentrant observed returns (uint256) {
        _accrue();
        return super.deposit(assets, receiver);
    }

    /// @notice ERC-4626 mint; interest is accrued and the state features observed around it.
    /// @dev Reverts with {ZeroAmount} for no shares.
    function mint(uint256 shares, address receiver) public override nonReentrant observed returns (uint256) {
        _accrue();
        return super.mint(shares, receiver);
    }

    /// @notice ERC-4626 withdraw, up to {maxWithdraw} (the cash not lent out caps it).
    /// @dev Reverts with {ZeroAmount} for no assets.
    function withdraw(uint256 assets, address receiver, address shareOwner)
        public
        override
        nonReentrant
        observed
        returns (uint256)
    {
        _accrue();
        return super.withdraw(assets, receiver, shareOwner);
    }

    /// @notice ERC-4626 redeem, up to {maxRedeem} (the cash not lent out caps it).
    /// @dev Reverts with {ZeroAmount} if the shares are worth nothing.
    function redeem(uint256 shares, address receiver, address shareOwner)
        public
        override
        nonReentrant
        observed
        returns (uint256)
    {
        _accrue();
        return super.redeem(shares, receiver, shareOwner);
    }

    /// @notice What `shareOwner` can withdraw now: its shares' worth, at most the cash not lent out.
    /// @dev ERC-4626's default (the worth of {maxRedeem}) gives the same or less, reading the book
    /// three times; withdrawing this much burns at most the owner's shares and pays out at most
    /// the cash, so it is always accepted.
    function maxWithdraw(address shareOwner) public view override returns (uint256) {
        uint256 claim = _convertToAssets(balanceOf(shareOwner), Math.Rounding.Floor);
        uint256 available = cash;
        return claim < available ? claim : available;
    }

    /// @notice What `shareOwner` can redeem now: its shares, at most those the cash not lent out pays.
    /// @dev The most shares `s` with `floor(s * (assets + 1) / (supply + 10^offset)) <= cash` is
    /// `ceil((cash + 1) * (supply + 10^offset) / (assets + 1)) - 1` (at least 0). Shares that
    /// would pay nothing count as none, since {redeem} refuses them ({ZeroAmount}).
    function maxRedeem(address shareOwner) public view override returns (uint256) {
        uint256 owned = super.maxRedeem(shareOwner);
        uint256 payableShares = _convertToShares(cash + 1, Math.Rounding.Ceil) - 1;
        uint256 shares = owned < payableShares ? owned : payableShares;
        return _convertToAssets(shares, Math.Rounding.Floor) == 0 ? 0 : shares;
    }

    /// @inheritdoc IAIRiskVault
    function totalAssets() public view override(IAIRiskVault, ERC4626) returns (uint256) {
        return cash + totalDebt();
    }

    /// @dev Books the deposit as cash once ERC-4626 has pulled the tokens and minted, so the book
    /// and the supply move together (the share price never reads high in between).
    function _deposit(address caller, address receiver, uint256 assets, uint256 shares) internal override {
        if (assets == 0) revert ZeroAmount();
        if (shares == 0) revert ZeroShares();
        super._deposit(caller, receiver, assets, shares);
        cash += assets;
    }

    /// @dev Takes the withdrawal out of cash before ERC-4626 burns and pays ({maxWithdraw} and
    /// {maxRedeem} already capped it at the cash).
    function _withdraw(address caller, address receiver, address shareOwner, uint256 assets, uint256 shares)
        internal
        override
    {
        if (assets == 0) revert ZeroAmount();
        cash -= assets;
        super._withdraw(caller, receiver, shareOwner, assets, shares);
    }

    /// @dev Shares carry {SHARE_DECIMALS_OFFSET} more decimals than the asset: the virtual shares
    /// make a share-price inflation cost the attacker 10^offset times what it takes from a victim.
    function _decimalsOffset() internal pure override returns (uint8) {
        return SHARE_DECIMALS_OFFSET;
    }

    // ------------------------------------------------------------------------------------------
    // Borrowers
    // ------------------------------------------------------------------------------------------

    /// @inheritdoc IAIRiskVault
    /// @dev Needs an allowance of `amount`. Reverts with {ZeroAmount}. Emits {CollateralDeposited}.
    function depositCollateral(uint256 amount) external nonReentrant observed {
        if (amount == 0) revert ZeroAmount();
        _accrue();
        collateralOf[msg.sender] += amount;
        totalCollateral += amount;
        emit CollateralDeposited(msg.sender, amount);
        _COLLATERAL_TOKEN.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IAIRiskVault
    /// @dev Reverts with {ZeroAmount}, {InsufficientCollateral} or {ExceedsMaxLtv}. Emits
    /// {CollateralWithdrawn}.
    function withdrawCollateral(uint256 amount) external nonReentrant observed {
        if (amount == 0) revert ZeroAmount();
        _accrue();
        uint256 collateral = collateralOf[msg.sender];
        if (amount > collateral) revert InsufficientCollateral(collateral, amount);
        uint256 remaining = collateral - amount;
        uint256 scaled = scaledDebtOf[msg.sender];
        if (scaled != 0) {
            uint256 debt = _debt(scaled, borrowIndex);
            uint256 limit = _limit(remaining, _price(), _market.maxLtv);
            if (debt > limit) revert ExceedsMaxLtv(debt, limit);
        }
        collateralOf[msg.sender] = remaining;
        totalCollateral -= amount;
        emit CollateralWithdrawn(msg.sender, amount);
        _COLLATERAL_TOKEN.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IAIRiskVault
    /// @dev The new debt (`ceil(scaled * index / 1e18)`, the scaled debt rounded up) must not exceed
    /// `floor(floor(collateral * price / 1e18) * maxLtv / 1e18)`. Reverts with {ZeroAmount},
    /// {InsufficientLiquidity} or {ExceedsMaxLtv}. Emits {Borrowed}.
    function borrow(uint256 amount) external nonReentrant observed {
        if (amount == 0) revert ZeroAmount();
        _accrue();
        uint256 available = cash;
        if (amount > available) revert InsufficientLiquidity(available, amount);
        uint256 index = borrowIndex;
        // Scaled debt rounds up on borrowing: the debt recorded is never below the amount lent.
        uint256 added = Math.mulDiv(amount, WAD, index, Math.Rounding.Ceil);
        uint256 scaled = scaledDebtOf[msg.sender] + added;
        uint256 debt = _debt(scaled, index);
        uint256 limit = _limit(collateralOf[msg.sender], _price(), _market.maxLtv);
        if (debt > limit) revert ExceedsMaxLtv(debt, limit);
        scaledDebtOf[msg.sender] = scaled;
        totalScaledDebt += added;
        cash = available - amount;
        emit Borrowed(msg.sender, amount, debt);
        _BORROW_TOKEN.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IAIRiskVault
    /// @dev Needs an allowance of the amount repaid. `amount` at or above the debt repays it all
    /// (pass `type(uint256).max`); a partial repayment reduces the scaled debt by
    /// `floor(amount * 1e18 / index)`. Reverts with {ZeroAmount} or {NoDebt}. Emits {Repaid}.
    function repay(address borrower, uint256 amount) external nonReentrant observed returns (uint256 repaid) {
        if (amount == 0) revert ZeroAmount();
        _accrue();
        uint256 index = borrowIndex;
        uint256 scaled = scaledDebtOf[borrower];
        uint256 debt = _debt(scaled, index);
        if (debt == 0) revert NoDebt(borrower);
        uint256 scaledRepaid;
        (repaid, scaledRepaid) = _repayment(amount, debt, scaled, index);
        uint256 remaining = scaled - scaledRepaid;
        scaledDebtOf[borrower] = remaining;
        totalScaledDebt -= scaledRepaid;
        cash += repaid;
        emit Repaid(msg.sender, borrower, repaid, _debt(remaining, index));
        _BORROW_TOKEN.safeTransferFrom(msg.sender, address(this), repaid);
    }

    /// @inheritdoc IAIRiskVault
    /// @dev A position is unhealthy when `debt > floor(floor(collateral * price / 1e18) *
    /// liquidationThreshold / 1e18)`. The caller repays `r = min(repayAmount, debt)` and receives
    /// `floor(r * (1e18 + bonus) / price)` collateral; if that is more than the position holds, it
    /// receives all of it and repays only `ceil(collateral * price / (1e18 + bonus))`. Debt left on a
    /// position without collateral is written off ({BadDebtWrittenOff}): the lenders bear it. Needs
    /// an allowance of the amount repaid. Reverts with {ZeroAmount}, {NoDebt} or {PositionHealthy}.
    /// Emits {Liquidated}.
    function liquidate(address borrower, uint256 repayAmount)
        external
        nonReentrant
        observed
        returns (uint256 repaid, uint256 seized)
    {
        if (repayAmount == 0) revert ZeroAmount();
        _accrue();
        uint256 writtenOff;
        (repaid, seized, writtenOff) = _liquidate(borrower, repayAmount);
        emit Liquidated(msg.sender, borrower, repaid, seized);
        if (writtenOff != 0) emit BadDebtWrittenOff(borrower, writtenOff);
        if (repaid != 0) _BORROW_TOKEN.safeTransferFrom(msg.sender, address(this), repaid);
        if (seized != 0) _COLLATERAL_TOKEN.safeTransfer(msg.sender, seized);
    }

    /// @inheritdoc IAIRiskVault
    /// @dev Every state-changing function does this first; this entry point only makes it
    /// observable. Emits {InterestAccrued} if time has passed since the last accrual.
    function accrueInterest() external nonReentrant observed {
        _accrue();
    }

    // ------------------------------------------------------------------------------------------
    // Risk parameters
    // ------------------------------------------------------------------------------------------

    /// @inheritdoc IAIRiskVault
    /// @dev Permissionless; at most once per epoch (`block.timestamp / EPOCH_LENGTH`). Steps:
    /// reverts with {EpochAlreadyApplied} unless `lastAppliedEpoch < epoch`; accrues interest at the
    /// old rate; requires exactly {INSTANCE_COUNT} instances ({ZkinferConsumer.InstanceCountMismatch});
    /// requires `instances[0]` to equal {expectedInputWord} ({InputMismatch}); verifies the proof
    /// ({ZkinferConsumer.VerificationFailed} wraps the verifier's error); decodes the two outputs from
    /// `instances[1]` ({ZkinferInstances.InvalidPackedWord} if it is not a packing of two values) and
    /// maps them as {previewRiskUpdate} describes. Emits {RiskParametersUpdated}.
    function updateRiskParameters(bytes calldata proof, uint256[] calldata instances)
        external
        nonReentrant
        returns (uint256 newLtv, uint256 newRate)
    {
        uint256 epoch = currentEpoch();
        uint256 lastEpoch = _market.lastAppliedEpoch;
        if (epoch <= lastEpoch) revert EpochAlreadyApplied(epoch, lastEpoch);
        _accrue();
        if (instances.length != INSTANCE_COUNT) revert InstanceCountMismatch(INSTANCE_COUNT, instances.length);
        uint256 expected = _inputWord();
        if (instances[0] != expected) revert InputMismatch(expected, instances[0]);
        _verifyProof(proof, instances);
        int256[] memory y = ZkinferInstances.unpackAllCalldata(instances, 1, OUTPUT_COUNT, PACK_BITS);

        Market memory m = _market;
        (newLtv, newRate) = _mapOutputs(y[0], y[1], m.maxLtv, m.borrowRate);
        // newLtv <= LTV_CEILING < 0.95e18 and newRate <= RATE_CEILING <= 1e18 fit 64 bits, and so
        // does the epoch (block.timestamp / EPOCH_LENGTH).
        _market = Market({
            maxLtv: SafeCast.toUint64(newLtv),
            borrowRate: SafeCast.toUint64(newRate),
            lastAppliedEpoch: SafeCast.toUint64(epoch),
            lastAccrual: m.lastAccrual
        });
        emit RiskParametersUpdated(epoch, m.maxLtv, newLtv, m.borrowRate, newRate);
    }

    /// @inheritdoc IAIRiskVault
    /// @dev Signed fixed-point integers with {FEATURE_SCALE} fractional bits (`ONE = 2^FEATURE_SCALE`),
    /// every division rounded down; debt is {totalDebt} with interest accrued to this block. See
    /// examples/defi-vault/CONTRACTS.md for the exact formulas:
    /// [0] utilisation `floor(D * ONE / (cash + D))` (0 if `cash + D == 0`);
    /// [1] volatility: over the last {PRICE_WINDOW} prices `p`, `min(floor(sum_k floor(|p_k - p_{k-1}|
    /// * 1e18 / p_{k-1}) * 10 * ONE / ((n - 1) * 1e18)), 2 * ONE)` (0 if fewer than 2 prices);
    /// [2] drawdown `floor((max(p) - p_last) * ONE / max(p))` (0 if no price);
    /// [3] coverage `ONE` if `D == 0` or `V >= 4 * D`, else `floor(V * ONE / (4 * D))`, with
    /// `V = floor(totalCollateral * p_last / 1e18)`.
    function currentFeatures() public view returns (int256[4] memory features) {
        (uint256 utilisation, uint256 coverage) = _timeWeighted();
        (, features[1], features[2],) = _instantFeatures();
        features[0] = _int(utilisation);
        features[3] = _int(coverage);
    }

    /// @inheritdoc IAIRiskVault
    function instantFeatures() external view returns (int256[4] memory features) {
        (features[0], features[1], features[2], features[3]) = _instantFeatures();
    }

    /// @inheritdoc IAIRiskVault
    function accumulators() external view returns (Accumulators memory) {
        return _acc;
    }

    /// @dev The four features of the state right now (utilisation and coverage as they would be
    /// recorded, volatility and drawdown as the model reads them).
    function _instantFeatures() private view returns (int256, int256, int256, int256) {
        (uint256[] memory prices,) = _PRICE_SOURCE.observations();
        uint256 n = prices.length;
        uint256 start = n > PRICE_WINDOW ? n - PRICE_WINDOW : 0;
        uint256 one = FEATURE_ONE;
        uint256 debt = totalDebt();
        uint256 last;
        uint256 peak;
        uint256 relativeMoves;
        for (uint256 i = start; i < n; ++i) {
            uint256 p = prices[i];
            if (p == 0) revert InvalidPrice(0);
            if (p > peak) peak = p;
            if (i > start) relativeMoves += Math.mulDiv(p > last ? p - last : last - p, WAD, last);
            last = p;
        }
        uint256 count = n - start;
        uint256 volatility;
        if (count >= 2) {
            volatility = Math.mulDiv(relativeMoves, VOLATILITY_MULTIPLIER * one, (count - 1) * WAD);
            if (volatility > VOLATILITY_CAP * one) volatility = VOLATILITY_CAP * one;
        }
        return (
            _int(_utilisation(debt, one)),
            _int(volatility),
            _int(count == 0 ? 0 : Math.mulDiv(peak - last, one, peak)),
            _int(_coverage(Math.mulDiv(totalCollateral, last, WAD), debt, one))
        );
    }

    /// @dev The average utilisation and coverage over the previous epoch, `[S - E, S)` with `S` the
    /// start of the current epoch: `floor((cum(S) - cum(S - E)) / E)`. Fixed for the whole current
    /// epoch, since every observation in it only adds time after `S`.
    function _timeWeighted() private view returns (uint256 utilisation, uint256 coverage) {
        (uint256 sU, uint256 sC, uint256 pU, uint256 pC) = _epochStarts(_acc, currentEpoch());
        return ((sU - pU) / EPOCH_LENGTH, (sC - pC) / EPOCH_LENGTH);
    }

    /// @dev The integrals at the start of epoch `e` (`sU`, `sC`) and of epoch `e - 1` (`pU`, `pC`):
    /// the checkpoints if `e` has been observed, else extended from the last observation (which
    /// is then before `e`, and before `e - 1` unless that epoch holds the checkpoint).
    function _epochStarts(Accumulators memory a, uint256 e)
        private
        view
        returns (uint256 sU, uint256 sC, uint256 pU, uint256 pC)
    {
        if (a.checkpointEpoch == e) {
            return (a.startUtilisation, a.startCoverage, a.prevStartUtilisation, a.prevStartCoverage);
        }
        uint256 start = e * EPOCH_LENGTH;
        (sU, sC) = _extend(a, start);
        if (a.checkpointEpoch + 1 == e) (pU, pC) = (a.startUtilisation, a.startCoverage);
        else (pU, pC) = _extend(a, start - EPOCH_LENGTH);
    }

    /// @dev The integrals of `a` extended to `t` (not before `a.observedAt`) at the recorded values.
    function _extend(Accumulators memory a, uint256 t) private pure returns (uint256 u, uint256 c) {
        uint256 dt = t - a.observedAt;
        return (a.cumUtilisation + a.utilisation * dt, a.cumCoverage + a.coverage * dt);
    }

    /// @dev Closes the interval since the last observation: checkpoints the integrals at the start of
    /// this epoch (and of the previous one) when this is the epoch's first observation, then extends
    /// them to now.
    function _observe() private {
        Accumulators memory a = _acc;
        uint256 now_ = block.timestamp;
        uint256 e = currentEpoch();
        if (a.checkpointEpoch != e) {
            (uint256 sU, uint256 sC, uint256 pU, uint256 pC) = _epochStarts(a, e);
            a.prevStartUtilisation = SafeCast.toUint128(pU);
            a.prevStartCoverage = SafeCast.toUint128(pC);
            a.startUtilisation = SafeCast.toUint128(sU);
            a.startCoverage = SafeCast.toUint128(sC);
            a.checkpointEpoch = SafeCast.toUint64(e);
        }
        (uint256 u, uint256 c) = _extend(a, now_);
        a.cumUtilisation = SafeCast.toUint128(u);
        a.cumCoverage = SafeCast.toUint128(c);
        a.observedAt = SafeCast.toUint64(now_);
        _acc = a;
    }

    /// @dev Records the utilisation and coverage the change left, to hold until the next
    /// observation. Coverage needs the price: if the price source fails (a stale feed), the
    /// previous coverage stays, so lenders and borrowers are never locked out by the oracle.
    function _record() private {
        uint256 one = FEATURE_ONE;
        uint256 debt = totalDebt();
        _acc.utilisation = SafeCast.toUint64(_utilisation(debt, one));
        if (debt == 0) {
            _acc.coverage = SafeCast.toUint64(one);
            return;
        }
        try _PRICE_SOURCE.latestPrice() returns (uint256 price) {
            _acc.coverage = SafeCast.toUint64(_coverage(Math.mulDiv(totalCollateral, price, WAD), debt, one));
        } catch {}
    }

    /// @inheritdoc IAIRiskVault
    function expectedInputWord() external view returns (uint256) {
        return _inputWord();
    }

    /// @inheritdoc IAIRiskVault
    /// @dev Decodes `y0, y1` (at {FEATURE_SCALE} bits) from the word, clamps each to `[0, ONE]`, then
    /// `ltv = 0.30e18 + floor(0.60e18 * y0 / ONE)`, `rate = floor(0.50e18 * y1 / ONE)`, each clamped
    /// to its bounds and then to at most {MAX_LTV_CHANGE} / {MAX_RATE_CHANGE} from the current value.
    function previewRiskUpdate(uint256 outputWord) external view returns (uint256 newLtv, uint256 newRate) {
        uint256[] memory words = new uint256[](INSTANCE_COUNT);
        words[1] = outputWord;
        int256[] memory y = ZkinferInstances.unpackAll(words, 1, OUTPUT_COUNT, PACK_BITS);
        Market memory m = _market;
        return _mapOutputs(y[0], y[1], m.maxLtv, m.borrowRate);
    }

    // ------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------

    /// @inheritdoc IAIRiskVault
    // forge-lint: disable-next-line(mixed-case-function)
    function COLLATERAL_TOKEN() external view returns (address) {
        return address(_COLLATERAL_TOKEN);
    }

    /// @inheritdoc IAIRiskVault
    // forge-lint: disable-next-line(mixed-case-function)
    function BORROW_TOKEN() external view returns (address) {
        return address(_BORROW_TOKEN);
    }

    /// @inheritdoc IAIRiskVault
    // forge-lint: disable-next-line(mixed-case-function)
    function PRICE_SOURCE() external view returns (address) {
        return address(_PRICE_SOURCE);
    }

    /// @inheritdoc IAIRiskVault
    function verifier() public view override(IAIRiskVault, ZkinferConsumer) returns (address) {
        return super.verifier();
    }

    /// @inheritdoc IAIRiskVault
    function expectedInstanceCount() public view override(IAIRiskVault, ZkinferConsumer) returns (uint256) {
        return super.expectedInstanceCount();
    }

    /// @inheritdoc IAIRiskVault
    function maxLtv() public view returns (uint256) {
        return _market.maxLtv;
    }

    /// @inheritdoc IAIRiskVault
    function borrowRate() public view returns (uint256) {
        return _market.borrowRate;
    }

    /// @inheritdoc IAIRiskVault
    function lastAppliedEpoch() external view returns (uint256) {
        return _market.lastAppliedEpoch;
    }

    /// @inheritdoc IAIRiskVault
    function lastAccrual() external view returns (uint256) {
        return _market.lastAccrual;
    }

    /// @inheritdoc IAIRiskVault
    function currentEpoch() public view returns (uint256) {
        return block.timestamp / EPOCH_LENGTH;
    }

    /// @inheritdoc IAIRiskVault
    function liquidationThreshold() public view returns (uint256) {
        uint256 t = uint256(_market.maxLtv) + LIQUIDATION_BUFFER;
        return t < MAX_LIQUIDATION_THRESHOLD ? t : MAX_LIQUIDATION_THRESHOLD;
    }

    /// @inheritdoc IAIRiskVault
    function currentBorrowIndex() public view returns (uint256) {
        Market memory m = _market;
        uint256 index = borrowIndex;
        uint256 elapsed = block.timestamp - m.lastAccrual;
        if (elapsed == 0) return index;
        return index + Math.mulDiv(index, uint256(m.borrowRate) * elapsed, WAD * SECONDS_PER_YEAR);
    }

    /// @inheritdoc IAIRiskVault
    function totalDebt() public view returns (uint256) {
        return _debt(totalScaledDebt, currentBorrowIndex());
    }

    /// @inheritdoc IAIRiskVault
    function debtOf(address borrower) public view returns (uint256) {
        return _debt(scaledDebtOf[borrower], currentBorrowIndex());
    }

    /// @inheritdoc IAIRiskVault
    function collateralValueOf(address borrower) public view returns (uint256) {
        return Math.mulDiv(collateralOf[borrower], _price(), WAD);
    }

    /// @inheritdoc IAIRiskVault
    function borrowLimitOf(address borrower) external view returns (uint256) {
        return _limit(collateralOf[borrower], _price(), _market.maxLtv);
    }

    /// @inheritdoc IAIRiskVault
    function isLiquidatable(address borrower) external view returns (bool) {
        uint256 debt = debtOf(borrower);
        return debt != 0 && debt > _limit(collateralOf[borrower], _price(), liquidationThreshold());
    }

    // ------------------------------------------------------------------------------------------
    // Circuit
    // ------------------------------------------------------------------------------------------

    /// @notice Accepts only a verifier whose circuit the vault decodes.
    /// @dev {ZkinferConsumer} hook, run at construction and at every proposal. Reads the candidate's
    /// `SCALE()` and `PACK_BITS()` (`MissingCircuitInfo` if it does not state them). At construction
    /// (`current` zero) they must be usable ({UnsupportedCircuit}); at a proposal they must equal the
    /// pinned {FEATURE_SCALE} and {PACK_BITS} (`CircuitMismatch` naming `"SCALE"` or `"PACK_BITS"`).
    /// Then `instanceBlocks()` must be exactly the vault's layout (`CircuitMismatch` naming the first
    /// field that differs): the 4 inputs packed in one public word at instance 0, the 2 outputs packed
    /// in one public word at instance 1, both at the packing width, and nothing else.
    /// @param candidate The verifier to pin or to propose.
    /// @param current The pinned verifier; zero at construction.
    function _checkVerifier(IZkinferVerifier candidate, IZkinferVerifier current) internal view override {
        (uint256 scale, uint256 packBits) = _circuitInfo(candidate);
        if (address(current) == address(0)) {
            // The largest feature, the volatility cap 2 * 2^scale, must pack: below 2^(packBits - 1).
            if (scale == 0 || scale > MAX_FEATURE_SCALE || packBits < scale + 3 || packBits > MAX_PACK_BITS) {
                revert UnsupportedCircuit(scale, packBits);
            }
        } else {
            _requireCircuitFact(candidate, "SCALE", FEATURE_SCALE, scale);
            _requireCircuitFact(candidate, "PACK_BITS", PACK_BITS, packBits);
        }
        _requireInstanceBlocks(candidate, _instanceLayout(packBits));
    }

    /// @dev The instance layout the vault decodes at packing width `packBits` (at most {MAX_PACK_BITS}).
    function _instanceLayout(uint256 packBits)
        private
        pure
        returns (IZkinferCircuitInfo.InstanceBlock[] memory blocks)
    {
        blocks = new IZkinferCircuitInfo.InstanceBlock[](2);
        blocks[0] = _instanceBlock(IZkinferCircuitInfo.Side.Input, false, 0, 1, FEATURE_COUNT, packBits);
        blocks[1] = _instanceBlock(IZkinferCircuitInfo.Side.Output, false, 1, 1, OUTPUT_COUNT, packBits);
    }

    // ------------------------------------------------------------------------------------------
    // Internals
    // ------------------------------------------------------------------------------------------

    /// @dev Checks the constructor's risk configuration.
    function _validate(RiskConfig memory c) private pure {
        if (c.epochLength == 0) revert InvalidRiskConfig("epochLength");
        if (c.ltvFloor > c.ltvCeiling || c.ltvCeiling >= MAX_LIQUIDATION_THRESHOLD) {
            revert InvalidRiskConfig("ltvBounds");
        }
        if (c.rateFloor > c.rateCeiling || c.rateCeiling > MAX_RATE) revert InvalidRiskConfig("rateBounds");
        if (c.maxLtvChange == 0) revert InvalidRiskConfig("maxLtvChange");
        if (c.maxRateChange == 0) revert InvalidRiskConfig("maxRateChange");
        if (c.initialLtv < c.ltvFloor || c.initialLtv > c.ltvCeiling) revert InvalidRiskConfig("initialLtv");
        if (c.initialRate < c.rateFloor || c.initialRate > c.rateCeiling) revert InvalidRiskConfig("initialRate");
    }

    /// @dev Brings {borrowIndex} up to the current block.
    function _accrue() private {
        uint256 last = _market.lastAccrual;
        // An equality test only skips a no-op; no timestamp leeway is exploited.
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp == last) return;
        uint256 index = currentBorrowIndex();
        borrowIndex = index;
        _market.lastAccrual = SafeCast.toUint64(block.timestamp);
        emit InterestAccrued(index, block.timestamp);
    }

    /// @dev The effects of {liquidate} (interest already accrued): checks the position, books the
    /// repayment, the seizure and any write-off; returns the amounts to transfer.
    function _liquidate(address borrower, uint256 repayAmount)
        private
        returns (uint256 repaid, uint256 seized, uint256 writtenOff)
    {
        uint256 index = borrowIndex;
        uint256 scaled = scaledDebtOf[borrower];
        uint256 debt = _debt(scaled, index);
        if (debt == 0) revert NoDebt(borrower);
        uint256 collateral = collateralOf[borrower];
        (repaid, seized) = _liquidationAmounts(debt, collateral, repayAmount);
        (, uint256 scaledRepaid) = _repayment(repaid, debt, scaled, index);
        uint256 scaledLeft = scaled - scaledRepaid;
        if (seized == collateral && scaledLeft != 0) {
            // No collateral left to back the rest: write it off.
            writtenOff = _debt(scaledLeft, index);
            scaledLeft = 0;
            totalBadDebt += writtenOff;
        }
        scaledDebtOf[borrower] = scaledLeft;
        totalScaledDebt -= scaled - scaledLeft;
        collateralOf[borrower] = collateral - seized;
        totalCollateral -= seized;
        cash += repaid;
    }

    /// @dev Checks that a position owing `debt` against `collateral` is unhealthy and returns what a
    /// liquidation offering `repayAmount` repays and seizes (see {liquidate}).
    function _liquidationAmounts(uint256 debt, uint256 collateral, uint256 repayAmount)
        private
        view
        returns (uint256 repaid, uint256 seized)
    {
        uint256 price = _price();
        uint256 liquidationLimit = _limit(collateral, price, liquidationThreshold());
        if (debt <= liquidationLimit) revert PositionHealthy(debt, liquidationLimit);
        repaid = repayAmount < debt ? repayAmount : debt;
        seized = Math.mulDiv(repaid, WAD + LIQUIDATION_BONUS, price);
        if (seized > collateral) {
            seized = collateral;
            // Not more than before (so at most the debt): `floor(r * (1e18 + bonus) / price) >=
            // collateral + 1` means `r > collateral * price / (1e18 + bonus)`, so `r >= ceil(...)`.
            repaid = Math.mulDiv(collateral, price, WAD + LIQUIDATION_BONUS, Math.Rounding.Ceil);
        }
    }

    /// @dev Splits a repayment of up to `amount` against `debt` (= `_debt(scaled, index)`): all of it if
    /// `amount >= debt`, else `amount` and `floor(amount * 1e18 / index)` of the scaled debt (below
    /// `scaled`, since `amount < debt`).
    function _repayment(uint256 amount, uint256 debt, uint256 scaled, uint256 index)
        private
        pure
        returns (uint256 repaid, uint256 scaledRepaid)
    {
        if (amount >= debt) return (debt, scaled);
        return (amount, Math.mulDiv(amount, WAD, index));
    }

    /// @dev Maps decoded model outputs to parameters (see {previewRiskUpdate}).
    function _mapOutputs(int256 y0, int256 y1, uint256 oldLtv, uint256 oldRate)
        private
        view
        returns (uint256 newLtv, uint256 newRate)
    {
        uint256 one = FEATURE_ONE;
        uint256 rawLtv = LTV_BASE + Math.mulDiv(LTV_SPAN, _unit(y0, one), one);
        uint256 rawRate = Math.mulDiv(RATE_SPAN, _unit(y1, one), one);
        newLtv = _step(_clamp(rawLtv, LTV_FLOOR, LTV_CEILING), oldLtv, MAX_LTV_CHANGE);
        newRate = _step(_clamp(rawRate, RATE_FLOOR, RATE_CEILING), oldRate, MAX_RATE_CHANGE);
    }

    /// @dev The packed input word for the current state.
    function _inputWord() private view returns (uint256) {
        int256[4] memory f = currentFeatures();
        int256[] memory values = new int256[](FEATURE_COUNT);
        for (uint256 i = 0; i < FEATURE_COUNT; ++i) {
            values[i] = f[i];
        }
        // The constructor made sure every feature packs, and 4 values fit one word.
        return ZkinferInstances.pack(values, PACK_BITS)[0];
    }

    /// @dev The latest collateral price; reverts with {InvalidPrice} if zero.
    function _price() private view returns (uint256 price) {
        price = _PRICE_SOURCE.latestPrice();
        if (price == 0) revert InvalidPrice(price);
    }

    /// @dev `ceil(scaled * index / 1e18)`.
    function _debt(uint256 scaled, uint256 index) private pure returns (uint256) {
        return Math.mulDiv(scaled, index, WAD, Math.Rounding.Ceil);
    }

    /// @dev `floor(floor(collateral * price / 1e18) * ratio / 1e18)`.
    function _limit(uint256 collateral, uint256 price, uint256 ratio) private pure returns (uint256) {
        return Math.mulDiv(Math.mulDiv(collateral, price, WAD), ratio, WAD);
    }

    /// @dev The utilisation feature: `debt / (cash + debt)` at `one` (0 if both are 0), rounded down.
    function _utilisation(uint256 debt, uint256 one) private view returns (uint256) {
        uint256 assets = cash + debt;
        return assets == 0 ? 0 : Math.mulDiv(debt, one, assets);
    }

    /// @dev The coverage feature: `min(value / debt, 4) / 4` at `one` (ONE if no debt), rounded down.
    function _coverage(uint256 value, uint256 debt, uint256 one) private pure returns (uint256) {
        if (debt == 0) return one;
        // value >= 4 * debt, written so it cannot overflow.
        if (value / MAX_COVERAGE >= debt) return one;
        return Math.mulDiv(value, one, MAX_COVERAGE * debt);
    }

    /// @dev A model output clamped to [0, one], as an unsigned integer.
    function _unit(int256 y, uint256 one) private pure returns (uint256) {
        if (y <= 0) return 0;
        // casting to 'uint256' is safe because y > 0
        // forge-lint: disable-next-line(unsafe-typecast)
        uint256 u = uint256(y);
        return u < one ? u : one;
    }

    /// @dev `x` clamped to [lo, hi] (lo <= hi).
    function _clamp(uint256 x, uint256 lo, uint256 hi) private pure returns (uint256) {
        return x < lo ? lo : (x > hi ? hi : x);
    }

    /// @dev `target` clamped to [old - maxStep, old + maxStep] (the lower end saturating at 0).
    function _step(uint256 target, uint256 old, uint256 maxStep) private pure returns (uint256) {
        if (target > old) return target - old > maxStep ? old + maxStep : target;
        return old - target > maxStep ? old - maxStep : target;
    }

    /// @dev A feature as a signed integer (every feature is at most 2 * 2^32).
    function _int(uint256 x) private pure returns (int256) {
        return SafeCast.toInt256(x);
    }
}
