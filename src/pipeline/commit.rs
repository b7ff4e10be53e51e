//! Commit: recompute the Poseidon commitment a proof exposes for a hashed side, from the values.

use halo2_proofs::halo2curves::bn256::Fr;

use crate::artifacts::{check_tensors, Build};
use crate::encoding::commitment::{commit_params, commit_values};
use crate::encoding::{ParamVisibility, Side, Visibility};
use crate::error::ZkError;

/// The commitment a proof of `inputs` (fixed point, with `salt`) carries when inputs are hashed.
pub fn input_commitment(build: &Build, inputs: &[Vec<i128>], salt: Fr) -> Result<Fr, ZkError> {
    build.check_inputs(inputs)?;
    Ok(commit_values(inputs, salt, Side::Input))
}

/// An error unless `side` is hashed in this build.
pub fn require_hashed(build: &Build, side: Side) -> Result<(), ZkError> {
    let visibility = &build.public().visibility;
    let v = match side {
        Side::Params => {
            if visibility.params != ParamVisibility::Hashed {
                return Err(ZkError::input(
                    "this build's parameters are fixed (pinned by the verifying key), not hashed: \
                     compile with --param-visibility hashed",
                ));
            }
            return Ok(());
        }
        Side::Input => visibility.input,
        Side::Output => visibility.output,
    };
    if v != Visibility::Hashed {
        return Err(ZkError::input(format!(
            "this build's {side}s are {v:?}, not hashed: its proofs carry no {side} commitment \
             (compile with --{side}-visibility hashed)"
        )));
    }
    Ok(())
}

/// The commitment of one side of a build: `values` (fixed point) with `salt` for inputs and
/// outputs; the build's own weights for `Side::Params` (`values` unused). An error if that side is
/// not hashed in this build.
pub fn commitment(build: &Build, side: Side, values: &[Vec<i128>], salt: Fr) -> Result<Fr, ZkError> {
    require_hashed(build, side)?;
    match side {
        Side::Params => Ok(commit_params(&build.qgraph.param_values())),
        Side::Input | Side::Output => {
            let tensors =
                if side == Side::Input { build.qgraph.input_tensors() } else { build.qgraph.output_tensors() };
            check_tensors(side, &tensors, values)?;
            Ok(commit_values(values, salt, side))
        }
    }
}
