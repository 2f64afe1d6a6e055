"""Pushing cards to a remote store: over the SPARQL 1.1 Graph Store HTTP Protocol, one PUT per
card's graph (``protocol="gsp"``), or in bulk over the SPARQL 1.1 Update protocol, one request per
batch of cards that replaces each card's graph (``protocol="update"``: ``DROP SILENT GRAPH`` and
``INSERT DATA`` per card, one transaction per request on Oxigraph and Virtuoso); each request under one
deadline, redirects not followed; HTTP Basic, Digest (RFC 7616, as Virtuoso's ``/sparql-graph-crud-auth``
and ``/sparql-auth`` ask) or a bearer token; and the lines kg push prints.

On a server each card is a named graph (named by the card's IRI) and the vocabularies another: the
unit a Graph Store replaces. Credentials go only into the ``Authorization`` header, never into a
message or the output."""

from __future__ import annotations

import base64
import hashlib
import http.client
import io
import math
import os
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
register(Check("kg.push-auth", "error", "The endpoint's authentication is one kg push can answer",
               "kg push 可以应答端点要求的身份验证",
               {"": ("{endpoint} asks for HTTP authentication kg push cannot give ({challenge}); it answers Basic, "
                     "Digest (MD5, SHA-256, qop auth) and bearer tokens",
                     "{endpoint} 要求 kg push 无法提供的 HTTP 身份验证（{challenge}）；kg push 支持 Basic、Digest（MD5、"
                     "SHA-256，qop 为 auth）和 bearer 令牌")}, scope="command"))
register(Check("kg.push-unreachable", "error", "The endpoint can be reached", "端点可以连接",
               {"": ("cannot reach {endpoint}: {reason}", "无法连接 {endpoint}：{reason}")}, scope="command"))

# What of an error reply's body goes into the message: enough to show the server's reason.
ERROR_BODY_BYTES = 300


# Cards per request of the bulk path (protocol "update"): about 1,500 triples each, so a request of
# 50 cards is some 10 MB of SPARQL, which both servers take in one transaction.
BATCH_CARDS = 50


