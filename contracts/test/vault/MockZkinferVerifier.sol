// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IZkinferVerifier} from "../../IZkinferVerifier.sol";

/// @notice A stand-in for the vault model's generated verifier while its real proof fixtures are
/// being produced: accepts any proof, unless a test configures it to revert with given data (e.g. a
/// generated verifier's `ProofRejected()`) or to return false. The configuration lives in storage, so
/// the runtime code (and the codehash a consumer pins) never changes.
contract MockZkinferVerifier is IZkinferVerifier {
    /// @notice What {verifyProof} does.
    enum Mode {
        Accept,
        Revert,
        ReturnFalse
    }

    Mode public mode;
    bytes public revertData;

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
