"""Components of several documents in one namespace: each service's names get its prefix
(`Registry_CommunityRead`), every `$ref` follows its target, and shapes that every service
defining them defines identically (the kit's `HTTPValidationError`) are kept once, unprefixed."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

# section ("schemas", "responses", ...) -> component name -> its object
Components = dict[str, dict[str, Any]]
Key = tuple[str, str]  # (section, name)

_COMPONENT_REF = re.compile(r"^#/components/([^/]+)/([^/]+)(/.*)?$")


def service_prefix(service: str) -> str:
    """`duty-roster` -> `DutyRoster`: component names allow letters, digits, `.-_` only."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", service))


def component_of(ref: str) -> Key | None:
    match = _COMPONENT_REF.match(ref)
    return (match.group(1), match.group(2)) if match else None


def refs_in(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs_in(item)


def rewrite_refs(node: Any, rename: Callable[[str], str]) -> Any:
    """A copy of `node` with every `$ref` renamed (the input, maybe cached, stays as it was)."""
    if isinstance(node, dict):
        return {
            key: rename(value)
            if key == "$ref" and isinstance(value, str)
            else rewrite_refs(value, rename)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [rewrite_refs(item, rename) for item in node]
    return node


@dataclass(frozen=True)
class Namespace:
    components: Components  # merged, names unique
    renames: dict[str, dict[Key, str]]  # per source: its (section, name) -> the merged name

    def rewrite(self, source: str, node: Any) -> Any:
        """`node` from `source`'s document, its component references renamed."""
        names = self.renames[source]

        def rename(ref: str) -> str:
            key = component_of(ref)
            if key is None or key not in names:
                return ref
            rest = ref[len(f"#/components/{key[0]}/{key[1]}") :]
            return f"#/components/{key[0]}/{names[key]}{rest}"

        return rewrite_refs(node, rename)


def merge_components(sources: Mapping[str, Components]) -> Namespace:
    prefixes = {source: service_prefix(source) for source in sources}
    shared = _shared(sources, tuple(f"{p}_" for p in prefixes.values()))
    renames = {
        source: {
            (section, name): name if (section, name) in shared else f"{prefixes[source]}_{name}"
            for section, items in components.items()
            for name in items
        }
        for source, components in sources.items()
    }
    namespace = Namespace(components={}, renames=renames)
    for source, components in sources.items():
        for section, items in components.items():
            merged = namespace.components.setdefault(section, {})
            for name, item in items.items():
                merged[renames[source][(section, name)]] = namespace.rewrite(source, item)
    return namespace


def _shared(sources: Mapping[str, Components], prefixes: tuple[str, ...]) -> set[Key]:
    seen: dict[Key, list[Any]] = {}
    for components in sources.values():
        for section, items in components.items():
            for name, item in items.items():
                seen.setdefault((section, name), []).append(item)
    # A name that looks prefixed is never shared, so it cannot meet a prefixed one.
    shared = {
        key
        for key, copies in seen.items()
        if len(copies) > 1
        and all(copy == copies[0] for copy in copies)
        and not key[1].startswith(prefixes)
    }
    # Shared only if all it points at is shared: a renamed target would make the copies differ.
    changed = True
    while changed:
        changed = False
        for key in sorted(shared):
            targets = {component_of(ref) for ref in refs_in(seen[key][0])} - {None}
            if not targets <= shared:
                shared.discard(key)
                changed = True
    return shared


def reachable(components: Components, roots: Any) -> Components:
    """Only the components `roots` refer to, directly or through other components: a shape
    used by a path the gateway does not forward would otherwise be documented for nothing."""
    keep: set[Key] = set()
    pending = [key for key in map(component_of, refs_in(roots)) if key]
    while pending:
        key = pending.pop()
        item = components.get(key[0], {}).get(key[1])
        if key in keep or item is None:
            continue
        keep.add(key)
        pending.extend(k for k in map(component_of, refs_in(item)) if k)
    kept = {
        section: {name: item for name, item in items.items() if (section, name) in keep}
        for section, items in components.items()
    }
    return {section: items for section, items in kept.items() if items}
