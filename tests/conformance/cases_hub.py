#   cases_hub - the buyer's conversations with the hub (docs/protocol.md,
#   The hub: buyers), its money, and the offline checks of what it signs

import hashlib
import uuid

import fgcanon
from casekit import expect, expect_error, fund, submit, wait_state


def _token():
    return "conf-" + uuid.uuid4().hex[:12]


def case_submit_status_result(ctx):
    pb, grid = ctx["pb"], ctx["grid"]
    buyer = grid.buyer()
    try:
        reply = submit(buyer, pb, ["sh", "-c", "echo hello; echo oops >&2; exit 3"])
        assert reply.task_id.startswith("t-") and not reply.duplicate, "reply %s" % reply
        info = wait_state(buyer, pb, reply.task_id)
        assert info.state == "failed" and info.exit_code == 3, "%s exit %d: %s" % (
            info.state, info.exit_code, info.reason)
        states = [change.state for change in info.history]
        assert states[0] == "pending" and states[-1] == "failed" and "assigned" in states, \
            "history %s" % states
        result = expect(buyer.call("result", pb.ResultRequest(task_id=reply.task_id)),
                        "result_reply")
        assert result.stdout == b"hello\n" and result.stderr == b"oops\n", "output %r %r" % (
            result.stdout, result.stderr)
        assert result.stdout_sha256 == hashlib.sha256(b"hello\n").hexdigest(), "stdout_sha256"
        assert result.info.task_id == reply.task_id and result.info.exit_code == 3
        expect_error(buyer.call("status", pb.StatusRequest(task_id="t-000000000000")),
                     "NOT_FOUND")
        #   another buyer's task is not ours to see
        other = grid.buyer()
        try:
            expect_error(other.call("status", pb.StatusRequest(task_id=reply.task_id)), "DENIED")
        finally:
            other.close()
    finally:
        buyer.close()


def case_cancel(ctx):
    pb, grid = ctx["pb"], ctx["grid"]
    buyer = grid.buyer()
    try:
        reply = submit(buyer, pb, ["sleep", "30"])
        wait_state(buyer, pb, reply.task_id, ("running",), 15)
        info = expect(buyer.call("cancel", pb.CancelRequest(task_id=reply.task_id)), "task_info")
        assert info.state == "cancelled", "after cancel: %s" % info.state
        expect_error(buyer.call("cancel", pb.CancelRequest(task_id=reply.task_id)), "STATE")
    finally:
        buyer.close()


def case_idempotent_submit(ctx):
    pb, grid = ctx["pb"], ctx["grid"]
    buyer = grid.buyer()
    try:
        token = _token()
        first = submit(buyer, pb, ["true"], token)
        again = submit(buyer, pb, ["true"], token)
        assert not first.duplicate and again.duplicate and again.task_id == first.task_id, \
            "first %s, again %s" % (first, again)
    finally:
        buyer.close()


def case_tokens_per_buyer(ctx):
    """Client tokens are scoped per buyer key: one token, two buyers, two tasks."""
    pb, grid = ctx["pb"], ctx["grid"]
    one, two = grid.buyer(), grid.buyer()
    try:
        token = _token()
        first = submit(one, pb, ["true"], token)
        second = submit(two, pb, ["true"], token)
        assert not second.duplicate and second.task_id != first.task_id, \
            "a second buyer with the same token got %s (the first buyer's %s)" % (
                second, first.task_id)
        info = expect(two.call("status", pb.StatusRequest(task_id=second.task_id)), "task_info")
        assert info.task_id == second.task_id
    finally:
        one.close()
        two.close()


def case_token_conflict(ctx):
    """The same token from the same buyer with another spec: FG_E_CONFLICT."""
    pb, grid = ctx["pb"], ctx["grid"]
    buyer = grid.buyer()
    try:
        token = _token()
        submit(buyer, pb, ["echo", "one"], token)
        env = buyer.call("submit", pb.SubmitRequest(spec=pb.TaskSpec(argv=["echo", "two"]),
                                                    client_token=token))
        expect_error(env, "CONFLICT")
    finally:
        buyer.close()


