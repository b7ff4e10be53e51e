//! Calldata for the generated verifiers, from one ABI declaration (alloy's `sol!` over
//! `contracts/IZkinferVerifier.sol`) shared by the encoder, the in-process EVM checks and the tests.

use alloy::primitives::Bytes;
use alloy::sol_types::SolCall;

use super::abi::IZkinferVerifier;
use crate::encoding::field::to_word;
use crate::proof::Proof;

/// ABI-encoded `verifyProof(proof, instances)` call, selector included.
pub fn encode_verify_call(proof: &Proof) -> Vec<u8> {
    IZkinferVerifier::verifyProofCall {
        proof: Bytes::copy_from_slice(&proof.bytes),
        instances: proof.instances.iter().map(to_word).collect(),
    }
    .abi_encode()
}

/// The same call with raw instance words, which need not be field elements: what tests of the
/// verifier's input checks send.
pub fn encode_verify_words(proof: &[u8], instances: &[[u8; 32]]) -> Vec<u8> {
    IZkinferVerifier::verifyProofCall {
        proof: Bytes::copy_from_slice(proof),
        instances: instances.iter().map(|w| alloy::primitives::U256::from_be_bytes(*w)).collect(),
    }
    .abi_encode()
}

/// Decodes the verifier's return data (`bool`).
pub fn decode_verify_return(data: &[u8]) -> Option<bool> {
    IZkinferVerifier::verifyProofCall::abi_decode_returns(data).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::U256;
    use halo2_proofs::halo2curves::bn256::Fr;

    #[test]
    fn layout_matches_what_the_verifier_expects() {
        let proof = Proof { bytes: vec![7u8; 96], instances: vec![Fr::from(1), Fr::from(2)] };
        let data = encode_verify_call(&proof);
        assert_eq!(&data[..4], &alloy::primitives::keccak256("verifyProof(bytes,uint256[])")[..4]);
        let word = |i: usize| U256::from_be_slice(&data[4 + 32 * i..4 + 32 * i + 32]);
        assert_eq!(word(0), U256::from(0x40));
        assert_eq!(word(1), U256::from(0x60 + 96));
        assert_eq!(word(2), U256::from(96));
        assert_eq!(&data[0x64..0x64 + 96], &proof.bytes[..]);
        assert_eq!(word((0x60 + 96) / 32), U256::from(2));
        assert_eq!(word((0x60 + 96) / 32 + 2), U256::from(2));
        assert_eq!(data.len(), 0x84 + 96 + 64);
        assert_eq!(decode_verify_return(&U256::from(1).to_be_bytes::<32>()), Some(true));
    }
}
