// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title The custom errors of the {ZkinferInstances} library
/// @notice A library cannot inherit, so its errors are declared here and the library reverts with
/// `IZkinferInstancesErrors.<Error>(...)`. A contract that inlines the library reverts with these
/// errors, so they belong to its ABI; off-chain decoders (the Rust side's alloy `sol!`) read this file.
/// @dev Self-contained on purpose (no imports): `sol!` follows none.
interface IZkinferInstancesErrors {
    /// @notice `x` is not a canonical field element (`x >= R`).
    error NotAFieldElement(uint256 x);
    /// @notice `x` is neither a small non-negative value (`x < 2^127`) nor `R - m` with `0 < m < 2^127`.
    error InstanceNotSmall(uint256 x);
    /// @notice `value` has a magnitude of 2^127 or more, so it has no unambiguous unpacked encoding.
    error ValueNotSmall(int256 value);
    /// @notice `bits` is not a usable packing width (it must be in [1, 252]).
    error InvalidBits(uint256 bits);
    /// @notice `index` is not below the `perWord` values a packed instance holds.
    error IndexOutOfRange(uint256 index, uint256 perWord);
    /// @notice The requested block of words ends at `end`, past the `length` instances given.
    error NotEnoughInstances(uint256 end, uint256 length);
    /// @notice The packed instance at `position` has bits set above its `count` values.
    error InvalidPackedWord(uint256 position, uint256 word);
    /// @notice `values[index]` is outside `[-2^(bits-1), 2^(bits-1))`, so it cannot be packed.
    error ValueOutOfRange(uint256 index, int256 value, uint256 bits);
    /// @notice `scale` is above the library's `MAX_SCALE` (254).
    error InvalidScale(uint256 scale);
    /// @notice `value * 10^18` does not fit an int256.
    error WadOverflow(int256 value);
    /// @notice The instance at `index` is `actual`, not the pinned commitment `expected`.
    error CommitmentMismatch(uint256 index, uint256 expected, uint256 actual);
}
