"""Evaluation order of a spec's equations over time: sweeps.

A forward chain (``h[t-1]``) is evaluated in a loop t = 1..T, a backward chain
(``h[t+1]``, seed 000 eq. 24) in a loop t = T..1, and a variable on no recurrence
-- a bidirectional RNN's output ``y_t = g(U [h_fwd_t; h_bwd_t] + c)``, a softmax
readout -- for every step at once, after what it reads is complete. The schedule
is a tuple of sweeps: a loop over time in one direction, or one evaluation for every
step, each evaluating its variables in a same-step-consistent order. Variables on a
cycle that uses both ``[t-1]`` and ``[t+1]`` would need a fixed point over the whole
sequence and are rejected.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Sweep", "Schedule", "ScheduleError", "make_schedule"]


class ScheduleError(Exception):
    """A recurrence that runs both forward and backward in time."""

    def __init__(self, variable: str, message: str):
        super().__init__(message)
        self.variable = variable


@dataclass(frozen=True)
class Sweep:
    """One loop over time.

    Arguments:
        direction: ``+1`` for a loop t = 1..T, ``-1`` for a loop t = T..1, ``0`` for variables
            on no recurrence, evaluated for every step at once (no loop).
        variables: the variables computed, in evaluation order within a step.
    """

    direction: int
    variables: tuple[str, ...]


@dataclass(frozen=True)
class Schedule:
    sweeps: tuple[Sweep, ...]

    def sweep_of(self, variable: str) -> Sweep:
        for s in self.sweeps:
            if variable in s.variables:
                return s
        raise KeyError(variable)


def make_schedule(spec) -> Schedule:
    """Group the spec's equations into sweeps over time.

    Arguments:
        spec: a :class:`~seqcheck.spec.model.Spec` (equations in same-step order).
    Returns:
        The sweeps, in the order they must run.
    Raises:
        ScheduleError: a dependency cycle through both earlier and later steps.
    """
    import networkx as nx  # here, not at import: listing the catalogue never needs it

    targets = [e.target for e in spec.equations]
    position = {t: i for i, t in enumerate(targets)}
    g = nx.MultiDiGraph()
    g.add_nodes_from(targets)
    for e in spec.equations:
        for r in e.refs:
            if r.name in position:
                g.add_edge(r.name, e.target, offset=r.offset)

    cond = nx.condensation(nx.DiGraph(g))
    members = cond.graph["mapping"]  # variable -> component id
    comps: dict[int, list[str]] = {}
    for v, c in members.items():
        comps.setdefault(c, []).append(v)

    direction: dict[int, int] = {}
    for c, vs in comps.items():
        offsets = {
            d["offset"]
            for u, v, d in g.edges(data=True)
            if members[u] == c and members[v] == c and d["offset"] != 0
        }
        if any(o < 0 for o in offsets) and any(o > 0 for o in offsets):
            first = min(vs, key=position.get)
            raise ScheduleError(
                first,
                f"'{first}' is on a recurrence that uses both earlier and later steps "
                f"({', '.join(sorted(vs, key=position.get))}); it has no causal order",
            )
        direction[c] = -1 if any(o > 0 for o in offsets) else (1 if offsets else 0)

    # Topological order of components, ties broken by declared order.
    order = list(
        nx.lexicographical_topological_sort(cond, key=lambda c: min(position[v] for v in comps[c]))
    )
    sweeps: list[tuple[int, list[str]]] = []
    for c in order:
        vs = comps[c]
        d = direction[c]
        if sweeps:
            cur_dir, cur_vars = sweeps[-1]
            if d == 0 and cur_dir == 0:
                # Variables on no recurrence are evaluated for every step at once; any
                # delayed reference among them reads a complete, earlier array.
                sweeps[-1] = (0, cur_vars + vs)
                continue
            if d != 0 and d == cur_dir:
                # Joining a loop must keep every delayed edge into it causal for that loop.
                ok = all(
                    data["offset"] * d <= 0
                    for u, v, data in g.edges(data=True)
                    if v in vs and u in cur_vars
                )
                if ok:
                    sweeps[-1] = (d, cur_vars + vs)
                    continue
        sweeps.append((d, list(vs)))
    return Schedule(
        tuple(Sweep(d, tuple(sorted(vs, key=position.get))) for d, vs in sweeps)
    )
