// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

/// @notice A Chainlink-style feed whose rounds a test writes directly: {report} appends a round in
/// the current phase as a feed's aggregator would; {setRound} overwrites any field of any round, to
/// build the incomplete, negative or stale rounds a real feed can return; {newPhase} starts a phase
/// (round ids `phase << 64 | n`), as a feed's proxy does when its aggregator is replaced.
contract MockAggregator is AggregatorV3Interface {
    struct Round {
        int256 answer;
        uint256 startedAt;
        uint256 updatedAt;
        uint80 answeredInRound;
    }

    uint8 public immutable decimals;
    uint80 public latestRound;
    mapping(uint80 roundId => Round) public rounds;

    constructor(uint8 decimals_) {
        decimals = decimals_;
        latestRound = uint80(1) << 64; // phase 1, no round yet
    }

    function description() external pure returns (string memory) {
        return "mock / test";
    }

    function version() external pure returns (uint256) {
        return 4;
    }

    /// @notice Appends a complete round answering `answer` now.
    function report(int256 answer) external returns (uint80 roundId) {
        roundId = latestRound + 1;
        rounds[roundId] = Round(answer, block.timestamp, block.timestamp, roundId);
        latestRound = roundId;
    }

    /// @notice Overwrites round `roundId` (and makes it the latest if it is past it).
    function setRound(uint80 roundId, int256 answer, uint256 updatedAt, uint80 answeredInRound) external {
        rounds[roundId] = Round(answer, updatedAt, updatedAt, answeredInRound);
        if (roundId > latestRound) latestRound = roundId;
    }

    /// @notice Starts phase `phase`: the next {report} is its round 1.
    function newPhase(uint16 phase) external {
        latestRound = uint80(phase) << 64;
    }

    function getRoundData(uint80 roundId) public view returns (uint80, int256, uint256, uint256, uint80) {
        Round memory r = rounds[roundId];
        // Chainlink proxies revert for a round they never saw; an empty round here has updatedAt 0.
        return (roundId, r.answer, r.startedAt, r.updatedAt, r.answeredInRound);
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        return getRoundData(latestRound);
    }
}
