"""What every API view shares: the error shape and the pagination.

Errors are `{"detail": ..., "code": ...}`; validation errors add the messages keyed by
field (`{"detail": "输入有误。", "code": "invalid", "title": ["..."]}`). Every detail is in the
reader's language (Chinese unless the language cookie asks for English): DRF's own messages
are translated by DRF, the few it writes in English only are replaced here. Errors Django
answers before or around DRF (a body over the upload limit, too many fields, a URL that is no
API route, a crash) get the same shape from `config.error_pages`.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, pagination, parsers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.errors import Refused


class StrictPageSize:
    """`page_size` that is not a whole number from 1 up is a 400, not silently the default."""

    def get_page_size(self, request):
        value = request.query_params.get(self.page_size_query_param, "")
        if value != "":
            try:
                number = int(value)
            except ValueError:
                number = 0
            if number < 1:
                raise exceptions.ValidationError({self.page_size_query_param: [_("Give a whole number from 1 up.")]})
        return super().get_page_size(request)


class Pagination(StrictPageSize, pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def postprocess_empty_query_values(result: dict, generator, request, public) -> dict:
    """drf-spectacular hook: an optional query parameter may be sent empty (`?to=`), which
    DRF and django-filter read as "not given"; say so (`allowEmptyValue`) in the schema."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if parameter.get("in") == "query" and not parameter.get("required"):
                    parameter["allowEmptyValue"] = True
    return result


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing in the reader's language (DRF's says "JSON parse error - …"
    in English) and refusing a body nested deeper than Python's parser goes (`[[[[…]]]]` 5,000
    deep raises RecursionError, which DRF let through as a 500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except exceptions.ParseError as error:
            cause = error.__context__
            if isinstance(cause, json.JSONDecodeError):
                message = _("The request body is not valid JSON (line %(line)d, column %(column)d).") % {
                    "line": cause.lineno,
                    "column": cause.colno,
                }
            else:
                message = _("The request body is not valid JSON.")
            raise exceptions.ParseError(message) from None
        except RecursionError:
            raise exceptions.ParseError(_("The request body is nested too deeply.")) from None


class MultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser, refusing in the reader's language."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except exceptions.ParseError:
            raise exceptions.ParseError(_("The request body is not a valid multipart form.")) from None


def _first_code(codes: Any) -> str:
    while isinstance(codes, (list, dict)):
        if not codes:
            return "invalid"
        codes = next(iter(codes.values())) if isinstance(codes, dict) else codes[0]
    return str(codes)


def exception_handler(exc: Exception, context: dict) -> Any:
    if isinstance(exc, Refused):
        return Response({"detail": exc.message, "code": exc.code}, status=exc.status)
    if isinstance(exc, DjangoValidationError):
        # A service refused the input (model.full_clean); show it like a serializer error.
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    # Django's 404 and 403 (a selector's "not in your view") get the same shape as DRF's own.
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, exceptions.PermissionDenied) and str(exc.detail).startswith("CSRF Failed"):
        # SessionAuthentication's refusal, which DRF writes in English only ("CSRF Failed: …",
        # the wording of the pinned DRF; tests/test_error_answers.py notices if it changes).
        exc = exceptions.PermissionDenied(
            _("The form has expired or came from another site: reload the page and try again."), code="csrf_failed"
        )
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        data = exc.detail
        if isinstance(data, list):
            data = {"non_field_errors": data}
        response.data = {"detail": _("Invalid input."), "code": "invalid", **data}
    else:
        response.data = {"detail": str(exc.detail), "code": _first_code(exc.get_codes())}
    return response
