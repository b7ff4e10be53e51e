// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IZkinferConsumer} from "../IZkinferConsumer.sol";
import {IZkinferInstancesErrors} from "../IZkinferInstancesErrors.sol";
import {IZkinferCircuitInfo, IZkinferVerifier} from "../IZkinferVerifier.sol";
import {IZkinferSplitVerifier} from "../IZkinferSplitVerifier.sol";
import {ZkinferConsumer} from "../ZkinferConsumer.sol";
import {ZkinferInstances} from "../ZkinferInstances.sol";
import {GemmReluVerifier} from "./fixtures/GemmReluVerifier.sol";
import {GemmReluHashedVerifier} from "./fixtures/GemmReluHashedVerifier.sol";
import {MatmulSigmoidVerifier} from "./fixtures/MatmulSigmoidVerifier.sol";
import {GemmReluFixture} from "./fixtures/GemmReluFixture.sol";
import {MatmulSigmoidFixture} from "./fixtures/MatmulSigmoidFixture.sol";
import {VM} from "./utils/Vm.sol";

/// @notice A small protocol on the gemm_relu model (input x[1,4], output y[1,3], scale 7, range
/// bits 10: one input word, then one output word).
contract GemmReluOracle is ZkinferConsumer {
    uint256 internal constant BITS = 10;
    uint256 internal constant SCALE = 7;
    uint256 internal constant OUTPUT_WORD = 1;
    uint256 internal constant OUTPUTS = 3;

    /// @notice The last proven outputs, in wad.
    int256[] public lastOutputs;

    event Updated(int256[] outputsWad);

    constructor(IZkinferVerifier verifier_, bytes32 codehash_, uint256 rotationDelay_, address owner_)
        ZkinferConsumer(verifier_, codehash_, 2, rotationDelay_, owner_)
    {}

    /// @notice Verifies a proof and returns its decoded outputs (fixed-point integers).
    function quote(bytes calldata proof, uint256[] calldata instances) external view returns (int256[] memory) {
        return _verifyAndDecode(proof, instances, OUTPUT_WORD, OUTPUTS, BITS);
    }

    /// @notice Only verifies (model-agnostic, for rotation tests).
    function check(bytes calldata proof, uint256[] calldata instances) external view {
        _verifyProof(proof, instances);
    }

    /// @notice The typical state-changing path: the input comes from the caller (or the protocol's
    /// own state) and is packed here, so the proof is bound to it; the outputs are stored in wad.
    function update(int256[] calldata input, bytes calldata proof, uint256 outputWord)
        external
        returns (int256[] memory outputsWad)
    {
        uint256[] memory inputWords = ZkinferInstances.pack(input, BITS);
        uint256[] memory instances = new uint256[](inputWords.length + 1);
        for (uint256 i = 0; i < inputWords.length; i++) {
            instances[i] = inputWords[i];
        }
        instances[inputWords.length] = outputWord;
        int256[] memory outputs = _verifyAndDecode(proof, instances, inputWords.length, OUTPUTS, BITS);
        outputsWad = new int256[](OUTPUTS);
        for (uint256 i = 0; i < OUTPUTS; i++) {
            outputsWad[i] = ZkinferInstances.toWad(outputs[i], SCALE);
        }
        lastOutputs = outputsWad;
        emit Updated(outputsWad);
    }
}

/// @notice Stand-in for a separate-verifying-key verifier: the `verifyingKey()` / `VK_CODEHASH()`
/// getters of the generated one, proofs checked by the built-in-key gemm_relu verifier.
contract MockSplitVerifier is IZkinferSplitVerifier {
    IZkinferVerifier internal immutable INNER;
    // The generated verifier's getter name.
    // forge-lint: disable-next-line(screaming-snake-case-immutable)
    address public immutable verifyingKey;
    bytes32 public immutable VK_CODEHASH;

    constructor(IZkinferVerifier inner, address vk, bytes32 vkCodehash) {
        INNER = inner;
        verifyingKey = vk;
        VK_CODEHASH = vkCodehash;
    }

    function verifyProof(bytes calldata proof, uint256[] calldata instances) external view returns (bool) {
        return INNER.verifyProof(proof, instances);
    }
}

