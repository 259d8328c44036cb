"""A tiny WSGI application for the server tests: no Django, no database."""

import os
import time


def application(environ, start_response):
    path = environ["PATH_INFO"]
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
