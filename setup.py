"""ament_python packaging: share/ holds the ament marker, package.xml, launch, config, RViz and
Foxglove files; console scripts land in lib/lmd_ros (setup.cfg) so that `ros2 run lmd_ros <exe>`
finds them."""

from glob import glob

from setuptools import find_packages, setup

PACKAGE = "lmd_ros"

setup(
    name=PACKAGE,
    version="0.1.0",
    packages=find_packages(exclude=["test", "test.*"]),
    package_data={PACKAGE: ["model/checkpoints/*.pt", "model/checkpoints/*.alarms.yaml",
                            "examples/checkpoints/*.pt"]},
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (f"share/{PACKAGE}", ["package.xml"]),
        (f"share/{PACKAGE}/launch", glob("launch/*.launch.py")),
        (f"share/{PACKAGE}/config", glob("config/*.yaml")),
        (f"share/{PACKAGE}/rviz", glob("rviz/*.rviz")),
        (f"share/{PACKAGE}/foxglove", glob("foxglove/*.json")),
    ],
    install_requires=["setuptools"],
    extras_require={"test": ["pytest"]},
    zip_safe=False,
    maintainer="lmd_ros maintainers",
    maintainer_email="lmd-ros@example.com",
    description="Layer-wise Modality Decomposition diagnostics for ROS 2 sensor fusion",
    license="Apache-2.0",
    entry_points={
        "console_scripts": [
            "lmd_demo = lmd_ros.ros.demo:main",
            "lmd_monitor = lmd_ros.ros.monitor_node:main",
            "lmd_sensor_sim = lmd_ros.ros.sensor_sim_node:main",
            "lmd_train = lmd_ros.model.train:main",
            "lmd_train_token_fusion = lmd_ros.examples.train_token_fusion:main",
            "lmd_evaluate_model = lmd_ros.model.evaluate:main",
            "lmd_evaluate = lmd_ros.evaluation.cli:main",
            "lmd_benchmark = lmd_ros.benchmarks.cli:main",
            "lmd_analyze_bag = lmd_ros.bag.analyze:main",
            "lmd_make_bag = lmd_ros.bag.make_bag:main",
            "lmd_play_bag = lmd_ros.bag.play:main",
        ],
        "lmd_ros.models": [
            "reference = lmd_ros.model.adapter:build",
            "token_fusion = lmd_ros.examples.token_fusion:build",
        ],
    },
)
