"""Attention, re-expressed by the ops it is made of, which then run under the tracer.

softmax(QKᵀ) is a switch (the attention map, frozen under a linearization) and A·V is linear in
V; QKᵀ itself is a product of two decomposed tensors and follows the product rule. The fused
kernels still compute the reference; only the streams come from the re-expression.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch.utils._pytree import tree_leaves

from lmd_ros.decomposition.op import Op
from lmd_ros.decomposition.registry import register_rule


class Composite:
    """``implementation(op, *args, **kwargs)`` computes what the op does, from simpler ops."""

    def __init__(self, implementation: Callable[..., Any]) -> None:
        self.implementation = implementation

    def __call__(self, op: Op) -> list[Any]:
        with op.tracer:
            out = self.implementation(op, *op.args, **op.kwargs)
        streams = [op.streams(t) for t in tree_leaves(out)]
        return [t if s is None else s for s, t in zip(streams, tree_leaves(out), strict=True)]


def scaled_dot_product_attention(op: Op, query: torch.Tensor, key: torch.Tensor,
                                 value: torch.Tensor, attn_mask: torch.Tensor | None = None,
                                 dropout_p: float = 0.0, is_causal: bool = False,
                                 scale: float | None = None,
                                 enable_gqa: bool = False) -> torch.Tensor:
    if dropout_p > 0:
        raise op.unsupported("drops attention at random: pass dropout_p=0 in eval mode")
    if enable_gqa:
        repeats = query.size(-3) // key.size(-3)
        key, value = key.repeat_interleave(repeats, -3), value.repeat_interleave(repeats, -3)
    scale = 1 / math.sqrt(query.size(-1)) if scale is None else scale
    scores = query @ key.transpose(-2, -1) * scale
    if is_causal:
        allowed = torch.ones(query.size(-2), key.size(-2), dtype=torch.bool,
                             device=query.device).tril()
        scores = scores.masked_fill(~allowed, -math.inf)
    if attn_mask is not None and attn_mask.dtype == torch.bool:  # True: may attend
        scores = scores.masked_fill(~attn_mask, -math.inf)
    elif attn_mask is not None:
        scores = scores + attn_mask
    return torch.softmax(scores, -1) @ value


def multi_head_attention_forward(
        op: Op, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
        embed_dim_to_check: int, num_heads: int, in_proj_weight: torch.Tensor | None,
        in_proj_bias: torch.Tensor | None, bias_k: torch.Tensor | None,
        bias_v: torch.Tensor | None, add_zero_attn: bool, dropout_p: float,
        out_proj_weight: torch.Tensor, out_proj_bias: torch.Tensor | None, training: bool = True,
        key_padding_mask: torch.Tensor | None = None, need_weights: bool = True,
        attn_mask: torch.Tensor | None = None, use_separate_proj_weight: bool = False,
        q_proj_weight: torch.Tensor | None = None, k_proj_weight: torch.Tensor | None = None,
        v_proj_weight: torch.Tensor | None = None, static_k: torch.Tensor | None = None,
        static_v: torch.Tensor | None = None, average_attn_weights: bool = True,
        is_causal: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
    """nn.MultiheadAttention's math (batched (L, N, E) inputs; is_causal only hints attn_mask)."""
    if any(x is not None for x in (bias_k, bias_v, static_k, static_v)) or add_zero_attn:
        raise op.unsupported("uses bias_k/bias_v/static_k/static_v/add_zero_attn: no rule yet")
    if training and dropout_p > 0:
        raise op.unsupported("drops attention at random in training mode: call model.eval()")
    if query.dim() != 3:
        raise op.unsupported("gets unbatched inputs: no rule yet")
    length, batch, embed = query.shape
    head_dim = embed // num_heads
    weights = ((q_proj_weight, k_proj_weight, v_proj_weight) if use_separate_proj_weight
               else in_proj_weight.chunk(3))
    biases = (None,) * 3 if in_proj_bias is None else in_proj_bias.chunk(3)

    def heads(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
        return F.linear(x, w, b).reshape(x.size(0), batch * num_heads, head_dim).transpose(0, 1)

    q, k, v = (heads(x, w, b) for x, w, b in zip((query, key, value), weights, biases,
                                                 strict=True))
    scores = torch.bmm(q * head_dim**-0.5, k.transpose(1, 2))
    if key_padding_mask is not None:
        padding = _additive(key_padding_mask, query.dtype)
        padding = padding.view(batch, 1, 1, -1).expand(-1, num_heads, -1, -1)
        scores = scores + padding.reshape(batch * num_heads, 1, -1)
    if attn_mask is not None:
        scores = scores + _additive(attn_mask, query.dtype)
    attention = torch.softmax(scores, -1)
    out = torch.bmm(attention, v).transpose(0, 1).reshape(length, batch, embed)
    out = F.linear(out, out_proj_weight, out_proj_bias)
    if not need_weights:
        return out, None
    attention = attention.view(batch, num_heads, length, -1)
    return out, attention.mean(1) if average_attn_weights else attention


def _additive(mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """nn.MultiheadAttention's masks as additive ones (bool: True = may not attend)."""
    if mask.dtype == torch.bool:
        return torch.zeros(mask.shape, dtype=dtype, device=mask.device).masked_fill(mask, -math.inf)
    return mask


register_rule(F.scaled_dot_product_attention, Composite(scaled_dot_product_attention))
register_rule(F.multi_head_attention_forward, Composite(multi_head_attention_forward))
