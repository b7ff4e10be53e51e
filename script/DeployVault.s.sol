// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IZkinferCircuitInfo, IZkinferVerifier} from "../contracts/IZkinferVerifier.sol";
import {AIRiskVault} from "../contracts/vault/AIRiskVault.sol";
import {ChainlinkPriceHistory} from "../contracts/vault/ChainlinkPriceHistory.sol";
import {MockAggregator} from "../contracts/test/vault/MockAggregator.sol";
import {VaultRiskVerifier} from "../contracts/test/fixtures/VaultRiskVerifier.sol";
import {VM} from "../contracts/test/utils/Vm.sol";
import {LocalToken} from "./LocalToken.sol";

/// @title Deploys the AI-governed lending vault on a local chain, in the worked example's state
/// @notice Deploys two {LocalToken}s, a Chainlink-style feed ({MockAggregator}, 8 decimals) holding
/// the rounds [2000, 2100, 1995, 2000, 1900, 1950, 2050, 2000], the vault's price source over it
/// ({ChainlinkPriceHistory}, as a live deployment would use over a real feed), the generated
/// `VaultRiskVerifier` and {AIRiskVault} (owned by the broadcaster), then, from the broadcaster,
/// lends 10,000 borrow tokens, posts 5 collateral and borrows 4,000: the state whose features
/// [51, 46, 6, 80] the fixture proof (`contracts/test/fixtures/vault_risk.proof.json`) was made for,
/// once it has been held through an epoch (the vault's utilisation and coverage are the previous
/// epoch's averages).
///
/// The script states no circuit facts: the vault reads the model's scale and packing width from the
/// verifier (`SCALE()`, `PACK_BITS()`) and checks its instance layout (`instanceBlocks()`), so
/// deploying another generated verifier is enough to deploy the vault for another build of the
/// risk model (with the same inputs and outputs): set `RISK_VERIFIER` to its address (deployed by
/// `zkinfer deploy`) and the script uses it instead of the fixture verifier.
/// @dev Run: `forge script script/DeployVault.s.sol --rpc-url <url> --broadcast --private-key <key>`.
/// The addresses are printed as the return values of {run}.
contract DeployVault {
    uint256 internal constant EPOCH = 1 hours;
    uint256 internal constant ROTATION_DELAY = 2 days;
    uint256 internal constant LEND = 10_000e18;
    uint256 internal constant COLLATERAL = 5e18;
    uint256 internal constant BORROW = 4000e18;
    /// @dev A local chain's clock jumps by hours in tests and nobody reports on a schedule: a month's
    /// leeway. A live feed's is its heartbeat plus a margin.
    uint256 internal constant FEED_MAX_AGE = 30 days;

    /// @notice Deploys and sets up everything from the script's sender.
    /// @return collateral The collateral token.
    /// @return asset The borrow token.
    /// @return feed The Chainlink-style feed (anyone may `report` a round on it: local chains only).
    /// @return prices The vault's price source over the feed.
    /// @return verifier The risk model's verifier.
    /// @return vault The vault.
    function run()
        external
        returns (
            LocalToken collateral,
            LocalToken asset,
            MockAggregator feed,
            ChainlinkPriceHistory prices,
            address verifier,
            AIRiskVault vault
        )
    {
        address deployer = msg.sender;
        VM.startBroadcast();

        collateral = new LocalToken("Local Collateral", "lCOL");
        asset = new LocalToken("Local Borrowed", "lBOR");

        feed = new MockAggregator(8);
        int256[8] memory history = [int256(2000e8), 2100e8, 1995e8, 2000e8, 1900e8, 1950e8, 2050e8, 2000e8];
        for (uint256 i = 0; i < history.length; ++i) {
            feed.report(history[i]);
        }
        prices = new ChainlinkPriceHistory(feed, 18, 18, 8, FEED_MAX_AGE);

        // RISK_VERIFIER: a verifier already deployed (`zkinfer deploy BUILD`), e.g. of the tree
        // model; by default, the checked-in fixture verifier of the MLP.
        verifier = VM.envOr("RISK_VERIFIER", address(0));
        if (verifier == address(0)) {
            verifier = address(new VaultRiskVerifier());
        }
        // A development-SRS verifier's keys are public knowledge: fine on a local chain only.
        require(
            !IZkinferCircuitInfo(verifier).DEV_SRS() || block.chainid == 31337 || block.chainid == 1337,
            "development-SRS verifier: local chains only"
        );
        vault = new AIRiskVault(
            collateral,
            asset,
            prices,
            _config(),
            IZkinferVerifier(verifier),
            verifier.codehash,
            ROTATION_DELAY,
            deployer
        );

        asset.mint(deployer, LEND);
        asset.approve(address(vault), LEND);
        vault.deposit(LEND, deployer);

        collateral.mint(deployer, COLLATERAL);
        collateral.approve(address(vault), COLLATERAL);
        vault.depositCollateral(COLLATERAL);
        vault.borrow(BORROW);

        VM.stopBroadcast();
    }

    /// @dev The example's risk configuration: 1-hour epochs, LTV in [0.30, 0.85] and rate in
    /// [0.01, 0.40] moving at most 0.05 per update, starting at 0.60 / 0.05. The scale and packing
    /// width are not configured: they are the verifier's.
    function _config() internal pure returns (AIRiskVault.RiskConfig memory) {
        return AIRiskVault.RiskConfig({
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
    }
}
