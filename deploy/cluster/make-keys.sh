#!/bin/sh
#   make-keys.sh - the keys and configurations of the docker-compose test
#   cluster (deploy/docker-compose.yml), written into one directory
#
#   usage: deploy/cluster/make-keys.sh [DIR]      (default build/cluster)
#
#   DIR/keys/     locator.key   the locators' pair: both locators share it,
#                               everyone else gets the public half
#                 hub1.key, hub2.key   each hub's pair (the miners are given
#                               their hub's public key: miner/hub_key)
#                 buyer.key     the test's buyer; also the hubs' admin key and
#                               the DAO: its signing key buyer.sign is the
#                               locators' admin_keys
#                 (each NAME.key with its NAME.sign signing pair, as fogrid
#                 keygen makes them; made once: a rerun keeps them, and adds
#                 a missing signing pair; the _secret halves are mode 600,
#                 owned by the images' fogrid user, uid 7700)
#   DIR/*.cfg     one ZPL file per daemon (locator.cfg serves both locators)
#   DIR/prometheus.yml   what Prometheus scrapes
#   DIR/cluster.env      the ports and paths docker-compose substitutes
#                        (docker-compose --env-file DIR/cluster.env ...)
#
#   Ports, all published on 127.0.0.1 only, from FOGRID_CLUSTER_PORT
#   (default 27700, the base B):
#     B+0, B+10      locator1, locator2 (ZeroMQ)   B+53, B+63  their DNS
#     B+80, B+90     locator1, locator2 HTTP (/v1/services, /metrics)
#     B+1/B+2        hub1 buyers/miners            B+81  hub1 HTTP (dashboard)
#     B+11/B+12      hub2 buyers/miners            B+91  hub2 HTTP
#     B+82..B+84     miner1..3 HTTP (/metrics)     B+99  Prometheus
#   The keys are made with the fogrid/cli image (build it first:
#   deploy/images/build-images.sh), so nothing needs building on the host.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(cd "$here/../.." && pwd)
case "${1:-}" in
    -h|--help) awk 'NR > 1 && /^#/ { sub (/^#/, ""); sub (/^   /, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    -*) echo "make-keys: unknown option '$1' (usage: $0 [DIR])" >&2; exit 2 ;;
esac
dir="${1:-$source_dir/build/cluster}"
base="${FOGRID_CLUSTER_PORT:-27700}"
cli_image="fogrid/cli:latest"
socket=/var/run/docker.sock

say () { echo "make-keys: $*"; }
fail () { echo "make-keys: $*" >&2; exit 1; }

case "$base" in
    ''|*[!0-9]*) fail "FOGRID_CLUSTER_PORT must be a port number, not '$base'" ;;
esac
[ "$base" -ge 1024 ] && [ "$base" -le 65400 ] || fail "FOGRID_CLUSTER_PORT must be within 1024..65400"
docker image inspect "$cli_image" >/dev/null 2>&1 \
    || fail "no $cli_image image: build the images first (deploy/images/build-images.sh)"

mkdir -p "$dir/keys"
dir=$(cd "$dir" && pwd)

