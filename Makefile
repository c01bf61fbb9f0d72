# The README's commands. Everything real lives in CMake (CMakePresets.json) and scripts/.
#   make run        set-up (build and run dependencies), the server's release build, run it
#                   on conf/tidecast.yaml
#   make test       set-up, build, the whole CTest suite
#   make test-asan  unit + integration tests under ASan + UBSan
#   make test-tsan  unit tests under TSan; make test-tsan-threads: where threads meet (CI)
#   make fuzz       every fuzz target for FUZZ_SECONDS (default 30)
#   make bench      micro-benchmarks
.PHONY: all setup setup-run server build run test test-asan test-tsan test-tsan-threads fuzz bench clean

FUZZ_SECONDS ?= 30
# ThreadSanitizer: stop at the first report; suppressions only for third-party libraries' races.
# Where threads meet is the CTest label tsan (tests/CMakeLists.txt says which tests carry it).
TSAN_RUN_OPTIONS = halt_on_error=1:suppressions=$(CURDIR)/tests/tsan.supp
CONFIG ?= conf/tidecast.yaml
JOBS ?= $(shell nproc)
CTEST_FLAGS ?= --output-on-failure -j $(JOBS)
# ccache keys on paths relative to the checkout and, with debug info (-g), not on the build
# directory (CMake maps it out of the debug info), so every clone shares one warm cache.
export CCACHE_BASEDIR ?= $(CURDIR)
export CCACHE_NOHASHDIR ?= 1

all: build

setup:
	@scripts/setup

setup-run:
	@scripts/setup run

# The server alone: what make run needs (no test, benchmark or browser dependency).
server: setup-run
	@scripts/configure release server
	cmake --build build/release -j $(JOBS) --target tidecast

build: setup
	@scripts/configure release
	cmake --build build/release -j $(JOBS)

run: server
	./build/release/server/tidecast --config $(CONFIG)

test: build
	ctest --test-dir build/release $(CTEST_FLAGS)

test-asan: setup
	@scripts/configure asan
	cmake --build build/asan -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	  ctest --test-dir build/asan -L 'unit|integration|fuzz' $(CTEST_FLAGS)

test-tsan: setup
	@scripts/configure tsan
	cmake --build build/tsan -j $(JOBS)
	TSAN_OPTIONS=$(TSAN_RUN_OPTIONS) ctest --test-dir build/tsan -L unit $(CTEST_FLAGS)

# The tests labelled tsan; builds only what they run (the server and three test binaries).
test-tsan-threads: setup
	@scripts/configure tsan
	cmake --build build/tsan -j $(JOBS) --target tidecast core_tests ingest_tests social_tests
	TSAN_OPTIONS=$(TSAN_RUN_OPTIONS) ctest --test-dir build/tsan -L tsan $(CTEST_FLAGS)

fuzz: setup
	@scripts/configure fuzz
	cmake --build build/fuzz -j $(JOBS)
	scripts/fuzz $(FUZZ_SECONDS)

bench: build
	@for b in build/release/bench/bench_*; do echo "== $$b"; $$b; done

clean:
	rm -rf build
