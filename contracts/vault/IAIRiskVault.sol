// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title The external surface of the AI-governed lending vault
/// @notice Everything `AIRiskVault` adds to ERC-4626 (the lenders' side: OpenZeppelin's `IERC4626`,
/// whose shares are the vault's ERC-20) and to {ZkinferConsumer} (whose errors, events and functions
/// are in `IZkinferConsumer`): borrowing and liquidation, the proven risk-parameter updates, the
/// features the vault computes for the risk model, and the vault's constants. `AIRiskVault` implements
/// this interface, so the compiler checks every declaration here against the contract.
/// @dev Self-contained on purpose (no imports, `address` instead of interface types): the Rust keeper
/// reads this file with alloy's `sol!`, which follows no imports. `verifier()` and
/// `expectedInstanceCount()` are {ZkinferConsumer}'s and `totalAssets()` is ERC-4626's, repeated
/// here for the keeper.
interface IAIRiskVault {
    // ------------------------------------------------------------------------------------------
    // Types
    // ------------------------------------------------------------------------------------------

    /// @notice Time integrals of the two state features (utilisation and coverage, at
    /// {FEATURE_SCALE} bits), kept as Uniswap's oracles keep price x seconds, so the model reads
    /// averages over a whole epoch that no single transaction can move.
    /// @param cumUtilisation Utilisation x seconds, summed up to `observedAt`.
    /// @param cumCoverage Coverage x seconds, summed up to `observedAt`.
    /// @param observedAt The last observation (every state change observes before it acts).
    /// @param checkpointEpoch The epoch of the last observation.
    /// @param utilisation Utilisation since `observedAt` (the state the last change left).
    /// @param coverage Coverage since `observedAt`.
    /// @param startUtilisation `cumUtilisation` extended to the start of `checkpointEpoch`.
    /// @param startCoverage `cumCoverage` extended to the start of `checkpointEpoch`.
    /// @param prevStartUtilisation `cumUtilisation` at the start of `checkpointEpoch - 1`.
    /// @param prevStartCoverage `cumCoverage` at the start of `checkpointEpoch - 1`.
    struct Accumulators {
        uint128 cumUtilisation;
        uint128 cumCoverage;
        uint64 observedAt;
        uint64 checkpointEpoch;
        uint64 utilisation;
        uint64 coverage;
        uint128 startUtilisation;
        uint128 startCoverage;
        uint128 prevStartUtilisation;
        uint128 prevStartCoverage;
    }

    // ------------------------------------------------------------------------------------------
    // Errors
    // ------------------------------------------------------------------------------------------

    /// @notice A constructor argument is invalid; `field` names it.
    error InvalidRiskConfig(string field);
    /// @notice The verifier's circuit has a scale (`SCALE()`) or packing width (`PACK_BITS()`) the vault
    /// cannot use: it needs `1 <= scale <= MAX_FEATURE_SCALE` and `scale + 3 <= packBits <= MAX_PACK_BITS`
    /// (the volatility cap 2.0 must pack, and the 4 features must fit one word).
    error UnsupportedCircuit(uint256 scale, uint256 packBits);
    /// @notice Parameters were already updated in `epoch` (the last update was in `lastAppliedEpoch`).
    error EpochAlreadyApplied(uint256 epoch, uint256 lastAppliedEpoch);
    /// @notice The proof's input word is `actual`; the vault's own features pack to `expected`.
    error InputMismatch(uint256 expected, uint256 actual);
    /// @notice An amount must be non-zero.
    error ZeroAmount();
    /// @notice The deposit is too small to mint a share.
    error ZeroShares();
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
    // Borrowers
    // ------------------------------------------------------------------------------------------

    /// @notice Posts collateral.
    /// @param amount The amount of collateral tokens.
    function depositCollateral(uint256 amount) external;

    /// @notice Takes collateral back; a position with debt must stay within {maxLtv}.
    /// @param amount The amount of collateral tokens.
    function withdrawCollateral(uint256 amount) external;

