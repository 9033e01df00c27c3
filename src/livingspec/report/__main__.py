"""``python -m livingspec.report prepare RESULTS...`` before ``allure generate``; ``finish`` after it.

prepare: for each results folder, tidy the evidence and write the concept pages and glossaries of steps;
         the benchmarks page goes into the first folder, when the benchmarks folder holds results.
finish:  make the single-file report offline and put its tree in reading order.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from livingspec.report.benchmarks import write_benchmarks_page
from livingspec.report.offline import finish_report, outside_references
from livingspec.report.pages import write_pages
from livingspec.report.steps_glossary import write_glossaries
from livingspec.report.tidy import tidy_folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m livingspec.report", description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=Path, default=Path("features"), help="the features folder")
    parser.add_argument("--steps", type=Path, default=Path("steps"), help="the step modules' folder")
    parser.add_argument(
        "--benchmarks", type=Path, default=Path("reports/benchmarks"), help="the benchmarks' results (make bench)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    prepare = commands.add_parser("prepare", help="tidy results, write concept pages and glossaries of steps")
    prepare.add_argument("results", type=Path, nargs="+", help="Allure results folders (missing ones are passed over)")
    finish = commands.add_parser("finish", help="offline, reading order")
    finish.add_argument("index", type=Path, help="the report's index.html")
    finish.add_argument("results", type=Path, nargs="*", help="the results folders it was built from")
    args = parser.parse_args(argv)
    if args.command == "prepare":
        folders = [folder for folder in args.results if folder.is_dir()]
        for index, folder in enumerate(folders):
            dropped = tidy_folder(folder)
            pages = write_pages(folder, args.features, Path.cwd())
            glossaries = write_glossaries(folder, args.steps, args.features)
            benchmarks = write_benchmarks_page(folder, args.benchmarks if index == 0 else None)
            print(
                f"{folder}: {len(pages)} concept pages, {len(glossaries)} glossaries of steps, "
                f"{'a benchmarks page, ' if benchmarks else ''}{dropped} repeated attachments dropped"
            )
        return 0
    finish_report(args.index, args.features, args.results)
    left = outside_references(args.index.read_text(encoding="utf-8")[:200_000])
    if left:
        print(f"{args.index}: still refers outside the file: {left}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
