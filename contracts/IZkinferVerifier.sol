// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title The interface every zkinfer-generated verifier implements
/// @notice The Rust calldata encoder is generated from this same file (alloy `sol!`), so the two
/// cannot drift.
interface IZkinferVerifier {
    /// @notice The calldata is not the standard ABI encoding of `verifyProof`, or the proof length or
    /// instance count is not the circuit's.
    error InvalidCalldata();
    /// @notice An instance is not below the scalar field modulus r.
    error InvalidInstance();
    /// @notice A proof point has a coordinate not below q, or is not on the curve.
    error InvalidPoint();
    /// @notice A proof scalar is not below r.
    error InvalidScalar();
    /// @notice A precompile call (modexp, ecAdd, ecMul, pairing) failed.
    error PrecompileFailed();
    /// @notice The pairing check failed: the proof is not valid for these instances.
    error ProofRejected();

    /// @notice Returns true if `proof` is valid for `instances`; reverts (with a custom error) otherwise.
    /// @param proof The proof bytes, as in proof.json's `proof`.
    /// @param instances Public instances in circuit order: field elements below r; a negative
    /// fixed-point value x arrives as r - |x|.
    function verifyProof(bytes calldata proof, uint256[] calldata instances) external view returns (bool);
}

/// @title What every zkinfer-generated verifier says about its circuit
/// @notice Lets a consumer, a deploy script or a keeper read which circuit an address verifies and
/// what its instances mean, instead of trusting a deployment record or constants typed by hand.
/// Generated verifiers declare these functions themselves (same ABI); mocks may implement them.
interface IZkinferCircuitInfo {
    /// @notice Which side of the model a block of instances belongs to.
    enum Side {
        Input,
        Output,
        Params
    }

    /// @notice One contiguous block of public instances: one model input or output tensor, or one
    /// Poseidon commitment (hashed inputs, outputs or weights).
    /// @param side The model's inputs, outputs, or parameters (weights and biases).
    /// @param commitment True: the block is one instance, the Poseidon commitment to every value of
    /// the side (see the README's "Privacy modes"); false: the values themselves.
    /// @param offset The index of the block's first instance.
    /// @param words The number of instances (field elements) in the block.
    /// @param values The number of values the block holds or commits to (tensor elements, row-major).
    /// @param packBits Bits per value in a packed word (`ZkinferInstances.unpack`); 0 when each value
    /// is its own instance, and for a commitment.
    struct InstanceBlock {
        Side side;
        bool commitment;
        uint32 offset;
        uint32 words;
        uint32 values;
        uint8 packBits;
    }

    /// @notice The number of public instances `verifyProof` takes.
    function NUM_INSTANCES() external view returns (uint256);
    /// @notice halo2's verifying-key digest: the `vk digest` zkinfer prints at setup and writes in proofs.
    function VK_DIGEST() external view returns (uint256);
    /// @notice Fractional bits of every fixed-point value in the instances: real value = v / 2^SCALE.
    function SCALE() external view returns (uint256);
    /// @notice Bits per packed value, the same for every packed block; 0 when values are not packed.
    function PACK_BITS() external view returns (uint256);
    /// @notice The instance layout, blocks in instance order (inputs, then outputs, then parameters).
    function instanceBlocks() external view returns (InstanceBlock[] memory);
    /// @notice True when the verifying key was made from zkinfer's development SRS, whose secret is
    /// public: anyone can forge proofs this verifier accepts. Never trust such a verifier on a real
    /// chain.
    function DEV_SRS() external view returns (bool);
}
