"""`LlmAnswer`'s JSON Schema rewritten for OpenAI's strict structured outputs.

Strict mode wants every property listed in `required` (optional ones say so by allowing
null, which ours already do), `additionalProperties: false` on every object, and no
keywords it does not support. `$ref`s are inlined so servers with partial `$defs` support
(vLLM, llama.cpp) read the same schema. Dropped keywords (`default`, string lengths) are
still enforced by `parse_answer` on the way back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_DROPPED = frozenset({"default", "minLength", "maxLength", "title"})


def strict_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A strict-compatible copy of `schema` (which is left unchanged)."""
    definitions: Mapping[str, Any] = schema.get("$defs", {})
    result: dict[str, Any] = _rewrite(schema, definitions)
    return result


def _rewrite(node: Any, definitions: Mapping[str, Any]) -> Any:
    if isinstance(node, list):
        return [_rewrite(item, definitions) for item in node]
    if not isinstance(node, Mapping):
        return node
    if "$ref" in node:
        name = str(node["$ref"]).removeprefix("#/$defs/")
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        return _rewrite({**definitions[name], **siblings}, definitions)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties":  # its keys are field names, not keywords: keep them all
            out[key] = {name: _rewrite(sub, definitions) for name, sub in value.items()}
        elif key not in _DROPPED and key != "$defs":
            out[key] = _rewrite(value, definitions)
    if out.get("type") == "object" and "properties" in out:
        out["required"] = list(out["properties"])
        out["additionalProperties"] = False
    return out
