"""Vector and results files in three formats, written and read back.

* ``json`` -- one object: the header fields, then ``"cases"``, one case a line.
* ``jsonl`` -- the header object on the first line (no ``"cases"``), then one case a line.
* ``csv`` -- a header row ``case,kind,name,index,value`` and one row per number, ``kind``
  one of ``input``, ``parameter``, ``cost``, ``gradient`` (and ``meta`` for the header
  fields and each case's regime, value as text), ``index`` empty for a scalar and ``i`` or
  ``i;j`` (zero-based, row-major) for vectors and matrices: a C or Fortran program reads
  it line by line with ``scanf``.  A results file in CSV is the ``gradient`` rows (and
  optionally ``cost`` rows) with the implementation's values.

Reading is strict (:mod:`symgrad.inputs`): a key given twice in one object is refused
(a results file with a wrong ``b_1`` then a right one must not pass) and every number's
length and exponent are bounded before any conversion.  In a results file a NaN or ±inf
(JSON ``NaN``/``Infinity``, or the text ``nan``/``inf``) is the implementation's answer,
kept for the verdict; anything else that is not a number is one line naming its place.

>>> rows = csv_rows({"cases": [{"regime": "ordinary", "inputs": {"x": [["1", "2"]]},
...                  "parameters": {"b_1": ["0.5"]}, "cost": "3", "gradients": {"b_1": ["-1"]}}]})
>>> rows[-3:]
[[0, 'parameter', 'b_1', '0', '0.5'], [0, 'cost', 'C', '', '3'], [0, 'gradient', 'b_1', '0', '-1']]
"""
from __future__ import annotations

import csv
import io
import json

from symgrad.inputs import JSONConstant, check_decimal, load_json
from symgrad.errors import UsageError
from symgrad.oracle.description import network_from_description
from symgrad.oracle.reference import parse_digits, leaves

__all__ = ["VECTORS_FORMAT", "RESULTS_FORMAT", "FORMATS", "CSV_HEADER", "vectors_text",
           "csv_rows", "read_vectors", "read_results", "file_format"]

VECTORS_FORMAT = "symgrad-vectors/1"
RESULTS_FORMAT = "symgrad-results/1"
FORMATS = ("json", "jsonl", "csv")
CSV_HEADER = ["case", "kind", "name", "index", "value"]
_HEADER_KEYS = ("format", "generator", "seed", "network", "digits", "certified",
                "not_certified", "kink", "conventions", "regimes")


def _header(doc: dict) -> dict:
    return {k: doc[k] for k in _HEADER_KEYS if k in doc}


def _dumps(x) -> str:
    return json.dumps(x, ensure_ascii=False)


def vectors_text(doc: dict, format: str = "json") -> str:
    """The text of a vector document in ``format`` (json, jsonl or csv); the first line
    carries the format marker symgrad recognises its own files by."""
    if format not in FORMATS:
        raise UsageError(f"format={format!r}: must be one of {', '.join(FORMATS)}")
    cases = doc["cases"]
    if format == "jsonl":
        return "\n".join([_dumps(_header(doc))] + [_dumps(c) for c in cases]) + "\n"
    if format == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        for key, value in _header(doc).items():
            writer.writerow(["", "meta", key, "", value if isinstance(value, str)
                             else _dumps(value)])
        writer.writerows(csv_rows(doc))
        return out.getvalue()
    head = _dumps(_header(doc))[:-1]
    lines = [head + ',\n "cases": [']
    lines += [f"  {_dumps(c)}{',' if i < len(cases) - 1 else ''}" for i, c in enumerate(cases)]
    return "\n".join(lines) + "\n ]}\n"


def _index(idx: tuple) -> str:
    return ";".join(map(str, idx))


def csv_rows(doc: dict) -> list:
    """The rows of every case: regime, inputs, parameters, cost, gradients."""
    rows = []
    for k, case in enumerate(doc["cases"]):
        if "regime" in case:
            rows.append([k, "meta", "regime", "", case["regime"]])
        for kind, part in (("input", "inputs"), ("parameter", "parameters")):
            for name, value in case[part].items():
                rows += [[k, kind, name, _index(i), v] for i, v in leaves(value)]
        rows.append([k, "cost", "C", "", case["cost"]])
        for name, value in case["gradients"].items():
            rows += [[k, "gradient", name, _index(i), v] for i, v in leaves(value)]
    return rows


def file_format(text: str) -> str:
    """``csv``, ``jsonl`` or ``json``, from the text itself."""
    head = text.lstrip("\ufeff \t\r\n")[:200]
    if head.startswith(",".join(CSV_HEADER)):
        return "csv"
    first = head.split("\n", 1)[0].strip()
    if first.startswith("{") and "\n" in text.strip():
        try:
            obj = json.loads(text.lstrip().split("\n", 1)[0])
        except ValueError:
            return "json"
        if isinstance(obj, dict) and "cases" not in obj:
            return "jsonl"
    return "json"


