"""JSON-pointer `$ref` checks for the merged documents, independent of the gateway's code."""

from __future__ import annotations

from typing import Any

_MAX_HOPS = 20  # references followed in a row: more means a cycle


def all_refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in all_refs(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in all_refs(item)]
    return []


def resolve(document: dict[str, Any], ref: str) -> Any:
    """The target of a local reference (`#/a/b~1c`); KeyError or IndexError if it dangles."""
    if not ref.startswith("#/"):
        raise KeyError(f"not a local reference: {ref}")
    node: Any = document
    for token in ref[2:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def dangling(document: dict[str, Any]) -> list[str]:
    broken = []
    for ref in all_refs(document):
        try:
            resolve(document, ref)
        except (KeyError, IndexError, ValueError, TypeError):
            broken.append(ref)
    return broken


def inline(node: Any, document: dict[str, Any], hops: int = 0) -> Any:
    """`node` with every reference replaced by its target: what a reader of the document
    understands, whatever the components are called."""
    assert hops < _MAX_HOPS, "reference cycle"
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            rest = {k: v for k, v in node.items() if k != "$ref"}
            target = inline(resolve(document, node["$ref"]), document, hops + 1)
            return {**target, **inline(rest, document, hops)}
        return {key: inline(value, document, hops) for key, value in node.items()}
    if isinstance(node, list):
        return [inline(item, document, hops) for item in node]
    return node
