// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IZkinferConsumer} from "./IZkinferConsumer.sol";
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
/// A verifier must also suit the inheriting contract's decoding (scale, word offsets, range bits):
/// override the {_checkVerifier} hook, which sees every verifier before it is pinned (at construction
/// and at proposal), and compare what the verifier states about its circuit (`IZkinferCircuitInfo`,
/// read with {_circuitInfo} and {_requireInstanceBlocks}) with what the contract decodes.
///
/// Ownership is OpenZeppelin's {Ownable2Step}. Renouncing it freezes the model for good (a pending
/// rotation can then never be executed). The errors, events and external functions are declared in
/// {IZkinferConsumer}.
/// @dev Without a {_checkVerifier} override, a rotation must keep the instance layout that the
/// inheriting contract's decoding assumes; the pinned instance count catches only some layout changes.
abstract contract ZkinferConsumer is IZkinferConsumer, Ownable2Step {
    using Strings for uint256;

    /// @inheritdoc IZkinferConsumer
    uint256 public constant MAX_ROTATION_DELAY = 365 days;

    /// @inheritdoc IZkinferConsumer
    uint256 public constant MIN_ROTATION_DELAY = 1 days;

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

    /// @dev The delay between a proposal and its execution, in seconds.
    uint256 private immutable _ROTATION_DELAY;
    /// @dev The pinned model.
    Model private _model;
    /// @dev The pending rotation, if any.
    Rotation private _pending;

    /// @notice Pins the initial model.
    /// @dev Reverts with {InvalidRotationDelay}, with {InvalidVerifier}, {CodehashMismatch} or
    /// {InvalidInstanceCount} if the model does not check out, and with whatever {_checkVerifier}
    /// reverts with. Emits {VerifierRotated} from the zero address, so the model history can be read
    /// from events alone.
    /// @param verifier_ The zkinfer-generated verifier.
    /// @param codehash_ The keccak256 of its runtime code (`address(verifier_).codehash`, or
    /// `cast keccak $(cast code <verifier>)`); must match.
    /// @param instanceCount_ The number of public instances of the model's proofs.
    /// @param rotationDelay_ The timelock of later rotations, in seconds (in [{MIN_ROTATION_DELAY},
    /// {MAX_ROTATION_DELAY}]).
    /// @param initialOwner The owner (OpenZeppelin {Ownable}: must not be zero).
    constructor(
        IZkinferVerifier verifier_,
        bytes32 codehash_,
        uint256 instanceCount_,
        uint256 rotationDelay_,
        address initialOwner
    ) Ownable(initialOwner) {
        if (rotationDelay_ < MIN_ROTATION_DELAY || rotationDelay_ > MAX_ROTATION_DELAY) {
            revert InvalidRotationDelay(rotationDelay_);
        }
        _ROTATION_DELAY = rotationDelay_;
        _model = _loadModel(verifier_, codehash_, instanceCount_);
        _checkVerifier(verifier_, IZkinferVerifier(address(0)));
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

    /// @inheritdoc IZkinferConsumer
    /// @dev Owner only. Reverts with {RotationPending} if a rotation is pending (cancel it first),
    /// with {InvalidVerifier}, {CodehashMismatch} or {InvalidInstanceCount} if the new model does not
    /// check out, and with whatever {_checkVerifier} reverts with (e.g. {CircuitMismatch} if the
    /// inheriting contract cannot decode the new circuit). Emits {VerifierRotationProposed}.
    function proposeVerifier(address newVerifier, bytes32 codehash, uint256 instanceCount) external onlyOwner {
        if (_pending.executableAt != 0) revert RotationPending(address(_pending.verifier));
        // Validates everything now, so a bad proposal fails at once rather than after the delay.
        _loadModel(IZkinferVerifier(newVerifier), codehash, instanceCount);
        _checkVerifier(IZkinferVerifier(newVerifier), _model.verifier);
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

    /// @inheritdoc IZkinferConsumer
    /// @dev Owner only. Re-checks the new verifier (its code must still hash to the proposed
    /// codehash, so what it states about its circuit is what {_checkVerifier} accepted at the
    /// proposal). Reverts with {NoPendingRotation} or {RotationNotReady}. Emits {VerifierRotated}.
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

    /// @inheritdoc IZkinferConsumer
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

    /// @inheritdoc IZkinferConsumer
    function verifier() public view virtual returns (address) {
        return address(_model.verifier);
    }

    /// @inheritdoc IZkinferConsumer
    function verifierCodehash() public view returns (bytes32) {
        return _model.codehash;
    }

    /// @inheritdoc IZkinferConsumer
    function expectedInstanceCount() public view virtual returns (uint256) {
        return _model.instanceCount;
    }

    /// @inheritdoc IZkinferConsumer
    function verifyingKey() public view returns (address vk, bytes32 codehash) {
        return (_model.verifyingKey, _model.verifyingKeyCodehash);
    }

    /// @inheritdoc IZkinferConsumer
    function rotationDelay() public view returns (uint256) {
        return _ROTATION_DELAY;
    }

    /// @inheritdoc IZkinferConsumer
    function pendingRotation()
        public
        view
        returns (address newVerifier, bytes32 codehash, uint256 instanceCount, uint256 executableAt)
    {
        Rotation memory p = _pending;
        return (address(p.verifier), p.codehash, p.instanceCount, p.executableAt);
    }

    // ------------------------------------------------------------------------------------------
    // Circuit checks
    // ------------------------------------------------------------------------------------------

    /// @notice Hook: rejects a verifier whose circuit the inheriting contract cannot use.
    /// @dev Called with every verifier before it is pinned, after the code, codehash and instance-count
    /// checks: by the constructor (`current` is zero) and by {proposeVerifier} (`current` is the pinned
    /// verifier), so an unusable proposal fails at once instead of after the delay. It is not called
    /// again at execution: the verifier's code is pinned by its hash, so what it states about its
    /// circuit cannot change in between. The default accepts every verifier. Override it to read what
    /// the candidate states ({_circuitInfo}, {_requireInstanceBlocks}) and revert (e.g. with
    /// {CircuitMismatch}, see {_requireCircuitFact}) when it is not what the contract decodes. An
    /// override runs inside this contract's constructor, before the inheriting contract's constructor
    /// body: at construction it must not rely on the inheriting contract's own state or immutables.
    /// @param candidate The verifier to pin or to propose.
    /// @param current The pinned verifier; zero at construction.
    function _checkVerifier(IZkinferVerifier candidate, IZkinferVerifier current) internal view virtual {}

    /// @notice What a zkinfer-generated verifier states about its values (`IZkinferCircuitInfo`).
    /// @dev Reverts with {MissingCircuitInfo} if `verifier_` does not answer `SCALE()` or `PACK_BITS()`.
    /// @param verifier_ The verifier.
    /// @return scale Fractional bits of every fixed-point value in its instances.
    /// @return packBits Bits per packed value; 0 when values are not packed.
    function _circuitInfo(IZkinferVerifier verifier_) internal view returns (uint256 scale, uint256 packBits) {
        IZkinferCircuitInfo info = IZkinferCircuitInfo(address(verifier_));
        try info.SCALE() returns (uint256 s) {
            scale = s;
        } catch {
            revert MissingCircuitInfo(address(verifier_));
        }
        try info.PACK_BITS() returns (uint256 b) {
            packBits = b;
        } catch {
            revert MissingCircuitInfo(address(verifier_));
        }
    }

    /// @notice Requires a verifier's instance layout to be exactly `expected`, covering all its instances.
    /// @dev Compares `instanceBlocks()` with `expected` block by block, every field, and requires
    /// `NUM_INSTANCES()` to be the sum of the expected blocks' words. Reverts with {MissingCircuitInfo}
    /// if the verifier does not answer, and with {CircuitMismatch} naming the first difference (e.g.
    /// `"instanceBlocks[1].values"`).
    /// @param verifier_ The verifier.
    /// @param expected The layout the caller decodes, blocks in instance order ({_instanceBlock}).
    function _requireInstanceBlocks(IZkinferVerifier verifier_, IZkinferCircuitInfo.InstanceBlock[] memory expected)
        internal
        view
    {
        IZkinferCircuitInfo info = IZkinferCircuitInfo(address(verifier_));
        IZkinferCircuitInfo.InstanceBlock[] memory actual;
        try info.instanceBlocks() returns (IZkinferCircuitInfo.InstanceBlock[] memory blocks) {
            actual = blocks;
        } catch {
            revert MissingCircuitInfo(address(verifier_));
        }
        _requireCircuitFact(verifier_, "instanceBlocks.length", expected.length, actual.length);
        uint256 words;
        for (uint256 i = 0; i < expected.length; ++i) {
            _requireSameBlock(verifier_, i, expected[i], actual[i]);
            words += expected[i].words;
        }
        uint256 stated;
        try info.NUM_INSTANCES() returns (uint256 n) {
            stated = n;
        } catch {
            revert MissingCircuitInfo(address(verifier_));
        }
        _requireCircuitFact(verifier_, "NUM_INSTANCES", words, stated);
    }

    /// @notice Reverts with {CircuitMismatch} unless `actual == expected`.
    /// @param verifier_ The verifier that states `actual`.
    /// @param fact The name of the fact (e.g. `"SCALE"`).
    /// @param expected What the caller decodes with.
    /// @param actual What the verifier states.
    function _requireCircuitFact(IZkinferVerifier verifier_, string memory fact, uint256 expected, uint256 actual)
        internal
        pure
    {
        if (actual != expected) revert CircuitMismatch(address(verifier_), fact, expected, actual);
    }

    /// @notice One block of an expected instance layout (for {_requireInstanceBlocks}).
    /// @dev Reverts with OpenZeppelin's `SafeCastOverflowedUintDowncast` if a value does not fit its field.
    /// @param side The model's inputs, outputs or parameters.
    /// @param commitment True for a Poseidon commitment (one instance), false for the values themselves.
    /// @param offset The index of the block's first instance.
    /// @param words The number of instances in the block.
    /// @param values The number of values it holds or commits to.
    /// @param packBits Bits per packed value (0: unpacked, or a commitment).
    /// @return The block.
    function _instanceBlock(
        IZkinferCircuitInfo.Side side,
        bool commitment,
        uint256 offset,
        uint256 words,
        uint256 values,
        uint256 packBits
    ) internal pure returns (IZkinferCircuitInfo.InstanceBlock memory) {
        return IZkinferCircuitInfo.InstanceBlock({
            side: side,
            commitment: commitment,
            offset: SafeCast.toUint32(offset),
            words: SafeCast.toUint32(words),
            values: SafeCast.toUint32(values),
            packBits: SafeCast.toUint8(packBits)
        });
    }

    // ------------------------------------------------------------------------------------------
    // Internals
    // ------------------------------------------------------------------------------------------

    /// @dev Reverts with {CircuitMismatch} on the first field of block `index` that differs; the
    /// field's name is built only then.
    function _requireSameBlock(
        IZkinferVerifier verifier_,
        uint256 index,
        IZkinferCircuitInfo.InstanceBlock memory expected,
        IZkinferCircuitInfo.InstanceBlock memory actual
    ) private pure {
        uint256[6] memory e = _blockFields(expected);
        uint256[6] memory a = _blockFields(actual);
        for (uint256 f = 0; f < 6; ++f) {
            if (a[f] != e[f]) {
                string[6] memory names = ["side", "commitment", "offset", "words", "values", "packBits"];
                string memory fact = string.concat("instanceBlocks[", index.toString(), "].", names[f]);
                revert CircuitMismatch(address(verifier_), fact, e[f], a[f]);
            }
        }
    }

    /// @dev A block's fields as numbers, in declaration order (`side` as its enum index, `commitment` as 0 or 1).
    function _blockFields(IZkinferCircuitInfo.InstanceBlock memory b) private pure returns (uint256[6] memory) {
        return [uint256(b.side), b.commitment ? 1 : 0, b.offset, b.words, b.values, b.packBits];
    }

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

