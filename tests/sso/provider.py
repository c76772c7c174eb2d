"""node-oidc-provider on 127.0.0.1 (tests/sso/oidc_provider.mjs), and a person's browser at it.

`OidcProvider.start(clients, accounts)` runs the provider on a free port and waits until it
listens; `stop()` ends that process by its id. `sign_in(authorization_url, account)` plays the
person at the provider: it follows the redirects, signs in as `account` on the provider's login
page, grants consent, and returns the URL the provider sends the browser back to.
"""
from __future__ import annotations

import json
import os
import re
import select
import shutil
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).resolve().with_name("oidc_provider.mjs")
PROMPT = re.compile(r'name="prompt" value="(\w+)"')


class OidcProvider:
    def __init__(self, process: subprocess.Popen, issuer: str) -> None:
        self.process = process
        self.issuer = issuer

    @classmethod
    def start(cls, clients: list[dict], accounts: dict[str, dict]) -> OidcProvider:
        node = shutil.which("node")
        if node is None or not (ROOT / "node_modules" / "oidc-provider").is_dir():
            pytest.skip("node and the oidc-provider package (npm ci) are needed")
        env = {**os.environ, "OIDC_CLIENTS": json.dumps(clients),
               "OIDC_ACCOUNTS": json.dumps(accounts)}
        process = subprocess.Popen([node, str(SCRIPT)], cwd=ROOT, env=env, text=True,
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            ready, _, _ = select.select([process.stdout], [], [], 0.2)
            if ready:
                line = process.stdout.readline()
                if line.startswith("ready "):
                    return cls(process, line.split()[1])
            if process.poll() is not None:
                break
        os.kill(process.pid, signal.SIGKILL)
        raise RuntimeError("the OpenID Connect provider did not start")

    def stop(self) -> None:
        """End the provider's process (by its id), then close its pipes."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout):
            pipe.close()

    def misbehave(self, mode: str) -> None:
        """Alter the ID token of every token answer from now on ("pass" to stop)."""
        answer = requests.get(f"{self.issuer}/__test/mode", params={"set": mode}, timeout=5)
        assert answer.text == mode

    def sign_in(self, authorization_url: str, account: str, back_to: str) -> str:
        """The URL (starting with `back_to`) the provider sends the browser back to after
        `account` signs in and consents."""
        http = requests.Session()
        url, form = authorization_url, None
        for _ in range(10):
            if form is None:
                answer = http.get(url, allow_redirects=False, timeout=5)
            else:
                answer = http.post(url, data=form, allow_redirects=False, timeout=5)
            if answer.is_redirect:
                url, form = urljoin(url, answer.headers["Location"]), None
                if url.startswith(back_to):
                    return url
                continue
            answer.raise_for_status()
            prompt = PROMPT.search(answer.text)
            assert prompt, f"no interaction on {url}: {answer.text[:300]}"
            form = {"prompt": prompt.group(1)}
            if prompt.group(1) == "login":
                form.update(login=account, password="any")
        raise AssertionError("the provider never sent the browser back")
