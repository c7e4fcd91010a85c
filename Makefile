#   Makefile - a thin front for CMake
#
#   make            build (Release with debug info) into build/
#   make test       install what is missing, build, run every test
#   make demo       install what is missing, build, run a small local grid
#   make fuzz       run every libFuzzer target for FUZZ_SECONDS (default 60)
#   make bench      install what is missing, build, run the benchmarks
#   make asan       build and test with AddressSanitizer + UBSan in build-asan/
#   make install PREFIX=/usr/local
#   make chaos      a paid grid of 1,000 tasks through miner and hub crashes,
#                   then every task, payout, receipt and process checked
#                   (CHAOS_TASKS=N for another size; ctest runs 240)
#   make deb        Debian packages (fogrid-locator, fogrid-hub, fogrid-miner,
#                   fogrid) into build-deb/, checked by lintian
#   make deb-test   those packages installed in a clean Debian container,
#                   and a task run through the installed grid
#   make cluster-up     images, keys, and a docker-compose test cluster (2
#                       locators, 2 hubs, 3 miners, Prometheus) on this machine
#   make cluster-test   real work through it while parts of it fail; a report
#   make cluster-down   remove its containers, network and volumes

BUILD ?= build
PREFIX ?= /usr/local
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
KEEP ?= 0
FUZZ_SECONDS ?= 60
CHAOS_TASKS ?= 1000

.PHONY: all deps build test demo bench fuzz asan chaos install deb deb-test clean cluster-up cluster-test cluster-down

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

chaos: build
	@scripts/deps.sh test
	@cd $(BUILD) && FOGRID_CHAOS_TASKS=$(CHAOS_TASKS) FOGRID_BIN_DIR=$$PWD/bin \
	    FOGRID_SOURCE_DIR=$(CURDIR) tests/fogrid-tests chaos

install: build
	@cmake --install $(BUILD)

#   dpkg-buildpackage on a copy of the tree (debian/), so it needs no build
#   here and leaves nothing in the tree; the container is the debootstrap
#   base image of the cluster (deploy/images/build-base-image.sh)
deb:
	@scripts/deps.sh deb
	@deploy/deb/build-packages.sh build-deb

deb-test: deb
	@deploy/deb/test-packages.sh build-deb

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
	rm -rf $(BUILD) build-asan build-deb
