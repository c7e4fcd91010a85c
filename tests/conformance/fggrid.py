#   fggrid - a real grid for the conformance suite: fogrid-locator,
#   fogrid-hub and fogrid-miner (process runtime) from the build tree, with
#   CurveZMQ on, on free ports, in a temp dir. stop() ends every process it
#   started (SIGTERM, then SIGKILL), whatever happened before.

import os
import signal
import socket
import subprocess
import time
import urllib.request

import fgwire


def free_port(taken=set()):
    """A TCP port on 127.0.0.1 that nothing listens on now (and that this
    process has not handed out before), also free for UDP (DNS)."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
        if port in taken:
            continue
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                udp.bind(("127.0.0.1", port))
        except OSError:
            continue
        taken.add(port)
        return port
    raise RuntimeError("no free port")


class Grid:
    def __init__(self, bin_dir, workdir, preexec=None):
        self.bin_dir = os.path.abspath(bin_dir)
        self.preexec = preexec      #   run in each daemon before exec
        self.dir = workdir
        self.procs = {}             #   name -> Popen
        self.logs = {}              #   name -> log path
        self.ports = {name: free_port() for name in
                      ("loc", "dns", "loc_http", "buyers", "miners", "hub_http", "miner_http")}
        self.locator_endpoint = "tcp://127.0.0.1:%d" % self.ports["loc"]
        self.buyer_endpoint = "tcp://127.0.0.1:%d" % self.ports["buyers"]
        self.miner_endpoint = "tcp://127.0.0.1:%d" % self.ports["miners"]
        #   The locator's key pair, made here in keygen's format: the
        #   locator loads it, the hub and miner read its public half
        os.makedirs(os.path.join(workdir, "keys"), exist_ok=True)
        self.locator_key_file = os.path.join(workdir, "keys", "locator.key")
        self.locator_key, secret = fgwire.keypair()
        fgwire.write_key_files(self.locator_key_file, self.locator_key, secret)
        #   The DAO's key (hub/admin_keys): the suite's own
        self.admin_keys = fgwire.keypair()
        self.hub_key = None
        self.miner_id = "m-conformance"

    def _start(self, name, program, *args):
        log = os.path.join(self.dir, name + ".log")
        self.logs[name] = log
        out = open(log, "w")
        self.procs[name] = subprocess.Popen([os.path.join(self.bin_dir, program)] + list(args),
                                            stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                            cwd=self.dir, start_new_session=True,
                                            preexec_fn=self.preexec)
        out.close()

    def start(self, hub_max_message=65536):
        p = self.ports
        self._start("locator", "fogrid-locator", "--bind", "tcp://127.0.0.1:%d" % p["loc"],
                    "--dns", "127.0.0.1:%d" % p["dns"], "--http", "127.0.0.1:%d" % p["loc_http"],
                    "--data", os.path.join(self.dir, "locator"),
                    "-o", "security/keys=" + self.locator_key_file,
                    "-o", "locator/ttl_ms=3000")
        self._start("hub", "fogrid-hub", "--buyers", self.buyer_endpoint,
                    "--miners", self.miner_endpoint, "--locator", self.locator_endpoint,
                    "--data", os.path.join(self.dir, "hub"),
                    "-o", "hub/http=127.0.0.1:%d" % p["hub_http"],
                    "-o", "hub/advertise_host=127.0.0.1",
                    "-o", "hub/open_deposits=1",
                    "-o", "hub/admin_keys=" + self.admin_keys[0],
                    "-o", "hub/max_message=%d" % hub_max_message,
                    "-o", "hub/buyer_rate=0",
                    "-o", "locator/ttl_ms=3000",
                    "-o", "security/locator_key=" + self.locator_key_file)
        self._start("miner", "fogrid-miner", "--locator", self.locator_endpoint,
                    "--data", os.path.join(self.dir, "miner"), "--name", "conformance",
                    "-o", "miner/id=" + self.miner_id,
                    "-o", "miner/http=127.0.0.1:%d" % p["miner_http"],
                    "-o", "miner/runtime=process",
                    "-o", "miner/price=100",
                    "-o", "miner/cores=2",
                    "-o", "security/locator_key=" + self.locator_key_file)

    def start_locator(self, name, *options):
        """Another locator (its own key, ports and data), for a case that
        needs other settings; stop() ends it with the rest. Returns a
        client factory for it, once it answers."""
        public, secret = fgwire.keypair()
        key_file = os.path.join(self.dir, "keys", name + ".key")
        fgwire.write_key_files(key_file, public, secret)
        endpoint = "tcp://127.0.0.1:%d" % free_port()
        self._start(name, "fogrid-locator", "--bind", endpoint, "--dns", "",
                    "--http", "", "--data", os.path.join(self.dir, name),
                    "-o", "security/keys=" + key_file, *options)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if not self.alive(name):
                raise RuntimeError("%s exited:\n%s" % (name, self.tail(name)))
            client = fgwire.Client(endpoint, public)
            try:
                seq = client.send("loc_list", fgwire.pb.LocList())
                if client.recv_for(seq, 0.5) is not None:
                    return lambda: fgwire.Client(endpoint, public)
            finally:
                client.close()
        raise RuntimeError("%s never answered:\n%s" % (name, self.tail(name)))

    def alive(self, name):
        proc = self.procs.get(name)
        return proc is not None and proc.poll() is None

    def stop(self):
        for name, proc in reversed(list(self.procs.items())):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for name, proc in self.procs.items():
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def tail(self, name, lines=30):
        try:
            with open(self.logs[name], errors="replace") as src:
                return "".join(src.readlines()[-lines:])
        except OSError:
            return ""

    def metric(self, port_name, prefix):
        """The value of the first /metrics line starting with prefix, or 0."""
        url = "http://127.0.0.1:%d/metrics" % self.ports[port_name]
        with urllib.request.urlopen(url, timeout=5) as page:
            for line in page.read().decode().splitlines():
                if line.startswith(prefix):
                    return float(line.rsplit(" ", 1)[1])
        return 0.0

    def locator(self, keys=None):
        return fgwire.Client(self.locator_endpoint, self.locator_key, keys)

    def buyer(self, keys=None):
        return fgwire.Client(self.buyer_endpoint, self.hub_key, keys)

    def miner(self, keys=None):
        return fgwire.Client(self.miner_endpoint, self.hub_key, keys)

    def wait_ready(self, timeout=30.0):
        """Waits until the hub is resolvable through the locator (which
        gives its key) and the real miner is connected to it."""
        pb = fgwire.pb
        deadline = time.monotonic() + timeout
        loc = self.locator()
        try:
            while time.monotonic() < deadline:
                for name in ("locator", "hub", "miner"):
                    if not self.alive(name):
                        raise RuntimeError("%s exited:\n%s" % (name, self.tail(name)))
                pages, done, error = loc.resolve("hub")
                if done and pages and pages[0].endpoints:
                    self.hub_key = pages[0].endpoints[0].public_key
                    break
                time.sleep(0.2)
            else:
                raise RuntimeError("the hub never registered:\n" + self.tail("hub"))
        finally:
            loc.close()
        buyer = self.buyer()
        try:
            while time.monotonic() < deadline:
                env = buyer.call("miners", pb.MinersRequest())
                if any(m.miner_id == self.miner_id and m.state == "connected"
                       for m in env.miners_reply.miners):
                    return
                time.sleep(0.2)
            raise RuntimeError("the miner never connected:\n" + self.tail("miner"))
        finally:
            buyer.close()
