#   cases_locator - the locator's conversations (docs/protocol.md, The
#   locator) and its DNS names, from outside

import hashlib
import os
import socket
import struct
import time

import nacl.signing

import fgcanon
import fgwire
from casekit import expect, expect_error


def _registration(pb, name, port, public_key=""):
    return pb.Registration(
        name=name, protocol_version=1, protocol="conformance test protocol",
        endpoint=pb.Endpoint(transport="tcp", host="127.0.0.1", port=port, weight=1,
                             public_key=public_key),
        functions=[pb.Function(name="echo", args="text", result="the same text")])


def case_register_heartbeat_withdraw(ctx):
    pb, grid = ctx["pb"], ctx["grid"]
    loc = grid.locator()
    try:
        owner = "conf-owner-1"
        expect(loc.call("loc_register", pb.LocRegister(
            owner=owner, ttl_ms=2000, regs=[_registration(pb, "conf-svc", 40001)])), "ok")
        #   a heartbeat of a known owner is not answered
        seq = loc.send("loc_heartbeat", pb.LocHeartbeat(owner=owner, load=40))
        assert loc.recv_for(seq, 0.5) is None, "a heartbeat of a live owner was answered"
        pages, done, error = loc.resolve("conf-svc")
        assert error is None, "resolve: %s" % error
        assert pages[0].endpoints[0].load == 40, "the heartbeat's load is not on the endpoint"
        #   another key may not act for this owner
        other = grid.locator()
        try:
            expect_error(other.call("loc_unregister", pb.LocUnregister(owner=owner)), "DENIED")
        finally:
            other.close()
        expect(loc.call("loc_unregister", pb.LocUnregister(owner=owner, name="conf-svc")), "ok")
        pages, done, error = loc.resolve("conf-svc")
        expect_error(error, "NOT_FOUND")
        #   an owner without registrations is told to register again
        expect_error(loc.call("loc_heartbeat", pb.LocHeartbeat(owner=owner)), "NOT_FOUND")
        #   a withdrawal of nothing is still Ok
        expect(loc.call("loc_unregister", pb.LocUnregister(owner=owner)), "ok")
    finally:
        loc.close()


def case_resolve_five_steps(ctx):
    """connect, LocResolve, LocEndpoints pages (protocol and functions on
    the first), LocDone, then the call to the endpoint with the key the
    locator gave."""
    pb, grid = ctx["pb"], ctx["grid"]
    loc = grid.locator()
    try:
        owner = "conf-owner-2"
        regs = [_registration(pb, "conf-paged", 40010 + index) for index in range(3)]
        expect(loc.call("loc_register", pb.LocRegister(owner=owner, ttl_ms=5000, regs=regs)),
               "ok")
        pages, done, error = loc.resolve("conf-paged", policy="round-robin", page_size=1)
        assert error is None, "resolve: %s" % error
        assert done.total == 3 and done.pages == 3 and len(pages) == 3, \
            "3 endpoints in pages of 1: got %d pages, done %s" % (len(pages), done)
        assert [page.page for page in pages] == [0, 1, 2], "page numbers"
        assert pages[0].protocol == "conformance test protocol" and \
            [f.name for f in pages[0].functions] == ["echo"], "first page: protocol, functions"
        assert not pages[1].functions and not pages[1].protocol, \
            "protocol and functions travel in the first page only"
        ports = sorted(ep.port for page in pages for ep in page.endpoints)
        assert ports == [40010, 40011, 40012], "endpoints %s" % ports
        expect(loc.call("loc_unregister", pb.LocUnregister(owner=owner)), "ok")
        expect_error(loc.call("loc_resolve", pb.LocResolve(name="conf-paged", policy="nearest")),
                     "INVALID")

        #   The hub, found and called as a buyer does
        pages, done, error = loc.resolve("hub")
        assert error is None and pages[0].endpoints, "resolve hub: %s" % error
        ep = pages[0].endpoints[0]
        assert ep.transport == "tcp" and len(ep.public_key) == 40, "hub endpoint %s" % ep
        hub = fgwire.Client("%s://%s:%d" % (ep.transport, ep.host, ep.port), ep.public_key)
        try:
            health = expect(hub.call("health", pb.HealthRequest()), "health_reply")
            assert health.hub_id == ep.owner, "the hub's id %s is not the endpoint's owner %s" % (
                health.hub_id, ep.owner)
        finally:
            hub.close()
    finally:
        loc.close()


