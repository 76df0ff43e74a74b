"""The hand-written core of the Python client: HTTP over urllib, authentication, errors,
pagination and server-sent events. The methods themselves are generated (_generated.py)."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Callable, Dict, Iterator, Optional, TypeVar

from ._generated import GeneratedApi, LoginResponse, ServerSentEvent

__all__ = ["ApiError", "DeviceHttp", "IronloomClient", "IronloomError", "TransportError"]

T = TypeVar("T")


class IronloomError(Exception):
    """Anything that went wrong talking to Ironloom."""


class ApiError(IronloomError):
    """The server answered with an error: `status` (HTTP), `code` (stable, e.g. `not_found`)
    and `message` (for people, in the client's `language`)."""

    def __init__(self, status: int, code: str, message: str, method: str, path: str, body: Any = None):
        super().__init__(f"{method} {path}: {status} {code}: {message}")
        self.status, self.code, self.message = status, code, message
        self.method, self.path, self.body = method, path, body


class TransportError(IronloomError):
    """No answer: the server could not be reached, or did not answer within the timeout."""


def _query_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)):
        return ",".join(_query_value(x) for x in v)
    return str(v)


class _Http:
    """Requests relative to a base URL, with the client's headers and timeout."""

    def __init__(self, base_url: str, timeout: float, user_agent: str):
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must be an http(s) URL, not {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.user_agent = user_agent

    def _headers(self) -> Dict[str, str]:
        return {"User-Agent": self.user_agent}

    def _send(self, method: str, path: str, query: Optional[Dict[str, Any]], body: Any, body_kind: str,
             content_type: str, accept: str, timeout: Optional[float]):
        url = self.base_url + path
        if query:
            pairs = [(k, _query_value(v)) for k, v in query.items() if v is not None]
            if pairs:
                url += "?" + urllib.parse.urlencode(pairs)
        headers = {**self._headers(), "Accept": accept}
        data = None
        if body is not None:
            if body_kind == "json":
                data = json.dumps(body).encode()
            elif body_kind == "text":
                data = body.encode() if isinstance(body, str) else bytes(body)
            else:
                data = bytes(body)
            headers["Content-Type"] = content_type or "application/json"
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            return urllib.request.urlopen(req, timeout=timeout)
        except urllib.error.HTTPError as e:
            raise _api_error(e, method, path) from None
        except (socket.timeout, TimeoutError) as e:
            raise TransportError(f"{method} {path}: no answer within {timeout} s") from e
        except urllib.error.URLError as e:
            if isinstance(e.reason, (socket.timeout, TimeoutError)):
                raise TransportError(f"{method} {path}: no answer within {timeout} s") from e
            raise TransportError(f"{method} {self.base_url}{path}: {e.reason}") from e


def _api_error(e: urllib.error.HTTPError, method: str, path: str) -> ApiError:
    raw = e.read()
    try:
        body = json.loads(raw)
    except ValueError:
        body = raw.decode("utf-8", "replace")
    if isinstance(body, dict) and isinstance(body.get("code"), str):
        return ApiError(e.code, body["code"], str(body.get("message", "")), method, path, body)
    text = body if isinstance(body, str) else json.dumps(body)
    return ApiError(e.code, f"http_{e.code}", text.strip()[:500] or str(e.reason), method, path, body)


def _decode(resp) -> Any:
    raw = resp.read()
    if resp.status == 204 or not raw:
        return None
    ctype = resp.headers.get("Content-Type", "")
    if "json" in ctype:
        return json.loads(raw)
    if ctype.startswith("text/"):
        return raw.decode(resp.headers.get_content_charset() or "utf-8")
    return raw


class IronloomClient(GeneratedApi, _Http):
    """A client of Ironloom's REST API (`/api/v1`): one method per operation of the OpenAPI
    document (see `_generated.py`), authenticated by a session token or an API key.

        c = IronloomClient("http://127.0.0.1:8080")
        c.authenticate("demo", "ironloom-demo-1", tenant="demo")
        for device in c.pages(c.list_devices, page_size=100):
            print(device["name"])

    Errors the server answers are raised as `ApiError` (with `status`, `code`, `message`);
    no answer within `timeout` seconds raises `TransportError`.
    """

    def __init__(self, base_url: str, *, token: Optional[str] = None, api_key: Optional[str] = None,
                 timeout: float = 30.0, language: Optional[str] = None,
                 user_agent: str = "ironloom-client-python"):
        _Http.__init__(self, base_url, timeout, user_agent)
        self.token = token
        self.api_key = api_key
        self.language = language

    def authenticate(self, username: str, password: str, tenant: Optional[str] = None) -> LoginResponse:
        """Logs in (`POST /api/v1/auth/login`) and sends the session token from then on."""
        self.token = None
        answer = self.login({"username": username, "password": password, "tenant": tenant})
        self.token = answer["token"]
        return answer

    def _headers(self) -> Dict[str, str]:
        h = super()._headers()
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        elif self.api_key:
            h["X-API-Key"] = self.api_key
        if self.language:
            h["Accept-Language"] = self.language
        return h

    def _call(self, method: str, path: str, *, query: Optional[Dict[str, Any]] = None, body: Any = None,
              body_kind: str = "json", content_type: str = "") -> Any:
        with self._send(method, path, query, body, body_kind, content_type, "application/json, */*",
                       self.timeout) as resp:
            return _decode(resp)

    def _stream(self, method: str, path: str, *, query: Optional[Dict[str, Any]] = None) -> Iterator[ServerSentEvent]:
        """Server-sent events until the server ends the stream (or the caller stops
        iterating). The servers send a comment every 15 s, so `timeout` must be longer."""
        resp = self._send(method, path, query, None, "json", "", "text/event-stream", max(self.timeout, 20.0))
        with resp:
            event, data = "message", []
            for raw in resp:
                line = raw.decode("utf-8").rstrip("\r\n")
                if not line:
                    if data:
                        text = "\n".join(data)
                        try:
                            parsed: Any = json.loads(text)
                        except ValueError:
                            parsed = text
                        yield {"event": event, "data": parsed}
                    event, data = "message", []
                elif line.startswith(":"):
                    continue
                else:
                    field, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    if field == "event":
                        event = value
                    elif field == "data":
                        data.append(value)

    @staticmethod
    def pages(list_operation: Callable[..., Any], *args: Any, page_size: int = 100, **params: Any) -> Iterator[Any]:
        """Every item of a paged list (`page`, `page_size`; answers `{items, total, page,
        page_size}`), fetching page after page: `c.pages(c.list_devices, product_id=p)`."""
        page = 1
        while True:
            answer = list_operation(*args, page=page, page_size=page_size, **params)
            items = answer["items"]
            yield from items
            if not items or page * answer["page_size"] >= answer["total"]:
                return
            page += 1

    @staticmethod
    def cursor_pages(operation: Callable[..., Any], *args: Any, **params: Any) -> Iterator[Any]:
        """Every page of a cursor-paged read (`cursor`; answers carry `next_cursor` until the
        last page), e.g. `c.cursor_pages(c.device_history, device_id, limit=1000)`."""
        cursor = None
        while True:
            answer = operation(*args, cursor=cursor, **params)
            yield answer
            cursor = answer.get("next_cursor")
            if not cursor:
                return


class DeviceHttp(_Http):
    """A device's side of the HTTP device API (`/api/v1/{token}/…`, docs/device-api.md),
    which the OpenAPI document does not describe: telemetry and client attributes."""

    def __init__(self, base_url: str, access_token: str, *, timeout: float = 30.0):
        super().__init__(base_url, timeout, "ironloom-client-python")
        self.access_token = access_token

    def _post(self, what: str, payload: Any) -> Any:
        path = f"/api/v1/{urllib.parse.quote(self.access_token, safe='')}/{what}"
        with self._send("POST", path, None, payload, "json", "application/json", "application/json",
                       self.timeout) as resp:
            return _decode(resp)

    def send_telemetry(self, payload: Any) -> Any:
        """`{"temp": 21.5}`, `{"ts": ms, "values": {...}}` or a list of those; answers
        `{"stored": n}` (and `errors` for refused values)."""
        return self._post("telemetry", payload)

    def send_attributes(self, attributes: Dict[str, Any]) -> Any:
        """Client-side attributes of the device."""
        return self._post("attributes", attributes)
