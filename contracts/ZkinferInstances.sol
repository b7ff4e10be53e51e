// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IZkinferInstancesErrors} from "./IZkinferInstancesErrors.sol";

/// @title Decoding and encoding of zkinfer public instances
/// @notice A zkinfer proof's public instances are BN254 scalar-field elements (below `R`) that carry
/// signed fixed-point integers (real value = integer / 2^scale). Two encodings exist:
///
/// - Unpacked: one instance per value; `v >= 0` is the field element `v`, `v < 0` is `R - |v|`.
///   Decode with {toSigned}, encode with {toField}.
/// - Packed (the default): the values of one tensor are packed `perWord = 252 / bits` to an instance,
///   `W = sum_i (v_i + 2^(bits-1)) * 2^(bits*i)` with every `v_i` in `[-2^(bits-1), 2^(bits-1))`, where
///   `bits` is the model's activation range (range bits). Decode with {unpack} / {unpackAll}, encode
///   with {pack}. The last word of a tensor holds the remaining `count % perWord` values (if non-zero).
///
/// Instances are ordered: the model's public inputs first (each input tensor its own block of words),
/// then its public outputs. The circuit range-checks every value and constrains every packed word, so
/// the instances of a valid proof always decode; the checks here protect against misuse (a wrong
/// `bits`, a wrong word offset, unverified data).
///
/// Fixed-point values convert to 18-decimal "wad" numbers with {toWad}.
///
/// The library reverts with the custom errors of {IZkinferInstancesErrors} (a library cannot inherit
/// them; the error names below refer to that interface), e.g. `IZkinferInstancesErrors.InvalidPackedWord`.
/// @dev All functions are internal (inlined into the caller, no external library deployment).
// Every `1 << x` below is the power of two 2^x (SHL: 3 gas; the optimizer leaves `2 ** x` as EXP, 60
// gas), not a shift with its operands swapped.
// forge-lint: disable-start(incorrect-shift)
library ZkinferInstances {
    /// @notice The BN254 scalar field modulus r: every instance is below it.
    uint256 internal constant R = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001;
    /// @notice Unpacked values must have a magnitude below 2^127, so the sign is never ambiguous
    /// (the same bound as the Rust decoder).
    uint256 internal constant SMALL = 1 << 127;
    /// @dev {SMALL} as an int256.
    int256 private constant SMALL_SIGNED = 1 << 127;
    /// @notice Bits of an instance available for packing (r > 2^253, so 252 bits never wrap).
    uint256 internal constant PACKABLE_BITS = 252;
    /// @notice The largest scale {toWad} accepts: 2^scale must be a positive int256.
    uint256 internal constant MAX_SCALE = 254;
    /// @notice 10^18, one in wad.
    int256 internal constant WAD = 1e18;
    /// @dev The largest magnitude {toWad} can multiply by 10^18 without overflow.
    int256 private constant MAX_WAD_INPUT = type(int256).max / WAD;

    // ------------------------------------------------------------------------------------------
    // Commitments (hashed visibility)
    // ------------------------------------------------------------------------------------------

    /// @notice Requires the instance at `index` to be the commitment the caller pinned.
    /// @dev With `--input-visibility hashed` (or outputs, or later parameters) a proof exposes one
    /// instance per hashed side: Poseidon of the values and the salt (`zkinfer commit` computes it;
    /// settings.json `instances[]` gives its index). A valid proof only says "some values with this
    /// commitment"; which values is the consumer's pin. Check it, then verify the proof with the same
    /// `instances`. Reverts with {NotEnoughInstances} or {CommitmentMismatch}.
    /// @param instances The instances the proof will be verified with.
    /// @param index The commitment's position.
    /// @param expected The pinned commitment.
    function requireCommitment(uint256[] memory instances, uint256 index, uint256 expected) internal pure {
        if (index >= instances.length) revert IZkinferInstancesErrors.NotEnoughInstances(index + 1, instances.length);
        uint256 actual = instances[index];
        if (actual != expected) revert IZkinferInstancesErrors.CommitmentMismatch(index, expected, actual);
    }

    /// @notice {requireCommitment} for instances in calldata (no copy).
    function requireCommitmentCalldata(uint256[] calldata instances, uint256 index, uint256 expected) internal pure {
        if (index >= instances.length) revert IZkinferInstancesErrors.NotEnoughInstances(index + 1, instances.length);
        uint256 actual = instances[index];
        if (actual != expected) revert IZkinferInstancesErrors.CommitmentMismatch(index, expected, actual);
    }

    // ------------------------------------------------------------------------------------------
    // Unpacked instances
    // ------------------------------------------------------------------------------------------

    /// @notice Decodes an unpacked instance to its signed fixed-point integer.
    /// @dev Reverts with {NotAFieldElement} if `x >= R` and with {InstanceNotSmall} if `x` is in the
    /// middle range `[2^127, R - 2^127]`, which no value with a magnitude below 2^127 encodes to.
    /// @param x The instance (a field element).
    /// @return The value `x` encodes: `x` if `x < 2^127`, else `-(R - x)`.
    function toSigned(uint256 x) internal pure returns (int256) {
        if (x < SMALL) {
            // casting to 'int256' is safe because x < 2^127
            // forge-lint: disable-next-line(unsafe-typecast)
            return int256(x);
        }
        if (x >= R) revert IZkinferInstancesErrors.NotAFieldElement(x);
        uint256 m;
        unchecked {
            // x < R here, so R - x cannot underflow.
            m = R - x;
        }
        if (m >= SMALL) revert IZkinferInstancesErrors.InstanceNotSmall(x);
        // casting to 'int256' is safe because m < 2^127 (so is the negation)
        // forge-lint: disable-next-line(unsafe-typecast)
        return -int256(m);
    }

    /// @notice Encodes a signed fixed-point integer as an unpacked instance (the inverse of {toSigned}).
    /// @dev Reverts with {ValueNotSmall} unless `|value| < 2^127`.
    /// @param value The value.
    /// @return The field element: `value` if `value >= 0`, else `R - |value|`.
    function toField(int256 value) internal pure returns (uint256) {
        if (value >= SMALL_SIGNED || value <= -SMALL_SIGNED) revert IZkinferInstancesErrors.ValueNotSmall(value);
        // casting to 'uint256' is safe because |value| < 2^127 (so -value cannot overflow either)
        // forge-lint: disable-next-line(unsafe-typecast)
        if (value >= 0) return uint256(value);
        unchecked {
            // forge-lint: disable-next-line(unsafe-typecast)
            return R - uint256(-value);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Packed instances
    // ------------------------------------------------------------------------------------------

    /// @notice The number of values one packed instance holds for a range of `bits` bits.
    /// @dev Reverts with {InvalidBits} unless `1 <= bits <= 252`.
    /// @param bits The model's range bits.
    /// @return `252 / bits`.
    function perWord(uint256 bits) internal pure returns (uint256) {
        if (bits == 0 || bits > PACKABLE_BITS) revert IZkinferInstancesErrors.InvalidBits(bits);
        unchecked {
            return PACKABLE_BITS / bits;
        }
    }

    /// @notice The number of packed instances a tensor of `count` values occupies.
    /// @param count The number of values.
    /// @param bits The model's range bits.
    /// @return `ceil(count / (252 / bits))`.
    function wordCount(uint256 count, uint256 bits) internal pure returns (uint256) {
        return _ceilDiv(count, perWord(bits));
    }

    /// @notice The value at position `index` of a packed instance.
    /// @dev Only checks `bits` and `index`; it does not validate the rest of `word` (see {unpackAll}).
    /// @param word The packed instance.
    /// @param bits The model's range bits.
    /// @param index The position inside the word, below `252 / bits`.
    /// @return The signed value `((word >> (bits * index)) & (2^bits - 1)) - 2^(bits-1)`.
    function unpack(uint256 word, uint256 bits, uint256 index) internal pure returns (int256) {
        uint256 per = perWord(bits);
        if (index >= per) revert IZkinferInstancesErrors.IndexOutOfRange(index, per);
        unchecked {
            // bits * index < 252 and 2^bits <= 2^252: nothing overflows.
            uint256 limb = (word >> (bits * index)) & ((1 << bits) - 1);
            // casting to 'int256' is safe because limb < 2^bits <= 2^252
            // forge-lint: disable-next-line(unsafe-typecast)
            return int256(limb) - int256(1 << (bits - 1));
        }
    }

    /// @notice Unpacks `count` values packed in `instances[firstWord:]` (a memory array).
    /// @dev Reads `wordCount(count, bits)` words. Reverts with {NotEnoughInstances} if they are not
    /// all there, and with {InvalidPackedWord} if a word has bits set above the values it holds (the
    /// word is then not a packing of `bits`-bit values: most likely a wrong `bits` or `firstWord`).
    /// @param instances The public instances.
    /// @param firstWord The index of the tensor's first word in `instances`.
    /// @param count The number of values in the tensor.
    /// @param bits The model's range bits.
    /// @return values The `count` signed fixed-point integers, in tensor (row-major) order.
    function unpackAll(uint256[] memory instances, uint256 firstWord, uint256 count, uint256 bits)
        internal
        pure
        returns (int256[] memory values)
    {
        uint256 per = perWord(bits);
        uint256 words = _ceilDiv(count, per);
        uint256 end = firstWord + words;
        if (end > instances.length) revert IZkinferInstancesErrors.NotEnoughInstances(end, instances.length);
        values = new int256[](count);
        unchecked {
            for (uint256 w = 0; w < words; ++w) {
                uint256 at = firstWord + w;
                _unpackWord(instances[at], at, bits, w * per, _min(per, count - w * per), values);
            }
        }
    }

    /// @notice {unpackAll} for instances in calldata (no copy of the whole array to memory).
    /// @param instances The public instances.
    /// @param firstWord The index of the tensor's first word in `instances`.
    /// @param count The number of values in the tensor.
    /// @param bits The model's range bits.
    /// @return values The `count` signed fixed-point integers, in tensor (row-major) order.
    function unpackAllCalldata(uint256[] calldata instances, uint256 firstWord, uint256 count, uint256 bits)
        internal
        pure
        returns (int256[] memory values)
    {
        uint256 per = perWord(bits);
        uint256 words = _ceilDiv(count, per);
        uint256 end = firstWord + words;
        if (end > instances.length) revert IZkinferInstancesErrors.NotEnoughInstances(end, instances.length);
        values = new int256[](count);
        unchecked {
            for (uint256 w = 0; w < words; ++w) {
                uint256 at = firstWord + w;
                _unpackWord(instances[at], at, bits, w * per, _min(per, count - w * per), values);
            }
        }
    }

    /// @notice Packs signed fixed-point values the way the circuit does, e.g. to compute the expected
    /// public-input words from a consumer's own state and compare them with a proof's instances.
    /// @dev Reverts with {ValueOutOfRange} if a value is outside `[-2^(bits-1), 2^(bits-1))`.
    /// @param values The values of one tensor, in tensor (row-major) order.
    /// @param bits The model's range bits.
    /// @return words `wordCount(values.length, bits)` packed instances.
    function pack(int256[] memory values, uint256 bits) internal pure returns (uint256[] memory words) {
        uint256 per = perWord(bits);
        uint256 n = values.length;
        words = new uint256[](_ceilDiv(n, per));
        unchecked {
            // 1 <= bits <= 252: the offset 2^(bits-1) is a positive int256.
            int256 offset = int256(1 << (bits - 1));
            for (uint256 i = 0; i < n; ++i) {
                int256 v = values[i];
                if (v < -offset || v >= offset) revert IZkinferInstancesErrors.ValueOutOfRange(i, v, bits);
                // casting to 'uint256' is safe because v + offset is in [0, 2^bits) now (no overflow)
                // forge-lint: disable-next-line(unsafe-typecast)
                uint256 limb = uint256(v + offset);
                uint256 w = i / per;
                words[w] |= limb << (bits * (i - w * per));
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Fixed point
    // ------------------------------------------------------------------------------------------

    /// @notice Converts a fixed-point integer with `scale` fractional bits (real value
    /// `v / 2^scale`) to an 18-decimal wad (real value `wad / 10^18`).
    /// @dev Computes `v * 10^18 / 2^scale`. Exact for `scale <= 18` (10^18 is a multiple of 2^18).
    /// For `scale > 18` the result is rounded toward zero (Solidity's signed division), so the error
    /// is below 1 wei (10^-18) and `toWad(-v, s) == -toWad(v, s)`. Reverts with {InvalidScale} if
    /// `scale > 254` and with {WadOverflow} if `|v| * 10^18` does not fit an int256 (`|v| > ~2^195`:
    /// never for values decoded from unpacked instances, `|v| < 2^127`, or packed with `bits <= 196`).
    /// @param v The fixed-point integer (e.g. from {unpack} or {toSigned}).
    /// @param scale The model's scale (fractional bits).
    /// @return The value in wad.
    function toWad(int256 v, uint256 scale) internal pure returns (int256) {
        if (scale > MAX_SCALE) revert IZkinferInstancesErrors.InvalidScale(scale);
        if (v > MAX_WAD_INPUT || v < -MAX_WAD_INPUT) revert IZkinferInstancesErrors.WadOverflow(v);
        unchecked {
            // |v * 10^18| <= type(int256).max after the check, so the product cannot overflow.
            // casting to 'int256' is safe because scale <= 254, so 2^scale is a positive int256
            // forge-lint: disable-next-line(unsafe-typecast)
            return (v * WAD) / int256(1 << scale);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Internals
    // ------------------------------------------------------------------------------------------

    /// @dev Writes the `n` values of `word` (the instance at `position`) to `out[start:start + n]`,
    /// after checking that no bit above the `n` values is set. The caller guarantees
    /// `1 <= bits <= 252`, `1 <= n <= 252 / bits` and `start + n <= out.length`.
    function _unpackWord(uint256 word, uint256 position, uint256 bits, uint256 start, uint256 n, int256[] memory out)
        private
        pure
    {
        unchecked {
            // n * bits <= 252, so the shift is in range: a valid word is below 2^(n * bits).
            if (word >> (n * bits) != 0) revert IZkinferInstancesErrors.InvalidPackedWord(position, word);
            uint256 mask = (1 << bits) - 1;
            uint256 offset = 1 << (bits - 1);
            // Assembly: the caller guarantees `start + n <= out.length`, so the bounds check Solidity
            // would do on every `out[start + i] = ...` is redundant; this loop is the hot path when
            // decoding large tensors. `sub(limb, offset)` is the two's complement of limb - offset,
            // i.e. exactly the int256 value (limb and offset are below 2^252).
            assembly ("memory-safe") {
                let p := add(add(out, 0x20), shl(5, start))
                let last := add(p, shl(5, n))
                for {} lt(p, last) { p := add(p, 0x20) } {
                    mstore(p, sub(and(word, mask), offset))
                    word := shr(bits, word)
                }
            }
        }
    }

    /// @dev `ceil(a / b)` for `b >= 1`.
    function _ceilDiv(uint256 a, uint256 b) private pure returns (uint256) {
        unchecked {
            // b >= 1 (a perWord); a / b + (remainder != 0) cannot overflow.
            return a / b + (a % b == 0 ? 0 : 1);
        }
    }

    /// @dev The smaller of `a` and `b`.
    function _min(uint256 a, uint256 b) private pure returns (uint256) {
        return a < b ? a : b;
    }
}
// forge-lint: disable-end(incorrect-shift)
