"""The OpenAPI schema as clients receive it: what the API really answers, so a generated client can trust it.

Two generic corrections, so no serializer or viewset has to remember them:

- `PortalAutoSchema` reads the model field behind each serializer field: a nullable foreign key nested as a brief
  object (`organisation`, `assignee`, `parent`) is `nullable`, and a blank choice (`resolution_code` before
  resolution) admits `""`.
- `document_error_responses` (a postprocessing hook) gives every operation the error answers the shared error
  vocabulary (core/api/exceptions.py) can produce, in its JSON shape; `format: time` becomes a pattern, because JSON
  Schema's `time` demands a UTC offset that Django's `HH:MM:SS` does not carry; each request body is documented in
  one encoding: multipart where a file can be sent, JSON elsewhere. DRF parses the others too, but a generated
  client picks the last one listed, and openapi-python-client emits code that does not import for a body listed
  in several (its issue #1451).
"""

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

ERROR_COMPONENT = "Error"
TIME_PATTERN = r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$"

# status → (description, methods it applies to; None: every method)
ERROR_RESPONSES = {
    "400": (_("The request was refused: `detail` and each refused field name what is wrong."), None),
    "401": (_("No valid credentials were given."), None),
    "403": (_("The caller may not do this."), None),
    "404": (_("Not found, or not visible to the caller."), None),
    "405": (_("The method is not allowed on this resource."), None),
    "409": (_("The record changed since the caller read it (stale `version`), or the change conflicts with its "
              "state."), {"post", "put", "patch", "delete"}),
    "413": (_("The request is larger than the limit."), {"post", "put", "patch"}),
    "415": (_("The request's content type is not supported."), {"post", "put", "patch"}),
    "429": (_("Too many requests: retry after the time in `Retry-After`."), None),
}


def _model_field(field):
    """The model field a serializer field reads, when it reads one directly (not a method or a dotted path)."""
    parent = getattr(field, "parent", None)
    if isinstance(parent, serializers.ListSerializer):
        return None
    model = getattr(getattr(parent, "Meta", None), "model", None)
    source = getattr(field, "source", None)
    if model is None or not source or "." in source or source == "*":
        return None
    try:
        return model._meta.get_field(source)
    except FieldDoesNotExist:
        return None


class PortalAutoSchema(AutoSchema):
    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        model_field = _model_field(field)
        if isinstance(model_field, models.Field):
            if model_field.null and not field.allow_null:
                field.allow_null = True  # a copy made for this schema run: the serializer itself is not changed
            if (model_field.blank and model_field.choices and isinstance(field, serializers.ChoiceField)
                    and not field.allow_blank):
                field.allow_blank = True
        return super()._map_serializer_field(field, direction, bypass_extensions)


def _error_schema():
    return {
        "type": "object",
        "description": str(_("An error: a message in `detail`, and a list of messages per refused field.")),
        "properties": {"detail": {"type": "string"}},
        "additionalProperties": True,
    }


def _replace_time_formats(node):
    if isinstance(node, dict):
        if node.get("type") == "string" and node.get("format") == "time":
            del node["format"]
            node["pattern"] = TIME_PATTERN
        for value in node.values():
            _replace_time_formats(value)
    elif isinstance(node, list):
        for value in node:
            _replace_time_formats(value)


def document_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: the error answers of every operation, in the shared JSON shape."""
    result.setdefault("components", {}).setdefault("schemas", {}).setdefault(ERROR_COMPONENT, _error_schema())
    reference = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status, (description, methods) in ERROR_RESPONSES.items():
                if methods is not None and method not in methods:
                    continue
                operation["responses"].setdefault(status, {
                    "description": str(description), "content": {"application/json": {"schema": reference}},
                })
    _replace_time_formats(result)
    _document_json_bodies(result)
    return result


def _sends_a_file(schema, components, seen=()):
    if isinstance(schema, dict):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            return name not in seen and _sends_a_file(components.get(name), components, (*seen, name))
        if schema.get("format") == "binary":
            return True
        return any(_sends_a_file(value, components, seen) for value in schema.values())
    if isinstance(schema, list):
        return any(_sends_a_file(value, components, seen) for value in schema)
    return False


def _document_json_bodies(result):
    components = result["components"]["schemas"]
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            content = operation.get("requestBody", {}).get("content", {}) if isinstance(operation, dict) else {}
            if "application/json" not in content:
                continue
            multipart = content.get("multipart/form-data")
            keep = "multipart/form-data" if multipart and _sends_a_file(multipart["schema"], components) \
                else "application/json"
            for media_type in [m for m in content if m != keep]:
                del content[media_type]


def doc_excludes():
    """drf-spectacular's GET_LIB_DOC_EXCLUDES: also skip the mixins' docstrings, which describe code, not the API
    (without this every strict request body was described by StrictFieldsMixin's docstring, in English only)."""
    from drf_spectacular.plumbing import get_lib_doc_excludes

    from core.api.serializers import StrictFieldsMixin
    from core.api.views import VisibleQuerysetMixin

    return [*get_lib_doc_excludes(), StrictFieldsMixin, VisibleQuerysetMixin]
