"""A tiny WSGI application for the server tests: no Django, no database."""

import os
import time


def application(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/redirect":  # a response with no body
        start_response("302 Found", [("Location", "/elsewhere"), ("Content-Length", "0")])
        return []
    if path == "/stream":  # no length: sent chunked, piece by piece
        start_response("200 OK", [("Content-Type", "text/plain")])
        return iter([b"one ", b"two ", b"three"])
    if path == "/file":  # a file: gunicorn sends it with sendfile
        handle = open(__file__, "rb")  # noqa: SIM115 - closed by the server through the wrapper
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(os.path.getsize(__file__)))])
        return environ["wsgi.file_wrapper"](handle)
    if path == "/slow":
        time.sleep(float(environ.get("QUERY_STRING") or 1))
    if path == "/echo":
        body = environ["wsgi.input"].read()
    elif path == "/ignore-body":  # answers without reading the request body
        body = b"ignored"
    else:
        body = f"{os.getpid()} {path}".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
