"""Hybrid ranking: keyword and dense scores fused over the union of both candidate lists.

Plain reciprocal-rank fusion throws the scores away and treats a paper missing from one list as absent.
Here every candidate gets both scores: its exact cosine, and its bm25 from the index (0 when it matches no
query word). Each score is scaled by the best in the candidate set, and the two are combined convexly
(Bruch et al., "An Analysis of Fusion Functions for Hybrid Retrieval", TOIS 2023, found this beats RRF).

On SciFact (train split) this gives nDCG@10 0.743 where bm25 alone gives 0.705, the embeddings alone 0.660
and reciprocal-rank fusion 0.720; keyword_weight 0.5 was chosen there (0.4 to 0.6 all give 0.737 to
0.743). Pseudo-relevance feedback in the embedding space (Rocchio) was tried and lowered it.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class FusionParams:
    keyword_weight: float = 0.5  # alpha: weight of the scaled bm25 score, 1 - alpha for the cosine
    candidates: int = 100  # from each of the two retrievers


def scale(scores: dict[int, float], floor: float = 0.0) -> dict[int, float]:
    """Map scores to [0, 1]: floor -> 0, the best -> 1."""
    if not scores:
        return {}
    top = max(scores.values())
    span = top - floor
    if span <= 0:
        return dict.fromkeys(scores, 0.0)
    return {i: max(s - floor, 0.0) / span for i, s in scores.items()}


def components(keyword: dict[int, float], dense: dict[int, float]) -> tuple[dict, dict]:
    """Both scores in [0, 1]: bm25 over its best (0 stays 0: no match), cosine min-max over the candidates."""
    return scale(keyword), scale(dense, floor=min(dense.values(), default=0.0))


def fuse(keyword: dict[int, float], dense: dict[int, float], params: FusionParams) -> list[tuple[int, float]]:
    k, d = components(keyword, dense)
    alpha = params.keyword_weight
    fused = {i: alpha * k.get(i, 0.0) + (1 - alpha) * d.get(i, 0.0) for i in set(k) | set(d)}
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))


def rrf(*rankings: list[int], k: int = 60) -> list[tuple[int, float]]:
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, i in enumerate(ranking):
            scores[i] = scores.get(i, 0.0) + 1.0 / (k + rank + 1)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def hybrid_rank(query_vector, keyword_top, keyword_scores_for, vectors, params: FusionParams):
    """Rank by fused score.

    keyword_top: [(id, bm25)] best first; keyword_scores_for(ids) -> {id: bm25} for the other candidates;
    vectors: a VectorMatrix (top, scores_for).
    """
    dense_top = vectors.top(query_vector, params.candidates)
    keyword = dict(keyword_top)
    candidates = set(keyword) | {i for i, _ in dense_top}
    missing = [i for i in candidates if i not in keyword]
    if missing:
        keyword.update(keyword_scores_for(missing))
    dense = vectors.scores_for(query_vector, candidates)
    return fuse(keyword, dense, params)
