"""The seam between the sensors and any fusion network: the model adapter protocol.

A user monitors their own network by writing one `ModelAdapter` (see ``docs/own-model.md``) and
naming its factory in the ``model`` parameter. The monitor, the bag analysis and the evaluation
only ever talk to this protocol; none of them knows any one model.
"""

from lmd_ros.adapters.loading import AdapterError, load_adapter
from lmd_ros.adapters.protocol import BEVGrid, Detection, FusionCall, ModelAdapter, OutputPath
from lmd_ros.adapters.reading import read_output

__all__ = ["AdapterError", "BEVGrid", "Detection", "FusionCall", "ModelAdapter", "OutputPath",
           "load_adapter", "read_output"]
