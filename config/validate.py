"""Convert plain values into Structs, reporting *every* schema problem with its YAML path."""

from __future__ import annotations

import difflib
import re
from typing import Any, TypeVar

import msgspec
from msgspec import inspect as mi

from config.errors import Problem
from config.yaml_doc import YamlDoc

__all__ = ["convert_all"]

T = TypeVar("T")
_AT = re.compile(r" - at `\$[^`]*`$")


def convert_all(doc: YamlDoc, value: Any, tp: type[T], path: str = "$") -> tuple[T | None, list[Problem]]:
    """Return the converted value, or ``None`` and every problem found."""
    try:
        return msgspec.convert(value, tp), []
    except msgspec.ValidationError:
        problems: list[Problem] = []
        _walk(doc, value, mi.type_info(tp), path, problems)
        if not problems:  # the walker missed what msgspec saw: report msgspec's own words
            try:
                msgspec.convert(value, tp)
            except msgspec.ValidationError as exc:
                problems.append(doc.problem(path, str(exc)))
        return None, problems


def _leaf(doc: YamlDoc, value: Any, info: mi.Type, path: str, problems: list[Problem]) -> bool:
    while isinstance(info, mi.Metadata):
        info = info.type
    try:
        msgspec.convert(value, mi_to_type(info))
        return True
    except msgspec.ValidationError as exc:
        message = _AT.sub("", str(exc))
        problems.append(doc.problem(path, f"{message}; got {value!r}"))
        return False
    except TypeError:
        return True


def _bounds(info: mi.IntType | mi.FloatType) -> dict[str, Any]:
    raw = {"ge": info.ge, "le": info.le, "gt": info.gt, "lt": info.lt}
    return {k: v for k, v in raw.items() if v is not None}


def mi_to_type(info: mi.Type) -> Any:
    """Best-effort reverse of ``msgspec.inspect.type_info`` for leaf checks."""
    if isinstance(info, mi.StrType):
        from typing import Annotated

        str_meta: dict[str, Any] = {
            "pattern": info.pattern,
            "min_length": info.min_length,
            "max_length": info.max_length,
        }
        return Annotated[str, msgspec.Meta(**{k: v for k, v in str_meta.items() if v is not None})]
    if isinstance(info, mi.IntType):
        from typing import Annotated

        return Annotated[int, msgspec.Meta(**_bounds(info))]
    if isinstance(info, mi.FloatType):
        from typing import Annotated

        return Annotated[float, msgspec.Meta(**_bounds(info))]
    simple = {mi.BoolType: bool, mi.NoneType: type(None), mi.AnyType: Any}
    for k, v in simple.items():
        if isinstance(info, k):
            return v
    if isinstance(info, mi.LiteralType):
        from typing import Literal

        return Literal[tuple(info.values)]
    raise TypeError(info)


def _walk(doc: YamlDoc, value: Any, info: mi.Type, path: str, problems: list[Problem]) -> None:
    while isinstance(info, mi.Metadata):  # Annotated[..., Meta(description=...)] wraps the real type
        info = info.type
    if isinstance(info, mi.StructType):
        _walk_struct(doc, value, info, path, problems)
    elif isinstance(info, mi.UnionType):
        _walk_union(doc, value, info, path, problems)
    elif isinstance(info, mi.ListType):
        if not isinstance(value, list):
            problems.append(doc.problem(path, f"expected a list, got {type(value).__name__} {value!r}"))
            return
        for i, item in enumerate(value):
            _walk(doc, item, info.item_type, f"{path}[{i}]", problems)
    elif isinstance(info, mi.DictType):
        if not isinstance(value, dict):
            problems.append(doc.problem(path, f"expected a mapping, got {type(value).__name__} {value!r}"))
            return
        for key, item in value.items():
            _leaf(doc, key, info.key_type, f"{path}.{key}", problems)
            _walk(doc, item, info.value_type, f"{path}.{key}", problems)
    else:
        _leaf(doc, value, info, path, problems)


def _walk_struct(doc: YamlDoc, value: Any, info: mi.StructType, path: str, problems: list[Problem]) -> None:
    if not isinstance(value, dict):
        problems.append(doc.problem(path, f"expected a mapping, got {type(value).__name__} {value!r}"))
        return
    names = {f.encode_name: f for f in info.fields}
    tag_field = info.tag_field
    before = len(problems)
    for key in value:
        if key == tag_field or key in names:
            continue
        hint = difflib.get_close_matches(str(key), list(names), n=1)
        fix = f"did you mean `{hint[0]}`?" if hint else f"known fields: {', '.join(sorted(names))}"
        line, col = doc.locate(f"{path}.{key}#key") if f"{path}.{key}#key" in doc.marks else doc.locate(path)
        problems.append(
            Problem(
                file=doc.file,
                line=line,
                column=col,
                path=f"{path}.{key}",
                message=f"unknown field `{key}`; {fix}",
            )
        )
    for name, field in names.items():
        if name not in value:
            if field.required:
                problems.append(doc.problem(path, f"missing required field `{name}`"))
            continue
        _walk(doc, value[name], field.type, f"{path}.{name}", problems)
    if len(problems) == before:  # fields are fine: a cross-field check (__post_init__) failed
        try:
            msgspec.convert(value, info.cls)
        except msgspec.ValidationError as exc:
            problems.append(doc.problem(path, _AT.sub("", str(exc))))


def _walk_union(doc: YamlDoc, value: Any, info: mi.UnionType, path: str, problems: list[Problem]) -> None:
    structs = [t for t in info.types if isinstance(t, mi.StructType)]
    tagged = [t for t in structs if t.tag_field]
    if tagged and isinstance(value, dict):
        tag_field = tagged[0].tag_field
        kinds = {t.tag: t for t in tagged}
        kind = value.get(tag_field)
        if not isinstance(kind, str | int) or kind not in kinds:  # a list or mapping here is not a kind
            problems.append(
                doc.problem(path, f"`{tag_field}: {kind!r}` is not one of {sorted(map(str, kinds))}")
            )
            return
        _walk_struct(doc, value, kinds[kind], path, problems)
        return
    if structs and isinstance(value, dict):
        _walk_struct(doc, value, structs[0], path, problems)
        return
    others = [t for t in info.types if not isinstance(t, mi.StructType)]
    for t in others:
        trial: list[Problem] = []
        _walk(doc, value, t, path, trial)
        if not trial:
            return
    names = ", ".join(type(t).__name__.removesuffix("Type").lower() for t in info.types)
    problems.append(doc.problem(path, f"expected one of [{names}], got {type(value).__name__} {value!r}"))
