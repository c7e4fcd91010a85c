#!/bin/bash
#   demo.sh - a small fogrid grid on this machine, with real work through it
#
#   usage: scripts/demo.sh BINDIR        (make demo; KEEP=1 leaves it up)
#   Starts a locator, a hub and two miners on loopback with security on
#   (CurveZMQ; the locator's key pair is made first and its public key
#   handed to everyone else), runs a handful of tasks through the `fogrid`
#   command line, prints their results and the miner list, shows the
#   locator's HTTP and DNS views, then the money: the hub's wallet is
#   registered by the DAO (the buyer's key is the admin key here), the
#   buyer deposits before submitting, a miner's signed receipt is checked
#   offline, the hub's fees go to its owner at payday, and every party's
#   balance is shown. Then the court: a third miner on a machine whose awk
#   was replaced by echo is outvoted by a quorum of replicas, then challenged and
#   slashed, with a signed verdict checked offline. Then it stops everything.
set -u
BIN=$(cd "${1:-build/bin}" && pwd)
KEEP=${KEEP:-0}
DIR=$(mktemp -d /tmp/fogrid-demo-XXXXXX)
TAMPERED=
PIDS=()

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

free_port() {
    # A port nothing listens on, from a range the demo keeps to itself
    local port
    for port in $(seq "$1" $(($1 + 200))); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"; return
        fi
    done
    echo "demo: no free port near $1" >&2; exit 1
}

cleanup() {
    say "stopping the grid"
    local pid
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    if pgrep -f "$DIR" >/dev/null; then
        echo "demo: processes left behind:"; pgrep -af "$DIR"
    else
        echo "all daemons stopped, nothing left running"
    fi
    rm -rf "$DIR" ${TAMPERED:+"$TAMPERED"}
}
trap cleanup EXIT
trap 'exit 130' INT TERM

LPORT=$(free_port 17700)
BPORT=$(free_port $((LPORT + 1)))
MPORT=$(free_port $((BPORT + 1)))
HPORT=$(free_port $((MPORT + 1)))
DPORT=$(free_port $((HPORT + 1)))
WPORT=$(free_port $((DPORT + 1)))
# Containers and a service when a Docker engine answers here
if curl -fsS --max-time 3 --unix-socket /var/run/docker.sock http://docker/_ping >/dev/null 2>&1; then
    RUNTIME=process,docker
else
    RUNTIME=process
fi
export FOGRID_LOCATOR="tcp://127.0.0.1:$LPORT"
# Every party trusts the locator by its public key; the buyer's own key
# pair is kept with the demo, not in ~/.fogrid
export FOGRID_SECURITY_LOCATOR_KEY="$DIR/locator.key"
export FOGRID_KEYS="$DIR/buyer.key"
fogrid() { "$BIN/fogrid" "$@"; }

say "making the locator's key pair"
fogrid keygen "$DIR/locator.key" 2>&1 | sed 's/^I: [0-9: -]*//'
# The buyer's key pair; its public key is also the hub's admin (DAO) key,
# so that the demo may register the hub's wallet and read every account
BUYER_KEY=$(fogrid keygen "$DIR/buyer.key" 2>/dev/null | tail -n 1)

say "starting a locator, a hub and two miners (logs in $DIR)"
"$BIN/fogrid-locator" --bind "tcp://127.0.0.1:$LPORT" --http "127.0.0.1:$HPORT" \
    --dns "127.0.0.1:$DPORT" --data "$DIR/locator" -o "security/keys=$DIR/locator.key" \
    2>"$DIR/locator.log" & PIDS+=($!)