    /// @notice Borrows borrow tokens against the caller's collateral, up to {maxLtv} of its value.
    /// @param amount The amount of borrow tokens.
    function borrow(uint256 amount) external;

    /// @notice Repays (part of) `borrower`'s debt; anyone may repay for anyone.
    /// @param borrower The borrower whose debt is repaid.
    /// @param amount The most to repay (`type(uint256).max`: all of it).
    /// @return repaid The amount actually repaid (taken from the caller).
    function repay(address borrower, uint256 amount) external returns (uint256 repaid);

    /// @notice Liquidates an unhealthy position: repays (part of) its debt and takes collateral worth
    /// the repaid amount plus {LIQUIDATION_BONUS}.
    /// @param borrower The position to liquidate.
    /// @param repayAmount The most debt to repay.
    /// @return repaid The debt repaid (taken from the caller).
    /// @return seized The collateral sent to the caller.
    function liquidate(address borrower, uint256 repayAmount) external returns (uint256 repaid, uint256 seized);

    /// @notice Accrues interest up to the current block.
    function accrueInterest() external;

    // ------------------------------------------------------------------------------------------
    // Risk parameters
    // ------------------------------------------------------------------------------------------

    /// @notice Sets {maxLtv} and {borrowRate} from a proof of the risk model on the vault's current state.
    /// @param proof The proof bytes.
    /// @param instances The public instances: the packed input word, then the packed output word.
    /// @return newLtv The new {maxLtv}.
    /// @return newRate The new {borrowRate}.
    function updateRiskParameters(bytes calldata proof, uint256[] calldata instances)
        external
        returns (uint256 newLtv, uint256 newRate);

    /// @notice The model inputs now, as the keeper must prove them: utilisation and coverage
    /// averaged over the previous epoch (fixed for the whole current epoch, so no deposit, loan or
    /// withdrawal inside one transaction or epoch moves them), volatility and drawdown from the
    /// price history.
    /// @return features The four features (utilisation, volatility, drawdown, coverage), signed
    /// fixed-point integers with {FEATURE_SCALE} fractional bits.
    function currentFeatures() external view returns (int256[4] memory features);

    /// @notice The four features of the state at this moment, utilisation and coverage not averaged
    /// (what the next observation records).
    /// @return features The four features at {FEATURE_SCALE} fractional bits.
    function instantFeatures() external view returns (int256[4] memory features);

    /// @notice The time integrals behind {currentFeatures}' utilisation and coverage, so an
    /// off-chain keeper can recompute them exactly.
    /// @return The accumulators.
    function accumulators() external view returns (Accumulators memory);

    /// @notice The packed input word a proof must carry now: `ZkinferInstances.pack(currentFeatures(), PACK_BITS)`.
    /// @return The word (`sum_i (f_i + 2^(PACK_BITS-1)) * 2^(PACK_BITS*i)`).
    function expectedInputWord() external view returns (uint256);

    /// @notice The parameters an update with `outputWord` would set now (ignoring the epoch and the proof).
    /// @param outputWord The packed output word (`instances[1]`).
    /// @return newLtv The resulting {maxLtv}.
    /// @return newRate The resulting {borrowRate}.
    function previewRiskUpdate(uint256 outputWord) external view returns (uint256 newLtv, uint256 newRate);

    // ------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------

    /// @notice The current maximum loan-to-value for borrowing and collateral withdrawal.
    /// @return The ratio (wad).
    function maxLtv() external view returns (uint256);

    /// @notice The current annual borrow rate (simple interest between accruals).
    /// @return The rate (wad per year).
    function borrowRate() external view returns (uint256);

    /// @notice The epoch of the last parameter update (0 if none).
    /// @return The epoch.
    function lastAppliedEpoch() external view returns (uint256);

    /// @notice The timestamp up to which interest has been accrued.
    /// @return The timestamp.
    function lastAccrual() external view returns (uint256);