def _json(text: str, what: str):
    """JSON read strictly; the numbers written as strings are checked where they are read
    (:func:`_shaped`), each once."""
    return load_json(text, what)


def _from_jsonl(text: str, what: str, header: bool) -> dict:
    lines = [(n, line) for n, line in enumerate(text.split("\n"), 1) if line.strip()]
    objects = [_json(line, f"{what} line {n}") for n, line in lines]
    if header and objects and isinstance(objects[0], dict) and "gradients" not in objects[0]:
        return {**objects[0], "cases": objects[1:]}
    return {"cases": objects}


def _from_csv(text: str, what: str) -> dict:
    """Header fields (meta rows without a case) and cases rebuilt from the rows."""
    doc, cases = {}, {}
    reader = csv.reader(io.StringIO(text))
    next(reader)
    for n, row in enumerate(reader, 2):
        if not row:
            continue
        place = f"{what} line {n}"
        if len(row) != 5:
            raise UsageError(f"{place}: {len(row)} fields; a row has 5: "
                             f"{','.join(CSV_HEADER)}")
        case, kind, name, index, value = row
        if kind == "meta" and not case:
            doc[name] = value if name in ("format", "generator", "kink") else \
                _json(value, f"{place}.{name}")
            continue
        if not case.isdigit() or len(case) > 9:
            raise UsageError(f"{place}: case={case!r}: must be a case number from 0")
        entry = cases.setdefault(int(case), {})
        part = {"input": "inputs", "parameter": "parameters", "gradient": "gradients",
                "cost": "cost", "meta": "meta"}.get(kind)
        if part is None:
            raise UsageError(f"{place}: kind={kind!r}: must be input, parameter, cost, "
                             "gradient or meta")
        if part == "meta":
            entry[name] = value
        elif part == "cost":
            entry["cost"] = value
        else:
            _put(entry.setdefault(part, {}), name, index, value, place)
    if sorted(cases) != list(range(len(cases))):
        raise UsageError(f"{what}: the cases must be numbered 0, 1, 2, ... without a gap")
    doc["cases"] = [_nested(cases[k]) for k in range(len(cases))]
    return doc


def _put(part: dict, name: str, index: str, value: str, place: str) -> None:
    idx = tuple(int(i) for i in index.split(";")) if index else ()
    if any(i > 10 ** 6 for i in idx) or len(idx) > 2:
        raise UsageError(f"{place}: index={index!r}: at most two indices i;j")
    cells = part.setdefault(name, {})
    if idx in cells:
        raise UsageError(f"{place}: {name}[{index}] given twice")
    cells[idx] = value


def _nested(entry: dict) -> dict:
    """Cells {(i, j): v} of every array as nested lists (a scalar at index ())."""
    out = dict(entry)
    for part in ("inputs", "parameters", "gradients"):
        if part in entry:
            out[part] = {name: _grid(cells) for name, cells in entry[part].items()}
    return out


def _grid(cells: dict):
    if () in cells:
        return cells[()]
    depth = len(next(iter(cells)))
    rows = 1 + max(i[0] for i in cells)
    if depth == 1:
        return [cells.get((i,)) for i in range(rows)]
    cols = 1 + max(i[1] for i in cells)
    return [[cells.get((i, j)) for j in range(cols)] for i in range(rows)]


def _document(text: str, what: str, header: bool) -> dict:
    kind = file_format(text)
    if kind == "csv":
        return _from_csv(text, what)
    if kind == "jsonl":
        return _from_jsonl(text, what, header)
    doc = _json(text, what)
    if not isinstance(doc, dict):
        raise UsageError(f"{what}: must be a JSON object")
    return doc


def _object(value, place: str) -> dict:
    if not isinstance(value, dict):
        raise UsageError(f"{place}: must be an object")
    return value


def _show(value, limit: int = 40) -> str:
    text = repr(value) if not isinstance(value, (list, dict)) else (
        "an object" if isinstance(value, dict) else "[" + ", ".join(
            _show(v) for v in value[:6]) + (", ...]" if len(value) > 6 else "]"))
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _shaped(value, shape: tuple, place: str, results: bool):
    """Nested decimal strings of ``shape``; in a results file NaN and ±inf pass as floats."""
    if not shape:
        if isinstance(value, list) and len(value) == 1 and results:
            value = value[0]
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if results and isinstance(value, str) and \
                value.strip().lower().lstrip("+-") in ("nan", "inf", "infinity"):
            return float(value.strip().lower().replace("infinity", "inf"))
        if results and isinstance(value, JSONConstant):
            return float(str(value).lower().replace("infinity", "inf"))
        if not isinstance(value, str) or isinstance(value, JSONConstant):
            raise UsageError(f"{place}={_show(value)}: must be a finite decimal number")
        return check_decimal(value, place)
    n = shape[0]
    if not isinstance(value, list):
        what = "numbers" if len(shape) == 1 else f"lists of {shape[1]} numbers"
        raise UsageError(f"{place}: expected a list of {n} {what}, got {_show(value)}")
    if len(value) != n:
        raise UsageError(f"{place}: expected {n} entries, got {len(value)}")
    return [_shaped(v, shape[1:], f"{place}[{i}]", results) for i, v in enumerate(value)]


