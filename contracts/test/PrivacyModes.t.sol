// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IZkinferInstancesErrors} from "../IZkinferInstancesErrors.sol";
import {IZkinferCircuitInfo, IZkinferVerifier} from "../IZkinferVerifier.sol";
import {ZkinferInstances} from "../ZkinferInstances.sol";
import {GemmReluHashedFixture} from "./fixtures/GemmReluHashedFixture.sol";
import {GemmReluHashedVerifier} from "./fixtures/GemmReluHashedVerifier.sol";
import {VM} from "./utils/Vm.sol";

/// @notice A consumer of a model whose inputs are private: it pins the input commitment it was
/// given (a user's record, committed to with `zkinfer commit`), and accepts a score only from a
/// proof about exactly that record.
contract PrivateRecordScore {
    /// @notice The model's outputs (gemm_relu: 3), all packed in instance 1.
    uint256 public constant OUTPUTS = 3;
    IZkinferVerifier public immutable VERIFIER;
    uint256 public immutable PINNED;
    uint256 public immutable PACK_BITS;
    int256 public lastScore;

    constructor(IZkinferVerifier verifier, uint256 pinned, uint256 packBits) {
        VERIFIER = verifier;
        PINNED = pinned;
        PACK_BITS = packBits;
    }

    /// @notice Requires the pinned commitment at instance 0, verifies, and keeps the first output.
    function accept(bytes calldata proof, uint256[] calldata instances) external returns (int256 score) {
        ZkinferInstances.requireCommitmentCalldata(instances, 0, PINNED);
        VERIFIER.verifyProof(proof, instances);
        score = ZkinferInstances.unpackAllCalldata(instances, 1, OUTPUTS, PACK_BITS)[0];
        lastScore = score;
    }
}

/// @notice Hashed visibility on chain, with a real proof whose inputs are private (gemm_relu,
/// `--input-visibility hashed`): instance 0 is Poseidon(inputs, salt), the outputs follow, packed.
contract PrivacyModesTest {
    IZkinferVerifier internal verifier;

    error Expected(string what);

    function setUp() public {
        verifier = IZkinferVerifier(address(new GemmReluHashedVerifier()));
    }

    function test_hashedInputProofVerifiesAndCarriesThePinnedCommitment() public view {
        uint256[] memory instances = GemmReluHashedFixture.instances();
        if (instances[0] != GemmReluHashedFixture.INPUT_COMMITMENT) revert Expected("the pinned commitment first");
        if (!verifier.verifyProof(GemmReluHashedFixture.proof(), instances)) revert Expected("a valid proof");
    }

    /// @notice The verifier says so itself: instance 0 is a commitment to the 4 inputs (no values, no
    /// packing), the 3 outputs follow packed at the fixture's width, at scale 8.
    function test_verifierStatesTheHashedLayout() public view {
        IZkinferCircuitInfo info = IZkinferCircuitInfo(address(verifier));
        if (info.SCALE() != 8 || info.PACK_BITS() != GemmReluHashedFixture.PACK_BITS) revert Expected("scale, width");
        IZkinferCircuitInfo.InstanceBlock[] memory b = info.instanceBlocks();
        if (b.length != 2) revert Expected("two blocks");
        IZkinferCircuitInfo.InstanceBlock memory input = b[0];
        if (
            input.side != IZkinferCircuitInfo.Side.Input || !input.commitment || input.offset != 0 || input.words != 1
                || input.values != 4 || input.packBits != 0
        ) revert Expected("the input commitment");
        IZkinferCircuitInfo.InstanceBlock memory output = b[1];
        if (
            output.side != IZkinferCircuitInfo.Side.Output || output.commitment || output.offset != 1
                || output.words != 1 || output.values != 3 || output.packBits != GemmReluHashedFixture.PACK_BITS
        ) revert Expected("the packed outputs");
    }

    function test_consumerAcceptsOnlyThePinnedRecord() public {
        PrivateRecordScore ok =
            new PrivateRecordScore(verifier, GemmReluHashedFixture.INPUT_COMMITMENT, GemmReluHashedFixture.PACK_BITS);
        uint256[] memory instances = GemmReluHashedFixture.instances();
        int256 score = ok.accept(GemmReluHashedFixture.proof(), instances);
        if (score != GemmReluHashedFixture.FIRST_OUTPUT || ok.lastScore() != score) {
            revert Expected("the proved score");
        }

        // A consumer that pinned another record refuses the same (valid) proof.
        uint256 other = GemmReluHashedFixture.INPUT_COMMITMENT ^ 1;
        PrivateRecordScore pinnedElsewhere = new PrivateRecordScore(verifier, other, GemmReluHashedFixture.PACK_BITS);
        VM.expectRevert(
            abi.encodeWithSelector(
                IZkinferInstancesErrors.CommitmentMismatch.selector, 0, other, GemmReluHashedFixture.INPUT_COMMITMENT
            )
        );
        pinnedElsewhere.accept(GemmReluHashedFixture.proof(), instances);
    }

    /// @notice The proof binds its commitment: claiming it for another record fails verification.
    function test_tamperedCommitmentIsRejected() public {
        uint256[] memory instances = GemmReluHashedFixture.instances();
        instances[0] = GemmReluHashedFixture.INPUT_COMMITMENT ^ 1;
        PrivateRecordScore forged = new PrivateRecordScore(verifier, instances[0], GemmReluHashedFixture.PACK_BITS);
        VM.expectRevert(GemmReluHashedVerifier.ProofRejected.selector);
        forged.accept(GemmReluHashedFixture.proof(), instances);
    }

    /// @notice Nor can the outputs be changed under a valid commitment.
    function test_tamperedOutputIsRejected() public {
        uint256[] memory instances = GemmReluHashedFixture.instances();
        instances[1] ^= 1;
        VM.expectRevert(GemmReluHashedVerifier.ProofRejected.selector);
        verifier.verifyProof(GemmReluHashedFixture.proof(), instances);
    }
}
