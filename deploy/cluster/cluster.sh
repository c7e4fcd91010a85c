#!/bin/bash
#   cluster.sh - the docker-compose test cluster: bring it up, run real work
#   through it while its parts fail, take it down
#
#   usage: deploy/cluster/cluster.sh up|test|down|status|logs [NAME]
#          (make cluster-up, make cluster-test, make cluster-down)
#
#   up      builds the images (deploy/images/build-images.sh; quick when
#           they are there), makes the keys and configurations
#           (deploy/cluster/make-keys.sh, into FOGRID_CLUSTER_DIR, default
#           build/cluster), starts deploy/docker-compose.yml and waits until
#           both locators, both hubs and the three miners answer
#   test    from outside the cluster (the fogrid-cluster-cli container, on
#           the host's network, through the published ports; or the host's
#           build/bin/fogrid with FOGRID_CLUSTER_CLI=host): batch tasks on
#           several miners, the echo service run and called, a miner
#           stopped, a hub restarted, the hub registry shared by the two
#           locators, a locator stopped (and the registry change it
#           missed), Prometheus; then a short report. Brings the cluster up first when it is not.
#   down    stops and removes the containers, the network, the volumes and
#           any task container the miners left; keeps the keys
#   status  the containers, and the miners each hub sees
#   logs    the last lines of every container's log (or of NAME's)
#
#   docker-compose (Debian's, v1) or the `docker compose` plugin, whichever
#   is here (the plugin first; FOGRID_COMPOSE="docker-compose" chooses).
#   FOGRID_CLUSTER_PORT moves every published port (default 27700, see
#   make-keys.sh); FOGRID_CLUSTER_IMAGES=skip uses the images as they are.
set -u

here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(cd "$here/../.." && pwd)
dir="${FOGRID_CLUSTER_DIR:-$source_dir/build/cluster}"
compose_file="$source_dir/deploy/docker-compose.yml"
project=fogrid-cluster
prefix=fogrid-cluster-
daemons="locator1 locator2 hub1 hub2 miner1 miner2 miner3"

say () { echo "cluster: $*"; }
die () { echo "cluster: $*" >&2; exit 1; }
now () { date +%s; }

#   -- compose, whichever is here -------------------------------------------
if [ -n "${FOGRID_COMPOSE:-}" ]; then
    read -r -a compose_cmd <<< "$FOGRID_COMPOSE"
elif docker compose version >/dev/null 2>&1; then
    compose_cmd=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
    compose_cmd=(docker-compose)
else
    compose_cmd=()
