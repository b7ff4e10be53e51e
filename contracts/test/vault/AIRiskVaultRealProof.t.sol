// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IZkinferConsumer} from "../../IZkinferConsumer.sol";
import {IZkinferCircuitInfo, IZkinferVerifier} from "../../IZkinferVerifier.sol";
import {AIRiskVault} from "../../vault/AIRiskVault.sol";
import {IAIRiskVault} from "../../vault/IAIRiskVault.sol";
import {MockPriceSource} from "../../vault/MockPriceSource.sol";
import {FlashAttacker} from "./FlashAttacker.sol";
import {MockERC20} from "./MockERC20.sol";
import {AigcVerifier} from "../fixtures/AigcVerifier.sol";
import {GemmReluFixture} from "../fixtures/GemmReluFixture.sol";
import {GemmReluVerifier} from "../fixtures/GemmReluVerifier.sol";
import {VaultRiskFixture} from "../fixtures/VaultRiskFixture.sol";
import {VaultRiskVerifier} from "../fixtures/VaultRiskVerifier.sol";
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
        vault.deposit(10_000e18, LENDER);
        VM.stopPrank();
        collateral.mint(BORROWER, 5e18);
        VM.startPrank(BORROWER);
        collateral.approve(address(vault), type(uint256).max);
        vault.depositCollateral(5e18);
        vault.borrow(4000e18);
        VM.stopPrank();
        // The model reads the previous epoch's averages: hold the position through one whole epoch.
        VM.warp((block.timestamp / EPOCH + 2) * EPOCH);
    }

    function _eq(uint256 actual, uint256 expected) internal pure {
        if (actual != expected) revert Mismatch(actual, expected);
    }

    /// @notice The generated verifier states the circuit the fixture proof was made for, and the vault
    /// took its scale and packing width from it.
    function test_circuitFactsAreTheVerifiers() public view {
        IZkinferCircuitInfo info = IZkinferCircuitInfo(address(verifier));
        _eq(info.SCALE(), VaultRiskFixture.SCALE);
        _eq(info.PACK_BITS(), VaultRiskFixture.PACK_BITS);
        _eq(info.NUM_INSTANCES(), 2);
        _eq(info.VK_DIGEST(), VaultRiskFixture.VK_DIGEST);
        _eq(vault.FEATURE_SCALE(), info.SCALE());
        _eq(vault.PACK_BITS(), info.PACK_BITS());
        _eq(vault.FEATURE_ONE(), 2 ** info.SCALE());
        IZkinferCircuitInfo.InstanceBlock[] memory b = info.instanceBlocks();
        _eq(b.length, 2);
        _eq(uint256(b[0].side), uint256(IZkinferCircuitInfo.Side.Input));
        _eq(uint256(b[1].side), uint256(IZkinferCircuitInfo.Side.Output));
        require(!b[0].commitment && !b[1].commitment, "public values, not commitments");
        _eq(b[0].offset, 0);
        _eq(b[0].words, 1);
        _eq(b[0].values, 4);
        _eq(b[0].packBits, VaultRiskFixture.PACK_BITS);
        _eq(b[1].offset, 1);
        _eq(b[1].words, 1);
        _eq(b[1].values, 2);
        _eq(b[1].packBits, VaultRiskFixture.PACK_BITS);
    }

    /// @notice Another model's generated verifier cannot even be proposed; another deployment of the
    /// same circuit's verifier can.
    function testRevert_rotationToAnotherModelsVerifier() public {
        address gemm = address(new GemmReluVerifier()); // scale 7, packing width 10
        bytes32 h = gemm.codehash;
        VM.expectRevert(abi.encodeWithSelector(IZkinferConsumer.CircuitMismatch.selector, gemm, "PACK_BITS", 12, 10));
        vault.proposeVerifier(gemm, h, 2);

        address aigc = address(new AigcVerifier()); // 5 instances, packing width 13
        h = aigc.codehash;
        VM.expectRevert(abi.encodeWithSelector(IZkinferConsumer.CircuitMismatch.selector, aigc, "PACK_BITS", 12, 13));
        vault.proposeVerifier(aigc, h, 5);

        address again = address(new VaultRiskVerifier());
        vault.proposeVerifier(again, again.codehash, 2);
        (address next,,,) = vault.pendingRotation();
        require(next == again, "same circuit proposed");
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
        _eq(vault.lastAppliedEpoch(), block.timestamp / EPOCH);
    }

    function testRevert_replayInTheSameEpoch() public {
        vault.updateRiskParameters(VaultRiskFixture.proof(), VaultRiskFixture.instances());
        (bool ok, bytes memory ret) = address(vault)
            .call(
                abi.encodeCall(
                    AIRiskVault.updateRiskParameters, (VaultRiskFixture.proof(), VaultRiskFixture.instances())
                )
            );
        require(!ok && bytes4(ret) == IAIRiskVault.EpochAlreadyApplied.selector, "replay accepted");
    }

    function testRevert_staleProofAfterTheStateMoved() public {
        asset.mint(LENDER, 1000e18);
        VM.startPrank(LENDER);
        vault.deposit(1000e18, LENDER); // utilisation changes: from the next epoch on, the proof's inputs are stale
        VM.stopPrank();
        VM.warp((block.timestamp / EPOCH + 1) * EPOCH);
        (bool ok, bytes memory ret) = address(vault)
            .call(
                abi.encodeCall(
                    AIRiskVault.updateRiskParameters, (VaultRiskFixture.proof(), VaultRiskFixture.instances())
                )
            );
        require(!ok && bytes4(ret) == IAIRiskVault.InputMismatch.selector, "stale proof accepted");
    }

    function testRevert_tamperedProof() public {
        bytes memory bad = bytes.concat(VaultRiskFixture.proof());
        bad[bad.length - 129] = bad[bad.length - 129] ^ 0x01; // last evaluation
        (bool ok, bytes memory ret) =
            address(vault).call(abi.encodeCall(AIRiskVault.updateRiskParameters, (bad, VaultRiskFixture.instances())));
        require(!ok && bytes4(ret) == IZkinferConsumer.VerificationFailed.selector, "tampered proof accepted");
    }

    function testRevert_forgedOutputs() public {
        uint256[] memory instances = VaultRiskFixture.instances();
        instances[1] = instances[1] + 1; // claim a different LTV output
        (bool ok, bytes memory ret) =
            address(vault).call(abi.encodeCall(AIRiskVault.updateRiskParameters, (VaultRiskFixture.proof(), instances)));
        require(!ok && bytes4(ret) == IZkinferConsumer.VerificationFailed.selector, "forged outputs accepted");
    }

    /// @notice Another model's proof, even with the vault's own input word, does not verify.
    function testRevert_foreignModelProof() public {
        uint256[] memory instances = GemmReluFixture.instances();
        instances[0] = vault.expectedInputWord();
        (bool ok, bytes memory ret) =
            address(vault).call(abi.encodeCall(AIRiskVault.updateRiskParameters, (GemmReluFixture.proof(), instances)));
        require(!ok && bytes4(ret) == IZkinferConsumer.VerificationFailed.selector, "foreign proof accepted");
    }

    /// @notice The flash-loan attack of a permissionless update, in one transaction: lend a fortune
    /// and post collateral (utilisation near 0, coverage full), update, redeem, withdraw. The vault
    /// reads the previous epoch's averages, so the input the update sees is the honest one: the
    /// attacker can only submit the honest state's proof, which applies the honest outputs, and the
    /// position held for no time moves the next epoch's input by nothing.
    function test_flashPositionInOneTransaction_seesTheTimeWeightedState() public {
        uint256 honest = vault.expectedInputWord();
        // An honest observation in the same block first: interest accrued since the position was
        // opened has moved its coverage (80 -> 79), and this is what the epoch would record anyway.
        vault.accrueInterest();
        int256[4] memory before = vault.instantFeatures();
        FlashAttacker attacker = new FlashAttacker();
        asset.mint(address(attacker), 1_000_000e18);
        collateral.mint(address(attacker), 10_000e18);
        (bool accepted, uint256 during, int256[4] memory instant) = attacker.attack(
            vault,
            asset,
            collateral,
            1_000_000e18,
            10_000e18,
            VaultRiskFixture.proof(),
            VaultRiskFixture.instances(),
            false
        );
        require(accepted, "the honest proof was refused during the attack");
        _eq(during, honest);
        require(instant[0] == 0 && instant[3] == 128, "the attack did move the instantaneous state");
        _eq(vault.maxLtv(), 0.65e18); // the honest model output, one step from 0.60
        _eq(asset.balanceOf(address(attacker)), 1_000_000e18 - 1); // redeem rounds down by a wei at most
        VM.warp((block.timestamp / EPOCH + 1) * EPOCH);
        int256[4] memory next = vault.currentFeatures();
        require(next[0] == before[0] && next[3] == before[3], "the flash position moved the next epoch's input");
    }
}
