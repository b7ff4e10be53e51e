//! The `zkinfer` command line: argument parsing, human and `--json` output, exit codes.

pub mod chain;
pub mod progress;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use serde_json::json;

use crate::artifacts::{read_json, write_json, ProofFile, Visibility};
use crate::error::ZkError;
use crate::model::input_file::read_inputs;
use crate::pipeline::{self, Build, CompileRequest, Prover, SrsSource};
use crate::quantise::calibrate::CalibrationOptions;
use progress::{peak_rss_mb, Step};

#[derive(Parser, Debug)]
#[command(
    name = "zkinfer",
    version,
    about = "Prove ONNX model inferences with halo2 (KZG/BN254) and verify them on Ethereum",
    long_about = "Prove that an ONNX model produced an output on an input, with a halo2 proof that \
                  a Rust or Solidity verifier checks.\n\n\
                  Typical flow:\n  \
                  zkinfer compile model.onnx --calibrate input.json -o build/\n  \
                  zkinfer setup build/ --dev-srs\n  \
                  zkinfer prove build/ input.json -o proof.json\n  \
                  zkinfer verify build/ proof.json\n\n\
                  Exit codes: 0 success, 1 proof rejected, 2 bad input or usage, 3 internal failure."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone, Copy)]
pub struct JsonFlag {
    /// Print a machine-readable JSON summary on stdout instead of text.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Import an ONNX model, calibrate fixed-point scales on sample inputs and lay out the circuit.
    ///
    /// Writes BUILD_DIR/settings.json (scales, k, visibility, float-vs-quantised error) and
    /// BUILD_DIR/model.json (the quantised model). Weights become circuit constants, so the
    /// verifying key made by `setup` pins this exact model.
    Compile {
        /// The ONNX model.
        model: PathBuf,
        /// Sample input(s) in EZKL's input.json layout; repeat the flag to calibrate on several.
        #[arg(long = "calibrate", required = true, value_name = "INPUT.json")]
        calibrate: Vec<PathBuf>,
        /// Whether the model inputs are public instances (seen by the verifier), private witness, or
        /// hashed: private, with one public Poseidon commitment to them and the input file's salt.
        #[arg(long, value_enum, default_value = "public")]
        input_visibility: Visibility,
        /// `fixed`: weights are circuit constants, pinned by the verifying key (a new verifier per
        /// model). `hashed`: weights are private witness bound by a public Poseidon commitment,
        /// printed here; one verifier serves every model of the same architecture, and a consumer
        /// pins the commitment of the model it trusts. Costs about 320 rows per weight.
        #[arg(long, value_enum, default_value = "fixed")]
        param_visibility: ParamVisibility,
        /// Whether the model outputs are public instances, private witness, or hashed (committed).
        #[arg(long, value_enum, default_value = "public")]
        output_visibility: Visibility,
        /// Fractional bits of the fixed-point encoding (default: chosen by calibration).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=16))]
        scale: Option<u32>,
        /// Activation range in bits (default: sized from the calibration data with --headroom).
        #[arg(long, value_parser = clap::value_parser!(u32).range(4..=20))]
        range_bits: Option<u32>,
        /// Compile to the same circuit as an existing build (its scale, lanes and range): with
        /// --param-visibility hashed, a model of the same architecture then shares its verifier.
        /// Fails unless the circuits come out identical.
        #[arg(long, value_name = "BUILD_DIR", conflicts_with_all = ["scale", "lanes", "range_bits"])]
        like: Option<PathBuf>,
        /// Lanes of the arithmetic gate, i.e. multiply-accumulates per row (default: chosen).
        #[arg(long, value_parser = clap::value_parser!(u64).range(2..=32))]
        lanes: Option<u64>,
        /// What to favour when choosing lanes: proving time, verifier gas, or a balance (default).
        /// Ignored with --lanes.
        #[arg(long, value_enum, default_value = "balanced")]
        optimize: crate::quantise::calibrate::Optimize,
        /// One public instance per value instead of several values packed per field element
        /// (packing: `W = sum_i (v_i + 2^(b-1)) 2^(b i)`, see settings.json `instances`).
        #[arg(long)]
        no_pack: bool,
        /// Activation range as a multiple of the largest calibrated magnitude.
        #[arg(long, default_value_t = 2.0)]
        headroom: f64,
        /// Output build directory.
        #[arg(short = 'o', long = "out", value_name = "BUILD_DIR")]
        out: PathBuf,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Generate the proving and verifying keys for a compiled model.
    Setup {
        build_dir: PathBuf,
        /// A KZG params file (a Powers-of-Tau converted to halo2's format), at least as large as k.
        #[arg(long, conflicts_with = "dev_srs", value_name = "FILE")]
        srs: Option<PathBuf>,
        /// Use zkinfer's INSECURE development SRS (made locally and cached): for testing only.
        #[arg(long)]
        dev_srs: bool,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Run the model on an input inside the circuit and prove it.
    Prove {
        build_dir: PathBuf,
        /// Input in EZKL's input.json layout.
        input: PathBuf,
        #[arg(short = 'o', long = "out", value_name = "PROOF.json")]
        out: PathBuf,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Verify a proof file. Exit 0 valid, 1 rejected, 2 usage or input error.
    ///
    /// Prints the public inputs and outputs as the proof binds them. With --input, also requires
    /// the proof's public inputs to be exactly that input file (quantised as the circuit does).
    Verify {
        build_dir: PathBuf,
        proof: PathBuf,
        /// Require the proof to be about exactly these (public) inputs.
        #[arg(long, value_name = "INPUT.json")]
        input: Option<PathBuf>,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Measure keygen, proving and verification on one input (`--json` for the full JSON summary).
    Bench {
        build_dir: PathBuf,
        input: PathBuf,
        /// Proving runs (the median is reported).
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Also write the JSON summary to this file.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Use a KZG params file instead of the development SRS.
        #[arg(long, value_name = "FILE")]
        srs: Option<PathBuf>,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Generate the Solidity verifier contract for a set-up build.
    ///
    /// The contract has `verifyProof(bytes proof, uint256[] instances) returns (bool)`: true for a
    /// valid proof, a revert (with a custom error) for anything else.
    Solidity {
        build_dir: PathBuf,
        #[arg(short = 'o', long = "out", value_name = "Verifier.sol")]
        out: PathBuf,
        /// Put the verifying key in its own contract (written here). Chosen automatically, next to
        /// the verifier as VerifyingKey.sol, when one contract would exceed 24,576 bytes (EIP-170).
        /// Deploy it first and pass its address to the verifier's constructor, which checks its codehash.
        #[arg(long, value_name = "VK.sol")]
        separate_vk: Option<PathBuf>,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Compile the generated verifier, deploy it in an in-process EVM (Osaka rules) and verify a proof.
    ///
    /// Prints the verify transaction's gas (21,000 + calldata + execution, as a receipt shows it)
    /// and the verifier's runtime size. Exit 0 valid, 1 rejected.
    VerifyEvm {
        build_dir: PathBuf,
        proof: PathBuf,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// ABI-encode `verifyProof(proof, instances)` calldata (selector included) for a proof file.
    Calldata {
        proof: PathBuf,
        /// Write raw bytes to FILE instead of 0x-hex to stdout.
        #[arg(short = 'o', long = "out", value_name = "FILE")]
        out: Option<PathBuf>,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Keep an AIRiskVault's risk parameters current: each epoch, prove the risk model on the
    /// vault's own state and submit `updateRiskParameters`, exactly once.
    ///
    /// Before the first epoch it checks the key, the RPC, that the vault's verifier verifies this
    /// build's circuit, and that the account has ETH; any failure there exits 2 at once. Then it
    /// survives RPC errors (retries with backoff), journals every transaction before sending it
    /// (--state) so a restart never sends a second one, and stops cleanly on Ctrl-C or SIGTERM.
    /// Logs go to stderr; with --json, one JSON object per event goes to stdout.
    ///
    /// Example: zkinfer keeper --rpc http://127.0.0.1:8545 --vault 0x... --build build/vault --key-file keeper.key
    Keeper {
        #[command(flatten)]
        args: chain::KeeperArgs,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Deploy a build's generated verifier (and its verifying-key contract when separate) to a chain.
    ///
    /// Compiles the verifier with the project's solc, sends the creation transaction(s), then
    /// asks the deployed contract for its VK digest and fails unless it is the build's.
    Deploy {
        #[command(flatten)]
        args: chain::DeployArgs,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Generate an image for a prompt with a ZkinferAIGCNFT's model, prove it, mint the prompt's
    /// token (commit, then reveal) if it does not exist, and attach the content with `addAigcData`.
    MintAigc {
        #[command(flatten)]
        args: chain::MintArgs,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Recompute the Poseidon commitment a proof exposes for hashed inputs (or outputs), from the
    /// values themselves: what a consumer pins, or checks a proof against.
    ///
    /// VALUES uses the input.json layout (`input_data`, and the optional `salt` the prover used).
    /// The commitment is Poseidon(values in fixed point, flattened in order, then the salt); see
    /// the README's "Privacy modes".
    Commit {
        build_dir: PathBuf,
        /// Values in input.json layout (not needed with --side params).
        values: Option<PathBuf>,
        /// Whether VALUES are the model's inputs or its outputs, or to commit to the build's weights.
        #[arg(long, value_enum, default_value = "input")]
        side: Side,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Make an SRS file.
    Srs {
        /// Make the INSECURE development SRS (its secret comes from a public seed).
        #[arg(long, required = true)]
        dev: bool,
        /// log2 of the number of points.
        #[arg(short, value_parser = clap::value_parser!(u32).range(1..=26))]
        k: u32,
        #[arg(short = 'o', long = "out", value_name = "FILE")]
        out: PathBuf,
        #[command(flatten)]
        json: JsonFlag,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Side {
    Input,
    Output,
    /// The model's weights and biases (from the build; VALUES is not needed).
    Params,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ParamVisibility {
    Fixed,
    Hashed,
}

impl Command {
    pub fn json(&self) -> bool {
        match self {
            Command::Compile { json, .. }
            | Command::Setup { json, .. }
            | Command::Prove { json, .. }
            | Command::Verify { json, .. }
            | Command::Bench { json, .. }
            | Command::Solidity { json, .. }
            | Command::VerifyEvm { json, .. }
            | Command::Calldata { json, .. }
            | Command::Srs { json, .. }
            | Command::Keeper { json, .. }
            | Command::Deploy { json, .. }
            | Command::MintAigc { json, .. }
            | Command::Commit { json, .. } => json.json,
        }
    }
}

fn emit(json: bool, value: serde_json::Value, text: impl FnOnce() -> String) {
    if json {
        println!("{}", serde_json::to_string_pretty(&value).unwrap());
    } else {
        println!("{}", text());
    }
}

/// "8 input values, 2 output values, packed 28 per field element" and the like.
fn describe_instances(settings: &crate::artifacts::Settings) -> String {
    let count = |kind: &str| settings.instances.iter().filter(|b| b.kind == kind).map(|b| b.values).sum::<usize>();
    let side = |kind: &str, visibility: Visibility| match visibility {
        Visibility::Public => format!("{} {kind} values", count(kind)),
        Visibility::Hashed => format!("a Poseidon commitment to the {kind}s"),
        Visibility::Private => format!("{kind}s private"),
    };
    let any_values = settings.instances.iter().any(|b| b.commitment.is_none());
    let packing = match settings.layout.packing {
        _ if !any_values => "one field element each".into(),
        Some(p) => format!("packed up to {} per field element, {} bits each", p.per_word, p.bits),
        None => "one per field element".into(),
    };
    format!("{}, {}; {packing}", side("input", settings.visibility.input), side("output", settings.visibility.output))
}

/// An input file's commitment salt as a field element.
fn salt_of(inputs: &crate::model::input_file::ModelInputs) -> Result<halo2_proofs::halo2curves::bn256::Fr, ZkError> {
    crate::proof::transcript::fr_from_be_bytes(&inputs.salt)
        .ok_or_else(|| ZkError::input("the input file's salt is not below the BN254 scalar field modulus"))
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

fn fmt_vec(v: &[f64]) -> String {
    let parts: Vec<String> = v.iter().take(8).map(|x| format!("{x:.4}")).collect();
    let more = if v.len() > 8 { format!(", ... ({} values)", v.len()) } else { String::new() };
    format!("[{}{more}]", parts.join(", "))
}

pub fn run(cli: Cli) -> Result<(), ZkError> {
    let json = cli.command.json();
    match cli.command {
        Command::Compile {
            model,
            calibrate,
            input_visibility,
            param_visibility,
            range_bits,
            like,
            output_visibility,
            scale,
            lanes,
            optimize,
            no_pack,
            headroom,
            out,
            ..
        } => {
            if !(headroom.is_finite() && headroom >= 1.0) {
                return Err(ZkError::input("--headroom must be a number >= 1"));
            }
            // --like: the reference build's scale, lanes and range, so a model of the same
            // architecture compiles to the same circuit (and, set up on the same SRS, the same
            // verifying key).
            let reference = like.as_ref().map(|dir| Build::open(dir)).transpose()?;
            let (scale, lanes, range_bits) = match &reference {
                Some(r) => {
                    (Some(r.settings.scale), Some(r.settings.layout.lanes), Some(r.settings.layout.table.range_bits))
                }
                None => (scale, lanes.map(|l| l as usize), range_bits),
            };
            let options = CalibrationOptions {
                scale,
                lanes,
                range_bits,
                headroom,
                public_inputs: input_visibility == Visibility::Public,
                public_outputs: output_visibility == Visibility::Public,
                hashed_inputs: input_visibility == Visibility::Hashed,
                hashed_outputs: output_visibility == Visibility::Hashed,
                hashed_params: param_visibility == ParamVisibility::Hashed,
                pack_instances: !no_pack,
                optimize,
            };
            let step = Step::start("compiling");
            let settings =
                pipeline::compile(&CompileRequest { model: &model, calibration: &calibrate, options, out_dir: &out })?;
            let secs = step.finish();
            if let Some(r) = &reference {
                let same = r.settings.k == settings.k
                    && r.settings.layout == settings.layout
                    && r.settings.rows == settings.rows
                    && r.settings.num_instances == settings.num_instances;
                if !same {
                    return Err(ZkError::input(format!(
                        "{} does not compile to the same circuit as {} (k {} vs {}, rows {:?} vs {:?}): \
                         not the same architecture, or other visibility options",
                        model.display(),
                        like.as_ref().unwrap().display(),
                        settings.k,
                        r.settings.k,
                        settings.rows,
                        r.settings.rows
                    )));
                }
            }
            emit(json, json!({"ok": true, "build_dir": out, "compile_s": secs, "settings": settings}), || {
                let mut s = format!(
                    "compiled {} -> {}\n  k={} (arithmetic rows {}, lookup rows {}, table rows {}), lanes {}, scale 2^-{}, range {} bits\n  public instances: {} ({}), {}",
                    model.display(),
                    out.display(),
                    settings.k,
                    settings.rows.arithmetic,
                    settings.rows.lookup,
                    settings.rows.table,
                    settings.layout.lanes,
                    settings.scale,
                    settings.layout.table.range_bits,
                    settings.num_instances,
                    describe_instances(&settings),
                    match &settings.param_commitment {
                        Some(c) => format!(
                            "parameters hashed ({} weights and biases, private)\n  weight commitment {c} (pin this to name the model)",
                            settings.instances.iter().find(|b| b.kind == "params").map(|b| b.values).unwrap_or(0)
                        ),
                        None => "parameters fixed (pinned by the verifying key)".into(),
                    },
                );
                for o in &settings.calibration.outputs {
                    s += &format!(
                        "\n  output '{}': max |float - quantised| = {:.5} (mean {:.5}, output magnitude up to {:.4})\n    float     {}\n    quantised {}",
                        o.name,
                        o.max_abs_error,
                        o.mean_abs_error,
                        o.max_abs_value,
                        fmt_vec(&o.float_sample),
                        fmt_vec(&o.quantised_sample)
                    );
                }
                s
            });
        }
        Command::Setup { build_dir, srs, dev_srs, .. } => {
            let source =
                match (srs, dev_srs) {
                    (Some(p), _) => SrsSource::File(p),
                    (None, true) => SrsSource::Dev,
                    (None, false) => return Err(ZkError::input(
                        "setup needs an SRS: pass --srs FILE (a KZG params file) or --dev-srs (insecure, for testing)",
                    )),
                };
            let build = Build::open(&build_dir)?;
            let step = Step::start("generating keys");
            let info = pipeline::setup(&build, &source)?;
            let secs = step.finish();
            emit(json, json!({"ok": true, "setup_s": secs, "k": build.settings.k, "setup": info}), || {
                let warn = if info.srs == "dev-insecure" {
                    "\n  WARNING: the development SRS is insecure (public secret): never use these keys in production"
                } else {
                    ""
                };
                format!(
                    "keys written to {} in {secs:.2}s (k={}, pk {:.1} MiB, vk {} bytes, SRS {})\n  vk digest {}{warn}",
                    build_dir.display(),
                    build.settings.k,
                    info.pk_bytes as f64 / 1048576.0,
                    info.vk_bytes,
                    info.srs,
                    info.vk_digest
                )
            });
        }
        Command::Prove { build_dir, input, out, .. } => {
            let build = Build::open(&build_dir)?;
            let inputs = read_inputs(&input)?;
            let prover = Prover::load(&build)?;
            let salt = salt_of(&inputs)?;
            let hashed =
                [build.settings.visibility.input, build.settings.visibility.output].contains(&Visibility::Hashed);
            if hashed && inputs.salt == [0u8; 32] {
                eprintln!(
                    "WARNING: {} has no \"salt\": the commitment hides the values only as well as they are \
                     unguessable; add a random one (e.g. \"0x00\" + `openssl rand -hex 31`)",
                    input.display()
                );
            }
            let step = Step::start("proving");
            let (file, outputs) =
                pipeline::prove_with(&build, &prover, &inputs.values, salt).map_err(|e| e.context(input.display()))?;
            let secs = step.finish();
            write_json(&out, &file)?;
            // Hashed outputs stay out of the proof file; the prover keeps them (and what opens the
            // commitment) in a file of its own.
            if build.settings.visibility.output == Visibility::Hashed {
                let private = out.with_extension("private.json");
                let unit = (1u64 << build.settings.scale) as f64;
                let block = build.settings.instances.iter().find(|b| b.kind == "output").map(|b| b.offset).unwrap_or(0);
                write_json(
                    &private,
                    &json!({
                        "note": "PRIVATE: the outputs behind the proof's output commitment; do not publish",
                        "output_commitment": file.instances.get(block),
                        // What opens the output commitment without revealing the input side's salt.
                        "output_salt": crate::artifacts::hex0x(&crate::proof::transcript::fr_to_be_bytes(
                            &pipeline::side_salt(salt, true),
                        )),
                        "outputs_fixed": outputs,
                        "outputs": outputs.iter().map(|o| o.iter().map(|&v| v as f64 / unit).collect::<Vec<_>>()).collect::<Vec<_>>(),
                    }),
                )?;
                eprintln!("outputs are hashed: their values are in {} (keep it private)", private.display());
            }
            let proof_bytes = (file.proof.len() - 2) / 2;
            emit(
                json,
                json!({"ok": true, "proof_file": out, "prove_s": secs, "proof_bytes": proof_bytes,
                       "num_instances": file.instances.len(), "outputs": file.outputs}),
                || {
                    let outs = match build.settings.visibility.output {
                        Visibility::Public => file.outputs.iter().map(|o| fmt_vec(o)).collect::<Vec<_>>().join(" "),
                        Visibility::Hashed => "committed (values in the .private.json file)".into(),
                        Visibility::Private => "private".into(),
                    };
                    format!(
                        "proof written to {} in {secs:.2}s ({proof_bytes} bytes, {} instances)\n  outputs {outs}",
                        out.display(),
                        file.instances.len(),
                    )
                },
            );
        }
        Command::Verify { build_dir, proof, input, .. } => {
            let build = Build::open(&build_dir)?;
            let file: ProofFile =
                read_json(&proof).map_err(|e| ZkError::invalid_proof(format!("malformed proof file: {e}")))?;
            let params = build.params()?;
            let vk = build.vk()?;
            let step = Step::start("verifying");
            let result = pipeline::verify(&build, &file, &params, &vk)?;
            if let Some(path) = &input {
                let inputs = read_inputs(path)?;
                pipeline::check_public_inputs(&build, &file, &inputs.values, salt_of(&inputs)?)?;
            }
            let secs = step.finish();
            if result.insecure_srs {
                eprintln!(
                    "WARNING: these keys come from the INSECURE development SRS: anyone can forge proofs for them"
                );
            }
            emit(json, json!({"ok": true, "valid": true, "verify_s": secs, "result": result}), || {
                let mut s = format!("proof is valid ({} instances, verified in {:.3}s)", result.num_instances, secs);
                for (name, v) in build.settings.input_names.iter().zip(&result.inputs) {
                    s += &format!("\n  input  '{name}' {}", fmt_vec(v));
                }
                if let Some(c) = &result.input_commitment {
                    s += &format!("\n  input commitment  {c}");
                }
                if input.is_some() {
                    s += "\n  public inputs match the given input file";
                }
                if let Some(c) = &result.output_commitment {
                    s += &format!("\n  output commitment {c}");
                }
                if let Some(c) = &result.param_commitment {
                    s += &format!("\n  weight commitment {c}");
                }
                for (name, v) in build.settings.output_names.iter().zip(&result.outputs) {
                    s += &format!("\n  output '{name}' {}", fmt_vec(v));
                }
                s
            });
        }
        Command::Bench { build_dir, input, runs, out, srs, .. } => {
            let build = Build::open(&build_dir)?;
            let inputs = read_inputs(&input)?;
            let source = match srs {
                Some(p) => SrsSource::File(p),
                None => SrsSource::Dev,
            };
            let runs = runs.max(1);
            let setup_step = Step::start("keygen");
            let info = pipeline::setup(&build, &source)?;
            let setup_s = setup_step.finish();
            let prover = Prover::load(&build)?;
            let vk = build.vk()?;
            let mut prove_times = Vec::new();
            let mut verify_times = Vec::new();
            let mut proof_bytes = 0;
            for i in 0..runs {
                let step = Step::start(&format!("proving {}/{runs}", i + 1));
                let file = pipeline::prove(&build, &prover, &inputs.values)?;
                prove_times.push(step.finish());
                proof_bytes = (file.proof.len() - 2) / 2;
                let t = std::time::Instant::now();
                pipeline::verify(&build, &file, &prover.params, &vk)?;
                verify_times.push(t.elapsed().as_secs_f64());
            }
            let verifier = pipeline::compile_verifier(&build)?;
            let last_proof = pipeline::prove(&build, &prover, &inputs.values)?;
            let evm = pipeline::verify_evm(&verifier, &last_proof)?;
            if !evm.valid {
                return Err(ZkError::internal(format!(
                    "the generated verifier rejected a valid proof: {:?}",
                    evm.error
                )));
            }
            let cs = vk.cs();
            let summary = json!({
                "verify_gas": evm.gas_used,
                "calldata_bytes": evm.calldata_bytes,
                "runtime_bytes": evm.runtime_bytes,
                "deploy_gas": evm.deploy_gas,
                "model": build.settings.source_model,
                "k": build.settings.k,
                "rows": build.settings.rows.arithmetic.max(build.settings.rows.lookup).max(build.settings.rows.table),
                "row_counts": build.settings.rows,
                "lanes": build.settings.layout.lanes,
                "scale": build.settings.scale,
                "advice_columns": cs.num_advice_columns(),
                "fixed_columns": cs.num_fixed_columns(),
                "lookups": cs.lookups().len(),
                "degree": cs.degree(),
                "num_instances": build.settings.num_instances,
                "setup_s": setup_s,
                "prove_s": median(prove_times.clone()),
                "prove_runs_s": prove_times,
                "verify_s": median(verify_times),
                "peak_rss_mb": peak_rss_mb(),
                "pk_bytes": info.pk_bytes,
                "vk_bytes": info.vk_bytes,
                "proof_bytes": proof_bytes,
                "threads": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            });
            if let Some(path) = out {
                write_json(&path, &summary)?;
            }
            let s = &summary;
            emit(json, summary.clone(), || {
                format!(
                    "bench {} (k={}, rows {}, lanes {}, advice {} / fixed {} columns, {} lookup)\n  keygen {:.2}s, prove {:.3}s (median of {runs}), verify {:.1} ms, peak RSS {:.0} MiB\n  proof {} bytes, {} public instances, pk {:.1} MiB, vk {} bytes\n  EVM: verify {} gas (tx, Osaka), calldata {} bytes, verifier runtime {} bytes",
                    build.settings.source_model,
                    s["k"], s["rows"], s["lanes"], s["advice_columns"], s["fixed_columns"], s["lookups"],
                    setup_s,
                    s["prove_s"].as_f64().unwrap_or(0.0),
                    s["verify_s"].as_f64().unwrap_or(0.0) * 1000.0,
                    s["peak_rss_mb"].as_f64().unwrap_or(0.0),
                    proof_bytes,
                    build.settings.num_instances,
                    info.pk_bytes as f64 / 1048576.0,
                    info.vk_bytes,
                    evm.gas_used,
                    evm.calldata_bytes,
                    evm.runtime_bytes,
                )
            });
        }
        Command::Solidity { build_dir, out, separate_vk, .. } => {
            let build = Build::open(&build_dir)?;
            let step = Step::start("generating and compiling the verifier");
            let v = pipeline::build_verifier(&build, separate_vk.is_some())?;
            step.finish();
            std::fs::write(&out, &v.source).map_err(|e| ZkError::io(&out, e))?;
            let vk_path =
                v.vk.as_ref().map(|_| separate_vk.clone().unwrap_or_else(|| out.with_file_name("VerifyingKey.sol")));
            if let (Some((vk_source, _)), Some(path)) = (&v.vk, &vk_path) {
                std::fs::write(path, vk_source).map_err(|e| ZkError::io(path, e))?;
            }
            if let Some(reason) = &v.split_reason {
                eprintln!("note: {reason}");
            }
            emit(
                json,
                json!({"ok": true, "verifier": out, "verifying_key": vk_path, "runtime_bytes": v.runtime_code.len(),
                       "separate_vk": v.vk.is_some(), "split_reason": v.split_reason}),
                || {
                    match &vk_path {
                    None => format!("wrote {} (runtime {} bytes)", out.display(), v.runtime_code.len()),
                    Some(p) => format!(
                        "wrote {} (runtime {} bytes) and {}: deploy the verifying key first, then the verifier with its address",
                        out.display(),
                        v.runtime_code.len(),
                        p.display()
                    ),
                }
                },
            );
        }
        Command::VerifyEvm { build_dir, proof, .. } => {
            let build = Build::open(&build_dir)?;
            let file: ProofFile =
                read_json(&proof).map_err(|e| ZkError::invalid_proof(format!("malformed proof file: {e}")))?;
            let step = Step::start("compiling the verifier");
            let verifier = pipeline::compile_verifier(&build)?;
            step.finish();
            let r = pipeline::verify_evm(&verifier, &file)?;
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
            if !valid {
                std::process::exit(1);
            }
        }
        Command::Calldata { proof, out, .. } => {
            let file: ProofFile = read_json(&proof)?;
            let data = crate::evm::calldata::calldata_for(&file)?;
            match &out {
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
        }
        Command::Commit { build_dir, values, side, .. } => {
            let build = Build::open(&build_dir)?;
            let (kind, c) = match side {
                Side::Params => {
                    if build.settings.visibility.params != "hashed" {
                        return Err(ZkError::input(
                            "this build's parameters are fixed (pinned by the verifying key), not hashed: \
                             compile with --param-visibility hashed",
                        ));
                    }
                    ("params", pipeline::param_commitment(&build.qgraph))
                }
                Side::Input | Side::Output => {
                    let (kind, shapes, visibility) = if side == Side::Input {
                        ("input", &build.settings.input_shapes, build.settings.visibility.input)
                    } else {
                        ("output", &build.settings.output_shapes, build.settings.visibility.output)
                    };
                    if visibility != Visibility::Hashed {
                        return Err(ZkError::input(format!(
                            "this build's {kind}s are {visibility:?}, not hashed: its proofs carry no {kind} commitment \
                             (compile with --{kind}-visibility hashed)"
                        )));
                    }
                    let values = values.ok_or_else(|| {
                        ZkError::input(format!("the {kind} commitment is recomputed from a VALUES file: pass one"))
                    })?;
                    let file = read_inputs(&values)?;
                    let names: Vec<String> = shapes.iter().enumerate().map(|(i, _)| format!("{kind} #{i}")).collect();
                    pipeline::check_lengths(&names, shapes, &file.values)?;
                    let q = crate::quantise::calibrate::quantise_inputs(&file.values, build.settings.scale);
                    (kind, pipeline::commitment(&q, salt_of(&file)?, side == Side::Output))
                }
            };
            let hex = crate::artifacts::hex0x(&crate::proof::transcript::fr_to_be_bytes(&c));
            let index = build.settings.instances.iter().find(|b| b.kind == kind).map(|b| b.offset);
            emit(json, json!({"ok": true, "side": kind, "commitment": hex, "instance_index": index}), || {
                format!("{kind} commitment {hex} (instance {})", index.unwrap_or_default())
            });
        }
        Command::Keeper { args, .. } => chain::keeper(args, json)?,
        Command::Deploy { args, .. } => chain::deploy(args, json)?,
        Command::MintAigc { args, .. } => chain::mint(args, json)?,
        Command::Srs { k, out, .. } => {
            let step = Step::start(&format!("generating development SRS k={k}"));
            let params = crate::proof::srs::generate_dev_srs(k);
            crate::proof::srs::write_params_atomic(&params, &out)?;
            let secs = step.finish();
            emit(json, json!({"ok": true, "k": k, "file": out, "insecure": true, "seconds": secs}), || {
                format!("wrote INSECURE development SRS k={k} to {} in {secs:.1}s (testing only)", out.display())
            });
        }
    }
    Ok(())
}