def case_watch(ctx):
    pb, grid = ctx["pb"], ctx["grid"]
    loc = grid.locator()
    owner_client = grid.locator()
    try:
        seq = loc.send("loc_watch", pb.LocWatch(name="conf-watched", lease_ms=10000))
        pages, done, error = loc.read_answer(seq)
        expect_error(error, "NOT_FOUND")
        expect(owner_client.call("loc_register", pb.LocRegister(
            owner="conf-owner-3", regs=[_registration(pb, "conf-watched", 40020)])), "ok")
        pages, done, error = loc.read_answer(seq)
        assert error is None and done.total == 1 and pages[0].endpoints[0].port == 40020, \
            "the update after a registration: %s %s" % (done, error)
        expect(owner_client.call("loc_unregister", pb.LocUnregister(owner="conf-owner-3")), "ok")
        pages, done, error = loc.read_answer(seq)
        expect_error(error, "NOT_FOUND")
        env = loc.call("loc_watch", pb.LocWatch(name="conf-watched", lease_ms=0))
        expect(env, "ok")
    finally:
        loc.close()
        owner_client.close()


def case_list_and_registry(ctx):
    pb, grid = ctx["pb"], ctx["grid"]
    loc = grid.locator()
    try:
        services = expect(loc.call("loc_list", pb.LocList()), "loc_services")
        names = {s.name: s for s in services.services}
        assert "hub" in names and "hub-miner" in names, "names: %s" % sorted(names)
        assert names["hub"].endpoints == 1 and names["hub"].protocol_version == 1
        reply = expect(loc.call("registry_list", pb.RegistryList()), "registry_reply")
        assert len(reply.hubs) == 0, "an empty registry lists %d hubs" % len(reply.hubs)
        #   a change signed by no admin key is refused
        env = loc.call("registry_set", pb.RegistrySet(hub_id="h-x", status="registered",
                                                      stake=-1, at_ms=int(time.time() * 1000)))
        assert env.WhichOneof("body") == "error" and env.error.code in (6, 11), \
            "an unsigned registry change: %s" % env
        #   a hub's request on the locator's socket
        expect_error(loc.call("health", pb.HealthRequest()), "UNEXPECTED")
    finally:
        loc.close()


#   --------------------------------------------------------------------------
#   DNS

def _dns_name(name):
    return b"".join(bytes([len(label)]) + label.encode() for label in name.rstrip(".").split(".")) + b"\0"


def _read_name(msg, pos):
    labels = []
    jumped = False
    end = pos
    for _ in range(128):
        length = msg[pos]
        if length & 0xC0 == 0xC0:
            if not jumped:
                end = pos + 2
            pos = (length & 0x3F) << 8 | msg[pos + 1]
            jumped = True
            continue
        if length == 0:
            if not jumped:
                end = pos + 1
            return ".".join(labels) + ".", end
        labels.append(msg[pos + 1:pos + 1 + length].decode("ascii"))
        pos += 1 + length
    raise AssertionError("a name loops")


