# Firebell: `make run` builds and runs the daemon on the default config; `make test` runs every test.
SWIFT ?= swift
CONFIG ?= config/firebell.yaml

.PHONY: run build test unit integration bootstrap clean bench fuzz fuzz-build

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
	$(MAKE) fuzz FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS)

# Performance figures and bars of DESIGN §7 / BENCH.md (release build; not part of CI).
bench: bootstrap
	python3 bench/run.py

integration:
	FIREBELL_BIN=$(CURDIR)/.build/debug/firebell python3 -m pytest -q tests/integration

# libFuzzer over what Firebell reads from strangers (Sources/firebell-fuzz): each
# harness runs FUZZ_SECONDS from fuzz/corpus/<harness> and fuzz/regressions/<harness>.
# What it learns goes to .build-fuzz/corpus; a crash, hang (-timeout) or memory
# blow-up (-rss_limit_mb) stops `make` and leaves the input in .build-fuzz/found.
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 3
FUZZ_HARNESSES ?= envelope sentry-event generic json parameterizer decompress config alertmanager otlp stacktrace
FUZZ_FLAGS ?= -timeout=10 -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1
FUZZ_BIN = .build-fuzz/debug/firebell-fuzz
# Not .build-fuzz/artifacts: SwiftPM owns that folder and removes what it did not put there.

fuzz-build: bootstrap
	$(SWIFT) build -c debug --product firebell-fuzz --scratch-path .build-fuzz \
		-Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -parse-as-library

fuzz: fuzz-build
	@for harness in $(FUZZ_HARNESSES); do \
		echo "fuzz: $$harness for $(FUZZ_SECONDS)s"; \
		mkdir -p .build-fuzz/corpus/$$harness .build-fuzz/found/$$harness; \
		SWIFT_BACKTRACE=enable=no FIREBELL_FUZZ_HARNESS=$$harness $(FUZZ_BIN) \
			-max_total_time=$(FUZZ_SECONDS) $(FUZZ_FLAGS) \
			-artifact_prefix=.build-fuzz/found/$$harness/ \
			.build-fuzz/corpus/$$harness $$(ls -d fuzz/corpus/$$harness fuzz/regressions/$$harness 2>/dev/null) \
			2> .build-fuzz/$$harness.log \
		|| { tail -n 40 .build-fuzz/$$harness.log; echo "fuzz: $$harness failed; input in .build-fuzz/found/$$harness/"; exit 1; }; \
		grep -E '^stat::(number_of_executed_units|new_units_added)' .build-fuzz/$$harness.log | tr '\n' ' '; echo; \
	done

clean:
	rm -rf .build .build-fuzz
