// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title The interface every zkinfer-generated verifier implements
/// @notice The Rust calldata encoder is generated from this same file (alloy `sol!`), so the two
/// cannot drift.
interface IZkinferVerifier {
    /// @notice Returns true if `proof` is valid for `instances`; reverts (with a custom error) otherwise.
    /// @param proof The proof bytes, as in proof.json's `proof`.
    /// @param instances Public instances in circuit order: field elements below r; a negative
    /// fixed-point value x arrives as r - |x|.
    function verifyProof(bytes calldata proof, uint256[] calldata instances) external view returns (bool);
}

/// @title What every zkinfer-generated verifier says about its circuit
/// @notice Lets a consumer or a keeper check which circuit an address verifies before trusting it
/// (mocks and other verifiers need not implement it).
interface IZkinferCircuitInfo {
    /// @notice The number of public instances `verifyProof` takes.
    function NUM_INSTANCES() external view returns (uint256);
    /// @notice halo2's verifying-key digest: the `vk digest` zkinfer prints at setup and writes in proofs.
    function VK_DIGEST() external view returns (uint256);
}
