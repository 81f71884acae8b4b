"""A folder (or an s3:// prefix) of images -> Message Batches files and a cost report, on Ray.

    pip install './crates/python[ray]'
    python examples/ray_batch.py examples/images out/ --prompt "Describe the image."
    python examples/ray_batch.py s3://bucket/scans/ out/ --prompt "Transcribe the page." \
        --address auto            # an existing cluster instead of a local one

Writes out/batch-001.jsonl, ... (each within 100,000 requests and 256 MB, the lines
`visionprep batch` writes for the same files) and out/visionprep-batch-map.jsonl, then prints the
cost at the batch price and every file that went into no request, with the reason. Submit each
file to the Message Batches API; `visionprep batch-results RESULTS --map out/` joins the results
back to the images.
"""

from __future__ import annotations

import argparse
import sys

import ray

import visionprep.ray as vr


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", help="a folder, file or s3:// / gs:// prefix of images")
    parser.add_argument("out", help="the folder the batch files and the map go to")
    parser.add_argument("--prompt", required=True, help="the question asked about each image")
    parser.add_argument("--model", default=None, help="default: visionprep's default model")
    parser.add_argument("--address", default=None, help="a Ray cluster to join (default: local)")
    parser.add_argument("--actors", type=int, default=2, help="visionprep actors")
    args = parser.parse_args()

    ray.init(address=args.address, include_dashboard=False, log_to_driver=False)
    files = ray.data.read_binary_files(args.source, include_paths=True)
    # Half a CPU per actor leaves room for the read tasks on a small machine.
    actors = {"concurrency": args.actors, "num_cpus": 0.5, "batch_size": 32}

    # The cost report reads headers only: fast, even over millions of files.
    costs = files.map_batches(
        vr.Visionprep,
        fn_constructor_kwargs={"output": "cost", "models": [args.model] if args.model else [],
                               "batch": True},
        **actors,
    )
    totals = vr.cost_totals(costs)
    print(f"{totals['files']} images, {totals['errors']} unreadable, {totals['skipped']} not "
          f"images; {totals['tokens']:,} image tokens, ${totals['usd']} at the batch price")

    # Prepared images as request lines, sorted by path so that reruns write the same files.
    lines = files.map_batches(
        vr.Visionprep,
        fn_constructor_kwargs={"output": "batch", "prompt": args.prompt, "model": args.model},
        **actors,
    ).sort("path")
    summary = vr.write_batch_files(lines, args.out)
    for f in summary["files"]:
        print(f"{f['path']}  {f['requests']} requests  {f['bytes']:,} bytes")
    for failure in summary["failed"]:
        print(f"skipped {failure}", file=sys.stderr)
    print(f"{summary['requests']} requests, {summary['image_tokens']:,} image tokens, "
          f"${summary['usd']} at the batch price; map: {summary['map']}")
    return 1 if summary["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
