#   fgcanon - the canonical texts fogrid signs and hashes, and their checks,
#   written from docs/protocol.md ("Signed documents") alone: a receipt, a
#   ledger entry and its chain, a wallet statement, a hub registry record.
#   Ed25519 is PyNaCl's (libsodium underneath, but none of fogrid's code).

import hashlib
import json

import nacl.exceptions
import nacl.signing


def _s(text):
    """A string field: its length in bytes of UTF-8, a colon, the bytes."""
    data = text.encode("utf-8")
    return b"%d:" % len(data) + data


def _i(number):
    return b"%d" % number


def _lines(tag, fields):
    return tag.encode() + b"\n" + b"".join(field + b"\n" for field in fields)


def receipt_text(r):
    return _lines("fogrid-receipt/1", [
        _s(r["task_id"]), _i(r["attempt"]), _s(r["miner_id"]), _i(r["amount"]), _i(r["fee"]),
        _s(r["entry_id"]), _i(r["entry_seq"]), _s(r["entry_hash"]), _i(r["at_ms"]),
        _s(r["hub_id"]), _s(r["hub_key"])])


RECEIPT_FIELDS = {"receipt": str, "task_id": str, "attempt": int, "miner_id": str,
                  "amount": int, "fee": int, "entry_id": str, "entry_seq": int,
                  "entry_hash": str, "at_ms": int, "hub_id": str, "hub_key": str,
                  "signature": str}


def verify(key_hex, message, signature_hex):
    """True when signature_hex is key_hex's Ed25519 signature of message."""
    try:
        nacl.signing.VerifyKey(bytes.fromhex(key_hex)).verify(message,
                                                              bytes.fromhex(signature_hex))
        return True
    except (nacl.exceptions.BadSignatureError, ValueError, TypeError):
        return False


def receipt_check(document, hub_key=None):
    """Checks a receipt (its JSON text). Returns (receipt dict, None) or
    (None, why)."""
    try:
        r = json.loads(document)
    except ValueError as error:
        return None, "not JSON: %s" % error
    for name, kind in RECEIPT_FIELDS.items():
        if not isinstance(r.get(name), kind) or isinstance(r.get(name), bool):
            return None, "field %s missing or not %s" % (name, kind.__name__)
    if r["receipt"] != "fogrid-receipt/1":
        return None, "not a fogrid-receipt/1"
    if not verify(r["hub_key"], receipt_text(r), r["signature"]):
        return None, "bad signature"
    if hub_key is not None and r["hub_key"].lower() != hub_key.lower():
        return None, "signed by %s, not by the hub's key %s" % (r["hub_key"], hub_key)
    return r, None


ZERO_HASH = bytes(32)


def entry_content(e):
    return _lines("fogrid-ledger/1", [
        _i(e.seq), _s(e.id), _i(e.at_ms), _s(getattr(e, "from")), _s(e.to), _i(e.amount),
        _s(e.memo)])


def entry_hash(prev, e):
    """SHA-256 (previous entry's 32 hash bytes || the entry's content)."""
    return hashlib.sha256(prev + entry_content(e)).digest()


def entry_check(e, prev, ledger_key):
    """Checks one LedgerEntry against the previous entry's hash (32 bytes,
    zeros before the first): its hash, and the signature over the hash's
    32 bytes. Returns None or why."""
    digest = entry_hash(prev, e)
    if digest.hex() != e.hash:
        return "entry %d (%s): hash %s, computed %s" % (e.seq, e.id, e.hash, digest.hex())
    if not verify(ledger_key, digest, e.signature):
        return "entry %d (%s): bad signature" % (e.seq, e.id)
    return None


def chain_check(entries, ledger_key):
    """Checks a run of entries from seq 1 on, without gaps. Returns None or why."""
    prev = ZERO_HASH
    for expected, e in enumerate(sorted(entries, key=lambda e: e.seq), start=1):
        if e.seq != expected:
            return "the run has a gap: seq %d where %d was due" % (e.seq, expected)
        why = entry_check(e, prev, ledger_key)
        if why:
            return why
        prev = bytes.fromhex(e.hash)
    return None


def statement_text(s):
    head = [_s(s.hub_id), _s(s.state), _i(s.frozen), _i(s.free_funds), _i(s.fees),
            _i(s.escrow_total), _i(s.at_ms), _s(s.ledger_key), _s(s.nonce),
            _i(len(s.recent_payouts))]
    text = _lines("fogrid-statement/1", head)
    for e in s.recent_payouts:
        text += b"".join(field + b"\n" for field in [
            _i(e.seq), _s(e.id), _i(e.at_ms), _s(getattr(e, "from")), _s(e.to), _i(e.amount),
            _s(e.memo), _s(e.hash)])
    return text


def registry_text(r):
    """A hub registry record's signed text (r: its RegistrySet fields)."""
    return _lines("fogrid-registry/1", [
        _s(r["hub_id"]), _s(r["status"]), _s(r["hub_key"]), _s(r["ledger_key"]),
        _i(r["stake"]), _s(r["reason"]), _i(r["at_ms"]), _s(r["signer"])])


def registry_check(r):
    """Checks a registry record: its signature by its signer. Returns
    (id, None) or (None, why)."""
    text = registry_text(r)
    if len(r["signer"]) != 64:
        return None, "the signer is not an Ed25519 key in hex"
    if not verify(r["signer"], text, r["signature"]):
        return None, "bad signature"
    return hashlib.sha256(text).hexdigest(), None