    /// @notice The current epoch.
    /// @return `block.timestamp / EPOCH_LENGTH`.
    function currentEpoch() external view returns (uint256);

    /// @notice The debt-to-collateral-value ratio above which a position can be liquidated.
    /// @return `min(maxLtv + LIQUIDATION_BUFFER, MAX_LIQUIDATION_THRESHOLD)` (wad).
    function liquidationThreshold() external view returns (uint256);

    /// @notice The borrow index with interest accrued to the current block.
    /// @return `index + floor(index * rate * elapsed / (1e18 * SECONDS_PER_YEAR))` (wad).
    function currentBorrowIndex() external view returns (uint256);

    /// @notice All borrowers' debt, interest accrued to the current block.
    /// @return `ceil(totalScaledDebt * currentBorrowIndex() / 1e18)`.
    function totalDebt() external view returns (uint256);

    /// @notice What the lenders' shares are backed by: cash plus all debt (ERC-4626's `totalAssets`).
    /// @return `cash + totalDebt()`.
    function totalAssets() external view returns (uint256);

    /// @notice A borrower's debt, interest accrued to the current block.
    /// @param borrower The borrower.
    /// @return `ceil(scaledDebtOf[borrower] * currentBorrowIndex() / 1e18)`.
    function debtOf(address borrower) external view returns (uint256);

    /// @notice A borrower's collateral value in borrow-token units at the latest price.
    /// @param borrower The borrower.
    /// @return `floor(collateralOf[borrower] * price / 1e18)`.
    function collateralValueOf(address borrower) external view returns (uint256);

    /// @notice The most debt a borrower may have after a borrow or collateral withdrawal.
    /// @param borrower The borrower.
    /// @return `floor(collateralValueOf(borrower) * maxLtv / 1e18)`.
    function borrowLimitOf(address borrower) external view returns (uint256);

    /// @notice Whether {liquidate} would accept `borrower`'s position now.
    /// @param borrower The borrower.
    /// @return True if its debt exceeds its collateral value times {liquidationThreshold}.
    function isLiquidatable(address borrower) external view returns (bool);

    /// @notice The borrow index as of the last accrual (wad; 1e18 at deployment).
    function borrowIndex() external view returns (uint256);

    /// @notice Borrow tokens held for lenders (excludes tokens sent to the vault directly).
    function cash() external view returns (uint256);

    /// @notice The sum of all borrowers' scaled debts.
    function totalScaledDebt() external view returns (uint256);

    /// @notice The sum of all borrowers' collateral.
    function totalCollateral() external view returns (uint256);

    /// @notice All debt ever written off ({BadDebtWrittenOff}): the lenders' realised losses.
    function totalBadDebt() external view returns (uint256);

    /// @notice Each borrower's collateral.
    /// @param borrower The borrower.
    function collateralOf(address borrower) external view returns (uint256);

    /// @notice Each borrower's scaled debt (`debt = ceil(scaled * index / 1e18)`).
    /// @param borrower The borrower.
    function scaledDebtOf(address borrower) external view returns (uint256);

    /// @notice The pinned verifier of the risk model ({ZkinferConsumer}).
    /// @return The verifier proofs are checked with.
    function verifier() external view returns (address);

    /// @notice The number of public instances a proof must carry ({ZkinferConsumer}).
    /// @return The instance count.
    function expectedInstanceCount() external view returns (uint256);

    // ------------------------------------------------------------------------------------------
    // Immutables
    // ------------------------------------------------------------------------------------------

    /// @notice The token borrowers post as collateral.
    function COLLATERAL_TOKEN() external view returns (address);

    /// @notice The token lenders deposit and borrowers borrow.
    function BORROW_TOKEN() external view returns (address);

    /// @notice The collateral price source (also the history for the volatility and drawdown features).
    function PRICE_SOURCE() external view returns (address);

