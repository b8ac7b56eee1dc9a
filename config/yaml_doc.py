"""YAML bytes → plain Python values plus a map from YAML path to (line, column)."""

from __future__ import annotations

from typing import Any

import yaml

from config.errors import Problem

__all__ = ["YamlDoc", "parse_yaml"]

Marks = dict[str, tuple[int, int]]


class YamlDoc:
    """A parsed YAML document: ``value`` and where each path came from."""

    def __init__(self, file: str, value: Any, marks: Marks) -> None:
        self.file = file
        self.value = value
        self.marks = marks

    def locate(self, path: str) -> tuple[int, int]:
        """Line and column (1-based) of ``path`` or of its nearest located ancestor."""
        probe = path
        while True:
            if probe in self.marks:
                return self.marks[probe]
            cut = max(probe.rfind("."), probe.rfind("["))
            if cut <= 0:
                return self.marks.get("$", (1, 1))
            probe = probe[:cut]

    def problem(self, path: str, message: str, *, code: str = "schema", severity: str = "error") -> Problem:
        line, column = self.locate(path)
        return Problem(
            file=self.file,
            line=line,
            column=column,
            path=path,
            message=message,
            code=code,
            severity="warning" if severity == "warning" else "error",
        )


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


MAX_VALUES = 200_000
"""A file that expands to more values than this is refused (aliases of aliases: "billion laughs").

The largest demo pack file has a few thousand; the limit only stops a document that would take
minutes and gigabytes to expand.
"""
_PLAIN_TAGS = {yaml.MappingNode: "tag:yaml.org,2002:map", yaml.SequenceNode: "tag:yaml.org,2002:seq"}


class _TooLarge(Exception):
    def __init__(self, node: yaml.Node) -> None:
        self.node = node


class _Builder:
    """Plain values from YAML nodes, each path's mark recorded; aliases are bounded and never cyclic."""

    def __init__(self, loader: Any, file: str) -> None:
        self.loader = loader
        self.file = file
        self.marks: Marks = {}
        self.problems: list[Problem] = []
        self.count = 0
        self.open: set[int] = set()  # the collection nodes being built (an alias to one is a cycle)

    def problem(self, node: yaml.Node, path: str, message: str) -> None:
        line, col = _mark(node)
        self.problems.append(Problem(file=self.file, line=line, column=col, path=path, message=message))

    def build(self, node: yaml.Node, path: str) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            raise _TooLarge(node)
        self.marks.setdefault(path, _mark(node))
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            if id(node) in self.open:
                self.problem(node, path, "an alias refers to a node that contains it; write the value out")
                return None
            if node.tag != _PLAIN_TAGS[type(node)]:
                self.problem(node, path, f"YAML tag {node.tag!r} is not allowed in a pack; remove it")
                return None
            self.open.add(id(node))
            try:
                return (
                    self._mapping(node, path)
                    if isinstance(node, yaml.MappingNode)
                    else self._sequence(node, path)
                )
            finally:
                self.open.discard(id(node))
        return self._scalar(node, path)

    def _scalar(self, node: yaml.Node, path: str) -> Any:
        try:
            return self.loader.construct_object(node, deep=True)
        except (ValueError, OverflowError) as exc:  # e.g. an integer of more than 4300 digits
            self.problem(node, path, f"cannot read this value: {exc}")
            return None

    def _sequence(self, node: yaml.SequenceNode, path: str) -> list[Any]:
        return [self.build(item, f"{path}[{i}]") for i, item in enumerate(node.value)]

    def _mapping(self, node: yaml.MappingNode, path: str) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self._scalar(key_node, path) if isinstance(key_node, yaml.ScalarNode) else None
            if key is None or isinstance(key, (list, dict)):
                self.problem(key_node, path, "mapping keys must be plain scalars")
                continue
            child = f"{path}.{key}"
            if key in out:
                self.problem(key_node, child, f"duplicate key {key!r}: a key may appear once; merge the two")
                continue
            self.marks[child + "#key"] = _mark(key_node)
            out[key] = self.build(value_node, child)
        return out


def parse_yaml(data: bytes, file: str) -> tuple[YamlDoc | None, list[Problem]]:
    """Parse one YAML document. Never raises on bad input: problems are returned instead."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        message = f"not UTF-8 (byte {exc.start}): save the file as UTF-8"
        return None, [Problem(file=file, line=line, column=column, message=message)]
    loader = (yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDoc(file, None, {"$": (1, 1)}), []
        builder = _Builder(loader, file)
        value = builder.build(node, "$")
        return YamlDoc(file, value, builder.marks), builder.problems
    except _TooLarge as exc:
        line, col = _mark(exc.node)
        message = f"the document expands to more than {MAX_VALUES} values (aliases of aliases?); write it out"
        return None, [Problem(file=file, line=line, column=col, message=message, code="yaml")]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        reason = exc.problem or exc.context or "invalid YAML"
        return None, [
            Problem(file=file, line=line, column=col, message=f"YAML syntax: {reason}", code="yaml")
        ]
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (NUL, other controls)
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        message = f"YAML does not allow the character U+{code:04X} here; remove it"
        return None, [Problem(file=file, line=line, column=column, message=message, code="yaml")]
    except yaml.YAMLError as exc:
        return None, [Problem(file=file, message=f"YAML error: {exc}", code="yaml")]
    finally:
        loader.dispose()
