#   casekit - what the conformance cases share: expectations that say what
#   came instead, waiting for a task, and messages with bytes no protobuf
#   runtime would write (a string that is not UTF-8)

import time

import fgwire


def body(env):
    return env.WhichOneof("body")


def expect(env, wanted):
    """Asserts that env's body is wanted; returns that message."""
    assert env is not None, "no answer (wanted %s)" % wanted
    assert body(env) == wanted, "wanted %s, got %s" % (wanted, fgwire.describe(env))
    return getattr(env, wanted)


def expect_error(env, name):
    """Asserts that env is Error with the code named ("INVALID")."""
    assert env is not None, "no answer (wanted Error %s)" % name
    code = fgwire.E[name]
    assert body(env) == "error", "wanted Error FG_E_%s (%d), got %s" % (
        name, code, fgwire.describe(env))
    assert env.error.code == code, "wanted Error FG_E_%s (%d), got %s" % (
        name, code, fgwire.describe(env))
    return env.error


def with_bytes(env, placeholder, replacement):
    """env encoded, with placeholder's bytes (unique, the same length as
    replacement) replaced: how a message with a string field that is not
    UTF-8 is made, since no conforming runtime encodes one."""
    data = env.SerializeToString()
    assert len(placeholder) == len(replacement)
    assert data.count(placeholder) == 1, "placeholder not unique in the encoding"
    return data.replace(placeholder, replacement)


FINAL = ("succeeded", "failed", "cancelled")


def wait_state(buyer, pb, task_id, states=FINAL, timeout=30.0):
    """Polls StatusRequest (what `fogrid wait` does) until the task is in
    one of states; returns its TaskInfo."""
    deadline = time.monotonic() + timeout
    info = None
    while time.monotonic() < deadline:
        info = expect(buyer.call("status", pb.StatusRequest(task_id=task_id)), "task_info")
        if info.state in states:
            return info
        time.sleep(0.1)
    raise AssertionError("task %s still %s after %.0f s (wanted %s)" % (
        task_id, info.state if info else "?", timeout, "/".join(states)))


def submit(buyer, pb, argv, token="", **spec):
    env = buyer.call("submit", pb.SubmitRequest(spec=pb.TaskSpec(argv=argv, **spec),
                                                client_token=token))
    return expect(env, "submit_reply")


def fund(buyer, pb, amount, token):
    env = buyer.call("deposit", pb.DepositRequest(amount=amount, token=token))
    return expect(env, "transfer_reply")
