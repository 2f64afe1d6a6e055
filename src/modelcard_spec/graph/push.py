"""Pushing cards to a remote store over the SPARQL 1.1 Graph Store HTTP Protocol: one PUT per
graph, each request under one deadline, redirects not followed; and the lines kg push prints."""

from __future__ import annotations

import base64
import http.client
import io
import math
import time
import urllib.error
import urllib.parse
import urllib.request

from ..spec.registry import Check, register
from ..spec.version import __version__
from . import assessment
from .assessment import VOCAB_GRAPH, vocabulary_lines
from .errors import KgError

# What went wrong with the endpoint. The server's words (``reason``, ``detail``, the redirect's
# ``target``) are untrusted: whitespace runs are collapsed to one space and they are cut short
# before they go into a message; ``reason`` of kg.push-unreachable is what the operating system or
# the HTTP client said, in English.
register(Check("kg.endpoint-invalid", "error", "--endpoint is the http(s) URL of a Graph Store Protocol service",
               "--endpoint 为 Graph Store Protocol 服务的 http(s) URL",
               {"": ("--endpoint must be an http(s) URL of a Graph Store Protocol service, not {endpoint!r}",
                     "--endpoint 应为 Graph Store Protocol 服务的 http(s) URL，而不是 {endpoint!r}")}, scope="command"))
register(Check("kg.push-refused", "error", "The endpoint accepts each graph (HTTP 2xx)", "端点接受每个图（HTTP 2xx）",
               {"": ("{endpoint} answered HTTP {status} {reason} for graph {graph}: {detail}",
                     "{endpoint} 对图 {graph} 返回 HTTP {status} {reason}：{detail}"),
                "auth": ("{endpoint} answered HTTP {status} {reason} for graph {graph} (check --user/--password or "
                         "--token): {detail}",
                         "{endpoint} 对图 {graph} 返回 HTTP {status} {reason}（请检查 --user/--password 或 --token）：{detail}"),
                "redirect": ("{endpoint} answered HTTP {status} {reason} for graph {graph} (a redirect to {target}; "
                             "redirects are not followed: give the final URL): {detail}",
                             "{endpoint} 对图 {graph} 返回 HTTP {status} {reason}（重定向至 {target}；不跟随重定向，"
                             "请指定最终的 URL）：{detail}")}, scope="command"))
register(Check("kg.push-timeout", "error", "The endpoint completes each request within --timeout",
               "端点在 --timeout 内完成每个请求",
               {"": ("{endpoint} did not complete the request for graph {graph} within {timeout:g} s (--timeout)",
                     "{endpoint} 未在 {timeout:g} 秒内完成对图 {graph} 的请求（--timeout）")}, scope="command"))
register(Check("kg.push-unreachable", "error", "The endpoint can be reached", "端点可以连接",
               {"": ("cannot reach {endpoint}: {reason}", "无法连接 {endpoint}：{reason}")}, scope="command"))

# What of an error reply's body goes into the message: enough to show the server's reason.
ERROR_BODY_BYTES = 300