def case_miners_health(ctx):
    pb, grid = ctx["pb"], ctx["grid"]
    buyer = grid.buyer()
    try:
        miners = expect(buyer.call("miners", pb.MinersRequest()), "miners_reply")
        mine = [m for m in miners.miners if m.miner_id == grid.miner_id]
        assert mine and mine[0].resources.cores == 2 and mine[0].resources.price == 100 and \
            "process" in mine[0].resources.runtimes, "miners %s" % miners
        health = expect(buyer.call("health", pb.HealthRequest()), "health_reply")
        states = {c.name: c.value for c in health.miners_by_state}
        assert states.get("connected", 0) >= 1, "miners by state %s" % states
        assert {"pending", "succeeded", "failed", "cancelled"} <= \
            {c.name for c in health.tasks_by_state}, "tasks by state %s" % health.tasks_by_state
        #   a miner's message on the buyer socket
        expect_error(buyer.call("miner_heartbeat", pb.MinerHeartbeat(miner_id="x")),
                     "UNEXPECTED")
    finally:
        buyer.close()


def case_balance_deposit(ctx):
    pb, grid = ctx["pb"], ctx["grid"]
    buyer = grid.buyer()
    try:
        account = "buyer:" + buyer.public
        token = _token()
        first = fund(buyer, pb, 700, token)
        assert first.transfer_id == "deposit/" + token and not first.duplicate and \
            first.balance == 700, "deposit %s" % first
        e = first.entry
        assert getattr(e, "from") == "world" and e.to == account and e.amount == 700, \
            "entry %s" % e
        again = fund(buyer, pb, 700, token)
        assert again.duplicate and again.balance == 700, "retry %s" % again
        expect_error(buyer.call("deposit", pb.DepositRequest(amount=5)), "INVALID")
        expect_error(buyer.call("deposit", pb.DepositRequest(amount=0, token=_token())),
                     "INVALID")
        expect_error(buyer.call("withdraw", pb.WithdrawRequest(amount=701, token=_token())),
                     "FUNDS")
        out = expect(buyer.call("withdraw", pb.WithdrawRequest(amount=200, token=_token())),
                     "transfer_reply")
        assert out.balance == 500 and out.entry.to == "world", "withdraw %s" % out
        balance = expect(buyer.call("balance", pb.BalanceRequest()), "balance_reply")
        assert balance.accounts[0].name == account and balance.accounts[0].balance == 500, \
            "accounts %s" % balance.accounts
        assert [x.id for x in balance.entries][:2] == [out.transfer_id, first.transfer_id], \
            "entries, newest first: %s" % [x.id for x in balance.entries]
        assert len(balance.ledger_key) == 64, "ledger key %r" % balance.ledger_key
        for entry in balance.entries:
            assert fgcanon.verify(balance.ledger_key, bytes.fromhex(entry.hash),
                                  entry.signature), "entry %d: bad signature" % entry.seq
        expect_error(buyer.call("balance", pb.BalanceRequest(account="world")), "DENIED")
        ctx["state"]["ledger_key"] = balance.ledger_key
    finally:
        buyer.close()


def case_paid_receipt(ctx):
    """A paid task's receipt, fetched and checked offline by the rules of
    docs/protocol.md alone."""
    pb, grid = ctx["pb"], ctx["grid"]
    buyer = grid.buyer()
    try:
        fund(buyer, pb, 1000, _token())
        reply = submit(buyer, pb, ["echo", "paid"])
        info = wait_state(buyer, pb, reply.task_id)
        assert info.state == "succeeded" and info.price == 100, "%s, price %d: %s" % (
            info.state, info.price, info.reason)
        env = buyer.call("receipt", pb.ReceiptRequest(task_id=reply.task_id))
        document = expect(env, "receipt_reply").receipt
        wallet = expect(buyer.call("admin", pb.AdminRequest(action="wallet/status")),
                        "wallet_reply")
        receipt, why = fgcanon.receipt_check(document, wallet.ledger_key)
        assert receipt, "the receipt does not verify: %s\n%s" % (why, document)
        assert receipt["task_id"] == reply.task_id and receipt["miner_id"] == info.miner_id \
            and receipt["attempt"] == info.attempt, "receipt names %s" % receipt
        assert receipt["amount"] + receipt["fee"] == info.price and receipt["fee"] == 5, \
            "amount %d + fee %d, price %d" % (receipt["amount"], receipt["fee"], info.price)
        assert receipt["entry_id"] == "pay/" + reply.task_id and receipt["hub_id"] == \
            wallet.hub_id, "receipt %s" % receipt
        #   changed by one byte, it fails
        forged = dict(receipt, amount=receipt["amount"] + 1)
        assert not fgcanon.verify(receipt["hub_key"], fgcanon.receipt_text(forged),
                                  receipt["signature"]), "a changed receipt still verifies"
        expect_error(buyer.call("receipt", pb.ReceiptRequest(task_id="t-000000000000")),
                     "NOT_FOUND")
        ctx["state"].setdefault("paid_tasks", []).append((reply.task_id, receipt))
    finally:
        buyer.close()


