//! The on-chain commands: `keeper`, `deploy` and `mint-aigc`.

use std::path::PathBuf;
use std::time::Duration;

use alloy::primitives::{Address, B256};
use clap::Args;
use serde_json::json;

use super::output::emit;
use crate::chain::aigc::{mint_aigc, MintConfig};
use crate::chain::keeper::{Keeper, KeeperConfig, Round};
use crate::chain::rpc::{read_key_file, Chain};
use crate::error::ZkError;
use crate::pipeline::Build;

fn parse_address(s: &str) -> Result<Address, String> {
    s.parse::<Address>().map_err(|e| format!("not a 20-byte 0x address: {e}"))
}

fn parse_b256(s: &str) -> Result<B256, String> {
    s.parse::<B256>().map_err(|e| format!("not a 32-byte 0x hex value: {e}"))
}

#[derive(Args, Debug)]
pub struct KeeperArgs {
    /// JSON-RPC endpoint (plain http://, e.g. a local node or anvil).
    #[arg(long, value_name = "URL")]
    pub rpc: String,
    /// The AIRiskVault to keep.
    #[arg(long, value_name = "ADDRESS", value_parser = parse_address)]
    pub vault: Address,
    /// The vault model's build directory (compiled and set up; its verifying key must be the one
    /// the vault's verifier checks).
    #[arg(long, value_name = "BUILD_DIR")]
    pub build: PathBuf,
    /// File holding the sending account's private key (64 hex digits). Any account with ETH for
    /// gas works: updates are permissionless.
    #[arg(long, value_name = "FILE")]
    pub key_file: PathBuf,
    /// Seconds between looks at the vault.
    #[arg(long, default_value_t = 60, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub interval: u64,
    /// Settle the current epoch (prove and submit if needed, wait for the receipt) and exit:
    /// 0 if it is applied (by us or anyone), 1 if every attempt reverted, 3 on repeated errors.
    #[arg(long)]
    pub once: bool,
    /// The keeper's journal (default: BUILD_DIR/keeper-<chain id>-<vault>.json). Keep it across
    /// restarts: it is how the keeper knows what it already sent.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Seconds to wait for a receipt before looking again.
    #[arg(long, default_value_t = 120, value_name = "SECS")]
    pub receipt_timeout: u64,
    /// Longest pause between retries after errors (backoff doubles from 1 s).
    #[arg(long, default_value_t = 30, value_name = "SECS")]
    pub max_backoff: u64,
    /// Replace an update still pending after this many seconds with the same transaction at the
    /// same nonce and higher fees (only one of them can be mined).
    #[arg(long, default_value_t = 180, value_name = "SECS")]
    pub replace_after: u64,
}

#[derive(Args, Debug)]
pub struct DeployArgs {
    /// A set-up build directory.
    pub build_dir: PathBuf,
    /// JSON-RPC endpoint (plain http://).
    #[arg(long, value_name = "URL")]
    pub rpc: String,
    /// File holding the deployer's private key (64 hex digits).
    #[arg(long, value_name = "FILE")]
    pub key_file: PathBuf,
    /// Deploy the verifying key as its own contract even if one contract would fit.
    #[arg(long)]
    pub separate_vk: bool,
    /// Deploy a build whose keys come from the INSECURE development SRS to a chain other than a
    /// local one (chain id 31337 or 1337). Anyone can forge proofs for such keys: test networks only.
    #[arg(long)]
    pub allow_insecure_srs: bool,
}

#[derive(Args, Debug)]
pub struct MintArgs {
    /// JSON-RPC endpoint (plain http://).
    #[arg(long, value_name = "URL")]
    pub rpc: String,
    /// The ZkinferAIGCNFT contract.
    #[arg(long, value_name = "ADDRESS", value_parser = parse_address)]
    pub nft: Address,
    /// The NFT model's build directory (compiled and set up).
    #[arg(long, value_name = "BUILD_DIR")]
    pub build: PathBuf,
    /// File holding the minter's private key (64 hex digits).
    #[arg(long, value_name = "FILE")]
    pub key_file: PathBuf,
    /// The prompt (UTF-8). Its token is uint256(keccak256(prompt)).
    #[arg(long)]
    pub prompt: String,
    /// Salt of the mint commitment (default: random; printed so an interrupted mint can resume).
    #[arg(long, value_name = "0xHEX32", value_parser = parse_b256)]
    pub salt: Option<B256>,
}

