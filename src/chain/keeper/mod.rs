//! The keeper: each epoch, prove the vault's risk model on the vault's own state and submit the
//! update, once.
//!
//! Safety rests on three things. The vault's inputs are recomputed off chain and must equal the
//! vault's `currentFeatures()` at the same block, and the proof's input word must equal
//! `expectedInputWord()` before anything is sent. Every transaction is journalled before it is
//! broadcast (see [`super::journal`]), so a restart settles the in-flight one instead of sending a
//! second. And the update is simulated first, so a stale state costs a re-prove, not a revert.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy::eips::BlockId;
use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, Bytes, U256};
use alloy::rpc::types::TransactionRequest;
use tracing::{error, info, warn};

use super::journal::{EpochRecord, EpochStatus, Journal};
use super::rpc::{read_key_file, Chain, SignedTx};
use super::vault_features::{features, Accumulators, VaultSnapshot};
use super::{call, check_verifier_states_build, packed_words, public_packing, to_u64};
use crate::encoding::field::to_word;
use crate::error::ZkError;
use crate::evm::abi::{IAIRiskVault, IPriceHistory};
use crate::evm::revert;
use crate::pipeline::{self, Build, Prover};

/// Transactions one epoch may use: a confirmed revert (the state moved between simulation and
/// inclusion) allows another try, but a keeper must not burn gas forever on one epoch.
pub const MAX_ATTEMPTS_PER_EPOCH: u32 = 3;
/// Fee-bumped replacements of one transaction before the keeper only waits.
pub const MAX_REPLACEMENTS: usize = 5;
/// Consecutive failed rounds before `--once` gives up.
const ONCE_MAX_FAILURES: u32 = 5;

mod settle;

#[derive(Clone, Debug)]
pub struct KeeperConfig {
    pub rpc: String,
    pub vault: Address,
    pub build_dir: PathBuf,
    pub key_file: PathBuf,
    pub interval: Duration,
    pub once: bool,
    /// The journal file (default: BUILD_DIR/keeper-<chain id>-<vault>.json).
    pub state: Option<PathBuf>,
    /// How long to wait for a receipt before checking the transaction's fate again.
    pub receipt_timeout: Duration,
    /// Longest pause after failures (the backoff doubles from 1 s up to this).
    pub max_backoff: Duration,
    /// A transaction still pending this long is replaced at the same nonce with higher fees.
    pub replace_after: Duration,
}

struct Model {
    build: Build,
    prover: Prover,
}

/// What the feature formulas need besides the vault's state: constants and immutables, read once.
struct VaultConstants {
    price_source: Address,
    epoch_length: u64,
    window: U256,
    volatility_multiplier: U256,
    volatility_cap: U256,
    max_coverage: U256,
}

pub struct Keeper {
    cfg: KeeperConfig,
    chain: Chain,
    model: Arc<Model>,
    journal: Journal,
    constants: VaultConstants,
}

/// What one round did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Round {
    /// Our update for the epoch was mined and applied.
    Applied(u64),
    /// Nothing to do: the epoch is already applied.
    UpToDate(u64),
    /// Our transaction is pending; look again later.
    Pending(u64),
    /// The vault's state moved while proving: prove again now.
    Retry(u64),
    /// Our transaction reverted on chain.
    Reverted(u64),
    /// The epoch used all its attempts.
    GaveUp(u64),
}

impl Round {
    /// Whether `--once` may stop here. Not after a revert: the next round finds out whether the
    /// epoch got applied anyway (another keeper won the race) or deserves another attempt.
    fn is_final(&self) -> bool {
        matches!(self, Round::Applied(_) | Round::UpToDate(_) | Round::GaveUp(_))
    }
}

fn wrong_model(what: String) -> ZkError {
    ZkError::input(format!("wrong model for this vault: {what}"))
}

