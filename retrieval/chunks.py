"""A pack's knowledge documents and truth facts as LlamaIndex ``TextNode`` chunks with stable ids.

A node id is ``uuid5(tenant / document / sha256(chunk))``: the same chunk of the same tenant always
gets the same id, so a sync upserts what is new and deletes what disappeared. Tenant and ids are
kept in metadata but excluded from the embedded and LLM text (embedding them cost accuracy).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterator

from llama_index.core.schema import MetadataMode, TextNode

from config.compile.compiled import CompiledPack

__all__ = ["ID_KEYS", "MAX_CHUNK_CHARS", "MIN_FACT_WORDS", "corpus_version", "node_id", "pack_nodes"]

MAX_CHUNK_CHARS = 700
MIN_FACT_WORDS = 3  # «9:00» or «Мира» alone answers nothing; such facts stay with the rule layer
ID_KEYS = ["tenant", "doc", "chunk", "source"]
_NAMESPACE = uuid.UUID("5b0c1d0e-7f0a-4b8e-9a51-9b8f2f6d2a10")
_HEADING = re.compile(r"^(#{1,6})\s+(.*\S)\s*$")


def node_id(tenant: str, doc: str, text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return str(uuid.uuid5(_NAMESPACE, f"{tenant}/{doc}/{digest}"))


def _node(tenant: str, doc: str, title: str, body: str, source: str) -> TextNode:
    digest = hashlib.sha256(f"{title}\n{body}".encode()).hexdigest()[:16]
    return TextNode(
        id_=node_id(tenant, doc, f"{title}\n{body}"),
        text=body,
        metadata={"title": title, "tenant": tenant, "doc": doc, "chunk": digest, "source": source},
        excluded_embed_metadata_keys=list(ID_KEYS),
        excluded_llm_metadata_keys=list(ID_KEYS),
        metadata_template="{value}",
        text_template="{metadata_str}\n{content}",
    )


def _sections(markdown: str) -> Iterator[tuple[str, list[str]]]:
    """(heading path, body blocks) per section; a block is a paragraph or one list item."""
    doc_title, section = "", ""
    blocks: list[str] = []
    current: list[str] = []
    for line in [*markdown.splitlines(), ""]:
        m = _HEADING.match(line)
        boundary = m or not line.strip() or line.lstrip().startswith(("- ", "* "))
        if boundary and current:
            blocks.append(" ".join(s.strip() for s in current))
            current = []
        if m:
            if blocks:
                yield " — ".join(t for t in (doc_title, section) if t), blocks
                blocks = []
            if len(m.group(1)) == 1:
                doc_title, section = m.group(2), ""
            else:
                section = m.group(2)
            continue
        if line.strip():
            current.append(line.strip().removeprefix("- ").removeprefix("* "))
    if blocks:
        yield " — ".join(t for t in (doc_title, section) if t), blocks


def _pieces(blocks: list[str]) -> Iterator[str]:
    """Blocks joined into chunks of at most ``MAX_CHUNK_CHARS`` (a longer block stands alone)."""
    current: list[str] = []
    for block in blocks:
        if current and len("\n".join([*current, block])) > MAX_CHUNK_CHARS:
            yield "\n".join(current)
            current = []
        current.append(block)
    if current:
        yield "\n".join(current)


def pack_nodes(pack: CompiledPack) -> list[TextNode]:
    """Every knowledge chunk, then every fact long enough to answer something, in a stable order."""
    tenant = pack.tenant_id
    nodes: list[TextNode] = []
    for path in sorted(pack.source.knowledge):
        for title, blocks in _sections(pack.source.knowledge[path]):
            for body in _pieces(blocks):
                n = _node(tenant, path, title, body, "")
                n.metadata["source"] = f"{path}#{n.metadata['chunk']}"
                nodes.append(n)
    for fact_id in sorted(pack.source.facts):
        text = pack.source.facts[fact_id].strip()
        if len(text.split()) >= MIN_FACT_WORDS:
            nodes.append(_node(tenant, "facts.yaml", "", text, f"fact:{fact_id}"))
    unique = {n.node_id: n for n in nodes}
    return list(unique.values())


def embed_text(node: TextNode) -> str:
    return node.get_content(metadata_mode=MetadataMode.EMBED).strip()


def corpus_version(nodes: list[TextNode], signature: str) -> str:
    """Names what was indexed: the chunk ids and the vector space they were embedded in."""
    h = hashlib.sha256(signature.encode())
    for nid in sorted(n.node_id for n in nodes):
        h.update(nid.encode())
    return h.hexdigest()[:12]