#   Keys: made as root inside the CLI image, then given to its fogrid user,
#   which every daemon of the cluster runs as
say "keys in $dir/keys (kept when present)"
docker run --rm --user 0 --network none --entrypoint /bin/sh -v "$dir/keys:/keys" "$cli_image" -c '
    for name in locator hub1 hub2 buyer; do
        if [ ! -s "/keys/$name.key" ] || [ ! -s "/keys/$name.key_secret" ] \
           || [ ! -s "/keys/$name.sign_secret" ]; then
            fogrid keygen "/keys/$name.key" >/dev/null 2>&1 || { echo "cannot make $name.key" >&2; exit 1; }
            echo "made $name.key"
        fi
    done
    chown -R fogrid:fogrid /keys && chmod 755 /keys && chmod 644 /keys/*.key /keys/*.sign \
        && chmod 600 /keys/*.key_secret /keys/*.sign_secret
' | sed 's/^/make-keys:   /' || fail "cannot make the keys in $dir/keys"

s_public () {
    sed -n 's/^ *public-key = "\(.*\)"$/\1/p' "$dir/keys/$1.key"
}
buyer=$(s_public buyer)
[ -n "$buyer" ] || fail "no public key in $dir/keys/buyer.key"
buyer_sign=$(sed -n 's/^ *public-key = "\(.*\)"$/\1/p' "$dir/keys/buyer.sign")
[ -n "$buyer_sign" ] || fail "no signing key in $dir/keys/buyer.sign"

l1=$base;              l2=$((base + 10))
dns1=$((base + 53));   dns2=$((base + 63))
lh1=$((base + 80));    lh2=$((base + 90))
hb1=$((base + 1));     hm1=$((base + 2));   hh1=$((base + 81))
hb2=$((base + 11));    hm2=$((base + 12));  hh2=$((base + 91))
mh1=$((base + 82));    mh2=$((base + 83));  mh3=$((base + 84))
prom=$((base + 99))
locators_inside="tcp://locator1:7700,tcp://locator2:7700"
locators_outside="tcp://127.0.0.1:$l1,tcp://127.0.0.1:$l2"

say "configurations in $dir"
cat > "$dir/locator.cfg" <<EOF
#   Both locators of the test cluster (made by deploy/cluster/make-keys.sh).
#   They share one key pair, so a client trusts either with the same key,
#   and each pulls the hub registry from the other (peers names both: a
#   locator skips itself). The buyer is the DAO too: its signing key.
locator
    endpoint = "tcp://*:7700"
    dns = "*:7753"
    http = "0.0.0.0:7780"
    admin_keys = "$buyer_sign"
    peers = "$locators_inside"
    peer_sync_ms = "500"
security
    keys = "/etc/fogrid/keys/locator.key"
EOF

#   hub N BUYERS MINERS
s_hub () {
    cat > "$dir/hub$1.cfg" <<EOF
#   hub$1 of the test cluster (made by deploy/cluster/make-keys.sh). It binds
#   inside its container the port it is published on, on the host's
#   loopback: what it registers in the locators (advertise_host and the
#   bound port) is then what the miners and buyers outside dial.
hub
    buyer_endpoint = "tcp://*:$2"
    miner_endpoint = "tcp://*:$3"
    advertise_host = "127.0.0.1"
    http = "0.0.0.0:7781"
    locator_http = "http://locator1:7780"
    admin_keys = "$buyer"
locator
    endpoints = "$locators_inside"
security
    keys = "/etc/fogrid/keys/hub$1.key"
    locator_key = "/etc/fogrid/keys/locator.key"
EOF
}
s_hub 1 "$hb1" "$hm1"
s_hub 2 "$hb2" "$hm2"

#   miner N HUB_MINERS_PORT HUB HTTP
s_miner () {
    cat > "$dir/miner$1.cfg" <<EOF
#   miner$1 of the test cluster (made by deploy/cluster/make-keys.sh). It runs
#   on the host's network, as a miner drives its machine's Docker engine:
#   its services are published on the host's loopback and health-checked
#   on the engine's bridge. It works for hub$3 only (miner/hubs), so that
#   the test knows where the work goes; without miner/hubs a miner takes
#   whichever hub the locators name.
miner
    id = "m-cluster$1"
    name = "miner$1"
    hubs = "tcp://127.0.0.1:$2"
    hub_key = "/etc/fogrid/keys/hub$3.key"
    cores = "2"
    labels = "cluster=compose,node=miner$1"
    runtime = "process,docker"
    advertise_host = "127.0.0.1"
    http = "127.0.0.1:$4"
locator
    endpoints = "$locators_outside"
security
    locator_key = "/etc/fogrid/keys/locator.key"
EOF
}
s_miner 1 "$hm1" 1 "$mh1"
s_miner 2 "$hm1" 1 "$mh2"
s_miner 3 "$hm2" 2 "$mh3"

cat > "$dir/prometheus.yml" <<EOF
#   Prometheus of the test cluster (made by deploy/cluster/make-keys.sh):
#   it runs on the host's network and scrapes the ports published there
global:
  scrape_interval: 5s
  evaluation_interval: 5s
scrape_configs:
  - job_name: fogrid-locator
    static_configs:
      - targets: ['127.0.0.1:$lh1', '127.0.0.1:$lh2']
  - job_name: fogrid-hub
    static_configs:
      - targets: ['127.0.0.1:$hh1', '127.0.0.1:$hh2']
  - job_name: fogrid-miner
    static_configs:
      - targets: ['127.0.0.1:$mh1', '127.0.0.1:$mh2', '127.0.0.1:$mh3']
EOF

docker_gid=$(stat -c %g "$socket" 2>/dev/null || echo 0)
cat > "$dir/cluster.env" <<EOF
# the test cluster's settings for docker-compose (--env-file) and the scripts
FOGRID_CLUSTER_DIR=$dir
FOGRID_DOCKER_SOCKET=$socket
FOGRID_DOCKER_GID=$docker_gid
FOGRID_LOCATORS=$locators_outside
FOGRID_LOCATOR1_PORT=$l1
FOGRID_LOCATOR2_PORT=$l2
FOGRID_LOCATOR1_DNS=$dns1
FOGRID_LOCATOR2_DNS=$dns2
FOGRID_LOCATOR1_HTTP=$lh1
FOGRID_LOCATOR2_HTTP=$lh2
FOGRID_HUB1_BUYERS=$hb1
FOGRID_HUB1_MINERS=$hm1
FOGRID_HUB1_HTTP=$hh1
FOGRID_HUB2_BUYERS=$hb2
FOGRID_HUB2_MINERS=$hm2
FOGRID_HUB2_HTTP=$hh2
FOGRID_MINER1_HTTP=$mh1
FOGRID_MINER2_HTTP=$mh2
FOGRID_MINER3_HTTP=$mh3
FOGRID_PROMETHEUS_PORT=$prom
EOF

#   Each daemon checks its own configuration (-t), as it will run it
for daemon in locator hub1 hub2 miner1 miner2 miner3; do
    image="fogrid/$(echo "$daemon" | tr -d 0-9)"
    cfg=$daemon
    if docker image inspect "$image" >/dev/null 2>&1; then
        out=$(docker run --rm --network none -v "$dir:/etc/fogrid:ro" "$image" \
              -f "/etc/fogrid/$cfg.cfg" -t 2>&1) \
            || { echo "$out" >&2; fail "$cfg.cfg does not pass $image's check (-t)"; }
    fi
done
say "done: keys, $(cd "$dir" && echo *.cfg prometheus.yml cluster.env)"
