//! Compiles generated Solidity with the project's own solc (solc-js 0.8.30 behind `.tools/bin/solc`)
//! and the settings in `foundry.toml`, so that the bytecode and gas measured in-process are the ones
//! forge would produce and deploy. The settings are read from the one file forge also reads; a second
//! copy here would let the two paths drift apart silently.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{json, Value};

use crate::error::ZkError;

/// Embedded at build time so an installed binary, far from the checkout, still compiles with the
/// settings forge uses; editing the file triggers a rebuild through `include_str!`.
const FOUNDRY_TOML: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/foundry.toml"));

/// Relative location of the solc launcher that `scripts/bootstrap-tools.sh` installs.
const TOOLS_SOLC: &str = ".tools/bin/solc";

/// The `foundry.toml` settings that change bytecode (and therefore gas).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileSettings {
    pub optimizer: bool,
    pub optimizer_runs: u32,
    pub evm_version: String,
}

/// The settings from `[profile.default]` of the `foundry.toml` this crate was built with.
pub fn compile_settings() -> Result<CompileSettings, ZkError> {
    parse_settings(FOUNDRY_TOML).map_err(|e| e.context("foundry.toml (embedded at build time)"))
}

/// A line-based reader for the three keys we need, because pulling in a TOML parser for three
/// scalars is not worth a dependency. Only `[profile.default]` counts: other profiles are forge's
/// business and must not leak into the default compile.
fn parse_settings(text: &str) -> Result<CompileSettings, ZkError> {
    let mut in_default = false;
    let mut optimizer = None;
    let mut optimizer_runs = None;
    let mut evm_version = None;
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = strip_comment(raw).trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with('[') && !line.contains('=') {
            in_default = line == "[profile.default]";
            continue;
        }
        if !in_default {
            continue;
        }
        // Array continuation lines (e.g. of `libs = [...]`) have no `=`; none of our keys are arrays.
        let Some((key, value)) = line.split_once('=') else { continue };
        let (key, value) = (key.trim(), value.trim());
        let slot_taken = match key {
            "optimizer" => optimizer.replace(parse_bool(value, line_no)?).is_some(),
            "optimizer_runs" => optimizer_runs.replace(parse_u32(value, line_no)?).is_some(),
            "evm_version" => evm_version.replace(parse_string(value, line_no)?).is_some(),
            _ => false,
        };
        if slot_taken {
            return Err(ZkError::internal(format!("line {line_no}: `{key}` is set twice in [profile.default]")));
        }
    }
    let missing = |key: &str| ZkError::internal(format!("[profile.default] has no `{key} = ...` line"));
    Ok(CompileSettings {
        optimizer: optimizer.ok_or_else(|| missing("optimizer"))?,
        optimizer_runs: optimizer_runs.ok_or_else(|| missing("optimizer_runs"))?,
        evm_version: evm_version.ok_or_else(|| missing("evm_version"))?,
    })
}

/// Cuts a `# comment`, leaving a `#` inside a double-quoted string alone.
fn strip_comment(line: &str) -> &str {
    let mut in_string = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => in_string = !in_string,
            '#' if !in_string => return &line[..i],
            _ => {}
        }
    }
    line
}

fn parse_bool(value: &str, line_no: usize) -> Result<bool, ZkError> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(ZkError::internal(format!("line {line_no}: expected true or false, found `{value}`"))),
    }
}

fn parse_u32(value: &str, line_no: usize) -> Result<u32, ZkError> {
    // TOML allows `1_000` digit separators.
    value
        .replace('_', "")
        .parse()
        .map_err(|_| ZkError::internal(format!("line {line_no}: expected an unsigned integer, found `{value}`")))
}

fn parse_string(value: &str, line_no: usize) -> Result<String, ZkError> {
    let inner = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')));
    match inner {
        Some(s) if !s.is_empty() => Ok(s.to_string()),
        _ => Err(ZkError::internal(format!("line {line_no}: expected a quoted string, found `{value}`"))),
    }
}