# (each daemon keeps its own key pair in its data directory: were
# FOGRID_SECURITY_KEYS exported, a daemon would take that pair instead; a
# miner holding the hub's key would be the hub itself, and a hub never pays
# itself. The CLI's FOGRID_KEYS is its own.)
env -u FOGRID_SECURITY_KEYS "$BIN/fogrid-hub" --buyers "tcp://127.0.0.1:$BPORT" \
    --miners "tcp://127.0.0.1:$MPORT" --locator "$FOGRID_LOCATOR" --data "$DIR/hub" \
    -o hub/open_deposits=1 \
    -o "hub/admin_keys=$BUYER_KEY" -o hub/wallet_self_register=0 -o hub/wallet_stake=100000 \
    -o hub/pay_period_s=0 -o hub/settle_s=2 -o "hub/http=127.0.0.1:$WPORT" \
    -o "hub/locator_http=http://127.0.0.1:$HPORT" 2>"$DIR/hub.log" & PIDS+=($!)
for n in 1 2; do
    env -u FOGRID_SECURITY_KEYS "$BIN/fogrid-miner" --locator "$FOGRID_LOCATOR" \
        --name "miner$n" --data "$DIR/miner$n" --cores 2 -o "miner/id=m-demo$n" -o "miner/price=$((50 + n * 50))" \
        -o "miner/runtime=$RUNTIME" 2>"$DIR/miner$n.log" & PIDS+=($!)
done

for _ in $(seq 100); do
    [ "$(fogrid miners 2>/dev/null | grep -c ' connected ')" -ge 2 ] && break
    sleep 0.1
done
say "the hub's dashboard: http://127.0.0.1:$WPORT/ (make demo KEEP=1 keeps the grid up to look at it)"
say "the locator resolves the hub"
fogrid resolve hub
say "fogrid miners"
fogrid miners

say "the hub's wallet: created with its stake, it pays no miner until the DAO registers it"
fogrid admin wallet | sed -n '1,4p'
say "fogrid admin wallet register (the DAO's key)"
fogrid admin wallet register --reason "demo: stake checked" | sed -n '1p'
LEDGER_KEY=$(fogrid admin wallet | awk '/^ledger/ { print $4 }')

say "the buyer deposits before submitting (hub/open_deposits: a stand-in for a payment gateway)"
fogrid deposit 2000

say "submitting tasks"
TASKS=()
submit() {
    local id
    id=$(fogrid submit "$@") || { echo "demo: submit failed"; exit 1; }
    printf '%s  %s\n' "$id" "${*: -1}"
    TASKS+=("$id")
}
submit -- sh -c 'echo hello; exit 3'
submit -- sh -c 'echo "running on $(hostname) as task $FOGRID_TASK_ID"'
submit -- awk 'BEGIN { for (n = 2; c < 15; n++) { p = 1; for (d = 2; d * d <= n; d++) if (n % d == 0) { p = 0; break } if (p) { printf "%d ", n; c++ } } print "" }'
submit --constraint 'id == "m-demo2"' -- sh -c 'seq 1 1000000 | awk "{ s += \$1 } END { printf \"%.0f\\n\", s }"'
submit --timeout 1 -- sleep 10
submit -- sh -c 'echo to stderr >&2; exit 0'

say "fogrid wait ${TASKS[0]}"
fogrid wait "${TASKS[0]}"
echo "(fogrid wait exited with $?)"

for id in "${TASKS[@]}"; do
    say "fogrid result $id"
    fogrid wait "$id" >/dev/null
    fogrid result "$id"
done

say "fogrid miners"
fogrid miners
say "fogrid health"
fogrid health

say "the locator's HTTP API: curl http://127.0.0.1:$HPORT/v1/services/hub"
if command -v curl >/dev/null; then
    curl -s "http://127.0.0.1:$HPORT/v1/services/hub"
else
    echo "(curl is not installed)"
fi
say "the locator's DNS: dig @127.0.0.1 -p $DPORT SRV hub.service.fogrid."
if command -v dig >/dev/null; then
    dig +noall +answer +additional @127.0.0.1 -p "$DPORT" SRV hub.service.fogrid.
