// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AIRiskVault} from "../../vault/AIRiskVault.sol";
import {ChainlinkPriceHistory} from "../../vault/ChainlinkPriceHistory.sol";
import {MockPriceSource} from "../../vault/MockPriceSource.sol";
import {MockAggregator} from "./MockAggregator.sol";
import {VaultTestBase} from "./VaultTestBase.sol";
import {VM} from "../utils/Vm.sol";

/// @notice The Chainlink adapter: rounds read, checked and scaled as the vault needs them, refused
/// when a feed returns what no price should be; and a vault on it computes the same features as a
/// vault on the mock source holding the same prices.
contract ChainlinkPriceHistoryTest is VaultTestBase {
    MockAggregator internal feed;
    ChainlinkPriceHistory internal history;

    uint256 internal constant MAX_AGE = 1 hours;
    /// @dev The vault example's price path, in the feed's 8 decimals.
    int256[8] internal path = [int256(2000e8), 2100e8, 1995e8, 2000e8, 1900e8, 1950e8, 2050e8, 2000e8];

    function setUp() public {
        _deploy();
        feed = new MockAggregator(8);
        for (uint256 i = 0; i < path.length; ++i) {
            VM.warp(START + 60 * i);
            feed.report(path[i]);
        }
        history = new ChainlinkPriceHistory(feed, 18, 18, 8, MAX_AGE);
    }

    function test_observations_areTheLastRoundsOldestFirst() public view {
        (uint256[] memory p, uint256[] memory t) = history.observations();
        _eq(p.length, 8);
        for (uint256 i = 0; i < 8; ++i) {
            // casting to 'uint256' is safe because the path's answers are positive
            // forge-lint: disable-next-line(unsafe-typecast)
            _eq(p[i], uint256(path[i]) * 1e10);
            _eq(t[i], START + 60 * i);
        }
        _eq(history.latestPrice(), 2000e18);
    }

    function test_moreRoundsThanTheWindow_keepsTheLatest() public {
        VM.warp(START + 1000);
        feed.report(1800e8);
        (uint256[] memory p,) = history.observations();
        _eq(p[0], 2100e18);
        _eq(p[7], 1800e18);
    }

    /// @notice WBTC (8 decimals) priced in USDC (6 decimals) by an 8-decimal feed: one satoshi in
    /// USDC base units, times 10^18.
    function test_decimals_areScaled() public {
        ChainlinkPriceHistory btc = new ChainlinkPriceHistory(feed, 8, 6, 2, MAX_AGE);
        // 2000 USD per whole token = 2000e6 USDC units per 1e8 satoshi = 20 units per satoshi.
        _eq(btc.latestPrice(), 20 * WAD);
    }

    function test_staleLatestRound_reverts() public {
        VM.warp(START + 60 * 7 + MAX_AGE + 1);
        uint80 latest = feed.latestRound();
        VM.expectRevert(abi.encodeWithSelector(ChainlinkPriceHistory.StalePrice.selector, latest, START + 60 * 7));
        history.latestPrice();
        VM.expectRevert(abi.encodeWithSelector(ChainlinkPriceHistory.StalePrice.selector, latest, START + 60 * 7));
        history.observations();
    }

    function test_roundFromTheFuture_reverts() public {
        uint80 latest = feed.latestRound();
        feed.setRound(latest, 2000e8, block.timestamp + 1, latest);
        VM.expectRevert(abi.encodeWithSelector(ChainlinkPriceHistory.StalePrice.selector, latest, block.timestamp + 1));
        history.latestPrice();
    }

    function test_nonPositiveAnswers_revert() public {
        uint80 latest = feed.latestRound();
        feed.setRound(latest, 0, block.timestamp, latest);
        VM.expectRevert(abi.encodeWithSelector(ChainlinkPriceHistory.NonPositiveAnswer.selector, latest, int256(0)));
        history.latestPrice();
        feed.setRound(latest, 2000e8, block.timestamp, latest);
        feed.setRound(latest - 3, -1, block.timestamp, latest - 3);
        VM.expectRevert(abi.encodeWithSelector(ChainlinkPriceHistory.NonPositiveAnswer.selector, latest - 3, -1));
        history.observations();
    }

    function test_incompleteRounds_revert() public {
        uint80 latest = feed.latestRound();
        // Answered in an earlier round (a carried-over answer).
        feed.setRound(latest, 2000e8, block.timestamp, latest - 1);
        VM.expectRevert(abi.encodeWithSelector(ChainlinkPriceHistory.IncompleteRound.selector, latest));
        history.latestPrice();
        feed.setRound(latest, 2000e8, block.timestamp, latest);
        // A round in the window never updated.
        feed.setRound(latest - 5, 1990e8, 0, latest - 5);
        VM.expectRevert(abi.encodeWithSelector(ChainlinkPriceHistory.IncompleteRound.selector, latest - 5));
        history.observations();
    }

    /// @notice After the feed's aggregator is replaced, the history does not reach into the old
    /// phase: it refuses until the new phase has a full window.
    function test_newPhase_needsAFullWindow() public {
        feed.newPhase(2);
        for (uint256 i = 0; i < 3; ++i) {
            feed.report(2000e8);
        }
        VM.expectRevert(abi.encodeWithSelector(ChainlinkPriceHistory.InsufficientHistory.selector, 3));
        history.observations();
        _eq(history.latestPrice(), 2000e18);
        for (uint256 i = 0; i < 5; ++i) {
            feed.report(2000e8);
        }
        (uint256[] memory p,) = history.observations();
        _eq(p.length, 8);
    }

    function test_constructor_rejectsBadConfig() public {
        VM.expectRevert(ChainlinkPriceHistory.InvalidConfig.selector);
        new ChainlinkPriceHistory(feed, 18, 18, 1, MAX_AGE);
        VM.expectRevert(ChainlinkPriceHistory.InvalidConfig.selector);
        new ChainlinkPriceHistory(feed, 18, 18, 8, 0);
        VM.expectRevert(ChainlinkPriceHistory.InvalidConfig.selector);
        new ChainlinkPriceHistory(feed, 37, 18, 8, MAX_AGE);
    }

    /// @notice The same position and prices give the same features whether the vault reads the mock
    /// source or the Chainlink adapter: the adapter fits where the mock was.
    function test_vaultFeatures_matchTheMockSource() public {
        // A day's leeway: the features are read two epochs after the last round.
        history = new ChainlinkPriceHistory(feed, 18, 18, 8, 1 days);
        MockPriceSource mock = new MockPriceSource(address(this));
        for (uint256 i = 0; i < path.length; ++i) {
            // casting to 'uint256' is safe because the path's answers are positive
            // forge-lint: disable-next-line(unsafe-typecast)
            mock.pushPrice(uint256(path[i]) * 1e10);
        }
        AIRiskVault onMock = new AIRiskVault(
            collateral, asset, mock, _config(), verifier, address(verifier).codehash, DELAY, address(this)
        );
        AIRiskVault onFeed = new AIRiskVault(
            collateral, asset, history, _config(), verifier, address(verifier).codehash, DELAY, address(this)
        );
        AIRiskVault[2] memory vaults = [onMock, onFeed];
        for (uint256 v = 0; v < 2; ++v) {
            vault = vaults[v];
            _lend(LENDER, 10_000e18);
            _post(BORROWER, 5e18);
            _borrow(BORROWER, 4000e18);
        }
        _settle(); // the model reads the previous epoch's averages
        int256[4] memory a = onMock.currentFeatures();
        int256[4] memory b = onFeed.currentFeatures();
        for (uint256 i = 0; i < 4; ++i) {
            _eq(a[i], b[i]);
        }
        _eq(onMock.expectedInputWord(), onFeed.expectedInputWord());
        // The example state's features at 7 bits: utilisation 0.4, volatility, drawdown, coverage.
        _eq(b[0], 51);
        _eq(b[3], 80);
    }
}