    /// @notice Seconds per epoch: at most one parameter update per epoch.
    function EPOCH_LENGTH() external view returns (uint256);

    /// @notice Fractional bits of the model's inputs and outputs: the verifier's `SCALE()`.
    function FEATURE_SCALE() external view returns (uint256);

    /// @notice The model's range bits (packing width): the verifier's `PACK_BITS()`.
    function PACK_BITS() external view returns (uint256);

    /// @notice One at the feature scale: `2^FEATURE_SCALE`.
    function FEATURE_ONE() external view returns (uint256);

    /// @notice The lowest {maxLtv} an update may set.
    function LTV_FLOOR() external view returns (uint256);

    /// @notice The highest {maxLtv} an update may set.
    function LTV_CEILING() external view returns (uint256);

    /// @notice The lowest {borrowRate} an update may set.
    function RATE_FLOOR() external view returns (uint256);

    /// @notice The highest {borrowRate} an update may set.
    function RATE_CEILING() external view returns (uint256);

    /// @notice The most {maxLtv} may move in one update.
    function MAX_LTV_CHANGE() external view returns (uint256);

    /// @notice The most {borrowRate} may move in one update.
    function MAX_RATE_CHANGE() external view returns (uint256);

    // ------------------------------------------------------------------------------------------
    // Constants
    // ------------------------------------------------------------------------------------------

    /// @notice One, as an 18-decimal fraction (1e18).
    function WAD() external view returns (uint256);

    /// @notice {borrowRate} is per year of this many seconds.
    function SECONDS_PER_YEAR() external view returns (uint256);

    /// @notice The model's public instances: one packed input word, then one packed output word (2).
    function INSTANCE_COUNT() external view returns (uint256);

    /// @notice The number of model inputs (features): 4.
    function FEATURE_COUNT() external view returns (uint256);

    /// @notice The number of model outputs: 2.
    function OUTPUT_COUNT() external view returns (uint256);

    /// @notice The number of most recent price observations the features look at.
    function PRICE_WINDOW() external view returns (uint256);

    /// @notice The volatility feature is the mean absolute relative price change times this...
    function VOLATILITY_MULTIPLIER() external view returns (uint256);

    /// @notice ...capped at this (2.0).
    function VOLATILITY_CAP() external view returns (uint256);

    /// @notice The coverage feature is `min(collateral value / debt, MAX_COVERAGE) / MAX_COVERAGE`.
    function MAX_COVERAGE() external view returns (uint256);

    /// @notice {maxLtv} proposed by the model: `LTV_BASE + LTV_SPAN * y0`.
    function LTV_BASE() external view returns (uint256);

    /// @notice See {LTV_BASE}.
    function LTV_SPAN() external view returns (uint256);

    /// @notice {borrowRate} proposed by the model: `RATE_SPAN * y1`.
    function RATE_SPAN() external view returns (uint256);

    /// @notice {liquidationThreshold} is {maxLtv} plus this...
    function LIQUIDATION_BUFFER() external view returns (uint256);

    /// @notice ...capped at this.
    function MAX_LIQUIDATION_THRESHOLD() external view returns (uint256);

    /// @notice A liquidator receives collateral worth the debt it repays times (1 + this).
    function LIQUIDATION_BONUS() external view returns (uint256);

    /// @notice The highest rate ceiling the constructor accepts (100% a year).
    function MAX_RATE() external view returns (uint256);

    /// @notice The largest feature scale (verifier `SCALE()`) the vault accepts.
    function MAX_FEATURE_SCALE() external view returns (uint256);

    /// @notice The largest packing width (verifier `PACK_BITS()`) the vault accepts (4 inputs must fit
    /// one 252-bit word).
    function MAX_PACK_BITS() external view returns (uint256);

    /// @notice Lender shares have this many more decimals than the borrow token (ERC-4626's virtual
    /// shares: an inflation of the share price costs 10^6 times what it could take).
    function SHARE_DECIMALS_OFFSET() external view returns (uint8);
}
