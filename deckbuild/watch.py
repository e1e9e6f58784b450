"""`make watch`: rebuild on every save, serve the deck on localhost, and reload the browser when it changes.

Each rebuild is `build.py` in a child process, so the cache re-runs only the chapters and figures that
the change affects. A build that fails prints its error, shows it over the deck in the browser, and
leaves the last good deck served; the next good save recovers.
"""

import json
import stat
import subprocess
import threading
import time
from dataclasses import dataclass, field, fields
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .errors import ToolError

POLL_SECONDS = 0.3
SETTLE_SECONDS = 0.2  # an editor's save may touch several files; wait for them all
KEEPALIVE_SECONDS = 15
IGNORED_PARTS = ("__pycache__", ".ipynb_checkpoints")

RELOADER = """
<script>
/* make watch: reload when a new deck is built, show the error while a build fails */
(() => {
  let good = __GOOD__;  // the build this page shows
  const banner = document.createElement("pre");
  banner.id = "deck-watch-error";
  banner.style.cssText = "position:fixed;left:0;right:0;bottom:0;margin:0;padding:12px 16px;z-index:2147483647;" +
    "background:#7f1d1d;color:#fff;font:14px/1.4 monospace;white-space:pre-wrap;display:none";
  document.body.appendChild(banner);
  const events = new EventSource("/__events");
  events.addEventListener("build", (e) => {
    const state = JSON.parse(e.data);
    if (state.good !== good) location.reload();
    banner.textContent = state.ok ? "" : "ビルド失敗（前回の成功版を表示中）\\n" + state.error;
    banner.style.display = state.ok ? "none" : "block";
  });
})();
</script>
"""
WAITING = """<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"><title>make watch</title></head>
<body style="font-family: sans-serif; margin: 2em">
<p>まだ表示できるデッキがありません。最初のビルドが成功すると、このページは自動で切り替わります。</p>
</body></html>"""


@dataclass
class State:
    """What the browser is told: which good build it should show, and the current error if any."""

    good: int = 0  # number of the last successful build
    builds: int = 0
    ok: bool = True
    error: str = ""
    ran: str = ""
    changed: threading.Condition = field(default_factory=threading.Condition, repr=False)

    def update(self, ok: bool, error: str, ran: str) -> None:
        with self.changed:
            self.builds += 1
            self.ok, self.error, self.ran = ok, error, ran
            if ok:
                self.good = self.builds
            self.changed.notify_all()

    def public(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "changed"}


def snapshot(folders: list[Path]) -> dict[str, tuple[int, int]]:
    """(mtime, size) of every file the deck is built from."""
    seen = {}
    for folder in folders:
        for path in folder.rglob("*"):
            rel = path.relative_to(folder).parts
            if any(p in IGNORED_PARTS or p.startswith(".") for p in rel) or path.name.endswith("~"):
                continue
            try:
                info = path.stat()
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode):  # one stat per file and poll, not two
                seen[str(path)] = (info.st_mtime_ns, info.st_size)
    return seen


def run_build(command: list[str], log) -> tuple[bool, str, str]:
    """Run one build, echoing its messages; (ok, error lines, summary line)."""
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines = []
    for line in proc.stderr:
        log(line.rstrip("\n"))
        lines.append(line.rstrip("\n"))
    proc.wait()
    errors = [i for i, line in enumerate(lines) if line.startswith("error:")]
    error = "\n".join(lines[errors[0] :]) if errors else (lines[-1] if lines else f"exit {proc.returncode}")
    summary = next((line for line in reversed(lines) if line.startswith("wrote ")), "")
    return proc.returncode == 0, "" if proc.returncode == 0 else error, summary


class Handler(SimpleHTTPRequestHandler):
    """Serves the output folder; deck.html gets the reloader, /__events streams build states."""

    state: State

    def __init__(self, *args, state: State, **kwargs):
        self.state = state
        super().__init__(*args, **kwargs)

    def log_message(self, format, *args):  # quiet: the terminal is for build messages
        pass

    def do_GET(self):
        path = self.path.split("?")[0].split("#")[0]
        if path == "/":
            self.send_response(HTTPStatus.FOUND)
            self.send_header("Location", "/deck.html")
            self.end_headers()
        elif path == "/__status":
            self.send_bytes(json.dumps(self.state.public()).encode(), "application/json")
        elif path == "/__events":
            self.events()
        elif path == "/deck.html":
            html = Path(self.directory, "deck.html")
            good = self.state.good  # read before the file: a build finishing meanwhile still reloads the page
            text = html.read_text(encoding="utf-8") if html.is_file() else WAITING
            head, _, tail = text.rpartition("</body>")
            reloader = RELOADER.replace("__GOOD__", str(good))
            self.send_bytes((head + reloader + "</body>" + tail).encode(), "text/html; charset=utf-8")
        else:
            super().do_GET()

    def send_bytes(self, body: bytes, content_type: str) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def events(self) -> None:
        """Server-sent events: the state now, then again after every build, until the browser leaves."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        builds = -1
        try:
            while True:
                with self.state.changed:
                    if self.state.builds == builds:
                        self.state.changed.wait(KEEPALIVE_SECONDS)
                    current = self.state.public()
                if current["builds"] != builds:
                    builds = current["builds"]
                    self.wfile.write(f"event: build\ndata: {json.dumps(current)}\n\n".encode())
                else:
                    self.wfile.write(b": still here\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass


def serve(out: Path, state: State, port: int) -> ThreadingHTTPServer:
    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), partial(Handler, state=state, directory=str(out)))
    except OSError as e:
        raise ToolError(
            f"cannot serve on 127.0.0.1:{port} ({e.strerror}): try `make watch PORT={port + 1}`"
        ) from None
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def run(command: list[str], folders: list[Path], out: Path, port: int, log) -> int:
    """Build, serve, and rebuild on change until Ctrl-C."""
    out.mkdir(parents=True, exist_ok=True)
    state = State()
    server = serve(out, state, port)
    log(f"watch: serving http://127.0.0.1:{server.server_address[1]}/deck.html (Ctrl-C to stop)")
    try:
        seen = snapshot(folders)
        state.update(*run_build(command, log))
        while True:
            time.sleep(POLL_SECONDS)
            now = snapshot(folders)
            if now == seen:
                continue
            time.sleep(SETTLE_SECONDS)
            before, seen = seen, snapshot(folders)
            changed = sorted({path for path, _ in set(seen.items()) ^ set(before.items())})
            log(f"watch: {', '.join(Path(p).name for p in changed) or 'a file'} changed; rebuilding")
            state.update(*run_build(command, log))
            log(
                "watch: " + ("deck updated" if state.ok else "build failed; still serving the last good deck")
            )
    except KeyboardInterrupt:
        log("watch: stopped")
        return 0
    finally:
        server.shutdown()
        server.server_close()
