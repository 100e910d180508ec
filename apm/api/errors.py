"""Every API error as an RFC 9457 problem details object (``application/problem+json``).

``{"type": "about:blank", "title": "Not Found", "status": 404, "detail": "…"}``; a validation error adds
``"errors": {"field": ["message", …]}``; a service's refusal (:class:`apm.errors.Refused`) is a 400 whose
``detail`` is its sentence, and changes nothing (the service raised before it wrote).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from apm.errors import Refused

PROBLEM_TYPE = "application/problem+json"


def _flat(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {str(key): _flat(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_flat(item) for item in detail]
    return str(detail)


def problem(status_code: int, detail: str, *, errors: Any = None, headers: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    response = Response(body, status=status_code, headers=headers, content_type=PROBLEM_TYPE)
    return response


def problem_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Refused):
        return problem(status.HTTP_400_BAD_REQUEST, exc.message)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found, or not yours to see.")
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    headers = {key: value for key, value in response.items() if key in ("WWW-Authenticate", "Retry-After", "Allow")}
    if isinstance(exc, exceptions.ValidationError):
        errors = _flat(exc.detail)
        if isinstance(errors, list):
            errors = {"non_field_errors": errors}
        return problem(response.status_code, "The request has invalid fields.", errors=errors, headers=headers)
    detail = exc.detail if isinstance(exc.detail, str) else str(_flat(exc.detail))
    return problem(response.status_code, detail, headers=headers)
