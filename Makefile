#   Makefile - a thin front for CMake
#
#   make            build (Release with debug info) into build/
#   make test       install what is missing, build, run every test
#   make demo       install what is missing, build, run a small local grid
#   make fuzz       run every libFuzzer target for FUZZ_SECONDS (default 60)
#   make bench      install what is missing, build, run the benchmarks
#   make asan       build and test with AddressSanitizer + UBSan in build-asan/
#   make install PREFIX=/usr/local
#   make cluster-up     images, keys, and a docker-compose test cluster (2
#                       locators, 2 hubs, 3 miners, Prometheus) on this machine
#   make cluster-test   real work through it while parts of it fail; a report
#   make cluster-down   remove its containers, network and volumes

BUILD ?= build
PREFIX ?= /usr/local
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
KEEP ?= 0
FUZZ_SECONDS ?= 60

.PHONY: all deps build test demo bench fuzz asan install clean cluster-up cluster-test cluster-down

all: build

deps:
	@scripts/deps.sh build

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

test: build
	@scripts/deps.sh test
	@cd $(BUILD) && ctest --output-on-failure -j 1

demo: build
	@scripts/deps.sh test
	@KEEP=$(KEEP) scripts/demo.sh $(BUILD)/bin

fuzz: build
	@scripts/deps.sh test
	@scripts/fuzz.sh $(BUILD) $(FUZZ_SECONDS)

bench: build
	@scripts/deps.sh bench
	@cmake -S . -B $(BUILD) >/dev/null && cmake --build $(BUILD) -j $(JOBS) >/dev/null
	@$(BUILD)/bin/bench_dispatch
	@echo
	@$(BUILD)/bin/bench_locator

asan: deps
	@cmake -S . -B build-asan -DFOGRID_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
	@cmake --build build-asan -j $(JOBS)
	@scripts/deps.sh test
	@cd build-asan && ctest --output-on-failure -j 1 -E '^fuzz$$'

install: build
	@cmake --install $(BUILD)

#   The cluster's programs are built inside Docker (deploy/docker/Dockerfile),
#   so these need no build here; deploy/cluster/cluster.sh does the work
cluster-up:
	@scripts/deps.sh cluster
	@deploy/cluster/cluster.sh up

cluster-test:
	@scripts/deps.sh cluster
	@deploy/cluster/cluster.sh test

cluster-down:
	@deploy/cluster/cluster.sh down

clean:
	rm -rf $(BUILD) build-asan
