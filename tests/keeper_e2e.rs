//! The keeper, `deploy` and `mint-aigc` against a real local chain: anvil on a free loopback port,
//! the vault and NFT stacks deployed by the forge scripts, the `zkinfer` binary as a user runs it.
//!
//! Every wait is bounded and every process is stopped by a guard, also when an assertion fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

use alloy::eips::BlockId;
use alloy::network::TransactionBuilder;
use alloy::primitives::{keccak256, Address, Bytes, U256};
use alloy::providers::Provider;
use alloy::rpc::types::{Filter, TransactionRequest};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol;
use alloy::sol_types::{SolCall, SolEvent};
use serde_json::Value;

use zkinfer::chain::rpc::Chain;
use zkinfer::evm::abi::{IAIRiskVault, IZkinferAIGCNFT, IZkinferVerifier};
use zkinfer::pipeline::Build;
use zkinfer::testing::anvil::{
    forge_script, forge_script_with_env, read_log, returned, Anvil, Guarded, DEPLOYER_KEY, KEEPER_KEY,
};
use zkinfer::testing::evm_fixtures::{build_aigc_model, build_vault_model};

// The local Chainlink-style feed and OpenZeppelin's ERC-20 are test scaffolding, not zkinfer's ABI: the two
// calls the test makes on them are declared here; the vault's come from its interface file.
sol! {
    #[sol(rpc)]
    interface ILocalStack {
        function report(int256 answer) external returns (uint80);
        function approve(address spender, uint256 amount) external returns (bool);
    }
}

const WAIT: Duration = Duration::from_secs(180);

fn zkinfer() -> Command {
    Command::new(env!("CARGO_BIN_EXE_zkinfer"))
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

fn key_file(dir: &Path, name: &str, key: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, format!("{key}\n")).unwrap();
    p
}

async fn deployer(url: &str) -> Chain {
    Chain::connect(url, Some(PrivateKeySigner::from_str(DEPLOYER_KEY).unwrap())).await.unwrap()
}

async fn send(chain: &Chain, to: Address, data: Vec<u8>) {
    let tx = TransactionRequest::default().with_to(to).with_input(data);
    let r = chain.send_and_wait(tx, 1_000_000, Duration::from_secs(30)).await.unwrap();
    assert!(r.status(), "a test transaction reverted: {r:?}");
}

/// Moves the chain to one minute into the next epoch. Anvil's clock otherwise follows the wall
/// clock, so a test could cross the top of the hour by chance; from here it has most of an hour
/// before the next boundary, and `next_epoch` keeps that offset.
async fn align_to_next_epoch(chain: &Chain) {
    let next = (chain_time(chain).await / 3600 + 1) * 3600 + 60;
    let _: Value = chain.provider.raw_request("evm_setNextBlockTimestamp".into(), (next,)).await.unwrap();
    let _: Value = chain.provider.raw_request("evm_mine".into(), ()).await.unwrap();
}

