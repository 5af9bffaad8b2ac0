"""A local stand-in for the Hugging Face Hub, on the standard library only, for offline tests.

It speaks the subset of the Hub protocol that huggingface_hub 2.4 uses to create a repo and a branch
(``create_branch``), list the branches (``list_repo_refs``), upload (``upload_folder``,
``upload_file``, ``push_to_hub``, every file sent inline as "regular") and download
(``hf_hub_download``, ``snapshot_download``, ``from_pretrained``, ``ModelCard.load``).
The client must be pointed at it before huggingface_hub is imported: ``HF_ENDPOINT=<stub url>``,
``HF_HUB_DISABLE_XET=1`` (tests/conftest.py does this).

Storage, under ``root``: ``{type}s/{org}/{name}/repo.json`` (branches and commits; each commit is
a full snapshot ``{path: blob sha}``) and ``blobs/<git blob sha1>`` with the bytes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

logger = logging.getLogger(__name__)

USER = "stub-user"
_URL_PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}
_API_TYPES = {"models": "model", "datasets": "dataset", "spaces": "space"}
_ACTIONS = {"revision", "tree", "preupload", "commit", "refs", "branch"}


def git_blob_sha1(data: bytes) -> str:
    """The git object id of a blob, which the Hub sends as the ETag of a non-LFS file."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class HubError(Exception):
    """An error answer: status, ``X-Error-Code`` (what the client maps to an exception) and message."""

    def __init__(self, status: int, code: str | None, message: str, commit: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.commit = status, code, message, commit


@dataclass
class Commit:
    sha: str
    parent: str | None
    message: str
    date: str
    files: dict[str, str]  # path -> git blob sha1 (full snapshot)


@dataclass
class Repo:
    repo_type: str
    repo_id: str
    created: str
    branches: dict[str, str] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)

    def resolve(self, rev: str) -> Commit:
        sha = self.branches.get(rev, rev)
        if sha not in self.commits:
            raise HubError(404, "RevisionNotFound", f"Invalid rev id: {rev}")
        return self.commits[sha]


@dataclass
class _Request:
    method: str
    path: str
    segs: list[str]  # path segments, still percent-encoded
    query: dict[str, list[str]]
    body: bytes
    authorized: bool

    def json(self) -> Any:
        return json.loads(self.body or b"{}")


@dataclass
class _Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def _json(obj: Any, status: int = 200) -> _Response:
    return _Response(status, json.dumps(obj).encode(), {"Content-Type": "application/json"})


