"""Exact vector search over L2-normalised float32 vectors held in memory."""

import numpy as np


class VectorMatrix:
    """Rows of vectors with their ids; top-k by dot product (cosine for normalised vectors)."""

    def __init__(self, ids: np.ndarray | None = None, matrix: np.ndarray | None = None, dims: int = 384):
        self.ids = np.zeros(0, dtype=np.int64) if ids is None else np.asarray(ids, dtype=np.int64)
        self.matrix = np.zeros((0, dims), dtype=np.float32) if matrix is None else matrix
        self.row_of = {int(i): r for r, i in enumerate(self.ids)}

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, ids: list[int], vectors: np.ndarray) -> None:
        """Add or replace rows (a re-embedded paper keeps its row)."""
        fresh_ids, fresh_rows = [], []
        for i, vector in zip(ids, vectors, strict=True):
            row = self.row_of.get(int(i))
            if row is None:
                fresh_ids.append(int(i))
                fresh_rows.append(vector)
            else:
                self.matrix[row] = vector
        if fresh_ids:
            start = len(self.ids)
            self.ids = np.concatenate([self.ids, np.asarray(fresh_ids, dtype=np.int64)])
            self.matrix = np.vstack([self.matrix, np.asarray(fresh_rows, dtype=np.float32)])
            self.row_of.update({i: start + n for n, i in enumerate(fresh_ids)})

    def top(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(id, score) of the k nearest rows, best first; ``allowed`` is a boolean mask over rows."""
        if not len(self.ids) or k <= 0:
            return []
        scores = self.matrix @ query
        if allowed is not None:
            scores = np.where(allowed, scores, -np.inf)
        k = min(k, len(scores))
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best])]
        return [(int(self.ids[r]), float(scores[r])) for r in best if np.isfinite(scores[r])]

    def scores_for(self, query: np.ndarray, ids) -> dict[int, float]:
        rows = [(i, self.row_of[i]) for i in ids if i in self.row_of]
        if not rows:
            return {}
        values = self.matrix[[r for _, r in rows]] @ query
        return {i: float(v) for (i, _), v in zip(rows, values, strict=True)}

    def vectors_of(self, ids) -> tuple[list[int], np.ndarray]:
        """The ids among these that have a vector, and their vectors as the rows of one matrix."""
        found = [int(i) for i in ids if int(i) in self.row_of]
        return found, self.matrix[[self.row_of[i] for i in found]].reshape(len(found), self.matrix.shape[1])

    def vector_of(self, i: int) -> np.ndarray | None:
        row = self.row_of.get(i)
        return None if row is None else self.matrix[row]
