"""`lmd_analyze_bag`: the monitor over recorded drives, with tables, a report and an annotated bag.

Reads rosbag2 bags (mcap or sqlite3) with the node's config (topics, calibration, thresholds)
and runs its very pipeline (`MonitorCore`) on bag time, analysing every synchronised set. Per
bag (in DIR, or DIR/<bag> for several): detections.parquet, frames.parquet, alarms.parquet,
report.html, summary.json and annotated/ (mcap: /lmd_monitor/* and /diagnostics). Several bags
also get index.parquet and index.html. Exit status: 0 when every bag was analysed (its report
lists what was missing or skipped), 1 when a bag could not be read at all or not one of its
frames could be analysed (the reasons are printed), 2 for a bad config.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lmd_ros.bag.analysis import AnalysisOptions
from lmd_ros.bag.cdr import DISTROS
from lmd_ros.bag.fleet import (
    failed,
    output_folders,
    print_summary,
    run_ray,
    run_serial,
    write_index,
)
from lmd_ros.monitor.settings import InvalidSetting


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lmd_analyze_bag", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bags", nargs="+", type=Path, metavar="BAG",
                        help="rosbag2 directory, or a bare .mcap / .db3 file")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR")
    parser.add_argument("--config", type=Path, help="monitor parameter file (config/monitor.yaml)")
    parser.add_argument("--calibration", type=Path,
                        help="calibration YAML (default: BAG/calibration.yaml, else the config's)")
    parser.add_argument("--model", metavar="FACTORY",
                        help="model adapter: package.module:factory or an installed lmd_ros.models "
                        "entry point (default: the config's; '' = the shipped reference model)")
    parser.add_argument("--checkpoint", type=Path, help="model checkpoint (default: the config's)")
    parser.add_argument("--model-options", metavar="YAML",
                        help="options for the model factory: a YAML file or inline mapping")
    parser.add_argument("--ray", metavar="ADDRESS",
                        help="spread bags over the Ray cluster at ADDRESS ('local': start one)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads per bag (more bags in parallel is faster: --ray)")
    parser.add_argument("--distro", choices=list(DISTROS), default="kilted",
                        help="ROS distribution whose message definitions the annotated bag uses")
    args = parser.parse_args(argv)
    options = AnalysisOptions(config=args.config, calibration=args.calibration,
                              model=args.model, checkpoint=args.checkpoint,
                              model_options=args.model_options, distro=args.distro, progress=True,
                              threads=args.threads)
    outs = output_folders(args.bags, args.out)
    try:
        summaries = (run_ray(args.ray, args.bags, outs, options) if args.ray
                     else run_serial(args.bags, outs, options))
    except (InvalidSetting, ValueError, FileNotFoundError) as error:
        print(f"lmd_analyze_bag: invalid configuration: {error}", file=sys.stderr)
        return 2
    for summary, out in zip(summaries, outs, strict=True):
        print_summary(summary, out)
    if len(args.bags) > 1:
        write_index(args.out, outs, summaries)
        print(f"index: {args.out / 'index.html'}")
    return 1 if any(failed(s) for s in summaries) else 0


if __name__ == "__main__":
    sys.exit(main())