def case_ledger_chain(ctx):
    """Every ledger entry from seq 1, read with the DAO's key, checked
    offline: each hash from the one before, each signature."""
    pb, grid = ctx["pb"], ctx["grid"]
    admin = grid.buyer(grid.admin_keys)
    try:
        wallet = expect(admin.call("admin", pb.AdminRequest(action="wallet/status")),
                        "wallet_reply")
        key = wallet.ledger_key
        entries = {}
        accounts = ["world"]
        #   all money came from world: following the accounts the entries
        #   name reaches every entry (the list grows as it is walked)
        for account in accounts:
            reply = expect(admin.call("balance", pb.BalanceRequest(account=account,
                                                                   limit=1000)),
                           "balance_reply")
            for entry in reply.entries:
                entries[entry.seq] = entry
                for name in (getattr(entry, "from"), entry.to):
                    if name not in accounts:
                        accounts.append(name)
        assert entries, "no entries"
        why = fgcanon.chain_check(entries.values(), key)
        assert why is None, "the chain does not verify: %s" % why
        paid = ctx["state"].get("paid_tasks", [])
        for task_id, receipt in paid:
            entry = entries.get(receipt["entry_seq"])
            assert entry and entry.id == receipt["entry_id"] and entry.hash == \
                receipt["entry_hash"] and entry.amount == receipt["amount"], \
                "the receipt of %s does not name its ledger entry" % task_id
        #   and a changed amount breaks the chain
        first = entries[1]
        changed = type(first)()
        changed.CopyFrom(first)
        changed.amount += 1
        assert fgcanon.entry_check(changed, fgcanon.ZERO_HASH, key), \
            "a changed entry still verifies"
    finally:
        admin.close()


def case_admin_wallet(ctx):
    pb, grid = ctx["pb"], ctx["grid"]
    buyer = grid.buyer()
    admin = grid.buyer(grid.admin_keys)
    try:
        wallet = expect(buyer.call("admin", pb.AdminRequest(action="wallet/status")),
                        "wallet_reply")
        assert wallet.state == "registered" and len(wallet.ledger_key) == 64, \
            "wallet %s %s" % (wallet.state, wallet.ledger_key)
        assert wallet.events and wallet.events[-1].event == "create", "events %s" % [
            e.event for e in wallet.events]
        expect_error(buyer.call("admin", pb.AdminRequest(action="wallet/suspect",
                                                         reason="conformance")), "DENIED")
        expect_error(buyer.call("admin", pb.AdminRequest(action="wallet/fly")), "INVALID")
        #   the DAO may read any account
        reply = expect(admin.call("balance", pb.BalanceRequest(account="world")),
                       "balance_reply")
        assert reply.accounts[0].name == "world" and reply.accounts[0].balance <= 0
        #   a transition that is not possible in this state
        expect_error(admin.call("admin", pb.AdminRequest(action="wallet/clear")), "STATE")
    finally:
        buyer.close()
        admin.close()


CASES = [
    ("hub_submit_status_result", case_submit_status_result),
    ("hub_cancel", case_cancel),
    ("hub_idempotent_submit", case_idempotent_submit),
    ("hub_tokens_per_buyer", case_tokens_per_buyer),
    ("hub_token_conflict", case_token_conflict),
    ("hub_miners_health", case_miners_health),
    ("hub_balance_deposit", case_balance_deposit),
    ("hub_paid_receipt", case_paid_receipt),
    ("hub_admin_wallet", case_admin_wallet),
]
#   after the miner's cases, so the chain holds their payouts too
LATE = [("hub_ledger_chain", case_ledger_chain)]
