"""The vocabulary of unfolded graphs: a node ``(name, t)``, its id in exported files, and
the error raised when a graph cannot be built or written.

Both :mod:`.unfold` (which builds graphs) and :mod:`.export` (which writes them) use it.
"""

from __future__ import annotations

from ..errors import SeqcheckError

__all__ = ["GraphError", "Node", "node_id"]

#: A node of the unfolded graph: a name and a step (``None``: no time axis).
Node = tuple[str, int | None]


class GraphError(SeqcheckError):
    """A graph cannot be built or written as asked (bad T, unknown file suffix)."""


def node_id(node: Node) -> str:
    """The string id of a node in exported files: ``"h@3"``, ``"h@0"``, ``"W_hh"`` (no step).

    Arguments:
        node: ``(name, t)`` with ``t`` an int or ``None``.
    Returns:
        ``name@t``, or ``name`` alone for a node without a time axis. Names are
        identifiers, so the id is unambiguous.

    >>> # the hidden state at step 3, and a parameter shared by every step
    >>> node_id(("h", 3)), node_id(("W_hh", None))
    ('h@3', 'W_hh')
    """
    name, t = node
    return name if t is None else f"{name}@{t}"
