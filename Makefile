# Firebell: `make run` builds and runs the daemon on the default config; `make test` runs every test.
SWIFT ?= swift
CONFIG ?= config/firebell.yaml

.PHONY: run build test unit integration bootstrap clean bench

bootstrap:
	@scripts/bootstrap

build: bootstrap
	$(SWIFT) build -c release --product firebell

run: build
	.build/release/firebell serve --config $(CONFIG)

# Unit and in-process end-to-end tests (Swift Testing), then the black-box
# integration tests that drive the built binary with real clients.
test: bootstrap
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	$(MAKE) integration
	python3 bench/run.py --smoke --output .build/bench-smoke.json

# Performance figures and bars of DESIGN §7 / BENCH.md (release build; not part of CI).
bench: bootstrap
	python3 bench/run.py

integration:
	FIREBELL_BIN=$(CURDIR)/.build/debug/firebell python3 -m pytest -q tests/integration

clean:
	rm -rf .build
