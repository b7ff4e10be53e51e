//! One module per command: its arguments (clap) and its run function.

pub mod bench;
pub mod commit;
pub mod compile;
pub mod eval;
pub mod evm;
pub mod ops;
pub mod prove;
pub mod setup;
pub mod srs;
pub mod verify;

use halo2_proofs::halo2curves::bn256::Fr;

use crate::error::ZkError;
use crate::model::input_file::ModelInputs;

/// An input file's commitment salt as a field element.
fn salt_of(inputs: &ModelInputs) -> Result<Fr, ZkError> {
    crate::encoding::field::fr_from_be_bytes(&inputs.salt)
        .ok_or_else(|| ZkError::input("the input file's salt is not below the BN254 scalar field modulus"))
}
