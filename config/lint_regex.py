"""Regex checks: does it compile (with a caret under the error), and can it backtrack catastrophically.

The backtracking check is structural, on the tree ``re``'s own parser builds. It flags

* a quantified group whose body holds another unbounded quantifier (``(a+)+``, ``(\\w*)*``,
  ``(\\w+\\s?)+``), unless a required character the inner quantifier cannot eat separates the
  iterations (``(\\d+,)+`` is fine);
* a quantified alternation whose branches can start with the same character (``(x|x)*``,
  ``(\\w|\\d)+``).
"""

from __future__ import annotations

import importlib
import re
from typing import Any

__all__ = ["backtracking_risk", "never_matching_letters", "regex_compile_error"]

_parser: Any = importlib.import_module("re._parser")
MAXREPEAT: int = _parser.MAXREPEAT
LARGE_REPEAT = 32
_REPEATS = {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}
_CATEGORY_RX = {"CATEGORY_DIGIT": r"\d", "CATEGORY_WORD": r"\w", "CATEGORY_SPACE": r"\s"}
_PROBES = "aZя0_ \n!-.,"
# (literals, ranges, categories, anything)
CharSet = tuple[frozenset[int], frozenset[tuple[int, int]], frozenset[str], bool]
ANY: CharSet = (frozenset(), frozenset(), frozenset(), True)


def regex_compile_error(pattern: str) -> str | None:
    """``None`` when ``pattern`` compiles, else the error with the pattern and a caret under it."""
    try:
        re.compile(pattern)
    except re.error as exc:
        text = f"regex /{pattern}/ does not compile: {exc}"
        if exc.pos is not None:
            text += f"\n    {pattern}\n    {' ' * exc.pos}^"
        return text
    return None


def backtracking_risk(pattern: str) -> str | None:
    """Why ``pattern`` may backtrack catastrophically, or ``None``. ``pattern`` must compile."""
    return _scan(list(_parser.parse(pattern)))


def never_matching_letters(pattern: str) -> list[str]:
    """Letters in ``pattern`` that normalised text never contains (upper case, ``ё``). Must compile."""
    parsed = _parser.parse(pattern)
    ignore_case = bool(parsed.state.flags & re.IGNORECASE)
    found: dict[str, None] = {}

    def walk(seq: list[Any]) -> None:
        for item in seq:
            op = _op(item)
            members = [item] if op == "LITERAL" else list(item[1]) if op == "IN" else []
            if any(str(sub_op) == "NEGATE" for sub_op, _ in members):
                members = []  # a negated set of capitals matches everything normalised: harmless
            for sub_op, sub_av in members:
                if str(sub_op) == "LITERAL":
                    ch = chr(sub_av)
                elif str(sub_op) == "RANGE" and chr(sub_av[0]) != chr(sub_av[0]).lower():
                    ch = f"{chr(sub_av[0])}-{chr(sub_av[1])}"
                else:
                    continue
                if ch in "ёЁ" or (not ignore_case and ch != ch.lower()):
                    found[ch] = None
            for child in _children(item):
                walk(child)

    walk(list(parsed))
    return list(found)


def _op(item: tuple[Any, Any]) -> str:
    return str(item[0])


def _children(item: tuple[Any, Any]) -> list[list[Any]]:
    op, av = _op(item), item[1]
    if op in _REPEATS:
        return [list(av[2])]
    if op == "SUBPATTERN":
        return [list(av[3])]
    if op == "BRANCH":
        return [list(b) for b in av[1]]
    if op in ("ASSERT", "ASSERT_NOT"):
        return [list(av[1])]
    if op == "ATOMIC_GROUP":
        return [list(av)]
    if op == "GROUPREF_EXISTS":
        return [list(b) for b in av[1:] if b is not None]
    return []


def _flat(seq: list[Any]) -> list[Any]:
    """The sequence with plain groups inlined (``(ab)c`` is ``a b c``)."""
    out: list[Any] = []
    for item in seq:
        if _op(item) == "SUBPATTERN":
            out.extend(_flat(list(item[1][3])))
        else:
            out.append(item)
    return out


