//! `zkinfer commit`: recompute a hashed side's commitment.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde_json::json;

use super::salt_of;
use crate::artifacts::{fr_hex, Build};
use crate::cli::output::emit;
use crate::cli::{JsonFlag, Outcome};
use crate::encoding::Side;
use crate::error::ZkError;
use crate::model::input_file::read_inputs;
use crate::pipeline::commit::{commitment, require_hashed};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SideArg {
    Input,
    Output,
    /// The model's weights and biases (from the build; VALUES is not needed).
    Params,
}

#[derive(Args, Debug)]
pub struct CommitArgs {
    build_dir: PathBuf,
    /// Values in input.json layout (not needed with --side params).
    values: Option<PathBuf>,
    /// Whether VALUES are the model's inputs or its outputs, or to commit to the build's weights.
    #[arg(long, value_enum, default_value = "input")]
    side: SideArg,
    #[command(flatten)]
    pub json: JsonFlag,
}

pub fn run(a: CommitArgs, json: bool) -> Result<Outcome, ZkError> {
    let build = Build::open(&a.build_dir)?;
    let side = match a.side {
        SideArg::Input => Side::Input,
        SideArg::Output => Side::Output,
        SideArg::Params => Side::Params,
    };
    let c = match (side, &a.values) {
        (Side::Params, _) => commitment(&build, side, &[], Default::default())?,
        (_, None) => {
            require_hashed(&build, side)?;
            return Err(ZkError::input(format!("the {side} commitment is recomputed from a VALUES file: pass one")));
        }
        (_, Some(path)) => {
            let file = read_inputs(path)?;
            commitment(&build, side, &build.scale().quantise(&file.values), salt_of(&file)?)?
        }
    };
    let hex = fr_hex(&c);
    let index = build.public().commitment(side).map(|b| b.offset);
    emit(json, json!({"ok": true, "side": side, "commitment": hex, "instance_index": index}), || {
        format!("{side} commitment {hex} (instance {})", index.unwrap_or_default())
    });
    Ok(Outcome::Success)
}