class HubStub:
    """A tiny Hub on ``http://127.0.0.1:{port}``; ``requests`` and ``unhandled`` help debugging."""

    def __init__(self, root: Path, port: int) -> None:
        self.root = Path(root)
        self.port = port
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request answered
        self.unhandled: list[str] = []  # "METHOD /path (why)" for routes the stub does not know
        self.rejected = 0  # connections refused because they did not come from 127.0.0.1
        self._lock = threading.RLock()
        self._repos: dict[tuple[str, str], Repo] = {}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._load()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def request_count(self) -> int:
        return len(self.requests)

    def start(self) -> HubStub:
        self._server = _Server(("127.0.0.1", self.port), _Handler)
        self._server.stub = self
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True, name="hub-stub")
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> HubStub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def head(self, repo_id: str, branch: str = "main", repo_type: str = "model") -> str:
        """The commit sha a branch points at (KeyError if the repo or branch is unknown)."""
        with self._lock:
            return self._repos[(repo_type, repo_id)].branches[branch]

    def commits(self, repo_id: str, repo_type: str = "model") -> list[str]:
        """Every commit sha of a repo, oldest first (the first is the empty commit made by create_repo)."""
        with self._lock:
            return list(self._repos[(repo_type, repo_id)].commits)

    # -- storage ------------------------------------------------------------------------------

    def _dir(self, repo: Repo) -> Path:
        return self.root / f"{repo.repo_type}s" / repo.repo_id

    def _load(self) -> None:
        for meta in self.root.glob("*s/*/*/repo.json"):
            raw = json.loads(meta.read_text())
            commits = {sha: Commit(**c) for sha, c in raw.pop("commits").items()}
            repo = Repo(**raw, commits=commits)
            self._repos[(repo.repo_type, repo.repo_id)] = repo

    def _save(self, repo: Repo) -> None:
        path = self._dir(repo) / "repo.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(repo), indent=1))
        tmp.replace(path)

    def _blob(self, repo: Repo, sha: str) -> Path:
        return self._dir(repo) / "blobs" / sha

    def _repo(self, req: _Request, repo_type: str, repo_id: str) -> Repo:
        repo = self._repos.get((repo_type, repo_id))
        if repo is None:
            # Like the Hub: 401 without a token, 404 with one; the client maps both through X-Error-Code.
            raise HubError(404 if req.authorized else 401, "RepoNotFound", "Repository not found")
        return repo

    def _repo_url(self, repo: Repo) -> str:
        return f"{self.url}/{_URL_PREFIX[repo.repo_type]}{repo.repo_id}"

    # -- routing ------------------------------------------------------------------------------

    def _route(self, req: _Request) -> _Response:
        segs, method = req.segs, req.method
        if segs[:1] == ["api"]:
            if segs == ["api", "whoami-v2"] and method == "GET":
                user = {"type": "user", "id": "0" * 24, "name": USER, "fullname": "Hub Stub", "orgs": []}
                return _json({**user, "auth": {"type": "access_token", "accessToken": {"role": "write"}}})
            if segs == ["api", "repos", "create"] and method == "POST":
                return self._create(req)
            if segs == ["api", "agent-harnesses"] and method == "GET":  # fetched once per process by the client
                return _json({"standardEnvVars": [], "harnesses": {}})
            if segs == ["api", "validate-yaml"] and method == "POST":
                return _json({"errors": [], "warnings": []})
            if len(segs) >= 3 and segs[1] in _API_TYPES:
                return self._api(req, _API_TYPES[segs[1]], segs[2:])
        elif method in ("GET", "HEAD"):
            repo_type = {"datasets": "dataset", "spaces": "space"}.get(segs[0] if segs else "", "model")
            rest = segs if repo_type == "model" else segs[1:]
            for n in (2, 1):
                if len(rest) >= n + 3 and rest[n] == "resolve":
                    repo_id = "/".join(unquote(s) for s in rest[:n])
                    rev, path = unquote(rest[n + 1]), unquote("/".join(rest[n + 2 :]))
                    return self._resolve(req, repo_type, repo_id, rev, path)
        return self._unhandled(req, "no route")

    def _unhandled(self, req: _Request, why: str) -> _Response:
        self.unhandled.append(f"{req.method} {req.path} ({why})")
        logger.warning("HubStub: unhandled %s %s (%s)", req.method, req.path, why)
        return _json({"error": f"HubStub does not handle {req.method} {req.path} ({why})"}, 404)

    def _api(self, req: _Request, repo_type: str, segs: list[str]) -> _Response:
        for n in (2, 1):  # repo ids are "org/name" or (legacy) "name"
            if len(segs) == n or (len(segs) > n and segs[n] in _ACTIONS):
                repo_id, action, args = "/".join(unquote(s) for s in segs[:n]), segs[n : n + 1], segs[n + 1 :]
                break
        else:
            return self._unhandled(req, "bad repo api path")
        repo = self._repo(req, repo_type, repo_id)
        rev = unquote(args[0]) if args else "main"
        if req.method == "GET" and action in ([], ["revision"]):
            return _json(self._info(repo, repo.resolve(rev)))
        if req.method == "GET" and action == ["tree"]:
            recursive = req.query.get("recursive", ["false"])[0].lower() in ("1", "true")
            return _json(self._tree(repo, repo.resolve(rev), unquote("/".join(args[1:])), recursive))
        if req.method == "GET" and action == ["refs"]:
            return _json(self._refs(repo))
        if req.method == "POST" and action == ["branch"] and args:
            return self._branch(req, repo, unquote(args[0]))
        if "create_pr" in req.query:
            return self._unhandled(req, "pull requests are not supported")
        if req.method == "POST" and action == ["preupload"]:
            # Always "regular" (inline base64 in the commit, no LFS); "oid" lets the client skip unchanged files.
            head = repo.resolve(rev)
            regular = {"uploadMode": "regular", "shouldIgnore": False}
            files = [{"path": f["path"], **regular, "oid": head.files.get(f["path"])} for f in req.json()["files"]]
            return _json({"files": files, "commitOid": head.sha})
        if req.method == "POST" and action == ["commit"]:
            commit = self._commit(req, repo, rev)
            url = f"{self._repo_url(repo)}/commit/{commit.sha}"
            return _json({"success": True, "commitOid": commit.sha, "commitUrl": url, "pullRequestUrl": None})
        return self._unhandled(req, "unknown repo action")

    # -- endpoints ----------------------------------------------------------------------------

    def _create(self, req: _Request) -> _Response:
        payload = req.json()
        repo_type = payload.get("type") or "model"
        repo_id = f"{payload.get('organization') or USER}/{payload['name']}"
        if repo_type not in _URL_PREFIX or not re.fullmatch(r"[\w-]+(\.[\w-]+)*/[\w-]+(\.[\w-]+)*", repo_id):
            raise HubError(400, None, f"Invalid repo type or id: {repo_type} {repo_id}")
        with self._lock:
            if (repo_type, repo_id) in self._repos:
                url = self._repo_url(self._repos[(repo_type, repo_id)])
                return _json({"error": "You already created this repo", "url": url}, 409)
            repo = Repo(repo_type, repo_id, _now())
            sha = hashlib.sha1(f"{repo_type}/{repo_id} {repo.created}".encode()).hexdigest()
            initial = Commit(sha, None, "initial commit", repo.created, {})  # empty: no .gitattributes
            repo.commits[initial.sha], repo.branches["main"] = initial, initial.sha
            self._repos[(repo_type, repo_id)] = repo
            self._save(repo)
        return _json({"url": self._repo_url(repo), "name": repo_id, "id": initial.sha[:24]})

    def _refs(self, repo: Repo) -> dict[str, Any]:
        """``list_repo_refs``: every branch and the commit it points at (the stub has no tags or PRs)."""
        with self._lock:
            branches = [{"name": b, "ref": f"refs/heads/{b}", "targetCommit": sha} for b, sha in repo.branches.items()]
        return {"branches": branches, "converts": [], "tags": [], "pullRequests": []}

    def _branch(self, req: _Request, repo: Repo, branch: str) -> _Response:
        """``create_branch``: a new branch at ``startingPoint`` (a revision) or main's head; 409 if it exists."""
        start = req.json().get("startingPoint") or "main"
        with self._lock:
            if branch in repo.branches:
                raise HubError(409, None, f"Reference already exists: refs/heads/{branch}")
            repo.branches[branch] = repo.resolve(start).sha
            self._save(repo)
        return _json({})

    def _info(self, repo: Repo, commit: Commit) -> dict[str, Any]:
        info: dict[str, Any] = {
            "_id": hashlib.sha1(repo.repo_id.encode()).hexdigest()[:24],
            "id": repo.repo_id,
            "author": repo.repo_id.split("/")[0],
            "sha": commit.sha,
            "lastModified": commit.date,
            "createdAt": repo.created,
            **{"private": False, "disabled": False, "gated": False, "downloads": 0, "likes": 0, "tags": []},
            "siblings": [{"rfilename": path} for path in sorted(commit.files)],
        }
        if repo.repo_type == "model":
            info["modelId"] = repo.repo_id
        return info

    def _tree(self, repo: Repo, commit: Commit, folder: str, recursive: bool) -> list[dict[str, Any]]:
        folder = folder.strip("/")
        base = f"{folder}/" if folder else ""
        entries: dict[str, dict[str, Any]] = {}
        for path, sha in commit.files.items():
            if not path.startswith(base):
                continue
            parts = path[len(base) :].split("/")
            for depth in range(1, len(parts) if recursive else min(len(parts), 2)):
                sub = base + "/".join(parts[:depth])
                oid = hashlib.sha1(f"tree {commit.sha} {sub}".encode()).hexdigest()
                entries[sub] = {"type": "directory", "oid": oid, "size": 0, "path": sub}
            if recursive or len(parts) == 1:
                size = self._blob(repo, sha).stat().st_size
                entries[path] = {"type": "file", "oid": sha, "size": size, "path": path}
        if folder and not entries:
            raise HubError(404, "EntryNotFound", f"{folder} does not exist on {commit.sha}", commit.sha)
        return [entries[k] for k in sorted(entries)]

    def _resolve(self, req: _Request, repo_type: str, repo_id: str, rev: str, path: str) -> _Response:
        repo = self._repo(req, repo_type, repo_id)
        commit = repo.resolve(rev)
        sha = commit.files.get(path)
        if sha is None:
            raise HubError(404, "EntryNotFound", f"Entry not found: {path}", commit.sha)
        headers = {"X-Repo-Commit": commit.sha, "ETag": f'"{sha}"', "Content-Type": "application/octet-stream"}
        return _Response(200, self._blob(repo, sha).read_bytes(), headers)

    def _commit(self, req: _Request, repo: Repo, branch: str) -> Commit:
        lines = [json.loads(line) for line in req.body.splitlines() if line.strip()]
        header = next((line["value"] for line in lines if line["key"] == "header"), {})
        with self._lock:
            if branch not in repo.branches:
                raise HubError(404, "RevisionNotFound", f"Invalid rev id: {branch} (commits go to a branch)")
            head = repo.commits[repo.branches[branch]]
            if header.get("parentCommit") not in (None, head.sha):
                raise HubError(412, None, f"Parent commit {header['parentCommit']} is not the head of {branch}")
            files = dict(head.files)
            for line in lines:
                key, value = line["key"], line["value"]
                if key == "file":
                    content = value["content"]
                    data = base64.b64decode(content) if value.get("encoding") == "base64" else content.encode()
                    sha = git_blob_sha1(data)
                    blob = self._blob(repo, sha)
                    blob.parent.mkdir(parents=True, exist_ok=True)
                    blob.write_bytes(data)
                    files[value["path"]] = sha
                elif key == "deletedFile":
                    if files.pop(value["path"], None) is None:
                        raise HubError(404, "EntryNotFound", f"A file with this name doesn't exist: {value['path']}")
                elif key == "deletedFolder":
                    prefix = value["path"].rstrip("/") + "/"
                    files = {p: s for p, s in files.items() if not p.startswith(prefix)}
                elif key != "header":
                    raise HubError(400, None, f"HubStub: unsupported commit operation {key!r} (only regular files)")
            message = header.get("summary") or "commit"
            date = _now()
            seed = json.dumps([head.sha, message, header.get("description", ""), date, sorted(files.items())])
            commit = Commit(hashlib.sha1(seed.encode()).hexdigest(), head.sha, message, date, files)
            repo.commits[commit.sha], repo.branches[branch] = commit, commit.sha
            self._save(repo)
        return commit


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64  # snapshot_download opens several connections at once
    stub: HubStub

    def verify_request(self, request: Any, client_address: Any) -> bool:
        if client_address[0] == "127.0.0.1":
            return True
        self.stub.rejected += 1
        return False

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("HubStub: error while serving %s", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "HubStub/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # quiet: no stderr lines
        logger.debug("HubStub: " + format, *args)

    def _dispatch(self) -> None:
        stub = self.server.stub
        if self.client_address[0] != "127.0.0.1":  # belt and braces: verify_request already refuses these
            self.send_error(403)
            return
        with stub._lock:
            stub.requests.append((self.command, self.path))
        split = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        req = _Request(
            self.command,
            self.path,
            [s for s in split.path.split("/") if s],
            parse_qs(split.query),
            body,
            "authorization" in {k.lower() for k in self.headers},
        )
        try:
            resp = stub._route(req)
        except HubError as e:
            resp = _json({"error": e.message}, e.status)
            resp.headers["X-Error-Message"] = e.message
            if e.code:
                resp.headers["X-Error-Code"] = e.code
            if e.commit:
                resp.headers["X-Repo-Commit"] = e.commit
        except Exception as e:  # a stub bug: answer 500 and keep it visible
            logger.exception("HubStub: %s %s failed", self.command, self.path)
            stub.unhandled.append(f"{self.command} {self.path} (exception {e!r})")
            resp = _json({"error": f"HubStub error: {e!r}"}, 500)
        self.send_response(resp.status)
        for key, value in resp.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(resp.body)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = _dispatch


def start_hub_stub(root: Path, port: int) -> HubStub:
    """Start a stub serving ``root`` on ``127.0.0.1:port``; call ``stop()`` (or use it as a context manager)."""
    return HubStub(root, port).start()
