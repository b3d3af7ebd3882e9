"""Twilio's own OpenAPI description of REST API v2010, loaded once, and the checks built on it.

The stand-in asks openapi-core whether each request is one the real API accepts, and (in tests) whether each
answer has the shape the real API answers with. Twilio's spec pins every path to the server
``https://api.twilio.com``; the stand-in runs on ``http://127.0.0.1:PORT``, so the request objects handed to
openapi-core say they came to ``https://api.twilio.com`` (the stand-in pretends to be that host), which keeps
the spec untouched.

Parsing the 1.5 MB YAML takes 0.25 s with libyaml and ~6 s without, so the parsed spec is cached as JSON
(keyed by the file's SHA-256) and kept in memory per process.

openapi-core walks the spec through jsonschema-path for every property of every request: ~4 ms for a create.
Two things bring that down: the validator classes below build each schema's validator, caster and style
deserializer once (~2 ms), and TwilioSpec memoizes openapi-core's verdict per request *shape* (values of plain
string parameters replaced by a marker, every constrained value kept), which is ~0.1 ms on a hit and gives the
same verdict by construction (see TwilioSpec._memo_key; a test compares it with fresh checks).
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import os
import re
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping
from urllib.parse import parse_qsl, urlsplit

TWILIO_API_BASE = "https://api.twilio.com"

PACKAGE_DIR = Path(__file__).resolve().parent
VENDORED_SPEC = PACKAGE_DIR / "spec" / "twilio_api_v2010.yaml"
SHARED_SPEC = Path("/work/shared/specs/twilio_api_v2010.yaml")
FORM = "application/x-www-form-urlencoded"


# --------------------------------------------------------------------------------------------------------
# Loading and caching


def spec_path() -> Path:
    """STANDIN_TWILIO_SPEC, else the copy vendored in standin/spec/, else the shared copy."""
    env = os.environ.get("STANDIN_TWILIO_SPEC")
    if env:
        return Path(env)
    if VENDORED_SPEC.exists():
        return VENDORED_SPEC
    return SHARED_SPEC


def cache_dir() -> Path:
    """STANDIN_CACHE_DIR, else <repo>/var/cache/standin (var/ is git-ignored), else the temp dir."""
    env = os.environ.get("STANDIN_CACHE_DIR")
    candidates = [Path(env)] if env else []
    candidates += [PACKAGE_DIR.parent / "var" / "cache" / "standin",
                   Path(tempfile.gettempdir()) / "streetline-standin-cache"]
    for candidate in candidates:
        try:
            candidate.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(candidate, os.W_OK):
            return candidate
    return candidates[-1]


_loaded: dict[str, dict] = {}
_load_lock = threading.Lock()


def load_spec_dict(path: str | os.PathLike | None = None) -> dict:
    """The parsed spec as a dict (shared: do not mutate). Parsed YAML is cached on disk as JSON."""
    path = Path(path) if path else spec_path()
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    with _load_lock:
        if digest in _loaded:
            return _loaded[digest]
        cached = cache_dir() / f"{path.stem}-{digest[:20]}.json"
        spec = None
        if cached.exists():
            try:
                with cached.open("r", encoding="utf-8") as fh:
                    spec = json.load(fh)
            except (OSError, ValueError):
                spec = None
        if spec is None:
            spec = _parse_yaml(raw)
            _write_atomically(cached, json.dumps(spec, separators=(",", ":")))
        _loaded[digest] = spec
        return spec


def _parse_yaml(raw: bytes) -> dict:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(raw, Loader=loader)  # noqa: S506 - a safe loader


def _write_atomically(target: Path, text: str) -> None:
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except OSError:
        pass  # a cache we cannot write is only slower


# --------------------------------------------------------------------------------------------------------
# Formats Twilio's spec uses beyond JSON Schema's (jsonschema ignores unknown formats; these make them count)


def _is_rfc2822(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    try:
        return email.utils.parsedate_to_datetime(value) is not None
    except (TypeError, ValueError, IndexError):
        return False


def _is_uri(value: Any) -> bool:
    """An absolute http(s) URL with a host, or an absolute path (Twilio's *_uri fields are paths)."""
    if not isinstance(value, str):
        return True
    if not value or any(ch.isspace() for ch in value):
        return False
    if value.startswith("/"):
        return True
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and "_" not in parts.hostname


def _is_uri_map(value: Any) -> bool:
    if not isinstance(value, dict):
        return True
    return all(isinstance(k, str) and isinstance(v, str) and _is_uri(v) for k, v in value.items())


def _is_currency(value: Any) -> bool:
    return not isinstance(value, str) or re.fullmatch(r"[A-Z]{3}", value) is not None


def _is_phone_number(value: Any) -> bool:
    # Twilio's "phone-number" covers E.164, channel addresses (whatsapp:+E164), short codes and alphanumeric
    # sender ids; what a given number may do is the API's business logic (21211 ...), not the schema's.
    return not isinstance(value, str) or value.strip() != ""


FORMAT_VALIDATORS = {
    "date-time-rfc-2822": _is_rfc2822,
    "uri": _is_uri,
    "uri-map": _is_uri_map,
    "currency": _is_currency,
    "phone-number": _is_phone_number,
}


# --------------------------------------------------------------------------------------------------------
# openapi-core, with factories that build each schema's validator once


def _validator_classes():
    from openapi_core import V30RequestValidator, V30ResponseValidator
    from openapi_core.casting.schemas import oas30_types_caster
    from openapi_core.casting.schemas.factories import SchemaCastersFactory
    from openapi_core.deserializing.styles import style_deserializers
    from openapi_core.deserializing.styles.factories import StyleDeserializersFactory
    from openapi_core.validation.schemas.factories import SchemaValidatorsFactory
    from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator

    class CachingSchemaValidatorsFactory(SchemaValidatorsFactory):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._checkers: dict = {}
            self._validators: dict = {}

        def get_format_checker(self, format_validators=None, extra_format_validators=None):
            key = (id(format_validators), id(extra_format_validators))
            checker = self._checkers.get(key)
            if checker is None:
                checker = super().get_format_checker(format_validators, extra_format_validators)
                self._checkers[key] = checker
            return checker

        def create(self, spec, schema, format_validators=None, extra_format_validators=None,
                   forbid_unspecified_additional_properties=False, enforce_properties_required=False):
            key = (tuple(schema.parts), id(format_validators), id(extra_format_validators),
                   forbid_unspecified_additional_properties, enforce_properties_required)
            validator = self._validators.get(key)
            if validator is None:
                validator = super().create(spec, schema, format_validators, extra_format_validators,
                                           forbid_unspecified_additional_properties,
                                           enforce_properties_required)
                self._validators[key] = validator
            return validator

    class CachingStyleDeserializersFactory(StyleDeserializersFactory):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._deserializers: dict = {}

        def create(self, spec, schema, style, explode, name):
            key = (tuple(schema.parts), style, explode, name)
            deserializer = self._deserializers.get(key)
            if deserializer is None:
                deserializer = super().create(spec, schema, style, explode, name)
                self._deserializers[key] = deserializer
            return deserializer

    write_validators = CachingSchemaValidatorsFactory(OAS30WriteValidator)
    read_validators = CachingSchemaValidatorsFactory(OAS30ReadValidator)
    write_casters = SchemaCastersFactory(write_validators, oas30_types_caster)
    read_casters = SchemaCastersFactory(read_validators, oas30_types_caster)
    write_styles = CachingStyleDeserializersFactory(write_casters, style_deserializers=style_deserializers)
    read_styles = CachingStyleDeserializersFactory(read_casters, style_deserializers=style_deserializers)

    class RequestValidator(V30RequestValidator):
        schema_validators_factory = write_validators
        schema_casters_factory = write_casters

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["style_deserializers_factory"] = kwargs.get("style_deserializers_factory") or write_styles
            super().__init__(*args, **kwargs)

    class ResponseValidator(V30ResponseValidator):
        schema_validators_factory = read_validators
        schema_casters_factory = read_casters

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["style_deserializers_factory"] = kwargs.get("style_deserializers_factory") or read_styles
            super().__init__(*args, **kwargs)

    return RequestValidator, ResponseValidator


class _OpenAPIRequest:
    """openapi-core's Request protocol, for a request the stand-in received as if it were api.twilio.com."""

    def __init__(self, method: str, path: str, query: Iterable[tuple[str, str]], headers: Mapping[str, str],
                 body: bytes | None, content_type: str | None):
        from openapi_core.datatypes import RequestParameters
        from werkzeug.datastructures import Headers, ImmutableMultiDict

        self.parameters = RequestParameters(query=ImmutableMultiDict(list(query)),
                                            header=Headers(list(headers.items())), cookie=ImmutableMultiDict())
        self.host_url = TWILIO_API_BASE + "/"
        self.path = path
        self.method = method.lower()
        self.body = body
        self.content_type = (content_type or "application/octet-stream").lower()


class _OpenAPIResponse:
    def __init__(self, status: int, body: bytes, content_type: str, headers: Mapping[str, str]):
        from werkzeug.datastructures import Headers

        self.status_code = status
        self.data = body
        self.content_type = content_type.split(";")[0].strip().lower()
        self.headers = Headers(list(headers.items()))


# --------------------------------------------------------------------------------------------------------
# Findings


@dataclass(frozen=True)
class SpecError:
    """One way a request (or response) departs from the spec.

    kind: "path" (no such path/method), "security", "missing" (required parameter absent),
    "invalid" (value fails its schema), "unknown" (parameter the spec does not define),
    "conditional" (x-twilio conditional group with none present), "content-type", "response".
    """

    kind: str
    message: str
    param: str | None = None

    def __str__(self) -> str:
        return self.message


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class TwilioSpec:
    """Checks requests and responses against Twilio's OpenAPI description."""

    def __init__(self, spec: dict | None = None):
        from openapi_core import Config, OpenAPI

        self.spec = spec if spec is not None else load_spec_dict()
        request_cls, response_cls = _validator_classes()
        self._requests = OpenAPI.from_dict(self.spec, config=Config(
            spec_validator_cls=None, request_validator_cls=request_cls,
            extra_format_validators=FORMAT_VALIDATORS))
        self._responses = OpenAPI.from_dict(self.spec, config=Config(
            spec_validator_cls=None, response_validator_cls=response_cls,
            extra_format_validators=FORMAT_VALIDATORS,
            # every documented property present; nothing undocumented at the top level is checked separately
            response_properties_default_policy="required"))
        self._memo: dict[tuple, list[SpecError]] = {}
        self._op_classes: dict[int, tuple] = {}
        self._request_validator = self._requests.request_validator
        self._response_validator = self._responses.response_validator
        self._routes = []
        for template, item in self.spec.get("paths", {}).items():
            pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
            self._routes.append((re.compile(pattern), template, item))
        self.error_schema = self._find_error_schema()

    # -- lookups -----------------------------------------------------------------------------------------

    def operation(self, method: str, path: str) -> tuple[str, dict] | None:
        """(path template, operation object) for a concrete path, or None."""
        for regex, template, item in self._routes:
            if regex.match(path):
                op = item.get(method.lower())
                return (template, op) if op else None
        return None

    def _resolve(self, node: Any) -> Any:
        seen = 0
        while isinstance(node, dict) and "$ref" in node and seen < 20:
            ref = node["$ref"]
            node = self.spec
            for part in ref.lstrip("#/").split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
            seen += 1
        return node

    def form_schema(self, op: dict) -> dict | None:
        body = op.get("requestBody") or {}
        media = (body.get("content") or {}).get(FORM)
        return self._resolve(media.get("schema")) if media else None

    def _find_error_schema(self) -> dict:
        """The error body shape Twilio documents ({code, message, more_info, status})."""
        for item in self.spec.get("paths", {}).values():
            for op in item.values():
                if not isinstance(op, dict):
                    continue
                for response in (op.get("responses") or {}).values():
                    schema = ((response.get("content") or {}).get("application/json") or {}).get("schema")
                    schema = self._resolve(schema) if schema else None
                    if schema and {"code", "message", "more_info", "status"} <= set(schema.get("properties") or {}):
                        return {**schema, "required": sorted(schema["properties"])}
        return {"type": "object", "required": ["code", "message", "more_info", "status"],
                "properties": {"code": {"type": "integer"}, "message": {"type": "string"},
                               "more_info": {"type": "string"}, "status": {"type": "integer"}}}

    # -- requests ----------------------------------------------------------------------------------------

    def check_request(self, method: str, path: str, *, query: Iterable[tuple[str, str]] = (),
                      headers: Mapping[str, str] | None = None, body: bytes | None = None,
                      content_type: str | None = None, unknown_params: bool = True) -> list[SpecError]:
        """Everything wrong with this request by the spec ([] if the real API's contract accepts it).

        Covered: path and method exist; basic-auth credentials present (the security scheme); path and query
        parameters (types, patterns such as ^AC[0-9a-f]{32}$, PageSize 1..1000, DateSent as date-time);
        form body (required To, types, enums, patterns such as ContentSid ^HX..., formats); with
        unknown_params, parameters the spec does not define (the real API ignores them silently, which
        is a bug in our sender); Twilio's x-twilio "conditional" groups (From or MessagingServiceSid;
        Body, MediaUrl or ContentSid).
        """
        query = list(query)
        headers = dict(headers or {})
        found = self.operation(method, path)
        if found is None:
            return [SpecError("path", f"{method.upper()} {path} is not an operation in Twilio's API v2010")]
        template, op = found
        mimetype = (content_type or "").split(";")[0].strip().lower()
        form: list[tuple[str, str]] = []
        if body and mimetype == FORM:
            form = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        key = self._memo_key(method, path, op, query, headers, body, mimetype, form)
        errors = self._memo.get(key) if key is not None else None
        if errors is None:
            request = _OpenAPIRequest(method, path, query, headers, body, content_type)
            errors = self._explain(self._request_validator.iter_errors(request), request)
            if key is not None:
                if len(self._memo) > 20000:
                    self._memo.clear()
                self._memo[key] = errors
        errors = list(errors)
        schema = self.form_schema(op)
        if not body and schema is not None:
            # openapi-core skips an absent body when requestBody is not marked required; the API does not
            errors.extend(SpecError("missing", f"missing required parameter {name}", name)
                          for name in schema.get("required", []))
        if unknown_params:
            errors.extend(self._unknown(op, query, form))
        errors.extend(self._conditional(op, form))
        return _dedupe(errors)

    # openapi-core walks the spec through jsonschema-path for every property of every request (~2-3 ms a
    # create, the stand-in's main cost). Its verdict depends on a value only through that value's schema: for
    # a parameter whose schema is a plain string (no pattern, enum, length or format), every non-empty string
    # gets the same verdict; for Twilio's "phone-number" format (checked here as non-empty) likewise. So the
    # verdict is memoized per request "shape": values of such parameters are replaced by a class marker, every
    # other value (integers, booleans, enums, patterns, URIs, the path itself) is kept verbatim.

    _PLAIN_KEYS = frozenset({"type", "description", "nullable", "title", "x-twilio", "example", "examples"})

    def _value_class(self, schema: dict | None) -> str:
        """"any" (plain string), "phone" (phone-number format), "array-any" or "keep"."""
        schema = self._resolve(schema) if schema else None
        if not isinstance(schema, dict):
            return "keep"
        keys = set(schema)
        if schema.get("type") == "string" and keys <= self._PLAIN_KEYS:
            return "any"
        if schema.get("type") == "string" and schema.get("format") == "phone-number" \
                and keys <= self._PLAIN_KEYS | {"format"}:
            return "phone"
        if schema.get("type") == "array" and keys <= self._PLAIN_KEYS | {"items"} \
                and self._value_class(schema.get("items")) == "any":
            return "any"
        return "keep"

    def _classes(self, op: dict) -> tuple[dict[str, str], dict[str, str], bool]:
        """Per operation: value classes of query and form parameters, and whether it has header params."""
        cached = self._op_classes.get(id(op))
        if cached is None:
            params = [self._resolve(p) for p in op.get("parameters", [])]
            query = {p["name"]: self._value_class(p.get("schema")) for p in params if p.get("in") == "query"}
            headers = any(p.get("in") in ("header", "cookie") for p in params)
            schema = self.form_schema(op) or {}
            form = {name: self._value_class(sub) for name, sub in (schema.get("properties") or {}).items()}
            cached = self._op_classes[id(op)] = (query, form, headers)
        return cached

    @staticmethod
    def _norm(cls: str | None, value: str) -> str:
        if value.strip() == "" or cls in (None, "keep"):
            return value
        return "\x00" + cls

    def _memo_key(self, method: str, path: str, op: dict, query: list[tuple[str, str]],
                  headers: Mapping[str, str], body: bytes | None, mimetype: str,
                  form: list[tuple[str, str]]) -> tuple | None:
        query_classes, form_classes, has_header_params = self._classes(op)
        if has_header_params:
            return None
        if body and mimetype != FORM:
            return None
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        return (method.lower(), path, mimetype, bool(body), auth.lower().startswith("basic "),
                tuple((k, self._norm(query_classes.get(k), v)) for k, v in query),
                tuple((k, self._norm(form_classes.get(k), v)) for k, v in form))

    def _explain(self, found: Iterable[Exception], request: _OpenAPIRequest) -> list[SpecError]:
        from openapi_core.validation.request.exceptions import (
            MissingRequiredParameter, ParameterValidationError, RequestBodyValidationError,
            SecurityValidationError)
        from openapi_core.templating.paths.exceptions import PathError

        errors: list[SpecError] = []
        for err in found:
            if isinstance(err, PathError):
                errors.append(SpecError("path", str(err)))
            elif isinstance(err, SecurityValidationError):
                errors.append(SpecError("security", "no credentials for the accountSid_authToken basic scheme"))
            elif isinstance(err, MissingRequiredParameter):
                errors.append(SpecError("missing", f"missing required parameter {err.name}", err.name))
            elif isinstance(err, ParameterValidationError):
                errors.extend(self._schema_errors(err, getattr(err, "name", None), request))
            elif isinstance(err, RequestBodyValidationError):
                errors.extend(self._schema_errors(err, None, request))
            else:
                errors.append(SpecError("invalid", str(err)))
        return errors

    def _schema_errors(self, err: Exception, param: str | None, request: _OpenAPIRequest) -> list[SpecError]:
        cause = err.__cause__
        schema_errors = getattr(cause, "schema_errors", None)
        out = []
        if schema_errors:
            for se in schema_errors:
                name = param
                kind = "invalid"
                if se.validator == "required":
                    kind = "missing"
                    match = re.match(r"'([^']+)' is a required property", se.message)
                    name = match.group(1) if match else name
                elif se.path:
                    name = str(se.path[0]) if param is None else param
                where = f" {name}" if name else ""
                if kind == "missing":
                    out.append(SpecError(kind, f"missing required parameter{where}", name))
                else:
                    out.append(SpecError(kind, f"invalid parameter{where}: {se.message}", name))
            return out
        if cause is not None and type(cause).__name__ == "CastError":
            value = getattr(cause, "value", None)
            name = param or self._param_with_value(request, value)
            where = f" {name}" if name else ""
            return [SpecError("invalid", f"invalid parameter{where}: {value!r} is not a valid {cause.type}", name)]
        if cause is not None and type(cause).__name__ == "MediaTypeNotFound":
            return [SpecError("content-type", f"unsupported content type {request.content_type!r}; the operation "
                                              f"takes {', '.join(cause.availableMimetypes)}")]
        text = str(cause or err)
        return [SpecError("invalid", f"invalid parameter {param}: {text}" if param else text, param)]

    @staticmethod
    def _param_with_value(request: _OpenAPIRequest, value: Any) -> str | None:
        for key, val in request.parameters.query.items(multi=True):
            if val == value:
                return key
        if request.body:
            for key, val in parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True):
                if val == value:
                    return key
        return None

    def _unknown(self, op: dict, query: list[tuple[str, str]], form: list[tuple[str, str]]) -> list[SpecError]:
        errors = []
        known_query = {p.get("name") for p in (self._resolve(p) for p in op.get("parameters", []))
                       if p.get("in") == "query"}
        for name in dict(query):
            if name not in known_query:
                errors.append(SpecError("unknown", f"unknown query parameter {name} (not in Twilio's spec; "
                                                   "the real API ignores it)", name))
        schema = self.form_schema(op)
        if schema is not None and form:
            known = set((schema.get("properties") or {}))
            for name in dict(form):
                if name not in known:
                    errors.append(SpecError("unknown", f"unknown parameter {name} (not in Twilio's spec; the "
                                                       "real API ignores it)", name))
        return errors

    def _conditional(self, op: dict, form: list[tuple[str, str]]) -> list[SpecError]:
        groups = ((op.get("x-twilio") or {}).get("conditional")) or []
        schema = self.form_schema(op)
        if not groups or schema is None:
            return []
        by_snake = {_snake(name): name for name in (schema.get("properties") or {})}
        present = {name for name, value in form if value != ""}
        errors = []
        for group in groups:
            names = [by_snake.get(item, item) for item in group]
            if not any(name in present for name in names):
                errors.append(SpecError("conditional", "one of " + ", ".join(names) + " is required",
                                        names[0]))
        return errors

    # -- responses ---------------------------------------------------------------------------------------

    def check_response(self, method: str, path: str, status: int, body: bytes, *,
                       content_type: str = "application/json", headers: Mapping[str, str] | None = None,
                       query: Iterable[tuple[str, str]] = (), request_headers: Mapping[str, str] | None = None,
                       request_body: bytes | None = None,
                       request_content_type: str | None = None) -> list[SpecError]:
        """Everything wrong with this answer by the spec.

        Statuses the spec documents for the operation (201 for create, 200 for list/fetch) are validated
        with openapi-core with every documented property required; undocumented top-level properties are
        reported too. Statuses the spec leaves out (4xx/5xx) must carry Twilio's documented error body.
        """
        found = self.operation(method, path)
        if found is None:
            if status >= 400:  # the API's 404/405 for what it does not serve: still its error shape
                return self._check_error_body(status, body)
            return [SpecError("response", f"{method.upper()} {path} is not an operation in the spec")]
        _template, op = found
        responses = op.get("responses") or {}
        if str(status) not in responses:
            return self._check_error_body(status, body)
        request = _OpenAPIRequest(method, path, query, request_headers or {}, request_body, request_content_type)
        response = _OpenAPIResponse(status, body, content_type, headers or {})
        errors = []
        try:
            for err in self._response_validator.iter_errors(request, response):
                cause = err.__cause__
                schema_errors = getattr(cause, "schema_errors", None)
                if schema_errors:
                    for se in schema_errors:
                        where = "/".join(str(p) for p in se.absolute_path)
                        errors.append(SpecError("response", f"response {status} {where or '<body>'}: {se.message}"))
                else:
                    errors.append(SpecError("response", f"response {status}: {cause or err}"))
        except Exception as exc:  # pragma: no cover - defensive
            errors.append(SpecError("response", f"response {status}: {exc}"))
        errors.extend(self._undocumented(responses[str(status)], body, status))
        return errors

    def _undocumented(self, response_spec: dict, body: bytes, status: int) -> list[SpecError]:
        schema = ((response_spec.get("content") or {}).get("application/json") or {}).get("schema")
        if not schema:
            return []
        try:
            data = json.loads(body)
        except ValueError:
            return [SpecError("response", f"response {status}: body is not JSON")]
        errors = []

        def walk(value: Any, schema: dict, where: str) -> None:
            schema = self._resolve(schema)
            if isinstance(value, dict) and "properties" in schema:
                for key, sub in value.items():
                    if key not in schema["properties"]:
                        errors.append(SpecError("response", f"response {status} {where}{key}: not in the spec"))
                    else:
                        walk(sub, schema["properties"][key], f"{where}{key}/")
            elif isinstance(value, list) and "items" in schema:
                for i, item in enumerate(value):
                    walk(item, schema["items"], f"{where}{i}/")

        walk(data, schema, "")
        return errors

    def _check_error_body(self, status: int, body: bytes) -> list[SpecError]:
        import jsonschema

        try:
            data = json.loads(body)
        except ValueError:
            return [SpecError("response", f"error response {status}: body is not JSON")]
        errors = [SpecError("response", f"error response {status}: {e.message}")
                  for e in jsonschema.Draft4Validator(self.error_schema).iter_errors(data)]
        if isinstance(data, dict) and data.get("status") != status:
            errors.append(SpecError("response", f"error response {status}: body status {data.get('status')!r}"))
        return errors


def _dedupe(errors: list[SpecError]) -> list[SpecError]:
    seen = set()
    out = []
    for err in errors:
        if err.message not in seen:
            seen.add(err.message)
            out.append(err)
    return out


_shared: TwilioSpec | None = None
_shared_lock = threading.Lock()


def shared_spec() -> TwilioSpec:
    """One TwilioSpec per process (the validators it caches are worth sharing between stand-ins)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = TwilioSpec()
        return _shared
