"""Similar statements: TF-IDF over character n-grams and cosine similarity.

Character n-grams inside word boundaries (``char_wb``, 2–5 characters) match across Finnish case
endings and compounds (kirjasto / kirjastojen / kirjastoihin share most n-grams), Swedish definite
forms (bibliotek / biblioteken) and English plurals, with no stemmer, dictionary or model download.
The vectoriser is fitted per conversation on that conversation's statements, so IDF reflects what
is common in this conversation (the topic words every statement shares weigh little).

Pure scikit-learn and NumPy; no Django import. Statements are ``(id, text)`` pairs; a statement
given in several languages comes as one pair per text and scores its best-matching text.
"""

import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import diags
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

DEFAULT_LIMIT = 3
# Below this cosine score a "suggestion" is mostly shared topic words; tuned on fi/sv/en pairs.
DEFAULT_MIN_SCORE = 0.3
_CHUNK_ROWS = 512


@dataclass(frozen=True)
class Match:
    statement_id: int
    score: float


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFC", text or "").casefold()


class SimilarityIndex:
    """A fitted index of one conversation's statements; query it with texts or with its own ids."""

    def __init__(self, statements: Sequence[tuple[int, str]]):
        row_ids = np.asarray([statement_id for statement_id, _text in statements], dtype=np.int64)
        # One entry per statement; each row (text) points at its statement's entry.
        self.ids, self._entry = np.unique(row_ids, return_inverse=True)
        self._position = {int(statement_id): entry for entry, statement_id in enumerate(self.ids)}
        # Rows are normalised here, not by the vectoriser: a query is normalised with the n-grams
        # no statement has as well (see _query_vectors).
        self.vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1, norm=None, dtype=np.float32
        )
        texts = [_normalise(text) for _id, text in statements]
        if any(text.strip() for text in texts):
            self.matrix = normalize(self.vectorizer.fit_transform(texts))
            self._analyzer = self.vectorizer.build_analyzer()
            # The weight smooth IDF gives an n-gram found in none of the fitted texts.
            self._unseen_idf = float(np.log((1 + len(texts)) / 1) + 1)
        else:
            self.matrix = None

    def __len__(self) -> int:
        return len(self.ids)

    def similar_to_texts(
        self,
        texts: Sequence[str],
        *,
        limit: int = DEFAULT_LIMIT,
        min_score: float = DEFAULT_MIN_SCORE,
        exclude_ids: Sequence[int | None] | None = None,
    ) -> list[list[Match]]:
        """For each text, up to ``limit`` statements scoring at least ``min_score``, best first.

        ``exclude_ids[i]`` (e.g. the statement itself) is never suggested for ``texts[i]``.
        """
        if self.matrix is None or not texts:
            return [[] for _text in texts]
        exclude_ids = list(exclude_ids or [None] * len(texts))
        results: list[list[Match]] = []
        for start in range(0, len(texts), _CHUNK_ROWS):
            chunk = [_normalise(text) for text in texts[start : start + _CHUNK_ROWS]]
            by_text = (self._query_vectors(chunk) @ self.matrix.T).toarray()
            scores = np.full((len(chunk), len(self.ids)), -np.inf, dtype=by_text.dtype)
            for offset, row in enumerate(by_text):  # a statement's score: its best text's
                np.maximum.at(scores[offset], self._entry, row)
            for offset, row in enumerate(scores):
                excluded = exclude_ids[start + offset]
                if excluded is not None and int(excluded) in self._position:
                    row[self._position[int(excluded)]] = -1.0
                results.append(self._top(row, limit=limit, min_score=min_score))
        return results

    def _query_vectors(self, texts: Sequence[str]):
        """The texts' TF-IDF rows over the fitted n-grams, each divided by the length of its whole
        vector, the n-grams no statement has included. The vectoriser's own transform drops those
        before normalising, so in a small conversation a text sharing only a few common n-grams
        with a statement (endings, short words) scored as if those were all it had: two unrelated
        Finnish statements scored 0.45-0.49, above the cut-off."""
        vectors = self.vectorizer.transform(texts).tocsr()
        vocabulary = self.vectorizer.vocabulary_
        lengths = np.empty(len(texts), dtype=np.float64)
        for row, text in enumerate(texts):
            unseen = Counter(gram for gram in self._analyzer(text) if gram not in vocabulary)
            unseen_weights = (1 + np.log(np.fromiter(unseen.values(), dtype=np.float64, count=len(unseen)))) * (
                self._unseen_idf
            )
            seen = vectors.data[vectors.indptr[row] : vectors.indptr[row + 1]].astype(np.float64)
            lengths[row] = np.sqrt(np.square(seen).sum() + np.square(unseen_weights).sum())
        lengths[lengths == 0] = 1.0
        return diags((1 / lengths).astype(np.float32)) @ vectors

    def similar_to_ids(
        self, statement_ids: Sequence[int], texts: Sequence[str], **options
    ) -> list[list[Match]]:
        """Suggestions for statements given by id and text, never a statement to itself."""
        return self.similar_to_texts(texts, exclude_ids=statement_ids, **options)

    def _top(self, row: np.ndarray, *, limit: int, min_score: float) -> list[Match]:
        if limit <= 0 or row.size == 0:
            return []
        count = min(limit, row.size)
        candidates = np.argpartition(-row, count - 1)[:count]
        # Ties broken by id so the order does not depend on the partition.
        ordered = sorted(candidates, key=lambda index: (-row[index], self.ids[index]))
        return [
            Match(statement_id=int(self.ids[index]), score=round(float(row[index]), 3))
            for index in ordered
            if row[index] >= min_score
        ]


def similar_statements(
    statements: Sequence[tuple[int, str]],
    text: str,
    *,
    limit: int = DEFAULT_LIMIT,
    min_score: float = DEFAULT_MIN_SCORE,
) -> list[Match]:
    """The statements most similar to one new text."""
    return SimilarityIndex(statements).similar_to_texts([text], limit=limit, min_score=min_score)[0]
