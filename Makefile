# Front door: `make demo` and `make test` set up everything on a fresh Debian 12 machine.
BUILD      ?= build
BUILD_SAN  ?= build-san
JOBS       ?= $(shell nproc)

.PHONY: all deps build build-san demo test test-fast soak bench clean format

all: build

deps:
	@scripts/deps

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

build-san: deps
	@cmake -S . -B $(BUILD_SAN) -DCMAKE_BUILD_TYPE=Debug -DPV_SANITIZE=ON -DPV_FUZZ=ON \
	    -DCMAKE_C_COMPILER=clang >/dev/null
	@cmake --build $(BUILD_SAN) -j $(JOBS)

demo: build
	@$(BUILD)/workers/pravah demo

# Every test, then again under ASan+UBSan (with the fuzzers run briefly). The Kafka fault tests,
# which mostly wait out consumer-group session timeouts, and the benchmarks' smoke runs run in the
# plain build only; `soak`-
# labelled tests (the full-size crash test) run with `make soak`.
test: build build-san
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE soak
	@cd $(BUILD_SAN) && ctest --output-on-failure -j $(JOBS) -LE 'soak|fault|bench'

soak: build
	@cd $(BUILD) && ctest --output-on-failure -L soak

test-fast: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L unit

bench: build
	@tests/bench/run $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_SAN)

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')
