"""What the benchmarks that need a server share: ``chatkit-tui serve`` in a separate process
(so it does not share the benchmark's GIL), on a free loopback port, and its CPU time."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
BETA = {"OpenAI-Beta": "chatkit_beta=v1"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(*serve_args: str) -> tuple[subprocess.Popen[bytes], str]:
    """``chatkit-tui serve *serve_args --port P --quiet``; the process and its base URL once
    it answers."""
    port = free_port()
    command = [sys.executable, "-m", "chatkit_tui", "serve", *serve_args]
    command += ["--port", str(port), "--quiet"]
    process = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base_url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the server exited")
        try:
            httpx.get(f"{base_url}/chatkit/threads?limit=1", headers=BETA, trust_env=False)
            return process, base_url
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("the server did not start")


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of process ``pid`` so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
