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


class EmbeddingClaim(models.Model):
    """A worker's claim on a paper it is embedding, until `until`: claims are taken in a short transaction
    and released with the vectors, so no transaction stays open while the model encodes (a row lock
    held across the encoding kept a transaction open for the whole batch). A claim whose worker died runs
    out and is taken over (search.embedding.claim)."""

    paper = models.OneToOneField(
        "catalog.Paper", on_delete=models.CASCADE, primary_key=True, related_name="embedding_claim"
    )
    owner = models.CharField(max_length=200)
    until = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"paper {self.paper_id} claimed by {self.owner} until {self.until}"


class TermStat(models.Model):
    """PostgreSQL only: how many papers each common full-text lexeme occurs in, from ts_stat(), so that a
    query can leave out words too common to be worth ranking (the postings budget of docs/search.md).
    Refreshed by the worker (search.keyword_pg.refresh_term_stats); rare lexemes are not stored."""

    term = models.CharField(max_length=255, primary_key=True)
    docs = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.term}: {self.docs}"


class MapLayout(models.Model):
    """The map's one row (id 1): which model's vectors it was laid out from, when, and how many papers the
    last full layout held (the next full layout comes once the embedded papers have grown by
    PAPERTIDE_MAP_REFIT_GROWTH). updated_at changes with every change of the points (a cache key)."""

    model = models.CharField(max_length=200)
    fitted_at = models.DateTimeField()
    fitted_papers = models.IntegerField()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"map of {self.fitted_papers} papers ({self.model}, {self.fitted_at})"


class MapPoint(models.Model):
    """A paper's place on the map (search.atlas): laid out by UMAP (fitted) or placed near its neighbours."""

    paper = models.OneToOneField(
        "catalog.Paper", on_delete=models.CASCADE, primary_key=True, related_name="map_point"
    )
    x = models.FloatField()
    y = models.FloatField()
    region = models.IntegerField()
    fitted = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"paper {self.paper_id} at ({self.x:.2f}, {self.y:.2f})"


class MapRegion(models.Model):
    """A region of the map: its k-means number, its name (its titles' most characteristic words), its
    centre and how many papers it had at the last full layout."""

    number = models.IntegerField(primary_key=True)
    label = models.CharField(max_length=200)
    x = models.FloatField()
    y = models.FloatField()
    papers = models.IntegerField()

    def __str__(self) -> str:
        return f"region {self.number}: {self.label}"
