// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title A freely mintable 18-decimal ERC-20 for local deployments
/// @notice Anyone can mint: for a local anvil only, never for a real network.
contract LocalToken is ERC20 {
    /// @notice Creates the token.
    /// @param name_ The token name.
    /// @param symbol_ The token symbol.
    constructor(string memory name_, string memory symbol_) ERC20(name_, symbol_) {}

    /// @notice Mints `amount` to `to`.
    /// @param to The recipient.
    /// @param amount The amount, in base units.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
