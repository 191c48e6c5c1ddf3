"""Layer-wise Modality Decomposition: split every output of an unchanged PyTorch network into one
stream per modality plus a bias stream that sum exactly to the output.

Method: ``shared/docs/lmd-method.md``. Usage::

    d = decompose(model, {"camera": 0, "radar": "radar_bev"}, images, radar_bev=radar)
    d.reference                       # model(images, radar_bev=radar), bit for bit
    d.streams["camera"], d.streams["radar"], d.streams["bias"]   # same structure, sum = reference

    lin = linearize(model, modalities, *x)   # switches frozen at x: the affine map A_x
    lin(*x_perturbed).streams                # other inputs through A_x (perturbation metrics)

    d = decompose(model.head, modalities, *bevs, outputs=("heatmap", "segmentation"))
    d.streams["camera"]["regression"]        # None: not decomposed; d.reference stays complete
    d.bias_fraction["heatmap"]               # Σ|bias| / Σ_j Σ|stream_j|, in [0, 1]
    d.zero_streams                           # warnings: a stream exactly zero, input not

Fusion points inside one tensor (SimpleBEV concatenates camera and radar BEV features in its
``forward`` and feeds one tensor to ``bev_compressor``): ``Slice(selector, start, stop, dim=1)``
makes a part of one input a modality::

    decompose(segnet, {"camera": Slice(0, 0, 128), "radar": Slice(0, 128, 144)}, *inputs,
              start_at="bev_compressor")

Each part's stream is the input inside its slice and zero outside it; what no slice covers is
a constant (bias). The conv after such a fusion point (or after a ``cat`` along the channels)
runs each stream over its own channels only (``rules/blocks.py``).

Pruning (``outputs=``, ``pruning.py``): only the named top-level leaves of the output are
decomposed. The first call with a given model and settings runs in full and records which
torch calls feed them; later calls push streams only through those, and check, call by call,
that the forward follows the recording (a changed path is redone in full, never pruned wrongly).
``linearize(..., outputs=)`` records in full and prunes every replay the same way.

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

Never a silent wrong answer. Beyond ops without a rule, these raise ``UnsupportedOpError``: taking
a decomposed tensor out of torch (``.numpy()``, ``__array__``, ``.tolist()``, ``__dlpack__``,
``.data_ptr()``, storages: what came back would be a constant and the streams would move into the
bias; ``exits.py``; ``as_switch(t)`` states that a value only steers the computation, ``.item()``,
``bool()`` and comparisons read the reference and stay allowed); a ``torch.ops`` custom op without
a rule; a custom ``torch.autograd.Function`` without a rule (one op to the engine,
``functions.py``: ``register_rule(Cls, secant)``, or ``declare_transparent(Cls)`` when its forward
is plain torch). A linearization checks every decomposed op of a replay against the recording
(name, output shapes, calling module) and raises at the first difference. Random ops in the
decomposed region (``torch.multinomial``, ``rand*``, ``bernoulli``, ..., dropout in training mode)
are reported in ``Decomposition.warnings`` (kind ``RANDOM_OP``); under ``linearize`` the samplers'
draws are replayed as recorded (``randomness.py``); dropout on a decomposed tensor in training mode
raises. ``Decomposition`` also gives ``bias_fraction`` per output leaf, and a ``ZERO_STREAM``
warning for each modality whose stream of an output is exactly zero although its input is not (an
output that by construction does not depend on a modality is flagged too: select ``outputs``
accordingly).

Rules (``rules/``; method doc table): elementwise activations: secant slope, φ(0) and rounding to
the bias; BatchNorm (eval): ``bn_rule`` identity | uniform; LayerNorm / InstanceNorm / GroupNorm: σ
(and μ) of the reference frozen, ``norm_rule`` ratio | identity | uniform; linear/affine ops (conv,
linear, pools, interpolate, grid_sample with a constant grid, pad, reshapes, indexing, cat, cumsum,
flip, roll, repeat_interleave, masked_fill with a constant, where with a mask, scatter_add,
index_add, sum/mean, +, −, ...): every stream through the op, additive constants to the bias; other
elementwise functions (pow/** with a constant exponent, sqrt, rsqrt, exp, log, reciprocal, abs,
erf): the secant rule (from the origin where φ(0) is infinite); vector norms (torch.norm,
linalg.vector_norm / norm): homogeneous of degree 1, the direction ∇‖z‖ at the reference is the
switch; F.normalize: the clamped norm is a denominator; max-pool/max/min/top-k/sort: indices at the
reference; softmax: its output is a switch (a constant), so A·V is linear in V; division: the
denominator is a switch; products of decomposed tensors: each cross term h_i·g_j half to i and half
to j; SDPA and nn.MultiheadAttention: re-expressed by the ops above (QKᵀ bilinear, softmax frozen:
the paper's named limitation). Masks, indices and other non-float tensors computed from decomposed
data are switches too. Anything else raises ``UnsupportedOpError``, naming the op and the module
that called it.

Adding a rule: ``register_rule(op, rule)``. ``op`` is the callable the model uses (``torch.frac``,
``torch.Tensor.frac``, an ``F.*`` function, or a ``torch.autograd.Function`` subclass).
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

Precision: max |Σ streams − reference| / max |reference| over every output, measured on CPU on
the repo's test architectures (``test/decomposition_nets.py``), the PyPI zoo (HF CLIP, ViLT,
BERT and ViT split by ``Slice``, perceiver-pytorch: ``test/decomposition_zoo.py``) and the
shipped camera–radar(–LiDAR) heads:

    dtype     bias pushed (explicit_bias=True)   bias derived (default)
    float64   up to 3.1e-15 (zoo: 1.1e-15)       up to 1.7e-16
    float32   up to 6.0e-7                       up to 7.0e-8

``test/test_decomposition_precision.py`` holds the bounds 5e-15 / 5e-16 (float64) and
1e-6 / 2e-7 (float32). The derived bias is complete by construction (what is left is the
rounding of the final sum); the pushed bias is the real test of the rules. bfloat16 ≲ 3e-2
(switches are computed in float32, streams stay in the model's dtype). ``reference`` itself is
bit-identical to a plain forward. The code is device-agnostic (streams live where the model
does); it has been run on CPU only. Models must be in eval mode (BatchNorm statistics, dropout).
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
