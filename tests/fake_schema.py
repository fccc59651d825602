"""JSON schemas as the fake Messages API treats them (tests/fake_claude.py).

Structured outputs and strict tools decode under a grammar built from the schema, so the
real API cannot send data that breaks it. The fake does the same by checking the data a
test scripts (`schema_errors`), makes up data when none is scripted (`schema_instance`),
and flags schemas the grammar would not honour (`strict_schema_problems`): objects left
open, and length or range keywords, which structured outputs do not enforce. This is an
independent check of Ponder's schemas, written apart from Ponder's own code.
"""

from __future__ import annotations

from typing import Any

_UNHONOURED = (
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "maxItems",
)


def forced_tool(body: dict[str, Any]) -> dict[str, Any] | None:
    """The tool definition a request forces with tool_choice {"type": "tool"}, if any."""
    choice = body.get("tool_choice")
    if not isinstance(choice, dict) or choice.get("type") != "tool":
        return None
    for tool in body.get("tools") or []:
        if isinstance(tool, dict) and tool.get("name") == choice.get("name"):
            return tool
    return {}


def output_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON schema of `output_config.format`, if the request asks for JSON output."""
    config = body.get("output_config")
    if not isinstance(config, dict):
        return None
    form = config.get("format")
    if isinstance(form, dict) and form.get("type") == "json_schema":
        return form.get("schema") or {}
    return None


def cites_documents(body: dict[str, Any]) -> bool:
    for message in body.get("messages", []):
        for block in message.get("content") or []:
            if (
                isinstance(block, dict)
                and block.get("type") == "document"
                and (block.get("citations") or {}).get("enabled")
            ):
                return True
    return False


def strict_schema_problems(schema: Any, path: str = "$") -> list[str]:
    """What a strict grammar would not honour: open objects, length and range keywords."""
    problems: list[str] = []
    if not isinstance(schema, dict):
        return [f"{path}: not a schema object"]
    for keyword in _UNHONOURED:
        if keyword in schema:
            problems.append(f"{path}: `{keyword}` is not enforced by structured outputs")
    if schema.get("minItems", 0) not in (0, 1):
        problems.append(f"{path}: minItems above 1 is not supported")
    kind = schema.get("type")
    if kind == "object":
        if schema.get("additionalProperties") is not False:
            problems.append(f"{path}: objects need additionalProperties: false")
        properties = schema.get("properties") or {}
        for name in schema.get("required") or []:
            if name not in properties:
                problems.append(f"{path}: required `{name}` is not a property")
        for name, sub in properties.items():
            problems += strict_schema_problems(sub, f"{path}.{name}")
    if kind == "array" and "items" in schema:
        problems += strict_schema_problems(schema["items"], f"{path}[]")
    for key in ("anyOf", "oneOf", "allOf"):
        for index, sub in enumerate(schema.get(key) or []):
            problems += strict_schema_problems(sub, f"{path}.{key}[{index}]")
    return problems


_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def schema_errors(schema: dict[str, Any], value: Any, path: str = "$") -> list[str]:
    """Why `value` does not match `schema` (the subset structured outputs use); [] if it does."""
    if "anyOf" in schema:
        options = [schema_errors(sub, value, path) for sub in schema["anyOf"]]
        return [] if any(not errors for errors in options) else options[0]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{path}: {value!r} is not one of {schema['enum']}"]
    kinds = schema.get("type")
    if kinds is not None:
        names = kinds if isinstance(kinds, list) else [kinds]
        allowed = tuple(t for name in names for t in _TYPES.get(name, ()))
        if isinstance(value, bool) and "boolean" not in names:
            return [f"{path}: {value!r} is not {kinds}"]
        if allowed and not isinstance(value, allowed):
            return [f"{path}: {value!r} is not {kinds}"]
    errors: list[str] = []
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        for name in schema.get("required") or []:
            if name not in value:
                errors.append(f"{path}: `{name}` is missing")
        for name, item in value.items():
            if name in properties:
                errors += schema_errors(properties[name], item, f"{path}.{name}")
            elif schema.get("additionalProperties") is False:
                errors.append(f"{path}: `{name}` is not allowed")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            errors.append(f"{path}: fewer than {schema['minItems']} items")
        if "items" in schema:
            for index, item in enumerate(value):
                errors += schema_errors(schema["items"], item, f"{path}[{index}]")
    return errors


def schema_instance(schema: dict[str, Any]) -> Any:
    """A small value that matches `schema` (what the fake answers when nothing is scripted)."""
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        return schema_instance(schema["anyOf"][0])
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        properties = schema.get("properties") or {}
        return {name: schema_instance(sub) for name, sub in properties.items()}
    if kind == "array":
        return [schema_instance(schema.get("items") or {"type": "string"})]
    return {"string": "fake text", "integer": 1, "number": 1, "boolean": False}.get(str(kind))
