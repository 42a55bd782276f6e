"""``seqcheck show``: one spec (equations, shapes, parameter count, sources) or one model.
(The descriptions are :mod:`seqcheck.spec.describe` and :mod:`seqcheck.models.describe`.)
"""

from __future__ import annotations

import argparse

from .arguments import add_json_flag, add_spec_argument
from .output import dump_json

HELP = "show a spec (equations, shapes, parameter count, sources) or a model"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_spec_argument(parser, "a bundled spec or model name (see 'seqcheck list') or a "
                              ".toml path")
    add_json_flag(parser)


def run(args: argparse.Namespace) -> int:
    from ..models.describe import entry_as_dict, format_entry, shown_entry
    from ..spec import load_spec
    from ..spec.describe import format_spec, spec_as_dict

    model = shown_entry(args.spec)
    if model is None:
        d, format_text = spec_as_dict(load_spec(args.spec)), format_spec
    else:
        d, format_text = entry_as_dict(model), format_entry
    if args.json:
        dump_json(d)
    else:
        print(format_text(d))
    return 0