else
    echo "(dig is not installed: apt-get install dnsutils)"
fi

if [ "$RUNTIME" = process,docker ]; then
    say "a task in a container (the Docker engine answers here)"
    "$(dirname "$0")/../deploy/images/build-test-image.sh" >/dev/null 2>&1
    id=$(fogrid submit --image fogrid/busybox -- sh -c 'echo "hello from a container: $(uname -n)"') &&
        fogrid wait "$id" >/dev/null; fogrid result "$id"
    say "a service: fogrid run-service, then the buyer's five steps with fogrid call"
    if FOGRID_BIN_DIR="$BIN" "$(dirname "$0")/../deploy/images/build-echo-image.sh" >/dev/null 2>&1 &&
       started=$(fogrid run-service --image fogrid/echo-service --name echo --port 5555 --wait); then
        service=$(echo "$started" | head -n 1)
        echo "service task $service, in the locator as: $(echo "$started" | sed -n 2p)"
        fogrid resolve echo
        echo "\$ fogrid call echo echo 'hello, service'"
        fogrid call echo echo 'hello, service'
        echo "\$ fogrid call echo primes 10"
        fogrid call echo primes 10
        fogrid stop-service "$service" >/dev/null && echo "stopped: echo leaves the locator"
        fogrid wait "$service" >/dev/null 2>&1
        echo "billed per second while it ran (hub/settle_s=2 here):"
        fogrid status "$service" | grep '^billed' || echo "  (not billed: it ran unpaid)"
        sleep 2     # the next settlement pays its miner
    else
        echo "(the example service could not be started: see $DIR/miner1.log)"
    fi
else
    say "containers and services: skipped, no Docker engine answers at /var/run/docker.sock"
fi

say "money: a miner's receipt for task ${TASKS[1]}, signed by the hub"
fogrid receipt -o "$DIR/receipt.json" "${TASKS[1]}" && cat "$DIR/receipt.json"
say "fogrid verify-receipt --hub-key $LEDGER_KEY (offline)"
fogrid verify-receipt --hub-key "$LEDGER_KEY" "$DIR/receipt.json"

say "the court: a third miner, on a machine whose awk was replaced by echo"
# The miner itself is the real one: what lies is the machine it runs on
# (a link: /tmp may be mounted noexec; outside $DIR, which only we may
# enter, and tasks run as the miner's task user)
TAMPERED=$(mktemp -d /tmp/fogrid-demo-tampered-XXXXXX)
chmod 755 "$TAMPERED"
ln -s "$(type -P echo)" "$TAMPERED/awk"
env -u FOGRID_SECURITY_KEYS PATH="$TAMPERED:$PATH" "$BIN/fogrid-miner" \
    --locator "$FOGRID_LOCATOR" --name miner3 --data "$DIR/miner3" --cores 2 \
    -o miner/id=m-tampered -o miner/price=100 -o miner/runtime=process \
    2>"$DIR/miner3.log" & PIDS+=($!)
for _ in $(seq 100); do
    [ "$(fogrid miners 2>/dev/null | grep -c ' connected ')" -ge 3 ] && break
    sleep 0.1
