"""Layer-wise Modality Decomposition: split every output of an unchanged PyTorch network into one
stream per modality plus a bias stream that sum exactly to the output.

Method: ``shared/docs/lmd-method.md``. Usage::

    d = decompose(model, {"camera": 0, "radar": "radar_bev"}, images, radar_bev=radar)
    d.reference                       # model(images, radar_bev=radar), bit for bit
    d.streams["camera"], d.streams["radar"], d.streams["bias"]   # same structure, sum = reference

    lin = linearize(model, modalities, *x)   # switches frozen at x: the affine map A_x
    lin(*x_perturbed).streams                # other inputs through A_x (perturbation metrics)

How it works. A ``torch.overrides.TorchFunctionMode`` (``Tracer``) sees every torch function,
``torch.nn.functional`` function and Tensor method the model calls. It maps each decomposed
reference tensor, weakly and by identity, to its ``Streams``: one stacked tensor with a leading
stream dim, so each op runs once on all streams (vmap folds that dim into the batch dim of
conv/linear/pool kernels). Streams known to be zero are not carried: a branch fed by one
modality carries one row. An op touching no decomposed tensor just runs; otherwise the original
op computes the reference (so ``reference`` is bit-identical to a plain forward, and Python
control flow sees real values) and the op's rule computes the streams. In-place ops run as
their out-of-place twin plus a write-back. Using a tensor whose memory was written through a
view, or a decomposed tensor changed behind the engine's back (version counters), raises
instead of guessing. Module hooks name the running module in errors, start at ``start_at`` and
capture layers. Everything runs under ``torch.no_grad``; switches are detached. Memory: the
streams of a tensor die with it, so the peak is (live streams) x (largest live activation),
independent of depth, plus captured layers (and, for ``linearize``, the recorded switches).

The bias stream is by default derived at the end as reference − Σ modality streams, which saves
one stream. That is exact for every rule, because every rule's modality streams are computed
without the bias stream: the bias rule of each op is "whatever makes the streams sum to the
output" (activations: φ(z) − Σ c·h_m; affine ops: the op on the bias plus its constant; BN, the
norms, products, selections: ditto, by linearity). ``explicit_bias=True`` (and every
``Linearization``) pushes the bias as a stream of its own instead; both agree to rounding.

Rules (``rules/``; method doc table): elementwise activations: secant slope, φ(0) and rounding
to the bias; BatchNorm (eval): ``bn_rule`` identity | uniform; LayerNorm / InstanceNorm /
GroupNorm: σ (and μ) of the reference frozen, ``norm_rule`` ratio | identity | uniform;
linear/affine ops (conv, linear, pools, interpolate, grid_sample with a constant grid, pad,
reshapes, indexing, cat, scatter_add, index_add, sum/mean, +, −, ...): every stream through the
op, additive constants to the bias; max-pool/max/min/top-k/sort: indices at the reference;
softmax: its output is a switch (a constant), so A·V is linear in V; division: the denominator
is a switch; products of decomposed tensors: each cross term h_i·g_j half to i and half to j;
SDPA and nn.MultiheadAttention: re-expressed by the ops above (QKᵀ bilinear, softmax frozen:
the paper's named limitation). Masks, indices and other non-float tensors computed from
decomposed data are switches too. Anything else raises ``UnsupportedOpError``, naming the op and
the module that called it.

Adding a rule: ``register_rule(op, rule)``. ``op`` is the callable the model uses (``torch.erf``,
``torch.Tensor.erf``, an ``F.*`` function, or a ``torch.autograd.Function`` subclass).
``rule(op) -> streams`` gets an ``Op``: ``op.func``, ``op.args``, ``op.kwargs`` (the call, with
reference tensors) and ``op.out`` (its result), and returns, for each tensor of ``op.out``, a
``Streams`` (decomposed), a tensor (this output is a switch and replaces it) or None (a constant).
Building blocks: ``op.linear(*slots)`` runs the streams of the arguments at ``slots`` (``Arg``)
through the op, constants there going to the bias; ``op.single()`` gives the one decomposed
input and its ``Streams`` (``.map(fn)`` for per-stream linear maps); ``op.switch(compute, kind)``
gives a value computed at the reference, frozen under ``linearize``; ``op.add_bias`` /
``op.add_shared`` place constant offsets. The built-in rules (``rules/``) are short examples;
two cover most new ops: ``register_rule(my_linear_op, Affine(INPUT))`` (linear in its input;
``Affine(INPUT, Arg(2, "bias"))``: affine, the bias argument going to the bias stream) and
``register_rule(my_activation, secant)`` (any elementwise φ).

Precision (max |Σ streams − reference| / max |reference|, measured on the test architectures):
float64 ≲ 2e-15 (derived bias ≲ 3e-16); float32 ≲ 1e-6; bfloat16 ≲ 2e-2 (switches are
computed in float32, streams stay in the model's dtype). ``reference`` itself is bit-identical
to a plain forward. The code is device-agnostic (streams live where the model does); it has
been run on CPU only. Models must be in eval mode (BatchNorm statistics, dropout).
"""

from lmd_ros.decomposition import rules as _rules  # noqa: F401  (registers the built-in rules)
from lmd_ros.decomposition.api import Linearization, decompose, linearize
from lmd_ros.decomposition.exits import as_switch
from lmd_ros.decomposition.functions import declare_transparent
from lmd_ros.decomposition.op import Op
from lmd_ros.decomposition.registry import INPUT, OTHER, Arg, UnsupportedOpError, register_rule
from lmd_ros.decomposition.result import (
    RANDOM_OP,
    ZERO_STREAM,
    Decomposition,
    DecompositionWarning,
)
from lmd_ros.decomposition.rules.activations import secant
from lmd_ros.decomposition.rules.linear import Affine
from lmd_ros.decomposition.slices import Slice
from lmd_ros.decomposition.streams import Streams

__all__ = [
    "INPUT",
    "OTHER",
    "RANDOM_OP",
    "ZERO_STREAM",
    "Affine",
    "Arg",
    "Decomposition",
    "DecompositionWarning",
    "Linearization",
    "Op",
    "Slice",
    "Streams",
    "UnsupportedOpError",
    "as_switch",
    "declare_transparent",
    "decompose",
    "linearize",
    "register_rule",
    "secant",
]
