"""Turn (file, YAML path) into a located :class:`Problem` by re-parsing the pack's raw files."""

from __future__ import annotations

import re
from collections.abc import Mapping

from config.errors import Problem, Severity
from config.yaml_doc import YamlDoc, parse_yaml

__all__ = ["Locator"]

_BATTERY_KEY = re.compile(r"^(eval_cases|cases)\s*:", re.MULTILINE)


class Locator:
    """Finds the line and column of a YAML path in a pack file.

    Without ``files`` (or for a file that does not parse) problems carry no line: the path alone
    still names the spot.
    """

    def __init__(self, files: Mapping[str, bytes] | None = None) -> None:
        self._files = files or {}
        self._docs: dict[str, YamlDoc | None] = {}

    def doc(self, file: str) -> YamlDoc | None:
        if file not in self._docs:
            data = self._files.get(file)
            self._docs[file] = parse_yaml(data, file)[0] if data is not None else None
        return self._docs[file]

    def locate(self, file: str, path: str, *, key: bool = False) -> tuple[int, int]:
        doc = self.doc(file)
        if doc is None:
            return 0, 0
        if key and f"{path}#key" in doc.marks:
            return doc.marks[f"{path}#key"]
        return doc.locate(path)

    def problem(
        self,
        file: str,
        path: str,
        message: str,
        *,
        code: str,
        severity: Severity = "error",
        key: bool = False,
    ) -> Problem:
        """A problem at ``path`` of ``file``; ``key=True`` points at a mapping key, not its value."""
        line, column = self.locate(file, path, key=key)
        return Problem(
            file=file, line=line, column=column, path=path, message=message, code=code, severity=severity
        )

    def battery_root(self, file: str) -> str:
        """YAML path of the list of cases in a battery file (``$`` or ``$.eval_cases``/``$.cases``).

        Read from the raw text, so that walking every case does not parse every battery again.
        """
        text = self._files.get(file, b"").decode("utf-8", "replace")
        found = _BATTERY_KEY.search(text)
        return f"$.{found.group(1)}" if found else "$"
