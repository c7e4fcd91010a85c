#   cases_miner - the miner's conversation with the hub (docs/protocol.md,
#   The hub: miners), played by Python: a statement checked offline, a
#   hello, heartbeats, an assignment run and paid, a kill, a goodbye

import hashlib
import time
import uuid

import fgcanon
from casekit import expect, expect_error, fund, wait_state

LABEL = ("conformance", "python")


class FakeMiner:
    """A miner on the hub's miner socket. Every wait heartbeats, as a
    miner must, every heartbeat_ms the welcome named."""

    def __init__(self, grid, pb, miner_id):
        self.pb = pb
        self.client = grid.miner()
        self.miner_id = miner_id
        self.heartbeat_ms = 1000
        self.last_beat = 0.0
        self.running = []           #   TaskRef

    def close(self):
        self.client.close()

    def hello(self):
        pb = self.pb
        resources = pb.Resources(cores=1, mem_mb=1024, disk_mb=1024, price=200,
                                 runtimes=["process"],
                                 labels=[pb.Label(key=LABEL[0], value=LABEL[1])],
                                 constraint='label.%s == "%s"' % LABEL)
        env = self.client.call("miner_hello", pb.MinerHello(
            miner_id=self.miner_id, name="python", resources=resources, version="conformance"))
        welcome = expect(env, "miner_welcome")
        self.heartbeat_ms = welcome.heartbeat_ms or 1000
        self.last_beat = time.monotonic()
        return welcome

    def beat(self):
        pb = self.pb
        self.client.send("miner_heartbeat", pb.MinerHeartbeat(
            miner_id=self.miner_id, load=pb.Load(running=len(self.running), healthy=True),
            running=self.running))
        self.last_beat = time.monotonic()

    def wait_for(self, wanted, timeout=15.0):
        """The next message whose body is wanted, heartbeating meanwhile;
        an Error on the way fails the case."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if time.monotonic() - self.last_beat >= self.heartbeat_ms / 2000.0:
                self.beat()
            env = self.client.recv(0.1)
            if env is None:
                continue
            body = env.WhichOneof("body")
            if body == wanted:
                return env
            assert body != "error", "while waiting for %s: Error %d %s" % (
                wanted, env.error.code, env.error.text)
        raise AssertionError("no %s in %.0f s" % (wanted, timeout))


def case_miner_conversation(ctx):
    pb, grid = ctx["pb"], ctx["grid"]
    miner = FakeMiner(grid, pb, "m-python-" + uuid.uuid4().hex[:6])
    buyer = grid.buyer()
    try:
        #   The statement, before the hello, checked offline
        nonce = uuid.uuid4().hex
        env = miner.client.call("wallet_statement", pb.WalletStatement(nonce=nonce))
        statement = expect(env, "wallet_statement_reply")
        assert statement.nonce == nonce and statement.state == "registered", \
            "statement %s %s" % (statement.nonce, statement.state)
        assert fgcanon.verify(statement.ledger_key, fgcanon.statement_text(statement),
                              statement.signature), "the statement's signature does not verify"
        for entry in statement.recent_payouts:
            assert entry.id.startswith("pay/"), "a payout %s" % entry.id

        welcome = miner.hello()
        assert not welcome.kill and not welcome.keep, "welcome %s" % welcome
        miners = expect(buyer.call("miners", pb.MinersRequest()), "miners_reply")
        assert any(m.miner_id == miner.miner_id and m.state == "connected"
                   for m in miners.miners), "the miner is not listed as connected"

        #   An assignment, run and paid
        fund(buyer, pb, 1000, "conf-" + uuid.uuid4().hex[:12])
        spec = pb.TaskSpec(argv=["echo", "from python"], labels=[pb.Label(key=LABEL[0],
                                                                         value=LABEL[1])])
        task_id = expect(buyer.call("submit", pb.SubmitRequest(spec=spec)),
                         "submit_reply").task_id
        assign = miner.wait_for("task_assign").task_assign
        assert assign.task_id == task_id and assign.attempt == 1 and \
            list(assign.spec.argv) == ["echo", "from python"], "assign %s" % assign
        miner.running = [pb.TaskRef(task_id=task_id, attempt=1)]
        miner.client.send("task_started", pb.TaskStarted(task_id=task_id, attempt=1))
        wait_state(buyer, pb, task_id, ("running",), 10)
        now = int(time.time() * 1000)
        seq = miner.client.send("task_result", pb.TaskResult(
            task_id=task_id, attempt=1, exit_code=0, stdout=b"from python\n",
            started_ms=now - 5, ended_ms=now,
            stdout_sha256=hashlib.sha256(b"from python\n").hexdigest()))
        miner.running = []
        env = miner.client.recv_for(seq, 10)
        ok = expect(env, "ok")
        assert ok.text == "paid" and ok.receipt, "Ok to a paid result: %s" % ok
        receipt, why = fgcanon.receipt_check(ok.receipt, statement.ledger_key)
        assert receipt, "the receipt in the Ok does not verify: %s" % why
        assert receipt["miner_id"] == miner.miner_id and receipt["amount"] == 190 and \
            receipt["fee"] == 10, "receipt %s" % receipt
        info = wait_state(buyer, pb, task_id)
        assert info.state == "succeeded", "after the result: %s" % info.state
        ctx["state"].setdefault("paid_tasks", []).append((task_id, receipt))
        #   the same result again: that attempt is over
        expect_error(miner.client.call("task_result", pb.TaskResult(task_id=task_id,
                                                                    attempt=1)), "STALE")

        #   An assignment the buyer cancels: the hub says kill
        task_id = expect(buyer.call("submit", pb.SubmitRequest(spec=spec)),
                         "submit_reply").task_id
        assign = miner.wait_for("task_assign").task_assign
        miner.running = [pb.TaskRef(task_id=task_id, attempt=assign.attempt)]
        miner.client.send("task_started", pb.TaskStarted(task_id=task_id,
                                                         attempt=assign.attempt))
        wait_state(buyer, pb, task_id, ("running",), 10)
        expect(buyer.call("cancel", pb.CancelRequest(task_id=task_id)), "task_info")
        kill = miner.wait_for("task_kill").task_kill
        assert kill.task_id == task_id and kill.attempt == assign.attempt, "kill %s" % kill
        miner.running = []

        #   Goodbye: lost at once, not after hub/dead_ms
        miner.client.send("miner_bye", pb.MinerBye(miner_id=miner.miner_id, reason="stopping"))
        deadline = time.monotonic() + 3
        state = None
        while time.monotonic() < deadline:
            miners = expect(buyer.call("miners", pb.MinersRequest()), "miners_reply")
            state = [m.state for m in miners.miners if m.miner_id == miner.miner_id]
            if state == ["dead"]:
                break
            time.sleep(0.1)
        assert state == ["dead"], "after MinerBye the miner is %s" % state
    finally:
        miner.close()
        buyer.close()


def case_miner_hello_first(ctx):
    """A TaskStarted or TaskResult on a connection that said no hello:
    Error HELLO (say hello, then send it again)."""
    pb, grid = ctx["pb"], ctx["grid"]
    client = grid.miner()
    try:
        expect_error(client.call("task_started", pb.TaskStarted(task_id="t-000000000000",
                                                                attempt=1)), "HELLO")
        expect_error(client.call("task_result", pb.TaskResult(task_id="t-000000000000",
                                                              attempt=1)), "HELLO")
        env = client.call("miner_heartbeat", pb.MinerHeartbeat(miner_id="m-nobody"))
        assert env.WhichOneof("body") == "error" and env.error.code in (5, 18), \
            "a heartbeat before the hello: %s" % env
        expect_error(client.call("submit", pb.SubmitRequest(spec=pb.TaskSpec(argv=["true"]))),
                     "UNEXPECTED")
    finally:
        client.close()


CASES = [
    ("miner_conversation", case_miner_conversation),
    ("miner_hello_first", case_miner_hello_first),
]
