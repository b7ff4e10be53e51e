// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IZkinferVerifier} from "../../IZkinferVerifier.sol";
import {MockCircuitInfo} from "../utils/MockCircuitInfo.sol";

/// @notice A stand-in for the vault model's generated verifier: accepts any proof, unless a test
/// configures it to revert with given data (e.g. a generated verifier's `ProofRejected()`) or to
/// return false. Like a generated verifier it states its circuit ({MockCircuitInfo}): by default the
/// vault's layout (4 inputs packed in instance 0, 2 outputs packed in instance 1) at the scale and
/// packing width it is deployed with. The configuration lives in storage, so the runtime code (and
/// the codehash a consumer pins) never changes.
contract MockZkinferVerifier is IZkinferVerifier, MockCircuitInfo {
    /// @notice What {verifyProof} does.
    enum Mode {
        Accept,
        Revert,
        ReturnFalse
    }

    /// @notice What {verifyProof} does now.
    Mode public mode;
    /// @notice The revert data of {Mode.Revert}.
    bytes public revertData;

    /// @param scale_ The stated `SCALE()`.
    /// @param packBits_ The stated `PACK_BITS()` and packing width.
    constructor(uint256 scale_, uint256 packBits_) MockCircuitInfo(scale_, packBits_, 4, 2) {}

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

    /// @inheritdoc IZkinferVerifier
    function verifyProof(bytes calldata, uint256[] calldata) external view returns (bool) {
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
