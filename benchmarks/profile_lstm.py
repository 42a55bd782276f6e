"""Line timing of the generated LSTM forward/backward (the code in ``compiled.source``).

    python benchmarks/profile_lstm.py [--backend numpy|torch] [--dtype float32|float64]
                                      [--size B D H T] [--repeats N] [--top K]

Every simple statement of the generated module is wrapped in a perf_counter pair
(an AST rewrite of ``c.source``; nothing in seqcheck is changed), the module is run
``repeats`` times on the benchmark's case (torch.nn.LSTM's weights, seed only h) with
one torch / OpenBLAS thread, and the statements are listed by total time. The
instrumentation costs ≈ 0.3 µs per statement, small beside these array operations.
"""

from __future__ import annotations

import argparse
import ast
import time
from collections import defaultdict


class _Instrument(ast.NodeTransformer):
    """Wrap each simple statement: ``_t = _pc(); stmt; _acc[line] += _pc() - _t``."""

    def _wrap(self, body):
        out = []
        for stmt in body:
            if isinstance(stmt, ast.FunctionDef):
                out.append(self.visit_FunctionDef(stmt))
                continue
            if isinstance(stmt, (ast.For, ast.While, ast.If, ast.With)):
                self.generic_visit(stmt)
                out.append(stmt)
                continue
            if isinstance(stmt, ast.Return):
                # time the return expression (the stacking of the per-step lists)
                tmp = ast.parse("_ret = None").body[0]
                tmp.value = stmt.value
                stmt = ast.copy_location(tmp, stmt)
                ret = ast.parse("return _ret").body[0]
            else:
                ret = None
            line = stmt.lineno
            pre = ast.parse("_t0 = _pc()").body[0]
            post = ast.parse(f"_acc[{line}] += _pc() - _t0").body[0]
            out += [pre, stmt, post] + ([ret] if ret else [])
        return out

    def visit_FunctionDef(self, node):
        node.body = self._wrap(node.body)
        return node

    def generic_visit(self, node):
        for field in ("body", "orelse"):
            if hasattr(node, field) and isinstance(getattr(node, field), list):
                setattr(node, field, self._wrap(getattr(node, field)))
        return node


def instrumented(source: str):
    tree = ast.fix_missing_locations(_Instrument().visit(ast.parse(source)))
    acc = defaultdict(float)
    ns = {"_pc": time.perf_counter, "_acc": acc, "__name__": "seqcheck_profiled"}
    exec(compile(tree, "<seqcheck profiled>", "exec"), ns)  # noqa: S102
    return ns, acc


def main(argv=None) -> None:
    import numpy as np
    import torch

    from seqcheck import load_spec
    from seqcheck.backends import compile_numpy
    from seqcheck.backends.torch_backend import compile_torch
    from seqcheck.bench.lstm import _lstm_case
    from seqcheck.bench.timing import Threads

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", choices=("numpy", "torch"), default="numpy")
    ap.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    ap.add_argument("--size", type=int, nargs=4, default=[32, 64, 128, 100],
                    metavar=("B", "D", "H", "T"))
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--top", type=int, default=25)
    a = ap.parse_args(argv)
    B, D, H, T = a.size
    spec = load_spec("lstm")
    with Threads(1), np.errstate(under="ignore"):
        _, params, x, seed_h = _lstm_case(B, D, H, T, a.dtype)
        if a.backend == "numpy":
            c = compile_numpy(spec, dtype=np.dtype(a.dtype), gradients=True, seeded=["h"])
        else:
            c = compile_torch(spec, dtype=getattr(torch, a.dtype), gradients=True,
                              seeded=["h"])
            params = {k: torch.from_numpy(v) for k, v in params.items()}
            x, seed_h = torch.from_numpy(x), torch.from_numpy(seed_h)
        ns, acc = instrumented(c.source)
        c._forward, c._backward = ns["forward"], ns["backward"]  # profile this instance only
        for k in range(a.repeats + 1):
            if k == 1:
                acc.clear()  # the first run is the warm-up
            wall = time.perf_counter()
            with torch.no_grad():
                c.backward(c.forward(params, {"x": x}), {"h": seed_h})
            wall = time.perf_counter() - wall
    lines = c.source.splitlines()
    fwd_end = next(k for k, s in enumerate(lines, 1) if s.startswith("def backward"))
    total = sum(acc.values())
    fwd = sum(v for ln, v in acc.items() if ln < fwd_end)
    print(f"{a.backend} {a.dtype} (B, D, H, T) = {(B, D, H, T)}: "
          f"{total / a.repeats * 1e3:.1f} ms per forward+backward inside the generated code "
          f"(forward {fwd / a.repeats * 1e3:.1f} ms, backward "
          f"{(total - fwd) / a.repeats * 1e3:.1f} ms); last wall {wall * 1e3:.1f} ms")
    print(f"{'ms/run':>7} {'%':>5}  line  statement")
    for ln, v in sorted(acc.items(), key=lambda kv: -kv[1])[:a.top]:
        where = "F" if ln < fwd_end else "B"
        print(f"{v / a.repeats * 1e3:7.2f} {100 * v / total:5.1f}  {where}{ln:<4} "
              f"{lines[ln - 1].strip()}")


if __name__ == "__main__":
    main()
