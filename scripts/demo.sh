#!/usr/bin/env bash
# The main job on the bundled example: compile -> setup -> prove -> verify (Rust and EVM), with a summary.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BIN=target/release/zkinfer
MODEL=examples/models/demo_mlp
BUILD=build/demo
[ -x "$BIN" ] || cargo build --release
[ -x .tools/bin/solc ] || bash scripts/bootstrap-tools.sh

echo "== zkinfer demo: $MODEL (credit-risk MLP, 8 features -> 2 scores)"
"$BIN" compile "$MODEL/network.onnx" --calibrate "$MODEL/input.json" -o "$BUILD"
echo
"$BIN" setup "$BUILD" --dev-srs
echo
"$BIN" prove "$BUILD" "$MODEL/input.json" -o "$BUILD/proof.json"
echo
"$BIN" verify "$BUILD" "$BUILD/proof.json" --input "$MODEL/input.json"
echo
"$BIN" solidity "$BUILD" -o "$BUILD/Verifier.sol"
"$BIN" verify-evm "$BUILD" "$BUILD/proof.json"
echo
echo "== summary"
"$BIN" bench "$BUILD" "$MODEL/input.json" --runs 3 --out "$BUILD/bench.json"
echo
echo "== on chain: a local anvil, the lending vault and the EIP-7007 NFT (scripts/demo-chain.sh)"
bash scripts/demo-chain.sh