impl Keeper {
    /// Loads the model and checks everything that can be checked before the first epoch: the key,
    /// the RPC, the vault, that the vault's verifier verifies this build's circuit, that the model's
    /// scale and packing match the vault's, and that the account can pay for gas.
    pub async fn start(cfg: KeeperConfig) -> Result<Keeper, ZkError> {
        let key = read_key_file(&cfg.key_file)?;
        let build = Build::open(&cfg.build_dir)?;
        let public = build.public();
        let bits = match public_packing(public) {
            Some(p) => p.bits,
            None => {
                return Err(wrong_model(format!(
                "{} must be compiled with public, packed inputs and outputs (the vault checks the packed input word)",
                cfg.build_dir.display()
            )))
            }
        };
        let setup = build.setup_info().map_err(|e| e.context("run `zkinfer setup` on the build first"))?;
        // A malformed setup.json fails here, before any RPC.
        setup.vk_digest_fr()?;

        let chain = Chain::connect(&cfg.rpc, Some(key)).await?;
        chain.require_code(cfg.vault, "--vault").await?;
        let vault = IAIRiskVault::new(cfg.vault, &chain.provider);
        let not_vault =
            |e: ZkError| ZkError::input(format!("{} does not answer as an AIRiskVault ({})", cfg.vault, e.message));
        let verifier = call("verifier()", vault.verifier().call()).await.map_err(not_vault)?;
        let scale = to_u64(call("FEATURE_SCALE()", vault.FEATURE_SCALE().call()).await.map_err(not_vault)?)?;
        let pack = to_u64(call("PACK_BITS()", vault.PACK_BITS().call()).await.map_err(not_vault)?)?;
        let count = to_u64(call("expectedInstanceCount()", vault.expectedInstanceCount().call()).await?)?;
        if scale != u64::from(public.scale.bits()) || pack != u64::from(bits) || count != public.num_instances as u64 {
            return Err(wrong_model(format!(
                "the vault takes scale {scale}, {pack}-bit packing and {count} instances; {} has scale {}, {bits} bits and {} instances",
                cfg.build_dir.display(),
                public.scale.bits(),
                public.num_instances
            )));
        }
        let unstated = check_verifier_states_build(&chain, verifier, &setup, build.public())
            .await
            .map_err(|e| wrong_model(format!("{} ({})", e.message, cfg.build_dir.display())))?;
        if let Some(why) = unstated {
            warn!(event = "unchecked_verifier", %verifier, error = %why,
                "the vault's verifier does not state its VK digest; a wrong model will show as a rejected simulation");
        }
        let constants = VaultConstants {
            price_source: call("PRICE_SOURCE()", vault.PRICE_SOURCE().call()).await?,
            epoch_length: u64::try_from(call("EPOCH_LENGTH()", vault.EPOCH_LENGTH().call()).await?)
                .map_err(|_| ZkError::input("the vault's EPOCH_LENGTH does not fit 64 bits"))?,
            window: call("PRICE_WINDOW()", vault.PRICE_WINDOW().call()).await?,
            volatility_multiplier: call("VOLATILITY_MULTIPLIER()", vault.VOLATILITY_MULTIPLIER().call()).await?,
            volatility_cap: call("VOLATILITY_CAP()", vault.VOLATILITY_CAP().call()).await?,
            max_coverage: call("MAX_COVERAGE()", vault.MAX_COVERAGE().call()).await?,
        };
        let balance = chain.require_funded().await?;
        let state = cfg.state.clone().unwrap_or_else(|| {
            cfg.build_dir.join(format!("keeper-{}-{}.json", chain.chain_id, cfg.vault.to_string().to_lowercase()))
        });
        let journal = Journal::open(&state, chain.chain_id, cfg.vault)?;
        let t = Instant::now();
        let model = tokio::task::spawn_blocking(move || Prover::load(&build).map(|prover| Model { build, prover }))
            .await
            .map_err(|e| ZkError::internal(format!("loading the proving key: {e}")))??;
        info!(event = "started", chain_id = chain.chain_id, vault = %cfg.vault, %verifier,
            account = %chain.account()?, balance_wei = %balance, k = model.build.settings.k,
            state = %journal.path().display(), load_s = t.elapsed().as_secs_f64(),
            "keeper ready for vault {} on chain {}", cfg.vault, chain.chain_id);
        Ok(Keeper { cfg, chain, model: Arc::new(model), journal, constants })
    }