/// Finds the solc launcher. The checkout this crate was built from comes before the working
/// directory because tests and `cargo run` should use the pinned compiler no matter where they
/// start; the ancestor walk covers an installed binary run inside some checkout.
pub fn find_solc() -> Result<PathBuf, ZkError> {
    find_tool("solc", "ZKINFER_SOLC", TOOLS_SOLC)
}

/// Finds the project's forge (for `forge fmt`), the same way as [`find_solc`].
pub fn find_forge() -> Result<PathBuf, ZkError> {
    find_tool("forge", "ZKINFER_FORGE", ".tools/bin/forge")
}

/// Finds the project's anvil (local chain for the on-chain tests and the demo).
pub fn find_anvil() -> Result<PathBuf, ZkError> {
    find_tool("anvil", "ZKINFER_ANVIL", ".tools/bin/anvil")
}

fn find_tool(name: &str, env_var: &str, relative: &str) -> Result<PathBuf, ZkError> {
    if let Some(path) = std::env::var_os(env_var) {
        let path = PathBuf::from(path);
        if path.is_file() {
            return Ok(path);
        }
        return Err(ZkError::input(format!("${env_var} points at {}, which is not a file", path.display())));
    }
    let built_from = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    if built_from.is_file() {
        return Ok(built_from);
    }
    if let Ok(cwd) = std::env::current_dir() {
        if let Some(found) = cwd.ancestors().map(|dir| dir.join(relative)).find(|p| p.is_file()) {
            return Ok(found);
        }
    }
    Err(ZkError::input(format!(
        "{name} not found: looked for ${env_var}, {} and {relative} in the current directory and its \
         ancestors; run `make tools` (or `bash scripts/bootstrap-tools.sh`) in the zkinfer checkout, or set \
         {env_var}",
        built_from.display()
    )))
}

/// Formats Solidity with the project's `forge fmt` (default style), so generated contracts pass
/// `forge fmt --check` in the projects that consume them.
pub fn format_solidity(source: &str) -> Result<String, ZkError> {
    let forge = find_forge()?;
    let mut child = Command::new(&forge)
        .args(["fmt", "--raw", "-"])
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| ZkError::internal(format!("could not run {}: {e}", forge.display())))?;
    let mut stdin = child.stdin.take().unwrap();
    let input = source.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().map_err(|e| ZkError::internal(format!("forge fmt: {e}")))?;
    let _ = writer.join();
    if !out.status.success() {
        return Err(ZkError::internal(format!("forge fmt failed: {}", String::from_utf8_lossy(&out.stderr))));
    }
    String::from_utf8(out.stdout).map_err(|e| ZkError::internal(format!("forge fmt output: {e}")))
}

