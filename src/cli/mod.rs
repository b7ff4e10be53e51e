//! The `zkinfer` command line: argument parsing and printing over the library's stages, one
//! module per command (the on-chain ones in [`chain`]). Exit codes are decided in one place:
//! [`Outcome::exit_code`] and [`ZkError::exit_code`], applied by `main`.

pub mod chain;
mod commands;
mod output;
pub mod progress;

use clap::{Args, Parser, Subcommand};

use crate::error::ZkError;

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
    Compile(commands::compile::CompileArgs),
    /// Generate the proving and verifying keys for a compiled model.
    Setup(commands::setup::SetupArgs),
    /// Run the model on an input inside the circuit and prove it.
    Prove(commands::prove::ProveArgs),
    /// Verify a proof file. Exit 0 valid, 1 rejected, 2 usage or input error.
    ///
    /// Prints the public inputs and outputs as the proof binds them. With --input, also requires
    /// the proof's public inputs to be exactly that input file (quantised as the circuit does).
    /// With hashed parameters the proof must be of this build's model (its weight commitment),
    /// unless --any-model accepts any model of the architecture.
    Verify(commands::verify::VerifyArgs),
    /// Measure keygen, proving and verification on one input (`--json` for the full JSON summary).
    Bench(commands::bench::BenchArgs),
    /// Generate the Solidity verifier contract for a set-up build.
    ///
    /// The contract has `verifyProof(bytes proof, uint256[] instances) returns (bool)`: true for a
    /// valid proof, a revert (with a custom error) for anything else. It also states its circuit
    /// (`IZkinferCircuitInfo`: `SCALE()`, `PACK_BITS()`, `instanceBlocks()`, `NUM_INSTANCES()`,
    /// `VK_DIGEST()`), so a consumer can check what its instances mean.
    Solidity(commands::evm::SolidityArgs),
    /// Compile the generated verifier, deploy it in an in-process EVM (Osaka rules) and verify a proof.
    ///
    /// Prints the verify transaction's gas (21,000 + calldata + execution, as a receipt shows it)
    /// and the verifier's runtime size. Exit 0 valid, 1 rejected.
    VerifyEvm(commands::evm::VerifyEvmArgs),
    /// ABI-encode `verifyProof(proof, instances)` calldata (selector included) for a proof file.
    Calldata(commands::evm::CalldataArgs),
    /// Keep an AIRiskVault's risk parameters current: each epoch, prove the risk model on the
    /// vault's own state and submit `updateRiskParameters`, exactly once.
    ///
    /// Before the first epoch it checks the key, the RPC, that the vault's verifier states this
    /// build's circuit (VK digest, scale, packing, instance layout), and that the account has ETH;
    /// any failure there exits 2 at once. Then it survives RPC errors (retries with backoff),
    /// journals every transaction before sending it (--state) so a restart never sends a second
    /// one, and stops cleanly on Ctrl-C or SIGTERM. Logs go to stderr; with --json, one JSON
    /// object per event goes to stdout.
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
    Commit(commands::commit::CommitArgs),
    /// SRS files: make the insecure development SRS (`srs --dev -k K -o FILE`), convert a
    /// ceremony's (`srs import FILE.ptau -o FILE.srs`), or check one (`srs inspect FILE`).
    Srs(commands::srs::SrsArgs),
    /// Compare the circuit's outputs with the float model's on many samples, without proving.
    ///
    /// The circuit side is the prover's own integer semantics, so a sample evaluates exactly as it
    /// would prove. Per output: max and mean absolute error, the same relative to the output's range
    /// (its largest |float value|), argmax agreement for outputs with several values, and how many
    /// samples leave the circuit's range (a proof of them would fail). A histogram of relative errors
    /// is drawn on a terminal; --json gives everything as data.
    Eval(commands::eval::EvalArgs),
    /// List the ONNX operators a model may use: what each accepts, how the circuit proves it and
    /// what it costs in rows (`--markdown` for the README's table, `--json` for data). A model
    /// using any other fails `compile` with exit 2, naming the node and the operator.
    Ops(commands::ops::OpsArgs),
}

impl Command {
    pub fn json(&self) -> bool {
        match self {
            Command::Compile(a) => a.json.json,
            Command::Setup(a) => a.json.json,
            Command::Prove(a) => a.json.json,
            Command::Verify(a) => a.json.json,
            Command::Bench(a) => a.json.json,
            Command::Solidity(a) => a.json.json,
            Command::VerifyEvm(a) => a.json.json,
            Command::Calldata(a) => a.json.json,
            Command::Commit(a) => a.json.json,
            Command::Srs(a) => a.json(),
            Command::Eval(a) => a.json.json,
            Command::Ops(a) => a.json.json,
            Command::Keeper { json, .. } | Command::Deploy { json, .. } | Command::MintAigc { json, .. } => json.json,
        }
    }
}

/// How a command that did not fail ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// A proof was checked and rejected (the command already said so).
    Rejected,
}

impl Outcome {
    pub fn exit_code(self) -> i32 {
        match self {
            Outcome::Success => 0,
            Outcome::Rejected => 1,
        }
    }
}

/// Runs one command; `main` turns the result into an exit code.
pub fn run(cli: Cli) -> Result<Outcome, ZkError> {
    let json = cli.command.json();
    match cli.command {
        Command::Compile(a) => commands::compile::run(a, json),
        Command::Setup(a) => commands::setup::run(a, json),
        Command::Prove(a) => commands::prove::run(a, json),
        Command::Verify(a) => commands::verify::run(a, json),
        Command::Bench(a) => commands::bench::run(a, json),
        Command::Solidity(a) => commands::evm::solidity(a, json),
        Command::VerifyEvm(a) => commands::evm::verify_evm(a, json),
        Command::Calldata(a) => commands::evm::calldata(a, json),
        Command::Commit(a) => commands::commit::run(a, json),
        Command::Srs(a) => commands::srs::run(a, json),
        Command::Eval(a) => commands::eval::run(a, json),
        Command::Ops(a) => commands::ops::run(a, json),
        Command::Keeper { args, .. } => chain::keeper(args, json).map(|()| Outcome::Success),
        Command::Deploy { args, .. } => chain::deploy(args, json).map(|()| Outcome::Success),
        Command::MintAigc { args, .. } => chain::mint(args, json).map(|()| Outcome::Success),
    }
}