/// The latest block's timestamp.
async fn chain_time(chain: &Chain) -> u64 {
    let latest: Value = chain.provider.raw_request("eth_getBlockByNumber".into(), ("latest", false)).await.unwrap();
    u64::from_str_radix(latest["timestamp"].as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

/// After anvil restarts from a state file its clock is the wall clock again, which is behind the
/// saved chain once a test has moved time on: continue from the saved chain's last block instead.
async fn resume_clock(chain: &Chain) {
    let next = chain_time(chain).await + 1;
    let _: Value = chain.provider.raw_request("evm_setNextBlockTimestamp".into(), (next,)).await.unwrap();
    let _: Value = chain.provider.raw_request("evm_mine".into(), ()).await.unwrap();
}

/// Moves the chain into the next epoch (the vault's epochs are one hour).
async fn next_epoch(chain: &Chain) {
    let _: Value = chain.provider.raw_request("evm_increaseTime".into(), (3600u64,)).await.unwrap();
    let _: Value = chain.provider.raw_request("evm_mine".into(), ()).await.unwrap();
}

async fn epochs(chain: &Chain, vault: Address) -> (u64, u64) {
    let v = IAIRiskVault::new(vault, &chain.provider);
    let current: u64 = v.currentEpoch().call().await.unwrap().try_into().unwrap();
    let applied: u64 = v.lastAppliedEpoch().call().await.unwrap().try_into().unwrap();
    (current, applied)
}

/// Waits (bounded) until the vault's current epoch is applied and the keeper has logged it; returns it.
async fn wait_applied(chain: &Chain, vault: Address, keeper: &mut Guarded, log: &Path) -> u64 {
    let start = Instant::now();
    loop {
        if let Ok((current, applied)) = tokio::time::timeout(Duration::from_secs(5), epochs(chain, vault)).await {
            if applied == current && count(&events(log), "applied", current) > 0 {
                return current;
            }
        }
        if let Some(code) = keeper.exited() {
            panic!("the keeper exited ({code:?}):\n{}", read_log(log));
        }
        assert!(start.elapsed() < WAIT, "no update within {WAIT:?}; keeper log:\n{}", read_log(log));
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The update event of `epoch`, if the chain has it: (block, newLtv, newRate).
async fn update_event(chain: &Chain, vault: Address, epoch: u64) -> Vec<(u64, U256, U256)> {
    let filter = Filter::new()
        .address(vault)
        .event_signature(IAIRiskVault::RiskParametersUpdated::SIGNATURE_HASH)
        .topic1(U256::from(epoch))
        .from_block(0);
    let logs = chain.provider.get_logs(&filter).await.unwrap();
    logs.iter()
        .map(|l| {
            let e = IAIRiskVault::RiskParametersUpdated::decode_log_data(l.data()).unwrap();
            (l.block_number.unwrap(), e.newLtv, e.newRate)
        })
        .collect()
}

/// Checks the vault's parameters after `epoch` are what the model says for the vault's state:
/// the model runs here (zkinfer's quantised forward pass) on the features the vault had at the
/// update's block, its outputs are packed as the circuit packs them, and the vault's own mapping
/// (`previewRiskUpdate`, on the parameters before the update) must give the parameters it now has.
async fn check_epoch(chain: &Chain, vault: Address, build: &Build, epoch: u64) -> [i64; 2] {
    let events = update_event(chain, vault, epoch).await;
    assert_eq!(events.len(), 1, "epoch {epoch} must be applied exactly once: {events:?}");
    let (block, new_ltv, new_rate) = events[0];
    let v = IAIRiskVault::new(vault, &chain.provider);
    let at = BlockId::number(block);
    let features = v.currentFeatures().block(at).call().await.unwrap();
    let features: Vec<i64> = features.iter().map(|f| i64::try_from(*f).unwrap()).collect();
    let inputs = vec![features.iter().map(|&f| f as i128).collect::<Vec<_>>()];
    let circuit = build.circuit_for(&inputs, Default::default()).unwrap();
    let outputs = circuit.layout.outputs[0].clone();
    let packing = build.public().packing.unwrap();
    let word = zkinfer::encoding::field::to_word(&packing.pack(&outputs)[0]);
    let before = v.previewRiskUpdate(word).block(BlockId::number(block - 1)).call().await.unwrap();
    assert_eq!((before.newLtv, before.newRate), (new_ltv, new_rate), "epoch {epoch}: the update is not the model's");
    assert_eq!(v.maxLtv().block(at).call().await.unwrap(), new_ltv);
    assert_eq!(v.borrowRate().block(at).call().await.unwrap(), new_rate);
    [outputs[0] as i64, outputs[1] as i64]
}

/// The keeper's JSON events (one object per stdout line).
fn events(log: &Path) -> Vec<Value> {
    read_log(log).lines().filter_map(|l| serde_json::from_str::<Value>(l).ok()).collect()
}

fn count(events: &[Value], kind: &str, epoch: u64) -> usize {
    events.iter().filter(|e| e["event"] == kind && e["epoch"] == epoch).count()
}

fn spawn_keeper(url: &str, vault: Address, build: &Path, key: &Path, state: &Path, log: &Path) -> Guarded {
    spawn_keeper_with(url, vault, build, key, state, log, &[])
}

fn spawn_keeper_with(
    url: &str,
    vault: Address,
    build: &Path,
    key: &Path,
    state: &Path,
    log: &Path,
    extra: &[&str],
) -> Guarded {
    let out = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
    let child = zkinfer()
        .args(["keeper", "--rpc", url, "--vault", &vault.to_string(), "--interval", "1", "--max-backoff", "2"])
        .args(extra)
        .arg("--build")
        .arg(build)
        .arg("--key-file")
        .arg(key)
        .arg("--state")
        .arg(state)
        .arg("--json")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Guarded::new(child, "keeper")
}

/// A local chain with the vault stack deployed by its forge script, the vault model built and a
/// keeper key file: what every test here starts from.
struct VaultStack {
    work: tempfile::TempDir,
    anvil: Anvil,
    /// Where anvil saves its state on SIGTERM (when started with one).
    chain_state: PathBuf,
    returns: Vec<(String, Address)>,
    vault: Address,
    build: Build,
    key: PathBuf,
    state: PathBuf,
}

impl VaultStack {
    fn deploy(persistent: bool) -> VaultStack {
        let work = tempfile::tempdir().unwrap();
        let chain_state = work.path().join("anvil-state.json");
        // A fresh chain per attempt: on these 2-core machines forge has (rarely) found the new
        // anvil's port refusing connections. A second chain, not a second script on the same one.
        let mut attempts = 0;
        let (anvil, returns) = loop {
            attempts += 1;
            let _ = std::fs::remove_file(&chain_state);
            let anvil = Anvil::start(None, persistent.then_some(chain_state.as_path())).unwrap();
            match forge_script("script/DeployVault.s.sol", &anvil.url) {
                Ok(returns) => break (anvil, returns),
                Err(e) if attempts < 3 => eprintln!("deploy attempt {attempts} failed, retrying on a new chain: {e}"),
                Err(e) => panic!("the vault stack did not deploy in {attempts} attempts: {e}"),
            }
        };
        let vault = returned(&returns, "vault").unwrap();
        // Each test starts a minute into a fresh epoch (not wherever the wall clock's hour is).
        rt().block_on(async { align_to_next_epoch(&deployer(&anvil.url).await).await });
        let build = build_vault_model(work.path()).unwrap();
        let key = key_file(work.path(), "keeper.key", KEEPER_KEY);
        let state = work.path().join("state.json");
        VaultStack { work, anvil, chain_state, returns, vault, build, key, state }
    }
}

#[test]
fn keeper_follows_the_vault_for_several_epochs() {
    let VaultStack { work, anvil, returns, vault, build, key, state, .. } = VaultStack::deploy(false);
    let (feed, asset) = (returned(&returns, "feed").unwrap(), returned(&returns, "asset").unwrap());
    let log = work.path().join("keeper.jsonl");
    let mut keeper = spawn_keeper(&anvil.url, vault, &build.dir, &key, &state, &log);

    rt().block_on(async {
        let chain = deployer(&anvil.url).await;
        let first = wait_applied(&chain, vault, &mut keeper, &log).await;
        let mut seen = vec![(first, check_epoch(&chain, vault, &build, first).await)];
        // Each epoch the market moves: a price drop, a repayment, a rally.
        let moves: [Vec<(Address, Vec<u8>)>; 3] = [
            vec![(
                feed,
                ILocalStack::reportCall { answer: alloy::primitives::I256::try_from(1700_0000_0000i64).unwrap() }
                    .abi_encode(),
            )],
            vec![
                (asset, ILocalStack::approveCall { spender: vault, amount: U256::MAX }.abi_encode()),
                (
                    vault,
                    IAIRiskVault::repayCall {
                        borrower: chain.account().unwrap(),
                        amount: U256::from(2500u64) * U256::from(10u64).pow(U256::from(18)),
                    }
                    .abi_encode(),
                ),
            ],
            vec![(
                feed,
                ILocalStack::reportCall { answer: alloy::primitives::I256::try_from(2300_0000_0000i64).unwrap() }
                    .abi_encode(),
            )],
        ];
        for txs in moves {
            for (to, data) in txs {
                send(&chain, to, data).await;
            }
            next_epoch(&chain).await;
            let epoch = wait_applied(&chain, vault, &mut keeper, &log).await;
            assert!(epoch > seen.last().unwrap().0);
            seen.push((epoch, check_epoch(&chain, vault, &build, epoch).await));
        }
        // The market moves changed what the model says.
        let outputs: std::collections::BTreeSet<[i64; 2]> = seen.iter().map(|(_, o)| *o).collect();
        assert!(outputs.len() >= 2, "the model's outputs never changed: {seen:?}");
        // Ctrl-C: a clean exit, and one submission per epoch in the keeper's own log.
        assert_eq!(keeper.stop_with("INT", Duration::from_secs(20)), Some(0), "{}", read_log(&log));
        let ev = events(&log);
        for (epoch, _) in &seen {
            assert_eq!(count(&ev, "submitted", *epoch), 1, "epoch {epoch}:\n{}", read_log(&log));
            assert_eq!(count(&ev, "applied", *epoch), 1, "epoch {epoch}:\n{}", read_log(&log));
            let applied = ev.iter().find(|e| e["event"] == "applied" && e["epoch"] == *epoch).unwrap();
            assert!(applied["gas_used"].as_u64().unwrap() > 300_000, "a verified update costs a proof check");
        }
        assert!(ev.iter().any(|e| e["event"] == "shutdown"));
    });
}

#[test]
fn keeper_survives_a_node_restart_and_its_own() {
    let VaultStack { work, mut anvil, chain_state, vault, build, key, state, .. } = VaultStack::deploy(true);
    let port = anvil.port;
    let log = work.path().join("keeper.jsonl");
    let mut keeper = spawn_keeper(&anvil.url, vault, &build.dir, &key, &state, &log);
    let url = anvil.url.clone();

    let first = rt().block_on(async {
        let chain = deployer(&url).await;
        wait_applied(&chain, vault, &mut keeper, &log).await
    });
    // The node goes away (anvil writes its state on SIGTERM) while the keeper keeps polling.
    anvil.stop();
    std::thread::sleep(Duration::from_secs(4));
    assert!(keeper.exited().is_none(), "the keeper must outlive an RPC outage:\n{}", read_log(&log));
    let ev = events(&log);
    assert!(ev.iter().any(|e| e["event"] == "error"), "the outage must be logged:\n{}", read_log(&log));
    let mut anvil = Anvil::start(Some(port), Some(&chain_state)).unwrap();

    rt().block_on(async {
        let chain = deployer(&anvil.url).await;
        resume_clock(&chain).await;
        assert_eq!(epochs(&chain, vault).await.1, first, "anvil restarted without its state");
        next_epoch(&chain).await;
        let second = wait_applied(&chain, vault, &mut keeper, &log).await;
        assert!(second > first);
        check_epoch(&chain, vault, &build, second).await;

        // The keeper restarts too (SIGTERM this time) and finds nothing left to do.
        assert_eq!(keeper.stop_with("TERM", Duration::from_secs(20)), Some(0));
        let log2 = work.path().join("keeper2.jsonl");
        let mut again = spawn_keeper(&anvil.url, vault, &build.dir, &key, &state, &log2);
        let deadline = Instant::now() + WAIT;
        while !read_log(&log2).contains("\"started\"") {
            assert!(again.exited().is_none() && Instant::now() < deadline, "{}", read_log(&log2));
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(again.stop_with("INT", Duration::from_secs(20)), Some(0));
        assert!(!read_log(&log2).contains("\"submitted\""), "a restarted keeper re-submitted:\n{}", read_log(&log2));
        assert_eq!(epochs(&chain, vault).await.1, second);
        let ev = events(&log);
        assert_eq!(count(&ev, "submitted", first), 1);
        assert_eq!(count(&ev, "submitted", second), 1, "{}", read_log(&log));
        let journal: Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
        assert_eq!(journal["epochs"][second.to_string()]["status"], "applied");
    });
    anvil.stop();
}

/// Waits (bounded) for the keeper's first `kind` event and returns it.
async fn wait_event(log: &Path, kind: &str, keeper: &mut Guarded) -> Value {
    let start = Instant::now();
    loop {
        if let Some(e) = events(log).into_iter().find(|e| e["event"] == kind) {
            return e;
        }
        assert!(keeper.exited().is_none(), "the keeper exited:\n{}", read_log(log));
        assert!(start.elapsed() < WAIT, "no '{kind}' event within {WAIT:?}:\n{}", read_log(log));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A keeper killed after journalling and sending its update, on a node that then loses the
/// transaction, comes back and re-sends the very same signed transaction: never a second one.
#[test]
fn a_crashed_keeper_resends_its_journalled_transaction_not_a_new_one() {
    let VaultStack { work, mut anvil, chain_state, vault, build, key, state, .. } = VaultStack::deploy(true);
    let port = anvil.port;
    let (log1, log2) = (work.path().join("keeper1.jsonl"), work.path().join("keeper2.jsonl"));
    let url = anvil.url.clone();

    let (epoch, sent) = rt().block_on(async {
        let chain = deployer(&url).await;
        // Nothing gets mined from here on: the update stays in the node's pool.
        let _: Value = chain.provider.raw_request("evm_setAutomine".into(), (false,)).await.unwrap();
        let mut keeper = spawn_keeper_with(&url, vault, &build.dir, &key, &state, &log1, &["--receipt-timeout", "1"]);
        let submitted = wait_event(&log1, "submitted", &mut keeper).await;
        wait_event(&log1, "pending", &mut keeper).await;
        // The crash: no clean shutdown, no chance to write anything more.
        keeper.stop_with("KILL", Duration::from_secs(5));
        let epoch = submitted["epoch"].as_u64().unwrap();
        (epoch, submitted["tx"].as_str().unwrap().to_string())
    });
    let journal: Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(journal["epochs"][epoch.to_string()]["status"], "submitted");
    // The node restarts from its saved state; its transaction pool is gone.
    anvil.stop();
    let anvil = Anvil::start(Some(port), Some(&chain_state)).unwrap();

    rt().block_on(async {
        let chain = deployer(&anvil.url).await;
        resume_clock(&chain).await;
        assert!(epochs(&chain, vault).await.1 < epoch, "the update must not have been mined yet");
        let mut keeper = spawn_keeper(&anvil.url, vault, &build.dir, &key, &state, &log2);
        let applied = wait_event(&log2, "applied", &mut keeper).await;
        assert_eq!(applied["tx"].as_str().unwrap(), sent, "the restarted keeper must send the journalled transaction");
        assert_eq!(applied["epoch"].as_u64().unwrap(), epoch);
        assert_eq!(keeper.stop_with("INT", Duration::from_secs(20)), Some(0));
        let ev2 = events(&log2);
        assert_eq!(count(&ev2, "submitted", epoch), 0, "a second transaction was signed:\n{}", read_log(&log2));
        assert!(ev2.iter().any(|e| e["event"] == "rebroadcast" || e["event"] == "pending"), "{}", read_log(&log2));
        assert_eq!(epochs(&chain, vault).await.1, epoch);
        check_epoch(&chain, vault, &build, epoch).await;
    });
}

/// An update stuck in the pool is replaced at the same nonce with higher fees; whichever gets
/// mined, the epoch is applied once, and the journal knows every hash it sent.
#[test]
fn a_stuck_update_is_replaced_at_the_same_nonce() {
    let VaultStack { work, anvil, vault, build, key, state, .. } = VaultStack::deploy(false);
    let log = work.path().join("keeper.jsonl");
    rt().block_on(async {
        let chain = deployer(&anvil.url).await;
        // Nothing is mined until the test says so.
        let _: Value = chain.provider.raw_request("evm_setAutomine".into(), (false,)).await.unwrap();
        let mut keeper = spawn_keeper_with(
            &anvil.url,
            vault,
            &build.dir,
            &key,
            &state,
            &log,
            &["--receipt-timeout", "1", "--replace-after", "2"],
        );
        let submitted = wait_event(&log, "submitted", &mut keeper).await;
        let replaced = wait_event(&log, "replaced", &mut keeper).await;
        assert_eq!(replaced["old_tx"], submitted["tx"]);
        assert_ne!(replaced["tx"], submitted["tx"]);
        let _: Value = chain.provider.raw_request("evm_mine".into(), ()).await.unwrap();
        let applied = wait_event(&log, "applied", &mut keeper).await;
        let epoch = applied["epoch"].as_u64().unwrap();
        assert_eq!(keeper.stop_with("INT", Duration::from_secs(20)), Some(0));
        // One of the transactions at that nonce was mined, once; the journal names it and the
        // ones it replaced.
        let ev = events(&log);
        assert_eq!(count(&ev, "submitted", epoch), 1, "{}", read_log(&log));
        assert_eq!(epochs(&chain, vault).await.1, epoch);
        assert_eq!(update_event(&chain, vault, epoch).await.len(), 1);
        let journal: Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
        let rec = &journal["epochs"][epoch.to_string()];
        assert_eq!(rec["status"], "applied");
        assert_eq!(rec["tx_hash"], applied["tx"]);
        let sent: Vec<&Value> = ev.iter().filter(|e| e["event"] == "replaced").map(|e| &e["old_tx"]).collect();
        assert_eq!(rec["replaced"].as_array().unwrap().iter().collect::<Vec<_>>(), sent);
    });
}

/// An update proved in one epoch and mined in the next (the chain's clock set on purpose, not the
/// wall clock's top of the hour): the vault applies it as the next epoch, and the keeper's log and
/// journal say the epoch the vault recorded, not the one it proved in, and it sends nothing more.
#[test]
fn an_update_mined_after_the_epoch_boundary_is_the_next_epochs() {
    let VaultStack { work, anvil, vault, build, key, state, .. } = VaultStack::deploy(false);
    let log = work.path().join("keeper.jsonl");
    rt().block_on(async {
        let chain = deployer(&anvil.url).await;
        // Two epochs on, the position has been held through the whole previous epoch and the
        // next: both epochs' time-weighted inputs are the same, so the proof signed in one is
        // still the vault's input in the next (the case where a late inclusion is accepted).
        let _: Value = chain.provider.raw_request("evm_increaseTime".into(), (2 * 3600u64,)).await.unwrap();
        let _: Value = chain.provider.raw_request("evm_mine".into(), ()).await.unwrap();
        let _: Value = chain.provider.raw_request("evm_setAutomine".into(), (false,)).await.unwrap();
        let mut keeper =
            spawn_keeper_with(&anvil.url, vault, &build.dir, &key, &state, &log, &["--receipt-timeout", "1"]);
        let submitted = wait_event(&log, "submitted", &mut keeper).await;
        let signed_in = submitted["epoch"].as_u64().unwrap();
        // The next block is the first second of the next epoch.
        let length: u64 =
            IAIRiskVault::new(vault, &chain.provider).EPOCH_LENGTH().call().await.unwrap().try_into().unwrap();
        let boundary = (signed_in + 1) * length;
        let _: Value = chain.provider.raw_request("evm_setNextBlockTimestamp".into(), (boundary,)).await.unwrap();
        let _: Value = chain.provider.raw_request("evm_mine".into(), ()).await.unwrap();
        let applied = wait_event(&log, "applied", &mut keeper).await;
        assert_eq!(
            applied["epoch"].as_u64().unwrap(),
            signed_in + 1,
            "the epoch the vault recorded:\n{}",
            read_log(&log)
        );
        assert_eq!(applied["tx"], submitted["tx"]);
        assert_eq!(epochs(&chain, vault).await.1, signed_in + 1);
        assert_eq!(update_event(&chain, vault, signed_in + 1).await.len(), 1);
        // The keeper sees its epoch applied and signs nothing more for it.
        let _: Value = chain.provider.raw_request("evm_setAutomine".into(), (true,)).await.unwrap();
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(keeper.stop_with("INT", Duration::from_secs(20)), Some(0));
        let ev = events(&log);
        assert_eq!(ev.iter().filter(|e| e["event"] == "submitted").count(), 1, "{}", read_log(&log));
        let journal: Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
        assert_eq!(journal["epochs"][(signed_in + 1).to_string()]["status"], "applied");
        assert!(journal["epochs"][signed_in.to_string()].is_null(), "no record left under the epoch it was signed in");
    });
}

/// Runs the keeper with `--once` and returns (exit code, stderr).
fn keeper_once(url: &str, vault: Address, build: &Path, key: &Path) -> (Option<i32>, String) {
    let start = Instant::now();
    let out = zkinfer()
        .args(["keeper", "--rpc", url, "--vault", &vault.to_string(), "--once"])
        .arg("--build")
        .arg(build)
        .arg("--key-file")
        .arg(key)
        .arg("--state")
        .arg(build.join("once-state.json"))
        .output()
        .unwrap();
    assert!(start.elapsed() < Duration::from_secs(60), "a misconfigured keeper must fail fast");
    (out.status.code(), String::from_utf8_lossy(&out.stderr).to_string())
}

#[test]
fn misconfigured_keepers_fail_fast_and_deploy_and_mint_work() {
    let VaultStack { work, anvil, returns: stack, vault, build, key, .. } = VaultStack::deploy(false);

    // Unreachable RPC.
    let dead = format!("http://127.0.0.1:{}", zkinfer::testing::anvil::free_port().unwrap());
    let (code, err) = keeper_once(&dead, vault, &build.dir, &key);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("cannot reach the RPC"), "{err}");
    // A key file that holds no key, and a key whose account has no ETH.
    let (code, err) = keeper_once(&anvil.url, vault, &build.dir, &key_file(work.path(), "bad.key", "hello"));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("expected a private key"), "{err}");
    let broke = key_file(work.path(), "broke.key", &format!("{:#x}", keccak256("nobody funds this")));
    let (code, err) = keeper_once(&anvil.url, vault, &build.dir, &broke);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("has no ETH"), "{err}");
    // Another model: same shape, other lanes, so another verifying key.
    let other = work.path().join("other");
    zkinfer::pipeline::compile(&zkinfer::pipeline::CompileRequest {
        model: &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/defi-vault/model/network.onnx"),
        calibration: &zkinfer::testing::evm_fixtures::vault_calibration(),
        options: zkinfer::pipeline::CalibrationOptions {
            lanes: Some(build.settings.layout.lanes + 2),
            ..zkinfer::testing::evm_fixtures::fixture_options()
        },
        out_dir: &other,
        like: None,
        holdout: None,
    })
    .unwrap();
    let other_build = Build::open(&other).unwrap();
    zkinfer::pipeline::setup(&other_build, &zkinfer::pipeline::SrsSource::Dev).unwrap();
    let (code, err) = keeper_once(&anvil.url, vault, &other, &key);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("wrong model") && err.contains("verifying key"), "{err}");
    // Not a vault at all.
    let (code, err) = keeper_once(&anvil.url, returned(&stack, "asset").unwrap(), &build.dir, &key);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("does not answer as an AIRiskVault"), "{err}");
    // And the right configuration settles the epoch in one go.
    let (code, err) = keeper_once(&anvil.url, vault, &build.dir, &key);
    assert_eq!(code, Some(0), "{err}");

    // `zkinfer deploy`: the deployed verifier accepts the vault fixture's proof.
    let out = zkinfer()
        .args(["deploy", "--rpc", &anvil.url, "--json"])
        .arg(&build.dir)
        .arg("--key-file")
        .arg(&key)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    let verifier: Address = d["deployment"]["verifier"].as_str().unwrap().parse().unwrap();
    let fixture: zkinfer::artifacts::ProofFile = zkinfer::artifacts::read_json(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("contracts/test/fixtures/vault_risk.proof.json"),
    )
    .unwrap();
    let parsed = fixture.parse().unwrap();
    let proof = parsed.bytes;
    let mut instances: Vec<U256> = parsed.instances.iter().map(zkinfer::encoding::field::to_word).collect();

    // `zkinfer mint-aigc` on the NFT stack, with a prompt no fixture has.
    let nft_stack = forge_script("script/DeployNFT.s.sol", &anvil.url).unwrap();
    let nft = returned(&nft_stack, "nft").unwrap();
    let aigc = build_aigc_model(work.path()).unwrap();
    let prompt = "a lighthouse in a storm";
    let mint = |json: bool| {
        let mut c = zkinfer();
        c.args(["mint-aigc", "--rpc", &anvil.url, "--nft", &nft.to_string(), "--prompt", prompt])
            .arg("--build")
            .arg(&aigc.dir)
            .arg("--key-file")
            .arg(&key);
        if json {
            c.arg("--json");
        }
        c.output().unwrap()
    };
    let out = mint(true);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let m: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(m["mint"]["minted"], true);
    let again = mint(false);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already has its content"));

    rt().block_on(async {
        let chain = deployer(&anvil.url).await;
        let v = IZkinferVerifier::new(verifier, &chain.provider);
        assert!(v.verifyProof(Bytes::from(proof.clone()), instances.clone()).call().await.unwrap());
        instances[1] ^= U256::from(1);
        assert!(v.verifyProof(Bytes::from(proof), instances).call().await.is_err(), "a forged output must revert");

        let n = IZkinferAIGCNFT::new(nft, &chain.provider);
        let token = U256::from_be_bytes(keccak256(prompt).0);
        let keeper_account = PrivateKeySigner::from_str(KEEPER_KEY).unwrap().address();
        assert_eq!(n.ownerOf(token).call().await.unwrap(), keeper_account);
        let pixels: Vec<i64> = serde_json::from_value(m["mint"]["pixels"].clone()).unwrap();
        let content = zkinfer::chain::aigc::aigc_data(&pixels).unwrap();
        assert_eq!(n.aigcDataHash(token).call().await.unwrap(), keccak256(&content));
        // The pixels are the model's output on the prompt's features.
        let features = zkinfer::chain::aigc::prompt_features(prompt.as_bytes(), aigc.scale());
        let fixed = vec![features.iter().map(|&f| f as i128).collect::<Vec<_>>()];
        let circuit = aigc.circuit_for(&fixed, Default::default()).unwrap();
        let expected: Vec<i64> = circuit.layout.outputs[0].iter().map(|&v| v as i64).collect();
        assert_eq!(pixels, expected);
        // The local commitment is the contract's.
        let salt = alloy::primitives::B256::repeat_byte(9);
        let onchain =
            n.commitmentOf(keeper_account, Bytes::from(prompt.as_bytes().to_vec()), salt).call().await.unwrap();
        assert_eq!(onchain, zkinfer::chain::aigc::commitment(keeper_account, prompt.as_bytes(), salt));
    });
}

/// The vault's tree option (examples/defi-vault/tree-model: two gradient-boosted ensembles, Concat,
/// Sigmoid), as the walkthrough in examples/defi-vault/README.md runs it: compiled with default
/// flags, its verifier deployed by `zkinfer deploy`, the vault deployed on that verifier by the
/// forge script (`RISK_VERIFIER`), and the keeper applying the model's outputs for two epochs,
/// each checked against the quantised model run on the vault's own features.
#[test]
fn a_tree_model_governs_the_vault() {
    let work = tempfile::tempdir().unwrap();
    let model = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/defi-vault/tree-model");
    let dir = work.path().join("vault-trees");
    let run = |c: &mut Command| {
        let out = c.output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    run(zkinfer()
        .arg("compile")
        .arg(model.join("network.onnx"))
        .arg("--calibrate")
        .arg(model.join("calibration.json"))
        .arg("-o")
        .arg(&dir));
    run(zkinfer().arg("setup").arg(&dir).arg("--dev-srs"));
    let build = Build::open(&dir).unwrap();
    assert!(build.settings.calibration.budget_met);

    let anvil = Anvil::start(None, None).unwrap();
    let deployer_key = key_file(work.path(), "deployer.key", DEPLOYER_KEY);
    let d: Value = serde_json::from_slice(&run(zkinfer()
        .args(["deploy", "--rpc", &anvil.url, "--json"])
        .arg(&dir)
        .arg("--key-file")
        .arg(&deployer_key)))
    .unwrap();
    let verifier = d["deployment"]["verifier"].as_str().unwrap().to_string();
    let stack =
        forge_script_with_env("script/DeployVault.s.sol", &anvil.url, &[("RISK_VERIFIER", verifier.clone())]).unwrap();
    let vault = returned(&stack, "vault").unwrap();
    assert_eq!(returned(&stack, "verifier").unwrap().to_string().to_lowercase(), verifier.to_lowercase());
    let feed = returned(&stack, "feed").unwrap();
    let key = key_file(work.path(), "keeper.key", KEEPER_KEY);

    rt().block_on(async {
        let chain = deployer(&anvil.url).await;
        let v = IAIRiskVault::new(vault, &chain.provider);
        assert_eq!(v.FEATURE_SCALE().call().await.unwrap(), U256::from(build.scale().bits()));
        align_to_next_epoch(&chain).await;
        let mut outputs = Vec::new();
        for price in [None, Some(1600u64)] {
            if let Some(p) = price {
                let push =
                    ILocalStack::reportCall { answer: alloy::primitives::I256::try_from(p * 100_000_000).unwrap() };
                send(&chain, feed, push.abi_encode()).await;
                next_epoch(&chain).await;
            }
            let (code, err) = keeper_once(&anvil.url, vault, &dir, &key);
            assert_eq!(code, Some(0), "{err}");
            let (current, applied) = epochs(&chain, vault).await;
            assert_eq!(applied, current, "the keeper settled the epoch");
            outputs.push(check_epoch(&chain, vault, &build, applied).await);
        }
        // A 20% price fall raises volatility and drawdown: the model lowers the LTV it proposes.
        assert!(outputs[1][0] < outputs[0][0], "the tree model ignored a price fall: {outputs:?}");
    });
}
