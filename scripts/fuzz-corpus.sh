#!/bin/sh
#   fuzz-corpus.sh - writes the seed inputs of the hub, miner and locator
#   server fuzzers
#
#   usage: scripts/fuzz-corpus.sh BUILD_DIR
#   BUILD_DIR is a configured fogrid build (for the generated protobuf
#   code). Builds fuzz/make_corpus.c and runs it on fuzz/corpus, replacing
#   fuzz/corpus/hub, fuzz/corpus/miner and fuzz/corpus/loc_server (the
#   other corpora are by hand).
set -eu
cd "$(dirname "$0")/.."
build=${1:?usage: fuzz-corpus.sh BUILD_DIR}
gen="$build/generated"
cc=$(command -v clang || command -v cc)
mkdir -p "$build/fuzz"
# shellcheck disable=SC2046
$cc -g -O1 -std=c11 -D_GNU_SOURCE -Icommon -I"$gen" $(pkg-config --cflags libczmq libprotobuf-c) \
    fuzz/make_corpus.c common/fg_msg.c common/fg_error.c common/fg_util.c "$gen/fogrid.pb-c.c" \
    -o "$build/fuzz/make_corpus" $(pkg-config --libs libczmq libzmq libprotobuf-c libsodium)
rm -rf fuzz/corpus/hub fuzz/corpus/miner fuzz/corpus/loc_server
"$build/fuzz/make_corpus" fuzz/corpus
