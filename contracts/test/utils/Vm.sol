// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title The Foundry cheatcodes our tests use
/// @notice A minimal subset of forge-std's `Vm` interface (forge-std is not a dependency). Each
/// signature is copied exactly from the cheatcode definitions shipped in forge 1.7.1: the selector is
/// what the cheatcode handler matches. Add more the same way when a test needs them.
interface Vm {
    /// @notice Sets `block.timestamp`.
    /// @param newTimestamp The new timestamp.
    function warp(uint256 newTimestamp) external;

    /// @notice Sets `block.number`.
    /// @param newHeight The new block number.
    function roll(uint256 newHeight) external;

    /// @notice Sets `msg.sender` for the next call.
    /// @param msgSender The sender.
    function prank(address msgSender) external;

    /// @notice Sets `msg.sender` for all subsequent calls until {stopPrank}.
    /// @param msgSender The sender.
    function startPrank(address msgSender) external;

    /// @notice Stops an active {startPrank}.
    function stopPrank() external;

    /// @notice Sets the runtime code at `target`.
    /// @param target The account.
    /// @param newRuntimeBytecode The new code.
    function etch(address target, bytes calldata newRuntimeBytecode) external;

    /// @notice Expects the next call to revert with exactly this 4-byte revert data (a custom error
    /// without arguments).
    /// @param revertData The error selector.
    function expectRevert(bytes4 revertData) external;

    /// @notice Expects the next call to revert with exactly this revert data.
    /// @param revertData The full revert data (e.g. `abi.encodeWithSelector(...)`).
    function expectRevert(bytes calldata revertData) external;

    /// @notice Expects the next emitted event to match the one the test emits next (any emitter).
    /// @param checkTopic1 Compare topic 1.
    /// @param checkTopic2 Compare topic 2.
    /// @param checkTopic3 Compare topic 3.
    /// @param checkData Compare the data.
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData) external;

    /// @notice Expects the next emitted event to match the one the test emits next, from `emitter`.
    /// @param checkTopic1 Compare topic 1.
    /// @param checkTopic2 Compare topic 2.
    /// @param checkTopic3 Compare topic 3.
    /// @param checkData Compare the data.
    /// @param emitter The expected emitting contract.
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData, address emitter) external;

    /// @notice Has all subsequent calls (at this call depth only) create transactions that can later
    /// be signed and sent onchain, from the script's sender (e.g. the `--private-key` account).
    function startBroadcast() external;

    /// @notice Stops collecting onchain transactions.
    function stopBroadcast() external;

    /// @notice Reads the string at `key` (a JSONPath such as `.attributes[0].value`) of the JSON
    /// document `json`; reverts if the document is not valid JSON or has no such string.
    function parseJsonString(string calldata json, string calldata key) external pure returns (string memory);

    /// @notice Reads environment variable `name` as an address, or returns `defaultValue` when it is
    /// not set.
    function envOr(string calldata name, address defaultValue) external view returns (address value);
}

// The cheatcode contract's address: `address(uint160(uint256(keccak256("hevm cheat code"))))`.
Vm constant VM = Vm(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);
