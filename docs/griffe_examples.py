"""A griffe extension for the API pages: a docstring's `Example:` is read as `Examples:`.

The project writes Google-style docstrings with an `Example:` section (STYLE.md). griffe's Google
parser knows only the plural, `Examples:`, as a section whose `>>>` lines render as code; the
singular would become an admonition whose `>>>` lines Markdown reads as quotes. Renaming the
section before the docstring is parsed keeps the source as it is and renders every example as code.
"""

from __future__ import annotations

import re

import griffe

_EXAMPLE = re.compile(r"^(\s*)Example:[ \t]*$", re.MULTILINE)


class ExampleSections(griffe.Extension):
    """Rename `Example:` section titles to `Examples:` in every docstring griffe loads."""

    def on_instance(self, *, obj: griffe.Object, **kwargs) -> None:
        if obj.docstring is not None:
            obj.docstring.value = _EXAMPLE.sub(r"\1Examples:", obj.docstring.value)
