"""Renderers: text, JSON, markdown and SARIF, all reading one :class:`~gate.model.Report`.

Explicit registry (format name -> ``"module:Class"``), imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Mapping

from gate.render.interface import RenderOptions, Renderer

RENDERERS: Mapping[str, str] = {
    "text": "gate.render.text:TextRenderer",
    "json": "gate.render.json_report:JsonRenderer",
    "markdown": "gate.render.markdown:MarkdownRenderer",
    "sarif": "gate.render.sarif:SarifRenderer",
}
"""Format name -> implementing class."""


def get_renderer(name: str) -> Renderer:
    """Instantiate the renderer for format ``name``.

    Raises:
        KeyError: unknown format.
    """
    module_name, _, cls_name = RENDERERS[name].partition(":")
    return getattr(importlib.import_module(module_name), cls_name)()


__all__ = ["RENDERERS", "RenderOptions", "Renderer", "get_renderer"]
