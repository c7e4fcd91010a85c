#!/bin/sh
#   check-installed.sh - inside a clean Debian container: installs fogrid's
#   packages with apt, checks what they put in place, then runs a grid
#   from them and a task through it
#
#   usage (test-packages.sh runs it): check-installed.sh DEB_DIR
#
#   No systemd runs here (PID 1 is this script), so the daemons are
#   started the way the units would start them: as the fogrid user, in
#   /var/lib/fogrid/NAME, with -f /etc/fogrid/NAME.cfg, after the units'
#   own check (-t). The configs are the installed ones; only what a first
#   machine must change goes in the environment, as `systemctl edit` would:
#   the hub takes tasks unpaid (hub/require_funds, on in the shipped
#   hub.cfg, wants a funded buyer). The locator's public key is copied to
#   /etc/fogrid/locator.key, as docs/several-machines.md says. Exits
#   non-zero on the first failure, with the daemons' logs.
set -eu

deb_dir="${1:?usage: $0 DEB_DIR}"
logs=/tmp/fogrid-logs
mkdir -p "$logs"
pids=""
failed=1
installed=0

say () { echo "check-installed: $*"; }
fail () { echo "check-installed: FAIL: $*" >&2; exit 1; }

s_end () {
    for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
    if [ "$failed" -ne 0 ]; then
        for log in "$logs"/*.log; do
            [ -s "$log" ] || continue
            #   apt's log only when apt is what failed
            [ "$log" = "$logs/apt.log" ] && [ "$installed" -eq 1 ] && continue
            echo "---- $(basename "$log") (last 40 lines)" >&2
            tail -n 40 "$log" >&2
        done
    fi
}
trap s_end EXIT

#   -- install ----------------------------------------------------------
export DEBIAN_FRONTEND=noninteractive
say "apt-get update"
apt-get -q -o Acquire::Retries=2 update >"$logs/apt.log" 2>&1 \
    || fail "apt-get update failed in the container (the mirror, above in apt.log)"
#   apt reads local packages as its own user: a copy it may read
mkdir -p /tmp/debs
cp "$deb_dir"/*.deb /tmp/debs/
chmod 644 /tmp/debs/*.deb
say "apt-get install $(cd /tmp/debs && echo ./*.deb)"
(cd /tmp/debs && apt-get install -y -q --no-install-recommends ./*.deb) >>"$logs/apt.log" 2>&1 \
    || fail "apt-get install failed (apt.log)"
for package in fogrid-locator fogrid-hub fogrid-miner fogrid; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || fail "$package is not installed ($status)"
done
installed=1

#   -- what the packages put in place -------------------------------------
entry=$(getent passwd fogrid) || fail "no fogrid user"
uid=$(echo "$entry" | cut -d: -f3)
[ "$uid" -lt 1000 ] || fail "fogrid is not a system user (uid $uid)"
say "user: $entry"
for daemon in locator hub miner; do
    cfg=/etc/fogrid/$daemon.cfg
    unit=/lib/systemd/system/fogrid-$daemon.service
    [ -f "$cfg" ] || fail "no $cfg"
    dpkg-query -W -f='${Conffiles}\n' "fogrid-$daemon" | grep -q " $cfg " \
        || fail "$cfg is not a conffile of fogrid-$daemon"
    grep -q "^    data_dir = \"/var/lib/fogrid/$daemon\"" "$cfg" \
        || fail "$cfg does not keep its data in /var/lib/fogrid/$daemon"
    [ -f "$unit" ] || fail "no $unit"
    grep -q "^ExecStart=/usr/bin/fogrid-$daemon -f $cfg\$" "$unit" \
        || fail "$unit does not start /usr/bin/fogrid-$daemon -f $cfg: $(grep '^ExecStart=' "$unit")"
    [ -L "/etc/systemd/system/multi-user.target.wants/fogrid-$daemon.service" ] \
        || fail "fogrid-$daemon.service is not enabled"
    owner=$(stat -c '%U:%G %a' "/var/lib/fogrid/$daemon")
    [ "$owner" = "fogrid:fogrid 750" ] || fail "/var/lib/fogrid/$daemon is $owner, not fogrid:fogrid 750"
done
[ "$(stat -c %U /var/lib/fogrid)" = fogrid ] || fail "/var/lib/fogrid is not fogrid's"
say "configs are conffiles, units enabled, data directories fogrid's"
say "systemd-analyze verify of the installed units"
systemd-analyze verify /lib/systemd/system/fogrid-locator.service \
    /lib/systemd/system/fogrid-hub.service /lib/systemd/system/fogrid-miner.service \
    >"$logs/verify.log" 2>&1 || { cat "$logs/verify.log" >&2; fail "systemd-analyze verify"; }
[ -s "$logs/verify.log" ] && sed 's/^/  /' "$logs/verify.log"

#   -- a grid from the installed programs ---------------------------------
#   start NAME ENV...: fogrid-NAME as the unit runs it, in the background.
#   setpriv execs (runuser would stay as its parent): $! is the daemon
as_fogrid="setpriv --reuid=fogrid --regid=fogrid --init-groups"
s_start () {
    daemon=$1; shift
    (cd "/var/lib/fogrid/$daemon" \
        && $as_fogrid env HOME=/var/lib/fogrid "$@" "fogrid-$daemon" -t -f "/etc/fogrid/$daemon.cfg") \
        >"$logs/$daemon-check.log" 2>&1 \
        || { cat "$logs/$daemon-check.log" >&2; fail "fogrid-$daemon -t -f /etc/fogrid/$daemon.cfg"; }
    cd "/var/lib/fogrid/$daemon"
    $as_fogrid env HOME=/var/lib/fogrid "$@" "fogrid-$daemon" -f "/etc/fogrid/$daemon.cfg" \
        >"$logs/$daemon.log" 2>&1 &
    pids="$pids $!"
    eval "pid_$daemon=$!"
    cd /
    say "fogrid-$daemon started (pid $!)"
}
#   alive NAME: still running?
s_alive () {
    eval "kill -0 \$pid_$1" 2>/dev/null || fail "fogrid-$1 stopped (its log below)"
}

s_start locator NOTHING=
key=/var/lib/fogrid/locator/keys/locator.key
waited=0
until [ -s "$key" ]; do
    s_alive locator
    [ "$waited" -lt 100 ] || fail "the locator made no $key in 10 s"
    sleep 0.1; waited=$((waited + 1))
done
install -m 644 "$key" /etc/fogrid/locator.key
say "the locator's public key copied to /etc/fogrid/locator.key"

s_start hub FOGRID_HUB_REQUIRE_FUNDS=0
s_start miner NOTHING=

export FOGRID_LOCATOR_KEY=/etc/fogrid/locator.key
say "waiting for the miner to reach the hub (fogrid miners)"
waited=0
until fogrid miners >"$logs/cli-miners.log" 2>&1 && grep -q connected "$logs/cli-miners.log"; do
    s_alive locator; s_alive hub; s_alive miner
    [ "$waited" -lt 60 ] || { cat "$logs/cli-miners.log" >&2; fail "no miner connected in 30 s"; }
    sleep 0.5; waited=$((waited + 1))
done
sed 's/^/  /' "$logs/cli-miners.log"
for daemon in locator hub miner; do
    eval "pid=\$pid_$daemon"
    [ "$(stat -c %U "/proc/$pid")" = fogrid ] || fail "fogrid-$daemon does not run as fogrid"
done

say "fogrid submit --wait"
if ! timeout 60 fogrid submit --wait -- sh -c 'echo "task ran as $(id -un) in $PWD"; echo $((6 * 7))' \
        >"$logs/cli-submit.log" 2>&1; then
    cat "$logs/cli-submit.log" >&2
    fail "the task did not succeed"
fi
sed 's/^/  /' "$logs/cli-submit.log"
grep -q '^task ran as fogrid in /var/lib/fogrid/miner/' "$logs/cli-submit.log" \
    || fail "the task's output does not say it ran as fogrid under /var/lib/fogrid/miner"
grep -qx 42 "$logs/cli-submit.log" || fail "the task's output lacks 42"

#   -- stop, then purge -------------------------------------------------
for daemon in miner hub locator; do
    eval "pid=\$pid_$daemon"
    kill -TERM "$pid"
    rc=0; wait "$pid" || rc=$?
    [ "$rc" -eq 0 ] || fail "fogrid-$daemon exited $rc on SIGTERM"
done
pids=""
say "the daemons stopped on SIGTERM (exit 0)"
dpkg --purge fogrid-miner fogrid-hub fogrid-locator fogrid >"$logs/purge.log" 2>&1 \
    || fail "dpkg --purge failed (purge.log)"
[ ! -e /var/lib/fogrid ] || fail "/var/lib/fogrid is left after the purge: $(ls -A /var/lib/fogrid)"
[ ! -e /lib/systemd/system/fogrid-hub.service ] || fail "the hub's unit is left after the purge"
[ ! -e /etc/systemd/system/multi-user.target.wants/fogrid-hub.service ] \
    || fail "the hub's unit is still enabled after the purge"
getent passwd fogrid >/dev/null || fail "the fogrid user went with the purge"
say "purged: data and units gone, the fogrid user kept"
failed=0
say "PASS"
