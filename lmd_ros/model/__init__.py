"""The reference camera + radar + LiDAR BEV fusion model (SimpleBEV topology) and its tooling.

Runtime API: ``preprocess`` turns sensor frames into ``ModelInputs``; ``load_model`` gives the
shipped ``SimpleBEV``; ``model.head(*model.encode(inputs))`` is the decomposable part after the
fusion point; ``decode_detections`` turns its outputs into boxes tied to heatmap cells.
Training and evaluation (``train``, ``evaluate``) additionally need ``lmd_ros.world``.
"""

from lmd_ros.model.checkpoint import (
    DEFAULT_CHECKPOINT,
    check_compatible,
    load_model,
    read_checkpoint,
    save_checkpoint,
)
from lmd_ros.model.config import ModelConfig
from lmd_ros.model.decode import Detection, decode_detections
from lmd_ros.model.preprocess import ModelInputs, preprocess
from lmd_ros.model.simplebev import SimpleBEV

__all__ = [
    "DEFAULT_CHECKPOINT",
    "Detection",
    "ModelConfig",
    "ModelInputs",
    "SimpleBEV",
    "check_compatible",
    "decode_detections",
    "load_model",
    "preprocess",
    "read_checkpoint",
    "save_checkpoint",
]
