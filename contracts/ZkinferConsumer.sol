// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IZkinferCircuitInfo, IZkinferVerifier} from "./IZkinferVerifier.sol";
import {IZkinferSplitVerifier} from "./IZkinferSplitVerifier.sol";
import {ZkinferInstances} from "./ZkinferInstances.sol";

/// @title A base contract for protocols that act on zkinfer proofs
/// @notice Pins one model: the address of its zkinfer-generated verifier, the keccak256 of that
/// verifier's runtime code (EXTCODEHASH, so the exact bytecode is pinned, not just an address) and the
/// number of public instances its proofs carry. For a separate-verifying-key verifier (one that exposes
/// `verifyingKey()` and `VK_CODEHASH()`), the verifying-key contract's address and codehash are pinned
/// too; this is detected automatically.
///
/// Inherit it, and call {_verifyProof} or {_verifyAndDecode} from your own entry points. Changing the
/// model is explicit, evented and timelocked: the owner proposes a new verifier
/// ({proposeVerifier}, event {VerifierRotationProposed} with the earliest execution time), and after
/// {rotationDelay} seconds executes it ({executeVerifierRotation}, event {VerifierRotated}) or cancels
/// it ({cancelVerifierRotation}). Users who disagree with a proposed model have the delay to leave.
///
/// Ownership is OpenZeppelin's {Ownable2Step}. Renouncing it freezes the model for good (a pending
/// rotation can then never be executed).
/// @dev A rotation must keep the instance layout (word offsets, range bits) that the inheriting
/// contract's decoding assumes; the pinned instance count catches only some layout changes.
abstract contract ZkinferConsumer is Ownable2Step {
    /// @notice The longest rotation delay the constructor accepts.
    uint256 public constant MAX_ROTATION_DELAY = 365 days;

    /// @notice The pinned model.
    /// @dev Slot 0 (`verifier`, `instanceCount`, `hasVerifyingKey`) and slot 1 (`codehash`) are read
    /// on every verification; slots 2 and 3 only for separate-verifying-key verifiers.
    struct Model {
        IZkinferVerifier verifier;
        uint32 instanceCount;
        bool hasVerifyingKey;
        bytes32 codehash;
        address verifyingKey;
        bytes32 verifyingKeyCodehash;
    }

    /// @notice A proposed model, executable from `executableAt` on.
    /// @dev `executableAt == 0` means no rotation is pending.
    struct Rotation {
        IZkinferVerifier verifier;
        uint64 executableAt;
        uint32 instanceCount;
        bytes32 codehash;
    }

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
    /// @notice A rotation delay must be at most {MAX_ROTATION_DELAY}.
    error InvalidRotationDelay(uint256 rotationDelay);
    /// @notice A rotation to `verifier` is already pending; cancel it first.
    error RotationPending(address verifier);
    /// @notice No rotation is pending.
    error NoPendingRotation();
    /// @notice The pending rotation cannot be executed before `executableAt`.
    error RotationNotReady(uint256 executableAt);

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

    /// @dev The delay between a proposal and its execution, in seconds.
    uint256 private immutable _ROTATION_DELAY;
    /// @dev The pinned model.
    Model private _model;
    /// @dev The pending rotation, if any.
    Rotation private _pending;

    /// @notice Pins the initial model.
    /// @dev Emits {VerifierRotated} from the zero address, so the model history can be read from
    /// events alone.
    /// @param verifier_ The zkinfer-generated verifier.
    /// @param codehash_ The keccak256 of its runtime code (`address(verifier_).codehash`, or
    /// `cast keccak $(cast code <verifier>)`); must match.
    /// @param instanceCount_ The number of public instances of the model's proofs.
    /// @param rotationDelay_ The timelock of later rotations, in seconds (at most {MAX_ROTATION_DELAY}).
    /// @param initialOwner The owner (OpenZeppelin {Ownable}: must not be zero).
    constructor(
        IZkinferVerifier verifier_,
        bytes32 codehash_,
        uint256 instanceCount_,
        uint256 rotationDelay_,
        address initialOwner
    ) Ownable(initialOwner) {
        if (rotationDelay_ > MAX_ROTATION_DELAY) revert InvalidRotationDelay(rotationDelay_);
        _ROTATION_DELAY = rotationDelay_;
        _model = _loadModel(verifier_, codehash_, instanceCount_);
        emit VerifierRotated(address(0), address(verifier_));
    }

    // ------------------------------------------------------------------------------------------
    // Verification
    // ------------------------------------------------------------------------------------------

    /// @notice Checks a proof against the pinned model; reverts unless it is valid.
    /// @dev Reverts with {InstanceCountMismatch} if `instances` has the wrong length, with
    /// {CodehashMismatch} if the code at the verifier (or its verifying-key contract) is no longer the
    /// pinned code, and with {VerificationFailed} (wrapping the verifier's custom error) if the verifier
    /// rejects the proof. The codehash re-check costs about 2.3k gas (measured: one cold storage slot;
    /// EXTCODEHASH warms the verifier's account for the call that follows) and about 4.3k more with a
    /// verifying-key contract (two cold slots; the key's account is then warm for the verifier). It
    /// matters on chains without EIP-6780, where a contract's code can still change after deployment.
    /// @param proof The proof bytes (proof.json's `proof`).
    /// @param instances The public instances in circuit order (inputs first, then outputs); a consumer
    /// typically builds the input words from its own state ({ZkinferInstances.pack}).
    function _verifyProof(bytes calldata proof, uint256[] memory instances) internal view {
        Model storage m = _model;
        // One SLOAD for all three.
        IZkinferVerifier verifier_ = m.verifier;
        uint256 count = m.instanceCount;
        bool hasVerifyingKey = m.hasVerifyingKey;
        if (instances.length != count) revert InstanceCountMismatch(count, instances.length);
        _checkCodehash(address(verifier_), m.codehash);
        if (hasVerifyingKey) _checkCodehash(m.verifyingKey, m.verifyingKeyCodehash);
        (bool ok, bytes memory ret) =
            address(verifier_).staticcall(abi.encodeCall(IZkinferVerifier.verifyProof, (proof, instances)));
        // The interface returns true or reverts; anything else is a failure too.
        if (!ok || ret.length != 32 || abi.decode(ret, (uint256)) != 1) revert VerificationFailed(ret);
    }

    /// @notice {_verifyProof}, then unpacks one packed tensor of the instances (typically the output).
    /// @dev See {ZkinferInstances.unpackAll} for the arguments and its errors.
    /// @param proof The proof bytes.
    /// @param instances The public instances in circuit order.
    /// @param firstWord The index of the tensor's first word in `instances`.
    /// @param count The number of values in the tensor.
    /// @param bits The model's range bits.
    /// @return values The tensor's signed fixed-point integers (real value = integer / 2^scale).
    function _verifyAndDecode(
        bytes calldata proof,
        uint256[] memory instances,
        uint256 firstWord,
        uint256 count,
        uint256 bits
    ) internal view returns (int256[] memory values) {
        _verifyProof(proof, instances);
        return ZkinferInstances.unpackAll(instances, firstWord, count, bits);
    }

    // ------------------------------------------------------------------------------------------
    // Model rotation
    // ------------------------------------------------------------------------------------------

    /// @notice Proposes a new model; executable with {executeVerifierRotation} after {rotationDelay}.
    /// @dev Owner only. Reverts with {RotationPending} if a rotation is pending (cancel it first),
    /// with {InvalidVerifier}, {CodehashMismatch} or {InvalidInstanceCount} if the new model does not
    /// check out. Emits {VerifierRotationProposed}.
    /// @param newVerifier The new zkinfer-generated verifier.
    /// @param codehash The keccak256 of its runtime code; must match now and at execution.
    /// @param instanceCount The number of public instances of the new model's proofs.
    function proposeVerifier(address newVerifier, bytes32 codehash, uint256 instanceCount) external onlyOwner {
        if (_pending.executableAt != 0) revert RotationPending(address(_pending.verifier));
        // Validates everything now, so a bad proposal fails at once rather than after the delay.
        _loadModel(IZkinferVerifier(newVerifier), codehash, instanceCount);
        uint256 executableAt = block.timestamp + _ROTATION_DELAY;
        _pending = Rotation({
            verifier: IZkinferVerifier(newVerifier),
            executableAt: SafeCast.toUint64(executableAt),
            // _loadModel checked instanceCount < 2^32.
            instanceCount: SafeCast.toUint32(instanceCount),
            codehash: codehash
        });
        emit VerifierRotationProposed(address(_model.verifier), newVerifier, codehash, instanceCount, executableAt);
    }

    /// @notice Executes the pending rotation once its delay has passed.
    /// @dev Owner only. Re-checks the new verifier (its code must still hash to the proposed
    /// codehash). Reverts with {NoPendingRotation} or {RotationNotReady}. Emits {VerifierRotated}.
    function executeVerifierRotation() external onlyOwner {
        Rotation memory p = _pending;
        if (p.executableAt == 0) revert NoPendingRotation();
        // A validator's few seconds of timestamp leeway do not matter against a delay of hours or days.
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp < p.executableAt) revert RotationNotReady(p.executableAt);
        address old = address(_model.verifier);
        _model = _loadModel(p.verifier, p.codehash, p.instanceCount);
        delete _pending;
        emit VerifierRotated(old, address(p.verifier));
    }

    /// @notice Cancels the pending rotation.
    /// @dev Owner only. Reverts with {NoPendingRotation}. Emits {VerifierRotationCancelled}.
    function cancelVerifierRotation() external onlyOwner {
        address proposed = address(_pending.verifier);
        if (_pending.executableAt == 0) revert NoPendingRotation();
        delete _pending;
        emit VerifierRotationCancelled(proposed);
    }

    // ------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------

    /// @notice The pinned verifier.
    /// @return The verifier proofs are checked with.
    function verifier() public view returns (IZkinferVerifier) {
        return _model.verifier;
    }

    /// @notice The pinned keccak256 of the verifier's runtime code.
    /// @return The codehash.
    function verifierCodehash() public view returns (bytes32) {
        return _model.codehash;
    }

    /// @notice The number of public instances a proof must carry.
    /// @return The instance count.
    function expectedInstanceCount() public view returns (uint256) {
        return _model.instanceCount;
    }

    /// @notice The pinned verifying-key contract of a separate-verifying-key verifier.
    /// @return vk Its address (zero if the verifier has its key built in).
    /// @return codehash Its pinned codehash (zero if none).
    function verifyingKey() public view returns (address vk, bytes32 codehash) {
        return (_model.verifyingKey, _model.verifyingKeyCodehash);
    }

    /// @notice The delay between proposing and executing a rotation.
    /// @return The delay in seconds.
    function rotationDelay() public view returns (uint256) {
        return _ROTATION_DELAY;
    }

    /// @notice The pending rotation (all zero if none).
    /// @return newVerifier The proposed verifier.
    /// @return codehash Its proposed codehash.
    /// @return instanceCount Its instance count.
    /// @return executableAt The earliest execution time (a unix timestamp).
    function pendingRotation()
        public
        view
        returns (address newVerifier, bytes32 codehash, uint256 instanceCount, uint256 executableAt)
    {
        Rotation memory p = _pending;
        return (address(p.verifier), p.codehash, p.instanceCount, p.executableAt);
    }

    // ------------------------------------------------------------------------------------------
    // Internals
    // ------------------------------------------------------------------------------------------

    /// @dev Checks a candidate model and returns what to pin. The verifier must have code hashing to
    /// `codehash`. If it answers `verifyingKey()` (a separate-verifying-key verifier), it must also
    /// answer `VK_CODEHASH()`, and the verifying-key contract's code must hash to that. If it answers
    /// `NUM_INSTANCES()` (every generated verifier does), that must equal `instanceCount`.
    function _loadModel(IZkinferVerifier verifier_, bytes32 codehash, uint256 instanceCount)
        private
        view
        returns (Model memory m)
    {
        address v = address(verifier_);
        if (v.code.length == 0) revert InvalidVerifier(v);
        _checkCodehash(v, codehash);
        if (instanceCount == 0 || instanceCount > type(uint32).max) revert InvalidInstanceCount(instanceCount);
        // A generated verifier states its instance count: a disagreeing pin could never verify anything.
        (bool states, bytes32 stated) = _staticWord(v, IZkinferCircuitInfo.NUM_INSTANCES.selector);
        if (states && uint256(stated) != instanceCount) revert InvalidInstanceCount(instanceCount);
        m.verifier = verifier_;
        m.instanceCount = SafeCast.toUint32(instanceCount);
        m.codehash = codehash;
        (bool hasKey, bytes32 keyWord) = _staticWord(v, IZkinferSplitVerifier.verifyingKey.selector);
        if (hasKey) {
            (bool hasHash, bytes32 vkCodehash) = _staticWord(v, IZkinferSplitVerifier.VK_CODEHASH.selector);
            // A verifying-key getter must return an address (upper 96 bits clear), next to VK_CODEHASH().
            if (!hasHash || uint256(keyWord) >> 160 != 0) revert InvalidVerifier(v);
            address vk = address(uint160(uint256(keyWord)));
            if (vk.code.length == 0) revert InvalidVerifier(vk);
            _checkCodehash(vk, vkCodehash);
            m.hasVerifyingKey = true;
            m.verifyingKey = vk;
            m.verifyingKeyCodehash = vkCodehash;
        }
    }

    /// @dev Calls a parameterless view function of `target`; `ok` is false if the call reverts or does
    /// not return exactly one word (a built-in-key verifier has no `verifyingKey()`, so it reverts).
    function _staticWord(address target, bytes4 selector) private view returns (bool ok, bytes32 word) {
        bytes memory ret;
        (ok, ret) = target.staticcall(abi.encodeWithSelector(selector));
        if (!ok || ret.length != 32) return (false, bytes32(0));
        word = abi.decode(ret, (bytes32));
    }

    /// @dev Reverts with {CodehashMismatch} unless the code at `account` hashes to `expected`.
    function _checkCodehash(address account, bytes32 expected) private view {
        bytes32 actual = account.codehash;
        if (actual != expected) revert CodehashMismatch(account, expected, actual);
    }
}

