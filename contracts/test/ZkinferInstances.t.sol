// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {ZkinferInstances} from "../ZkinferInstances.sol";
import {GemmReluFixture} from "./fixtures/GemmReluFixture.sol";
import {MatmulSigmoidFixture} from "./fixtures/MatmulSigmoidFixture.sol";
import {VM} from "./utils/Vm.sol";
import {IZkinferInstancesErrors} from "../IZkinferInstancesErrors.sol";

/// @notice External entry points to the (internal) library, so tests can `expectRevert` its errors
/// (cheatcodes only see calls) and exercise the calldata variant.
contract InstancesHarness {
    function toSigned(uint256 x) external pure returns (int256) {
        return ZkinferInstances.toSigned(x);
    }

    function toField(int256 v) external pure returns (uint256) {
        return ZkinferInstances.toField(v);
    }

    function unpack(uint256 word, uint256 bits, uint256 index) external pure returns (int256) {
        return ZkinferInstances.unpack(word, bits, index);
    }

    function unpackAll(uint256[] memory instances, uint256 firstWord, uint256 count, uint256 bits)
        external
        pure
        returns (int256[] memory)
    {
        return ZkinferInstances.unpackAll(instances, firstWord, count, bits);
    }

    function unpackAllCalldata(uint256[] calldata instances, uint256 firstWord, uint256 count, uint256 bits)
        external
        pure
        returns (int256[] memory)
    {
        return ZkinferInstances.unpackAllCalldata(instances, firstWord, count, bits);
    }

    function pack(int256[] memory values, uint256 bits) external pure returns (uint256[] memory) {
        return ZkinferInstances.pack(values, bits);
    }

    function toWad(int256 v, uint256 scale) external pure returns (int256) {
        return ZkinferInstances.toWad(v, scale);
    }

    function requireCommitment(uint256[] memory instances, uint256 index, uint256 expected) external pure {
        ZkinferInstances.requireCommitment(instances, index, expected);
    }

    function requireCommitmentCalldata(uint256[] calldata instances, uint256 index, uint256 expected) external pure {
        ZkinferInstances.requireCommitmentCalldata(instances, index, expected);
    }
}