def dns_query(port, name, qtype):
    """One query over UDP; (rcode, [(section, name, type, data)])."""
    ident = 0x4242
    query = struct.pack(">HHHHHH", ident, 0x0100, 1, 0, 0, 0) + _dns_name(name) + \
        struct.pack(">HH", qtype, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(3)
        sock.sendto(query, ("127.0.0.1", port))
        msg = sock.recv(4096)
    got_id, flags, qd, an, ns, ar = struct.unpack(">HHHHHH", msg[:12])
    assert got_id == ident
    pos = 12
    for _ in range(qd):
        _, pos = _read_name(msg, pos)
        pos += 4
    records = []
    for section, count in (("answer", an), ("authority", ns), ("additional", ar)):
        for _ in range(count):
            owner, pos = _read_name(msg, pos)
            rtype, rclass, ttl, size = struct.unpack(">HHIH", msg[pos:pos + 10])
            pos += 10
            rdata = msg[pos:pos + size]
            if rtype == 33:
                prio, weight, port_ = struct.unpack(">HHH", rdata[:6])
                target, _ = _read_name(msg, pos + 6)
                data = (prio, weight, port_, target)
            elif rtype == 1:
                data = socket.inet_ntoa(rdata)
            elif rtype == 16:
                strings, at = [], 0
                while at < len(rdata):
                    strings.append(rdata[at + 1:at + 1 + rdata[at]].decode())
                    at += 1 + rdata[at]
                data = "".join(strings)
            else:
                data = rdata
            records.append((section, owner, rtype, data))
            pos += size
    return flags & 0xF, records


def case_dns_names(ctx):
    grid = ctx["grid"]
    port = grid.ports["dns"]
    buyers = grid.ports["buyers"]
    for name in ("hub.service.fogrid.", "_hub._tcp.service.fogrid."):
        rcode, records = dns_query(port, name, 33)
        assert rcode == 0, "SRV %s: rcode %d" % (name, rcode)
        srv = [r for r in records if r[0] == "answer" and r[2] == 33]
        assert srv and srv[0][1] == name and srv[0][3][2] == buyers and \
            srv[0][3][3] == "127-0-0-1.addr.fogrid.", "SRV %s: %s" % (name, records)
        glue = [r for r in records if r[0] == "additional" and r[2] == 1]
        assert glue == [("additional", "127-0-0-1.addr.fogrid.", 1, "127.0.0.1")], \
            "the target's A in additional: %s" % records
    rcode, records = dns_query(port, "127-0-0-1.addr.fogrid.", 1)
    assert rcode == 0 and records[0][3] == "127.0.0.1", "A of an addr name: %s" % records
    rcode, records = dns_query(port, "hub.service.fogrid.", 16)
    texts = sorted(r[3] for r in records if r[2] == 16)
    assert "protocol=1" in texts, "TXT: %s" % texts
    rcode, records = dns_query(port, "nothing-here.service.fogrid.", 33)
    assert rcode == 3, "an unknown name: rcode %d, not NXDOMAIN" % rcode
    rcode, records = dns_query(port, "_nothing-here._tcp.service.fogrid.", 33)
    assert rcode == 3, "an unknown _NAME._tcp name: rcode %d, not NXDOMAIN" % rcode


CASES = [
    ("locator_register_heartbeat_withdraw", case_register_heartbeat_withdraw),
    ("locator_resolve_five_steps", case_resolve_five_steps),
    ("locator_watch", case_watch),
    ("locator_list_and_registry", case_list_and_registry),
    ("dns_names", case_dns_names),
]


#   --------------------------------------------------------------------------
#   The hub registry, changed by the DAO's own signing key

def case_registry_signed(ctx):
    """A registry record signed with an Ed25519 key of the suite's own, by
    the rules of docs/protocol.md (Registry records), at a locator whose
    locator/admin_keys names that key."""
    pb, grid = ctx["pb"], ctx["grid"]
    dao = nacl.signing.SigningKey(os.urandom(32))
    signer = dao.verify_key.encode().hex()
    other = nacl.signing.SigningKey(os.urandom(32))
    connect = grid.start_locator("registry-locator", "-o", "locator/admin_keys=" + signer)
    loc = connect()
    try:
        record = {"hub_id": "h-conformance", "status": "registered",
                  "hub_key": fgwire.keypair()[0], "ledger_key": os.urandom(32).hex(),
                  "stake": 1000, "reason": "", "at_ms": int(time.time() * 1000),
                  "signer": signer}

        def signed(fields, key):
            text = fgcanon.registry_text(fields)
            return pb.RegistrySet(signature=key.sign(text).signature.hex(), **fields)

        reply = expect(loc.call("registry_set", signed(record, dao)), "registry_reply")
        hub = [h for h in reply.hubs if h.hub_id == "h-conformance"]
        assert hub and hub[0].status == "registered" and hub[0].stake == 1000 and \
            hub[0].hub_key == record["hub_key"] and hub[0].ledger_key == record["ledger_key"], \
            "the registered hub: %s" % reply
        #   changed after signing, or signed by a key the locator does not list
        forged = signed(record, dao)
        forged.stake = 1
        expect_error(loc.call("registry_set", forged), "DENIED")
        later = dict(record, status="suspected", reason="conformance", stake=-1, hub_key="",
                     ledger_key="", at_ms=record["at_ms"] + 1)
        expect_error(loc.call("registry_set", signed(dict(later, signer=other.verify_key
                                                           .encode().hex()), other)), "DENIED")
        listed = expect(loc.call("registry_list", pb.RegistryList(hub_id="h-conformance")),
                        "registry_reply")
        assert len(listed.hubs) == 1 and listed.hubs[0].status == "registered", \
            "after refused changes: %s" % listed
        #   a later change by the DAO holds; what a peer pulls checks offline
        reply = expect(loc.call("registry_set", signed(later, dao)), "registry_reply")
        assert reply.hubs[0].status == "suspected" and reply.hubs[0].stake == 1000, \
            "after a suspicion: %s" % reply.hubs[0]
        records = expect(loc.call("registry_sync", pb.RegistrySync(after=0, max=10)),
                         "registry_records")
        assert [e.seq for e in records.entries] == [1, 2] and records.log_id, \
            "the log: %s" % records
        for entry, fields in zip(records.entries, (record, later)):
            r = entry.record
            got = {name: getattr(r, name) for name in fields}
            assert got == fields, "the log's record %d is not the one sent" % entry.seq
            record_id, why = fgcanon.registry_check(dict(got, signature=r.signature))
            assert record_id == hashlib.sha256(fgcanon.registry_text(fields)).hexdigest(), \
                "the log's record %d does not check: %s" % (entry.seq, why)
    finally:
        loc.close()


CASES.append(("registry_signed", case_registry_signed))
