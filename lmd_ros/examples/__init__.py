"""Example fusion networks shipped as model adapters, to show the protocol is not one model's.

``token_fusion``: camera, radar and LiDAR tokens fused by attention, DETR-style object queries
decoded into boxes (no BEV feature map, no heatmap). Select it with
``model: lmd_ros.examples.token_fusion:build``.
"""