def _arrays(obj, net, place: str, results: bool = False) -> dict:
    """Every parameter of ``net`` once, nothing else, each in its shape (a chain's as
    numbers)."""
    obj = _object(obj, place)
    names = net.parameter_names()
    for name in obj:
        if name not in names:
            raise UsageError(f"{place}: unknown {name!r}; this network has "
                             f"{', '.join(names[:6])}{', ...' if len(names) > 6 else ''}")
    out = {name: _shaped(value, () if net.is_chain else net.parameter_shape(name),
                         f"{place}.{name}", results) for name, value in obj.items()}
    for name in names:
        if name not in out:
            raise UsageError(f"{place}: missing {name!r}")
    return {name: out[name] for name in names}


def _inputs(obj, net, place: str) -> dict:
    obj = _object(obj, place)
    keys = ("a_0", "y") if net.is_chain else ("x", "y")
    for key in obj:
        if key not in keys:
            raise UsageError(f"{place}: unknown {key!r}; a {'chain' if net.is_chain else 'dense'}"
                             f" case has {' and '.join(keys)}")
    for key in keys:
        if key not in obj:
            raise UsageError(f"{place}: missing {key!r}")
    if net.is_chain:
        return {k: _shaped(obj[k], (), f"{place}.{k}", False) for k in keys}
    N = net.samples
    return {"x": _shaped(obj["x"], (N, net.n(0)), f"{place}.x", False),
            "y": _shaped(obj["y"], (N, net.n(net.L)), f"{place}.y", False)}


def read_vectors(text: str, what: str = "vectors") -> tuple:
    """Parse and check a vector file in any format; returns the network and the document
    with every number a decimal string (nested for a dense network's arrays)."""
    doc = _document(text, what, header=True)
    if doc.get("format") != VECTORS_FORMAT:
        raise UsageError(f"{what}.format={doc.get('format')!r}: must be {VECTORS_FORMAT!r}")
    net = network_from_description(doc.get("network"), f"{what}.network")
    digits = parse_digits(doc.get("digits"), f"{what}.digits")
    kink = doc.get("kink", "left")
    if kink not in ("left", "right"):
        raise UsageError(f"{what}.kink={kink!r}: must be left or right")
    cases = doc.get("cases")
    if not isinstance(cases, list) or not cases:
        raise UsageError(f"{what}.cases: must be a non-empty list")
    clean = []
    for k, case in enumerate(cases):
        place = f"{what}.cases[{k}]"
        case = _object(case, place)
        for key in ("inputs", "parameters", "cost", "gradients"):
            if key not in case:
                raise UsageError(f"{place}: missing {key!r}")
        clean.append({"regime": str(case.get("regime", "ordinary")),
                      "inputs": _inputs(case["inputs"], net, f"{place}.inputs"),
                      "parameters": _arrays(case["parameters"], net, f"{place}.parameters"),
                      "cost": _shaped(case["cost"], (), f"{place}.cost", False),
                      "gradients": _arrays(case["gradients"], net, f"{place}.gradients")})
    return net, {**_header(doc), "digits": digits, "kink": kink, "cases": clean}


def read_results(text: str, net, count: int, what: str = "results") -> list:
    """Another implementation's results in any format, ``count`` cases in the vector file's
    order: one dict a case, by parameter name (and ``"cost"`` where given)."""
    doc = _document(text, what, header=True)
    fmt = doc.get("format", RESULTS_FORMAT)
    if fmt != RESULTS_FORMAT:
        raise UsageError(f"{what}.format={fmt!r}: must be {RESULTS_FORMAT!r} (or absent)")
    cases = doc.get("cases")
    if not isinstance(cases, list):
        raise UsageError(f"{what}: missing the list 'cases'")
    if len(cases) != count:
        raise UsageError(f"{what}.cases: {len(cases)} cases, the vector file has {count}")
    out = []
    for k, case in enumerate(cases):
        place = f"{what}.cases[{k}]"
        case = _object(case, place)
        if "gradients" not in case:
            raise UsageError(f"{place}: missing 'gradients'")
        row = _arrays(case["gradients"], net, f"{place}.gradients", results=True)
        if "cost" in case:
            row["cost"] = _shaped(case["cost"], (), f"{place}.cost", True)
        out.append(row)
    return out
