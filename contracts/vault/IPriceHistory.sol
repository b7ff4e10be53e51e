// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title A price feed that also exposes its recent history
/// @notice What {AIRiskVault} needs from its price source: the current collateral price (to value
/// collateral) and the last few observations (for the model's volatility and drawdown features).
/// Prices are the value of one base unit of the collateral token in base units of the borrow token,
/// times 10^18 (for two 18-decimal tokens: the human price with 18 decimals).
interface IPriceHistory {
    /// @notice The most recent price.
    /// @return price The latest observation's price (18 decimals); reverts if there is none.
    function latestPrice() external view returns (uint256 price);

    /// @notice The retained observations, oldest first (the last one is {latestPrice}).
    /// @return prices The prices (18 decimals).
    /// @return timestamps The block timestamps at which they were recorded.
    function observations() external view returns (uint256[] memory prices, uint256[] memory timestamps);
}
