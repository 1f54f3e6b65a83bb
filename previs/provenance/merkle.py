"""The Merkle tree of the ledger, exactly as RFC 9162 §2.1 (Certificate Transparency 2.0) defines it.

leaf hash = SHA-256(0x00 || leaf), node hash = SHA-256(0x01 || left || right), and the tree over n leaves
splits at the largest power of two below n. Domain separation (the 0x00 / 0x01 prefixes) means no leaf can
pose as an inner node. Inclusion proofs show one leaf is in a tree of a given size; consistency proofs show a
tree of size m is a prefix of a tree of size n: nothing in the first m leaves was changed, removed or reordered.

``Tree`` keeps every perfect subtree's hash (2n hashes), so appending a leaf, a root at any size and each proof
cost O(log n) hashes, whatever the size of the log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


EMPTY_ROOT = hashlib.sha256(b"").digest()  # RFC 9162: the hash of an empty list is SHA-256 of nothing


def _split(size: int) -> int:
    """The largest power of two strictly smaller than ``size`` (size >= 2)."""
    return 1 << ((size - 1).bit_length() - 1)


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) over leaf hashes (already hashed with ``leaf_hash``)."""
    return tree_of(leaves).root()


Subtree = Callable[[int, int], bytes]  # MTH(D[start:end]) of some tree
Perfect = Callable[[int, int], bytes]  # the hash of perfect subtree (level, position)


def subtree_of(perfect: Perfect, start: int, end: int) -> bytes:
    """MTH(D[start:end]) from perfect subtrees' hashes; ``start`` is aligned as RFC 9162's recursion makes every
    range it asks for, so O(log n) of them are read."""
    width = end - start
    if width & (width - 1) == 0 and start % width == 0:
        return perfect(width.bit_length() - 1, start // width)
    k = _split(width)
    return node_hash(subtree_of(perfect, start, start + k), subtree_of(perfect, start + k, end))


def completed_nodes(index: int, leaf: bytes, perfect: Perfect) -> list[tuple[int, int, bytes]]:
    """The (level, position, hash) nodes that appending leaf ``index`` completes, the leaf first; ``perfect``
    gives the left siblings already there."""
    nodes, level, position, digest = [(0, index, leaf)], 0, index, leaf
    while position % 2:
        digest = node_hash(perfect(level, position - 1), digest)
        level, position = level + 1, position // 2
        nodes.append((level, position, digest))
    return nodes


@dataclass
class Tree:
    """Every perfect subtree's hash, level by level (2n hashes in all): any root, inclusion or consistency
    proof is then O(log n) hashes, whatever the size of the log."""

    levels: list[list[bytes]] = field(default_factory=lambda: [[]])

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def append(self, leaf: bytes) -> None:
        self.levels[0].append(leaf)
        height = 0
        while len(self.levels[height]) % 2 == 0:
            if height + 1 == len(self.levels):
                self.levels.append([])
            below = self.levels[height]
            self.levels[height + 1].append(node_hash(below[-2], below[-1]))
            height += 1

    def leaf(self, index: int) -> bytes:
        return self.levels[0][index]

    def subtree(self, start: int, end: int) -> bytes:
        """MTH(D[start:end])."""
        return subtree_of(lambda level, position: self.levels[level][position], start, end)

    def root(self, size: int | None = None) -> bytes:
        size = self.size if size is None else size
        return EMPTY_ROOT if size == 0 else self.subtree(0, size)


def inclusion_proof(index: int, size: int, subtree: Subtree, start: int = 0) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1: the audit path of leaf ``index`` in the tree of ``size`` leaves."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size} leaves")
    if size == 1:
        return []
    k = _split(size)
    if index < k:
        return [*inclusion_proof(index, k, subtree, start), subtree(start + k, start + size)]
    return [*inclusion_proof(index - k, size - k, subtree, start + k), subtree(start, start + k)]


def consistency_proof(old_size: int, size: int, subtree: Subtree) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 §2.1.4.1 (SUBPROOF with b = true)."""
    if not 0 < old_size <= size:
        raise ValueError(f"no consistency proof from size {old_size} to size {size}")
    return _subproof(old_size, 0, size, subtree, True)


def _subproof(m: int, start: int, n: int, subtree: Subtree, complete: bool) -> list[bytes]:
    if m == n:
        return [] if complete else [subtree(start, start + n)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, start, k, subtree, complete), subtree(start + k, start + n)]
    return [*_subproof(m - k, start + k, n - k, subtree, False), subtree(start, start + k)]


def tree_of(leaves: Sequence[bytes]) -> Tree:
    tree = Tree()
    for leaf in leaves:
        tree.append(leaf)
    return tree


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], expected_root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: whether ``proof`` shows leaf hash ``leaf`` at ``index`` in the tree ``expected_root``."""
    if not 0 <= index < size:
        return False
    fn, sn, result = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            result = node_hash(result, sibling)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and result == expected_root


def verify_consistency(old_size: int, size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2: whether ``proof`` shows the tree ``old_root`` of ``old_size`` is a prefix of ``new_root``."""
    if old_size == size:
        return not proof and old_root == new_root
    if not 0 < old_size < size or not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is the first node of the path
        path.insert(0, old_root)
    fn, sn = old_size - 1, size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root
