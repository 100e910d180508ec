"""The OpenAPI schema's shared parts: every operation documents its problem-details errors.

drf-spectacular builds each operation from its viewset; :class:`ProblemAutoSchema` adds the errors any
endpoint may answer (401 without a valid token, 403 refused by the policy or the token's scope, 404 outside
what the person sees, 429 over the rate limit; 400 where a request carries fields or filters), each an RFC 9457
``Problem``, so a client (and schemathesis) can check every answer against the schema.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema

from apm.api.errors import PROBLEM_TYPE

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


#: The errors every operation may answer, by status.
ERRORS = {
    "400": "The request is invalid (fields, filters or a page), or a service refused it; nothing changed.",
    "401": "No valid token or session.",
    "403": "Refused: not permitted to the person, or a read token asked to write.",
    "404": "Not found, or not the person's to see.",
    "429": "Over the token's rate limit; see Retry-After.",
}


class ProblemAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = dict(super()._get_response_bodies(direction))
        for code, description in ERRORS.items():
            responses.setdefault(code, {"content": {PROBLEM_TYPE: {"schema": PROBLEM_REF}}, "description": description})
        return responses


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "apm.api.authentication.TokenAuthentication"
    name = "token"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "apm_<prefix>_<secret>",
            "description": "A personal access token, made at /api/tokens/ and shown once.",
        }


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "apm.api.authentication.SessionAuthentication"
    name = "session"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}
