// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title The external surface of {ZkinferConsumer}
/// @notice Its custom errors, events and functions: the pinned model (verifier, codehash, instance
/// count, verifying-key contract) and its timelocked rotation. Every contract built on
/// {ZkinferConsumer} (e.g. `AIRiskVault`, `ZkinferAIGCNFT`) has them in its ABI.
/// @dev Self-contained on purpose (no imports, plain `address` instead of interface types): the Rust
/// side reads it with alloy's `sol!`, which follows no imports. Ownership (`owner()`,
/// `transferOwnership`, ...) is OpenZeppelin's {Ownable2Step} and not repeated here.
interface IZkinferConsumer {
    // ------------------------------------------------------------------------------------------
    // Errors
    // ------------------------------------------------------------------------------------------

    /// @notice A proof carried `actual` instances but the pinned model has `expected`.
    error InstanceCountMismatch(uint256 expected, uint256 actual);
    /// @notice The verifier rejected the proof; `reason` is its revert data (its custom error, e.g.
    /// `ProofRejected()`), or its return data if it returned without reverting but not `true`.
    error VerificationFailed(bytes reason);
    /// @notice The runtime code at `account` hashes to `actual`, not the pinned/expected `expected`.
    error CodehashMismatch(address account, bytes32 expected, bytes32 actual);
    /// @notice `verifier` has no code.
    error InvalidVerifier(address verifier);
    /// @notice An instance count must be in [1, 2^32) and equal the verifier's `NUM_INSTANCES()` if it states one.
    error InvalidInstanceCount(uint256 instanceCount);
    /// @notice A rotation delay must be at least {MIN_ROTATION_DELAY} and at most {MAX_ROTATION_DELAY}.
    error InvalidRotationDelay(uint256 rotationDelay);
    /// @notice A rotation to `verifier` is already pending; cancel it first.
    error RotationPending(address verifier);
    /// @notice No rotation is pending.
    error NoPendingRotation();
    /// @notice The pending rotation cannot be executed before `executableAt`.
    error RotationNotReady(uint256 executableAt);
    /// @notice `verifier` does not answer the `IZkinferCircuitInfo` getters (`SCALE()`, `PACK_BITS()`,
    /// `instanceBlocks()`, `NUM_INSTANCES()`) that the consumer needs to check its circuit.
    error MissingCircuitInfo(address verifier);
    /// @notice `verifier` states `actual` for the circuit fact `fact`; the consumer decodes with
    /// `expected`. `fact` names a getter of `IZkinferCircuitInfo` (`"SCALE"`, `"PACK_BITS"`,
    /// `"NUM_INSTANCES"`) or a field of its instance layout (`"instanceBlocks.length"`,
    /// `"instanceBlocks[1].values"`, ...; `side` as its enum index, `commitment` as 0 or 1).
    error CircuitMismatch(address verifier, string fact, uint256 expected, uint256 actual);

    // ------------------------------------------------------------------------------------------
    // Events
    // ------------------------------------------------------------------------------------------

    /// @notice The owner proposed `newVerifier` (runtime codehash `codehash`, proofs with
    /// `instanceCount` instances) to replace `currentVerifier`, executable from `executableAt` on.
    event VerifierRotationProposed(
        address indexed currentVerifier,
        address indexed newVerifier,
        bytes32 codehash,
        uint256 instanceCount,
        uint256 executableAt
    );
    /// @notice The owner cancelled the pending rotation to `newVerifier`.
    event VerifierRotationCancelled(address indexed newVerifier);
    /// @notice Proofs are now checked by `newVerifier` instead of `oldVerifier` (zero at deployment).
    event VerifierRotated(address indexed oldVerifier, address indexed newVerifier);

    // ------------------------------------------------------------------------------------------
    // Model rotation
    // ------------------------------------------------------------------------------------------

    /// @notice Proposes a new model; executable with {executeVerifierRotation} after {rotationDelay}.
    /// @param newVerifier The new zkinfer-generated verifier.
    /// @param codehash The keccak256 of its runtime code; must match now and at execution.
    /// @param instanceCount The number of public instances of the new model's proofs.
    function proposeVerifier(address newVerifier, bytes32 codehash, uint256 instanceCount) external;

    /// @notice Executes the pending rotation once its delay has passed.
    function executeVerifierRotation() external;

    /// @notice Cancels the pending rotation.
    function cancelVerifierRotation() external;

    // ------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------

    /// @notice The longest rotation delay the constructor accepts.
    /// @return The delay in seconds.
    function MAX_ROTATION_DELAY() external view returns (uint256);

    /// @notice The shortest rotation delay the constructor accepts: users must have time to see a
    /// proposed model and leave before it takes effect.
    /// @return The delay in seconds.
    function MIN_ROTATION_DELAY() external view returns (uint256);

    /// @notice The pinned verifier.
    /// @return The verifier proofs are checked with.
    function verifier() external view returns (address);

    /// @notice The pinned keccak256 of the verifier's runtime code.
    /// @return The codehash.
    function verifierCodehash() external view returns (bytes32);

    /// @notice The number of public instances a proof must carry.
    /// @return The instance count.
    function expectedInstanceCount() external view returns (uint256);

    /// @notice The pinned verifying-key contract of a separate-verifying-key verifier.
    /// @return vk Its address (zero if the verifier has its key built in).
    /// @return codehash Its pinned codehash (zero if none).
    function verifyingKey() external view returns (address vk, bytes32 codehash);

    /// @notice The delay between proposing and executing a rotation.
    /// @return The delay in seconds.
    function rotationDelay() external view returns (uint256);

    /// @notice The pending rotation (all zero if none).
    /// @return newVerifier The proposed verifier.
    /// @return codehash Its proposed codehash.
    /// @return instanceCount Its instance count.
    /// @return executableAt The earliest execution time (a unix timestamp).
    function pendingRotation()
        external
        view
        returns (address newVerifier, bytes32 codehash, uint256 instanceCount, uint256 executableAt);
}
