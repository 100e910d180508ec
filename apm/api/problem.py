"""The body of every API error, as the schema declares it (read by the settings: no imports)."""

#: The RFC 9457 problem every error answers (a component of the schema, ``SPECTACULAR_SETTINGS["APPEND_COMPONENTS"]``).
PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {}, "description": "Messages by field."},
    },
}
