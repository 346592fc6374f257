"""The real GitHub API recordings of ../shared/data/github-api/, as ReplayServer replies.

Three shapes are read, each exchange keeping its real status, headers and body:
- PyGithub replay text (`pygithub-replaydata/*.txt`): 10 lines an exchange (protocol, verb, host, port,
  path, request headers as a Python dict, request body, status, response headers as a list of pairs,
  body), exchanges separated by a blank line;
- github3.py's Betamax cassettes (`github3py-cassettes/*.json`): `http_interactions`, bodies often
  base64 gzip, header values sometimes lists;
- the headers of a real secondary-limit 403 transcribed from a GitHub issue (`transcribed/*.txt`), whose
  body the issue cut short: it is replayed cut, as quoted.

Bodies are served decoded (the recordings keep them decoded, or are decoded here), so the headers that
describe the transfer (Content-Encoding, Content-Length, Transfer-Encoding) are left out; the replay server
sets its own Content-Length. An absolute `https://api.github.com` in a Location header points at the replay
server instead (pass its URL as `api_url`), as GitHub's own redirect would point at GitHub.
"""

import ast
import base64
import gzip
import json
import re
from dataclasses import dataclass

from tests.conftest import data_path
from tests.replay import Reply

GITHUB = "https://api.github.com"
TRANSFER_HEADERS = {"content-encoding", "content-length", "transfer-encoding", "connection", "status"}


@dataclass
class Exchange:
    method: str
    path: str  # with the query, as recorded
    request_headers: dict[str, str]
    reply: Reply


def _reply(status: int, headers: list[tuple[str, str]], body: bytes, api_url: str) -> Reply:
    kept = {}
    for name, value in headers:
        if name.lower() in TRANSFER_HEADERS:
            continue
        if name.lower() == "location" and api_url:
            value = value.replace(GITHUB, api_url)
        kept[name] = value
    return Reply(status, body, kept)


def pygithub(name: str, api_url: str = "") -> list[Exchange]:
    """The exchanges of `pygithub-replaydata/<name>.txt`."""
    lines = data_path(f"github-api/pygithub-replaydata/{name}.txt").read_text(encoding="utf-8").split("\n")
    exchanges = []
    i = 0
    while i + 10 <= len(lines):
        if not lines[i].strip():
            i += 1
            continue
        _, method, _, _, path, request_headers, _, status, headers, body = lines[i : i + 10]
        reply = _reply(int(status), ast.literal_eval(headers), body.encode("utf-8"), api_url)
        exchanges.append(Exchange(method, path, ast.literal_eval(request_headers), reply))
        i += 10
    return exchanges


def _values(value) -> str:
    return ", ".join(value) if isinstance(value, list) else str(value)


def betamax(name: str, api_url: str = "") -> list[Exchange]:
    """The exchanges of `github3py-cassettes/<name>.json`."""
    cassette = json.loads(
        data_path(f"github-api/github3py-cassettes/{name}.json").read_text(encoding="utf-8")
    )
    exchanges = []
    for interaction in cassette["http_interactions"]:
        request, response = interaction["request"], interaction["response"]
        status = response.get("status", {}).get("code") or response["status_code"]
        headers = [(key, _values(value)) for key, value in response["headers"].items()]
        raw = response["body"]
        if raw.get("base64_string"):
            body = base64.b64decode(raw["base64_string"])
            if body[:2] == b"\x1f\x8b":  # gzip, as Content-Encoding said
                body = gzip.decompress(body)
        else:
            body = (raw.get("string") or "").encode("utf-8")
        path = request["uri"].removeprefix(GITHUB)
        request_headers = {key: _values(value) for key, value in request["headers"].items()}
        exchanges.append(
            Exchange(request["method"], path, request_headers, _reply(status, headers, body, api_url))
        )
    return exchanges


def secondary_limit_403() -> Exchange:
    """The real secondary-limit 403 of scala-steward issue 2355: status, headers and the body as quoted."""
    text = data_path(
        "github-api/transcribed/scala-steward-2355_secondary-rate-limit-403_2021-11-10.txt"
    ).read_text(encoding="utf-8")
    header_text = text.split("headers: Headers(\n", 1)[1].split("\n  )\n", 1)[0]
    headers: list[tuple[str, str]] = []
    for line in header_text.split("\n"):
        name, sep, value = line.strip().partition(":")
        if sep and re.fullmatch(r"[a-z0-9-]+", name):
            headers.append((name, value.strip().rstrip(",")))
        elif line.strip():  # a value the formatting broke onto the next line
            headers[-1] = (headers[-1][0], f"{headers[-1][1]} {line.strip()}")
    status = int(text.split("status: ", 1)[1].split()[0])
    path = text.split("uri: https://api.github.com", 1)[1].split("\n", 1)[0]
    body = text.split("body: ", 1)[1].rstrip("\n").encode("utf-8")
    return Exchange("POST", path, {}, _reply(status, headers, body, ""))
