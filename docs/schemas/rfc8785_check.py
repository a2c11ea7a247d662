#!/usr/bin/env python3
"""Recomputes, with an independent RFC 8785 implementation (PyPI `rfc8785`), what TeamLLM hashes.

Usage: python3 docs/schemas/rfc8785_check.py RUN_FOLDER CACHE_INDEX_SQLITE

- every record line of header.json and the four streams: its payload (every key but the envelope's
  seq, prev, schema and the sha256 seal) is exactly rfc8785.dumps(payload), after the fixed envelope
  prefix; and its seal is sha256 of the line without the `,"sha256":"…"` suffix, closed with `}`;
- manifest.json and registry.json are exactly their own RFC 8785 form;
- every cached request is exactly its RFC 8785 form, and its sha256 is its cache key.
Exits 1 naming the first disagreement.
"""
import hashlib
import json
import sqlite3
import sys

import rfc8785


def fail(why):
    print("DISAGREE: " + why)
    sys.exit(1)


def check_line(name, n, line):
    record = json.loads(line)
    seal = record.pop("sha256")
    seq, prev, schema = record.pop("seq"), record.pop("prev"), record.pop("schema")
    body = rfc8785.dumps(record)[1:-1]
    expected = b'{"seq":%d,"prev":"%s","schema":%d' % (seq, prev.encode(), schema)
    expected += (b"," + body if body else b"") + b',"sha256":"' + seal.encode() + b'"}'
    if expected != line:
        fail("%s:%d is not its RFC 8785 payload behind the envelope" % (name, n))
    unsealed = line[: -len(b',"sha256":"') - 64 - 2] + b"}"
    if hashlib.sha256(unsealed).hexdigest() != seal:
        fail("%s:%d does not hash to its seal" % (name, n))


def main():
    run, index = sys.argv[1], sys.argv[2]
    lines = 0
    for name in ["header.json", "events.jsonl", "attempts.jsonl", "grades.jsonl", "sessions.jsonl"]:
        with open("%s/%s" % (run, name), "rb") as f:
            for n, line in enumerate(f.read().splitlines(), 1):
                check_line(name, n, line)
                lines += 1
    for name in ["manifest.json", "registry.json"]:
        data = open("%s/%s" % (run, name), "rb").read()
        if rfc8785.dumps(json.loads(data)) != data:
            fail("%s is not its own RFC 8785 form" % name)
    keys = 0
    for key, request in sqlite3.connect(index).execute("SELECT request_key, request FROM responses"):
        request = bytes(request)
        if rfc8785.dumps(json.loads(request)) != request:
            fail("cached request %s is not its own RFC 8785 form" % key[:12])
        if hashlib.sha256(request).hexdigest() != key:
            fail("cached request %s does not hash to its key" % key[:12])
        keys += 1
    print("agree: %d cache keys, %d record lines, 2 frozen files" % (keys, lines))


main()