def push(paths: list[str], endpoint: str, user: str | None = None, password: str | None = None,
         token: str | None = None, timeout: float = 30.0, with_vocabulary: bool = True) -> list[tuple[str, str, int]]:
    """PUT each card's graph to a Graph Store Protocol endpoint (``?graph=<card IRI>``).

    Returns (card, graph, HTTP status) per card. PUT replaces the graph, so pushing is idempotent.
    ``timeout`` is a deadline for each request: connecting, sending the graph and reading the reply
    together take at most that long. Redirects are not followed; any answer but 2xx is an error."""
    parsed = urllib.parse.urlparse(endpoint)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise KgError("kg.endpoint-invalid", endpoint=endpoint)
    if not (timeout > 0 and math.isfinite(timeout)):
        raise KgError("kg.timeout-invalid", "push")
    headers = {"Content-Type": "application/n-triples; charset=utf-8", "User-Agent": f"modelcard-spec/{__version__}"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    elif user is not None:
        raw = f"{user}:{password or ''}".encode("utf-8")
        headers["Authorization"] = "Basic " + base64.b64encode(raw).decode("ascii")
    graphs = [(p, assessment.card_graph(p)) for p in paths]
    results = []
    if with_vocabulary:
        results.append(("(vocabularies)", VOCAB_GRAPH, _put(endpoint, VOCAB_GRAPH, vocabulary_lines(), headers, timeout)))
    for path, cg in graphs:
        results.append((path, cg.graph, _put(endpoint, cg.graph, cg.lines, headers, timeout)))
    return results


def render(results: list[tuple[str, str, int]]) -> str:
    """What kg push prints: one line per graph pushed, "STATUS GRAPH <- CARD"."""
    return "".join(f"{status} {graph} <- {card}\n" for card, graph, status in results)


def _put(endpoint: str, graph: str, lines: list[str], headers: dict, timeout: float) -> int:
    sep = "&" if "?" in endpoint else "?"
    url = f"{endpoint}{sep}graph={urllib.parse.quote(graph, safe='')}"
    body = ("\n".join(lines) + "\n").encode("utf-8")
    req = urllib.request.Request(url, data=body, method="PUT", headers=headers)
    deadline = time.monotonic() + timeout
    try:
        with _opener(deadline).open(req) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        detail = " ".join(_read_some(exc, ERROR_BODY_BYTES).decode("utf-8", "replace").split())
        reason = " ".join(str(exc.reason).split())[:100]
        said = {"endpoint": endpoint, "status": exc.code, "reason": reason, "graph": graph, "detail": detail}
        if exc.code in (401, 403):
            raise KgError("kg.push-refused", "auth", **said) from None
        if 300 <= exc.code < 400:
            target = " ".join(str((exc.headers or {}).get("Location", "")).split())[:200]
            raise KgError("kg.push-refused", "redirect", target=target, **said) from None
        raise KgError("kg.push-refused", **said) from None
    except TimeoutError:
        raise KgError("kg.push-timeout", endpoint=endpoint, graph=graph, timeout=timeout) from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError):
            raise KgError("kg.push-timeout", endpoint=endpoint, graph=graph, timeout=timeout) from None
        raise KgError("kg.push-unreachable", endpoint=endpoint, reason=str(reason)) from None


def _read_some(response, limit: int) -> bytes:
    """Up to ``limit`` bytes of a reply body, what arrived before the deadline if it passes."""
    out = b""
    try:
        while len(out) < limit:
            chunk = response.read1(limit - len(out))
            if not chunk:
                break
            out += chunk
    except (OSError, http.client.HTTPException, ValueError, AttributeError):
        pass
    return out


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # the 3xx reply then surfaces as an HTTPError


def _opener(deadline: float):
    """A urllib opener (proxies from the environment as usual) whose connections stop at ``deadline``
    (time.monotonic()) and that follows no redirect."""
    import functools

    class HTTP(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(functools.partial(_DeadlineHTTP, deadline=deadline), req)

    class HTTPS(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(functools.partial(_DeadlineHTTPS, deadline=deadline), req, context=self._context)

    return urllib.request.build_opener(HTTP, HTTPS, _NoRedirect)


class _DeadlineSocket:
    """A connected socket whose every send and receive waits at most until the deadline: a server
    that answers one byte at a time cannot stretch a request beyond it. Like a socket, it is closed
    for real once it and the readers made by :meth:`makefile` are all closed."""

    def __init__(self, sock, deadline: float):
        self._sock, self._deadline = sock, deadline
        self._readers, self._closing = 0, False

    def _arm(self) -> None:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the deadline passed")
        self._sock.settimeout(left)

    def sendall(self, data, *args):
        self._arm()
        return self._sock.sendall(data, *args)  # since Python 3.5 the timeout bounds the whole call

    def recv_into(self, buffer, *args):
        self._arm()
        return self._sock.recv_into(buffer, *args)

    def makefile(self, mode="rb", *args, **kwargs):
        self._readers += 1
        return io.BufferedReader(_DeadlineReader(self))

    def close(self) -> None:
        self._closing = True
        if not self._readers:
            self._sock.close()

    def _reader_closed(self) -> None:
        self._readers -= 1
        if self._closing and not self._readers:
            self._sock.close()

    def __getattr__(self, name):
        return getattr(self._sock, name)


class _DeadlineReader(io.RawIOBase):
    def __init__(self, sock: _DeadlineSocket):
        self._sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        return self._sock.recv_into(buffer)

    def close(self) -> None:
        if not self.closed:
            self._sock._reader_closed()
        super().close()


class _DeadlineConnection:
    """Connects within the time left and wraps the socket in :class:`_DeadlineSocket`."""

    def __init__(self, *args, deadline: float, **kwargs):
        super().__init__(*args, **kwargs)
        self._deadline = deadline

    def connect(self):
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the deadline passed")
        self.timeout = left  # bounds the TCP connection and the TLS handshake
        super().connect()
        self.sock = _DeadlineSocket(self.sock, self._deadline)


class _DeadlineHTTP(_DeadlineConnection, http.client.HTTPConnection):
    pass


class _DeadlineHTTPS(_DeadlineConnection, http.client.HTTPSConnection):
    pass
