"""The built-in rules, one module per kind of op; importing this package registers them all."""

from lmd_ros.decomposition.rules import (  # noqa: F401  (imported for their registrations)
    activations,
    attention,
    batchnorm,
    blocks,
    folded,
    frozen,
    linear,
    normalization,
    norms,
    products,
    selection,
)
