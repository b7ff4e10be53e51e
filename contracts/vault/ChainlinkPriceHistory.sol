// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IPriceHistory} from "./IPriceHistory.sol";

/// @title The vault's price source backed by a Chainlink feed
/// @notice Reads the collateral price and its recent history from a Chainlink `AggregatorV3Interface`
/// (the feed protocols already run) instead of an owner-pushed mock: {latestPrice} is the latest
/// round, {observations} the last {ROUNDS} rounds, oldest first, each checked and converted to the
/// vault's units (one base unit of collateral in base units of the borrow token, times 10^18).
///
/// A round is refused, and the call reverts rather than hand the vault a wrong number, when its
/// answer is not positive ({NonPositiveAnswer}), when it is incomplete (`updatedAt == 0`, or answered
/// in an earlier round: {IncompleteRound}) or, for the latest round, when it is older than
/// {MAX_AGE} ({StalePrice}). The history walks back through the feed's rounds within its current
/// phase (Chainlink round ids are `phaseId << 64 | aggregatorRoundId`); it never mixes phases, and
/// {InsufficientHistory} reverts if the phase holds fewer than {ROUNDS} rounds.
/// @dev Stateless: the feed's own round data is the history, so there is nothing to keep current.
/// The vault reads {observations} in {AIRiskVault-currentFeatures}, and the keeper reads the same
/// function off chain, so both see the same rounds at the same block.
contract ChainlinkPriceHistory is IPriceHistory {
    /// @notice The feed.
    AggregatorV3Interface public immutable FEED;
    /// @notice How many rounds {observations} returns (the vault's features use the last 8).
    uint256 public immutable ROUNDS;
    /// @notice The oldest the latest round may be, in seconds.
    uint256 public immutable MAX_AGE;
    /// @dev price = answer * _NUMERATOR / _DENOMINATOR (decimals of the feed and both tokens).
    uint256 private immutable _NUMERATOR;
    uint256 private immutable _DENOMINATOR;

    /// @notice `rounds` must be in [2, 64], `maxAge` positive and every decimals value at most 36.
    error InvalidConfig();
    /// @notice Round `roundId` answered `answer`, which is not a price.
    error NonPositiveAnswer(uint80 roundId, int256 answer);
    /// @notice Round `roundId` is not complete (not updated, or answered in an earlier round).
    error IncompleteRound(uint80 roundId);
    /// @notice The latest round (`roundId`) was updated at `updatedAt`, more than {MAX_AGE} ago.
    error StalePrice(uint80 roundId, uint256 updatedAt);
    /// @notice The feed's current phase holds only `available` rounds; {ROUNDS} are needed.
    error InsufficientHistory(uint256 available);

    /// @param feed The Chainlink feed of the collateral's price in the borrow token's currency.
    /// @param collateralDecimals The collateral token's decimals.
    /// @param borrowDecimals The borrow token's decimals.
    /// @param rounds How many rounds {observations} returns.
    /// @param maxAge The oldest the latest round may be, in seconds (e.g. the feed's heartbeat plus
    /// a margin).
    constructor(
        AggregatorV3Interface feed,
        uint256 collateralDecimals,
        uint256 borrowDecimals,
        uint256 rounds,
        uint256 maxAge
    ) {
        uint256 feedDecimals = feed.decimals();
        if (rounds < 2 || rounds > 64 || maxAge == 0) revert InvalidConfig();
        if (feedDecimals > 36 || collateralDecimals > 36 || borrowDecimals > 36) revert InvalidConfig();
        FEED = feed;
        ROUNDS = rounds;
        MAX_AGE = maxAge;
        // answer / 10^feed is the price of one whole collateral token in whole borrow tokens; per
        // base unit and times 10^18: answer * 10^(18 + borrow) / 10^(feed + collateral).
        _NUMERATOR = 10 ** (18 + borrowDecimals);
        _DENOMINATOR = 10 ** (feedDecimals + collateralDecimals);
    }

    /// @inheritdoc IPriceHistory
    /// @dev Reverts with {NonPositiveAnswer}, {IncompleteRound} or {StalePrice}.
    function latestPrice() external view returns (uint256 price) {
        (uint80 roundId, int256 answer,, uint256 updatedAt, uint80 answeredInRound) = FEED.latestRoundData();
        _checkLatest(roundId, answer, updatedAt, answeredInRound);
        return _scale(answer);
    }

    /// @inheritdoc IPriceHistory
    /// @dev The last {ROUNDS} rounds of the current phase, oldest first; the timestamps are the
    /// rounds' `updatedAt`. Reverts like {latestPrice} for the latest round, with {NonPositiveAnswer}
    /// or {IncompleteRound} for an earlier one, and with {InsufficientHistory}.
    function observations() external view returns (uint256[] memory prices, uint256[] memory timestamps) {
        (uint80 roundId, int256 answer,, uint256 updatedAt, uint80 answeredInRound) = FEED.latestRoundData();
        _checkLatest(roundId, answer, updatedAt, answeredInRound);
        uint256 n = ROUNDS;
        // The aggregator round id is the low 64 bits; rounds 1..id exist in this phase.
        uint256 available = uint64(roundId);
        if (available < n) revert InsufficientHistory(available);
        prices = new uint256[](n);
        timestamps = new uint256[](n);
        prices[n - 1] = _scale(answer);
        timestamps[n - 1] = updatedAt;
        for (uint256 k = 1; k < n; ++k) {
            uint80 id = roundId - uint80(k);
            (, int256 a,, uint256 u, uint80 answeredIn) = FEED.getRoundData(id);
            _checkRound(id, a, u, answeredIn);
            prices[n - 1 - k] = _scale(a);
            timestamps[n - 1 - k] = u;
        }
    }

    function _checkLatest(uint80 roundId, int256 answer, uint256 updatedAt, uint80 answeredInRound) private view {
        _checkRound(roundId, answer, updatedAt, answeredInRound);
        if (updatedAt > block.timestamp || block.timestamp - updatedAt > MAX_AGE) {
            revert StalePrice(roundId, updatedAt);
        }
    }

    function _checkRound(uint80 roundId, int256 answer, uint256 updatedAt, uint80 answeredInRound) private pure {
        if (updatedAt == 0 || answeredInRound < roundId) revert IncompleteRound(roundId);
        if (answer <= 0) revert NonPositiveAnswer(roundId, answer);
    }

    function _scale(int256 answer) private view returns (uint256) {
        // casting to 'uint256' is safe because the answer was checked positive
        // forge-lint: disable-next-line(unsafe-typecast)
        return Math.mulDiv(uint256(answer), _NUMERATOR, _DENOMINATOR);
    }
}
