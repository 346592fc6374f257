from django.db import models

from .encoder import DIMENSIONS
from .fields import VectorField


class PaperVector(models.Model):
    """A paper's embedding (title and abstract), with the model that made it: a vector of another model
    than the configured one is stale and gets re-embedded."""

    paper = models.OneToOneField(
        "catalog.Paper", on_delete=models.CASCADE, primary_key=True, related_name="vector"
    )
    model = models.CharField(max_length=200, db_index=True)
    # L2-normalised; pgvector's vector(384) on PostgreSQL (HNSW-indexed), float32 bytes on SQLite.
    vector = VectorField(dimensions=DIMENSIONS)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    def __str__(self) -> str:
        return f"vector of paper {self.paper_id} ({self.model})"