/// The compiler version string, e.g. `0.8.30+commit.73712a01.Emscripten.clang`.
pub fn solc_version() -> Result<String, ZkError> {
    let solc = find_solc()?;
    let output = Command::new(&solc)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| ZkError::internal(format!("cannot run {}: {e}", solc.display())))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(ZkError::internal(format!(
            "{} --version failed ({}): {}",
            solc.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    stdout
        .lines()
        .find_map(|line| line.trim().strip_prefix("Version:"))
        .map(|v| v.trim().to_string())
        .ok_or_else(|| ZkError::internal(format!("{} --version printed no `Version:` line", solc.display())))
}

/// The output of one contract, with the non-fatal diagnostics kept so callers can surface them.
#[derive(Debug, Clone)]
pub struct CompiledContract {
    pub creation_code: Vec<u8>,
    pub runtime_code: Vec<u8>,
    pub warnings: Vec<String>,
}

/// Compiles `source` as the single file `file_name` and returns `contract_name` from it.
pub fn compile(source: &str, file_name: &str, contract_name: &str) -> Result<CompiledContract, ZkError> {
    let settings = compile_settings()?;
    let input = standard_json_input(source, file_name, &settings);
    let solc = find_solc()?;
    let output = run_standard_json(&solc, &input)?;
    parse_output(&output, file_name, contract_name)
}

fn standard_json_input(source: &str, file_name: &str, settings: &CompileSettings) -> Value {
    json!({
        "language": "Solidity",
        "sources": { file_name: { "content": source } },
        "settings": {
            "optimizer": { "enabled": settings.optimizer, "runs": settings.optimizer_runs },
            "evmVersion": settings.evm_version,
            "outputSelection": {
                "*": { "*": ["evm.bytecode.object", "evm.deployedBytecode.object"] }
            }
        }
    })
}

fn run_standard_json(solc: &Path, input: &Value) -> Result<Value, ZkError> {
    let run_err = |e: std::io::Error| ZkError::internal(format!("cannot run {}: {e}", solc.display()));
    let mut child = Command::new(solc)
        .arg("--standard-json")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(run_err)?;
    let body = input.to_string();
    let mut stdin = child.stdin.take().ok_or_else(|| ZkError::internal("solc stdin was not piped"))?;
    // Written from another thread so a compiler that starts talking before it has read all of its
    // input cannot deadlock against us on full pipe buffers.
    let writer = std::thread::spawn(move || stdin.write_all(body.as_bytes()));
    let output = child.wait_with_output().map_err(run_err)?;
    let written = writer.join().map_err(|_| ZkError::internal("thread writing to solc panicked"))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(ZkError::internal(format!(
            "{} --standard-json failed ({}): {}",
            solc.display(),
            output.status,
            stderr.trim()
        )));
    }
    written.map_err(|e| ZkError::internal(format!("writing the input to {}: {e}", solc.display())))?;
    serde_json::from_slice(&output.stdout).map_err(|e| {
        ZkError::internal(format!("{} printed invalid standard JSON ({e}); stderr: {}", solc.display(), stderr.trim()))
    })
}

fn parse_output(output: &Value, file_name: &str, contract_name: &str) -> Result<CompiledContract, ZkError> {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for diagnostic in output["errors"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let text = diagnostic["formattedMessage"]
            .as_str()
            .or_else(|| diagnostic["message"].as_str())
            .unwrap_or("(solc diagnostic without a message)")
            .trim_end()
            .to_string();
        if diagnostic["severity"].as_str() == Some("error") {
            errors.push(text);
        } else {
            warnings.push(text);
        }
    }
    if !errors.is_empty() {
        return Err(ZkError::internal(format!("solc rejected {file_name}:\n{}", errors.join("\n"))));
    }
    let contract = &output["contracts"][file_name][contract_name];
    if contract.is_null() {
        let available: Vec<&str> = output["contracts"][file_name]
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        return Err(ZkError::internal(format!(
            "solc output has no contract `{contract_name}` in {file_name} (found: {})",
            if available.is_empty() { "none".to_string() } else { available.join(", ") }
        )));
    }
    let bytecode = |field: &str| -> Result<Vec<u8>, ZkError> {
        let object = contract["evm"][field]["object"]
            .as_str()
            .ok_or_else(|| ZkError::internal(format!("solc output lacks evm.{field}.object for {contract_name}")))?;
        if object.is_empty() {
            return Err(ZkError::internal(format!(
                "{contract_name} has empty evm.{field} (abstract contract or interface?)"
            )));
        }
        hex::decode(object.trim_start_matches("0x")).map_err(|e| {
            ZkError::internal(format!(
                "evm.{field}.object of {contract_name} is not plain hex ({e}); unlinked libraries are not supported"
            ))
        })
    };
    Ok(CompiledContract { creation_code: bytecode("bytecode")?, runtime_code: bytecode("deployedBytecode")?, warnings })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn compile_settings_match_foundry_toml() {
        let settings = compile_settings().unwrap();
        // Cross-check against the checked-in file by a different route than the parser under test.
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/foundry.toml")).unwrap();
        let value_of = |key: &str| {
            text.lines()
                .map(str::trim)
                .find(|l| l.split('=').next().map(str::trim) == Some(key))
                .and_then(|l| l.split_once('=').map(|(_, v)| v.split('#').next().unwrap().trim().trim_matches('"')))
                .unwrap_or_else(|| panic!("foundry.toml has no {key}"))
                .to_string()
        };
        assert_eq!(settings.optimizer.to_string(), value_of("optimizer"));
        assert_eq!(settings.optimizer_runs.to_string(), value_of("optimizer_runs"));
        assert_eq!(settings.evm_version, value_of("evm_version"));
    }

    #[test]
    fn parser_reads_only_the_default_profile() {
        let text = r#"
# header comment
[profile.ci]
optimizer_runs = 1
[profile.default]
libs = [
    "node_modules",
]
optimizer = false # trailing comment
optimizer_runs = 1_000
evm_version = "cancun" # "quoted # in comment"
[profile.other]
evm_version = "london"
"#;
        let settings = parse_settings(text).unwrap();
        assert_eq!(
            settings,
            CompileSettings { optimizer: false, optimizer_runs: 1000, evm_version: "cancun".to_string() }
        );
    }

    #[test]
    fn parser_rejects_missing_and_duplicate_keys() {
        let missing = parse_settings("[profile.default]\noptimizer = true\n").unwrap_err();
        assert!(missing.message.contains("optimizer_runs"), "{missing}");
        let twice = parse_settings(
            "[profile.default]\noptimizer = true\noptimizer = false\noptimizer_runs = 1\nevm_version = \"x\"\n",
        )
        .unwrap_err();
        assert!(twice.message.contains("set twice"), "{twice}");
    }

    /// The test contract shared with the runner tests.
    pub(crate) const TEST_SOURCE: &str = r#"// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

contract Test {
    error Nope(uint256 code);

    function add(uint256 a, uint256 b) external pure returns (uint256) {
        return a + b;
    }

    function fail(uint256 code) external pure {
        revert Nope(code);
    }
}
"#;

    /// Fails, rather than skips, without solc: CI installs it with `make tools` before testing.
    pub(crate) fn compile_test_contract() -> CompiledContract {
        if let Err(e) = find_solc() {
            panic!("these tests need the project's solc: {e}");
        }
        compile(TEST_SOURCE, "Test.sol", "Test").unwrap_or_else(|e| panic!("compiling Test.sol: {e}"))
    }

    #[test]
    fn compiles_test_contract() {
        let compiled = compile_test_contract();
        assert!(!compiled.runtime_code.is_empty());
        assert!(compiled.creation_code.len() > compiled.runtime_code.len());
        assert!(compiled.warnings.is_empty(), "unexpected warnings: {:?}", compiled.warnings);
    }

    #[test]
    fn reports_compile_errors_and_warnings() {
        let err = compile("pragma solidity ^0.8.0; contract Broken { function f() { } }", "Broken.sol", "Broken")
            .unwrap_err();
        assert!(err.message.contains("Broken.sol"), "{err}");
        assert!(err.message.to_lowercase().contains("error"), "{err}");

        // No SPDX line and an unused variable: warnings, not errors.
        let warned =
            compile("pragma solidity ^0.8.0; contract W { function f() external pure { uint256 x; } }", "W.sol", "W")
                .unwrap();
        assert!(!warned.warnings.is_empty());
    }

    #[test]
    fn unknown_contract_name_is_an_error() {
        if let Err(e) = find_solc() {
            panic!("these tests need the project's solc: {e}");
        }
        let err = compile(TEST_SOURCE, "Test.sol", "Missing").unwrap_err();
        assert!(err.message.contains("found: Test"), "{err}");
    }

    #[test]
    fn version_is_pinned() {
        let version = solc_version().unwrap();
        assert!(version.starts_with("0.8.30+"), "{version}");
    }
}
