//! Field elements as the outside world sees them: signed fixed-point integers map to `r - |v|` when
//! negative, and every field element travels as 32 big-endian bytes (the EVM's word order).

use alloy::primitives::U256;
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::PrimeField;

/// A signed integer as a field element: negatives become `r - |v|`.
///
/// Through `from_raw` (one Montgomery multiplication): `PrimeField::from_u128`'s default doubles
/// bit by bit, which made it most of the witness layout's time.
pub fn fe(v: i128) -> Fr {
    let m = v.unsigned_abs();
    let x = Fr::from_raw([m as u64, (m >> 64) as u64, 0, 0]);
    if v < 0 {
        -x
    } else {
        x
    }
}

/// The signed integer a field element encodes (`r - |x|` for negatives); `None` beyond 127 bits
/// of magnitude, where the sign would be ambiguous.
pub fn to_i128(x: &Fr) -> Option<i128> {
    let bytes = fr_to_be_bytes(x);
    let neg = fr_to_be_bytes(&-*x);
    let small = |b: &[u8; 32]| b[..16].iter().all(|&z| z == 0) && b[16] < 0x80;
    if small(&bytes) {
        Some(u128::from_be_bytes(bytes[16..].try_into().unwrap()) as i128)
    } else if small(&neg) {
        Some(-(u128::from_be_bytes(neg[16..].try_into().unwrap()) as i128))
    } else {
        None
    }
}

/// Big-endian 32-byte encoding of a scalar.
pub fn fr_to_be_bytes(value: &Fr) -> [u8; 32] {
    let mut out = value.to_repr();
    out.as_mut().reverse();
    out
}

/// Parses a canonical big-endian scalar; `None` if it is `>= r`.
pub fn fr_from_be_bytes(bytes: &[u8; 32]) -> Option<Fr> {
    let mut repr = *bytes;
    repr.reverse();
    Option::from(Fr::from_repr(repr))
}

/// A field element as the `uint256` an ABI word carries.
pub fn to_word(x: &Fr) -> U256 {
    U256::from_be_bytes(fr_to_be_bytes(x))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_values_round_trip_and_big_ones_do_not_decode() {
        for v in [0i128, 1, -1, 127, -128, i128::MAX, -i128::MAX] {
            assert_eq!(to_i128(&fe(v)), Some(v));
            assert_eq!(to_word(&fe(v)).to_be_bytes::<32>(), fr_to_be_bytes(&fe(v)));
        }
        assert_eq!(to_i128(&(fe(i128::MAX) + fe(1))), None);
        // The fast path agrees with the field's own conversion on both limbs and signs.
        for v in [0i128, 7, -7, 1 << 64, -(1 << 64), (1 << 100) + 12345, i128::MIN + 1] {
            let slow = if v >= 0 { Fr::from_u128(v as u128) } else { -Fr::from_u128(v.unsigned_abs()) };
            assert_eq!(fe(v), slow, "{v}");
        }
        assert_eq!(fr_from_be_bytes(&U256::MAX.to_be_bytes::<32>()), None, "a word above r is not a field element");
    }
}
