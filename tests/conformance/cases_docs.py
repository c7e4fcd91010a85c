#   cases_docs - docs/protocol.md's worked examples hold: each one checked
#   with this suite's own code, and the document's Python check run as it
#   is printed there

import json
import re

import fgcanon


def _blocks(text):
    """The code block after each `<!-- example: NAME -->`, by NAME."""
    found = {}
    for match in re.finditer(r"<!-- example: ([a-z-]+) -->\n```[a-z]*\n(.*?)\n```", text, re.S):
        found[match.group(1)] = match.group(2)
    return found


class _Entry:
    """A LedgerEntry from the document's JSON (`from` is a keyword)."""

    def __init__(self, fields):
        for name, value in fields.items():
            setattr(self, name, value)


def case_worked_examples(ctx):
    with open(ctx["docs"], encoding="utf-8") as src:
        text = src.read()
    blocks = _blocks(text)
    for name in ("ledger-key", "ledger", "receipt", "receipt-text"):
        assert name in blocks, "docs/protocol.md has no example '%s'" % name
    key = blocks["ledger-key"].strip()
    ledger = json.loads(blocks["ledger"])
    why = fgcanon.chain_check([_Entry(e) for e in ledger], key)
    assert why is None, "the ledger example: %s" % why
    receipt, why = fgcanon.receipt_check(blocks["receipt"], key)
    assert receipt, "the receipt example: %s" % why
    printed = blocks["receipt-text"].strip()
    assert printed.startswith('"') and printed.endswith('"')
    printed = printed[1:-1].replace("\\n", "\n").encode()
    assert printed == fgcanon.receipt_text(receipt), \
        "the receipt's printed text is not the text its fields make"
    pay = [e for e in ledger if e["id"] == receipt["entry_id"]]
    assert pay and pay[0]["hash"] == receipt["entry_hash"] and \
        pay[0]["seq"] == receipt["entry_seq"], "the receipt does not name its entry"

    assert "registry" in blocks, "docs/protocol.md has no example 'registry'"
    for record in json.loads(blocks["registry"]):
        assert fgcanon.registry_text(record) == record["text"].encode(), \
            "registry example %s: its text is not the one its fields make" % record["status"]
        record_id, why = fgcanon.registry_check(record)
        assert record_id, "registry example %s: %s" % (record["status"], why)
        assert record_id == record["id"], "registry example %s: id %s, computed %s" % (
            record["status"], record["id"], record_id)

    #   The document's own check, run as printed
    snippet = re.search(r"A check in Python.*?```python\n(.*?)\n```", text, re.S)
    assert snippet, "docs/protocol.md has no Python check"
    scope = {"LEDGER_KEY": key, "receipt": json.loads(blocks["receipt"]), "ledger": ledger}
    exec(compile(snippet.group(1), "docs/protocol.md", "exec"), scope)


CASES = [("docs_worked_examples", case_worked_examples)]
