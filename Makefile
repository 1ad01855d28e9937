# The project's commands. Each one installs what is missing first
# (scripts/install-deps.sh), so a fresh Debian 12 machine needs nothing else.
#
#   make run     build (release) and run the daemon in the foreground
#   make test    build with ASan+UBSan and run the whole test suite
#   make bench   build (release), run the benchmarks, update docs/benchmarks.md
#   make scale   build (release), run the 100 to 1,000-node gossip simulation, update docs/scaling.md
#   make fuzz    build the libFuzzer targets (clang) and run each for FUZZ_SECONDS
#   make soak    the crash-safety tests (messages, tasks) with SOAK_RUNS kill -9 runs per victim (default 50)
#   make chaos   the fault-harness scenarios (tests/netsim) under load for 30 minutes each, one after another,
#                release build (root; about two hours)
#   make install copy the binary to $(PREFIX)/bin (default ~/.local)

FUZZ_SECONDS ?= 60
SOAK_RUNS ?= 50
PREFIX ?= $(HOME)/.local
ARGS ?=
JOBS ?= $(shell nproc)

.PHONY: deps deps-build release dev run test soak chaos bench scale fuzz install clean

# Everything: build packages, plus Node.js and the pinned js-libp2p packages
# (interop/) that the test suite needs.
deps:
	@scripts/install-deps.sh

# Only what building and running the daemon needs (Node.js included: the web
# console's front-end packages in ui/ are compiled into the binary).
deps-build:
	@AGENTMESH_BUILD_ONLY=1 scripts/install-deps.sh

release: deps-build
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS) --target agentmesh

dev: deps
	@cmake --preset dev >/dev/null
	@cmake --build --preset dev -j $(JOBS)

run: release
	./build/release/apps/agentmesh/agentmesh daemon $(ARGS)

test: dev
	ctest --preset dev -j $(JOBS)

soak: deps
	@cmake --preset dev >/dev/null
	@cmake --build --preset dev -j $(JOBS) --target direct_integration_test tasks_integration_test
	AGENTMESH_CRASH_RUNS=$(SOAK_RUNS) build/dev/tests/direct_integration_test --gtest_filter='*DirectCrashTest*'
	AGENTMESH_TASK_CRASH_RUNS=$(SOAK_RUNS) build/dev/tests/tasks_integration_test --gtest_filter='*TaskCrashTest*'

CHAOS_SCENARIOS ?= loss partition crashes slow_receiver

chaos: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS) --target agentmesh
	@scripts/chaos.sh $(CHAOS_SCENARIOS)

bench: deps
	@scripts/bench.sh

scale: deps
	@scripts/scale.sh

fuzz: deps
	@scripts/fuzz.sh $(FUZZ_SECONDS)

install: release
	install -D -m 0755 build/release/apps/agentmesh/agentmesh $(PREFIX)/bin/agentmesh

clean:
	rm -rf build
