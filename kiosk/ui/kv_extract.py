"""A Babel extractor for Kivy ``.kv`` files: finds ``tr._("...")`` / ``_("...")`` string literals.

kv rule values are Python expressions, but a kv file as a whole is not Python, so the stock extractor cannot
be trusted with it; this one scans each line for the marker calls (single- or double-quoted literals).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

_CALL = re.compile(r"""(?<![\w.])(?:tr\.)?_\(\s*(?P<lit>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')""")


def extract_kv(fileobj, keywords, comment_tags, options) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel extraction method: yields ``(lineno, funcname, message, comments)``."""
    for lineno, raw in enumerate(fileobj, start=1):
        line = raw.decode(options.get("encoding", "utf-8")) if isinstance(raw, bytes) else raw
        if line.lstrip().startswith("#"):
            continue
        for m in _CALL.finditer(line):
            yield lineno, "_", ast.literal_eval(m.group("lit")), []