class Auth:
    """How kg push authenticates: ``scheme`` "basic" (sent with every request), "digest" (RFC 7616:
    the first request is answered with a challenge, which is then answered for this and the next
    requests, counting nonces; a stale nonce is answered again once) or a bearer ``token``. Nothing of
    it is ever shown: ``repr`` names the scheme and the user only."""

    def __init__(self, scheme: str = "basic", user: str | None = None, password: str | None = None,
                 token: str | None = None):
        self.scheme, self.user, self._password, self._token = scheme, user, password or "", token
        self._challenge: dict | None = None
        self._count = 0

    def __repr__(self) -> str:
        return f"Auth({self.scheme!r}, user={self.user!r})"

    def header(self, method: str, url: str, body: bytes) -> str | None:
        """The Authorization header for this request (None: none to send yet)."""
        if self._token:
            return f"Bearer {self._token}"
        if self.user is None:
            return None
        if self.scheme == "basic":
            return "Basic " + base64.b64encode(f"{self.user}:{self._password}".encode("utf-8")).decode("ascii")
        if self._challenge is None:
            return None
        return self._digest(method, url, body)

    def needs_challenge(self) -> bool:
        """True while Digest authentication has no challenge to answer yet, so one is fetched first
        (:func:`_probe`) rather than sending a body the server will refuse unread."""
        return self.scheme == "digest" and self.user is not None and not self._token and self._challenge is None

    def answer(self, challenges: list[str], endpoint: str) -> bool:
        """Take a 401's WWW-Authenticate headers; True if the request should be sent again (a Digest
        challenge not answered yet, or one whose nonce went stale)."""
        if self.scheme != "digest" or self.user is None or self._token:
            return False
        for header in challenges:
            scheme, _, rest = header.strip().partition(" ")
            if scheme.lower() != "digest":
                continue
            try:  # a malformed challenge (a bare token, an empty value) is refused, never a traceback
                params = urllib.request.parse_keqv_list(urllib.request.parse_http_list(rest))
            except (ValueError, IndexError):
                raise KgError("kg.push-auth", endpoint=endpoint, challenge=" ".join(header.split())[:200]) from None
            params = {k.lower(): v for k, v in params.items()}
            algorithm = params.get("algorithm", "MD5").upper()
            qops = [q.strip() for q in params.get("qop", "").split(",") if q.strip()]
            if algorithm not in _DIGESTS or (qops and "auth" not in qops and "auth-int" not in qops) or "nonce" not in params:
                raise KgError("kg.push-auth", endpoint=endpoint, challenge=" ".join(header.split())[:200])
            fresh = self._challenge is None or params.get("stale", "").lower() == "true"
            if fresh:
                self._challenge = dict(params, algorithm=algorithm, qop="auth" if "auth" in qops else qops[0] if qops else "")
                self._count = 0
            return fresh
        if challenges:
            raise KgError("kg.push-auth", endpoint=endpoint, challenge=" ".join(challenges[0].split())[:200])
        return False

    def _digest(self, method: str, url: str, body: bytes) -> str:
        c = self._challenge
        algorithm = c["algorithm"]
        h = lambda text: hashlib.new(_DIGESTS[algorithm], text.encode("utf-8")).hexdigest()  # noqa: E731
        self._count += 1
        nc, cnonce = f"{self._count:08x}", os.urandom(16).hex()
        parts = urllib.parse.urlsplit(url)
        uri = parts.path + (f"?{parts.query}" if parts.query else "")
        ha1 = h(f"{self.user}:{c.get('realm', '')}:{self._password}")
        if algorithm.endswith("-SESS"):
            ha1 = h(f"{ha1}:{c['nonce']}:{cnonce}")
        qop = c["qop"]
        ha2 = h(f"{method}:{uri}") if qop != "auth-int" else h(f"{method}:{uri}:{hashlib.new(_DIGESTS[algorithm], body).hexdigest()}")
        response = h(f"{ha1}:{c['nonce']}:{nc}:{cnonce}:{qop}:{ha2}") if qop else h(f"{ha1}:{c['nonce']}:{ha2}")
        fields = [f'username="{_quoted(self.user)}"', f'realm="{_quoted(c.get("realm", ""))}"',
                  f'nonce="{_quoted(c["nonce"])}"', f'uri="{_quoted(uri)}"', f"algorithm={algorithm}",
                  f'response="{response}"']
        if "opaque" in c:
            fields.append(f'opaque="{_quoted(c["opaque"])}"')
        if qop:
            fields += [f"qop={qop}", f"nc={nc}", f'cnonce="{cnonce}"']
        return "Digest " + ", ".join(fields)


_DIGESTS = {"MD5": "md5", "MD5-SESS": "md5", "SHA-256": "sha256", "SHA-256-SESS": "sha256"}


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def push(paths: list[str], endpoint: str, user: str | None = None, password: str | None = None,
         token: str | None = None, timeout: float = 30.0, with_vocabulary: bool = True, auth: str = "basic",
         protocol: str = "gsp", batch: int = BATCH_CARDS) -> list[tuple[str, str, int]]:
    """Send each card's graph to ``endpoint``: with ``protocol`` "gsp", PUT to a Graph Store Protocol
    endpoint (``?graph=<card IRI>``); with "update", POST to a SPARQL Update endpoint, ``batch`` cards
    per request, each card's graph dropped and inserted again. Either way a card's graph is replaced
    as a whole, so pushing is idempotent. ``auth`` is "basic" or "digest" (with ``user`` and
    ``password``); ``token`` a bearer token.

    Returns (card, graph, HTTP status) per card. ``timeout`` is a deadline for each request:
    connecting, sending and reading the reply together take at most that long (a Digest challenge
    and its answer are two requests). Redirects are not followed; any answer but 2xx is an error."""
    parsed = urllib.parse.urlparse(endpoint)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise KgError("kg.endpoint-invalid", endpoint=endpoint)
    if not (timeout > 0 and math.isfinite(timeout)):
        raise KgError("kg.timeout-invalid", "push")
    who = Auth(auth, user, password, token)
    headers = {"User-Agent": f"modelcard-spec/{__version__}"}
    graphs = [(p, assessment.card_graph(p)) for p in paths]
    units = ([("(vocabularies)", VOCAB_GRAPH, vocabulary_lines())] if with_vocabulary else []) + \
        [(path, cg.graph, cg.lines) for path, cg in graphs]
    results = []
    if protocol == "update":
        for start in range(0, len(units), max(1, batch)):
            chunk = units[start:start + max(1, batch)]
            status = _update(endpoint, chunk, headers, timeout, who)
            results += [(path, graph, status) for path, graph, _ in chunk]
        return results
    for path, graph, lines in units:
        results.append((path, graph, _put(endpoint, graph, lines, headers, timeout, who)))
    return results


