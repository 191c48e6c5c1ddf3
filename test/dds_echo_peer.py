"""A separate process for the DDS round-trip test: echoes /lmd_test/in/* to /lmd_test/out/*."""

import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.node import Node
from sensor_msgs.msg import PointCloud2


def main() -> None:
    rclpy.init()
    node = Node("lmd_echo_peer")
    for msg_type, name in ((PointCloud2, "cloud"), (DiagnosticArray, "diagnostics")):
        echo = node.create_publisher(msg_type, f"/lmd_test/out/{name}", 10)
        node.create_subscription(msg_type, f"/lmd_test/in/{name}", echo.publish, 10)
    try:
        rclpy.spin(node)
    except KeyboardInterrupt:
        pass
    finally:
        node.destroy_node()
        rclpy.try_shutdown()


if __name__ == "__main__":
    main()
