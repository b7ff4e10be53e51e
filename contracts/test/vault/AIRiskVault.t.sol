// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IZkinferConsumer} from "../../IZkinferConsumer.sol";
import {IZkinferInstancesErrors} from "../../IZkinferInstancesErrors.sol";
import {IZkinferCircuitInfo} from "../../IZkinferVerifier.sol";
import {ZkinferInstances} from "../../ZkinferInstances.sol";
import {AIRiskVault} from "../../vault/AIRiskVault.sol";
import {IAIRiskVault} from "../../vault/IAIRiskVault.sol";
import {MockPriceSource} from "../../vault/MockPriceSource.sol";
import {FlashAttacker} from "./FlashAttacker.sol";
import {InflatableVault} from "./InflatableVault.sol";
import {MockZkinferVerifier} from "./MockZkinferVerifier.sol";
import {VaultTestBase} from "./VaultTestBase.sol";
import {VM} from "../utils/Vm.sol";

/// @notice AIRiskVault: the circuit facts it takes from its verifier, proven risk-parameter updates
/// (against the mock verifier), the features the vault computes for them, and the lending flows that
/// use the parameters.
contract AIRiskVaultTest is VaultTestBase {
    bytes4 internal constant PROOF_REJECTED = bytes4(keccak256("ProofRejected()"));

    function setUp() public {
        _deploy();
    }

    // ---- helpers ----------------------------------------------------------------------------

    /// @dev The reference state of the feature tests: 10,000 lent, 5 collateral at 2,000 (value
    /// 10,000), 4,000 borrowed.
    function _standardPosition() internal {
        _lend(LENDER, 10_000e18);
        _post(BORROWER, 5e18);
        _borrow(BORROWER, 4000e18);
    }

    /// @dev Replaces the single price with `history` (oldest first) on a fresh source and vault.
    function _withPrices(uint256[] memory history) internal {
        prices = new MockPriceSource(address(this));
        for (uint256 i = 0; i < history.length; ++i) {
            prices.pushPrice(history[i]);
        }
        vault = _newVault(_config());
    }

    function _failed(bytes memory verifierError) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IZkinferConsumer.VerificationFailed.selector, verifierError);
    }

    /// @dev The volatility feature recomputed from its definition (wad-floored moves, then floor).
    function _refVolatility(uint256[] memory p) internal pure returns (int256) {
        uint256 start = p.length > 8 ? p.length - 8 : 0;
        uint256 n = p.length - start;
        if (n < 2) return 0;
        uint256 sum;
        for (uint256 k = start + 1; k < p.length; ++k) {
            uint256 d = p[k] > p[k - 1] ? p[k] - p[k - 1] : p[k - 1] - p[k];
            sum += d * WAD / p[k - 1];
        }
        uint256 v = sum * 10 * 128 / ((n - 1) * WAD);
        // casting to 'int256' is safe because v <= 256
        // forge-lint: disable-next-line(unsafe-typecast)
        return int256(v > 256 ? 256 : v);
    }

    /// @dev The parameter mapping recomputed from its definition.
    function _refMap(int256 y0, int256 y1, uint256 oldLtv, uint256 oldRate)
        internal
        pure
        returns (uint256 ltv, uint256 rate)
    {
        // forge-lint: disable-next-line(unsafe-typecast)
        uint256 u0 = y0 <= 0 ? 0 : (y0 >= ONE ? 128 : uint256(y0));
        // forge-lint: disable-next-line(unsafe-typecast)
        uint256 u1 = y1 <= 0 ? 0 : (y1 >= ONE ? 128 : uint256(y1));
        ltv = Math.min(Math.max(0.3e18 + 0.6e18 * u0 / 128, LTV_FLOOR), LTV_CEILING);
        rate = Math.min(Math.max(0.5e18 * u1 / 128, RATE_FLOOR), RATE_CEILING);
        ltv = Math.min(Math.max(ltv, oldLtv > LTV_STEP ? oldLtv - LTV_STEP : 0), oldLtv + LTV_STEP);
        rate = Math.min(Math.max(rate, oldRate > RATE_STEP ? oldRate - RATE_STEP : 0), oldRate + RATE_STEP);
    }

    // ---- deployment -------------------------------------------------------------------------

    function test_deployment() public view {
        _eq(vault.maxLtv(), INITIAL_LTV);
        _eq(vault.borrowRate(), INITIAL_RATE);
        _eq(vault.liquidationThreshold(), 0.65e18);
        _eq(vault.lastAppliedEpoch(), 0);
        _eq(vault.lastAccrual(), START);
        _eq(vault.borrowIndex(), WAD);
        _eq(vault.currentEpoch(), START / EPOCH);
        _eq(vault.FEATURE_SCALE(), SCALE);
        _eq(vault.FEATURE_SCALE(), verifier.SCALE());
        _eq(vault.FEATURE_ONE(), 128);
        _eq(vault.PACK_BITS(), BITS);
        _eq(vault.PACK_BITS(), verifier.PACK_BITS());
        _eq(vault.EPOCH_LENGTH(), EPOCH);
        _eq(address(vault.verifier()), address(verifier));
        _eq(vault.verifierCodehash(), address(verifier).codehash);
        _eq(vault.expectedInstanceCount(), 2);
        _eq(vault.owner(), address(this));
        _eq(address(vault.COLLATERAL_TOKEN()), address(collateral));
        _eq(address(vault.BORROW_TOKEN()), address(asset));
        _eq(address(vault.PRICE_SOURCE()), address(prices));
    }

    function testRevert_invalidConfig() public {
        AIRiskVault.RiskConfig memory c = _config();
        c.epochLength = 0;
        _expectInvalid(c, "epochLength");
        c = _config();
        c.ltvFloor = LTV_CEILING + 1;
        _expectInvalid(c, "ltvBounds");
        c = _config();
        c.ltvCeiling = 0.95e18; // the liquidation threshold must stay above maxLtv
        _expectInvalid(c, "ltvBounds");
        c = _config();
        c.rateFloor = RATE_CEILING + 1;
        _expectInvalid(c, "rateBounds");
        c = _config();
        c.rateCeiling = 1e18 + 1;
        _expectInvalid(c, "rateBounds");
        c = _config();
        c.maxLtvChange = 0;
        _expectInvalid(c, "maxLtvChange");
        c = _config();
        c.maxRateChange = 0;
        _expectInvalid(c, "maxRateChange");
        c = _config();
        c.initialLtv = LTV_FLOOR - 1;
        _expectInvalid(c, "initialLtv");
        c = _config();
        c.initialRate = RATE_CEILING + 1;
        _expectInvalid(c, "initialRate");

        c = _config();
        bytes32 h = address(verifier).codehash;
        VM.expectRevert(abi.encodeWithSelector(IAIRiskVault.InvalidRiskConfig.selector, "borrowToken"));
        new AIRiskVault(collateral, collateral, prices, c, verifier, h, DELAY, address(this));
        VM.expectRevert(abi.encodeWithSelector(IZkinferConsumer.CodehashMismatch.selector, address(verifier), 0, h));
        new AIRiskVault(collateral, asset, prices, c, verifier, bytes32(0), DELAY, address(this));
    }

    function _expectInvalid(AIRiskVault.RiskConfig memory c, string memory field) internal {
        VM.expectRevert(abi.encodeWithSelector(IAIRiskVault.InvalidRiskConfig.selector, field));
        _newVault(c);
    }

    // ---- circuit facts ------------------------------------------------------------------------

    /// @dev A vault with the standard configuration pinning `v`.
    function _vaultWith(MockZkinferVerifier v) internal returns (AIRiskVault) {
        return new AIRiskVault(collateral, asset, prices, _config(), v, address(v).codehash, DELAY, address(this));
    }

    function _circuitMismatch(address v, string memory fact, uint256 expected, uint256 actual)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodeWithSelector(IZkinferConsumer.CircuitMismatch.selector, v, fact, expected, actual);
    }

    /// @dev A mock stating the vault's scale and width but the layout `blocks` (and 2 instances, so
    /// the instance-count check passes and the layout check is reached): the vault must refuse it.
    function _expectLayoutRejected(
        IZkinferCircuitInfo.InstanceBlock[] memory blocks,
        string memory fact,
        uint256 expected,
        uint256 actual
    ) internal {
        MockZkinferVerifier v = new MockZkinferVerifier(SCALE, BITS);
        v.setInstanceBlocks(blocks);
        v.setNumInstances(2);
        VM.expectRevert(_circuitMismatch(address(v), fact, expected, actual));
        _vaultWith(v);
    }

    /// @notice The scale and packing width are the verifier's: the deployer does not type them.
    function test_circuitFactsComeFromTheVerifier() public {
        MockZkinferVerifier wide = new MockZkinferVerifier(9, 14);
        AIRiskVault v = _vaultWith(wide);
        _eq(v.FEATURE_SCALE(), 9);
        _eq(v.FEATURE_ONE(), 512);
        _eq(v.PACK_BITS(), 14);
        // An empty vault's features are [0, 0, 0, ONE], packed at the verifier's width.
        int256[] memory f = new int256[](4);
        f[3] = 512;
        _eq(v.expectedInputWord(), ZkinferInstances.pack(f, 14)[0]);
    }

    /// @notice A scale or packing width the vault cannot decode is refused at deployment.
    function testRevert_unsupportedCircuit() public {
        // scale 0; scale above 32; the volatility cap 2.0 = 2^(scale+1) not packable; same at scale 30.
        uint256[2][4] memory bad = [[uint256(0), 10], [uint256(33), 63], [uint256(7), 9], [uint256(30), 32]];
        for (uint256 i = 0; i < bad.length; ++i) {
            MockZkinferVerifier v = new MockZkinferVerifier(bad[i][0], bad[i][1]);
            VM.expectRevert(abi.encodeWithSelector(IAIRiskVault.UnsupportedCircuit.selector, bad[i][0], bad[i][1]));
            _vaultWith(v);
        }
        // At 64 bits the 4 inputs need 2 words: the verifier's 3 instances already disagree with the pin.
        MockZkinferVerifier wide = new MockZkinferVerifier(7, 64);
        VM.expectRevert(abi.encodeWithSelector(IZkinferConsumer.InvalidInstanceCount.selector, 2));
        _vaultWith(wide);
    }

    /// @notice Any instance layout other than the vault's (one packed public input word, one packed
    /// public output word) is refused at deployment, naming the field that differs.
    function testRevert_wrongInstanceLayout() public {
        IZkinferCircuitInfo.InstanceBlock[] memory b = verifier.instanceBlocks();
        b[0].side = IZkinferCircuitInfo.Side.Params;
        _expectLayoutRejected(b, "instanceBlocks[0].side", 0, 2);

        b = verifier.instanceBlocks();
        b[0].commitment = true; // hashed inputs: a commitment, not the features
        b[0].packBits = 0;
        _expectLayoutRejected(b, "instanceBlocks[0].commitment", 0, 1);

        b = verifier.instanceBlocks();
        b[1].offset = 0;
        _expectLayoutRejected(b, "instanceBlocks[1].offset", 1, 0);

        b = verifier.instanceBlocks();
        b[1].words = 2;
        _expectLayoutRejected(b, "instanceBlocks[1].words", 1, 2);

        b = verifier.instanceBlocks();
        b[1].values = 3; // a model with 3 outputs
        _expectLayoutRejected(b, "instanceBlocks[1].values", 2, 3);

        b = verifier.instanceBlocks();
        b[0].packBits = SafeCast.toUint8(BITS + 1);
        _expectLayoutRejected(b, "instanceBlocks[0].packBits", BITS, BITS + 1);

        IZkinferCircuitInfo.InstanceBlock[] memory three = new IZkinferCircuitInfo.InstanceBlock[](3);
        three[0] = b[0];
        three[0].packBits = SafeCast.toUint8(BITS);
        three[1] = b[1];
        three[2] = IZkinferCircuitInfo.InstanceBlock({
            side: IZkinferCircuitInfo.Side.Params, commitment: true, offset: 2, words: 1, values: 14, packBits: 0
        });
        _expectLayoutRejected(three, "instanceBlocks.length", 2, 3);
    }

    function testRevert_verifierWithoutCircuitInfo() public {
        MockZkinferVerifier silent = new MockZkinferVerifier(SCALE, BITS);
        silent.setStatesCircuit(false);
        VM.expectRevert(abi.encodeWithSelector(IZkinferConsumer.MissingCircuitInfo.selector, address(silent)));
        _vaultWith(silent);
    }

    /// @notice A rotation to a verifier with another scale, packing width or layout fails at the
    /// proposal (not after the delay), and nothing is left pending.
    function testRevert_proposeVerifierOfAnotherCircuit() public {
        MockZkinferVerifier other = new MockZkinferVerifier(SCALE + 1, BITS);
        // Every mock has the same runtime code (its configuration is in storage), so one codehash.
        bytes32 h = address(other).codehash;
        VM.expectRevert(_circuitMismatch(address(other), "SCALE", SCALE, SCALE + 1));
        vault.proposeVerifier(address(other), h, 2);

        other = new MockZkinferVerifier(SCALE, BITS + 2);
        VM.expectRevert(_circuitMismatch(address(other), "PACK_BITS", BITS, BITS + 2));
        vault.proposeVerifier(address(other), h, 2);

        other = new MockZkinferVerifier(SCALE, BITS);
        IZkinferCircuitInfo.InstanceBlock[] memory b = other.instanceBlocks();
        b[1].values = 3;
        other.setInstanceBlocks(b);
        VM.expectRevert(_circuitMismatch(address(other), "instanceBlocks[1].values", 2, 3));
        vault.proposeVerifier(address(other), h, 2);

        // An instance count that the layout does not cover (pinned at 3, the layout has 2 words).
        other = new MockZkinferVerifier(SCALE, BITS);
        other.setNumInstances(3);
        VM.expectRevert(_circuitMismatch(address(other), "NUM_INSTANCES", 2, 3));
        vault.proposeVerifier(address(other), h, 3);

        other = new MockZkinferVerifier(SCALE, BITS);
        other.setStatesCircuit(false);
        VM.expectRevert(abi.encodeWithSelector(IZkinferConsumer.MissingCircuitInfo.selector, address(other)));
        vault.proposeVerifier(address(other), h, 2);

        (address next,,, uint256 at) = vault.pendingRotation();
        _eq(next, address(0));
        _eq(at, 0);
    }

    /// @notice A verifier of the same circuit is accepted, and after the delay updates go through it.
    function test_rotateToAVerifierOfTheSameCircuit() public {
        MockZkinferVerifier next = new MockZkinferVerifier(SCALE, BITS);
        next.setReturnFalse();
        vault.proposeVerifier(address(next), address(next).codehash, 2);
        VM.warp(block.timestamp + DELAY);
        vault.executeVerifierRotation();
        _eq(vault.verifier(), address(next));
        _eq(vault.FEATURE_SCALE(), SCALE);
        _eq(vault.PACK_BITS(), BITS);
        uint256[] memory instances = _instances(_outputWord(72, 16));
        VM.expectRevert(_failed(abi.encode(false)));
        vault.updateRiskParameters(PROOF, instances);
        next.setAccept();
        _update(72, 16);
        _eq(vault.maxLtv(), 0.6375e18);
    }

    // ---- risk parameter updates ---------------------------------------------------------------

    function test_updateAppliesModelOutput() public {
        _standardPosition();
        uint256 epoch = START / EPOCH;
        // y0 = 72/128 -> 0.30 + 0.60 * 0.5625 = 0.6375; y1 = 16/128 -> 0.50 * 0.125 = 0.0625: both
        // inside the bounds and within one step of 0.60 / 0.05.
        VM.expectEmit(true, false, false, true, address(vault));
        emit IAIRiskVault.RiskParametersUpdated(epoch, 0.6e18, 0.6375e18, 0.05e18, 0.0625e18);
        (uint256 ltv, uint256 rate) = _update(72, 16);
        _eq(ltv, 0.6375e18);
        _eq(rate, 0.0625e18);
        _eq(vault.maxLtv(), 0.6375e18);
        _eq(vault.borrowRate(), 0.0625e18);
        _eq(vault.liquidationThreshold(), 0.6875e18);
        _eq(vault.lastAppliedEpoch(), epoch);
    }

    function test_updateIsLimitedToMaxChangePerEpoch() public {
        // The model asks for the maximum (0.90 / 0.50): bounded to 0.85 / 0.40, reached in steps of 0.05.
        uint256[6] memory ltvs = [uint256(0.65e18), 0.7e18, 0.75e18, 0.8e18, 0.85e18, 0.85e18];
        uint256[6] memory rates = [uint256(0.1e18), 0.15e18, 0.2e18, 0.25e18, 0.3e18, 0.35e18];
        for (uint256 i = 0; i < 6; ++i) {
            (uint256 ltv, uint256 rate) = _update(ONE, ONE);
            _eq(ltv, ltvs[i]);
            _eq(rate, rates[i]);
            _nextEpoch();
        }
        _update(ONE, ONE);
        _eq(vault.borrowRate(), 0.4e18);
        _nextEpoch();
        _update(ONE, ONE);
        _eq(vault.borrowRate(), RATE_CEILING);
        // The liquidation threshold is capped at 0.95 (0.85 + 0.05 = 0.90 here).
        _eq(vault.liquidationThreshold(), 0.9e18);
    }

    function test_updateIsClampedToFloors() public {
        // y = 0: the model asks for 0.30 / 0.00; the rate floor is 0.01, one step below 0.05 is 0.00.
        (uint256 ltv, uint256 rate) = _update(0, 0);
        _eq(ltv, 0.55e18);
        _eq(rate, RATE_FLOOR);
        for (uint256 i = 0; i < 5; ++i) {
            _nextEpoch();
            (ltv, rate) = _update(0, 0);
        }
        _eq(ltv, LTV_FLOOR);
        _eq(rate, RATE_FLOOR);
        _nextEpoch();
        (ltv,) = _update(0, 0);
        _eq(ltv, LTV_FLOOR);
    }

    /// @notice Outputs outside [0, 1] (a sigmoid's range) are clamped to it before mapping.
    function test_outOfRangeOutputsAreClamped() public {
        // The extremes of a 10-bit packing: -512 and 511 (about -4.0 and +4.0).
        (uint256 lowLtv, uint256 highRate) = vault.previewRiskUpdate(_outputWord(-512, 511));
        (uint256 zeroLtv, uint256 oneRate) = vault.previewRiskUpdate(_outputWord(0, ONE));
        _eq(lowLtv, zeroLtv);
        _eq(highRate, oneRate);
        (uint256 ltv, uint256 rate) = _update(-512, 511);
        _eq(ltv, 0.55e18);
        _eq(rate, 0.1e18);
        _nextEpoch();
        (ltv, rate) = _update(511, -1);
        _eq(ltv, 0.6e18);
        _eq(rate, 0.05e18);
    }

    function testRevert_replayInSameEpoch() public {
        uint256[] memory instances = _instances(_outputWord(72, 16));
        vault.updateRiskParameters(PROOF, instances);
        uint256 epoch = START / EPOCH;
        bytes memory replay = abi.encodeWithSelector(IAIRiskVault.EpochAlreadyApplied.selector, epoch, epoch);
        VM.expectRevert(replay);
        vault.updateRiskParameters(PROOF, instances);
        // Another output for the same epoch is refused too, up to its last second.
        VM.warp((epoch + 1) * EPOCH - 1);
        instances = _instances(_outputWord(0, 0));
        VM.expectRevert(replay);
        vault.updateRiskParameters(PROOF, instances);
        // The next epoch is open.
        VM.warp((epoch + 1) * EPOCH);
        vault.updateRiskParameters(PROOF, _instances(_outputWord(0, 0)));
        _eq(vault.lastAppliedEpoch(), epoch + 1);
    }

    function testRevert_inputMismatch() public {
        _standardPosition();
        uint256 expected = vault.expectedInputWord();
        uint256[] memory instances = _instances(_outputWord(72, 16));
        instances[0] = expected + 1; // utilisation one step higher than the vault's own
        VM.expectRevert(abi.encodeWithSelector(IAIRiskVault.InputMismatch.selector, expected, expected + 1));
        vault.updateRiskParameters(PROOF, instances);
        // A proof over made-up features (here all zero) is refused.
        int256[] memory zeros = new int256[](4);
        instances[0] = ZkinferInstances.pack(zeros, BITS)[0];
        VM.expectRevert(abi.encodeWithSelector(IAIRiskVault.InputMismatch.selector, expected, instances[0]));
        vault.updateRiskParameters(PROOF, instances);
    }

    /// @notice A proof for the state the keeper saw is stale once the state changes.
    /// @notice The model's input for an epoch is the previous epoch's average: a state change
    /// leaves this epoch's input alone and moves the next one's by the share of the epoch it was
    /// held (half an epoch at utilisation 0.5 after half at 0.4: floor((51 + 64) / 2)).
    function test_stateChangesMoveTheInputFromTheNextEpochOnly() public {
        _standardPosition();
        _settle();
        uint256 word = vault.expectedInputWord();
        _eq(vault.currentFeatures()[0], 51);
        VM.warp(block.timestamp + EPOCH / 2);
        _borrow(BORROWER, 1000e18); // utilisation 0.4 -> 0.5
        int256[4] memory held = vault.instantFeatures(); // what the borrow recorded
        _eq(held[0], 64);
        _eq(vault.expectedInputWord(), word);
        _nextEpoch();
        _eq(vault.currentFeatures()[0], (51 + held[0]) / 2);
        // Coverage 0.625 for half the epoch, then about 10,000 / 5,000 / 4 = 0.5 (63 with the
        // interest accrued before the borrow).
        _eq(vault.currentFeatures()[3], (80 + held[3]) / 2);
        _nextEpoch();
        _eq(vault.currentFeatures()[0], held[0]);
        _eq(vault.currentFeatures()[3], held[3]);
    }

    /// @notice The flash-loan attack with a mock verifier (any outputs accepted): a proof prepared
    /// for the manipulated state (near-zero utilisation, full coverage) carries that state's input
    /// word and is refused; the only word accepted mid-attack is the honest one, unchanged by it.
    function test_flashPosition_cannotChooseTheInput() public {
        _standardPosition();
        _settle();
        uint256 honest = vault.expectedInputWord();
        FlashAttacker attacker = new FlashAttacker();
        asset.mint(address(attacker), 1_000_000e18);
        collateral.mint(address(attacker), 10_000e18);
        (bool manipulatedAccepted, uint256 during,) = attacker.attack(
            vault, asset, collateral, 1_000_000e18, 10_000e18, PROOF, _instances(_outputWord(128, 0)), true
        );
        _true(!manipulatedAccepted, "a proof of the manipulated state was accepted");
        _eq(during, honest);
    }

    function testRevert_verifierRevertBubbles() public {
        bytes memory rejected = abi.encodeWithSelector(PROOF_REJECTED);
        verifier.setRevert(rejected);
        uint256[] memory instances = _instances(_outputWord(72, 16));
        VM.expectRevert(_failed(rejected));
        vault.updateRiskParameters(PROOF, instances);
        // A failed update does not use up the epoch.
        verifier.setAccept();
        vault.updateRiskParameters(PROOF, instances);
        _eq(vault.maxLtv(), 0.6375e18);
    }

    function testRevert_verifierReturnsFalse() public {
        verifier.setReturnFalse();
        uint256[] memory instances = _instances(_outputWord(72, 16));
        VM.expectRevert(_failed(abi.encode(false)));
        vault.updateRiskParameters(PROOF, instances);
    }

    function testRevert_wrongInstanceCount() public {
        uint256[] memory one = new uint256[](1);
        VM.expectRevert(abi.encodeWithSelector(IZkinferConsumer.InstanceCountMismatch.selector, 2, 1));
        vault.updateRiskParameters(PROOF, one);
        uint256[] memory three = new uint256[](3);
        VM.expectRevert(abi.encodeWithSelector(IZkinferConsumer.InstanceCountMismatch.selector, 2, 3));
        vault.updateRiskParameters(PROOF, three);
    }

    /// @notice An output word with bits set above its two values is not a packing of the model's outputs.
    function testRevert_malformedOutputWord() public {
        uint256 word = _outputWord(72, 16) | (1 << 20);
        uint256[] memory instances = _instances(word);
        VM.expectRevert(abi.encodeWithSelector(IZkinferInstancesErrors.InvalidPackedWord.selector, 1, word));
        vault.updateRiskParameters(PROOF, instances);
        VM.expectRevert(abi.encodeWithSelector(IZkinferInstancesErrors.InvalidPackedWord.selector, 1, word));
        vault.previewRiskUpdate(word);
    }

    function testRevert_verifierCodeChanged() public {
        bytes32 pinned = address(verifier).codehash;
        VM.etch(address(verifier), address(prices).code);
        uint256[] memory instances = _instances(_outputWord(72, 16));
        VM.expectRevert(
            abi.encodeWithSelector(
                IZkinferConsumer.CodehashMismatch.selector, address(verifier), pinned, address(prices).codehash
            )
        );
        vault.updateRiskParameters(PROOF, instances);
    }

    function test_updateIsPermissionlessAndOwnerCannotSetParameters() public {
        uint256[] memory instances = _instances(_outputWord(72, 16));
        VM.prank(KEEPER);
        vault.updateRiskParameters(PROOF, instances);
        _eq(vault.maxLtv(), 0.6375e18);
        // The owner's only power is the (timelocked) verifier rotation.
        VM.prank(KEEPER);
        VM.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, KEEPER));
        vault.proposeVerifier(address(verifier), address(verifier).codehash, 2);
    }

    /// @notice Interest up to the update accrues at the old rate, afterwards at the new one.
    function test_updateAccruesAtTheOldRateFirst() public {
        _standardPosition();
        uint256 t0 = block.timestamp;
        VM.warp(t0 + 73 days); // a fifth of a year at 5%: index 1.01
        _update(72, 16);
        _eq(vault.borrowIndex(), 1.01e18);
        _eq(vault.lastAccrual(), t0 + 73 days);
        VM.warp(t0 + 146 days); // another fifth at 6.25%: index 1.01 * 1.0125
        _eq(vault.currentBorrowIndex(), 1.022625e18);
        _eq(vault.debtOf(BORROWER), 4090.5e18);
    }

    function testFuzz_updateMatchesPreview(int256 y0, int256 y1, uint256 epochs) public {
        epochs = _bound(epochs, 0, 6);
        int256 steps = SafeCast.toInt256(epochs);
        for (int256 i = 0; i < steps; ++i) {
            _update(ONE - i * 40, i * 30);
            _nextEpoch();
        }
        y0 = _boundInt(y0, -512, 511);
        y1 = _boundInt(y1, -512, 511);
        uint256 word = _outputWord(y0, y1);
        (uint256 previewLtv, uint256 previewRate) = vault.previewRiskUpdate(word);
        (uint256 ltv, uint256 rate) = vault.updateRiskParameters(PROOF, _instances(word));
        _eq(ltv, previewLtv);
        _eq(rate, previewRate);
        _eq(vault.maxLtv(), ltv);
        _eq(vault.borrowRate(), rate);
    }

    /// @notice Output decoding: the mapping, the bounds and the maximum change, from any old parameters.
    function testFuzz_outputDecoding(int256 y0, int256 y1, int256 prev0, int256 prev1) public {
        // Reach arbitrary old parameters first (one unconstrained-looking update).
        _update(_boundInt(prev0, -512, 511), _boundInt(prev1, -512, 511));
        _nextEpoch();
        uint256 oldLtv = vault.maxLtv();
        uint256 oldRate = vault.borrowRate();
        y0 = _boundInt(y0, -512, 511);
        y1 = _boundInt(y1, -512, 511);
        (uint256 ltv, uint256 rate) = vault.previewRiskUpdate(_outputWord(y0, y1));
        (uint256 refLtv, uint256 refRate) = _refMap(y0, y1, oldLtv, oldRate);
        _eq(ltv, refLtv);
        _eq(rate, refRate);
        _true(ltv >= LTV_FLOOR && ltv <= LTV_CEILING, "ltv bounds");
        _true(rate >= RATE_FLOOR && rate <= RATE_CEILING, "rate bounds");
        _true(ltv <= oldLtv + LTV_STEP && ltv + LTV_STEP >= oldLtv, "ltv step");
        _true(rate <= oldRate + RATE_STEP && rate + RATE_STEP >= oldRate, "rate step");
        // Inside [0, 1] the 7-bit output maps exactly (0.6e18 and 0.5e18 are multiples of 2^7).
        if (y0 >= 0 && y0 <= ONE) {
            // forge-lint: disable-next-line(unsafe-typecast)
            uint256 raw = 0.3e18 + 0.6e18 * uint256(y0) / 128;
            if (raw >= LTV_FLOOR && raw <= LTV_CEILING && raw + LTV_STEP >= oldLtv && raw <= oldLtv + LTV_STEP) {
                _eq(ltv, raw);
            }
        }
    }

    /// @notice A realistic update for gas measurement (`forge test --isolate --gas-report --match-test
    /// test_gasUpdateRiskParameters`): a full price window, lenders and a borrower, interest to accrue.
    function test_gasUpdateRiskParameters() public {
        for (uint256 i = 1; i < 8; ++i) {
            prices.pushPrice(PRICE + i * 10e18);
        }
        _standardPosition();
        VM.warp(START + 1 hours);
        uint256[] memory instances = _instances(_outputWord(72, 16));
        vault.updateRiskParameters(PROOF, instances);
        _eq(vault.maxLtv(), 0.6375e18);
        // The mock's own cost, for subtracting it.
        verifier.verifyProof(PROOF, instances);
    }

    // ---- features ---------------------------------------------------------------------------

    function test_featuresOfAnEmptyVault() public view {
        int256[4] memory f = vault.currentFeatures();
        _eq(f[0], 0); // no deposits
        _eq(f[1], 0); // one price: no move
        _eq(f[2], 0);
        _eq(f[3], ONE); // nothing borrowed
        // Packed: (v + 512) * 2^(10 i).
        _eq(vault.expectedInputWord(), 512 + (512 << 10) + (512 << 20) + (640 << 30));
    }

    function test_featuresWithoutPrices() public {
        _withPrices(new uint256[](0));
        int256[4] memory f = vault.instantFeatures();
        _eq(f[1], 0);
        _eq(f[2], 0);
        _eq(f[3], ONE);
    }

    /// @notice A worked example (the keeper's and the fixtures' reference; see CONTRACTS.md).
    function test_featuresKnownState() public {
        uint256[] memory h = new uint256[](8);
        h[0] = 2000e18;
        h[1] = 2100e18;
        h[2] = 1995e18;
        h[3] = 2000e18;
        h[4] = 1900e18;
        h[5] = 1950e18;
        h[6] = 2050e18;
        h[7] = 2000e18;
        _withPrices(h);
        _standardPosition();
        // The model reads the previous epoch's averages: hold the position through one.
        _settle();
        int256[4] memory f = vault.currentFeatures();
        // utilisation 4000 / 10000 = 0.4 -> floor(51.2) = 51
        _eq(f[0], 51);
        // moves (wad, floored) sum to 0.254494350322334917; / 7 * 10 * 128 = 46.54 -> 46
        _eq(f[1], 46);
        // drawdown (2100 - 2000) / 2100 * 128 = 6.09 -> 6
        _eq(f[2], 6);
        // coverage min(10000 / 4000, 4) / 4 = 0.625 -> 80
        _eq(f[3], 80);
        _eq(vault.expectedInputWord(), (51 + 512) + ((46 + 512) << 10) + ((6 + 512) << 20) + ((80 + 512) << 30));
    }

    /// @notice Each relative move is floored to wad before the mean: 1/30 + 1/15 is exactly 0.1 (64 at
    /// 7 bits), but 0.0333...3 + 0.0666...6 = 0.0999...9 gives 63.
    function test_volatilityFloorsEachMoveToWadFirst() public {
        uint256[] memory h = new uint256[](3);
        h[0] = 450e18;
        h[1] = 435e18; // -1/30
        h[2] = 464e18; // +1/15
        _withPrices(h);
        _eq(vault.instantFeatures()[1], 63);
        _eq(_refVolatility(h), 63);
    }

    function test_volatilityUsesTheLastEightPrices() public {
        uint256[] memory h = new uint256[](11);
        h[0] = 1e18;
        h[1] = 100e18;
        h[2] = 1e18; // the wild moves fall out of the window
        for (uint256 i = 3; i < 11; ++i) {
            h[i] = i % 2 == 0 ? 2000e18 : 2020e18; // +-1%
        }
        _withPrices(h);
        // moves: 0.01 (up) and 0.0099009900990099 (down), 4 and 3 of them, / 7 * 1280 = 12.7 -> 12
        _eq(vault.instantFeatures()[1], 12);
        _eq(_refVolatility(h), 12);
    }

    function test_volatilityIsCapped() public {
        uint256[] memory h = new uint256[](8);
        for (uint256 i = 0; i < 8; ++i) {
            h[i] = i % 2 == 0 ? 1000e18 : 1300e18; // ~27% moves: 10x is above 2.0
        }
        _withPrices(h);
        _eq(vault.instantFeatures()[1], 2 * ONE);
    }

    function testFuzz_volatilityAndDrawdown(uint256 seed, uint256 count) public {
        count = _bound(count, 0, 12);
        uint256[] memory h = new uint256[](count);
        uint256 peak;
        for (uint256 i = 0; i < count; ++i) {
            // Prices from 1 wei to 2^128 - 1, mostly near each other, sometimes far.
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            h[i] = r % 4 == 0 ? _bound(r >> 8, 1, type(uint128).max) : _bound(r >> 8, 1000e18, 1100e18);
        }
        _withPrices(h);
        int256[4] memory f = vault.instantFeatures();
        _eq(f[1], _refVolatility(h));
        _true(f[1] >= 0 && f[1] <= 2 * ONE, "volatility range");
        if (count == 0) {
            _eq(f[2], 0);
            return;
        }
        for (uint256 i = count > 8 ? count - 8 : 0; i < count; ++i) {
            if (h[i] > peak) peak = h[i];
        }
        // f2 = floor((peak - last) * 128 / peak): f2 * peak <= (peak - last) * 128 < (f2 + 1) * peak.
        // forge-lint: disable-next-line(unsafe-typecast)
        uint256 d = uint256(f[2]);
        uint256 scaled = (peak - h[count - 1]) * 128;
        _true(d * peak <= scaled && scaled < (d + 1) * peak, "drawdown floor");
        _true(d < 128, "drawdown range");
    }

    function testFuzz_utilisationAndCoverage(uint256 lent, uint256 posted, uint256 borrowed, uint256 elapsed) public {
        lent = _bound(lent, 1, 1e30);
        posted = _bound(posted, 1, 1e27);
        _lend(LENDER, lent);
        _post(BORROWER, posted);
        uint256 limit = vault.borrowLimitOf(BORROWER);
        uint256 cap = limit < lent ? limit : lent;
        if (cap > 0) _borrow(BORROWER, _bound(borrowed, 1, cap));
        VM.warp(block.timestamp + _bound(elapsed, 0, 5 * 365 days));

        int256[4] memory f = vault.instantFeatures();
        uint256 debt = vault.totalDebt();
        uint256 assets = vault.cash() + debt;
        // forge-lint: disable-next-line(unsafe-typecast)
        uint256 u = uint256(f[0]);
        // f0 = floor(debt * 128 / assets): u * assets <= debt * 128 < (u + 1) * assets.
        _true(u * assets <= debt * 128 && debt * 128 < (u + 1) * assets, "utilisation floor");
        _true(u <= 128, "utilisation range");

        uint256 value = posted * PRICE / WAD;
        // forge-lint: disable-next-line(unsafe-typecast)
        uint256 c = uint256(f[3]);
        if (debt == 0 || value >= 4 * debt) {
            _eq(c, 128);
        } else {
            // f3 = floor(value * 128 / (4 * debt)).
            _true(c * 4 * debt <= value * 128 && value * 128 < (c + 1) * 4 * debt, "coverage floor");
        }
        // Whatever the state, the keeper's word is accepted in the same block.
        vault.updateRiskParameters(PROOF, _instances(_outputWord(64, 64)));
    }

    // ---- lenders ----------------------------------------------------------------------------

    /// @dev One share unit per asset unit times 10^offset, at the first deposit.
    uint256 internal constant SHARES_PER_ASSET = 1e6;

    function test_sharesAreAnErc4626Token() public view {
        _eq(vault.asset(), address(asset));
        _eq(vault.decimals(), asset.decimals() + 6);
        _eq(vault.SHARE_DECIMALS_OFFSET(), 6);
        _true(keccak256(bytes(vault.symbol())) == keccak256("zkAIRV"), "symbol");
        _eq(vault.totalAssets(), 0);
        _eq(vault.convertToShares(1e18), 1e18 * SHARES_PER_ASSET);
        _eq(vault.maxDeposit(LENDER), type(uint256).max);
        _eq(vault.maxWithdraw(LENDER), 0);
    }

    function test_depositWithdrawRedeem() public {
        asset.mint(LENDER, 1000e18);
        VM.startPrank(LENDER);
        asset.approve(address(vault), 1000e18);
        VM.expectEmit(true, true, false, true, address(vault));
        emit IERC4626.Deposit(LENDER, LENDER, 1000e18, 1000e18 * SHARES_PER_ASSET);
        uint256 shares = vault.deposit(1000e18, LENDER);
        VM.stopPrank();
        _eq(shares, 1000e18 * SHARES_PER_ASSET);
        _eq(vault.balanceOf(LENDER), shares);
        _eq(vault.totalSupply(), shares);
        _eq(vault.cash(), 1000e18);
        _eq(asset.balanceOf(address(vault)), 1000e18);

        VM.prank(LENDER);
        VM.expectEmit(true, true, true, true, address(vault));
        emit IERC4626.Withdraw(LENDER, LENDER, LENDER, 400e18, 400e18 * SHARES_PER_ASSET);
        _eq(vault.withdraw(400e18, LENDER, LENDER), 400e18 * SHARES_PER_ASSET);
        VM.prank(LENDER);
        _eq(vault.redeem(600e18 * SHARES_PER_ASSET, LENDER, LENDER), 600e18);
        _eq(vault.totalSupply(), 0);
        _eq(vault.cash(), 0);
        _eq(asset.balanceOf(LENDER), 1000e18);
        _eq(asset.balanceOf(address(vault)), 0);
    }

    function test_mintAndThirdPartyWithdraw() public {
        asset.mint(LENDER, 10e18);
        VM.startPrank(LENDER);
        asset.approve(address(vault), 10e18);
        // Minting for someone else: the caller pays, the receiver holds.
        _eq(vault.mint(5e18 * SHARES_PER_ASSET, OTHER), 5e18);
        VM.stopPrank();
        _eq(vault.balanceOf(OTHER), 5e18 * SHARES_PER_ASSET);
        _eq(vault.cash(), 5e18);
        // Withdrawing another's shares needs its allowance.
        VM.prank(LENDER);
        VM.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, LENDER, 0, 2e18 * SHARES_PER_ASSET)
        );
        vault.withdraw(2e18, LENDER, OTHER);
        VM.prank(OTHER);
        vault.approve(LENDER, 2e18 * SHARES_PER_ASSET);
        VM.prank(LENDER);
        vault.withdraw(2e18, LENDER, OTHER);
        _eq(asset.balanceOf(LENDER), 7e18);
        _eq(vault.allowance(OTHER, LENDER), 0);
        _eq(vault.cash(), 3e18);
    }

    function testRevert_lenderChecks() public {
        VM.expectRevert(IAIRiskVault.ZeroAmount.selector);
        vault.deposit(0, LENDER);
        VM.expectRevert(IAIRiskVault.ZeroAmount.selector);
        vault.mint(0, LENDER);
        uint256 shares = _lend(LENDER, 1000e18);
        VM.startPrank(LENDER);
        VM.expectRevert(IAIRiskVault.ZeroAmount.selector);
        vault.withdraw(0, LENDER, LENDER);
        // A share unit is worth 10^-6 of an asset unit: redeeming one pays nothing and is refused.
        VM.expectRevert(IAIRiskVault.ZeroAmount.selector);
        vault.redeem(1, LENDER, LENDER);
        VM.expectRevert(
            abi.encodeWithSelector(ERC4626.ERC4626ExceededMaxWithdraw.selector, LENDER, 1000e18 + 1, 1000e18)
        );
        vault.withdraw(1000e18 + 1, LENDER, LENDER);
        VM.expectRevert(abi.encodeWithSelector(ERC4626.ERC4626ExceededMaxRedeem.selector, LENDER, shares + 1, shares));
        vault.redeem(shares + 1, LENDER, LENDER);
        VM.stopPrank();
    }

    /// @notice Lent-out cash cannot leave: {maxWithdraw} and {maxRedeem} say how much can, and
    /// exactly that much does.
    function test_withdrawalsAreCappedByCash() public {
        uint256 shares = _lend(LENDER, 1000e18);
        _post(BORROWER, 1e18);
        _borrow(BORROWER, 600e18);
        _eq(vault.maxWithdraw(LENDER), 400e18);
        uint256 maxShares = vault.maxRedeem(LENDER);
        _true(maxShares < shares, "redeem not capped");
        _true(vault.previewRedeem(maxShares) <= 400e18, "max redeem pays more than the cash");
        _true(vault.previewRedeem(maxShares + 1) > 400e18 || maxShares + 1 > shares, "max redeem not tight");
        VM.startPrank(LENDER);
        VM.expectRevert(abi.encodeWithSelector(ERC4626.ERC4626ExceededMaxWithdraw.selector, LENDER, 400e18 + 1, 400e18));
        vault.withdraw(400e18 + 1, LENDER, LENDER);
        _eq(vault.redeem(maxShares, LENDER, LENDER), 400e18);
        VM.stopPrank();
        _eq(vault.cash(), 0);
        _eq(vault.maxWithdraw(LENDER), 0);
        _eq(vault.maxRedeem(LENDER), 0);
        // Once the loan is repaid the cap lifts: the lender's whole claim can leave.
        _repay(BORROWER, BORROWER, type(uint256).max);
        _eq(vault.maxRedeem(LENDER), vault.balanceOf(LENDER));
        _eq(vault.maxWithdraw(LENDER), vault.previewRedeem(vault.balanceOf(LENDER)));
    }

    /// @notice The first-depositor inflation attack: the attacker takes the first share unit, then
    /// tries to raise the share price so the victim's deposit rounds down to (nearly) nothing.
    /// Tokens sent directly do not count ({totalAssets} is the book), so the victim keeps its
    /// deposit to the wei.
    function test_firstDepositorCannotInflateTheSharePrice() public {
        address attacker = address(0xA77AC4);
        asset.mint(attacker, 1_000_000e18 + 1);
        VM.startPrank(attacker);
        asset.approve(address(vault), 1);
        _eq(vault.deposit(1, attacker), SHARES_PER_ASSET);
        // The "donation": a direct transfer, ignored by the book.
        _true(asset.transfer(address(vault), 1_000_000e18), "donation");
        VM.stopPrank();
        _eq(asset.balanceOf(address(vault)), 1_000_000e18 + 1);
        _eq(vault.cash(), 1);
        _eq(vault.totalAssets(), 1);
        _eq(vault.convertToAssets(SHARES_PER_ASSET), 1);

        uint256 victimShares = _lend(LENDER, 1000e18);
        _eq(victimShares, 1000e18 * SHARES_PER_ASSET);
        _eq(vault.previewRedeem(victimShares), 1000e18);
        // The attacker's unit share is still worth its wei (at most one, rounded down).
        _true(vault.previewRedeem(SHARES_PER_ASSET) <= 1, "attacker gained");
    }

    /// @notice Interest, the one way the book grows without minting, raises the share price (by up
    /// to the rate over the time); a later deposit still mints shares worth it less at most a wei.
    function testFuzz_depositsKeepTheirValue(uint256 first, uint256 grow, uint256 amount) public {
        first = _bound(first, 1, 1e24);
        amount = _bound(amount, 1, 1e24);
        grow = _bound(grow, 0, 365 days);
        _lend(LENDER, first);
        // Raise the share price the one way the book allows: interest on a loan.
        _post(BORROWER, 1e24);
        uint256 loan = first / 2;
        if (loan != 0) _borrow(BORROWER, loan);
        VM.warp(block.timestamp + grow);
        uint256 preview = vault.previewDeposit(amount);
        if (preview == 0) return;
        uint256 shares = _lend(OTHER, amount);
        _eq(shares, preview);
        uint256 worth = vault.previewRedeem(shares);
        _true(worth <= amount, "a deposit gained value");
        _true(worth + 1 >= amount, "a deposit lost more than a wei");
    }

    /// @notice ERC-4626 rounds in the vault's favour both ways: a round trip never pays out more
    /// than it put in.
    function testFuzz_roundTripsNeverProfit(uint256 first, uint256 amount, uint256 shares) public {
        first = _bound(first, 1, 1e24);
        amount = _bound(amount, 1, 1e24);
        shares = _bound(shares, SHARES_PER_ASSET, 1e30);
        _lend(LENDER, first);
        _post(BORROWER, 1e24);
        VM.warp(block.timestamp + 100 days);
        if (first / 3 != 0) {
            // Interest paid back raises the share price above the first deposit's.
            _borrow(BORROWER, first / 3);
            VM.warp(block.timestamp + 100 days);
            _repay(BORROWER, BORROWER, type(uint256).max);
        }

        asset.mint(OTHER, amount);
        VM.startPrank(OTHER);
        asset.approve(address(vault), type(uint256).max);
        uint256 got = vault.deposit(amount, OTHER);
        uint256 worth = vault.previewRedeem(got);
        _true(worth <= amount && worth + 1 >= amount, "deposit then redeem: not the deposit less a wei");
        // A deposit of a wei or so may buy shares worth nothing once rounded: redeeming them is refused.
        if (worth != 0) _eq(vault.redeem(got, OTHER, OTHER), worth);
        VM.stopPrank();
        // The other way round, by a fresh account so no dust of the first leg is counted.
        address minter = address(0x6006);
        uint256 cost = vault.previewMint(shares);
        asset.mint(minter, cost);
        VM.startPrank(minter);
        asset.approve(address(vault), cost);
        _eq(vault.mint(shares, minter), cost);
        uint256 back = vault.maxWithdraw(minter);
        _true(back <= cost, "mint then withdraw profited");
        if (back != 0) {
            uint256 burnt = vault.previewWithdraw(back);
            _eq(vault.withdraw(back, minter, minter), burnt);
        }
        VM.stopPrank();
        _true(vault.previewRedeem(vault.balanceOf(minter)) == 0, "a withdrawal at the max left value behind");
    }

    /// @notice What the decimals offset buys, shown on a harness whose book can be inflated
    /// without minting (the vault itself has no such way, bar interest): the attacker takes the
    /// first share unit for 1 wei and books a donation; the 10^6 virtual shares take about half of
    /// it, so the attack always loses, and the victim loses at most a 10^-5 part of what the
    /// attacker burnt (plus 2 wei of rounding), or its deposit is refused ({ZeroShares}) and it
    /// loses nothing.
    function testFuzz_virtualSharesMakeInflationALoss(uint256 donation, uint256 amount) public {
        donation = _bound(donation, 1, 1e30);
        amount = _bound(amount, 1, 1e24);
        InflatableVault inflatable = new InflatableVault(
            collateral, asset, prices, _config(), verifier, address(verifier).codehash, DELAY, address(this)
        );
        vault = inflatable;
        address attacker = address(0xA77AC4);
        uint256 attackerShares = _lend(attacker, 1);
        inflatable.bookDonation(donation);
        uint256 spent = 1 + donation;

        if (vault.previewDeposit(amount) == 0) {
            asset.mint(LENDER, amount);
            VM.startPrank(LENDER);
            asset.approve(address(vault), amount);
            VM.expectRevert(IAIRiskVault.ZeroShares.selector);
            vault.deposit(amount, LENDER);
            VM.stopPrank();
            _eq(asset.balanceOf(LENDER), amount);
        } else {
            uint256 victimShares = _lend(LENDER, amount);
            uint256 victimLoss = amount - vault.previewRedeem(victimShares);
            uint256 attackerBack = vault.previewRedeem(attackerShares);
            _true(attackerBack < spent, "the attack paid");
            _true(victimLoss <= (spent - attackerBack) / 1e5 + 2, "the victim lost more than the offset allows");
        }
        _true(vault.previewRedeem(attackerShares) < spent, "the attack paid");
    }

    // ---- borrowers --------------------------------------------------------------------------

    function test_borrowUpToMaxLtv() public {
        _lend(LENDER, 100_000e18);
        _post(BORROWER, 5e18); // worth 10,000 at 2,000
        _eq(vault.collateralValueOf(BORROWER), 10_000e18);
        _eq(vault.borrowLimitOf(BORROWER), 6000e18);
        VM.expectEmit(true, false, false, true, address(vault));
        emit IAIRiskVault.Borrowed(BORROWER, 6000e18, 6000e18);
        _borrow(BORROWER, 6000e18);
        _eq(vault.debtOf(BORROWER), 6000e18);
        _eq(asset.balanceOf(BORROWER), 6000e18);
        _eq(vault.cash(), 94_000e18);
        VM.prank(BORROWER);
        VM.expectRevert(abi.encodeWithSelector(IAIRiskVault.ExceedsMaxLtv.selector, 6000e18 + 1, 6000e18));
        vault.borrow(1);
    }

    function testRevert_borrowBeyondMaxLtv() public {
        _lend(LENDER, 100_000e18);
        _post(BORROWER, 5e18);
        VM.prank(BORROWER);
        VM.expectRevert(abi.encodeWithSelector(IAIRiskVault.ExceedsMaxLtv.selector, 6000e18 + 1, 6000e18));
        vault.borrow(6000e18 + 1);
        // Without collateral, nothing.
        VM.prank(LIQUIDATOR);
        VM.expectRevert(abi.encodeWithSelector(IAIRiskVault.ExceedsMaxLtv.selector, 1, 0));
        vault.borrow(1);
    }

    function testRevert_borrowBeyondLiquidity() public {
        _lend(LENDER, 1000e18);
        _post(BORROWER, 5e18);
        VM.prank(BORROWER);
        VM.expectRevert(abi.encodeWithSelector(IAIRiskVault.InsufficientLiquidity.selector, 1000e18, 1000e18 + 1));
        vault.borrow(1000e18 + 1);
        VM.prank(BORROWER);
        VM.expectRevert(IAIRiskVault.ZeroAmount.selector);
        vault.borrow(0);
    }

    /// @notice The borrow limit follows the proven parameters.
    function test_borrowLimitFollowsTheModel() public {
        _lend(LENDER, 100_000e18);
        _post(BORROWER, 5e18);
        _eq(vault.borrowLimitOf(BORROWER), 6000e18);
        _update(ONE, 16); // maxLtv 0.60 -> 0.65
        _eq(vault.borrowLimitOf(BORROWER), 6500e18);
        _borrow(BORROWER, 6500e18);
        VM.prank(BORROWER);
        VM.expectRevert(abi.encodeWithSelector(IAIRiskVault.ExceedsMaxLtv.selector, 6500e18 + 1, 6500e18));
        vault.borrow(1);
    }

    function test_repayPartialAndFull() public {
        _lend(LENDER, 10_000e18);
        _post(BORROWER, 5e18);
        _borrow(BORROWER, 1000e18);
        asset.mint(LIQUIDATOR, 400e18);
        VM.startPrank(LIQUIDATOR);
        asset.approve(address(vault), 400e18);
        VM.expectEmit(true, true, false, true, address(vault));
        emit IAIRiskVault.Repaid(LIQUIDATOR, BORROWER, 400e18, 600e18);
        _eq(vault.repay(BORROWER, 400e18), 400e18);
        VM.stopPrank();
        _eq(vault.debtOf(BORROWER), 600e18);
        VM.warp(block.timestamp + 365 days); // 5%: 630
        _eq(vault.debtOf(BORROWER), 630e18);
        _eq(_repay(BORROWER, BORROWER, type(uint256).max), 630e18);
        _eq(vault.debtOf(BORROWER), 0);
        _eq(vault.totalScaledDebt(), 0);
        _eq(vault.cash(), 10_030e18);
        VM.prank(BORROWER);
        VM.expectRevert(abi.encodeWithSelector(IAIRiskVault.NoDebt.selector, BORROWER));
        vault.repay(BORROWER, 1);
        // Without debt, all collateral can leave.
        VM.prank(BORROWER);
        vault.withdrawCollateral(5e18);
        _eq(collateral.balanceOf(BORROWER), 5e18);
    }

    function testRevert_withdrawCollateralBeyondLtv() public {
        _lend(LENDER, 10_000e18);
        _post(BORROWER, 5e18);
        _borrow(BORROWER, 3000e18);
        // 3000 needs 2.5 collateral at 0.60 and 2,000.
        VM.prank(BORROWER);
        VM.expectRevert(abi.encodeWithSelector(IAIRiskVault.ExceedsMaxLtv.selector, 3000e18, 3000e18 - 1200));
        vault.withdrawCollateral(2.5e18 + 1);
        VM.prank(BORROWER);
        vault.withdrawCollateral(2.5e18);
        VM.prank(BORROWER);
        VM.expectRevert(abi.encodeWithSelector(IAIRiskVault.InsufficientCollateral.selector, 2.5e18, 3e18));
        vault.withdrawCollateral(3e18);
    }

    function test_interestAccrual() public {
        uint256 shares = _lend(LENDER, 10_000e18);
        _post(BORROWER, 5e18);
        _borrow(BORROWER, 4000e18);
        VM.warp(START + 365 days / 2);
        vault.accrueInterest(); // index 1.025
        _eq(vault.borrowIndex(), 1.025e18);
        VM.warp(START + 365 days);
        // Simple interest within an accrual period, compounded across accruals: 1.025^2.
        _eq(vault.currentBorrowIndex(), 1.050625e18);
        _eq(vault.debtOf(BORROWER), 4202.5e18);
        _eq(vault.totalAssets(), 10_202.5e18);
        // The lender earns it all, less one wei: the 10^6 virtual shares hold a 10^-22 part of the
        // assets, and the redemption rounds down.
        _repay(BORROWER, BORROWER, type(uint256).max);
        VM.prank(LENDER);
        uint256 out = vault.redeem(shares, LENDER, LENDER);
        _eq(out, 10_202.5e18 - 1);
    }

    // ---- liquidation ------------------------------------------------------------------------

    function testRevert_healthyPositionCannotBeLiquidated() public {
        _lend(LENDER, 10_000e18);
        _post(BORROWER, 5e18);
        _borrow(BORROWER, 6000e18);
        // At maxLtv, below the threshold 0.65 (limit 6,500).
        VM.prank(LIQUIDATOR);
        VM.expectRevert(abi.encodeWithSelector(IAIRiskVault.PositionHealthy.selector, 6000e18, 6500e18));
        vault.liquidate(BORROWER, 1000e18);
        // 1,846.16 is the last healthy price: 5 * p * 0.65 >= 6000.
        prices.pushPrice(1846.16e18);
        _true(!vault.isLiquidatable(BORROWER), "healthy at 1846.16");
        VM.prank(LIQUIDATOR);
        VM.expectRevert(IAIRiskVault.ZeroAmount.selector);
        vault.liquidate(BORROWER, 0);
        VM.prank(LIQUIDATOR);
        VM.expectRevert(abi.encodeWithSelector(IAIRiskVault.NoDebt.selector, LENDER));
        vault.liquidate(LENDER, 1);
    }

    function test_liquidationAfterPriceDrop() public {
        _lend(LENDER, 10_000e18);
        _post(BORROWER, 5e18);
        _borrow(BORROWER, 6000e18);
        prices.pushPrice(1800e18); // value 9,000, liquidation limit 5,850 < 6,000
        _true(vault.isLiquidatable(BORROWER), "unhealthy");
        asset.mint(LIQUIDATOR, 3000e18);
        VM.startPrank(LIQUIDATOR);
        asset.approve(address(vault), 3000e18);
        VM.expectEmit(true, true, false, true, address(vault));
        emit IAIRiskVault.Liquidated(LIQUIDATOR, BORROWER, 3000e18, 1.75e18);
        (uint256 repaid, uint256 seized) = vault.liquidate(BORROWER, 3000e18);
        VM.stopPrank();
        // 3,000 * 1.05 / 1,800 = 1.75 collateral.
        _eq(repaid, 3000e18);
        _eq(seized, 1.75e18);
        _eq(collateral.balanceOf(LIQUIDATOR), 1.75e18);
        _eq(vault.collateralOf(BORROWER), 3.25e18);
        _eq(vault.debtOf(BORROWER), 3000e18);
        _eq(vault.cash(), 7000e18);
        // Now 3,000 against 3.25 * 1,800 * 0.65 = 3,802.5: healthy again.
        VM.prank(LIQUIDATOR);
        VM.expectRevert(abi.encodeWithSelector(IAIRiskVault.PositionHealthy.selector, 3000e18, 3802.5e18));
        vault.liquidate(BORROWER, 1);
    }

    function test_liquidationWithBadDebt() public {
        _lend(LENDER, 10_000e18);
        _post(BORROWER, 5e18);
        _borrow(BORROWER, 6000e18);
        prices.pushPrice(1000e18); // value 5,000 < debt 6,000
        asset.mint(LIQUIDATOR, 6000e18);
        VM.startPrank(LIQUIDATOR);
        asset.approve(address(vault), 6000e18);
        // All 5 collateral for ceil(5,000 / 1.05) = 4,761.904761904761904762; the rest is written off.
        uint256 expectedRepaid = 4761_904761904761904762;
        VM.expectEmit(true, false, false, true, address(vault));
        emit IAIRiskVault.BadDebtWrittenOff(BORROWER, 6000e18 - expectedRepaid);
        (uint256 repaid, uint256 seized) = vault.liquidate(BORROWER, type(uint256).max);
        VM.stopPrank();
        _eq(repaid, expectedRepaid);
        _eq(seized, 5e18);
        _eq(vault.debtOf(BORROWER), 0);
        _eq(vault.totalScaledDebt(), 0);
        _eq(vault.collateralOf(BORROWER), 0);
        _eq(vault.totalCollateral(), 0);
        // The lenders bear the loss.
        _eq(vault.totalAssets(), 4000e18 + expectedRepaid);
        _eq(asset.balanceOf(LIQUIDATOR), 6000e18 - expectedRepaid);
    }

    /// @notice A model update that lowers maxLtv can make a position liquidatable (the step limit
    /// bounds how much one update tightens).
    function test_liquidationAfterTighterParameters() public {
        _lend(LENDER, 10_000e18);
        _post(BORROWER, 5e18);
        _borrow(BORROWER, 6000e18);
        _update(0, 16); // 0.55, threshold 0.60: 6,000 is not above 6,000
        _true(!vault.isLiquidatable(BORROWER), "at the threshold");
        VM.warp(block.timestamp + 1 days); // interest tips it over
        _true(vault.isLiquidatable(BORROWER), "over the threshold");
        uint256 debt = vault.debtOf(BORROWER);
        asset.mint(LIQUIDATOR, debt);
        VM.startPrank(LIQUIDATOR);
        asset.approve(address(vault), debt);
        (uint256 repaid, uint256 seized) = vault.liquidate(BORROWER, type(uint256).max);
        VM.stopPrank();
        _eq(repaid, debt);
        _eq(seized, Math.mulDiv(debt, 1.05e18, PRICE));
        _eq(vault.debtOf(BORROWER), 0);
    }
}