    /// Runs rounds until Ctrl-C or SIGTERM (or, with `--once`, until the current epoch is settled).
    pub async fn run(&mut self) -> Result<Option<Round>, ZkError> {
        let mut shutdown = shutdown_signal()?;
        let mut failures = 0u32;
        let mut rounds = 0u32;
        let mut retries = 0u32;
        loop {
            rounds += 1;
            let outcome = tokio::select! {
                _ = shutdown.changed() => { info!(event = "shutdown", "stopping on signal"); return Ok(None) }
                r = self.round() => r,
            };
            let pause = match outcome {
                Ok(round) => {
                    failures = 0;
                    if self.cfg.once && (round.is_final() || rounds >= 10) {
                        return Ok(Some(round));
                    }
                    retries = if matches!(round, Round::Retry(_)) { retries + 1 } else { 0 };
                    match round {
                        // Prove again at once, but not in a tight loop if the state keeps moving.
                        Round::Retry(_) if retries <= 3 => Duration::from_millis(200),
                        Round::Retry(_) => backoff(retries - 3, self.cfg.max_backoff),
                        Round::Pending(_) => Duration::from_secs(1).min(self.cfg.interval),
                        _ => self.cfg.interval,
                    }
                }
                Err(e) => {
                    failures += 1;
                    let pause = backoff(failures, self.cfg.max_backoff);
                    error!(event = "error", error = %e.message, failures, retry_in_s = pause.as_secs_f64(),
                        "round failed: {}", e.message);
                    if self.cfg.once && failures >= ONCE_MAX_FAILURES {
                        return Err(e);
                    }
                    pause
                }
            };
            tokio::select! {
                _ = shutdown.changed() => { info!(event = "shutdown", "stopping on signal"); return Ok(None) }
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// One look at the vault: settle the transaction in flight, else prove and submit the current
    /// epoch if it is not applied yet.
    pub async fn round(&mut self) -> Result<Round, ZkError> {
        if let Some(r) = self.settle_in_flight().await? {
            return Ok(r);
        }
        let vault = IAIRiskVault::new(self.cfg.vault, &self.chain.provider);
        // Read the state the update will meet: the pending block, not the latest. Interest accrues
        // with time, so a feature on a rounding boundary can differ between the last mined block
        // and the next one (on a quiet chain the latest block can be minutes old).
        let block = self.chain.block_number().await?;
        let at = BlockId::pending();
        let epoch = to_u64(call("currentEpoch()", vault.currentEpoch().block(at).call()).await?)?;
        let applied = to_u64(call("lastAppliedEpoch()", vault.lastAppliedEpoch().block(at).call()).await?)?;
        if applied >= epoch {
            if self.journal.get(epoch).is_none() {
                info!(event = "already_applied", epoch, "epoch {epoch} was already applied; nothing to do");
                self.journal.put(epoch, record(EpochStatus::AppliedElsewhere, None, 0))?;
            }
            return Ok(Round::UpToDate(epoch));
        }
        let attempts = self.journal.get(epoch).map_or(0, |r| r.attempts);
        if attempts >= MAX_ATTEMPTS_PER_EPOCH {
            if self.journal.get(epoch).is_some_and(|r| r.note.as_deref() != Some("gave up")) {
                let mut r = self.journal.get(epoch).cloned().expect("checked");
                r.note = Some("gave up".into());
                self.journal.put(epoch, r)?;
                error!(
                    event = "gave_up",
                    epoch, attempts, "epoch {epoch}: {attempts} transactions reverted; not trying again"
                );
            }
            return Ok(Round::GaveUp(epoch));
        }

        // The inputs: recomputed here, and the vault's own answer at the same block.
        // The pending block's clock moves while we read, so a disagreement is read twice before it
        // counts as the bug it would be.
        // The packed input word is computed here with the circuit's own packing, and must equal the
        // vault's `expectedInputWord()` read alongside.
        let packing = public_packing(self.model.build.public()).expect("checked at start");
        let mut tries = 0;
        let (ours, word) = loop {
            tries += 1;
            let snapshot = self.snapshot(at).await?;
            let ours = features(&snapshot)?;
            let theirs = call("currentFeatures()", vault.currentFeatures().block(at).call()).await?;
            let theirs: Vec<i64> = theirs.iter().map(|f| i64::try_from(*f).unwrap_or(i64::MIN)).collect();
            let expected = call("expectedInputWord()", vault.expectedInputWord().block(at).call()).await?;
            let word = packed_words(packing, &ours)[0];
            if ours.as_slice() == theirs.as_slice() && word == expected {
                break (ours, word);
            }
            if tries >= 3 {
                return Err(ZkError::internal(format!(
                    "after block {block} the keeper computes features {ours:?} (input word {word:#x}) but the vault \
                     computes {theirs:?} ({expected:#x}): the off-chain and on-chain formulas disagree (a bug); \
                     not submitting"
                )));
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        };

        info!(event = "proving", epoch, block, features = ?ours, "epoch {epoch}: proving on features {ours:?}");
        let inputs = vec![ours.iter().map(|&f| f as i128).collect::<Vec<_>>()];
        let model = self.model.clone();
        let t = Instant::now();
        let proved = tokio::task::spawn_blocking(move || {
            pipeline::prove(&model.build, &model.prover, &inputs, Default::default())
        })
        .await
        .map_err(|e| ZkError::internal(format!("the prover thread failed: {e}")))??;
        let prove_s = t.elapsed().as_secs_f64();
        let file = proved.file;
        let proof = proved.proof.bytes;
        let instances: Vec<U256> = proved.proof.instances.iter().map(to_word).collect();
        if instances.first() != Some(&word) {
            return Err(ZkError::internal(format!(
                "the proof's input word {:#x} differs from the vault's expectedInputWord {word:#x} for the same features: \
                 the quantisation of the input file disagrees with the contract (a bug); not submitting",
                instances.first().copied().unwrap_or_default()
            )));
        }
        info!(event = "proved", epoch, prove_s, outputs = ?file.outputs_fixed.first(),
            "epoch {epoch}: proved in {prove_s:.2}s, model outputs {:?}", file.outputs.first().cloned().unwrap_or_default());

        let update = IAIRiskVault::updateRiskParametersCall { proof: Bytes::from(proof), instances };
        let tx = TransactionRequest::default().with_to(self.cfg.vault).with_call(&update);
        let gas = match self.chain.estimate_gas_at(&tx, at).await {
            Ok(g) => g,
            Err(Ok(data)) => {
                let why = revert::describe(&data);
                return match revert::name(&data) {
                    // Only an answer about our epoch (or a later one) settles it; one about an older
                    // epoch comes from a node simulating on a stale block: look again.
                    Some("EpochAlreadyApplied") if revert::applied_epoch(&data).is_some_and(|e| e >= epoch) => {
                        info!(event = "already_applied", epoch, "epoch {epoch} was applied while proving");
                        Ok(Round::UpToDate(epoch))
                    }
                    Some("EpochAlreadyApplied") => {
                        warn!(event = "stale_simulation", epoch, reason = %why, "the node simulated on an older epoch ({why}); looking again");
                        Ok(Round::Retry(epoch))
                    }
                    Some("InputMismatch") => {
                        warn!(event = "state_moved", epoch, reason = %why, "the vault's state moved while proving ({why}); proving again");
                        Ok(Round::Retry(epoch))
                    }
                    _ => Err(ZkError::internal(format!("the vault would reject the update: {why}"))),
                };
            }
            Err(Err(e)) => return Err(e),
        };
        // Headroom over the estimate: interest accrual and storage warmth can differ at inclusion.
        let gas_limit = gas + gas / 5 + 20_000;
        let nonce = self.chain.pending_nonce().await?;
        let signed = self.chain.sign(tx, nonce, gas_limit).await?;
        let mut rec = record(EpochStatus::Submitted, Some(&signed), attempts + 1);
        rec.note = Some(format!("prove_s {prove_s:.3}"));
        self.journal.put(epoch, rec)?;
        info!(event = "submitted", epoch, tx = %signed.hash, nonce, gas_estimate = gas, gas_limit,
            "epoch {epoch}: submitted {}", signed.hash);
        if let Err(e) = self.chain.broadcast(&signed).await {
            // Journalled: the next round re-broadcasts these same bytes.
            warn!(event = "broadcast_failed", epoch, tx = %signed.hash, error = %e.message, "broadcast failed; will retry");
            return Ok(Round::Pending(epoch));
        }
        Ok(self.settle_in_flight().await?.unwrap_or(Round::Pending(epoch)))
    }

    /// The vault's state at `at`, with the constants read at start.
    async fn snapshot(&self, at: BlockId) -> Result<VaultSnapshot, ZkError> {
        let vault = IAIRiskVault::new(self.cfg.vault, &self.chain.provider);
        let c = &self.constants;
        let history = IPriceHistory::new(c.price_source, &self.chain.provider);
        let a = call("accumulators()", vault.accumulators().block(at).call()).await?;
        let epoch = call("currentEpoch()", vault.currentEpoch().block(at).call()).await?;
        Ok(VaultSnapshot {
            accumulators: Accumulators {
                cum_utilisation: U256::from(a.cumUtilisation),
                cum_coverage: U256::from(a.cumCoverage),
                observed_at: a.observedAt,
                checkpoint_epoch: a.checkpointEpoch,
                utilisation: U256::from(a.utilisation),
                coverage: U256::from(a.coverage),
                start_utilisation: U256::from(a.startUtilisation),
                start_coverage: U256::from(a.startCoverage),
                prev_start_utilisation: U256::from(a.prevStartUtilisation),
                prev_start_coverage: U256::from(a.prevStartCoverage),
            },
            epoch: u64::try_from(epoch).map_err(|_| ZkError::input("the vault's epoch does not fit 64 bits"))?,
            epoch_length: c.epoch_length,
            prices: call("observations()", history.observations().block(at).call()).await?.prices,
            total_debt: call("totalDebt()", vault.totalDebt().block(at).call()).await?,
            cash: call("cash()", vault.cash().block(at).call()).await?,
            total_collateral: call("totalCollateral()", vault.totalCollateral().block(at).call()).await?,
            scale: self.model.build.scale(),
            window: c.window,
            volatility_multiplier: c.volatility_multiplier,
            volatility_cap: c.volatility_cap,
            max_coverage: c.max_coverage,
        })
    }
}

fn record(status: EpochStatus, tx: Option<&SignedTx>, attempts: u32) -> EpochRecord {
    EpochRecord {
        status,
        tx_hash: tx.map(|t| t.hash),
        nonce: tx.map(|t| t.nonce),
        raw: tx.map(|t| t.raw.clone()),
        block: None,
        gas_used: None,
        attempts,
        note: None,
        replaced: Vec::new(),
        sent_at: Some(now()),
    }
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

/// A wad as a decimal, e.g. 0.6500.
fn wad(x: U256) -> String {
    let scaled: u128 = (x / U256::from(100_000_000_000_000u64)).try_into().unwrap_or(u128::MAX);
    format!("{}.{:04}", scaled / 10_000, scaled % 10_000)
}

/// 1 s, 2 s, 4 s ... up to `max`.
fn backoff(failures: u32, max: Duration) -> Duration {
    Duration::from_secs(1u64 << failures.saturating_sub(1).min(10)).min(max)
}

/// Flips to true on Ctrl-C or SIGTERM.
fn shutdown_signal() -> Result<tokio::sync::watch::Receiver<bool>, ZkError> {
    use tokio::signal::unix::{signal, SignalKind};
    let (tx, rx) = tokio::sync::watch::channel(false);
    let mut term = signal(SignalKind::terminate()).map_err(|e| ZkError::internal(format!("signal handler: {e}")))?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| ZkError::internal(format!("signal handler: {e}")))?;
    tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        let _ = tx.send(true);
    });
    Ok(rx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_a_cap() {
        let cap = Duration::from_secs(30);
        let secs: Vec<u64> = (1..=7).map(|f| backoff(f, cap).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 30, 30]);
        assert_eq!(wad(U256::from(650_000_000_000_000_000u64)), "0.6500");
    }
}
