//! Turns revert data from the vault, the NFT, the consumer library or a generated verifier into
//! the custom error's name and arguments, so a keeper log says `InputMismatch(..)`, not hex.

use alloy::sol_types::SolInterface;

use super::bindings::ZkinferRevertReasons::ZkinferRevertReasonsErrors as Reasons;

/// The decoded custom error, e.g. `EpochAlreadyApplied(epoch: 12, lastAppliedEpoch: 12)`.
pub fn describe(data: &[u8]) -> String {
    match Reasons::abi_decode(data) {
        Ok(Reasons::VerificationFailed(e)) => {
            format!("VerificationFailed({})", crate::evm::solidity::describe_revert(&e.reason))
        }
        Ok(Reasons::EpochAlreadyApplied(e)) => {
            format!("EpochAlreadyApplied(epoch {}, last applied {})", e.epoch, e.lastAppliedEpoch)
        }
        Ok(Reasons::InputMismatch(e)) => {
            format!("InputMismatch(expected {:#x}, got {:#x})", e.expected, e.actual)
        }
        Ok(Reasons::InstanceCountMismatch(e)) => {
            format!("InstanceCountMismatch(expected {}, got {})", e.expected, e.actual)
        }
        Ok(other) => format!("{other:?}"),
        // Not one of ours: maybe the verifier's own error (a direct call), else raw hex.
        Err(_) => crate::evm::solidity::describe_revert(data),
    }
}

/// The last applied epoch an `EpochAlreadyApplied` revert reports.
pub fn applied_epoch(data: &[u8]) -> Option<u64> {
    match Reasons::abi_decode(data).ok()? {
        Reasons::EpochAlreadyApplied(e) => u64::try_from(e.lastAppliedEpoch).ok(),
        _ => None,
    }
}

/// The error's name only (`InputMismatch`), for deciding what to do next.
pub fn name(data: &[u8]) -> Option<&'static str> {
    Some(match Reasons::abi_decode(data).ok()? {
        Reasons::EpochAlreadyApplied(_) => "EpochAlreadyApplied",
        Reasons::InputMismatch(_) => "InputMismatch",
        Reasons::VerificationFailed(_) => "VerificationFailed",
        Reasons::InstanceCountMismatch(_) => "InstanceCountMismatch",
        Reasons::AigcDataAlreadyAdded(_) => "AigcDataAlreadyAdded",
        Reasons::PromptAlreadyMinted(_) => "PromptAlreadyMinted",
        _ => "other",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::bindings::ZkinferRevertReasons;
    use alloy::primitives::U256;
    use alloy::sol_types::SolError;

    #[test]
    fn names_vault_errors_and_unwraps_the_verifiers() {
        let e = ZkinferRevertReasons::InputMismatch { expected: U256::from(5), actual: U256::from(6) }.abi_encode();
        assert_eq!(describe(&e), "InputMismatch(expected 0x5, got 0x6)");
        assert_eq!(name(&e), Some("InputMismatch"));
        // ProofRejected() wrapped by the consumer library.
        let inner = alloy::primitives::keccak256("ProofRejected()")[..4].to_vec();
        let e = ZkinferRevertReasons::VerificationFailed { reason: inner.into() }.abi_encode();
        assert_eq!(describe(&e), "VerificationFailed(ProofRejected())");
        assert_eq!(describe(&[]), "reverted without data (out of gas or a failed precompile)");
    }
}
