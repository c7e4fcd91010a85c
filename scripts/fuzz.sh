#!/bin/sh
#   fuzz.sh - builds the libFuzzer targets in fuzz/ with clang and runs each
#
#   usage: scripts/fuzz.sh BUILD_DIR [SECONDS] [TARGET...]
#   BUILD_DIR is a configured fogrid build (for the generated protobuf
#   code). Each target runs SECONDS (default 60) on its corpus in
#   fuzz/corpus/NAME; new inputs it finds go to BUILD_DIR/fuzz/NAME, so
#   the committed corpus only changes by hand. Exits non-zero on a crash.
#   Without clang it says so and exits 0 (make test reports it skipped).
#   To follow a finding: BUILD_DIR/fuzz/fuzz_NAME FILE replays it; with
#   FUZZ_LOG=1 the hub and miner targets keep the daemons' logs, and with
#   FUZZ_FRESH=1 the hub target starts each input on a new hub.
set -eu
cd "$(dirname "$0")/.."
build=${1:?usage: fuzz.sh BUILD_DIR [SECONDS] [TARGET...]}
seconds=${2:-60}
shift; [ $# -gt 0 ] && shift
only="$*"                       # empty: every target
if ! command -v clang >/dev/null 2>&1; then
    echo "fuzz: SKIPPED, no clang (apt-get install clang libclang-rt-14-dev)"
    exit 0
fi
out="$build/fuzz"
mkdir -p "$out"
gen="$build/generated"
flags="-g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -Icommon -Ilocator -Ihub -Iminer -I$gen $(pkg-config --cflags libczmq libprotobuf-c)"
libs="$(pkg-config --libs libczmq libzmq libprotobuf-c libsodium libmicrohttpd jansson libcurl sqlite3 libsystemd) -lm"
common="common/fg_msg.c,common/fg_error.c,common/fg_util.c,$gen/fogrid.pb-c.c"

# the config loader and the locator's handler need the whole common library
all_common=$(ls common/*.c | tr '\n' ',')
# target name and its sources (besides the target file)
targets="msg:$common"
[ -f fuzz/fuzz_expr.c ] && targets="$targets expr:common/fg_expr.c"
[ -f fuzz/fuzz_dns.c ] && targets="$targets dns:locator/loc_dns.c"
[ -f fuzz/fuzz_config.c ] && targets="$targets config:${all_common}$gen/fogrid.pb-c.c"
# the HTTP targets share their client (fuzz_http_client.h)
http_client="fuzz/fuzz_daemon.c,fuzz/fuzz_http_client.c,"
[ -f fuzz/fuzz_http.c ] && targets="$targets http:${http_client}${all_common}locator/loc_registry.c,locator/loc_hubs.c,locator/loc_admins.c,locator/loc_peers.c,locator/loc_http.c,$gen/fogrid.pb-c.c"
[ -f fuzz/fuzz_locator.c ] && targets="$targets locator:${all_common}locator/loc_registry.c,$gen/fogrid.pb-c.c"
[ -f fuzz/fuzz_registry.c ] && targets="$targets registry:${all_common}locator/loc_hubs.c,locator/loc_admins.c,$gen/fogrid.pb-c.c"
[ -f fuzz/fuzz_tar.c ] && targets="$targets tar:miner/miner_tar.c,miner/miner_outputs.c,common/fg_util.c,$gen/fogrid.pb-c.c"
# the hub, the miner and the locator whole, as actors (their main()s left out)
hub=$(ls hub/*.c | grep -v _main.c | tr '\n' ',')
miner=$(ls miner/*.c | grep -v _main.c | tr '\n' ',')
[ -f fuzz/fuzz_hub.c ] && targets="$targets hub:fuzz/fuzz_daemon.c,${all_common}${hub}$gen/hub_dashboard_html.c,$gen/fogrid.pb-c.c"
[ -f fuzz/fuzz_miner.c ] && targets="$targets miner:fuzz/fuzz_daemon.c,${all_common}${miner}$gen/fogrid.pb-c.c"
[ -f fuzz/fuzz_hub_http.c ] && targets="$targets hub_http:${http_client}${all_common}${hub}$gen/hub_dashboard_html.c,$gen/fogrid.pb-c.c"
[ -f fuzz/fuzz_miner_http.c ] && targets="$targets miner_http:${http_client}${all_common}${miner}$gen/fogrid.pb-c.c"
locator=$(ls locator/*.c | grep -v _main.c | tr '\n' ',')
[ -f fuzz/fuzz_loc_server.c ] && targets="$targets loc_server:fuzz/fuzz_daemon.c,${all_common}${locator}$gen/fogrid.pb-c.c"

status=0
for entry in $targets; do
    name=${entry%%:*}
    case " $only " in
        "  ") ;;
        *" $name "*) ;;
        *) continue ;;
    esac
    sources=$(echo "${entry#*:}" | tr ',' ' ')
    echo "== fuzz $name: building"
    # shellcheck disable=SC2086
    clang $flags "fuzz/fuzz_$name.c" $sources -o "$out/fuzz_$name" $libs
    mkdir -p "$out/$name" "fuzz/corpus/$name"
    echo "== fuzz $name: running ${seconds}s"
    # the daemons' logs are off in their targets; what they print then is
    # a finding's reason (or libzmq's assertion)
    mask=3
    case $name in hub|miner|loc_server|http|hub_http|miner_http) mask=0 ;; esac
    if ! "$out/fuzz_$name" -max_total_time="$seconds" -print_final_stats=0 -close_fd_mask=$mask \
            -artifact_prefix="$out/$name-" "$out/$name" "fuzz/corpus/$name" \
            >"$out/$name.log" 2>&1; then
        echo "fuzz $name: FAILED, see $out/$name.log"; tail -n 40 "$out/$name.log"
        status=1
    else
        echo "fuzz $name: $(grep -c . "$out/$name.log") log lines, no crash ($(tail -n 1 "$out/$name.log"))"
    fi
done
exit $status
