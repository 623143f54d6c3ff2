"""OpenAPI post-processing: document the error responses every API operation can give."""

ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
FIELD_ERRORS = {
    "type": "object",
    "description": "Messages by field name (`non_field_errors` for the request as a whole).",
    "additionalProperties": {"oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "object"}]},
}


def _json(ref: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": ref}}}}


def add_error_responses(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR
    schemas["FieldErrors"] = FIELD_ERRORS
    for path, item in result.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in item.items():
            responses = operation.setdefault("responses", {})
            responses.setdefault(
                "401",
                _json(
                    "#/components/schemas/Error",
                    "Not signed in: send `Authorization: Token <key>`; or the token is invalid, revoked or expired.",
                ),
            )
            responses.setdefault(
                "403", _json("#/components/schemas/Error", "Your role does not allow this, or your token is read-only.")
            )
            responses.setdefault(
                "404", _json("#/components/schemas/Error", "Not found: missing, or not yours (the same answer for both).")
            )
            if method in ("post", "put", "patch"):
                responses.setdefault("400", _json("#/components/schemas/FieldErrors", "The request is not valid."))
    return result
