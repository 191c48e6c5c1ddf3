"""`make demo`: the main job on the embedded default."""

import argparse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lmd_demo", description=__doc__)
    parser.parse_args(argv)
    print("lmd_ros demo")
    return 0
