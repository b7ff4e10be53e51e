// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IZkinferVerifier} from "../IZkinferVerifier.sol";
import {ZkinferConsumer} from "../ZkinferConsumer.sol";
import {ZkinferInstances} from "../ZkinferInstances.sol";
import {IPriceHistory} from "./IPriceHistory.sol";

/// @title A lending market whose risk parameters are set by a proven model
/// @notice Lenders deposit the borrow token and earn the interest borrowers pay; borrowers post the
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
/// The owner ({ZkinferConsumer}, {Ownable2Step}) can only rotate the model's verifier, behind a
/// timelock; it cannot set parameters or move funds.
/// @dev Amounts are in token base units; ratios and rates are 18-decimal fractions ("wad"). Debts are
/// tracked as scaled debt over a borrow index (`debt = ceil(scaled * index / 1e18)`) that grows by
/// simple interest at the current rate between accruals. Interest is accrued at the start of every
/// state-changing call. Tokens must be plain ERC-20s (no fee on transfer, no rebasing); the vault
/// keeps its own book of cash and collateral, so tokens sent to it directly are ignored.
contract AIRiskVault is ZkinferConsumer, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice The constructor's risk configuration.
    /// @param epochLength Seconds per epoch: at most one parameter update per epoch.
    /// @param featureScale Fractional bits of the model's inputs and outputs (e.g. 7).
    /// @param packBits The model's range bits: the packing width of its instances (e.g. 10).
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
        uint256 featureScale;
        uint256 packBits;
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

    /// @notice One, as an 18-decimal fraction.
    uint256 public constant WAD = 1e18;
    /// @notice {borrowRate} is per year of this many seconds.
    uint256 public constant SECONDS_PER_YEAR = 365 days;
    /// @notice The model's public instances: one packed input word, then one packed output word.
    uint256 public constant INSTANCE_COUNT = 2;
    /// @notice The number of model inputs (features).
    uint256 public constant FEATURE_COUNT = 4;
    /// @notice The number of model outputs.
    uint256 public constant OUTPUT_COUNT = 2;
    /// @notice The number of most recent price observations the features look at.
    uint256 public constant PRICE_WINDOW = 8;
    /// @notice The volatility feature is the mean absolute relative price change times this...
    uint256 public constant VOLATILITY_MULTIPLIER = 10;
    /// @notice ...capped at this (2.0).
    uint256 public constant VOLATILITY_CAP = 2;
    /// @notice The coverage feature is `min(collateral value / debt, MAX_COVERAGE) / MAX_COVERAGE`.
    uint256 public constant MAX_COVERAGE = 4;
    /// @notice {maxLtv} proposed by the model: `LTV_BASE + LTV_SPAN * y0`.
    uint256 public constant LTV_BASE = 0.3e18;
    /// @notice See {LTV_BASE}.
    uint256 public constant LTV_SPAN = 0.6e18;
    /// @notice {borrowRate} proposed by the model: `RATE_SPAN * y1`.
    uint256 public constant RATE_SPAN = 0.5e18;
    /// @notice {liquidationThreshold} is {maxLtv} plus this...
    uint256 public constant LIQUIDATION_BUFFER = 0.05e18;
    /// @notice ...capped at this.
    uint256 public constant MAX_LIQUIDATION_THRESHOLD = 0.95e18;
    /// @notice A liquidator receives collateral worth the debt it repays times (1 + this).
    uint256 public constant LIQUIDATION_BONUS = 0.05e18;
    /// @notice The highest rate ceiling the constructor accepts (100% a year).
    uint256 public constant MAX_RATE = 1e18;
    /// @notice The largest feature scale the constructor accepts.
    uint256 public constant MAX_FEATURE_SCALE = 32;
    /// @notice The largest packing width the constructor accepts (4 inputs must fit one 252-bit word).
    uint256 public constant MAX_PACK_BITS = 63;

    // ------------------------------------------------------------------------------------------
    // Immutables
    // ------------------------------------------------------------------------------------------

    /// @notice The token borrowers post as collateral.
    IERC20 public immutable COLLATERAL_TOKEN;
    /// @notice The token lenders deposit and borrowers borrow.
    IERC20 public immutable BORROW_TOKEN;
    /// @notice The collateral price source (also the history for the volatility and drawdown features).
    IPriceHistory public immutable PRICE_SOURCE;
    /// @notice Seconds per epoch.
    uint256 public immutable EPOCH_LENGTH;
    /// @notice Fractional bits of the model's inputs and outputs.
    uint256 public immutable FEATURE_SCALE;
    /// @notice The model's range bits (packing width).
    uint256 public immutable PACK_BITS;
    /// @notice One at the feature scale: `2^FEATURE_SCALE`.
    uint256 public immutable FEATURE_ONE;
    /// @notice The lowest {maxLtv} an update may set.
    uint256 public immutable LTV_FLOOR;
    /// @notice The highest {maxLtv} an update may set.
    uint256 public immutable LTV_CEILING;
    /// @notice The lowest {borrowRate} an update may set.
    uint256 public immutable RATE_FLOOR;
    /// @notice The highest {borrowRate} an update may set.
    uint256 public immutable RATE_CEILING;
    /// @notice The most {maxLtv} may move in one update.
    uint256 public immutable MAX_LTV_CHANGE;
    /// @notice The most {borrowRate} may move in one update.
    uint256 public immutable MAX_RATE_CHANGE;

    // ------------------------------------------------------------------------------------------
    // State
    // ------------------------------------------------------------------------------------------

    /// @dev Parameters and clocks.
    Market private _market;
    /// @notice The borrow index as of the last accrual (wad; 1e18 at deployment).
    uint256 public borrowIndex;
    /// @notice Borrow tokens held for lenders (excludes tokens sent to the vault directly).
    uint256 public cash;
    /// @notice Lender shares outstanding.
    uint256 public totalShares;
    /// @notice The sum of all borrowers' scaled debts.
    uint256 public totalScaledDebt;
    /// @notice The sum of all borrowers' collateral.
    uint256 public totalCollateral;
    /// @notice All debt ever written off ({BadDebtWrittenOff}): the lenders' realised losses.
    uint256 public totalBadDebt;
    /// @notice Each lender's shares.
    mapping(address lender => uint256) public sharesOf;
    /// @notice Each borrower's collateral.
    mapping(address borrower => uint256) public collateralOf;
    /// @notice Each borrower's scaled debt (`debt = ceil(scaled * index / 1e18)`).
    mapping(address borrower => uint256) public scaledDebtOf;

    // ------------------------------------------------------------------------------------------
    // Errors
    // ------------------------------------------------------------------------------------------

    /// @notice A constructor argument is invalid; `field` names it.
    error InvalidRiskConfig(string field);
    /// @notice Parameters were already updated in `epoch` (the last update was in `lastAppliedEpoch`).
    error EpochAlreadyApplied(uint256 epoch, uint256 lastAppliedEpoch);
    /// @notice The proof's input word is `actual`; the vault's own features pack to `expected`.
    error InputMismatch(uint256 expected, uint256 actual);
    /// @notice An amount must be non-zero.
    error ZeroAmount();
    /// @notice The deposit is too small to mint a share.
    error ZeroShares();
    /// @notice The lender has `available` shares; `required` are needed.
    error InsufficientShares(uint256 available, uint256 required);
    /// @notice The vault has `available` cash; `required` is needed.
    error InsufficientLiquidity(uint256 available, uint256 required);
    /// @notice The borrower has `available` collateral; `requested` was asked for.
    error InsufficientCollateral(uint256 available, uint256 requested);
    /// @notice The position would owe `debt`, above its borrowing limit `limit` (collateral value times {maxLtv}).
    error ExceedsMaxLtv(uint256 debt, uint256 limit);
    /// @notice The position owes `debt`, not above `liquidationLimit` (collateral value times
    /// {liquidationThreshold}): it cannot be liquidated.
    error PositionHealthy(uint256 debt, uint256 liquidationLimit);
    /// @notice `borrower` has no debt.
    error NoDebt(address borrower);
    /// @notice The price source returned a zero price.
    error InvalidPrice(uint256 price);

    // ------------------------------------------------------------------------------------------
    // Events
    // ------------------------------------------------------------------------------------------

    /// @notice `lender` deposited `assets` borrow tokens for `shares`.
    event Deposited(address indexed lender, uint256 assets, uint256 shares);
    /// @notice `lender` withdrew `assets` borrow tokens, burning `shares`.
    event Withdrawn(address indexed lender, uint256 assets, uint256 shares);
    /// @notice `borrower` posted `amount` collateral.
    event CollateralDeposited(address indexed borrower, uint256 amount);
    /// @notice `borrower` took back `amount` collateral.
    event CollateralWithdrawn(address indexed borrower, uint256 amount);
    /// @notice `borrower` borrowed `amount`; it now owes `debt`.
    event Borrowed(address indexed borrower, uint256 amount, uint256 debt);
    /// @notice `payer` repaid `amount` of `borrower`'s debt; `borrower` now owes `debt`.
    event Repaid(address indexed payer, address indexed borrower, uint256 amount, uint256 debt);
    /// @notice `liquidator` repaid `repaid` of `borrower`'s debt and received `seized` collateral.
    event Liquidated(address indexed liquidator, address indexed borrower, uint256 repaid, uint256 seized);
    /// @notice `borrower`'s remaining debt `amount` had no collateral left and was written off (the
    /// lenders bear it).
    event BadDebtWrittenOff(address indexed borrower, uint256 amount);
    /// @notice Interest was accrued up to `timestamp`; the borrow index is now `borrowIndex`.
    event InterestAccrued(uint256 borrowIndex, uint256 timestamp);
    /// @notice A proven model update for `epoch` moved {maxLtv} from `oldLtv` to `newLtv` and
    /// {borrowRate} from `oldRate` to `newRate`.
    event RiskParametersUpdated(
        uint256 indexed epoch, uint256 oldLtv, uint256 newLtv, uint256 oldRate, uint256 newRate
    );

    // ------------------------------------------------------------------------------------------
    // Constructor
    // ------------------------------------------------------------------------------------------

    /// @notice Deploys the market and pins the risk model's verifier.
    /// @dev Reverts with {InvalidRiskConfig} if an argument is out of range, and with the
    /// {ZkinferConsumer} constructor's errors if the verifier does not check out.
    /// @param collateralToken The collateral token.
    /// @param borrowToken The borrow token (different from the collateral token).
    /// @param priceSource The collateral price source with history.
    /// @param config The risk configuration (see {RiskConfig}).
    /// @param verifier_ The zkinfer-generated verifier of the risk model.
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
    ) ZkinferConsumer(verifier_, verifierCodehash, INSTANCE_COUNT, rotationDelay_, initialOwner) {
        if (address(collateralToken) == address(0)) revert InvalidRiskConfig("collateralToken");
        if (address(borrowToken) == address(0) || borrowToken == collateralToken) {
            revert InvalidRiskConfig("borrowToken");
        }
        if (address(priceSource) == address(0)) revert InvalidRiskConfig("priceSource");
        _validate(config);
        COLLATERAL_TOKEN = collateralToken;
        BORROW_TOKEN = borrowToken;
        PRICE_SOURCE = priceSource;
        EPOCH_LENGTH = config.epochLength;
        FEATURE_SCALE = config.featureScale;
        PACK_BITS = config.packBits;
        FEATURE_ONE = 2 ** config.featureScale;
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
    }

    // ------------------------------------------------------------------------------------------
    // Lenders
    // ------------------------------------------------------------------------------------------

    /// @notice Deposits borrow tokens and mints lender shares.
    /// @dev Needs an allowance of `assets`. Shares are `floor(assets * (totalShares + 1) /
    /// (totalAssets + 1))` (a virtual share and asset guard against donation-style inflation).
    /// Reverts with {ZeroAmount} or {ZeroShares}. Emits {Deposited}.
    /// @param assets The amount of borrow tokens.
    /// @return shares The shares minted.
    function deposit(uint256 assets) external nonReentrant returns (uint256 shares) {
        if (assets == 0) revert ZeroAmount();
        _accrue();
        shares = _toShares(assets, Math.Rounding.Floor);
        if (shares == 0) revert ZeroShares();
        sharesOf[msg.sender] += shares;
        totalShares += shares;
        cash += assets;
        emit Deposited(msg.sender, assets, shares);
        BORROW_TOKEN.safeTransferFrom(msg.sender, address(this), assets);
    }

    /// @notice Withdraws exactly `assets` borrow tokens, burning the shares they are worth (rounded up).
    /// @dev Reverts with {ZeroAmount}, {InsufficientShares} or {InsufficientLiquidity} (the cash not
    /// lent out). Emits {Withdrawn}.
    /// @param assets The amount of borrow tokens.
    /// @return shares The shares burnt.
    function withdraw(uint256 assets) external nonReentrant returns (uint256 shares) {
        if (assets == 0) revert ZeroAmount();
        _accrue();
        shares = _toShares(assets, Math.Rounding.Ceil);
        _withdraw(assets, shares);
    }

    /// @notice Burns `shares` for the borrow tokens they are worth (rounded down).
    /// @dev Reverts with {ZeroAmount} (also if the shares are worth nothing), {InsufficientShares} or
    /// {InsufficientLiquidity}. Emits {Withdrawn}.
    /// @param shares The shares to burn.
    /// @return assets The borrow tokens paid out.
    function redeem(uint256 shares) external nonReentrant returns (uint256 assets) {
        if (shares == 0) revert ZeroAmount();
        _accrue();
        assets = _toAssets(shares, Math.Rounding.Floor);
        if (assets == 0) revert ZeroAmount();
        _withdraw(assets, shares);
    }

    // ------------------------------------------------------------------------------------------
    // Borrowers
    // ------------------------------------------------------------------------------------------

    /// @notice Posts collateral.
    /// @dev Needs an allowance of `amount`. Reverts with {ZeroAmount}. Emits {CollateralDeposited}.
    /// @param amount The amount of collateral tokens.
    function depositCollateral(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        _accrue();
        collateralOf[msg.sender] += amount;
        totalCollateral += amount;
        emit CollateralDeposited(msg.sender, amount);
        COLLATERAL_TOKEN.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Takes collateral back; a position with debt must stay within {maxLtv}.
    /// @dev Reverts with {ZeroAmount}, {InsufficientCollateral} or {ExceedsMaxLtv}. Emits
    /// {CollateralWithdrawn}.
    /// @param amount The amount of collateral tokens.
    function withdrawCollateral(uint256 amount) external nonReentrant {
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
        COLLATERAL_TOKEN.safeTransfer(msg.sender, amount);
    }

    /// @notice Borrows borrow tokens against the caller's collateral, up to {maxLtv} of its value.
    /// @dev The new debt (`ceil(scaled * index / 1e18)`, the scaled debt rounded up) must not exceed
    /// `floor(floor(collateral * price / 1e18) * maxLtv / 1e18)`. Reverts with {ZeroAmount},
    /// {InsufficientLiquidity} or {ExceedsMaxLtv}. Emits {Borrowed}.
    /// @param amount The amount of borrow tokens.
    function borrow(uint256 amount) external nonReentrant {
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
        BORROW_TOKEN.safeTransfer(msg.sender, amount);
    }

    /// @notice Repays (part of) `borrower`'s debt; anyone may repay for anyone.
    /// @dev Needs an allowance of the amount repaid. `amount` at or above the debt repays it all
    /// (pass `type(uint256).max`); a partial repayment reduces the scaled debt by
    /// `floor(amount * 1e18 / index)`. Reverts with {ZeroAmount} or {NoDebt}. Emits {Repaid}.
    /// @param borrower The borrower whose debt is repaid.
    /// @param amount The most to repay.
    /// @return repaid The amount actually repaid (taken from the caller).
    function repay(address borrower, uint256 amount) external nonReentrant returns (uint256 repaid) {
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
        BORROW_TOKEN.safeTransferFrom(msg.sender, address(this), repaid);
    }

    /// @notice Liquidates an unhealthy position: repays (part of) its debt and takes collateral worth
    /// the repaid amount plus {LIQUIDATION_BONUS}.
    /// @dev A position is unhealthy when `debt > floor(floor(collateral * price / 1e18) *
    /// liquidationThreshold / 1e18)`. The caller repays `r = min(repayAmount, debt)` and receives
    /// `floor(r * (1e18 + bonus) / price)` collateral; if that is more than the position holds, it
    /// receives all of it and repays only `ceil(collateral * price / (1e18 + bonus))`. Debt left on a
    /// position without collateral is written off ({BadDebtWrittenOff}): the lenders bear it. Needs
    /// an allowance of the amount repaid. Reverts with {ZeroAmount}, {NoDebt} or {PositionHealthy}.
    /// Emits {Liquidated}.
    /// @param borrower The position to liquidate.
    /// @param repayAmount The most debt to repay.
    /// @return repaid The debt repaid (taken from the caller).
    /// @return seized The collateral sent to the caller.
    function liquidate(address borrower, uint256 repayAmount)
        external
        nonReentrant
        returns (uint256 repaid, uint256 seized)
    {
        if (repayAmount == 0) revert ZeroAmount();
        _accrue();
        uint256 writtenOff;
        (repaid, seized, writtenOff) = _liquidate(borrower, repayAmount);
        emit Liquidated(msg.sender, borrower, repaid, seized);
        if (writtenOff != 0) emit BadDebtWrittenOff(borrower, writtenOff);
        if (repaid != 0) BORROW_TOKEN.safeTransferFrom(msg.sender, address(this), repaid);
        if (seized != 0) COLLATERAL_TOKEN.safeTransfer(msg.sender, seized);
    }

    /// @notice Accrues interest up to the current block.
    /// @dev Every state-changing function does this first; this entry point only makes it
    /// observable. Emits {InterestAccrued} if time has passed since the last accrual.
    function accrueInterest() external nonReentrant {
        _accrue();
    }

    // ------------------------------------------------------------------------------------------
    // Risk parameters
    // ------------------------------------------------------------------------------------------

    /// @notice Sets {maxLtv} and {borrowRate} from a proof of the risk model on the vault's current state.
    /// @dev Permissionless; at most once per epoch (`block.timestamp / EPOCH_LENGTH`). Steps:
    /// reverts with {EpochAlreadyApplied} unless `lastAppliedEpoch < epoch`; accrues interest at the
    /// old rate; requires exactly {INSTANCE_COUNT} instances ({ZkinferConsumer.InstanceCountMismatch});
    /// requires `instances[0]` to equal {expectedInputWord} ({InputMismatch}); verifies the proof
    /// ({ZkinferConsumer.VerificationFailed} wraps the verifier's error); decodes the two outputs from
    /// `instances[1]` ({ZkinferInstances.InvalidPackedWord} if it is not a packing of two values) and
    /// maps them as {previewRiskUpdate} describes. Emits {RiskParametersUpdated}.
    /// @param proof The proof bytes.
    /// @param instances The public instances: the packed input word, then the packed output word.
    /// @return newLtv The new {maxLtv}.
    /// @return newRate The new {borrowRate}.
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

    /// @notice The model inputs for the vault's current state, as the keeper must prove them.
    /// @dev Signed fixed-point integers with {FEATURE_SCALE} fractional bits (`ONE = 2^FEATURE_SCALE`),
    /// every division rounded down; debt is {totalDebt} with interest accrued to this block. See
    /// examples/defi-vault/CONTRACTS.md for the exact formulas:
    /// [0] utilisation `floor(D * ONE / (cash + D))` (0 if `cash + D == 0`);
    /// [1] volatility: over the last {PRICE_WINDOW} prices `p`, `min(floor(sum_k floor(|p_k - p_{k-1}|
    /// * 1e18 / p_{k-1}) * 10 * ONE / ((n - 1) * 1e18)), 2 * ONE)` (0 if fewer than 2 prices);
    /// [2] drawdown `floor((max(p) - p_last) * ONE / max(p))` (0 if no price);
    /// [3] coverage `ONE` if `D == 0` or `V >= 4 * D`, else `floor(V * ONE / (4 * D))`, with
    /// `V = floor(totalCollateral * p_last / 1e18)`.
    /// @return features The four features, in model input order.
    function currentFeatures() public view returns (int256[4] memory features) {
        (uint256[] memory prices,) = PRICE_SOURCE.observations();
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
        uint256 assets = cash + debt;
        features[0] = _int(assets == 0 ? 0 : Math.mulDiv(debt, one, assets));
        features[1] = _int(volatility);
        features[2] = _int(count == 0 ? 0 : Math.mulDiv(peak - last, one, peak));
        features[3] = _int(_coverage(Math.mulDiv(totalCollateral, last, WAD), debt, one));
    }

    /// @notice The packed input word a proof must carry now: `ZkinferInstances.pack(currentFeatures(), PACK_BITS)`.
    /// @return The word (`sum_i (f_i + 2^(PACK_BITS-1)) * 2^(PACK_BITS*i)`).
    function expectedInputWord() external view returns (uint256) {
        return _inputWord();
    }

    /// @notice The parameters an update with `outputWord` would set now (ignoring the epoch and the proof).
    /// @dev Decodes `y0, y1` (at {FEATURE_SCALE} bits) from the word, clamps each to `[0, ONE]`, then
    /// `ltv = 0.30e18 + floor(0.60e18 * y0 / ONE)`, `rate = floor(0.50e18 * y1 / ONE)`, each clamped
    /// to its bounds and then to at most {MAX_LTV_CHANGE} / {MAX_RATE_CHANGE} from the current value.
    /// @param outputWord The packed output word (`instances[1]`).
    /// @return newLtv The resulting {maxLtv}.
    /// @return newRate The resulting {borrowRate}.
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

    /// @notice The current maximum loan-to-value for borrowing and collateral withdrawal.
    /// @return The ratio (wad).
    function maxLtv() public view returns (uint256) {
        return _market.maxLtv;
    }

    /// @notice The current annual borrow rate (simple interest between accruals).
    /// @return The rate (wad per year).
    function borrowRate() public view returns (uint256) {
        return _market.borrowRate;
    }

    /// @notice The epoch of the last parameter update (0 if none).
    /// @return The epoch.
    function lastAppliedEpoch() external view returns (uint256) {
        return _market.lastAppliedEpoch;
    }

    /// @notice The timestamp up to which interest has been accrued.
    /// @return The timestamp.
    function lastAccrual() external view returns (uint256) {
        return _market.lastAccrual;
    }

    /// @notice The current epoch.
    /// @return `block.timestamp / EPOCH_LENGTH`.
    function currentEpoch() public view returns (uint256) {
        return block.timestamp / EPOCH_LENGTH;
    }

    /// @notice The debt-to-collateral-value ratio above which a position can be liquidated.
    /// @return `min(maxLtv + LIQUIDATION_BUFFER, MAX_LIQUIDATION_THRESHOLD)` (wad).
    function liquidationThreshold() public view returns (uint256) {
        uint256 t = uint256(_market.maxLtv) + LIQUIDATION_BUFFER;
        return t < MAX_LIQUIDATION_THRESHOLD ? t : MAX_LIQUIDATION_THRESHOLD;
    }

    /// @notice The borrow index with interest accrued to the current block.
    /// @return `index + floor(index * rate * elapsed / (1e18 * SECONDS_PER_YEAR))` (wad).
    function currentBorrowIndex() public view returns (uint256) {
        Market memory m = _market;
        uint256 index = borrowIndex;
        uint256 elapsed = block.timestamp - m.lastAccrual;
        if (elapsed == 0) return index;
        return index + Math.mulDiv(index, uint256(m.borrowRate) * elapsed, WAD * SECONDS_PER_YEAR);
    }

    /// @notice All borrowers' debt, interest accrued to the current block.
    /// @return `ceil(totalScaledDebt * currentBorrowIndex() / 1e18)`.
    function totalDebt() public view returns (uint256) {
        return _debt(totalScaledDebt, currentBorrowIndex());
    }

    /// @notice What the lenders' shares are backed by: cash plus all debt.
    /// @return `cash + totalDebt()`.
    function totalAssets() public view returns (uint256) {
        return cash + totalDebt();
    }

    /// @notice A borrower's debt, interest accrued to the current block.
    /// @param borrower The borrower.
    /// @return `ceil(scaledDebtOf[borrower] * currentBorrowIndex() / 1e18)`.
    function debtOf(address borrower) public view returns (uint256) {
        return _debt(scaledDebtOf[borrower], currentBorrowIndex());
    }

    /// @notice A borrower's collateral value in borrow-token units at the latest price.
    /// @param borrower The borrower.
    /// @return `floor(collateralOf[borrower] * price / 1e18)`.
    function collateralValueOf(address borrower) public view returns (uint256) {
        return Math.mulDiv(collateralOf[borrower], _price(), WAD);
    }

    /// @notice The most debt a borrower may have after a borrow or collateral withdrawal.
    /// @param borrower The borrower.
    /// @return `floor(collateralValueOf(borrower) * maxLtv / 1e18)`.
    function borrowLimitOf(address borrower) external view returns (uint256) {
        return _limit(collateralOf[borrower], _price(), _market.maxLtv);
    }

    /// @notice Whether {liquidate} would accept `borrower`'s position now.
    /// @param borrower The borrower.
    /// @return True if its debt exceeds its collateral value times {liquidationThreshold}.
    function isLiquidatable(address borrower) external view returns (bool) {
        uint256 debt = debtOf(borrower);
        return debt != 0 && debt > _limit(collateralOf[borrower], _price(), liquidationThreshold());
    }

    /// @notice The borrow tokens `shares` are worth now (what {redeem} would pay, liquidity permitting).
    /// @param shares The shares.
    /// @return `floor(shares * (totalAssets + 1) / (totalShares + 1))`.
    function previewRedeem(uint256 shares) external view returns (uint256) {
        return _toAssets(shares, Math.Rounding.Floor);
    }

    /// @notice The shares {deposit} would mint for `assets` now.
    /// @param assets The borrow tokens.
    /// @return `floor(assets * (totalShares + 1) / (totalAssets + 1))`.
    function previewDeposit(uint256 assets) external view returns (uint256) {
        return _toShares(assets, Math.Rounding.Floor);
    }

    // ------------------------------------------------------------------------------------------
    // Internals
    // ------------------------------------------------------------------------------------------

    /// @dev Checks the constructor's risk configuration.
    function _validate(RiskConfig memory c) private pure {
        if (c.epochLength == 0) revert InvalidRiskConfig("epochLength");
        if (c.featureScale == 0 || c.featureScale > MAX_FEATURE_SCALE) revert InvalidRiskConfig("featureScale");
        // The largest feature, the volatility cap 2 * 2^scale, must pack: below 2^(packBits - 1).
        if (c.packBits < c.featureScale + 3 || c.packBits > MAX_PACK_BITS) revert InvalidRiskConfig("packBits");
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

    /// @dev The shared tail of {withdraw} and {redeem}.
    function _withdraw(uint256 assets, uint256 shares) private {
        uint256 owned = sharesOf[msg.sender];
        if (shares > owned) revert InsufficientShares(owned, shares);
        uint256 available = cash;
        if (assets > available) revert InsufficientLiquidity(available, assets);
        sharesOf[msg.sender] = owned - shares;
        totalShares -= shares;
        cash = available - assets;
        emit Withdrawn(msg.sender, assets, shares);
        BORROW_TOKEN.safeTransfer(msg.sender, assets);
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
        price = PRICE_SOURCE.latestPrice();
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

    /// @dev The coverage feature: `min(value / debt, 4) / 4` at `one` (ONE if no debt), rounded down.
    function _coverage(uint256 value, uint256 debt, uint256 one) private pure returns (uint256) {
        if (debt == 0) return one;
        // value >= 4 * debt, written so it cannot overflow.
        if (value / MAX_COVERAGE >= debt) return one;
        return Math.mulDiv(value, one, MAX_COVERAGE * debt);
    }

    /// @dev Lender shares for `assets`, with one virtual share and one virtual asset.
    function _toShares(uint256 assets, Math.Rounding rounding) private view returns (uint256) {
        return Math.mulDiv(assets, totalShares + 1, totalAssets() + 1, rounding);
    }

    /// @dev Assets for lender `shares`, with one virtual share and one virtual asset.
    function _toAssets(uint256 shares, Math.Rounding rounding) private view returns (uint256) {
        return Math.mulDiv(shares, totalAssets() + 1, totalShares + 1, rounding);
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
