"""Griffe extension: read a Google-style ``Example:`` section as ``Examples:``.

gradtx docstrings end with an ``Example:`` section of doctests. Griffe parses only
the plural title as an examples section (doctest lines become highlighted code); the
singular would be an admonition whose ``>>>`` lines render as Markdown quotes.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_SINGULAR = re.compile(r"^(\s*)Example:\s*$", re.MULTILINE)


class ExamplesSection(griffe.Extension):
    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = _SINGULAR.sub(r"\1Examples:", obj.docstring.value)
