#!/usr/bin/env python3
"""Validate a TeamLLM run folder against the JSON Schemas in this directory.

Usage: python3 docs/schemas/check.py RUN_FOLDER [--matrix FILE]

Checks, in order:
  header.json, events.jsonl, attempts.jsonl, grades.jsonl, sessions.jsonl
      every line: its seal (sha256 of the line with the ,"sha256":"…" suffix cut and "}" appended),
      the envelope (first keys seq, prev, schema; last key sha256), seq = line number,
      prev = seal of the line before (64 zeros for line 1), and the record's schema;
  manifest.json, registry.json
      the schema, and that their SHA-256 equals the header's manifest_hash / registry_hash;
  --matrix FILE
      every line of `teamllm matrix RUN --format jsonl` output against matrix-cell.schema.json.

Exits 1 and prints FILE:LINE: reason at the first failure; prints "N records valid" on success.
Needs the `jsonschema` package (draft 2020-12 support, 4.x).
"""
import hashlib
import json
import os
import re
import sys

from jsonschema import Draft202012Validator

HERE = os.path.dirname(os.path.abspath(__file__))
GENESIS = "0" * 64
SEAL = re.compile(rb',"sha256":"([0-9a-f]{64})"\}$')
ENVELOPE_HEAD = ["seq", "prev", "schema"]

# File in the run folder → schema file; sealed files first so the header is read before the hashes it names.
SEALED = [
    ("header.json", "header.schema.json"),
    ("events.jsonl", "events.schema.json"),
    ("attempts.jsonl", "attempts.schema.json"),
    ("grades.jsonl", "grades.schema.json"),
    ("sessions.jsonl", "sessions.schema.json"),
]
PLAIN = [
    ("manifest.json", "manifest.schema.json", "manifest_hash"),
    ("registry.json", "registry.schema.json", "registry_hash"),
]


class Failure(Exception):
    def __init__(self, where, reason):
        super().__init__(f"{where}: {reason}")


def validator(name):
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        schema = json.load(f)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    dup = {k for k in keys if keys.count(k) > 1}
    if dup:
        raise ValueError(f"duplicate key(s) {sorted(dup)}")
    return dict(pairs)


def reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def parse(text, where):
    try:
        return json.loads(text, object_pairs_hook=no_duplicates, parse_constant=reject_constant)
    except ValueError as e:
        raise Failure(where, f"not valid JSON ({e})")


def top_level_keys(text):
    """Top-level keys in the order they appear in the line."""
    return [k for k, _ in json.loads(text, object_pairs_hook=lambda pairs: pairs)]


def validate(v, doc, where):
    err = next(iter(sorted(v.iter_errors(doc), key=lambda e: list(e.absolute_path))), None)
    if err is not None:
        path = "/".join(str(p) for p in err.absolute_path) or "(record)"
        raise Failure(where, f"{path}: {err.message}")


def check_sealed(folder, name, v):
    """Validates a sealed stream; returns (records, first payload or None)."""
    path = os.path.join(folder, name)
    if not os.path.exists(path):
        raise Failure(path, "file not found")
    with open(path, "rb") as f:
        data = f.read()
    if data and not data.endswith(b"\n"):
        torn = data.count(b"\n") + 1
        raise Failure(f"{path}:{torn}", "incomplete last line (no newline; a torn write)")
    lines = data.split(b"\n")[:-1] if data else []
    prev = GENESIS
    first = None
    for n, line in enumerate(lines, start=1):
        where = f"{path}:{n}"
        m = SEAL.search(line)
        if not line.startswith(b"{") or m is None:
            raise Failure(where, 'line does not end in a "sha256" seal')
        body = line[: m.start()] + b"}"
        actual = hashlib.sha256(body).hexdigest()
        if actual != m.group(1).decode():
            raise Failure(where, f"content does not match its seal (sealed {m.group(1)[:12].decode()}…, content hashes to {actual[:12]}…)")
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as e:
            raise Failure(where, f"not UTF-8 ({e})")
        doc = parse(text, where)
        keys = top_level_keys(text)
        if keys[:3] != ENVELOPE_HEAD or keys[-1] != "sha256":
            raise Failure(where, f"envelope out of order: keys are {keys}; expected seq, prev, schema first and sha256 last")
        validate(v, doc, where)
        if doc["seq"] != n:
            raise Failure(where, f"seq is {doc['seq']}, expected {n}")
        if doc["prev"] != prev:
            raise Failure(where, f"prev is {doc['prev'][:12]}…, expected the previous line's seal {prev[:12]}…")
        prev = doc["sha256"]
        if first is None:
            first = doc
    if name == "header.json" and len(lines) != 1:
        raise Failure(path, f"expected exactly one sealed record, found {len(lines)}")
    return len(lines), first


def check_plain(folder, name, v, header, hash_key):
    path = os.path.join(folder, name)
    if not os.path.exists(path):
        raise Failure(path, "file not found")
    with open(path, "rb") as f:
        data = f.read()
    where = f"{path}:1"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Failure(where, f"not UTF-8 ({e})")
    validate(v, parse(text, where), where)
    digest = hashlib.sha256(data).hexdigest()
    if header is not None and header.get(hash_key) != digest:
        raise Failure(where, f"file hashes to {digest[:12]}…, but header.json {hash_key} is {str(header.get(hash_key))[:12]}…")
    return 1


def check_matrix(path, v):
    if not os.path.exists(path):
        raise Failure(path, "file not found")
    count = 0
    with open(path, "rb") as f:
        for n, line in enumerate(f, start=1):
            where = f"{path}:{n}"
            if not line.endswith(b"\n"):
                raise Failure(where, "incomplete last line (no newline)")
            try:
                text = line[:-1].decode("utf-8")
            except UnicodeDecodeError as e:
                raise Failure(where, f"not UTF-8 ({e})")
            validate(v, parse(text, where), where)
            count += 1
    return count


def main(argv):
    args = argv[1:]
    matrix = None
    if "--matrix" in args:
        i = args.index("--matrix")
        if i + 1 >= len(args):
            print("--matrix needs a FILE", file=sys.stderr)
            return 2
        matrix = args[i + 1]
        del args[i : i + 2]
    if len(args) != 1 or args[0].startswith("-"):
        print("usage: python3 docs/schemas/check.py RUN_FOLDER [--matrix FILE]", file=sys.stderr)
        return 2
    folder = args[0]
    if not os.path.isdir(folder):
        print(f"{folder}: not a directory", file=sys.stderr)
        return 2

    total = 0
    try:
        header = None
        for name, schema in SEALED:
            count, first = check_sealed(folder, name, validator(schema))
            total += count
            if name == "header.json":
                header = first
        for name, schema, hash_key in PLAIN:
            total += check_plain(folder, name, validator(schema), header, hash_key)
        if matrix is not None:
            total += check_matrix(matrix, validator("matrix-cell.schema.json"))
    except Failure as e:
        print(e)
        return 1
    print(f"{total} records valid")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
