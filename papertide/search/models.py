import numpy as np
from django.db import models

from .encoder import DIMENSIONS


class PaperVector(models.Model):
    """A paper's embedding (title and abstract), with the model that made it: a vector of another model
    than the configured one is stale and gets re-embedded."""

    paper = models.OneToOneField(
        "catalog.Paper", on_delete=models.CASCADE, primary_key=True, related_name="vector"
    )
    model = models.CharField(max_length=200, db_index=True)
    # float32, little-endian, DIMENSIONS values, L2-normalised.
    vector = models.BinaryField()
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    def __str__(self) -> str:
        return f"vector of paper {self.paper_id} ({self.model})"

    @staticmethod
    def pack(vector: np.ndarray) -> bytes:
        return np.asarray(vector, dtype="<f4").tobytes()

    @staticmethod
    def unpack(blob: bytes) -> np.ndarray:
        array = np.frombuffer(blob, dtype="<f4")
        if array.shape != (DIMENSIONS,):
            raise ValueError(f"a stored vector has {array.size} values, not {DIMENSIONS}")
        return array
