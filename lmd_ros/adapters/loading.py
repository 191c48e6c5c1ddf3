"""Finding the user's model: an import path ``package.module:factory`` or an installed entry point.

A factory is called as ``factory(checkpoint=…, options=…, device=…)`` and returns a
`ModelAdapter`. Loading imports and runs the user's code, as a launch file does: only name
models you trust.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import yaml

from lmd_ros.adapters.protocol import ModelAdapter, check_adapter

ENTRY_POINT_GROUP = "lmd_ros.models"
REFERENCE_MODEL = "lmd_ros.model.adapter:build"
"""What an empty ``model`` means: the shipped SimpleBEV-style reference model."""


class AdapterError(ValueError):
    """The model could not be loaded; the message says which model and why."""


def load_adapter(model: str, checkpoint: str = "", options: str | Mapping[str, Any] = "",
                 device: str = "cpu") -> ModelAdapter:
    """The adapter built by ``model``'s factory; raises `AdapterError` naming what failed."""
    spec = model or REFERENCE_MODEL
    factory = _factory(spec)
    parsed = parse_options(options)
    try:
        adapter = factory(checkpoint=checkpoint, options=parsed, device=device)
    except Exception as error:  # the user's code: any failure is a configuration error
        raise AdapterError(f"{spec}: the factory raised {type(error).__name__}: {error}") from None
    try:
        return check_adapter(adapter)
    except TypeError as error:
        raise AdapterError(f"{spec}: {error}") from None


def parse_options(options: str | Mapping[str, Any]) -> dict[str, Any]:
    """``model_options``: a mapping, a YAML file's path, or an inline YAML mapping."""
    if isinstance(options, Mapping):
        return dict(options)
    if not options.strip():
        return {}
    try:
        path = Path(options)
        text = path.read_text() if path.is_file() else options
        value = yaml.safe_load(text)
    except (OSError, yaml.YAMLError) as error:
        raise AdapterError(f"model_options: cannot read {options!r}: {error}") from None
    if not isinstance(value, dict):
        raise AdapterError(f"model_options: must be a mapping or a YAML file of one, got "
                           f"{options!r}")
    return value


def _factory(spec: str) -> Callable[..., Any]:
    if ":" not in spec:
        found = [e for e in entry_points(group=ENTRY_POINT_GROUP) if e.name == spec]
        if not found:
            names = sorted(e.name for e in entry_points(group=ENTRY_POINT_GROUP))
            raise AdapterError(f"{spec}: no such installed model (entry points "
                               f"{ENTRY_POINT_GROUP!r}: {names}); or give package.module:factory")
        spec = found[0].value
    module_name, _, attribute = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as error:  # ImportError, or the module's own code failing
        raise AdapterError(f"{spec}: cannot import {module_name!r}: "
                           f"{type(error).__name__}: {error}") from None
    factory = getattr(module, attribute, None)
    if not callable(factory):
        raise AdapterError(f"{spec}: {module_name!r} has no callable {attribute!r}")
    return factory
