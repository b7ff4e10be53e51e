//! Turns revert data from the vault, the NFT, the consumer library or a generated verifier into
//! the custom error's name and arguments, so a keeper log says `InputMismatch(..)`, not hex. The
//! errors come from the same Solidity interfaces the contracts implement ([`super::abi`]).

use alloy::sol_types::{SolError, SolInterface};

use super::abi::IAIRiskVault::IAIRiskVaultErrors as Vault;
use super::abi::IZkinferAIGCNFT::IZkinferAIGCNFTErrors as Nft;
use super::abi::IZkinferConsumer::IZkinferConsumerErrors as Consumer;
use super::abi::IZkinferInstancesErrors::IZkinferInstancesErrorsErrors as Instances;
use super::abi::IZkinferVerifier::{self as V, IZkinferVerifierErrors as VerifierErrors};
use super::abi::OpenZeppelinErrors::OpenZeppelinErrorsErrors as OpenZeppelin;

/// The decoded custom error, e.g. `EpochAlreadyApplied(epoch 12, last applied 12)`.
pub fn describe(data: &[u8]) -> String {
    if let Ok(e) = Vault::abi_decode(data) {
        return match e {
            Vault::EpochAlreadyApplied(e) => {
                format!("EpochAlreadyApplied(epoch {}, last applied {})", e.epoch, e.lastAppliedEpoch)
            }
            Vault::InputMismatch(e) => format!("InputMismatch(expected {:#x}, got {:#x})", e.expected, e.actual),
            other => format!("{other:?}"),
        };
    }
    if let Ok(e) = Consumer::abi_decode(data) {
        return match e {
            Consumer::VerificationFailed(e) => format!("VerificationFailed({})", describe_verifier(&e.reason)),
            Consumer::InstanceCountMismatch(e) => {
                format!("InstanceCountMismatch(expected {}, got {})", e.expected, e.actual)
            }
            other => format!("{other:?}"),
        };
    }
    if let Ok(e) = Nft::abi_decode(data) {
        return format!("{e:?}");
    }
    if let Ok(e) = Instances::abi_decode(data) {
        return format!("{e:?}");
    }
    if let Ok(e) = OpenZeppelin::abi_decode(data) {
        return format!("{e:?}");
    }
    // Not one of ours: maybe the verifier's own error (a direct call), else raw hex.
    describe_verifier(data)
}

/// Names a generated verifier's custom error (`ProofRejected()`), or says the data is something else.
pub fn describe_verifier(data: &[u8]) -> String {
    let name = match VerifierErrors::abi_decode(data) {
        Ok(VerifierErrors::InvalidCalldata(_)) => V::InvalidCalldata::SIGNATURE,
        Ok(VerifierErrors::InvalidInstance(_)) => V::InvalidInstance::SIGNATURE,
        Ok(VerifierErrors::InvalidPoint(_)) => V::InvalidPoint::SIGNATURE,
        Ok(VerifierErrors::InvalidScalar(_)) => V::InvalidScalar::SIGNATURE,
        Ok(VerifierErrors::PrecompileFailed(_)) => V::PrecompileFailed::SIGNATURE,
        Ok(VerifierErrors::ProofRejected(_)) => V::ProofRejected::SIGNATURE,
        Err(_) if data.is_empty() => return "reverted without data (out of gas or a failed precompile)".into(),
        Err(_) => return format!("reverted with 0x{}", hex::encode(data)),
    };
    name.to_string()
}

/// The last applied epoch an `EpochAlreadyApplied` revert reports.
pub fn applied_epoch(data: &[u8]) -> Option<u64> {
    match Vault::abi_decode(data).ok()? {
        Vault::EpochAlreadyApplied(e) => u64::try_from(e.lastAppliedEpoch).ok(),
        _ => None,
    }
}

/// The error's name only (`InputMismatch`), for deciding what to do next.
pub fn name(data: &[u8]) -> Option<&'static str> {
    if let Ok(e) = Vault::abi_decode(data) {
        return Some(match e {
            Vault::EpochAlreadyApplied(_) => "EpochAlreadyApplied",
            Vault::InputMismatch(_) => "InputMismatch",
            _ => "other",
        });
    }
    if let Ok(e) = Consumer::abi_decode(data) {
        return Some(match e {
            Consumer::VerificationFailed(_) => "VerificationFailed",
            Consumer::InstanceCountMismatch(_) => "InstanceCountMismatch",
            _ => "other",
        });
    }
    if let Ok(e) = Nft::abi_decode(data) {
        return Some(match e {
            Nft::AigcDataAlreadyAdded(_) => "AigcDataAlreadyAdded",
            Nft::PromptAlreadyMinted(_) => "PromptAlreadyMinted",
            _ => "other",
        });
    }
    (Instances::abi_decode(data).is_ok() || OpenZeppelin::abi_decode(data).is_ok()).then_some("other")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evm::abi::{IAIRiskVault, IZkinferConsumer};
    use alloy::primitives::U256;

    #[test]
    fn names_vault_errors_and_unwraps_the_verifiers() {
        let e = IAIRiskVault::InputMismatch { expected: U256::from(5), actual: U256::from(6) }.abi_encode();
        assert_eq!(describe(&e), "InputMismatch(expected 0x5, got 0x6)");
        assert_eq!(name(&e), Some("InputMismatch"));
        // ProofRejected() wrapped by the consumer library.
        let inner = V::ProofRejected {}.abi_encode();
        assert_eq!(inner, alloy::primitives::keccak256("ProofRejected()")[..4].to_vec());
        let e = IZkinferConsumer::VerificationFailed { reason: inner.into() }.abi_encode();
        assert_eq!(describe(&e), "VerificationFailed(ProofRejected())");
        assert_eq!(name(&e), Some("VerificationFailed"));
        assert_eq!(describe(&[]), "reverted without data (out of gas or a failed precompile)");
        assert_eq!(name(&[1, 2, 3, 4]), None);
    }
}
