"""Pushing cards to a remote store over the SPARQL 1.1 Graph Store HTTP Protocol: one PUT per
graph, each request under one deadline, redirects not followed."""

from __future__ import annotations

import base64
import http.client
import io
import math
import time
import urllib.error
import urllib.parse
import urllib.request

from ..spec.version import __version__
from . import assessment
from .assessment import VOCAB_GRAPH, vocabulary_lines
from .errors import KgError

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
        raise KgError(f"--endpoint must be an http(s) URL of a Graph Store Protocol service, not {endpoint!r}",
                      f"--endpoint 应为 Graph Store Protocol 服务的 http(s) URL，而不是 {endpoint!r}")
    if not (timeout > 0 and math.isfinite(timeout)):
        raise KgError("--timeout must be a positive number of seconds", "--timeout 应为正的秒数")
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
        hint = hint_zh = ""
        if exc.code in (401, 403):
            hint, hint_zh = " (check --user/--password or --token)", "（请检查 --user/--password 或 --token）"
        elif 300 <= exc.code < 400:
            target = " ".join(str((exc.headers or {}).get("Location", "")).split())[:200]
            hint = f" (a redirect to {target}; redirects are not followed: give the final URL)"
            hint_zh = f"（重定向至 {target}；不跟随重定向，请指定最终的 URL）"
        raise KgError(f"{endpoint} answered HTTP {exc.code} {reason} for graph {graph}{hint}: {detail}",
                      f"{endpoint} 对图 {graph} 返回 HTTP {exc.code} {reason}{hint_zh}：{detail}") from None
    except TimeoutError:
        raise KgError(f"{endpoint} did not complete the request for graph {graph} within {timeout:g} s (--timeout)",
                      f"{endpoint} 未在 {timeout:g} 秒内完成对图 {graph} 的请求（--timeout）") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError):
            raise KgError(f"{endpoint} did not complete the request for graph {graph} within {timeout:g} s (--timeout)",
                          f"{endpoint} 未在 {timeout:g} 秒内完成对图 {graph} 的请求（--timeout）") from None
        raise KgError(f"cannot reach {endpoint}: {reason}", f"无法连接 {endpoint}：{reason}") from None


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
