//! `zkinfer solidity`, `verify-evm` and `calldata`: the verifier contract and its calldata.

use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use crate::artifacts::{read_json, Build, ProofFile};
use crate::cli::output::emit;
use crate::cli::progress::Step;
use crate::cli::{JsonFlag, Outcome};
use crate::error::ZkError;
use crate::evm::calldata::{encode_verify_call, encode_verify_words};
use crate::pipeline::{self, verifier_contract};

#[derive(Args, Debug)]
pub struct SolidityArgs {
    build_dir: PathBuf,
    #[arg(short = 'o', long = "out", value_name = "Verifier.sol")]
    out: PathBuf,
    /// Put the verifying key in its own contract (written here). Chosen automatically, next to
    /// the verifier as VerifyingKey.sol, when one contract would exceed 24,576 bytes (EIP-170).
    /// Deploy it first and pass its address to the verifier's constructor, which checks its codehash.
    #[arg(long, value_name = "VK.sol")]
    separate_vk: Option<PathBuf>,
    #[command(flatten)]
    pub json: JsonFlag,
}

#[derive(Args, Debug)]
pub struct VerifyEvmArgs {
    build_dir: PathBuf,
    proof: PathBuf,
    #[command(flatten)]
    pub json: JsonFlag,
}

#[derive(Args, Debug)]
pub struct CalldataArgs {
    proof: PathBuf,
    /// Write raw bytes to FILE instead of 0x-hex to stdout.
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    out: Option<PathBuf>,
    #[command(flatten)]
    pub json: JsonFlag,
}

pub fn solidity(a: SolidityArgs, json: bool) -> Result<Outcome, ZkError> {
    let build = Build::open(&a.build_dir)?;
    let step = Step::start("generating and compiling the verifier");
    let v = pipeline::build_verifier(&build, a.separate_vk.is_some())?;
    step.finish();
    std::fs::write(&a.out, &v.source).map_err(|e| ZkError::io(&a.out, e))?;
    let vk_path =
        v.vk.as_ref().map(|_| a.separate_vk.clone().unwrap_or_else(|| a.out.with_file_name("VerifyingKey.sol")));
    if let (Some((vk_source, _)), Some(path)) = (&v.vk, &vk_path) {
        std::fs::write(path, vk_source).map_err(|e| ZkError::io(path, e))?;
    }
    if let Some(reason) = &v.split_reason {
        eprintln!("note: {reason}");
    }
    if build.setup_info()?.insecure_srs() {
        eprintln!(
            "WARNING: these keys come from the INSECURE development SRS: anyone can forge proofs this verifier \
             accepts (it says so: DEV_SRS() returns true). For a real chain, set up with --srs FILE."
        );
    }
    emit(
        json,
        json!({"ok": true, "verifier": a.out, "verifying_key": vk_path, "runtime_bytes": v.runtime_code.len(),
               "separate_vk": v.vk.is_some(), "split_reason": v.split_reason}),
        || {
            match &vk_path {
            None => format!("wrote {} (runtime {} bytes)", a.out.display(), v.runtime_code.len()),
            Some(p) => format!(
                "wrote {} (runtime {} bytes) and {}: deploy the verifying key first, then the verifier with its address",
                a.out.display(),
                v.runtime_code.len(),
                p.display()
            ),
        }
        },
    );
    Ok(Outcome::Success)
}

pub fn verify_evm(a: VerifyEvmArgs, json: bool) -> Result<Outcome, ZkError> {
    let build = Build::open(&a.build_dir)?;
    let file: ProofFile = read_json(&a.proof).map_err(|e| ZkError::input(format!("malformed proof file: {e}")))?;
    let (proof, words) = file.words()?;
    let step = Step::start("compiling the verifier");
    let verifier = verifier_contract::compile_verifier(&build)?;
    step.finish();
    let r = verifier_contract::verify_evm_calldata(&verifier, encode_verify_words(&proof, &words), proof.len())?;
    let valid = r.valid;
    emit(
        json,
        json!({"ok": valid, "valid": valid, "gas_used": r.gas_used, "calldata_bytes": r.calldata_bytes,
            "runtime_bytes": r.runtime_bytes, "proof_bytes": r.proof_bytes, "deploy_gas": r.deploy_gas,
            "error": r.error}),
        || {
            if valid {
                format!(
                    "EVM verifier accepted the proof: {} gas (verify tx, Osaka), calldata {} bytes, runtime {} bytes, deploy {} gas",
                    r.gas_used, r.calldata_bytes, r.runtime_bytes, r.deploy_gas
                )
            } else {
                format!("EVM verifier rejected the proof: {}", r.error.clone().unwrap_or_default())
            }
        },
    );
    Ok(if valid { Outcome::Success } else { Outcome::Rejected })
}

pub fn calldata(a: CalldataArgs, json: bool) -> Result<Outcome, ZkError> {
    let file: ProofFile = read_json(&a.proof)?;
    let data = encode_verify_call(&file.parse()?);
    match &a.out {
        Some(path) => std::fs::write(path, &data).map_err(|e| ZkError::io(path, e))?,
        None if !json => println!("0x{}", hex::encode(&data)),
        None => {}
    }
    if json {
        println!(
            "{}",
            json!({"ok": true, "calldata_bytes": data.len(), "calldata": format!("0x{}", hex::encode(&data))})
        );
    }
    Ok(Outcome::Success)
}
