"""Module hooks during one decomposition: where we are, where to start, what to keep."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from torch import nn
from torch.utils.hooks import RemovableHandle

OnStart = Callable[[Callable, tuple, dict], None]
"""``(forward, args, kwargs)`` of the start module's first call."""
OnCapture = Callable[[str, Any], None]
"""``(path, output)`` after every call of a captured module."""


class ModuleScope:
    """Hooks on every submodule: the path of the running module (named in error messages), the
    start of the decomposition at ``start_at``'s first call, and the outputs of ``capture``."""

    def __init__(self, model: nn.Module, start_at: str | None, on_start: OnStart,
                 capture: Iterable[str], on_capture: OnCapture) -> None:
        self._modules = dict(model.named_modules())
        self._capture = list(capture)
        for path in ([] if start_at is None else [start_at]) + self._capture:
            if path not in self._modules:
                raise ValueError(f"the model has no module {path!r}")
        self._root = f"<{type(model).__name__}>"
        self._start_at = start_at
        self._on_start = on_start
        self._on_capture = on_capture
        self._stack: list[str] = []
        self._handles: list[RemovableHandle] = []
        self.started = start_at is None

    def path(self) -> str:
        """The innermost running module (``<ModelClass>`` for the model's own forward)."""
        return self._stack[-1] if self._stack else self._root

    def __enter__(self) -> ModuleScope:
        for path, module in self._modules.items():
            self._handles += [
                module.register_forward_pre_hook(self._entering(path or self._root)),
                module.register_forward_hook(self._leaving, always_call=True),
            ]
        if self._start_at is not None:
            start = self._modules[self._start_at]
            self._handles.append(start.register_forward_pre_hook(self._start, with_kwargs=True))
        for path in self._capture:
            self._handles.append(self._modules[path].register_forward_hook(self._capturing(path)))
        return self

    def __exit__(self, *exc: object) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def _entering(self, path: str) -> Callable[[nn.Module, tuple], None]:
        def hook(module: nn.Module, args: tuple) -> None:
            self._stack.append(path)

        return hook

    def _leaving(self, module: nn.Module, args: tuple, output: Any) -> None:
        self._stack.pop()

    def _capturing(self, path: str) -> Callable[[nn.Module, tuple, Any], None]:
        def hook(module: nn.Module, args: tuple, output: Any) -> None:
            self._on_capture(path, output)

        return hook

    def _start(self, module: nn.Module, args: tuple, kwargs: dict) -> None:
        if not self.started:
            self.started = True
            self._on_start(module.forward, args, kwargs)
