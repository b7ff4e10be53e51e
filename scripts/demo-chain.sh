#!/usr/bin/env bash
# The on-chain half of `make demo`: a local anvil (127.0.0.1, a free port), the vault and NFT stacks
# deployed by the forge scripts, one keeper round that proves the vault's LIVE state and applies the
# update, and one NFT minted with freshly generated and proved content. Prints addresses, gas and the
# new parameters, then stops anvil (also on error or Ctrl-C).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" # forge resolves foundry.toml's solc path against the working directory
BIN=target/release/zkinfer
FORGE=.tools/bin/forge
CAST=.tools/bin/cast
ANVIL=.tools/bin/anvil
OUT=build/chain
PROMPT="${PROMPT:-a lighthouse in a storm}"
[ -x "$BIN" ] || cargo build --release
[ -x "$ANVIL" ] || bash scripts/bootstrap-tools.sh
mkdir -p "$OUT"

# Anvil's well-known development accounts: 0 deploys and owns, 1 runs the keeper and mints.
DEPLOYER_KEY=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
KEEPER_KEY=0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d
printf '%s\n' "$KEEPER_KEY" >"$OUT/keeper.key"
# Every run is a fresh chain: a journal from an earlier run's vault does not apply.
rm -f "$OUT/keeper-state.json"

echo "== models: the vault's risk model and the NFT's generative model (compile + setup)"
V=examples/defi-vault/model
A=examples/aigc-nft/model
# --scale 7: the forge deploy scripts deploy the checked-in fixture verifiers, whose worked examples
# are written at 7 fractional bits (src/testing/evm_fixtures.rs, FIXTURE_SCALE); the keeper needs
# the build to be exactly that circuit.
"$BIN" compile $V/network.onnx --scale 7 --calibrate $V/input.json $(for i in 0 1 2 3; do echo --calibrate $V/calibration/state-$i.json; done) -o build/vault >/dev/null
"$BIN" setup build/vault --dev-srs >/dev/null
"$BIN" compile $A/network.onnx --scale 7 --calibrate $A/input.json $(for i in 0 1 2 3 4 5; do echo --calibrate $A/calibration/state-$i.json; done) -o build/aigc >/dev/null
"$BIN" setup build/aigc --dev-srs >/dev/null
echo "   build/vault and build/aigc ready"

# A free loopback port: the first of a few random candidates nobody listens on.
PORT=""
for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 20000))
    if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then PORT=$p; break; fi
done
[ -n "$PORT" ] || { echo "no free port found" >&2; exit 1; }
RPC=http://127.0.0.1:$PORT

echo
echo "== anvil on $RPC"
"$ANVIL" --host 127.0.0.1 --port "$PORT" --silent &
ANVIL_PID=$!
trap 'kill $ANVIL_PID 2>/dev/null || true; wait $ANVIL_PID 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 100); do
    "$CAST" chain-id --rpc-url "$RPC" >/dev/null 2>&1 && break
    sleep 0.1
done
"$CAST" chain-id --rpc-url "$RPC" >/dev/null

# `forge script` prints its return values as "name: type address"; pick one by name.
returned() { sed -n "s/^ *$1: [^0]* \(0x[0-9a-fA-F]\{40\}\).*/\1/p" "$2" | head -n 1; }

echo
echo "== deploy the lending vault stack (script/DeployVault.s.sol)"
"$FORGE" script script/DeployVault.s.sol --rpc-url "$RPC" --broadcast --private-key "$DEPLOYER_KEY" >"$OUT/deploy-vault.log" 2>&1 ||
    { cat "$OUT/deploy-vault.log"; exit 1; }
VAULT=$(returned vault "$OUT/deploy-vault.log")
VERIFIER=$(returned verifier "$OUT/deploy-vault.log")
echo "   vault    $VAULT"
echo "   verifier $VERIFIER"
echo "   maxLtv $("$CAST" call "$VAULT" "maxLtv()(uint256)" --rpc-url "$RPC" | cut -d' ' -f1), borrowRate $("$CAST" call "$VAULT" "borrowRate()(uint256)" --rpc-url "$RPC" | cut -d' ' -f1) (wad)"
echo "   model inputs $("$CAST" call "$VAULT" "currentFeatures()(int256[4])" --rpc-url "$RPC") / 128 (utilisation and coverage: the previous epoch's averages, before the position opened); live $("$CAST" call "$VAULT" "instantFeatures()(int256[4])" --rpc-url "$RPC")"

echo
echo "== keeper: prove the vault's live state and submit the update (one round)"
"$BIN" keeper --rpc "$RPC" --vault "$VAULT" --build build/vault --key-file "$OUT/keeper.key" \
    --state "$OUT/keeper-state.json" --once
echo "   maxLtv $("$CAST" call "$VAULT" "maxLtv()(uint256)" --rpc-url "$RPC" | cut -d' ' -f1), borrowRate $("$CAST" call "$VAULT" "borrowRate()(uint256)" --rpc-url "$RPC" | cut -d' ' -f1) (wad), epoch $("$CAST" call "$VAULT" "lastAppliedEpoch()(uint256)" --rpc-url "$RPC" | cut -d' ' -f1)"

echo
echo "== deploy the EIP-7007 NFT (script/DeployNFT.s.sol)"
"$FORGE" script script/DeployNFT.s.sol --rpc-url "$RPC" --broadcast --private-key "$DEPLOYER_KEY" >"$OUT/deploy-nft.log" 2>&1 ||
    { cat "$OUT/deploy-nft.log"; exit 1; }
NFT=$(returned nft "$OUT/deploy-nft.log")
echo "   nft      $NFT"

echo
echo "== mint \"$PROMPT\": generate, prove, commit, reveal, addAigcData"
"$BIN" mint-aigc --rpc "$RPC" --nft "$NFT" --build build/aigc --key-file "$OUT/keeper.key" --prompt "$PROMPT"

# tokenURI is data:application/json;base64 metadata whose image is an on-chain SVG of the proven
# pixels: write both out so a browser can show them.
TOKEN=$("$CAST" keccak "$PROMPT")
URI=$("$CAST" call "$NFT" "tokenURI(uint256)(string)" "$TOKEN" --rpc-url "$RPC" | sed 's/^"//; s/"$//')
printf '%s' "${URI#data:application/json;base64,}" | base64 -d >"$OUT/nft-metadata.json"
sed -n 's/.*"image":"data:image\/svg+xml;base64,\([^"]*\)".*/\1/p' "$OUT/nft-metadata.json" | base64 -d >"$OUT/nft-image.svg"
echo "   tokenURI metadata $OUT/nft-metadata.json, image $OUT/nft-image.svg (open it in a browser)"

echo
echo "== done; stopping anvil"