/// @notice Some code to stand for a verifying-key contract.
contract MockVerifyingKey {
    function data() external pure returns (uint256) {
        return 42;
    }
}

/// @notice {GemmReluOracle} that accepts only verifiers of its circuit, checked in the
/// {ZkinferConsumer._checkVerifier} hook with the consumer's circuit helpers: scale 7, packing width
/// 10, the 4 inputs in one public word, the 3 outputs in the next.
contract CheckedGemmReluOracle is GemmReluOracle {
    constructor(IZkinferVerifier verifier_, bytes32 codehash_, uint256 rotationDelay_, address owner_)
        GemmReluOracle(verifier_, codehash_, rotationDelay_, owner_)
    {}

    function _checkVerifier(IZkinferVerifier candidate, IZkinferVerifier) internal view override {
        (uint256 scale, uint256 bits) = _circuitInfo(candidate);
        _requireCircuitFact(candidate, "SCALE", SCALE, scale);
        _requireCircuitFact(candidate, "PACK_BITS", BITS, bits);
        IZkinferCircuitInfo.InstanceBlock[] memory layout = new IZkinferCircuitInfo.InstanceBlock[](2);
        layout[0] = _instanceBlock(IZkinferCircuitInfo.Side.Input, false, 0, 1, 4, BITS);
        layout[1] = _instanceBlock(IZkinferCircuitInfo.Side.Output, false, OUTPUT_WORD, 1, OUTPUTS, BITS);
        _requireInstanceBlocks(candidate, layout);
    }
}

/// @notice {GemmReluOracle} whose hook reports its arguments for any verifier but gemm_relu's
/// (recognised by its verifying-key digest): shows where and with what the hook runs.
contract ProbedGemmReluOracle is GemmReluOracle {
    error CheckVerifier(address candidate, address current);

    constructor(IZkinferVerifier verifier_, bytes32 codehash_, uint256 rotationDelay_, address owner_)
        GemmReluOracle(verifier_, codehash_, rotationDelay_, owner_)
    {}

    function _checkVerifier(IZkinferVerifier candidate, IZkinferVerifier current) internal view override {
        if (IZkinferCircuitInfo(address(candidate)).VK_DIGEST() != GemmReluFixture.VK_DIGEST) {
            revert CheckVerifier(address(candidate), address(current));
        }
    }
}