/// @notice ZkinferInstances: encodings round-trip, out-of-range input reverts, and the real fixtures
/// decode to the values recorded in their proof.json.
contract ZkinferInstancesTest {
    uint256 internal constant R = ZkinferInstances.R;
    uint256 internal constant SMALL = 2 ** 127;
    int256 internal constant SMALL_INT = 2 ** 127;

    error NotEqual(int256 actual, int256 expected);
    error NotEqualUint(uint256 actual, uint256 expected);
    error LengthMismatch(uint256 actual, uint256 expected);
    error NotAnInt256(uint256 x);

    InstancesHarness internal harness;

    function setUp() public {
        harness = new InstancesHarness();
    }

    // ---- helpers ----------------------------------------------------------------------------

    /// @dev A checked uint256 -> int256 conversion.
    function _int(uint256 x) internal pure returns (int256) {
        if (x > uint256(type(int256).max)) revert NotAnInt256(x);
        // casting to 'int256' is safe because of the check above
        // forge-lint: disable-next-line(unsafe-typecast)
        return int256(x);
    }

    function _eq(int256 actual, int256 expected) internal pure {
        if (actual != expected) revert NotEqual(actual, expected);
    }

    function _eq(uint256 actual, uint256 expected) internal pure {
        if (actual != expected) revert NotEqualUint(actual, expected);
    }

    function _eq(int256[] memory actual, int256[] memory expected) internal pure {
        if (actual.length != expected.length) revert LengthMismatch(actual.length, expected.length);
        for (uint256 i = 0; i < actual.length; i++) {
            _eq(actual[i], expected[i]);
        }
    }

    function _ints(int256 a, int256 b, int256 c) internal pure returns (int256[] memory v) {
        v = new int256[](3);
        (v[0], v[1], v[2]) = (a, b, c);
    }

    function _ints(int256 a, int256 b, int256 c, int256 d) internal pure returns (int256[] memory v) {
        v = new int256[](4);
        (v[0], v[1], v[2], v[3]) = (a, b, c, d);
    }

    /// @dev A bit width in the fuzzed range 8..20.
    function _bits(uint256 seed) internal pure returns (uint256) {
        return 8 + (seed % 13);
    }

    /// @dev `n` pseudo-random values in [-2^(bits-1), 2^(bits-1)), with the two extremes and zero
    /// over-represented (each about 1 in 8).
    function _values(uint256 seed, uint256 n, uint256 bits) internal pure returns (int256[] memory v) {
        v = new int256[](n);
        int256 half = _int(2 ** (bits - 1));
        for (uint256 i = 0; i < n; i++) {
            uint256 h = uint256(keccak256(abi.encode(seed, i)));
            uint256 pick = h % 8;
            if (pick == 0) v[i] = -half;
            else if (pick == 1) v[i] = half - 1;
            else if (pick == 2) v[i] = 0;
            else v[i] = _int((h >> 8) % (2 ** bits)) - half;
        }
    }

    // ---- real fixtures ----------------------------------------------------------------------

    /// @notice The output word of the gemm_relu fixture decodes to its proof.json's outputs_fixed.
    function test_gemmReluFixtureOutputs() public pure {
        uint256[] memory instances = GemmReluFixture.instances();
        _eq(instances.length, 2);
        // contracts/test/fixtures/gemm_relu.proof.json: "outputs_fixed": [[38, -39, -2]], "scale": 7
        // (outputs [0.296875, -0.3046875, -0.015625]); range bits 10, so 25 values per word: word 0 is
        // the input x[1,4], word 1 the output y[1,3].
        _eq(ZkinferInstances.perWord(10), 25);
        _eq(ZkinferInstances.wordCount(3, 10), 1);
        _eq(ZkinferInstances.wordCount(26, 10), 2);
        _eq(ZkinferInstances.unpackAll(instances, 1, 3, 10), _ints(38, -39, -2));
        _eq(ZkinferInstances.unpack(instances[1], 10, 0), 38);
        _eq(ZkinferInstances.unpack(instances[1], 10, 1), -39);
        _eq(ZkinferInstances.unpack(instances[1], 10, 2), -2);
    }

    /// @notice The input word of the gemm_relu fixture unpacks to 4 values that pack back to it:
    /// what a consumer does to bind a proof to inputs from its own state.
    function test_gemmReluFixtureInputRepacks() public pure {
        uint256[] memory instances = GemmReluFixture.instances();
        // The fixture's seeded test input x[1,4] at scale 7, decoded from instances[0] with 10 bits
        // (proof.json records only the outputs).
        int256[] memory x = _ints(88, -105, 64, 12);
        _eq(ZkinferInstances.unpackAll(instances, 0, 4, 10), x);
        uint256[] memory words = ZkinferInstances.pack(x, 10);
        _eq(words.length, 1);
        _eq(words[0], instances[0]);
        uint256[] memory out = ZkinferInstances.pack(_ints(38, -39, -2), 10);
        _eq(out[0], instances[1]);
    }

    /// @notice The matmul_sigmoid fixture (range bits 9, 28 values per word) decodes too.
    function test_matmulSigmoidFixtureOutputs() public pure {
        uint256[] memory instances = MatmulSigmoidFixture.instances();
        // contracts/test/fixtures/matmul_sigmoid.proof.json: "outputs_fixed": [[53, 67, 60, 49]], scale 7
        _eq(ZkinferInstances.unpackAll(instances, 1, 4, 9), _ints(53, 67, 60, 49));
    }

    /// @notice The gemm_relu outputs in wad: scale 7 <= 18, so the conversion is exact.
    function test_gemmReluOutputsToWad() public pure {
        _eq(ZkinferInstances.toWad(38, 7), 0.296875e18);
        _eq(ZkinferInstances.toWad(-39, 7), -0.3046875e18);
        _eq(ZkinferInstances.toWad(-2, 7), -0.015625e18);
    }

    /// @notice Decoding a word with the wrong range bits is caught: the word has bits set above the
    /// values it would hold.
    function testRevert_fixtureWithWrongBits() public {
        uint256[] memory instances = MatmulSigmoidFixture.instances();
        VM.expectRevert(abi.encodeWithSelector(IZkinferInstancesErrors.InvalidPackedWord.selector, 1, instances[1]));
        harness.unpackAll(instances, 1, 4, 8);
    }

    // ---- packed: round trips ----------------------------------------------------------------

    /// @notice pack then unpackAll/unpackAllCalldata/unpack returns the values, for any in-range
    /// values, lengths 0..99 (up to 5 words) and bit widths 8..20; the words are canonical.
    function testFuzz_packUnpackRoundTrip(uint256 seed, uint256 bitsSeed, uint256 lenSeed, uint256 offset) public view {
        uint256 bits = _bits(bitsSeed);
        uint256 n = lenSeed % 100;
        uint256 per = 252 / bits;
        int256[] memory values = _values(seed, n, bits);

        uint256[] memory words = ZkinferInstances.pack(values, bits);
        _eq(words.length, (n + per - 1) / per);
        for (uint256 w = 0; w < words.length; w++) {
            _eq(words[w] >> (per * bits), 0); // below 2^252 < r
        }
        _eq(ZkinferInstances.unpackAll(words, 0, n, bits), values);
        for (uint256 i = 0; i < n; i++) {
            _eq(ZkinferInstances.unpack(words[i / per], bits, i % per), values[i]);
        }

        // The same words at an offset inside a longer instance array, through calldata.
        uint256 first = offset % 4;
        uint256[] memory instances = new uint256[](first + words.length + 1);
        for (uint256 w = 0; w < words.length; w++) {
            instances[first + w] = words[w];
        }
        _eq(harness.unpackAllCalldata(instances, first, n, bits), values);
        _eq(harness.unpackAll(instances, first, n, bits), values);
    }

    /// @notice unpack then pack returns the word, for any valid word: the packing is a bijection.
    function testFuzz_unpackPackRoundTrip(uint256 word, uint256 bitsSeed) public pure {
        uint256 bits = _bits(bitsSeed);
        uint256 per = 252 / bits;
        word &= 2 ** (per * bits) - 1;
        uint256[] memory instances = new uint256[](1);
        instances[0] = word;
        uint256[] memory words = ZkinferInstances.pack(ZkinferInstances.unpackAll(instances, 0, per, bits), bits);
        _eq(words.length, 1);
        _eq(words[0], word);
    }

    /// @notice The extreme values of every width 1..252 round-trip (the limbs 0 and 2^bits - 1).
    function test_packExtremesAllWidths() public pure {
        for (uint256 bits = 1; bits <= 252; bits++) {
            int256 half = _int(2 ** (bits - 1));
            int256[] memory values = new int256[](2);
            (values[0], values[1]) = (-half, half - 1);
            uint256[] memory words = ZkinferInstances.pack(values, bits);
            _eq(ZkinferInstances.unpackAll(words, 0, 2, bits), values);
        }
    }

    function test_emptyTensor() public pure {
        _eq(ZkinferInstances.pack(new int256[](0), 10).length, 0);
        _eq(ZkinferInstances.unpackAll(new uint256[](0), 0, 0, 10).length, 0);
    }

    // ---- packed: reverts --------------------------------------------------------------------

    /// @notice pack rejects a value outside [-2^(bits-1), 2^(bits-1)), at its index.
    function testFuzz_packOutOfRangeReverts(int256 v, uint256 bitsSeed, uint256 indexSeed) public {
        uint256 bits = _bits(bitsSeed);
        int256 half = _int(2 ** (bits - 1));
        if (v >= -half && v < half) {
            // Move an in-range value out of range, alternately above and below.
            v = v >= 0 ? v + half : v - half - 1;
        }
        uint256 index = indexSeed % 30;
        int256[] memory values = _values(indexSeed, 30, bits);
        values[index] = v;
        VM.expectRevert(abi.encodeWithSelector(IZkinferInstancesErrors.ValueOutOfRange.selector, index, v, bits));
        harness.pack(values, bits);
    }

    function testRevert_packJustOutOfRange() public {
        int256[] memory values = _ints(0, 512, 0);
        VM.expectRevert(abi.encodeWithSelector(IZkinferInstancesErrors.ValueOutOfRange.selector, 1, int256(512), 10));
        harness.pack(values, 10);
        values = _ints(0, 0, -513);
        VM.expectRevert(abi.encodeWithSelector(IZkinferInstancesErrors.ValueOutOfRange.selector, 2, int256(-513), 10));
        harness.pack(values, 10);
        values = _ints(type(int256).min, 0, 0);
        VM.expectRevert(
            abi.encodeWithSelector(IZkinferInstancesErrors.ValueOutOfRange.selector, 0, type(int256).min, 10)
        );
        harness.pack(values, 10);
        values = _ints(type(int256).max, 0, 0);
        VM.expectRevert(
            abi.encodeWithSelector(IZkinferInstancesErrors.ValueOutOfRange.selector, 0, type(int256).max, 10)
        );
        harness.pack(values, 10);
    }

    function testRevert_invalidBits() public {
        VM.expectRevert(abi.encodeWithSelector(IZkinferInstancesErrors.InvalidBits.selector, 0));
        harness.unpack(1, 0, 0);
        VM.expectRevert(abi.encodeWithSelector(IZkinferInstancesErrors.InvalidBits.selector, 253));
        harness.unpackAll(new uint256[](1), 0, 1, 253);
        VM.expectRevert(abi.encodeWithSelector(IZkinferInstancesErrors.InvalidBits.selector, 300));
        harness.pack(new int256[](1), 300);
    }

    function testFuzz_requireCommitment(uint256 commitment, uint256 other, uint256 indexSeed) public {
        uint256[] memory instances = new uint256[](3);
        uint256 index = indexSeed % 3;
        instances[index] = commitment;
        harness.requireCommitment(instances, index, commitment);
        harness.requireCommitmentCalldata(instances, index, commitment);
        if (other != commitment) {
            bytes memory mismatch =
                abi.encodeWithSelector(IZkinferInstancesErrors.CommitmentMismatch.selector, index, other, commitment);
            VM.expectRevert(mismatch);
            harness.requireCommitment(instances, index, other);
            VM.expectRevert(mismatch);
            harness.requireCommitmentCalldata(instances, index, other);
        }
        VM.expectRevert(abi.encodeWithSelector(IZkinferInstancesErrors.NotEnoughInstances.selector, 4, 3));
        harness.requireCommitment(instances, 3, commitment);
        VM.expectRevert(abi.encodeWithSelector(IZkinferInstancesErrors.NotEnoughInstances.selector, 4, 3));
        harness.requireCommitmentCalldata(instances, 3, commitment);
    }

    function testRevert_unpackIndexOutOfRange() public {
        // 252 / 10 = 25 values per word: indices 0..24.
        _eq(harness.unpack(0, 10, 24), -512);
        VM.expectRevert(abi.encodeWithSelector(IZkinferInstancesErrors.IndexOutOfRange.selector, 25, 25));
        harness.unpack(0, 10, 25);
    }

    function testRevert_notEnoughInstances() public {
        uint256[] memory instances = GemmReluFixture.instances();
        // 26 values at 10 bits need 2 words: from word 1 that ends at 3 > 2.
        VM.expectRevert(abi.encodeWithSelector(IZkinferInstancesErrors.NotEnoughInstances.selector, 3, 2));
        harness.unpackAll(instances, 1, 26, 10);
        VM.expectRevert(abi.encodeWithSelector(IZkinferInstancesErrors.NotEnoughInstances.selector, 3, 2));
        harness.unpackAllCalldata(instances, 2, 1, 10);
    }

    /// @notice A word with any bit set above its values is rejected (also in a partly filled last word).
    function testFuzz_invalidPackedWordReverts(uint256 word, uint256 bitsSeed, uint256 countSeed) public {
        uint256 bits = _bits(bitsSeed);
        uint256 count = 1 + countSeed % (252 / bits);
        if (word >> (count * bits) == 0) word |= 2 ** (255 - countSeed % (256 - count * bits));
        uint256[] memory instances = new uint256[](2);
        instances[1] = word;
        VM.expectRevert(abi.encodeWithSelector(IZkinferInstancesErrors.InvalidPackedWord.selector, 1, word));
        harness.unpackAll(instances, 1, count, bits);
    }

    // ---- unpacked ---------------------------------------------------------------------------

    /// @notice toSigned(r - |v|) == v and toSigned(v) == v for |v| < 2^127; toField inverts it.
    function testFuzz_toSignedRoundTrip(uint256 m) public pure {
        m %= SMALL;
        int256 v = _int(m);
        _eq(ZkinferInstances.toSigned(m), v);
        _eq(ZkinferInstances.toField(v), m);
        if (m != 0) {
            _eq(ZkinferInstances.toSigned(R - m), -v);
            _eq(ZkinferInstances.toField(-v), R - m);
        }
    }

    function test_toSignedBoundaries() public pure {
        _eq(ZkinferInstances.toSigned(0), 0);
        _eq(ZkinferInstances.toSigned(SMALL - 1), (SMALL_INT - 1));
        _eq(ZkinferInstances.toSigned(R - 1), -1);
        _eq(ZkinferInstances.toSigned(R - (SMALL - 1)), -(SMALL_INT - 1));
    }

    /// @notice The middle range [2^127, r - 2^127] is rejected.
    function testFuzz_toSignedMiddleReverts(uint256 x) public {
        x = SMALL + x % (R - 2 * SMALL + 1);
        VM.expectRevert(abi.encodeWithSelector(IZkinferInstancesErrors.InstanceNotSmall.selector, x));
        harness.toSigned(x);
    }

    /// @notice Values >= r (non-canonical field elements) are rejected.
    function testFuzz_toSignedNotFieldElementReverts(uint256 x) public {
        if (x < R) x = R + x % (type(uint256).max - R + 1);
        VM.expectRevert(abi.encodeWithSelector(IZkinferInstancesErrors.NotAFieldElement.selector, x));
        harness.toSigned(x);
    }

    function testRevert_toSignedEdges() public {
        VM.expectRevert(abi.encodeWithSelector(IZkinferInstancesErrors.InstanceNotSmall.selector, SMALL));
        harness.toSigned(SMALL);
        VM.expectRevert(abi.encodeWithSelector(IZkinferInstancesErrors.InstanceNotSmall.selector, R - SMALL));
        harness.toSigned(R - SMALL);
        VM.expectRevert(abi.encodeWithSelector(IZkinferInstancesErrors.NotAFieldElement.selector, R));
        harness.toSigned(R);
    }

    function testRevert_toFieldNotSmall() public {
        VM.expectRevert(abi.encodeWithSelector(IZkinferInstancesErrors.ValueNotSmall.selector, SMALL_INT));
        harness.toField(SMALL_INT);
        VM.expectRevert(abi.encodeWithSelector(IZkinferInstancesErrors.ValueNotSmall.selector, -SMALL_INT));
        harness.toField(-SMALL_INT);
        VM.expectRevert(abi.encodeWithSelector(IZkinferInstancesErrors.ValueNotSmall.selector, type(int256).min));
        harness.toField(type(int256).min);
    }

    // ---- fixed point ------------------------------------------------------------------------

    /// @notice For scale <= 18 the conversion is exact: toWad(v, s) * 2^s == v * 10^18.
    function testFuzz_toWadExact(int128 v, uint256 scaleSeed) public pure {
        uint256 scale = scaleSeed % 19;
        int256 wad = ZkinferInstances.toWad(v, scale);
        _eq(wad * _int(2 ** scale), int256(v) * 1e18);
    }

    /// @notice For scale > 18 it rounds toward zero: within one wei, sign-symmetric.
    function testFuzz_toWadRoundsTowardZero(int128 v, uint256 scaleSeed) public pure {
        uint256 scale = 19 + scaleSeed % 236; // 19..254
        int256 wad = ZkinferInstances.toWad(v, scale);
        int256 exact = int256(v) * 1e18; // the true value times 2^scale
        int256 back = wad * _int(2 ** scale); // cannot overflow: |wad * 2^scale| <= |exact|
        if (exact >= 0) {
            if (back > exact || exact - back >= _int(2 ** scale)) revert NotEqual(back, exact);
        } else {
            if (back < exact || back - exact >= _int(2 ** scale)) revert NotEqual(back, exact);
        }
        _eq(ZkinferInstances.toWad(-int256(v), scale), -wad);
    }

    function test_toWadRounding() public pure {
        // 1 / 2^60 = 8.67e-19 wad: below one wei, toward zero from both sides.
        _eq(ZkinferInstances.toWad(1, 60), 0);
        _eq(ZkinferInstances.toWad(-1, 60), 0);
        // 3 / 2^19 = 5.7220458984375e-6 exactly 5722045898437.5 wei: truncated.
        _eq(ZkinferInstances.toWad(3, 19), 5722045898437);
        _eq(ZkinferInstances.toWad(-3, 19), -5722045898437);
        _eq(ZkinferInstances.toWad(5, 0), 5e18);
    }

    function testRevert_toWad() public {
        VM.expectRevert(abi.encodeWithSelector(IZkinferInstancesErrors.InvalidScale.selector, 255));
        harness.toWad(1, 255);
        int256 tooBig = type(int256).max / 1e18 + 1;
        VM.expectRevert(abi.encodeWithSelector(IZkinferInstancesErrors.WadOverflow.selector, tooBig));
        harness.toWad(tooBig, 7);
        VM.expectRevert(abi.encodeWithSelector(IZkinferInstancesErrors.WadOverflow.selector, -tooBig));
        harness.toWad(-tooBig, 7);
        // The largest magnitude still converts.
        _eq(harness.toWad(tooBig - 1, 0), (tooBig - 1) * 1e18);
    }
}
