# zkinfer: the two commands a newcomer needs are `make demo` and `make test`.
# Everything builds in ONE cargo profile (release, with incremental on) so the world compiles once.

CARGO ?= cargo
BIN := target/release/zkinfer
# Development SRS files are cached per k inside the tree (git-ignored), so reruns skip SRS generation.
export ZKINFER_CACHE_DIR ?= $(CURDIR)/.zkinfer-cache

.PHONY: demo test tools build lint fmt fixtures bench-ezkl clean

## demo: compile, set up, prove and verify the bundled example model; prints a summary
demo: tools build
	bash scripts/demo.sh

## test: every test (cargo unit, MockProver, end-to-end, EVM, CLI; forge), plus fmt and clippy
test: tools
	$(CARGO) fmt --check
	.tools/bin/forge fmt --check contracts
	$(CARGO) build --release --all-targets
	$(CARGO) clippy --release --all-targets -- -D warnings
	.tools/bin/forge test
	$(CARGO) test --release --lib --tests

## tools: install forge/anvil/cast and solc (npm) into .tools/ (fast no-op when present)
tools:
	bash scripts/bootstrap-tools.sh

build:
	$(CARGO) build --release

lint:
	$(CARGO) fmt --check
	.tools/bin/forge fmt --check contracts
	$(CARGO) clippy --release --all-targets -- -D warnings

## fixtures: regenerate the forge fixtures (verifiers and proofs) after circuit or generator changes
fixtures:
	$(CARGO) run --release --example gen_evm_fixtures

fmt:
	$(CARGO) fmt

## bench-ezkl: zkinfer bench on every EZKL example model in ../shared (JSON into bench/results/)
bench-ezkl: build
	bash scripts/bench-ezkl.sh

clean:
	rm -rf build target/release/zkinfer
