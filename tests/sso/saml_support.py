"""Driving a SAML sign-on in the tests: the test identity provider's process (tests/sso/
saml_idp.py) and the browser's part of the flow, with the Flask test client and requests."""
from __future__ import annotations

import html
import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests

IDP_SCRIPT = Path(__file__).with_name("saml_idp.py")
FORM_ACTION = re.compile(r'<form[^>]*action="([^"]+)"')
FORM_FIELD = re.compile(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"')


class IdentityProviderProcess:
    """The test IdP on 127.0.0.1 and a free port, in its own process (stopped by its id)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.process: subprocess.Popen | None = None
        self.log = None
        self._base_url = ""

    def start(self) -> IdentityProviderProcess:
        """Start the process; it imports pysaml2 while the test's app is made, and the first
        use of `base_url` waits for it to listen."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self.log = open(self.directory / "idp.log", "w")  # a pipe nobody reads could fill up
        self.process = subprocess.Popen(
            [sys.executable, "-W", "ignore", str(IDP_SCRIPT), "--port", "0", "--dir",
             str(self.directory)], stdout=subprocess.PIPE, stderr=self.log, text=True,
            cwd=IDP_SCRIPT.parents[2], env={**os.environ, "PYTHONPATH": ""})
        return self

    @property
    def base_url(self) -> str:
        if not self._base_url:
            line = self.process.stdout.readline()  # "listening <port>", once it serves
            if not line.startswith("listening"):
                self.stop()
                raise RuntimeError(f"the test IdP did not start: {line!r} "
                                   f"{(self.directory / 'idp.log').read_text()}")
            self._base_url = f"http://127.0.0.1:{int(line.split()[1])}"
        return self._base_url

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
        if self.process is not None:
            self.process.stdout.close()
            self.log.close()

    @property
    def metadata_url(self) -> str:
        return f"{self.base_url}/metadata"

    def metadata(self) -> str:
        return requests.get(self.metadata_url, timeout=10).text

    def trust(self, sp_metadata: str) -> None:
        """Give the IdP our SP metadata, as an administrator does in a real one."""
        requests.post(f"{self.base_url}/service-providers", data=sp_metadata.encode("utf-8"),
                      timeout=10).raise_for_status()


@dataclass
class IdpAnswer:
    """The auto-submitting form the IdP answered with: where it posts, and what."""

    acs_path: str
    fields: dict[str, str]


def start_sign_on(client, slug: str, next_path: str | None = None):
    """GET our start URL; the response redirects to the IdP."""
    query = f"?next={next_path}" if next_path else ""
    return client.get(f"/sso/{slug}/saml/start{query}")


def authenticate_at_idp(redirect_url: str, **person) -> IdpAnswer:
    """Follow our redirect to the IdP, which signs the named person in without a form."""
    page = requests.get(redirect_url, params=person, timeout=10)
    assert page.status_code == 200, page.text
    action = html.unescape(FORM_ACTION.search(page.text).group(1))
    fields = {name: html.unescape(value) for name, value in FORM_FIELD.findall(page.text)}
    return IdpAnswer(acs_path=urlsplit(action).path, fields=fields)


def sign_on(client, slug: str, next_path: str | None = None, **person):
    """The whole flow: start, the IdP, and the answer posted to our ACS; returns
    (the ACS's response, the IdP's answer)."""
    started = start_sign_on(client, slug, next_path)
    assert started.status_code == 302, started.get_data(as_text=True)
    answer = authenticate_at_idp(started.headers["Location"], **person)
    return client.post(answer.acs_path, data=answer.fields), answer
