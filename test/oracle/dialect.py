"""Answers dialect questions with the real Supervisor's own code, for tests.

Reads JSON lines on stdin, writes one JSON line per request on stdout:
  {"kind": "ini", "text": "..."}       -> {"sections": {name: {key: value}}, "defaults": {...}} | {"error": "..."}
  {"kind": "format", "fmt": "...", "map": {...}}  -> {"value": "..."} | {"error": "<ExceptionClass>"}
  {"kind": "kv", "text": "..."}        -> {"value": {...}} | {"error": "..."}
  {"kind": "datatype", "fn": "integer", "text": "..."} -> {"value": ...} | {"error": "..."}
Run with /usr/bin/python3 (Debian's Python, which has the supervisor package).
"""
import io
import json
import sys

from supervisor.options import UnhosedConfigParser
from supervisor import datatypes
from supervisor.datatypes import dict_of_key_value_pairs

DATATYPES = {
    "integer": datatypes.integer,
    "byte_size": datatypes.byte_size,
    "list_of_exitcodes": datatypes.list_of_exitcodes,
    "octal_type": datatypes.octal_type,
    "signal_number": datatypes.signal_number,
}


def ini(text):
    parser = UnhosedConfigParser()
    try:
        parser.read_file(io.StringIO(text, newline=None))
    except Exception as e:  # the class name is what the test compares
        return {"error": type(e).__name__}
    sections = {}
    for name in parser.sections():
        sections[name] = {k: v for k, v in parser._sections[name].items()}
    return {"sections": sections, "defaults": dict(parser._defaults)}


def fmt(s, mapping):
    try:
        return {"value": s % mapping}
    except Exception as e:
        return {"error": type(e).__name__}


def kv(text):
    try:
        return {"value": dict_of_key_value_pairs(text)}
    except Exception as e:
        return {"error": type(e).__name__}


def datatype(fn, text):
    try:
        return {"value": DATATYPES[fn](text)}
    except Exception as e:
        return {"error": type(e).__name__}


for line in sys.stdin:
    req = json.loads(line)
    if req["kind"] == "ini":
        out = ini(req["text"])
    elif req["kind"] == "format":
        out = fmt(req["fmt"], req["map"])
    elif req["kind"] == "datatype":
        out = datatype(req["fn"], req["text"])
    else:
        out = kv(req["text"])
    sys.stdout.write(json.dumps(out) + "\n")
sys.stdout.flush()