done
# Its owner (the key it says hello with) puts down a stake
MINER_KEYS=$(ls "$DIR"/miner3/keys/*.key 2>/dev/null | grep -v '\.sign' | head -n 1)
FOGRID_KEYS="$MINER_KEYS" fogrid deposit 1000 >/dev/null
echo "\$ fogrid stake deposit m-tampered 1000   (with the miner's key)"
FOGRID_KEYS="$MINER_KEYS" fogrid stake deposit m-tampered 1000

say "an honest run: 3 replicas on miners of distinct owners, quorum 2"
echo "\$ fogrid submit --replicas 3 --quorum 2 -- awk 'BEGIN { print 6 * 7 }'"
id=$(fogrid submit --replicas 3 --quorum 2 -- awk 'BEGIN { print 6 * 7 }')
fogrid wait "$id" >/dev/null
fogrid status "$id" | grep -E '^(task|state|reason|resolution|output|runs)'
fogrid result --stdout "$id"
for run in $(fogrid status "$id" | awk '/^runs/ { $1 = ""; print }'); do
    fogrid status "$run" | awk -v run="$run" '/^miner/ { m = $2 } /^resolution/ { r = $2 }
        /^output/ { o = substr ($3, 1, 12) } END { printf "  %s  on %-10s  output %s...  %s\n", run, m, o, r }'
done
echo "(the tampered miner was outvoted: not paid, half its stake to the buyer)"

say "a cheating run: on the tampered miner, with a challenge window of 60 s"
id=$(fogrid submit --constraint 'id == "m-tampered"' --challenge-window 60 -- awk 'BEGIN { print 6 * 7 }')
fogrid wait "$id" >/dev/null
fogrid result --stdout "$id"
fogrid status "$id" | grep -E '^(resolution|price)'
echo "\$ fogrid challenge $id"
fogrid challenge "$id"
for _ in $(seq 100); do
    fogrid status "$id" | grep -q '^resolution hard' && break
    sleep 0.2
done
fogrid status "$id" | grep -E '^(resolution|output)'
echo "its result now (the checks'):"
fogrid result --stdout "$id"
fogrid verdict -o "$DIR/verdict.json" "$id" && cat "$DIR/verdict.json"
say "fogrid verify-verdict --hub-key $LEDGER_KEY (offline)"
fogrid verify-verdict --hub-key "$LEDGER_KEY" "$DIR/verdict.json"
sed -i 's/"overturned"/"upheld"/' "$DIR/verdict.json"
echo "the same verdict changed to \"upheld\":"
fogrid verify-verdict --hub-key "$LEDGER_KEY" "$DIR/verdict.json" || true
say "fogrid miners: the tampered miner's reputation and stake"
fogrid miners

say "money: payday, the hub's fees go to its owner (hub/pay_period_s=0 here)"
fogrid admin wallet payday | sed -n '1,8p'

say "money: the buyer's wallet"
fogrid wallet --limit 6
say "money: every party's balance"
total=0
balance_of() { fogrid wallet --account "$1" --limit 1 | awk '/^balance/ { print $2 }'; }
MINER_PUBLIC=$(sed -n 's/^ *public-key = "\(.*\)"/\1/p' "$MINER_KEYS" 2>/dev/null | head -n 1)
for account in "buyer:$BUYER_KEY" miner:m-demo1 miner:m-demo2 miner:m-tampered \
               "buyer:$MINER_PUBLIC" stake:m-tampered settle:m-demo1 settle:m-demo2 \
               hub:fee owner hub:wallet:frozen world; do
    balance=$(balance_of "$account")
    total=$((total + ${balance:-0}))
    case $account in
        "buyer:$MINER_PUBLIC") who="the tampered miner's owner" ;;
        stake:*) who="its stake, after the slashes" ;;
        buyer:*) who="the buyer" ;;
        miner:*) who="a miner" ;;
        settle:*) who="a miner's service bills, paid at the next settlement" ;;
        hub:fee) who="the hub's fees (after payday)" ;;
        owner) who="the hub's owner" ;;
        hub:wallet:frozen) who="the hub's stake" ;;
        world) who="the outside: deposits and stakes came from it" ;;
    esac
    printf '  %-22.22s %8s   %s\n' "$account" "$balance" "$who"
done
printf '  %-22s %8s   %s\n' "(sum)" "$total" "double-entry: always 0"

if [ "$KEEP" = 1 ]; then
    say "the grid stays up: dashboard http://127.0.0.1:$WPORT/, FOGRID_LOCATOR=$FOGRID_LOCATOR $BIN/fogrid ...; Ctrl-C stops it"
    while sleep 1; do :; done
fi