/// @notice ZkinferConsumer on the real gemm_relu fixture: accepting, decoding, rejecting, rotating,
/// and checking what a verifier states about its circuit.
contract ZkinferConsumerTest {
    uint256 internal constant DELAY = 2 days;
    uint256 internal constant START = 1_700_000_000;
    address internal constant STRANGER = address(0xBEEF);

    bytes4 internal constant INVALID_CALLDATA = bytes4(keccak256("InvalidCalldata()"));
    bytes4 internal constant INVALID_POINT = bytes4(keccak256("InvalidPoint()"));
    bytes4 internal constant PROOF_REJECTED = bytes4(keccak256("ProofRejected()"));

    event VerifierRotationProposed(
        address indexed currentVerifier,
        address indexed newVerifier,
        bytes32 codehash,
        uint256 instanceCount,
        uint256 executableAt
    );
    event VerifierRotationCancelled(address indexed newVerifier);
    event VerifierRotated(address indexed oldVerifier, address indexed newVerifier);

    error Mismatch(uint256 actual, uint256 expected);
    error Unexpected(bytes revertData);

    IZkinferVerifier internal gemm;
    IZkinferVerifier internal matmul;
    GemmReluOracle internal oracle;

    function setUp() public {
        VM.warp(START);
        gemm = IZkinferVerifier(address(new GemmReluVerifier()));
        matmul = IZkinferVerifier(address(new MatmulSigmoidVerifier()));
        oracle = new GemmReluOracle(gemm, address(gemm).codehash, DELAY, address(this));
    }

    // ---- helpers ----------------------------------------------------------------------------

    function _eq(uint256 actual, uint256 expected) internal pure {
        if (actual != expected) revert Mismatch(actual, expected);
    }

    function _eq(int256 actual, int256 expected) internal pure {
        // casting to 'uint256' is fine: only compared and reported
        // forge-lint: disable-next-line(unsafe-typecast)
        if (actual != expected) revert Mismatch(uint256(actual), uint256(expected));
    }

    function _eq(address actual, address expected) internal pure {
        _eq(uint256(uint160(actual)), uint256(uint160(expected)));
    }

    function _eq(bytes32 actual, bytes32 expected) internal pure {
        _eq(uint256(actual), uint256(expected));
    }

    function _failed(bytes4 verifierError) internal pure returns (bytes memory) {
        return
            abi.encodeWithSelector(IZkinferConsumer.VerificationFailed.selector, abi.encodeWithSelector(verifierError));
    }

    function _circuitMismatch(address v, string memory fact, uint256 expected, uint256 actual)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodeWithSelector(IZkinferConsumer.CircuitMismatch.selector, v, fact, expected, actual);
    }

    function _eqBlock(
        IZkinferCircuitInfo.InstanceBlock memory b,
        IZkinferCircuitInfo.Side side,
        uint256 offset,
        uint256 words,
        uint256 values,
        uint256 bits
    ) internal pure {
        _eq(uint256(b.side), uint256(side));
        if (b.commitment) revert Unexpected("a commitment");
        _eq(b.offset, offset);
        _eq(b.words, words);
        _eq(b.values, values);
        _eq(b.packBits, bits);
    }

    function _codehashMismatch(address account, bytes32 expected, bytes32 actual) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IZkinferConsumer.CodehashMismatch.selector, account, expected, actual);
    }

    function _proposeMatmul() internal returns (uint256 executableAt) {
        executableAt = block.timestamp + DELAY;
        VM.expectEmit(true, true, false, true, address(oracle));
        emit VerifierRotationProposed(address(gemm), address(matmul), address(matmul).codehash, 2, executableAt);
        oracle.proposeVerifier(address(matmul), address(matmul).codehash, 2);
    }

    // ---- deployment -------------------------------------------------------------------------

    function test_pinsTheModel() public view {
        _eq(address(oracle.verifier()), address(gemm));
        _eq(oracle.verifierCodehash(), keccak256(address(gemm).code));
        _eq(oracle.expectedInstanceCount(), 2);
        _eq(oracle.rotationDelay(), DELAY);
        _eq(oracle.owner(), address(this));
        (address vk, bytes32 vkHash) = oracle.verifyingKey();
        _eq(vk, address(0));
        _eq(vkHash, bytes32(0));
        (address next,,, uint256 at) = oracle.pendingRotation();
        _eq(next, address(0));
        _eq(at, 0);
    }

    function test_deploymentEmitsVerifierRotated() public {
        // The oracle's address is not known before its deployment: check topics and data only.
        VM.expectEmit(true, true, false, true);
        emit VerifierRotated(address(0), address(gemm));
        new GemmReluOracle(gemm, address(gemm).codehash, DELAY, address(this));
    }

    function testRevert_deploymentChecks() public {
        bytes32 h = address(gemm).codehash;
        VM.expectRevert(_codehashMismatch(address(gemm), bytes32(uint256(1)), h));
        new GemmReluOracle(gemm, bytes32(uint256(1)), DELAY, address(this));
        VM.expectRevert(abi.encodeWithSelector(IZkinferConsumer.InvalidVerifier.selector, STRANGER));
        new GemmReluOracle(IZkinferVerifier(STRANGER), h, DELAY, address(this));
        VM.expectRevert(abi.encodeWithSelector(IZkinferConsumer.InvalidRotationDelay.selector, 366 days));
        new GemmReluOracle(gemm, h, 366 days, address(this));
        // A timelock too short to react to a proposed model is no timelock.
        VM.expectRevert(abi.encodeWithSelector(IZkinferConsumer.InvalidRotationDelay.selector, 1 days - 1));
        new GemmReluOracle(gemm, h, 1 days - 1, address(this));
        VM.expectRevert(abi.encodeWithSelector(IZkinferConsumer.InvalidRotationDelay.selector, 0));
        new GemmReluOracle(gemm, h, 0, address(this));
        new GemmReluOracle(gemm, h, 1 days, address(this));
        VM.expectRevert(abi.encodeWithSelector(Ownable.OwnableInvalidOwner.selector, address(0)));
        new GemmReluOracle(gemm, h, DELAY, address(0));
    }

    // ---- verification -----------------------------------------------------------------------

    function test_acceptsAndDecodesValidProof() public view {
        int256[] memory y = oracle.quote(GemmReluFixture.proof(), GemmReluFixture.instances());
        // contracts/test/fixtures/gemm_relu.proof.json: "outputs_fixed": [[38, -39, -2]]
        _eq(y.length, 3);
        _eq(y[0], 38);
        _eq(y[1], -39);
        _eq(y[2], -2);
    }

    function test_updateBindsTheInputAndStoresWad() public {
        uint256[] memory instances = GemmReluFixture.instances();
        int256[] memory x = ZkinferInstances.unpackAll(instances, 0, 4, 10);
        int256[] memory wad = oracle.update(x, GemmReluFixture.proof(), instances[1]);
        // outputs_fixed / 2^7: [0.296875, -0.3046875, -0.015625] (proof.json's "outputs")
        _eq(wad[0], 0.296875e18);
        _eq(wad[1], -0.3046875e18);
        _eq(wad[2], -0.015625e18);
        _eq(oracle.lastOutputs(1), -0.3046875e18);
    }

    /// @notice A proof for another input does not verify against the input the consumer packed.
    function testRevert_updateWithAnotherInput() public {
        uint256[] memory instances = GemmReluFixture.instances();
        int256[] memory x = ZkinferInstances.unpackAll(instances, 0, 4, 10);
        x[3] += 1;
        bytes memory proof = GemmReluFixture.proof();
        VM.expectRevert(_failed(PROOF_REJECTED));
        oracle.update(x, proof, instances[1]);
    }

    function testRevert_wrongInstanceCount() public {
        bytes memory proof = GemmReluFixture.proof();
        uint256[] memory one = new uint256[](1);
        VM.expectRevert(abi.encodeWithSelector(IZkinferConsumer.InstanceCountMismatch.selector, 2, 1));
        oracle.quote(proof, one);
        uint256[] memory three = new uint256[](3);
        VM.expectRevert(abi.encodeWithSelector(IZkinferConsumer.InstanceCountMismatch.selector, 2, 3));
        oracle.quote(proof, three);
        // Through `update`: an input of 26 values packs into 2 words, so 3 instances.
        int256[] memory x = new int256[](26);
        VM.expectRevert(abi.encodeWithSelector(IZkinferConsumer.InstanceCountMismatch.selector, 2, 3));
        oracle.update(x, proof, 0);
    }

    /// @notice The verifier's own error comes back wrapped in VerificationFailed.
    function testRevert_tamperedProof() public {
        bytes memory bad = bytes.concat(GemmReluFixture.proof());
        bad[63] = bad[63] ^ 0x01; // y of the first commitment: off the curve
        uint256[] memory instances = GemmReluFixture.instances();
        VM.expectRevert(_failed(INVALID_POINT));
        oracle.quote(bad, instances);

        bytes memory proof = GemmReluFixture.proof();
        instances[1] ^= 1; // another output
        VM.expectRevert(_failed(PROOF_REJECTED));
        oracle.quote(proof, instances);

        bytes memory shorter = new bytes(proof.length - 32);
        VM.expectRevert(_failed(INVALID_CALLDATA));
        oracle.quote(shorter, GemmReluFixture.instances());
    }

    /// @notice Any altered proof word is rejected, always as VerificationFailed.
    function testFuzz_tamperedProofWordReverts(uint256 word, uint8 bit) public view {
        bytes memory bad = bytes.concat(GemmReluFixture.proof());
        uint256 at = (word % (bad.length / 32)) * 32 + 31 - (bit / 8);
        bad[at] = bad[at] ^ bytes1(uint8(1) << (bit % 8));
        try oracle.quote(bad, GemmReluFixture.instances()) returns (int256[] memory) {
            revert Unexpected("");
        } catch (bytes memory err) {
            // casting to 'bytes4' is safe because it keeps the selector, and err.length >= 4 is checked first
            // forge-lint: disable-next-line(unsafe-typecast)
            if (err.length < 4 || bytes4(err) != IZkinferConsumer.VerificationFailed.selector) revert Unexpected(err);
        }
    }

    /// @notice The pinned code is re-checked on every call.
    function testRevert_verifierCodeChanged() public {
        bytes32 pinned = address(gemm).codehash;
        VM.etch(address(gemm), address(matmul).code);
        bytes memory proof = GemmReluFixture.proof();
        uint256[] memory instances = GemmReluFixture.instances();
        VM.expectRevert(_codehashMismatch(address(gemm), pinned, address(matmul).codehash));
        oracle.quote(proof, instances);
    }

    // ---- rotation ---------------------------------------------------------------------------

    function test_rotation() public {
        uint256 executableAt = _proposeMatmul();
        _eq(executableAt, START + DELAY);
        (address next, bytes32 h, uint256 count, uint256 at) = oracle.pendingRotation();
        _eq(next, address(matmul));
        _eq(h, address(matmul).codehash);
        _eq(count, 2);
        _eq(at, executableAt);

        VM.expectRevert(abi.encodeWithSelector(IZkinferConsumer.RotationNotReady.selector, executableAt));
        oracle.executeVerifierRotation();
        VM.warp(executableAt - 1);
        VM.expectRevert(abi.encodeWithSelector(IZkinferConsumer.RotationNotReady.selector, executableAt));
        oracle.executeVerifierRotation();
        // Until the rotation, the old model is in force.
        oracle.check(GemmReluFixture.proof(), GemmReluFixture.instances());

        VM.warp(executableAt);
        VM.expectEmit(true, true, false, true, address(oracle));
        emit VerifierRotated(address(gemm), address(matmul));
        oracle.executeVerifierRotation();

        _eq(address(oracle.verifier()), address(matmul));
        _eq(oracle.verifierCodehash(), address(matmul).codehash);
        (next,,, at) = oracle.pendingRotation();
        _eq(next, address(0));
        _eq(at, 0);
        oracle.check(MatmulSigmoidFixture.proof(), MatmulSigmoidFixture.instances());
        bytes memory proof = GemmReluFixture.proof();
        uint256[] memory instances = GemmReluFixture.instances();
        VM.expectRevert(_failed(PROOF_REJECTED));
        oracle.check(proof, instances);
        // The oracle still decodes with gemm_relu's 10 bits: matmul_sigmoid's 9-bit word is caught.
        proof = MatmulSigmoidFixture.proof();
        instances = MatmulSigmoidFixture.instances();
        VM.expectRevert(abi.encodeWithSelector(IZkinferInstancesErrors.InvalidPackedWord.selector, 1, instances[1]));
        oracle.quote(proof, instances);
        // Nothing left to execute.
        VM.expectRevert(IZkinferConsumer.NoPendingRotation.selector);
        oracle.executeVerifierRotation();
    }

    function test_cancelRotation() public {
        uint256 executableAt = _proposeMatmul();
        VM.expectEmit(true, false, false, true, address(oracle));
        emit VerifierRotationCancelled(address(matmul));
        oracle.cancelVerifierRotation();
        (address next,,, uint256 at) = oracle.pendingRotation();
        _eq(next, address(0));
        _eq(at, 0);

        VM.warp(executableAt);
        VM.expectRevert(IZkinferConsumer.NoPendingRotation.selector);
        oracle.executeVerifierRotation();
        VM.expectRevert(IZkinferConsumer.NoPendingRotation.selector);
        oracle.cancelVerifierRotation();
        _eq(address(oracle.verifier()), address(gemm));
        // A new proposal starts a new delay.
        _eq(_proposeMatmul(), executableAt + DELAY);
    }

    function testRevert_proposeWhilePending() public {
        _proposeMatmul();
        bytes32 h = address(gemm).codehash;
        VM.expectRevert(abi.encodeWithSelector(IZkinferConsumer.RotationPending.selector, address(matmul)));
        oracle.proposeVerifier(address(gemm), h, 2);
    }

    function testRevert_nonOwner() public {
        bytes32 h = address(matmul).codehash;
        bytes memory unauthorized = abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, STRANGER);
        VM.prank(STRANGER);
        VM.expectRevert(unauthorized);
        oracle.proposeVerifier(address(matmul), h, 2);

        _proposeMatmul();
        VM.warp(block.timestamp + DELAY);
        VM.prank(STRANGER);
        VM.expectRevert(unauthorized);
        oracle.executeVerifierRotation();
        VM.prank(STRANGER);
        VM.expectRevert(unauthorized);
        oracle.cancelVerifierRotation();
    }

    function testRevert_proposeChecks() public {
        bytes32 h = address(matmul).codehash;
        bytes32 wrong = keccak256("not the verifier");
        VM.expectRevert(_codehashMismatch(address(matmul), wrong, h));
        oracle.proposeVerifier(address(matmul), wrong, 2);
        VM.expectRevert(abi.encodeWithSelector(IZkinferConsumer.InvalidVerifier.selector, STRANGER));
        oracle.proposeVerifier(STRANGER, h, 2);
        VM.expectRevert(abi.encodeWithSelector(IZkinferConsumer.InvalidInstanceCount.selector, 0));
        oracle.proposeVerifier(address(matmul), h, 0);
        VM.expectRevert(abi.encodeWithSelector(IZkinferConsumer.InvalidInstanceCount.selector, 2 ** 32));
        oracle.proposeVerifier(address(matmul), h, 2 ** 32);
        // A generated verifier states its instance count; a pin that disagrees is refused.
        _eq(IZkinferCircuitInfo(address(matmul)).NUM_INSTANCES(), 2);
        VM.expectRevert(abi.encodeWithSelector(IZkinferConsumer.InvalidInstanceCount.selector, 3));
        oracle.proposeVerifier(address(matmul), h, 3);
    }

    /// @notice The generated verifier names its circuit: the digest proofs of that circuit carry.
    function test_verifierStatesItsCircuit() public view {
        _eq(IZkinferCircuitInfo(address(gemm)).VK_DIGEST(), GemmReluFixture.VK_DIGEST);
        _eq(IZkinferCircuitInfo(address(matmul)).VK_DIGEST(), MatmulSigmoidFixture.VK_DIGEST);
    }

    // ---- circuit checks (the _checkVerifier hook) ---------------------------------------------

    /// @notice The generated verifiers state their circuits (`IZkinferCircuitInfo`): gemm_relu x[1,4]
    /// -> y[1,3] at 10 bits, matmul_sigmoid x[1,6] -> y[1,4] at 9 bits, both at scale 7.
    function test_generatedVerifiersStateTheirLayout() public view {
        IZkinferCircuitInfo g = IZkinferCircuitInfo(address(gemm));
        _eq(g.SCALE(), 7);
        _eq(g.PACK_BITS(), 10);
        IZkinferCircuitInfo.InstanceBlock[] memory b = g.instanceBlocks();
        _eq(b.length, 2);
        _eqBlock(b[0], IZkinferCircuitInfo.Side.Input, 0, 1, 4, 10);
        _eqBlock(b[1], IZkinferCircuitInfo.Side.Output, 1, 1, 3, 10);
        IZkinferCircuitInfo m = IZkinferCircuitInfo(address(matmul));
        _eq(m.SCALE(), 7);
        _eq(m.PACK_BITS(), 9);
        b = m.instanceBlocks();
        _eq(b.length, 2);
        _eqBlock(b[0], IZkinferCircuitInfo.Side.Input, 0, 1, 6, 9);
        _eqBlock(b[1], IZkinferCircuitInfo.Side.Output, 1, 1, 4, 9);
    }

    /// @notice The hook sees every verifier before it is pinned: at construction with nothing pinned
    /// (`current` zero) and at a proposal with the pinned verifier. Without an override it accepts
    /// everything (the plain oracle proposes matmul_sigmoid in {test_rotation}).
    function test_checkVerifierRunsAtConstructionAndProposal() public {
        bytes32 h = address(matmul).codehash;
        VM.expectRevert(
            abi.encodeWithSelector(ProbedGemmReluOracle.CheckVerifier.selector, address(matmul), address(0))
        );
        new ProbedGemmReluOracle(matmul, h, DELAY, address(this));

        ProbedGemmReluOracle probed = new ProbedGemmReluOracle(gemm, address(gemm).codehash, DELAY, address(this));
        VM.expectRevert(
            abi.encodeWithSelector(ProbedGemmReluOracle.CheckVerifier.selector, address(matmul), address(gemm))
        );
        probed.proposeVerifier(address(matmul), h, 2);
    }

    function test_circuitCheckAcceptsTheSameCircuit() public {
        CheckedGemmReluOracle checked = new CheckedGemmReluOracle(gemm, address(gemm).codehash, DELAY, address(this));
        _eq(checked.quote(GemmReluFixture.proof(), GemmReluFixture.instances())[0], 38);
        address again = address(new GemmReluVerifier());
        checked.proposeVerifier(again, again.codehash, 2);
        (address next,,,) = checked.pendingRotation();
        _eq(next, again);
    }

    function testRevert_circuitCheckRejectsOtherCircuits() public {
        bytes32 h = address(matmul).codehash;
        VM.expectRevert(_circuitMismatch(address(matmul), "PACK_BITS", 10, 9));
        new CheckedGemmReluOracle(matmul, h, DELAY, address(this));

        CheckedGemmReluOracle checked = new CheckedGemmReluOracle(gemm, address(gemm).codehash, DELAY, address(this));
        VM.expectRevert(_circuitMismatch(address(matmul), "PACK_BITS", 10, 9));
        checked.proposeVerifier(address(matmul), h, 2);

        // gemm_relu itself, with hashed inputs: another scale (and a commitment for the inputs).
        address hashed = address(new GemmReluHashedVerifier());
        h = hashed.codehash;
        VM.expectRevert(_circuitMismatch(hashed, "SCALE", 7, 8));
        checked.proposeVerifier(hashed, h, 2);

        // A verifier that does not state its circuit.
        address vk = address(new MockVerifyingKey());
        MockSplitVerifier split = new MockSplitVerifier(gemm, vk, vk.codehash);
        h = address(split).codehash;
        VM.expectRevert(abi.encodeWithSelector(IZkinferConsumer.MissingCircuitInfo.selector, address(split)));
        checked.proposeVerifier(address(split), h, 2);
    }

    /// @notice The proposed code is re-checked at execution.
    function testRevert_executeCodehashMismatch() public {
        uint256 executableAt = _proposeMatmul();
        bytes32 proposed = address(matmul).codehash;
        VM.etch(address(matmul), address(gemm).code);
        VM.warp(executableAt);
        VM.expectRevert(_codehashMismatch(address(matmul), proposed, address(gemm).codehash));
        oracle.executeVerifierRotation();
    }

    function test_ownershipIsTwoStep() public {
        oracle.transferOwnership(STRANGER);
        _eq(oracle.owner(), address(this));
        VM.prank(STRANGER);
        oracle.acceptOwnership();
        _eq(oracle.owner(), STRANGER);
        bytes32 h = address(matmul).codehash;
        VM.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, address(this)));
        oracle.proposeVerifier(address(matmul), h, 2);
        VM.prank(STRANGER);
        oracle.proposeVerifier(address(matmul), h, 2);
    }

    // ---- separate verifying key ---------------------------------------------------------------

    function test_separateVerifyingKeyIsPinned() public {
        address vk = address(new MockVerifyingKey());
        MockSplitVerifier split = new MockSplitVerifier(gemm, vk, vk.codehash);
        GemmReluOracle o = new GemmReluOracle(split, address(split).codehash, DELAY, address(this));
        (address pinned, bytes32 pinnedHash) = o.verifyingKey();
        _eq(pinned, vk);
        _eq(pinnedHash, vk.codehash);
        bytes memory proof = GemmReluFixture.proof();
        uint256[] memory instances = GemmReluFixture.instances();
        _eq(o.quote(proof, instances)[0], 38);

        // The verifying key's code is re-checked on every call.
        VM.etch(vk, address(gemm).code);
        VM.expectRevert(_codehashMismatch(vk, pinnedHash, address(gemm).codehash));
        o.quote(proof, instances);
    }

    function testRevert_separateVerifyingKeyMismatch() public {
        address vk = address(new MockVerifyingKey());
        bytes32 claimed = keccak256("another key");
        MockSplitVerifier split = new MockSplitVerifier(gemm, vk, claimed);
        bytes32 h = address(split).codehash;
        VM.expectRevert(_codehashMismatch(vk, claimed, vk.codehash));
        new GemmReluOracle(split, h, DELAY, address(this));
        VM.expectRevert(_codehashMismatch(vk, claimed, vk.codehash));
        oracle.proposeVerifier(address(split), h, 2);
    }
}
