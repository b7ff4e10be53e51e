//! `zkinfer verify`.

use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use super::salt_of;
use crate::artifacts::{fr_hex, read_json, Build, ProofFile};
use crate::cli::output::{emit, fmt_vec};
use crate::cli::progress::Step;
use crate::cli::{JsonFlag, Outcome};
use crate::error::ZkError;
use crate::model::input_file::read_inputs;
use crate::pipeline::{self, ModelCheck, Verified};

#[derive(Args, Debug)]
pub struct VerifyArgs {
    build_dir: PathBuf,
    proof: PathBuf,
    /// Require the proof to be about exactly these (public) inputs.
    #[arg(long, value_name = "INPUT.json")]
    input: Option<PathBuf>,
    /// With hashed parameters: accept a proof of any model of this build's architecture (one
    /// verifier serves the family) instead of only this build's model; the weight commitment
    /// printed says which model it was.
    #[arg(long)]
    any_model: bool,
    #[command(flatten)]
    pub json: JsonFlag,
}

/// What `--json` prints of a verified proof (values as reals, commitments as hex).
fn result_json(v: &Verified) -> serde_json::Value {
    json!({
        "valid": true,
        "num_instances": v.num_instances,
        "proof_bytes": v.proof_bytes,
        "inputs": v.scale.dequantise(&v.inputs),
        "outputs": v.scale.dequantise(&v.outputs),
        "inputs_fixed": v.inputs,
        "outputs_fixed": v.outputs,
        "input_commitment": v.input_commitment.map(|c| fr_hex(&c)),
        "output_commitment": v.output_commitment.map(|c| fr_hex(&c)),
        "param_commitment": v.param_commitment.map(|c| fr_hex(&c)),
        "insecure_srs": v.insecure_srs,
    })
}

pub fn run(a: VerifyArgs, json: bool) -> Result<Outcome, ZkError> {
    let build = Build::open(&a.build_dir)?;
    let file: ProofFile = read_json(&a.proof).map_err(|e| ZkError::input(format!("malformed proof file: {e}")))?;
    let params = build.params()?;
    let vk = build.vk()?;
    let step = Step::start("verifying");
    let model = if a.any_model { ModelCheck::AnyOfFamily } else { ModelCheck::ThisModel };
    let result = pipeline::verify_with(&build, &file, &params, &vk, model)?;
    if let Some(path) = &a.input {
        let inputs = read_inputs(path)?;
        pipeline::check_public_inputs(&build, &file, &build.scale().quantise(&inputs.values), salt_of(&inputs)?)?;
    }
    let secs = step.finish();
    if result.insecure_srs {
        eprintln!("WARNING: these keys come from the INSECURE development SRS: anyone can forge proofs for them");
    }
    emit(json, json!({"ok": true, "valid": true, "verify_s": secs, "result": result_json(&result)}), || {
        let mut s = format!("proof is valid ({} instances, verified in {:.3}s)", result.num_instances, secs);
        for (name, v) in build.settings.input_names.iter().zip(result.scale.dequantise(&result.inputs)) {
            s += &format!("\n  input  '{name}' {}", fmt_vec(&v));
        }
        if let Some(c) = &result.input_commitment {
            s += &format!("\n  input commitment  {}", fr_hex(c));
        }
        if a.input.is_some() {
            s += "\n  public inputs match the given input file";
        }
        if let Some(c) = &result.output_commitment {
            s += &format!("\n  output commitment {}", fr_hex(c));
        }
        if let Some(c) = &result.param_commitment {
            s += &format!("\n  weight commitment {}", fr_hex(c));
        }
        for (name, v) in build.settings.output_names.iter().zip(result.scale.dequantise(&result.outputs)) {
            s += &format!("\n  output '{name}' {}", fmt_vec(&v));
        }
        s
    });
    Ok(Outcome::Success)
}