fi
s_compose () {
    [ ${#compose_cmd[@]} -gt 0 ] \
        || die "neither docker-compose nor the docker compose plugin is here (scripts/deps.sh cluster)"
    "${compose_cmd[@]}" --env-file "$dir/cluster.env" -f "$compose_file" -p "$project" "$@"
}

s_engine () {
    command -v docker >/dev/null 2>&1 || die "no docker command (scripts/deps.sh cluster)"
    docker version >/dev/null 2>&1 \
        || die "no Docker engine answers (start it: dockerd >/var/log/dockerd.log 2>&1 &)"
}

s_load_env () {
    [ -r "$dir/cluster.env" ] || return 1
    set -a
    # shellcheck disable=SC1091
    . "$dir/cluster.env"
    set +a
    hub1=(--hub "tcp://127.0.0.1:$FOGRID_HUB1_BUYERS" --hub-key /etc/fogrid/keys/hub1.key)
    hub2=(--hub "tcp://127.0.0.1:$FOGRID_HUB2_BUYERS" --hub-key /etc/fogrid/keys/hub2.key)
    if [ "${FOGRID_CLUSTER_CLI:-container}" = host ]; then
        hub1[3]="$dir/keys/hub1.key"
        hub2[3]="$dir/keys/hub2.key"
    fi
}

s_running () {
    [ "$(docker inspect --format '{{.State.Running}}' "$prefix$1" 2>/dev/null)" = true ]
}

#   The buyer: the cli container (on the host's network), or this host's
#   own build. fogrid_within S ...: the same, given up after S seconds
s_fogrid () {
    local run=()
    [ -n "$1" ] && run=(timeout "$1")
    shift
    if [ "${FOGRID_CLUSTER_CLI:-container}" = host ]; then
        FOGRID_LOCATOR="$FOGRID_LOCATORS" FOGRID_SECURITY_LOCATOR_KEY="$dir/keys/locator.key" \
        FOGRID_KEYS="$dir/keys/buyer.key" "${run[@]}" "$source_dir/build/bin/fogrid" "$@"
    else
        "${run[@]}" docker exec "${prefix}cli" fogrid "$@"
    fi
}
fogrid () { s_fogrid "" "$@"; }
fogrid_within () { s_fogrid "$@"; }

s_logs () {
    local name
    for name in "$@"; do
        echo "---- docker logs --tail 40 $prefix$name ($(docker inspect --format '{{.State.Status}}' \
             "$prefix$name" 2>/dev/null || echo missing))"
        docker logs --tail 40 "$prefix$name" 2>&1 | sed 's/^/  /'
    done
}

#   The miners HUB (1 or 2) sees connected, as "m-cluster1 m-cluster2"
s_connected () {
    local hub_args
    if [ "$1" = 1 ]; then hub_args=("${hub1[@]}"); else hub_args=("${hub2[@]}"); fi
    fogrid "${hub_args[@]}" -T 2000 miners 2>/dev/null \
        | awk '$3 == "connected" { print $1 }' | sort | tr '\n' ' ' | sed 's/ $//'
}

#   -- up ----------------------------------------------------------------
#   Waits until every part answers; else says what does not, and leaves the
#   containers concerned in $suspects
suspects=""
s_wait_ready () {
    local deadline=$(( $(now) + ${1:-60} )) name missing port
    while :; do
        missing=""
        suspects=""
        s_missing () { missing="$missing $1"; suspects="$suspects $2"; }
        for name in $daemons cli; do
            s_running "$name" || s_missing "$name(not running)" "$name"
        done
        for name in locator1 locator2 hub1 hub2; do
            port=FOGRID_$(echo "$name" | tr a-z A-Z)_HTTP
            curl -fsS -m 2 "http://127.0.0.1:${!port}/healthz" >/dev/null 2>&1 \
                || s_missing "$name(http)" "$name"
        done
        if s_running cli; then
            for name in 1 2; do
                port=FOGRID_LOCATOR${name}_PORT
                [ "$(fogrid -l "tcp://127.0.0.1:${!port}" -T 2000 services 2>/dev/null \
                     | awk '$1 == "hub" { print $2 }')" = 2 ] \
                    || s_missing "hubs(in locator$name)" "locator$name hub1 hub2"
            done
            [ "$(s_connected 1)" = "m-cluster1 m-cluster2" ] \
                || s_missing "miner1+miner2(at hub1)" "hub1 miner1 miner2"
            [ "$(s_connected 2)" = "m-cluster3" ] || s_missing "miner3(at hub2)" "hub2 miner3"
        fi
        suspects=$(echo "$suspects" | tr ' ' '\n' | awk 'NF && !seen [$0]++' | tr '\n' ' ')
        [ -z "$missing" ] && return 0
        if [ "$(now)" -ge "$deadline" ]; then
            echo "cluster: not ready:$missing" >&2
            return 1
        fi
        sleep 1
    done
}

s_up () {
    s_engine
    local t0
    t0=$(now)
    if [ "${FOGRID_CLUSTER_IMAGES:-build}" != skip ]; then
        say "building the images (deploy/images/build-images.sh; quick when nothing changed)"
        "$source_dir/deploy/images/build-images.sh" || die "the images could not be built (above: why)"
    fi
    say "keys and configurations in $dir (deploy/cluster/make-keys.sh)"
    "$here/make-keys.sh" "$dir" || die "no keys or configurations (above: why)"
    s_load_env
    local services="$daemons cli"
    if docker image inspect fogrid/prometheus:latest >/dev/null 2>&1; then
        services="$services prometheus"
    else
        say "no fogrid/prometheus image: the cluster runs without Prometheus"
    fi
    say "starting $services (${compose_cmd[*]} -p $project)"
    # shellcheck disable=SC2086
    s_compose up -d $services || die "${compose_cmd[*]} up failed (above: why)"
    say "waiting until the locators, the hubs and the miners answer"
    if ! s_wait_ready 60; then
        s_compose ps
        # shellcheck disable=SC2086
        s_logs $suspects
        die "the cluster did not come up in 60 s (above: the logs of the containers concerned)"
    fi
    say "up in $(( $(now) - t0 )) s:"
    cat <<EOF
  locators   tcp://127.0.0.1:$FOGRID_LOCATOR1_PORT, tcp://127.0.0.1:$FOGRID_LOCATOR2_PORT  (HTTP :$FOGRID_LOCATOR1_HTTP, :$FOGRID_LOCATOR2_HTTP; DNS :$FOGRID_LOCATOR1_DNS, :$FOGRID_LOCATOR2_DNS)
  hubs       hub1 buyers :$FOGRID_HUB1_BUYERS, miner1 and miner2; hub2 buyers :$FOGRID_HUB2_BUYERS, miner3
  dashboards http://127.0.0.1:$FOGRID_HUB1_HTTP/ and http://127.0.0.1:$FOGRID_HUB2_HTTP/
  Prometheus http://127.0.0.1:$FOGRID_PROMETHEUS_PORT/
  a buyer    docker exec ${prefix}cli fogrid miners
             docker exec ${prefix}cli fogrid submit --wait -- sh -c 'echo hello'
  or here    FOGRID_LOCATOR=$FOGRID_LOCATORS FOGRID_SECURITY_LOCATOR_KEY=$dir/keys/locator.key build/bin/fogrid ...
  take down  make cluster-down
EOF
}

#   -- test ----------------------------------------------------------------
results=()
step_name=""
step_containers=""
step_t0=0

step () {
    step_name=$1
    step_containers=$2
    step_t0=$(now)
    printf '\n\033[1m== %s\033[0m\n' "$step_name"
}
note () { echo "   $*"; }
pass () {
    local took=$(( $(now) - step_t0 ))
    results+=("$(printf 'ok    %3s s  %s' "$took" "$step_name")")
    note "ok ($took s)${1:+: $1}"
}
s_report () {
    printf '\n\033[1m== report\033[0m\n'
    local line
    for line in "${results[@]}"; do echo "  $line"; done
}
#   A step failed: say what, show its containers' logs, report, stop
flunk () {
    echo "   FAILED: $*"
    results+=("$(printf 'FAIL  %3s s  %s: %s' $(( $(now) - step_t0 )) "$step_name" "$*")")
    echo
    # shellcheck disable=SC2086
    s_logs $step_containers
    s_report
    echo "cluster-test: FAILED (the cluster is still up: make cluster-down)"
    exit 1
}

#   TASK -> "STATE MINER ATTEMPT" from `fogrid status` through HUB_ARGS...
s_task () {
    local task=$1; shift
    fogrid "$@" status "$task" 2>/dev/null \
        | awk '$1 == "state" { s = $2 } $1 == "miner" { m = $2 } $1 == "attempt" { a = $2 }
               END { print s, m, a }'
}
#   until COND_SECONDS SHELL-CONDITION: polls every half second
until_true () {
    local deadline=$(( $(now) + $1 )); shift
    while ! eval "$*"; do
        [ "$(now)" -ge "$deadline" ] && return 1
        sleep 0.5
    done
}
#   submit HUB_ARRAY_NAME ARGS...: prints the task id
s_submit () {
    local -n submit_to=$1; shift
    fogrid "${submit_to[@]}" submit "$@"
}

s_test () {
    s_engine
    if ! s_load_env || ! s_running cli || ! s_running hub1; then
        say "the cluster is not up: bringing it up first"
        s_up
        s_load_env
    elif ! s_wait_ready 10; then
        say "the cluster is up but not whole: starting what is stopped (${compose_cmd[*]} up -d)"
        s_compose up -d 2>&1 | grep -v '^$\|\.\.\. *$' | sed 's/^/  /'
        if ! s_wait_ready 60; then
            s_compose ps
            # shellcheck disable=SC2086
            s_logs $suspects
            die "the cluster is up but not ready (above: the logs of the containers concerned)"
        fi
    fi
    local t_start id ids miner state attempt out n
    t_start=$(now)

    step "the cluster answers: two locators, two hubs, three miners" "locator1 locator2 hub1 hub2"
    for port in "$FOGRID_LOCATOR1_PORT" "$FOGRID_LOCATOR2_PORT"; do
        n=$(fogrid -l "tcp://127.0.0.1:$port" services 2>&1 | awk '$1 == "hub" { print $2 }')
        note "locator on :$port knows hub with ${n:-no} endpoints"
        [ "$n" = 2 ] || flunk "the locator on :$port should know both hubs"
    done
    note "hub1's miners: $(s_connected 1); hub2's: $(s_connected 2)"
    [ "$(s_connected 1)" = "m-cluster1 m-cluster2" ] || flunk "hub1 should have miner1 and miner2"
    [ "$(s_connected 2)" = "m-cluster3" ] || flunk "hub2 should have miner3"
    pass

    step "batch: 6 tasks on hub1, 2 on hub2, one in a container; spread over the miners" \
         "hub1 hub2 miner1 miner2 miner3"
    ids=()
    for n in 1 2 3 4 5 6; do
        id=$(s_submit hub1 -- sh -c "sleep 2; echo batch task $n") || flunk "submit to hub1 failed"
        ids+=("1:$id:batch task $n")
    done
    for n in 7 8; do
        id=$(s_submit hub2 -- sh -c "sleep 2; echo batch task $n") || flunk "submit to hub2 failed"
        ids+=("2:$id:batch task $n")
    done
    id=$(s_submit hub1 --image fogrid/busybox -- sh -c 'echo batch task in a container') \
        || flunk "submit of a container task failed"
    ids+=("1:$id:batch task in a container")
    note "submitted ${#ids[@]} tasks; waiting for them"
    declare -A ran_on=()
    local entry hub_n expect hub_args
    for entry in "${ids[@]}"; do
        hub_n=${entry%%:*}; id=${entry#*:}; expect=${id#*:}; id=${id%%:*}
        if [ "$hub_n" = 1 ]; then hub_args=("${hub1[@]}"); else hub_args=("${hub2[@]}"); fi
        fogrid_within 60 "${hub_args[@]}" wait "$id" >/dev/null \
            && out=$(fogrid "${hub_args[@]}" result --stdout "$id") \
            || flunk "task $id did not succeed in 60 s: $(s_task "$id" "${hub_args[@]}")"
        read -r state miner attempt <<< "$(s_task "$id" "${hub_args[@]}")"
        [ "$out" = "$expect" ] || flunk "task $id printed '$out', not '$expect'"
        ran_on[$miner]=$(( ${ran_on[$miner]:-0} + 1 ))
    done
    out=""
    for miner in $(printf '%s\n' "${!ran_on[@]}" | sort); do out="$out $miner×${ran_on[$miner]}"; done
    note "all ${#ids[@]} succeeded with the right output; ran on$out"
    [ ${#ran_on[@]} -eq 3 ] || flunk "the tasks should have run on all three miners (ran on$out)"
    batch_ids=("${ids[@]}")
    pass "ran on$out"

    step "a service: fogrid/echo-service run on hub2's miner, resolved and called" "hub2 miner3 locator1 locator2"
    out=$(fogrid "${hub2[@]}" run-service --image fogrid/echo-service --name echo --port 5555 --wait 2>&1) \
        || flunk "run-service failed: $out"
    service_task=$(echo "$out" | head -n 1)
    note "service task $service_task, in the locators as: $(echo "$out" | sed -n 2p)"
    out=$(fogrid resolve echo 2>&1) || flunk "resolve echo failed: $out"
    note "fogrid resolve echo: $(echo "$out" | grep -c '^ *tcp://') endpoint(s), functions: $(echo "$out" \
          | awk '/^functions/ { f = 1; next } f { sub (/\(.*/, "", $1); printf "%s ", $1 }')"
    out=$(fogrid call echo echo hi 2>&1)
    note "fogrid call echo echo hi: $out"
    [ "$out" = hi ] || flunk "the echo service should answer 'hi'"
    pass

    step "a miner stopped: miner2's tasks finish on miner1" "hub1 miner1 miner2"
    ids=()
    for n in 1 2 3 4; do
        id=$(s_submit hub1 -- sh -c "sleep 4; echo survivor $n") || flunk "submit failed"
        ids+=("$id")
    done
    s_all_running () {
        local id
        for id in "${ids[@]}"; do
            [ "$(s_task "$id" "${hub1[@]}" | cut -d' ' -f1)" = running ] || return 1
        done
    }
    until_true 15 s_all_running || flunk "the 4 tasks did not all start in 15 s"
    local on_miner2=()
    for id in "${ids[@]}"; do
        [ "$(s_task "$id" "${hub1[@]}" | cut -d' ' -f2)" = m-cluster2 ] && on_miner2+=("$id")
    done
    note "running: 4 tasks, ${#on_miner2[@]} of them on miner2 (${on_miner2[*]:-none})"
    [ ${#on_miner2[@]} -gt 0 ] || flunk "no task went to miner2"
    note "docker stop ${prefix}miner2"
    docker stop "${prefix}miner2" >/dev/null || flunk "cannot stop miner2"
    fogrid_within 60 "${hub1[@]}" wait "${ids[@]}" 2>&1 | grep ' done (' | tail -n 1 | sed 's/^/   fogrid wait: /'
    for id in "${ids[@]}"; do
        read -r state miner attempt <<< "$(s_task "$id" "${hub1[@]}")"
        [ "$state" = succeeded ] || flunk "task $id is $state, not succeeded"
        [ "$miner" = m-cluster1 ] || flunk "task $id ended on $miner, not miner1"
    done
    for id in "${on_miner2[@]}"; do
        read -r state miner attempt <<< "$(s_task "$id" "${hub1[@]}")"
        note "$id: was on miner2, succeeded on miner1 as attempt $attempt"
    done
    note "docker start ${prefix}miner2: it says hello to hub1 again"
    docker start "${prefix}miner2" >/dev/null || flunk "cannot start miner2 again"
    until_true 20 '[ "$(s_connected 1)" = "m-cluster1 m-cluster2" ]' \
        || flunk "miner2 did not come back to hub1 in 20 s"
    pass "${#on_miner2[@]} tasks moved from miner2 to miner1; miner2 back"

    step "a hub restarted: a task submitted before finishes after, nothing lost" "hub1 miner1 miner2"
    local before after
    before=$(curl -fsS -m 5 "http://127.0.0.1:$FOGRID_HUB1_HTTP/metrics" \
             | awk '/^fogrid_hub_tasks\{/ { n += $2 } END { print n + 0 }')
    id=$(s_submit hub1 -- sh -c 'sleep 5; echo survived the restart') || flunk "submit failed"
    until_true 10 '[ "$(s_task "$id" "${hub1[@]}" | cut -d" " -f1)" = running ]' \
        || flunk "task $id did not start in 10 s"
    note "task $id running on $(s_task "$id" "${hub1[@]}" | cut -d' ' -f2); hub1 keeps $((before + 1)) tasks"
    note "docker restart ${prefix}hub1"
    docker restart "${prefix}hub1" >/dev/null || flunk "cannot restart hub1"
    until_true 20 'fogrid "${hub1[@]}" -T 1000 health >/dev/null 2>&1' || flunk "hub1 does not answer 20 s after its restart"
    fogrid_within 60 "${hub1[@]}" wait "$id" >/dev/null \
        && out=$(fogrid "${hub1[@]}" result --stdout "$id") \
        || flunk "task $id did not succeed after the restart: $(s_task "$id" "${hub1[@]}")"
    [ "$out" = "survived the restart" ] || flunk "task $id printed '$out'"
    note "task $id: $(s_task "$id" "${hub1[@]}" | cut -d' ' -f1), printed '$out'"
    for entry in "${batch_ids[@]}"; do
        [ "${entry%%:*}" = 1 ] || continue
        id=${entry#*:}; id=${id%%:*}
        [ "$(s_task "$id" "${hub1[@]}" | cut -d' ' -f1)" = succeeded ] \
            || flunk "after the restart, hub1 lost the batch task $id"
    done
    until_true 10 'after=$(curl -fsS -m 5 "http://127.0.0.1:$FOGRID_HUB1_HTTP/metrics" | awk "/^fogrid_hub_tasks\\{/ { n += \$2 } END { print n + 0 }"); [ "$after" = $((before + 1)) ]' \
        || flunk "hub1 keeps ${after:-?} tasks after its restart, not $((before + 1))"
    note "after the restart hub1 keeps $after tasks, the earlier batch tasks with their results"
    pass

    step "the hub registry: a change at one locator is at the other; one made while a locator is down reaches it when it is back" "locator1 locator2"
    local l1=(-l "tcp://127.0.0.1:$FOGRID_LOCATOR1_PORT") l2=(-l "tcp://127.0.0.1:$FOGRID_LOCATOR2_PORT")
    s_registry_status () {    # LOCATOR_ARRAY_NAME -> the status of hub-cluster-check there
        local -n registry_at=$1
        fogrid "${registry_at[@]}" -T 1000 registry --hub hub-cluster-check 2>/dev/null \
            | awk '$1 == "hub-cluster-check" { print $2 }'
    }
    out=$(fogrid "${l1[@]}" admin registry add hub-cluster-check --stake 1 2>&1) \
        || flunk "admin registry add at locator1 failed: $out"
    until_true 10 '[ "$(s_registry_status l2)" = registered ]' \
        || flunk "locator2 does not list hub-cluster-check as registered 10 s after locator1 took it"
    note "added at locator1; locator2 lists it as $(s_registry_status l2)"
    pass

    step "a locator stopped: resolution keeps working through the other" "locator1 locator2 hub1 hub2 miner3"
    note "docker stop ${prefix}locator1"
    docker stop "${prefix}locator1" >/dev/null || flunk "cannot stop locator1"
    out=$(fogrid -T 2000 resolve hub 2>&1) || flunk "resolve hub failed: $out"
    note "fogrid resolve hub: $(echo "$out" | grep -c '^ *tcp://') endpoints $(echo "$out" | sed -n 's/^name *hub //p')"
    #   (the CLI logs its failover to the first locator on stdout: left out)
    out=$(fogrid -T 2000 call echo echo still here 2>/dev/null | grep -v '^W: ')
    note "fogrid call echo echo still here: $out"
    [ "$out" = "still here" ] || flunk "the service should still be called through locator2"
    out=$(fogrid -T 2000 submit --wait -- sh -c 'echo submitted through locator2' 2>/dev/null \
          | awk 'f { print; exit } /^--- stdout/ { f = 1 }')
    note "fogrid submit --wait (hub found through locator2): $out"
    [ "$out" = "submitted through locator2" ] || flunk "a task submitted through locator2 did not run"
    out=$(fogrid "${l2[@]}" admin registry suspect hub-cluster-check --reason 'cluster test' 2>&1) \
        || flunk "admin registry suspect at locator2 failed: $out"
    note "while locator1 is down, locator2 suspects hub-cluster-check"
    note "docker start ${prefix}locator1: the hubs and the service register there again"
    docker start "${prefix}locator1" >/dev/null || flunk "cannot start locator1"
    s_l1_whole () {
        out=$(fogrid -l "tcp://127.0.0.1:$FOGRID_LOCATOR1_PORT" -T 1000 services 2>/dev/null)
        [ "$(echo "$out" | awk '$1 == "hub" { print $2 }')" = 2 ] &&
        [ "$(echo "$out" | awk '$1 == "echo" { print $2 }')" = 1 ]
    }
    until_true 20 s_l1_whole || flunk "locator1 did not learn the hubs and echo again in 20 s"
    until_true 10 '[ "$(s_registry_status l1)" = suspected ]' \
        || flunk "locator1 does not have the suspicion locator2 took while it was down"
    note "locator1 back: hub-cluster-check is $(s_registry_status l1) there too"
    pass "locator1 back with both hubs, echo and the registry's change"

    step "Prometheus scrapes every daemon" "prometheus"
    if ! s_running prometheus; then
        note "no Prometheus in this cluster: skipped"
        results+=("$(printf 'skip  %3s s  %s' 0 "$step_name")")
    else
        local prom="http://127.0.0.1:$FOGRID_PROMETHEUS_PORT/api/v1/query"
        s_prom () {    # QUERY -> the value of its single result
            curl -fsS -m 5 -G "$prom" --data-urlencode "query=$1" 2>/dev/null \
                | sed -n 's/.*"value":\[[^,]*,"\([^"]*\)"\].*/\1/p'
        }
        until_true 30 '[ "$(s_prom "sum(up)")" = 7 ]' \
            || flunk "Prometheus sees $(s_prom 'sum(up)') of 7 daemons up"
        note "targets up: $(s_prom 'sum(up)')/7; tasks succeeded (hubs): $(s_prom 'sum(fogrid_hub_tasks{state="succeeded"})'); started (miners): $(s_prom 'sum(fogrid_miner_tasks_started_total)')"
        pass
    fi

    step "the service stopped: it leaves the locators" "hub2 miner3"
    fogrid "${hub2[@]}" stop-service "$service_task" >/dev/null 2>&1 || flunk "stop-service failed"
    until_true 15 '! fogrid resolve echo >/dev/null 2>&1' || flunk "echo is still in the locators 15 s after stop-service"
    note "fogrid stop-service $service_task: $(s_task "$service_task" "${hub2[@]}" | cut -d' ' -f1); fogrid resolve echo: not found"
    pass

    s_report
    echo "cluster-test: passed in $(( $(now) - t_start )) s (the cluster is still up: make cluster-down)"
}

#   -- down ------------------------------------------------------------------
s_down () {
    s_engine
    if [ -r "$dir/cluster.env" ] && [ ${#compose_cmd[@]} -gt 0 ]; then
        say "stopping and removing the cluster (${compose_cmd[*]} down -v)"
        s_compose down -v --remove-orphans 2>&1 | grep -v '^$\|\.\.\. *$' | sed 's/^/  /'
    fi
    #   Whatever is left: containers by name, task containers by their miner
    local left
    left=$(docker ps -aq --filter "name=^/${prefix}")
    for n in 1 2 3; do
        left="$left $(docker ps -aq --filter "label=org.fogrid.miner=m-cluster$n")"
    done
    left=$(echo "$left" | xargs)
    if [ -n "$left" ]; then
        say "removing containers left behind: $left"
        # shellcheck disable=SC2086
        docker rm -f -v $left >/dev/null
    fi
    for volume in $(docker volume ls -q --filter "name=^${project}_"); do
        docker volume rm "$volume" >/dev/null 2>&1
    done
    docker network rm "${project}_grid" >/dev/null 2>&1
    say "down (the keys stay in $dir)"
}

s_status () {
    s_engine
    s_load_env || die "no cluster configured in $dir (make cluster-up)"
    s_compose ps
    if s_running cli; then
        echo "hub1:"; fogrid "${hub1[@]}" -T 2000 miners 2>&1 | sed 's/^/  /'
        echo "hub2:"; fogrid "${hub2[@]}" -T 2000 miners 2>&1 | sed 's/^/  /'
    fi
}

case "${1:-}" in
    up) s_up ;;
    test) s_test ;;
    down) s_down ;;
    status) s_status ;;
    logs) shift; s_engine; if [ $# -gt 0 ]; then s_logs "$@"; else s_logs $daemons prometheus cli; fi ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub (/^#/, ""); sub (/^   /, ""); print; next } NR > 1 { exit }' "$0" ;;
    *) die "usage: $0 up|test|down|status|logs [NAME]" ;;
esac
