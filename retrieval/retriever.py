"""``PackRetriever``: the engine's ``Retriever`` port over one tenant's Qdrant collection.

Retrieval is LlamaIndex's vector retriever over a ``TenantQdrantStore`` with an explicit embedding
model (never the global ``Settings``, whose unset default is OpenAI). Candidates are re-ranked by a
confidence that blends the dense score with how much of the question's content the passage covers;
the answer is extractive unless an ``AnswerLLM`` is given, and an LLM answer must pass the
grounding rail or the extractive answer is used instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import msgspec
from llama_index.core import VectorStoreIndex
from llama_index.core.embeddings import BaseEmbedding
from llama_index.core.schema import MetadataMode, NodeWithScore

from config.compile.compiled import CompiledPack
from engine.retrieval import RetrievalAnswer
from retrieval.chunks import corpus_version, pack_nodes
from retrieval.embedding import HashedNgramEmbedding
from retrieval.errors import StaleIndex, TenantMismatch
from retrieval.extractive import best_passage
from retrieval.features import content_lemmas
from retrieval.grounding import STEM, check_answer, same_stem
from retrieval.llm import AnswerLLM, build_prompt
from retrieval.store import TenantQdrantStore
from retrieval.sync import default_embedding, embedding_signature

__all__ = ["COS_FULL", "DEFAULT_TOP_K", "NO_ANSWER", "Candidate", "PackRetriever"]

DEFAULT_TOP_K = 4
CONTEXT_K = 2  # passages an LLM sees
COS_FULL = 0.5  # a dense score at or above this counts as a full match in the confidence
DENSE_SHARE = 0.5  # confidence = DENSE_SHARE·dense + (1 − DENSE_SHARE)·coverage
NO_ANSWER = "НЕТ ОТВЕТА"


class Candidate(msgspec.Struct, frozen=True, kw_only=True):
    node_id: str
    source: str
    text: str
    dense: float
    coverage: float
    confidence: float


class PackRetriever:
    """The long-tail answerer for one tenant; the scope is fixed here and nowhere else.

    Args:
        pack: the tenant's compiled pack (its analyser, facts and LAW topics are used).
        store: the tenant's store; it must have been synced from this pack's knowledge.
        embed_model: defaults to the offline ``HashedNgramEmbedding`` fitted on the pack's chunks.
        llm: phrases answers when given; its answers must pass the grounding rail.
        require_synced: raise ``StaleIndex`` when the store holds other knowledge than the pack.
    """

    def __init__(
        self,
        pack: CompiledPack,
        store: TenantQdrantStore,
        *,
        embed_model: BaseEmbedding | None = None,
        llm: AnswerLLM | None = None,
        top_k: int = DEFAULT_TOP_K,
        require_synced: bool = True,
    ) -> None:
        if store.tenant_id != pack.tenant_id:
            raise TenantMismatch(store.tenant_id, pack.tenant_id, f"pack {pack.tenant_id!r}")
        self.pack = pack
        self.store = store
        nodes = pack_nodes(pack)
        self._embed = embed_model or default_embedding(pack, nodes)
        self.index_meta = store.meta()
        expected = corpus_version(nodes, embedding_signature(self._embed))
        if require_synced and self.index_meta.get("corpus") != expected:
            raise StaleIndex(pack.tenant_id, self.index_meta.get("corpus", ""), expected)
        index = VectorStoreIndex.from_vector_store(store, embed_model=self._embed)
        self._retriever = index.as_retriever(similarity_top_k=top_k)
        self._llm = llm
        self._stop = tuple(pack.source.lexicon.stopwords)
        self._lemmas: dict[str, frozenset[str]] = {}

    @property
    def tenant_id(self) -> str:
        return self.store.tenant_id

    def _weight(self, lemma: str) -> float:
        return self._embed.word_weight(lemma) if isinstance(self._embed, HashedNgramEmbedding) else 1.0

    def _node_lemmas(self, hit: NodeWithScore) -> frozenset[str]:
        found = self._lemmas.get(hit.node.node_id)
        if found is None:
            text = hit.node.get_content(metadata_mode=MetadataMode.EMBED)
            found = frozenset(self.pack.analyser.analyse(text).lemmas)
            self._lemmas[hit.node.node_id] = found
        return found

    def _coverage(self, wanted: Sequence[str], have: frozenset[str]) -> float:
        if not wanted:
            return 0.0
        total = covered = 0.0
        for lemma in wanted:
            weight = self._weight(lemma)
            total += weight
            if lemma in have or (len(lemma) > STEM and any(same_stem(lemma, h) for h in have)):
                covered += weight
        return covered / total

    def candidates(self, question: str) -> list[Candidate]:
        """Retrieved passages, best first by confidence (dense score blended with coverage)."""
        wanted = sorted(set(content_lemmas(self.pack.analyser.analyse(question), self._stop)))
        out: list[Candidate] = []
        for hit in self._retriever.retrieve(question):
            dense = float(hit.score or 0.0)
            coverage = self._coverage(wanted, self._node_lemmas(hit))
            confidence = DENSE_SHARE * min(1.0, max(0.0, dense) / COS_FULL) + (1 - DENSE_SHARE) * coverage
            out.append(
                Candidate(
                    node_id=hit.node.node_id,
                    source=str(hit.node.metadata.get("source", hit.node.node_id)),
                    text=hit.node.get_content(),
                    dense=round(dense, 4),
                    coverage=round(coverage, 4),
                    confidence=round(confidence, 4),
                )
            )
        out.sort(key=lambda c: (-c.confidence, -c.dense, c.node_id))
        return out

    def _sentence_score(self, question: str) -> Callable[[str], float]:
        query = self._embed.get_query_embedding(question)

        def score(sentence: str) -> float:
            vec = self._embed.get_text_embedding(sentence)
            return float(sum(a * b for a, b in zip(query, vec, strict=True)))

        return score

    def answer(self, question: str) -> RetrievalAnswer | None:
        found = self.candidates(question)
        if not found:
            return None
        best = found[0]
        nodes = {c.node_id: c.confidence for c in found}
        extract = best_passage(best.text, self._sentence_score(question))
        context = [c.text for c in found[:CONTEXT_K]]
        if self._llm is not None and best.confidence >= self.pack.source.thresholds.retrieval:
            phrased = self._llm.complete(build_prompt(self.pack.source.tenant.name, question, context))
            if not phrased or NO_ANSWER in phrased.upper():
                how = "llm: no answer in the context"
                return self._result(extract, best, nodes, grounded=False, grounding=how)
            verdict = check_answer(phrased, context, self.pack)
            if verdict.ok:
                sources = [c.source for c in found[:CONTEXT_K]]
                how = "llm answer grounded"
                return self._result(phrased, best, nodes, grounding=how, llm=True, sources=sources)
            rejected = f"llm answer rejected ({verdict.describe()}); extractive"
            return self._checked_extract(extract, context, best, nodes, rejected)
        return self._checked_extract(extract, context, best, nodes, "extractive")

    def _checked_extract(
        self, extract: str, context: list[str], best: Candidate, nodes: dict[str, float], how: str
    ) -> RetrievalAnswer:
        verdict = check_answer(extract, context, self.pack)
        grounding = how if verdict.ok else f"{how}: {verdict.describe()}"
        return self._result(extract, best, nodes, grounded=verdict.ok, grounding=grounding)

    def _result(
        self,
        text: str,
        best: Candidate,
        nodes: dict[str, float],
        *,
        grounding: str,
        grounded: bool = True,
        llm: bool = False,
        sources: list[str] | None = None,
    ) -> RetrievalAnswer:
        return RetrievalAnswer(
            text=text,
            confidence=best.confidence,
            sources=sources or [best.source],
            grounded=grounded,
            used_llm=llm,
            nodes=nodes,
            grounding=grounding,
        )
