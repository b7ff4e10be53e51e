//! Calldata for the generated verifiers, from one ABI declaration (alloy's `sol!`) shared by the
//! encoder, the in-process EVM checks and the tests.

use alloy::primitives::{Bytes, U256};
use alloy::sol_types::SolCall;

use crate::artifacts::{parse_hex0x, ProofFile};
// The Solidity interface file is the single declaration of the verifier ABI (see chain::bindings).
use crate::chain::bindings::IZkinferVerifier;
use crate::error::ZkError;

/// ABI-encoded `verifyProof(proof, instances)` call, selector included.
pub fn encode_verify_call(proof: &[u8], instances: &[[u8; 32]]) -> Vec<u8> {
    IZkinferVerifier::verifyProofCall {
        proof: Bytes::copy_from_slice(proof),
        instances: instances.iter().map(|w| U256::from_be_bytes(*w)).collect(),
    }
    .abi_encode()
}

/// Proof bytes and instance words of a proof file, checked for shape (not validity).
pub fn proof_parts(file: &ProofFile) -> Result<(Vec<u8>, Vec<[u8; 32]>), ZkError> {
    let proof = parse_hex0x(&file.proof).ok_or_else(|| ZkError::input("proof is not 0x-prefixed hex"))?;
    let instances = file
        .instances
        .iter()
        .enumerate()
        .map(|(i, s)| {
            parse_hex0x(s)
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .ok_or_else(|| ZkError::input(format!("instance {i} is not a 0x-prefixed 32-byte word")))
        })
        .collect::<Result<_, _>>()?;
    Ok((proof, instances))
}

/// Calldata for a proof file.
pub fn calldata_for(file: &ProofFile) -> Result<Vec<u8>, ZkError> {
    let (proof, instances) = proof_parts(file)?;
    Ok(encode_verify_call(&proof, &instances))
}

/// Decodes the verifier's return data (`bool`).
pub fn decode_verify_return(data: &[u8]) -> Option<bool> {
    IZkinferVerifier::verifyProofCall::abi_decode_returns(data).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_what_the_verifier_expects() {
        let proof = vec![7u8; 96];
        let instances = [[1u8; 32], [2u8; 32]];
        let data = encode_verify_call(&proof, &instances);
        assert_eq!(&data[..4], &alloy::primitives::keccak256("verifyProof(bytes,uint256[])")[..4]);
        let word = |i: usize| U256::from_be_slice(&data[4 + 32 * i..4 + 32 * i + 32]);
        assert_eq!(word(0), U256::from(0x40));
        assert_eq!(word(1), U256::from(0x60 + 96));
        assert_eq!(word(2), U256::from(96));
        assert_eq!(&data[0x64..0x64 + 96], &proof[..]);
        assert_eq!(word((0x60 + 96) / 32), U256::from(2));
        assert_eq!(data.len(), 0x84 + 96 + 64);
        assert_eq!(decode_verify_return(&U256::from(1).to_be_bytes::<32>()), Some(true));
    }
}
