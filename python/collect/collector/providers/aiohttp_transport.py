"""The openai SDK's HTTP client for the collector: httpx2 objects, aiohttp underneath.

The SDK builds its requests, sets authentication and maps errors on httpx2 objects; the
transport here only moves the bytes. aiohttp's connection handling costs a fraction of the CPU
per call of httpx2's own (httpcore2), which at hundreds of calls a second was most of the
collector's CPU. aiohttp's failures are mapped to the httpx2 errors the SDK understands, so that
a timeout is an `APITimeoutError` and a dropped or refused connection an `APIConnectionError`.
"""

from __future__ import annotations

import asyncio
import functools
import time
import urllib.request
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import httpx2
import yarl
from httpx2 import USE_CLIENT_DEFAULT

# First match wins: aiohttp's timeout errors are also connection errors, its connection-level
# errors also OS errors, so the specific ones come first.
_ERROR_MAP: tuple[tuple[type[BaseException], type[httpx2.TransportError]], ...] = (
    (aiohttp.ConnectionTimeoutError, httpx2.ConnectTimeout),
    (aiohttp.ServerTimeoutError, httpx2.ReadTimeout),
    (asyncio.TimeoutError, httpx2.ReadTimeout),
    (aiohttp.ClientConnectorError, httpx2.ConnectError),
    (aiohttp.ServerDisconnectedError, httpx2.RemoteProtocolError),
    (aiohttp.ClientPayloadError, httpx2.ReadError),
    (aiohttp.ClientResponseError, httpx2.RemoteProtocolError),
    (aiohttp.ClientOSError, httpx2.NetworkError),
    (aiohttp.ClientError, httpx2.TransportError),
)

# Framing and connection headers: aiohttp writes its own.
_HOP_HEADERS = frozenset({b"content-length", b"transfer-encoding", b"connection"})


def environment_proxy(url: str) -> str | None:
    """The proxy that HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY choose for `url`, as the
    SDK's default client would use it."""
    proxies = urllib.request.getproxies_environment()
    parts = urlsplit(url)
    if proxies.get("no") and urllib.request.proxy_bypass_environment(parts.netloc, proxies):
        return None
    return proxies.get(parts.scheme) or proxies.get("all")


def httpx_error(exc: BaseException, request: httpx2.Request) -> httpx2.TransportError | None:
    """The httpx2 error standing for an aiohttp failure, or None for anything else."""
    for aiohttp_error, httpx_error_type in _ERROR_MAP:
        if isinstance(exc, aiohttp_error):
            detail = str(exc) or type(exc).__name__
            return httpx_error_type(detail, request=request)
    return None


@functools.lru_cache(maxsize=16)
def _client_timeout(
    pool: float | None, connect: float | None, read: float | None
) -> aiohttp.ClientTimeout:
    """httpx2's timeouts in aiohttp's terms: read is the longest wait between two reads."""
    return aiohttp.ClientTimeout(total=None, connect=pool, sock_connect=connect, sock_read=read)


class AiohttpTransport(httpx2.AsyncBaseTransport):
    """Sends each request whole and reads each answer whole (no streaming) over one aiohttp
    session, opened on first use inside the running event loop."""

    def __init__(self, max_connections: int) -> None:
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None
        # Looked up once per origin: aiohttp's own lookup (trust_env) costs a thread hop per call.
        self._proxies: dict[tuple[str, str, int | None], str | None] = {}

    def _proxy(self, url: httpx2.URL) -> str | None:
        origin = (url.scheme, url.host, url.port)
        if origin not in self._proxies:
            self._proxies[origin] = environment_proxy(str(url))
        return self._proxies[origin]

    def _open(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=self._max_connections, ssl=httpx2.create_ssl_context()
        )
        # Undecoded bodies: the httpx2 response decodes them from their Content-Encoding.
        return aiohttp.ClientSession(connector=connector, auto_decompress=False)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if self._session is None:
            self._session = self._open()
        limits = request.extensions.get("timeout", {})
        timeout = _client_timeout(limits.get("pool"), limits.get("connect"), limits.get("read"))
        try:
            content = request.content
        except httpx2.RequestNotRead:  # a streamed body, e.g. httpx2 following a redirect
            content = await request.aread()
        headers = [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in request.headers.raw
            if name.lower() not in _HOP_HEADERS
        ]
        try:
            async with self._session.request(
                request.method,
                yarl.URL(str(request.url), encoded=True),  # httpx2 has encoded it already
                headers=headers,
                data=content or None,
                allow_redirects=False,
                timeout=timeout,
                proxy=self._proxy(request.url),
            ) as answer:
                body = await answer.read()
        except Exception as exc:
            mapped = httpx_error(exc, request)
            if mapped is None:
                raise
            raise mapped from exc
        return httpx2.Response(
            answer.status,
            headers=answer.raw_headers,
            content=body,
            request=request,
            extensions={
                "http_version": b"HTTP/1.1",
                "reason_phrase": (answer.reason or "").encode("latin-1", "replace"),
            },
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class SdkHttpClient(httpx2.AsyncClient):
    """An httpx2 client over an `AiohttpTransport`, for `openai.AsyncOpenAI(http_client=...)`.

    What the SDK sends for a chat completion (a whole JSON body, its own headers, no auth flow,
    no cookies, no streaming) takes a short path: the request is built without merging client
    defaults (this client has none that matter) and handed straight to the transport, skipping
    httpx2's auth, redirect and cookie machinery. Anything else takes httpx2's full path.
    Redirects are not followed (an API that redirects has the wrong base URL).
    """

    def __init__(self, max_connections: int, timeout_s: float) -> None:
        self._aiohttp = AiohttpTransport(max_connections)
        super().__init__(transport=self._aiohttp, timeout=timeout_s, follow_redirects=False)
        self._urls: dict[str, httpx2.URL] = {}  # parsed once: the SDK posts to one address

    def _url(self, url: httpx2.URL | str) -> httpx2.URL:
        if isinstance(url, httpx2.URL):
            return url
        parsed = self._urls.get(url)
        if parsed is None:
            if len(self._urls) > 64:
                self._urls.clear()
            parsed = self._urls[url] = httpx2.URL(url)
        return parsed

    def build_request(  # type: ignore[override]
        self,
        method: str,
        url: httpx2.URL | str,
        *,
        content: bytes | None = None,
        headers: list[tuple[str, str]] | None = None,
        timeout: Any = USE_CLIENT_DEFAULT,
        **others: Any,
    ) -> httpx2.Request:
        if any(value is not None for value in others.values()) or not isinstance(
            content, bytes | None
        ):
            return super().build_request(
                method, url, content=content, headers=headers, timeout=timeout, **others
            )
        limits = self.timeout if timeout is USE_CLIENT_DEFAULT else httpx2.Timeout(timeout)
        return httpx2.Request(
            method, self._url(url), content=content, headers=headers,
            extensions={"timeout": limits.as_dict()},
        )

    async def send(
        self,
        request: httpx2.Request,
        *,
        stream: bool = False,
        auth: Any = USE_CLIENT_DEFAULT,
        follow_redirects: Any = USE_CLIENT_DEFAULT,
    ) -> httpx2.Response:
        if stream or auth is not USE_CLIENT_DEFAULT or follow_redirects is True:
            return await super().send(
                request, stream=stream, auth=auth, follow_redirects=follow_redirects
            )
        started = time.perf_counter()
        response = await self._aiohttp.handle_async_request(request)
        response.elapsed = timedelta(seconds=time.perf_counter() - started)
        return response
