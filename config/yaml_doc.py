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


def _build(node: yaml.Node, path: str, loader: Any, marks: Marks, problems: list[Problem], file: str) -> Any:
    marks.setdefault(path, _mark(node))
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = (
                loader.construct_object(key_node, deep=True)
                if isinstance(key_node, yaml.ScalarNode)
                else None
            )
            if key is None or isinstance(key, (list, dict)):
                line, col = _mark(key_node)
                problems.append(
                    Problem(
                        file=file,
                        line=line,
                        column=col,
                        path=path,
                        message="mapping keys must be plain scalars",
                    )
                )
                continue
            child = f"{path}.{key}"
            if key in out:
                line, col = _mark(key_node)
                problems.append(
                    Problem(
                        file=file,
                        line=line,
                        column=col,
                        path=child,
                        message=f"duplicate key {key!r}: a key may appear once; merge the two",
                    )
                )
                continue
            marks[child + "#key"] = _mark(key_node)
            out[key] = _build(value_node, child, loader, marks, problems, file)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(item, f"{path}[{i}]", loader, marks, problems, file) for i, item in enumerate(node.value)
        ]
    return loader.construct_object(node, deep=True)


def parse_yaml(data: bytes, file: str) -> tuple[YamlDoc | None, list[Problem]]:
    """Parse one YAML document. Never raises on bad input: problems are returned instead."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(file=file, message=f"not UTF-8 (byte {exc.start}): save the file as UTF-8")]
    loader = (yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDoc(file, None, {"$": (1, 1)}), []
        problems: list[Problem] = []
        marks: Marks = {}
        value = _build(node, "$", loader, marks, problems, file)
        return YamlDoc(file, value, marks), problems
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        reason = exc.problem or exc.context or "invalid YAML"
        return None, [
            Problem(file=file, line=line, column=col, message=f"YAML syntax: {reason}", code="yaml")
        ]
    except yaml.YAMLError as exc:
        return None, [Problem(file=file, message=f"YAML error: {exc}", code="yaml")]
    finally:
        loader.dispose()
