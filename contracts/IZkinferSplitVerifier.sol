// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IZkinferVerifier} from "./IZkinferVerifier.sol";

/// @title A zkinfer verifier in separate-verifying-key mode
/// @notice Past the EIP-170 code-size limit the generated verifier reads its verifying key from a
/// second contract, whose address it fixes at deployment (after checking that contract's codehash).
/// These are its extra getters; {ZkinferConsumer} uses them to pin the verifying key too.
interface IZkinferSplitVerifier is IZkinferVerifier {
    /// @notice The verifying-key contract the verifier reads.
    /// @return The address, fixed at the verifier's deployment.
    function verifyingKey() external view returns (address);

    /// @notice The keccak256 of the verifying-key contract's runtime code.
    /// @return The codehash.
    function VK_CODEHASH() external view returns (bytes32);
}