/// Structured logs for the long-running commands: human lines on stderr, or with `--json` one
/// JSON object per event on stdout (fields flattened: `event`, `epoch`, `tx`, `gas_used`, ...).
pub fn init_logging(json: bool) {
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt().with_max_level(tracing::Level::INFO).with_target(false);
    let _ = if json {
        builder.json().flatten_event(true).with_current_span(false).with_writer(std::io::stdout).try_init()
    } else {
        // People read the sentence; the structured fields are for --json.
        let message_only = tracing_subscriber::fmt::format::debug_fn(|w, field, value| {
            if field.name() == "message" {
                write!(w, "{value:?}")
            } else {
                Ok(())
            }
        });
        builder
            .fmt_fields(message_only)
            .with_ansi(std::io::stderr().is_terminal())
            .with_writer(std::io::stderr)
            .try_init()
    };
}

pub fn keeper(args: KeeperArgs, json: bool) -> Result<(), ZkError> {
    init_logging(json);
    let cfg = KeeperConfig {
        rpc: args.rpc,
        vault: args.vault,
        build_dir: args.build,
        key_file: args.key_file,
        interval: Duration::from_secs(args.interval),
        once: args.once,
        state: args.state,
        receipt_timeout: Duration::from_secs(args.receipt_timeout),
        max_backoff: Duration::from_secs(args.max_backoff.max(1)),
        replace_after: Duration::from_secs(args.replace_after),
    };
    let rt = crate::chain::runtime()?;
    let outcome = rt.block_on(async {
        let mut keeper = Keeper::start(cfg).await?;
        keeper.run().await
    })?;
    match outcome {
        Some(Round::Reverted(epoch)) => {
            Err(ZkError::invalid_proof(format!("the update for epoch {epoch} reverted on chain")))
        }
        Some(Round::GaveUp(epoch)) => {
            Err(ZkError::invalid_proof(format!("epoch {epoch}: every attempt reverted; gave up")))
        }
        Some(Round::Pending(epoch)) | Some(Round::Retry(epoch)) => {
            Err(ZkError::internal(format!("epoch {epoch} is not settled yet (transaction pending)")))
        }
        _ => Ok(()),
    }
}

pub fn deploy(args: DeployArgs, json: bool) -> Result<(), ZkError> {
    let key = read_key_file(&args.key_file)?;
    let build = Build::open(&args.build_dir)?;
    let rt = crate::chain::runtime()?;
    let d = rt.block_on(async {
        let chain = Chain::connect(&args.rpc, Some(key)).await?;
        crate::chain::deploy::deploy(&chain, &build, args.separate_vk, args.allow_insecure_srs).await
    })?;
    emit(json, json!({"ok": true, "deployment": d}), || {
        let mut s = String::new();
        if let Some(why) = &d.split_reason {
            s += &format!("note: {why}\n");
        }
        if let (Some(vk), Some(gas)) = (d.verifying_key, d.verifying_key_gas) {
            s += &format!("verifying key {vk} ({gas} gas)\n");
        }
        s += &format!(
            "verifier      {} on chain {} ({} gas, {} bytes of code)\n  codehash  {}\n  vk digest {} ({} instances)",
            d.verifier, d.chain_id, d.verifier_gas, d.runtime_bytes, d.verifier_codehash, d.vk_digest, d.num_instances
        );
        s
    });
    Ok(())
}

pub fn mint(args: MintArgs, json: bool) -> Result<(), ZkError> {
    init_logging(false);
    let cfg = MintConfig {
        rpc: args.rpc,
        nft: args.nft,
        build_dir: args.build,
        key_file: args.key_file,
        prompt: args.prompt,
        salt: args.salt,
    };
    let rt = crate::chain::runtime()?;
    let m = rt.block_on(mint_aigc(&cfg))?;
    emit(json, json!({"ok": true, "mint": m}), || {
        let unit = m.scale.unit();
        let mut s = format!("token {:#x} ({})", m.token_id, if m.minted { "minted now" } else { "already minted" });
        if let (Some(c), Some(g)) = (m.commit_gas, m.mint_gas) {
            s += &format!("\n  commit {c} gas, mint {g} gas");
        }
        s += &format!(
            "\n  addAigcData {} gas (tx {}), proved in {:.2}s\n  prompt features {:?}, aigcData hash {}",
            m.add_aigc_data_gas, m.add_aigc_data_tx, m.prove_s, m.features, m.aigc_data_hash
        );
        for row in m.pixels.chunks(8) {
            let shades: String = row
                .iter()
                .map(|&p| {
                    let level = ((p as f64 / unit).clamp(0.0, 1.0) * 4.0).round() as usize;
                    [' ', '.', ':', '+', '#'][level]
                })
                .flat_map(|c| [c, c])
                .collect();
            s += &format!("\n  |{shades}|");
        }
        s
    });
    Ok(())
}