def update_text(units) -> str:
    """The SPARQL update that replaces each (card, graph, lines) unit's graph: ``DROP SILENT GRAPH``,
    then ``INSERT DATA`` of its N-Triples lines (rdf.py writes only well-formed terms)."""
    return " ;\n".join(f"DROP SILENT GRAPH <{graph}> ;\nINSERT DATA {{ GRAPH <{graph}> {{\n" + "\n".join(lines) + "\n} }"
                        for _, graph, lines in units) + "\n"


def render(results: list[tuple[str, str, int]]) -> str:
    """What kg push prints: one line per graph pushed, "STATUS GRAPH <- CARD"."""
    return "".join(f"{status} {graph} <- {card}\n" for card, graph, status in results)


def _put(endpoint: str, graph: str, lines: list[str], headers: dict, timeout: float, auth: Auth | None = None) -> int:
    sep = "&" if "?" in endpoint else "?"
    url = f"{endpoint}{sep}graph={urllib.parse.quote(graph, safe='')}"
    body = ("\n".join(lines) + "\n").encode("utf-8")
    return _send("PUT", endpoint, url, body, {**headers, "Content-Type": "application/n-triples; charset=utf-8"},
                 timeout, auth or Auth(), graph)


def _update(endpoint: str, units, headers: dict, timeout: float, auth: Auth) -> int:
    body = update_text(units).encode("utf-8")
    graph = units[0][1] if len(units) == 1 else f"{units[0][1]} … {units[-1][1]} ({len(units)})"
    return _send("POST", endpoint, endpoint, body, {**headers, "Content-Type": "application/sparql-update; charset=utf-8"},
                 timeout, auth, graph)


def _send(method: str, endpoint: str, url: str, body: bytes, headers: dict, timeout: float, auth: Auth,
          graph: str) -> int:
    """One request (two when a Digest challenge must be answered first); the HTTP status, or KgError."""
    deadline = time.monotonic() + timeout
    if auth.needs_challenge():
        _probe(url, endpoint, deadline, auth)
    for attempt in range(3):
        sent = dict(headers)
        authorization = auth.header(method, url, body)
        if authorization:
            sent["Authorization"] = authorization
        req = urllib.request.Request(url, data=body, method=method, headers=sent)
        try:
            with _opener(deadline).open(req) as resp:
                return resp.status
        except urllib.error.HTTPError as exc:
            challenges = exc.headers.get_all("WWW-Authenticate") if hasattr(exc.headers, "get_all") else None
            if exc.code == 401 and attempt < 2 and auth.answer(challenges or [], endpoint):
                _read_some(exc, 1 << 16)
                continue
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
    raise AssertionError("unreachable")  # the third attempt returns or raises


def _probe(url: str, endpoint: str, deadline: float, auth: Auth) -> None:
    """Digest's challenge fetched with a HEAD request (no body) before the first request that has
    one: a server that answers a large unauthenticated PUT with 401 and closes the connection (as
    Virtuoso may) would otherwise break the pipe while the body is being sent. Any other reply, or
    none, leaves the challenge to the request itself."""
    try:
        with _opener(deadline).open(urllib.request.Request(url, method="HEAD")):
            return
    except urllib.error.HTTPError as exc:
        if exc.code == 401:
            challenges = exc.headers.get_all("WWW-Authenticate") if hasattr(exc.headers, "get_all") else None
            auth.answer(challenges or [], endpoint)
    except (urllib.error.URLError, OSError, http.client.HTTPException):
        pass


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
