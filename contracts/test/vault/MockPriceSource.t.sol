// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {MockPriceSource} from "../../vault/MockPriceSource.sol";
import {VM} from "../utils/Vm.sol";

/// @notice MockPriceSource: the ring buffer of the last 8 observations, oldest first.
contract MockPriceSourceTest {
    uint256 internal constant START = 1_700_000_000;
    address internal constant STRANGER = address(0xBEEF);

    error Mismatch(uint256 actual, uint256 expected);

    event PricePushed(uint256 indexed sequence, uint256 price, uint256 timestamp);

    MockPriceSource internal source;

    function setUp() public {
        VM.warp(START);
        source = new MockPriceSource(address(this));
    }

    function _eq(uint256 actual, uint256 expected) internal pure {
        if (actual != expected) revert Mismatch(actual, expected);
    }

    function test_emptySource() public {
        (uint256[] memory p, uint256[] memory t) = source.observations();
        _eq(p.length, 0);
        _eq(t.length, 0);
        _eq(source.observationCount(), 0);
        VM.expectRevert(MockPriceSource.NoPrice.selector);
        source.latestPrice();
    }

    function test_ringBufferKeepsTheLastEight() public {
        for (uint256 i = 1; i <= 11; ++i) {
            VM.warp(START + i * 60);
            VM.expectEmit(true, false, false, true, address(source));
            emit PricePushed(i - 1, i * 1e18, START + i * 60);
            source.pushPrice(i * 1e18);
        }
        _eq(source.totalObservations(), 11);
        _eq(source.observationCount(), 8);
        _eq(source.latestPrice(), 11e18);
        (uint256 price, uint256 timestamp) = source.latestObservation();
        _eq(price, 11e18);
        _eq(timestamp, START + 660);
        (uint256[] memory p, uint256[] memory t) = source.observations();
        _eq(p.length, 8);
        for (uint256 k = 0; k < 8; ++k) {
            // Oldest first: observations 4..11.
            _eq(p[k], (k + 4) * 1e18);
            _eq(t[k], START + (k + 4) * 60);
        }
    }

    function testFuzz_observationsAreTheLastPushed(uint256 pushes, uint256 seed) public {
        pushes = pushes % 30;
        uint256[] memory all = new uint256[](pushes);
        for (uint256 i = 0; i < pushes; ++i) {
            all[i] = uint256(keccak256(abi.encode(seed, i))) % type(uint128).max + 1;
            source.pushPrice(all[i]);
        }
        (uint256[] memory p,) = source.observations();
        uint256 n = pushes < 8 ? pushes : 8;
        _eq(p.length, n);
        for (uint256 k = 0; k < n; ++k) {
            _eq(p[k], all[pushes - n + k]);
        }
    }

    function testRevert_pushPriceChecks() public {
        VM.expectRevert(abi.encodeWithSelector(MockPriceSource.InvalidPrice.selector, 0));
        source.pushPrice(0);
        VM.expectRevert(abi.encodeWithSelector(MockPriceSource.InvalidPrice.selector, 2 ** 128));
        source.pushPrice(2 ** 128);
        source.pushPrice(2 ** 128 - 1);
        VM.prank(STRANGER);
        VM.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, STRANGER));
        source.pushPrice(1e18);
    }
}
