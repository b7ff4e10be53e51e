// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IZkinferCircuitInfo, IZkinferVerifier} from "../IZkinferVerifier.sol";
import {GemmReluVerifier} from "./fixtures/GemmReluVerifier.sol";
import {MatmulSigmoidVerifier} from "./fixtures/MatmulSigmoidVerifier.sol";
import {GemmReluFixture} from "./fixtures/GemmReluFixture.sol";
import {MatmulSigmoidFixture} from "./fixtures/MatmulSigmoidFixture.sol";

/// @notice Generated verifiers on real proofs (fixtures from `cargo run --release --example gen_evm_fixtures`).
contract Halo2VerifierTest {
    uint256 internal constant R = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001;

    bytes4 internal constant INVALID_CALLDATA = bytes4(keccak256("InvalidCalldata()"));
    bytes4 internal constant INVALID_INSTANCE = bytes4(keccak256("InvalidInstance()"));
    bytes4 internal constant INVALID_POINT = bytes4(keccak256("InvalidPoint()"));
    bytes4 internal constant INVALID_SCALAR = bytes4(keccak256("InvalidScalar()"));
    bytes4 internal constant PROOF_REJECTED = bytes4(keccak256("ProofRejected()"));

    IZkinferVerifier internal verifier;
    IZkinferVerifier internal otherVerifier;

    function setUp() public {
        verifier = IZkinferVerifier(address(new GemmReluVerifier()));
        otherVerifier = IZkinferVerifier(address(new MatmulSigmoidVerifier()));
    }

    /// @dev Calls verifyProof and returns (accepted, revert selector).
    function _verify(IZkinferVerifier v, bytes memory proof, uint256[] memory instances)
        internal
        view
        returns (bool accepted, bytes4 reason)
    {
        (bool ok, bytes memory ret) =
            address(v).staticcall(abi.encodeCall(IZkinferVerifier.verifyProof, (proof, instances)));
        if (ok) {
            return (abi.decode(ret, (bool)), bytes4(0));
        }
        if (ret.length >= 4) {
            reason = bytes4(ret);
        }
        return (false, reason);
    }

    function _expectRejected(IZkinferVerifier v, bytes memory proof, uint256[] memory instances, bytes4 expected)
        internal
        view
    {
        (bool accepted, bytes4 reason) = _verify(v, proof, instances);
        require(!accepted, "tampered input accepted");
        if (expected != bytes4(0)) {
            require(reason == expected, "unexpected revert reason");
        }
    }

    function test_acceptsValidProof() public view {
        (bool accepted,) = _verify(verifier, GemmReluFixture.proof(), GemmReluFixture.instances());
        require(accepted, "valid proof rejected");
        (accepted,) = _verify(otherVerifier, MatmulSigmoidFixture.proof(), MatmulSigmoidFixture.instances());
        require(accepted, "valid proof rejected by the second verifier");
    }

    function test_verifyProofReturnsTrueThroughTheInterface() public view {
        require(verifier.verifyProof(GemmReluFixture.proof(), GemmReluFixture.instances()), "interface call failed");
    }

    /// @notice Every 32-byte word of the proof, altered one at a time, is rejected.
    function test_statesItsDevelopmentSrs() public view {
        // The fixtures are made with zkinfer's development SRS, and the verifier says so.
        require(IZkinferCircuitInfo(address(verifier)).DEV_SRS(), "DEV_SRS() is false for development keys");
    }

    function testRevert_everyAlteredProofWord() public view {
        bytes memory proof = GemmReluFixture.proof();
        uint256[] memory instances = GemmReluFixture.instances();
        for (uint256 w = 0; w < proof.length / 32; w++) {
            bytes memory bad = bytes.concat(proof);
            bad[w * 32 + 31] = bad[w * 32 + 31] ^ 0x01;
            _expectRejected(verifier, bad, instances, bytes4(0));
        }
    }

    function testRevert_alteredPointIsInvalid() public view {
        bytes memory bad = bytes.concat(GemmReluFixture.proof());
        bad[63] = bad[63] ^ 0x01; // y of the first commitment: off the curve
        _expectRejected(verifier, bad, GemmReluFixture.instances(), INVALID_POINT);
    }

    function testRevert_alteredInstance() public view {
        uint256[] memory instances = GemmReluFixture.instances();
        instances[0] = addmod(instances[0], 1, R);
        _expectRejected(verifier, GemmReluFixture.proof(), instances, PROOF_REJECTED);
    }

    function testRevert_missingInstance() public view {
        uint256[] memory instances = GemmReluFixture.instances();
        uint256[] memory shorter = new uint256[](instances.length - 1);
        for (uint256 i = 0; i < shorter.length; i++) {
            shorter[i] = instances[i];
        }
        _expectRejected(verifier, GemmReluFixture.proof(), shorter, INVALID_CALLDATA);
    }

    function testRevert_extraInstance() public view {
        uint256[] memory instances = GemmReluFixture.instances();
        uint256[] memory longer = new uint256[](instances.length + 1);
        for (uint256 i = 0; i < instances.length; i++) {
            longer[i] = instances[i];
        }
        _expectRejected(verifier, GemmReluFixture.proof(), longer, INVALID_CALLDATA);
    }

    function testRevert_instanceNotBelowR() public view {
        uint256[] memory instances = GemmReluFixture.instances();
        instances[0] = instances[0] + R; // the same field element, non-canonical
        _expectRejected(verifier, GemmReluFixture.proof(), instances, INVALID_INSTANCE);
    }

    function testRevert_evaluationNotBelowR() public view {
        bytes memory bad = bytes.concat(GemmReluFixture.proof());
        // The last 128 bytes are the two SHPLONK points; the word before them is an evaluation.
        uint256 at = bad.length - 128 - 32;
        assembly {
            let p := add(add(bad, 0x20), at)
            mstore(p, add(mload(p), R))
        }
        _expectRejected(verifier, bad, GemmReluFixture.instances(), INVALID_SCALAR);
    }

    function testRevert_truncatedProof() public view {
        bytes memory proof = GemmReluFixture.proof();
        bytes memory shorter = new bytes(proof.length - 32);
        for (uint256 i = 0; i < shorter.length; i++) {
            shorter[i] = proof[i];
        }
        _expectRejected(verifier, shorter, GemmReluFixture.instances(), INVALID_CALLDATA);
    }

    function testRevert_otherModelsProof() public view {
        _expectRejected(otherVerifier, GemmReluFixture.proof(), GemmReluFixture.instances(), bytes4(0));
        _expectRejected(verifier, MatmulSigmoidFixture.proof(), MatmulSigmoidFixture.instances(), bytes4(0));
    }
}
