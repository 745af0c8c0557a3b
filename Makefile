# Castellan: the two commands are `make run` and `make test` (see README.md).
# Both install what they need first; nothing here needs cargo-leptos.

SHELL := /bin/bash
# LEPTOS_OUTPUT_NAME is deliberately not set: without it Leptos loads `castellan_bg.wasm`, the
# name wasm-bindgen writes (cargo-leptos sets it and renames the file itself).
WASM_BINDGEN_VERSION := $(shell awk '/^name = "wasm-bindgen"$$/{getline; gsub(/[^0-9.]/,""); print}' Cargo.lock)
SITE := target/site
PROFILE_DIR := debug

.PHONY: setup setup-e2e build site run test test-rust test-e2e lint clean-test-databases bench

## Installs the Rust wasm target, the wasm-bindgen CLI at the version in Cargo.lock, and the
## OpenSSL headers webauthn-rs (passkeys) builds against.
setup:
	@{ command -v pkg-config >/dev/null && pkg-config --exists openssl; } || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libssl-dev pkg-config; }
	@rustup target list --installed | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@if ! command -v wasm-bindgen >/dev/null || [ "$$(wasm-bindgen --version | awk '{print $$2}')" != "$(WASM_BINDGEN_VERSION)" ]; then \
		echo "Installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION) (about 2 minutes, once)"; \
		cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION); \
	fi

## Installs the browser-test packages, Debian's Chromium (Playwright cannot download
## browsers here) and oathtool (real TOTP codes for the MFA tests).
setup-e2e:
	@command -v chromium >/dev/null && command -v oathtool >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium oathtool; }
	cd end2end && npm ci --no-audit --no-fund

## Builds the server and the browser bundle into target/site.
build: setup
	cargo build -p server
	$(MAKE) site

site:
	cargo build -p frontend --lib --target wasm32-unknown-unknown
	mkdir -p $(SITE)/pkg
	wasm-bindgen --target web --no-typescript --out-dir $(SITE)/pkg --out-name castellan \
		target/wasm32-unknown-unknown/$(PROFILE_DIR)/frontend.wasm
	cp style/main.css $(SITE)/pkg/castellan.css

## Seeds the demo organisation and serves the console on the embedded SQLite database.
run: build
	./target/debug/castellan demo seed
	./target/debug/castellan serve

## Every test: unit and HTTP tests on SQLite (and PostgreSQL when CASTELLAN_TEST_POSTGRES_URL
## is set), then the browser tests with JavaScript on and off.
test: build setup-e2e test-rust test-e2e

test-rust: clean-test-databases
	cargo test --workspace --exclude frontend

test-e2e:
	cd end2end && npx playwright test

## Drops databases and files left by earlier test runs.
clean-test-databases:
	@rm -rf $${TMPDIR:-/tmp}/castellan-test-*.db* $${TMPDIR:-/tmp}/castellan-test-archive-* $${TMPDIR:-/tmp}/castellan-cli-*.db* $${TMPDIR:-/tmp}/castellan-e2e.*
	@if [ -n "$$CASTELLAN_TEST_POSTGRES_URL" ]; then \
		for db in $$(psql "$$CASTELLAN_TEST_POSTGRES_URL" -Atc "select datname from pg_database where datname like 'castellan_t_%'"); do \
			psql "$$CASTELLAN_TEST_POSTGRES_URL" -qc "drop database if exists \"$$db\"" >/dev/null; \
		done; \
	fi

## Formatting and lints for the server and the browser builds.
lint:
	cargo fmt --all -- --check
	cargo clippy -p app -p server -p migrations --all-targets -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

## People-list benchmark over 1,000,000 users (see README). Set CASTELLAN_BENCH_POSTGRES_URL to
## an empty PostgreSQL database to measure PostgreSQL too.
bench:
	cargo bench -p app --features ssr --bench engine
	cargo run --release -p server --bin castellan-bench -- people --users 1000000 \
		$(if $(CASTELLAN_BENCH_POSTGRES_URL),--postgres $(CASTELLAN_BENCH_POSTGRES_URL))
	cargo run --release -p server --bin castellan-bench -- access --users 1000000 --tickets 1000000 \
		$(if $(CASTELLAN_BENCH_POSTGRES_URL),--postgres $(CASTELLAN_BENCH_POSTGRES_URL))
	cargo run --release -p server --bin castellan-bench -- audit --events 10000000 \
		$(if $(CASTELLAN_BENCH_POSTGRES_URL),--postgres $(CASTELLAN_BENCH_POSTGRES_URL))
