"""The straight road along world x, centred on y = 0, and what its ground surface looks like.

Four 3.5 m lanes (traffic keeps right: +x on y < 0, -x on y > 0), a 2.5 m parking strip on
each side, a kerb, a 3.5 m sidewalk, then grass.
"""

from __future__ import annotations

import numpy as np

LANE_WIDTH = 3.5
FORWARD_LANES = (-0.5 * LANE_WIDTH, -1.5 * LANE_WIDTH)
ONCOMING_LANES = (0.5 * LANE_WIDTH, 1.5 * LANE_WIDTH)
EGO_LANE = FORWARD_LANES[0]
CARRIAGEWAY_EDGE = 2 * LANE_WIDTH
PARKING_CENTRE = CARRIAGEWAY_EDGE + 1.2
KERB = (9.5, 9.7)
SIDEWALK = (9.7, 13.2)
DASH_PERIOD, DASH_LENGTH, LINE_HALF_WIDTH = 9.0, 3.0, 0.08

ASPHALT, WHITE_LINE, YELLOW_LINE, KERB_STONE, PAVEMENT, GRASS = range(6)
SURFACE_COLOURS = np.array(
    [
        [0.33, 0.33, 0.35],
        [0.92, 0.92, 0.90],
        [0.88, 0.75, 0.20],
        [0.72, 0.72, 0.70],
        [0.60, 0.58, 0.55],
        [0.30, 0.48, 0.22],
    ]
)
SURFACE_REFLECTIVITY = np.array([0.10, 0.70, 0.60, 0.30, 0.25, 0.20])


def surface(x_world: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Surface kind (index into the tables above) at ground points in world coordinates."""
    ay = np.abs(y)
    kind = np.full(np.shape(y), GRASS, dtype=np.int64)
    kind[ay < SIDEWALK[1]] = PAVEMENT
    kind[ay < KERB[1]] = KERB_STONE
    kind[ay < KERB[0]] = ASPHALT
    dashed = np.mod(x_world, DASH_PERIOD) < DASH_LENGTH
    lane_divider = (np.abs(ay - LANE_WIDTH) < LINE_HALF_WIDTH) & dashed
    edge_line = np.abs(ay - CARRIAGEWAY_EDGE) < LINE_HALF_WIDTH
    kind[lane_divider | edge_line] = WHITE_LINE
    kind[ay < 1.5 * LINE_HALF_WIDTH] = YELLOW_LINE
    return kind
