"""How well LMD separates modalities, and at what cost: the paper's evaluation, ROS-free.

``perturbation_scores`` runs the perturbation protocol (freeze at sample n, swap one modality's
input for an unrelated sample's, see which streams move) for any ``Method``: LMD and its
ablations, exact modality Shapley, LMD + SHAP (``methods``). ``cost`` measures time and peak
memory against the plain forward. ``dependency_agreement`` checks the monitor's linearized
sensor dependencies against re-running the model without each sensor. ``cli.main``
(``lmd_evaluate``) prints the paper's tables.
"""

from lmd_ros.evaluation.dependency import DependencyAgreement, dependency_agreement
from lmd_ros.evaluation.methods import LMD, LMDShapley, ModalityShapley
from lmd_ros.evaluation.metrics import mean_std, mse, pearson
from lmd_ros.evaluation.perturbation import PerturbationScores, perturbation_scores
from lmd_ros.evaluation.shapley import modality_shapley, shapley_values

__all__ = [
    "LMD",
    "DependencyAgreement",
    "LMDShapley",
    "ModalityShapley",
    "PerturbationScores",
    "dependency_agreement",
    "mean_std",
    "modality_shapley",
    "mse",
    "pearson",
    "perturbation_scores",
    "shapley_values",
]
