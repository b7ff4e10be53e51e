// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IZkinferVerifier} from "../../IZkinferVerifier.sol";
import {MockCircuitInfo} from "../utils/MockCircuitInfo.sol";

/// @notice A stand-in for the generative model's verifier while its real proof fixture is being
/// produced (the approach of the vault's MockZkinferVerifier): accepts any proof, unless a test
/// configures it to revert with given data (e.g. a generated verifier's `ProofRejected()`) or to
/// return false. A test can also pin the exact call it expects ({expectCall}); any other proof or
/// instances then revert with {UnexpectedCall}, which checks the instances the NFT builds. Like a
/// generated verifier it states its circuit ({MockCircuitInfo}): by default the NFT's layout (4
/// features packed from instance 0, 64 pixels packed after them) at the scale and packing width it is
/// deployed with. The configuration lives in storage, so the runtime code (and the codehash the NFT
/// pins) never changes.
contract MockAIGCVerifier is IZkinferVerifier, MockCircuitInfo {
    /// @notice What {verifyProof} does.
    enum Mode {
        Accept,
        Revert,
        ReturnFalse
    }

    /// @notice The call did not carry the proof and instances set with {expectCall}.
    error UnexpectedCall(bytes proof, uint256[] instances);

    /// @notice What {verifyProof} does now.
    Mode public mode;
    /// @notice The revert data of {Mode.Revert}.
    bytes public revertData;
    /// @notice keccak256(abi.encode(proof, instances)) of the expected call (zero: any call).
    bytes32 public expectedCall;

    /// @param scale_ The stated `SCALE()`.
    /// @param packBits_ The stated `PACK_BITS()` and packing width.
    constructor(uint256 scale_, uint256 packBits_) MockCircuitInfo(scale_, packBits_, 4, 64) {}

    /// @notice Makes {verifyProof} revert with exactly `data`.
    function setRevert(bytes calldata data) external {
        mode = Mode.Revert;
        revertData = data;
    }

    /// @notice Makes {verifyProof} return false without reverting.
    function setReturnFalse() external {
        mode = Mode.ReturnFalse;
    }

    /// @notice Makes {verifyProof} accept everything again.
    function setAccept() external {
        mode = Mode.Accept;
    }

    /// @notice Accepts only this proof with these instances (before applying the mode).
    function expectCall(bytes calldata proof, uint256[] calldata instances) external {
        expectedCall = keccak256(abi.encode(proof, instances));
    }

    /// @notice Accepts any proof and instances again.
    function clearExpectedCall() external {
        expectedCall = bytes32(0);
    }

    /// @inheritdoc IZkinferVerifier
    function verifyProof(bytes calldata proof, uint256[] calldata instances) external view returns (bool) {
        bytes32 expected = expectedCall;
        if (expected != bytes32(0) && keccak256(abi.encode(proof, instances)) != expected) {
            revert UnexpectedCall(proof, instances);
        }
        Mode m = mode;
        if (m == Mode.Revert) {
            bytes memory data = revertData;
            assembly ("memory-safe") {
                revert(add(data, 0x20), mload(data))
            }
        }
        return m == Mode.Accept;
    }
}
