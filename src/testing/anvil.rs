//! Local chains for the on-chain tests: an anvil on a free loopback port, forge deploy scripts,
//! and a guard that stops every process it started, even when a test fails half-way.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use alloy::primitives::Address;

use crate::error::ZkError;

/// Anvil's first two development keys: 0 deploys and owns, 1 runs keepers and mints.
pub const DEPLOYER_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
pub const KEEPER_KEY: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A child process that is stopped (SIGTERM, then SIGKILL after a grace period) when dropped.
pub struct Guarded {
    pub child: Option<Child>,
    pub name: String,
}

impl Guarded {
    pub fn new(child: Child, name: &str) -> Guarded {
        Guarded { child: Some(child), name: name.to_string() }
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// Sends `signal` (e.g. "TERM", "INT") and waits up to `grace` for the exit; kills after that.
    /// Returns the exit code if the process exited by itself.
    pub fn stop_with(&mut self, signal: &str, grace: Duration) -> Option<i32> {
        let mut child = self.child.take()?;
        if let Ok(Some(status)) = child.try_wait() {
            return status.code();
        }
        let _ = Command::new("kill").arg(format!("-{signal}")).arg(child.id().to_string()).status();
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        None
    }

    /// Whether the process has exited (and with what code).
    pub fn exited(&mut self) -> Option<Option<i32>> {
        let child = self.child.as_mut()?;
        match child.try_wait() {
            Ok(Some(status)) => Some(status.code()),
            _ => None,
        }
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        self.stop_with("TERM", Duration::from_secs(5));
    }
}

/// A free TCP port on 127.0.0.1 (free when asked; the OS does not reserve it).
///
/// A port is never handed out twice in one process: a test that stops its anvil and restarts it on
/// the same port (to simulate a node restart) must not find another test's anvil there, which
/// would answer the connection check in its place.
pub fn free_port() -> Result<u16, ZkError> {
    static HANDED_OUT: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut handed_out = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
    for _ in 0..100 {
        let l = TcpListener::bind("127.0.0.1:0").map_err(|e| ZkError::internal(format!("no free port: {e}")))?;
        let port = l.local_addr().map(|a| a.port()).map_err(|e| ZkError::internal(e.to_string()))?;
        if !handed_out.contains(&port) {
            handed_out.push(port);
            return Ok(port);
        }
    }
    Err(ZkError::internal("no port that this process has not used already"))
}

/// A running anvil.
pub struct Anvil {
    pub port: u16,
    pub url: String,
    pub process: Guarded,
}

impl Anvil {
    /// Starts anvil on 127.0.0.1:`port` (a free one if `None`); with `state`, anvil loads that file
    /// if it exists and writes its state there when stopped with SIGTERM.
    pub fn start(port: Option<u16>, state: Option<&Path>) -> Result<Anvil, ZkError> {
        let port = match port {
            Some(p) => p,
            None => free_port()?,
        };
        let anvil = crate::evm::solc::find_anvil()?;
        let mut cmd = Command::new(anvil);
        cmd.args(["--host", "127.0.0.1", "--port", &port.to_string(), "--silent"]);
        if let Some(s) = state {
            cmd.arg("--state").arg(s);
        }
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| ZkError::internal(format!("could not start anvil: {e}")))?;
        let mut process = Guarded::new(child, "anvil");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            if let Some(code) = process.exited() {
                return Err(ZkError::internal(format!("anvil exited at start (code {code:?}); port {port} taken?")));
            }
            if Instant::now() > deadline {
                return Err(ZkError::internal("anvil did not open its port within 30 s"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Anvil { port, url: format!("http://127.0.0.1:{port}"), process })
    }

    /// Stops anvil with SIGTERM (so it writes its `--state` file).
    pub fn stop(&mut self) {
        self.process.stop_with("TERM", Duration::from_secs(10));
    }
}

/// Runs a forge script against `rpc` as the deployer and returns its `name: type 0xaddress`
/// return values.
pub fn forge_script(script: &str, rpc: &str) -> Result<Vec<(String, Address)>, ZkError> {
    forge_script_with_env(script, rpc, &[])
}

/// [`forge_script`] with environment variables for the script (`VM.envOr`).
pub fn forge_script_with_env(
    script: &str,
    rpc: &str,
    env: &[(&str, String)],
) -> Result<Vec<(String, Address)>, ZkError> {
    // Tests run in parallel threads; concurrent forge runs would race on out/ and cache/.
    static FORGE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = FORGE.lock().unwrap_or_else(|p| p.into_inner());
    let forge = crate::evm::solc::find_forge()?;
    // `--slow` sends each transaction only after the previous one is mined. Without it forge
    // sends them all at once over several connections; anvil has been seen to lose one, queue
    // every later nonce behind the gap and leave forge waiting for receipts forever.
    let mut child = Command::new(forge)
        .current_dir(crate_root())
        .args(["script", script, "--rpc-url", rpc, "--broadcast", "--slow", "--private-key", DEPLOYER_KEY])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| ZkError::internal(format!("forge script: {e}")))?;
    // Read both pipes on threads so a chatty forge never blocks on a full pipe while we wait.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_string(&mut s);
            }
            s
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let deadline = Instant::now() + Duration::from_secs(180);
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| ZkError::internal(format!("forge script: {e}")))? {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let text = stdout.join().unwrap_or_default() + &stderr.join().unwrap_or_default();
    let Some(status) = status else {
        return Err(ZkError::internal(format!("forge script {script} did not finish within 180 s:\n{text}")));
    };
    if !status.success() {
        return Err(ZkError::internal(format!("forge script {script} failed:\n{text}")));
    }
    let mut returns = Vec::new();
    let mut in_returns = false;
    for line in text.lines() {
        if line.contains("== Return ==") {
            in_returns = true;
            continue;
        }
        if in_returns && line.starts_with("==") {
            break;
        }
        if in_returns {
            if let (Some((name, _)), Some(addr)) = (line.split_once(':'), line.split_whitespace().last()) {
                if let Ok(a) = addr.parse::<Address>() {
                    returns.push((name.trim().to_string(), a));
                }
            }
        }
    }
    if returns.is_empty() {
        return Err(ZkError::internal(format!("forge script {script} printed no return values:\n{text}")));
    }
    Ok(returns)
}

/// The address a forge script returned under `name`.
pub fn returned(returns: &[(String, Address)], name: &str) -> Result<Address, ZkError> {
    returns
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, a)| *a)
        .ok_or_else(|| ZkError::internal(format!("the script returned no '{name}' ({returns:?})")))
}

/// Reads a file that another process is still appending to.
pub fn read_log(path: &Path) -> String {
    let mut s = String::new();
    if let Ok(mut f) = std::fs::File::open(path) {
        let _ = f.read_to_string(&mut s);
    }
    s
}
