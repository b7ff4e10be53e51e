// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IPriceHistory} from "./IPriceHistory.sol";

/// @title An owner-settable price source with a short history
/// @notice A stand-in for a real oracle in the vault example and its tests: the owner pushes
/// collateral prices (in borrow-token units, 18 decimals); the source keeps the last {CAPACITY}
/// observations with their timestamps in a ring buffer, which {AIRiskVault} reads for its
/// volatility and drawdown features.
/// @dev Not an oracle design: there is no staleness, deviation or multi-reporter logic.
contract MockPriceSource is IPriceHistory, Ownable {
    /// @notice The number of observations retained.
    uint256 public constant CAPACITY = 8;

    /// @notice One observation (a price and when it was pushed), packed into one slot.
    struct Observation {
        uint128 price;
        uint64 timestamp;
    }

    /// @notice The number of prices ever pushed; the next one is written at `totalObservations % CAPACITY`.
    uint256 public totalObservations;
    /// @dev The ring buffer.
    Observation[CAPACITY] private _ring;

    /// @notice A price must be in [1, 2^128).
    error InvalidPrice(uint256 price);
    /// @notice No price has been pushed yet.
    error NoPrice();

    /// @notice Observation number `sequence` (0-based) was recorded.
    event PricePushed(uint256 indexed sequence, uint256 price, uint256 timestamp);

    /// @notice Creates an empty source.
    /// @param initialOwner The account allowed to push prices.
    constructor(address initialOwner) Ownable(initialOwner) {}

    /// @notice Records a new price at the current block timestamp, overwriting the oldest one once
    /// {CAPACITY} are held.
    /// @dev Owner only. Reverts with {InvalidPrice} unless `0 < price < 2^128`. Emits {PricePushed}.
    /// @param price The collateral price in borrow-token units, 18 decimals.
    function pushPrice(uint256 price) external onlyOwner {
        if (price == 0 || price > type(uint128).max) revert InvalidPrice(price);
        uint256 sequence = totalObservations;
        // casting to 'uint128' is safe because of the check above; to 'uint64' because timestamps
        // stay below 2^64 for the foreseeable future
        // forge-lint: disable-next-line(unsafe-typecast)
        _ring[sequence % CAPACITY] = Observation({price: uint128(price), timestamp: uint64(block.timestamp)});
        totalObservations = sequence + 1;
        emit PricePushed(sequence, price, block.timestamp);
    }

    /// @inheritdoc IPriceHistory
    function latestPrice() external view returns (uint256 price) {
        (price,) = latestObservation();
    }

    /// @notice The most recent observation.
    /// @dev Reverts with {NoPrice} if nothing has been pushed.
    /// @return price Its price.
    /// @return timestamp Its timestamp.
    function latestObservation() public view returns (uint256 price, uint256 timestamp) {
        uint256 total = totalObservations;
        if (total == 0) revert NoPrice();
        Observation memory o = _ring[(total - 1) % CAPACITY];
        return (o.price, o.timestamp);
    }

    /// @notice The number of observations currently held.
    /// @return `min(totalObservations, CAPACITY)`.
    function observationCount() public view returns (uint256) {
        uint256 total = totalObservations;
        return total < CAPACITY ? total : CAPACITY;
    }

    /// @inheritdoc IPriceHistory
    function observations() external view returns (uint256[] memory prices, uint256[] memory timestamps) {
        uint256 n = observationCount();
        uint256 start = totalObservations - n;
        prices = new uint256[](n);
        timestamps = new uint256[](n);
        for (uint256 i = 0; i < n; ++i) {
            Observation memory o = _ring[(start + i) % CAPACITY];
            prices[i] = o.price;
            timestamps[i] = o.timestamp;
        }
    }
}
