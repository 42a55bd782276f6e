"""The binary tree a recursive neural network runs over (seed 001, "Recursive Neural Networks").

A :class:`Tree` numbers its nodes in post-order (children before their parent, the root
last); every leaf reads one input x_i and every input is read by exactly one leaf.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

from ...errors import SeqcheckError

__all__ = ["Tree"]


@dataclass(frozen=True)
class Tree:
    """A binary tree over the inputs x_0..x_{N-1}, its nodes numbered in post-order.

    Every internal node has exactly two children (the usual recursive net: one W_L, one
    W_R); every leaf reads one input, and every input is read by exactly one leaf. Node
    k's children are numbered below k, so the root is the last node (2N - 2) and a cycle
    cannot be written. Build one with :meth:`from_nested`, :meth:`balanced` or
    :meth:`chain`; the constructor checks the arrays.

    Arguments:
        left, right: per node, the index of its left and right child, ``-1`` for a leaf.
        leaf: per node, the input index it reads, ``-1`` for an internal node.

    >>> # ((x_0, x_1), x_2): two leaves joined, then joined with the third
    >>> t = Tree.from_nested(((0, 1), 2))
    >>> t.leaf, t.left, t.right, t.depth
    ((0, 1, -1, 2, -1), (-1, -1, 0, -1, 2), (-1, -1, 1, -1, 3), 2)
    """

    left: tuple[int, ...]
    right: tuple[int, ...]
    leaf: tuple[int, ...]

    def __post_init__(self):
        m = len(self.leaf)
        if m == 0 or len(self.left) != m or len(self.right) != m:
            raise SeqcheckError(
                f"a tree needs one left, right and leaf entry per node, got {len(self.left)}, "
                f"{len(self.right)} and {len(self.leaf)}")
        parents = [0] * m
        for k, (a, b, i) in enumerate(zip(self.left, self.right, self.leaf)):
            if i == -1:
                if not (0 <= a < k and 0 <= b < k) or a == b:
                    raise SeqcheckError(
                        f"tree node {k} must have two distinct children numbered below it "
                        f"(post-order), got left={a}, right={b}")
                parents[a] += 1
                parents[b] += 1
            elif a != -1 or b != -1:
                raise SeqcheckError(f"tree node {k} reads input {i} and has children; "
                                    "a leaf has none")
        if any(p != 1 for p in parents[:-1]) or parents[-1] != 0:
            raise SeqcheckError("every tree node but the last (the root) must have exactly "
                                "one parent")
        _check_leaves([i for i in self.leaf if i != -1], None)

    # -- constructors ------------------------------------------------------------------

    @classmethod
    def from_nested(cls, nested, n: int | None = None) -> Tree:
        """The tree written as nested pairs: an int is a leaf, ``(left, right)`` a node.

        Arguments:
            nested: e.g. ``((0, 1), (2, 3))``; tuples only, each of exactly two entries.
            n: the number of inputs; default the number of leaves.
        Returns:
            The :class:`Tree`.
        Raises:
            SeqcheckError: a node that is neither an int nor a pair, a leaf out of range,
                an input read twice or not at all.

        >>> # a left-branching tree over three inputs: an RNN's chain
        >>> Tree.from_nested(((0, 1), 2)) == Tree.chain(3)
        True
        """
        left: list[int] = []
        right: list[int] = []
        leaf: list[int] = []
        reads: list[int] = []
        # Iterative post-order, so a chain of thousands of leaves needs no recursion.
        stack: list[tuple[object, bool]] = [(nested, False)]
        done: list[int] = []
        while stack:
            node, expanded = stack.pop()
            if expanded:
                r, a = done.pop(), done.pop()
                left.append(a)
                right.append(r)
                leaf.append(-1)
                done.append(len(leaf) - 1)
            elif isinstance(node, numbers.Integral) and not isinstance(node, bool):
                left.append(-1)
                right.append(-1)
                leaf.append(int(node))
                reads.append(int(node))
                done.append(len(leaf) - 1)
            elif isinstance(node, tuple) and len(node) == 2:
                stack += [(node, True), (node[1], False), (node[0], False)]
            elif isinstance(node, tuple):
                raise SeqcheckError(
                    f"tree node {node!r} has {len(node)} children; a recursive net's tree is "
                    "binary\n  hint: nest the children in pairs, e.g. ((0, 1), 2)")
            else:
                raise SeqcheckError(
                    f"a tree node must be an input index (int) or a pair (left, right), got "
                    f"{node!r} (type={type(node).__name__})")
        _check_leaves(reads, n)
        return cls(tuple(left), tuple(right), tuple(leaf))

    @classmethod
    def balanced(cls, n: int) -> Tree:
        """The balanced tree over inputs 0..n-1 (left half ⌈n/2⌉), of depth ⌈log2 n⌉.

        >>> # eight inputs, three levels of joins
        >>> Tree.balanced(8).depth
        3
        """
        n = _check_n(n)
        spans = [(0, n)]
        nested: dict[tuple[int, int], object] = {}
        order = []
        while spans:  # top-down, then built bottom-up
            lo, hi = spans.pop()
            order.append((lo, hi))
            if hi - lo > 1:
                mid = lo + (hi - lo + 1) // 2
                spans += [(lo, mid), (mid, hi)]
        for lo, hi in reversed(order):
            mid = lo + (hi - lo + 1) // 2
            nested[lo, hi] = lo if hi - lo == 1 else (nested[lo, mid], nested[mid, hi])
        return cls.from_nested(nested[0, n])

    @classmethod
    def chain(cls, n: int) -> Tree:
        """The left-branching tree (((0, 1), 2), ...): an ordinary RNN's chain, depth n - 1.

        >>> # an RNN over five steps is a recursive net over a chain of depth 4
        >>> Tree.chain(5).depth
        4
        """
        n = _check_n(n)
        left, right, leaf = [-1], [-1], [0]
        for i in range(1, n):
            left += [-1, len(leaf) - 1]
            right += [-1, len(leaf)]
            leaf += [i, -1]
        return cls(tuple(left), tuple(right), tuple(leaf))

    # -- structure ---------------------------------------------------------------------

    @property
    def n_leaves(self) -> int:
        """N, the number of inputs (leaves)."""
        return (len(self.leaf) + 1) // 2

    @property
    def n_nodes(self) -> int:
        """2N - 1, the number of tree nodes."""
        return len(self.leaf)

    @property
    def root(self) -> int:
        return len(self.leaf) - 1

    def heights(self) -> tuple[int, ...]:
        """Per node, the edges on its longest path down to a leaf (leaves 0)."""
        out: list[int] = []
        for a, b in zip(self.left, self.right):
            out.append(0 if a == -1 else 1 + max(out[a], out[b]))
        return tuple(out)

    @property
    def depth(self) -> int:
        """Edges on the longest root-to-leaf path: the number of joins a leaf goes through."""
        return self.heights()[-1]

    def to_nested(self):
        """The nested-pair form that :meth:`from_nested` reads."""
        built: list[object] = []
        for a, b, i in zip(self.left, self.right, self.leaf):
            built.append(i if i != -1 else (built[a], built[b]))
        return built[-1]


def _check_n(n) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise SeqcheckError(f"the number of leaves must be an integer, got n={n!r} "
                            f"(type={type(n).__name__})")
    if n < 1:
        raise SeqcheckError(f"a tree needs at least one leaf, got n={n}")
    return int(n)


def _check_leaves(leaves: list[int], n: int | None) -> None:
    """Every input index 0..n-1 read by exactly one leaf."""
    count = len(leaves) if n is None else _check_n(n)
    seen: set[int] = set()
    for i in leaves:
        if not 0 <= i < count:
            raise SeqcheckError(
                f"tree leaf {i} is out of range: a tree over {count} inputs reads the input "
                f"indices 0..{count - 1}")
        if i in seen:
            raise SeqcheckError(f"tree leaf {i} appears twice; every input index must be "
                                "read by exactly one leaf")
        seen.add(i)
    missing = sorted(set(range(count)) - seen)
    if missing:
        raise SeqcheckError(
            f"no tree leaf reads input {missing[0]} ({len(missing)} of {count} inputs are "
            "not read); every input index must be read by exactly one leaf")