def _unbounded(item: tuple[Any, Any]) -> bool:
    return _op(item) in _REPEATS and item[1][1] > 1 and (item[1][1] == MAXREPEAT or item[1][1] > LARGE_REPEAT)


def _has_unbounded(seq: list[Any]) -> bool:
    return any(_unbounded(item) or any(_has_unbounded(c) for c in _children(item)) for item in seq)


def _scan(seq: list[Any]) -> str | None:
    for item in seq:
        op = _op(item)
        if _unbounded(item) and op != "POSSESSIVE_REPEAT":
            body = _flat(list(item[1][2]))
            reason = _nested_quantifier(body) or _overlapping_branches(body)
            if reason:
                return reason
        for child in _children(item):
            reason = _scan(child)
            if reason:
                return reason
    return None


def _nested_quantifier(body: list[Any]) -> str | None:
    for i, item in enumerate(body):
        if _unbounded(item):
            inner = _charset_of_body(list(item[1][2]))
            separators = [s for j, s in enumerate(body) if j != i and _min_width(s) > 0]
            if any(not _overlap(inner, _first(s)) for s in separators):
                continue
            return "a quantifier inside a quantified group (like `(a+)+` or `(\\w*)*`)"
        if any(_has_unbounded(c) for c in _children(item)) and _op(item) != "ATOMIC_GROUP":
            return "a quantifier inside a quantified group (like `(a+)+` or `(\\w*)*`)"
    return None


def _overlapping_branches(body: list[Any]) -> str | None:
    for item in body:
        if _op(item) != "BRANCH":
            continue
        branches = [list(b) for b in item[1][1]]
        for i, a in enumerate(branches):
            for b in branches[i + 1 :]:
                if str(a) == str(b) or (a and b and _overlap(_first(a[0]), _first(b[0]))):
                    return "a quantified alternation whose branches can match the same text (like `(x|x)*`)"
    return None


def _min_width(item: tuple[Any, Any]) -> int:
    try:
        width = _parser.SubPattern(_parser.State(), [item]).getwidth()
        return int(width[0])
    except Exception:  # an exotic node: assume it may be empty (the safe side)
        return 0


def _charset_of_body(body: list[Any]) -> CharSet:
    return _first(body[0]) if len(body) == 1 else ANY


def _first(item: tuple[Any, Any]) -> CharSet:
    """Characters ``item`` can start with (over-approximated)."""
    op, av = _op(item), item[1]
    if op == "LITERAL":
        return frozenset({av}), frozenset(), frozenset(), False
    if op == "IN":
        lits: set[int] = set()
        ranges: set[tuple[int, int]] = set()
        cats: set[str] = set()
        for sub_op, sub_av in av:
            name = str(sub_op)
            if name == "LITERAL":
                lits.add(sub_av)
            elif name == "RANGE":
                ranges.add(tuple(sub_av))
            elif name == "CATEGORY" and str(sub_av) in _CATEGORY_RX:
                cats.add(str(sub_av))
            else:
                return ANY
        return frozenset(lits), frozenset(ranges), frozenset(cats), False
    if op in _REPEATS or op == "SUBPATTERN":
        body = _flat(_children(item)[0])
        return _first(body[0]) if body and _min_width(body[0]) > 0 else ANY
    return ANY


def _contains(cs: CharSet, ch: int) -> bool:
    lits, ranges, cats, anything = cs
    return (
        anything
        or ch in lits
        or any(lo <= ch <= hi for lo, hi in ranges)
        or any(re.fullmatch(_CATEGORY_RX[c], chr(ch)) for c in cats)
    )


def _overlap(a: CharSet, b: CharSet) -> bool:
    if a[3] or b[3]:
        return True
    probes = {*a[0], *b[0], *(x for r in a[1] | b[1] for x in r), *map(ord, _PROBES)}
    return any(_contains(a, ch) and _contains(b, ch) for ch in probes)
