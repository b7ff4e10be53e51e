//! `zkinfer prove`.

use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use super::salt_of;
use crate::artifacts::{write_json, PrivateOutputs};
use crate::cli::output::{emit, fmt_vec};
use crate::cli::progress::Step;
use crate::cli::{JsonFlag, Outcome};
use crate::encoding::Visibility;
use crate::error::ZkError;
use crate::model::input_file::read_inputs;
use crate::pipeline::{self, Build, Prover};

#[derive(Args, Debug)]
pub struct ProveArgs {
    build_dir: PathBuf,
    /// Input in EZKL's input.json layout.
    input: PathBuf,
    #[arg(short = 'o', long = "out", value_name = "PROOF.json")]
    out: PathBuf,
    #[command(flatten)]
    pub json: JsonFlag,
}

pub fn run(a: ProveArgs, json: bool) -> Result<Outcome, ZkError> {
    let build = Build::open(&a.build_dir)?;
    let inputs = read_inputs(&a.input)?;
    let prover = Prover::load(&build)?;
    let salt = salt_of(&inputs)?;
    let visibility = build.public().visibility;
    if visibility.any_salted() && inputs.salt == [0u8; 32] {
        eprintln!(
            "WARNING: {} has no \"salt\": the commitment hides the values only as well as they are \
             unguessable; add a random one (e.g. \"0x00\" + `openssl rand -hex 31`)",
            a.input.display()
        );
    }
    let fixed = build.scale().quantise(&inputs.values);
    let step = Step::start("proving");
    let proved = pipeline::prove(&build, &prover, &fixed, salt).map_err(|e| e.context(a.input.display()))?;
    let secs = step.finish();
    let file = &proved.file;
    write_json(&a.out, file)?;
    // Hashed outputs stay out of the proof file; the prover keeps them (and what opens the
    // commitment) in a file of its own.
    if let Some(private) = PrivateOutputs::of(build.public(), &proved.proof, &proved.outputs, salt) {
        let path = PrivateOutputs::path_for(&a.out);
        write_json(&path, &private)?;
        eprintln!("outputs are hashed: their values are in {} (keep it private)", path.display());
    }
    let proof_bytes = proved.proof.bytes.len();
    emit(
        json,
        json!({"ok": true, "proof_file": a.out, "prove_s": secs, "proof_bytes": proof_bytes,
               "num_instances": file.instances.len(), "outputs": file.outputs}),
        || {
            let outs = match visibility.output {
                Visibility::Public => file.outputs.iter().map(|o| fmt_vec(o)).collect::<Vec<_>>().join(" "),
                Visibility::Hashed => "committed (values in the .private.json file)".into(),
                Visibility::Private => "private".into(),
            };
            format!(
                "proof written to {} in {secs:.2}s ({proof_bytes} bytes, {} instances)\n  outputs {outs}",
                a.out.display(),
                file.instances.len(),
            )
        },
    );
    Ok(Outcome::Success)
}
