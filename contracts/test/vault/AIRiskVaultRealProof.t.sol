// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IZkinferVerifier} from "../../IZkinferVerifier.sol";
import {ZkinferConsumer} from "../../ZkinferConsumer.sol";
import {AIRiskVault} from "../../vault/AIRiskVault.sol";
import {MockPriceSource} from "../../vault/MockPriceSource.sol";
import {MockERC20} from "./MockERC20.sol";
import {VaultRiskVerifier} from "../fixtures/VaultRiskVerifier.sol";
import {VaultRiskFixture} from "../fixtures/VaultRiskFixture.sol";
import {GemmReluFixture} from "../fixtures/GemmReluFixture.sol";
import {VM} from "../utils/Vm.sol";

/// @notice The vault with the real verifier of its risk model and a real zkinfer proof
/// (`cargo run --release --example gen_evm_fixtures`) for the worked example's state: prices
/// [2000, 2100, 1995, 2000, 1900, 1950, 2050, 2000], 10,000 lent, 5 collateral, 4,000 borrowed,
/// whose features are [51, 46, 6, 80] at 7 fractional bits.
contract AIRiskVaultRealProofTest {
    uint256 internal constant START = 1_700_000_000;
    uint256 internal constant EPOCH = 1 hours;
    address internal constant LENDER = address(0x1001);
    address internal constant BORROWER = address(0x2002);
    bytes4 internal constant PROOF_REJECTED = bytes4(keccak256("ProofRejected()"));

    MockERC20 internal collateral;
    MockERC20 internal asset;
    MockPriceSource internal prices;
    IZkinferVerifier internal verifier;
    AIRiskVault internal vault;

    error Mismatch(uint256 actual, uint256 expected);

    function setUp() public {
        VM.warp(START);
        collateral = new MockERC20("Collateral", "COL");
        asset = new MockERC20("Borrowed", "BOR");
        prices = new MockPriceSource(address(this));
        uint256[8] memory h = [uint256(2000e18), 2100e18, 1995e18, 2000e18, 1900e18, 1950e18, 2050e18, 2000e18];
        for (uint256 i = 0; i < h.length; ++i) {
            prices.pushPrice(h[i]);
        }
        verifier = IZkinferVerifier(address(new VaultRiskVerifier()));
        AIRiskVault.RiskConfig memory config = AIRiskVault.RiskConfig({
            epochLength: EPOCH,
            featureScale: VaultRiskFixture.SCALE,
            packBits: VaultRiskFixture.PACK_BITS,
            ltvFloor: 0.3e18,
            ltvCeiling: 0.85e18,
            rateFloor: 0.01e18,
            rateCeiling: 0.4e18,
            maxLtvChange: 0.05e18,
            maxRateChange: 0.05e18,
            initialLtv: 0.6e18,
            initialRate: 0.05e18
        });
        vault = new AIRiskVault(
            collateral, asset, prices, config, verifier, address(verifier).codehash, 2 days, address(this)
        );

        asset.mint(LENDER, 10_000e18);
        VM.startPrank(LENDER);
        asset.approve(address(vault), type(uint256).max);
        vault.deposit(10_000e18);
        VM.stopPrank();
        collateral.mint(BORROWER, 5e18);
        VM.startPrank(BORROWER);
        collateral.approve(address(vault), type(uint256).max);
        vault.depositCollateral(5e18);
        vault.borrow(4000e18);
        VM.stopPrank();
    }

    function _eq(uint256 actual, uint256 expected) internal pure {
        if (actual != expected) revert Mismatch(actual, expected);
    }

    function test_vaultStateMatchesTheProvedFeatures() public view {
        int256[4] memory f = vault.currentFeatures();
        require(f[0] == 51 && f[1] == 46 && f[2] == 6 && f[3] == 80, "features differ from the fixture's");
        _eq(VaultRiskFixture.instances()[0], vault.expectedInputWord());
    }

    /// @notice A real proof applies: targets 0.30 + 0.60 * 95/128 LTV and 0.50 * 18/128 rate, the LTV
    /// limited to one 0.05 step from 0.60.
    function test_realProofUpdatesRiskParameters() public {
        (uint256 ltv, uint256 rate) = vault.updateRiskParameters(VaultRiskFixture.proof(), VaultRiskFixture.instances());
        _eq(uint256(VaultRiskFixture.LTV_OUTPUT), 95);
        _eq(ltv, 0.65e18);
        _eq(rate, 0.5e18 * uint256(VaultRiskFixture.RATE_OUTPUT) / 128);
        _eq(vault.maxLtv(), 0.65e18);
        _eq(vault.borrowRate(), rate);
        _eq(vault.lastAppliedEpoch(), START / EPOCH);
    }

    function testRevert_replayInTheSameEpoch() public {
        vault.updateRiskParameters(VaultRiskFixture.proof(), VaultRiskFixture.instances());
        (bool ok, bytes memory ret) = address(vault)
            .call(
                abi.encodeCall(
                    AIRiskVault.updateRiskParameters, (VaultRiskFixture.proof(), VaultRiskFixture.instances())
                )
            );
        require(!ok && bytes4(ret) == AIRiskVault.EpochAlreadyApplied.selector, "replay accepted");
    }

    function testRevert_staleProofAfterTheStateMoved() public {
        asset.mint(LENDER, 1000e18);
        VM.startPrank(LENDER);
        vault.deposit(1000e18); // utilisation changes: the proof's inputs are no longer the vault's
        VM.stopPrank();
        (bool ok, bytes memory ret) = address(vault)
            .call(
                abi.encodeCall(
                    AIRiskVault.updateRiskParameters, (VaultRiskFixture.proof(), VaultRiskFixture.instances())
                )
            );
        require(!ok && bytes4(ret) == AIRiskVault.InputMismatch.selector, "stale proof accepted");
    }

    function testRevert_tamperedProof() public {
        bytes memory bad = bytes.concat(VaultRiskFixture.proof());
        bad[bad.length - 129] = bad[bad.length - 129] ^ 0x01; // last evaluation
        (bool ok, bytes memory ret) =
            address(vault).call(abi.encodeCall(AIRiskVault.updateRiskParameters, (bad, VaultRiskFixture.instances())));
        require(!ok && bytes4(ret) == ZkinferConsumer.VerificationFailed.selector, "tampered proof accepted");
    }

    function testRevert_forgedOutputs() public {
        uint256[] memory instances = VaultRiskFixture.instances();
        instances[1] = instances[1] + 1; // claim a different LTV output
        (bool ok, bytes memory ret) =
            address(vault).call(abi.encodeCall(AIRiskVault.updateRiskParameters, (VaultRiskFixture.proof(), instances)));
        require(!ok && bytes4(ret) == ZkinferConsumer.VerificationFailed.selector, "forged outputs accepted");
    }

    /// @notice Another model's proof, even with the vault's own input word, does not verify.
    function testRevert_foreignModelProof() public {
        uint256[] memory instances = GemmReluFixture.instances();
        instances[0] = vault.expectedInputWord();
        (bool ok, bytes memory ret) =
            address(vault).call(abi.encodeCall(AIRiskVault.updateRiskParameters, (GemmReluFixture.proof(), instances)));
        require(!ok && bytes4(ret) == ZkinferConsumer.VerificationFailed.selector, "foreign proof accepted");
    }
}
