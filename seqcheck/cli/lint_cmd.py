"""``seqcheck lint``: validate spec files, every problem with file:line:col. Exit 2 if any
file is invalid.
"""

from __future__ import annotations

import argparse
import sys

from .arguments import add_json_flag
from .output import dump_json

HELP = "validate spec files; every problem is reported with file:line:col"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", help="spec files (.toml) or bundled names")
    add_json_flag(parser)


def run(args: argparse.Namespace) -> int:
    from ..errors import SpecError
    from ..spec import load_spec

    results, bad = [], 0
    for f in args.files:
        try:
            spec = load_spec(f)
        except SpecError as e:
            bad += 1
            results.append({"file": f, "ok": False,
                            "diagnostics": [d.as_dict() for d in e.diagnostics]})
            if not args.json:
                print(str(e), file=sys.stderr)
            continue
        results.append({"file": f, "ok": True, "spec": spec.name,
                        "equations": len(spec.equations), "diagnostics": []})
        if not args.json:
            print(f"ok: {f} (spec '{spec.name}', {len(spec.equations)} equations, "
                  f"{len(spec.params)} parameters)")
    if args.json:
        dump_json({"ok": bad == 0, "files": results})
    return 2 if bad else 0
