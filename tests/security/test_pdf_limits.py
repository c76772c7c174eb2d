"""The public PDF check holds against hostile files: whatever an upload of at most 5 MB holds,
checking it costs at most 2 s of CPU and 64 MiB of memory, and the answer is a 4xx with a sentence.

Each hostile file is checked in a fresh interpreter that has already checked a genuine
certificate (so the parser's one-off imports are paid), under a CPU limit that kills it past
about 2 s and an address-space limit that keeps a regression from taking the machine down; the
peak resident memory of the call is measured from the kernel's high-water mark, reset just
before the call.
"""
from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.certificates.pdf import CertificateRenderer, PdfSigner, issue_pdf, sample_facts
from app.certificates.pki import ensure_dev_pki
from tests.security import hostile_pdfs

pytestmark = pytest.mark.renders_pdf

ROOT = Path(__file__).resolve().parents[2]
CPU_SECONDS = 2.0
MEMORY_MIB = 64
REFUSALS = ("far larger or more complex inside", "damaged or not readable")

_CHILD = r"""
import json, resource, sys, time
from pathlib import Path

def status(key):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) * 1024

from app.certificates.pdfcheck import check_pdf

genuine, hostile, *roots = (Path(arg) for arg in sys.argv[1:])
trust = [root.read_bytes() for root in roots]
assert check_pdf(genuine.read_bytes(), trust).signature_ok
data = hostile.read_bytes()
used = resource.getrusage(resource.RUSAGE_SELF)
resource.setrlimit(resource.RLIMIT_CPU, (int(used.ru_utime + used.ru_stime) + 3,
                                          resource.RLIM_INFINITY))
resource.setrlimit(resource.RLIMIT_AS, (status("VmSize:") + (512 << 20), resource.RLIM_INFINITY))
Path("/proc/self/clear_refs").write_text("5")
before, started = status("VmRSS:"), time.process_time()
check = check_pdf(data, trust)
print(json.dumps({
    "cpu": time.process_time() - started,
    "growth_mib": (status("VmHWM:") - before) / 2**20,
    "is_pdf": check.is_pdf, "signature_ok": check.signature_ok,
    "record": check.record is not None, "problems": check.problems,
}))
"""


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return ensure_dev_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def genuine(pki) -> bytes:
    """A certificate PDF as we issue it: rendered, with its record, PAdES-signed."""
    facts = sample_facts(holder_name="Alex Example",
                         payload_json='{"code":"OKR-7K3M-Q9TB-X2HD-4FRW-9"}',
                         signature="c2lnbmF0dXJl", key_id="kid-1")
    return issue_pdf(CertificateRenderer(ROOT / "certificates"), PdfSigner(pki), facts)


@pytest.fixture(scope="module")
def signature_blob(genuine) -> bytes:
    """The CMS blob of the genuine certificate's signature."""
    from asn1crypto import cms

    contents = re.search(rb"/Contents <([0-9a-fA-F]+)>", genuine).group(1)
    return cms.ContentInfo.load(bytes.fromhex(contents.decode()), strict=False).dump()


HOSTILE = sorted([*hostile_pdfs.HOSTILE, "signed certificate with a bomb appended"])


def hostile_file(name: str, genuine: bytes, signature_blob: bytes) -> bytes:
    if name == "signed certificate with a bomb appended":
        return hostile_pdfs.signed_certificate_update(genuine)
    return hostile_pdfs.HOSTILE[name](signature_blob)


def measure(tmp_path: Path, pki, genuine: bytes, data: bytes) -> dict:
    """Check data in a fresh interpreter under the limits; return what the child measured."""
    (tmp_path / "genuine.pdf").write_bytes(genuine)
    (tmp_path / "upload.pdf").write_bytes(data)
    run = subprocess.run(
        [sys.executable, "-c", _CHILD, str(tmp_path / "genuine.pdf"), str(tmp_path / "upload.pdf"),
         *map(str, pki.chain_paths)],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, (
        f"the check was killed or failed (exit {run.returncode}): over {CPU_SECONDS} s of CPU "
        f"or out of memory\n{run.stderr[-2000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.fixture(autouse=True)
def _linux_only():
    if not Path("/proc/self/clear_refs").exists():
        pytest.skip("measuring peak memory needs Linux /proc")


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_pdf_costs_little_and_is_refused_with_a_sentence(
        name, tmp_path, pki, genuine, signature_blob):
    data = hostile_file(name, genuine, signature_blob)
    assert len(data) <= hostile_pdfs.UPLOAD_LIMIT

    result = measure(tmp_path, pki, genuine, data)

    assert result["cpu"] < CPU_SECONDS, result
    assert result["growth_mib"] <= MEMORY_MIB, result
    assert not result["signature_ok"] and not result["record"], result
    assert len(result["problems"]) == 1 and any(
        refusal in result["problems"][0] for refusal in REFUSALS), result


def test_the_genuine_certificate_still_checks_out_under_the_same_limits(tmp_path, pki, genuine):
    result = measure(tmp_path, pki, genuine, genuine)
    assert result["signature_ok"] and result["record"] and result["problems"] == [], result
    assert result["cpu"] < CPU_SECONDS and result["growth_mib"] <= MEMORY_MIB, result


@pytest.mark.parametrize("name", HOSTILE)
def test_the_public_upload_answers_a_hostile_pdf_with_a_4xx_page(
        name, browser, genuine, signature_blob):
    data = hostile_file(name, genuine, signature_blob)
    token = browser.token("/verify")
    started = time.process_time()
    response = browser.post("/verify", {"pdf": (io.BytesIO(data), "certificate.pdf"),
                                        "csrf_token": token},
                            content_type="multipart/form-data")
    cpu = time.process_time() - started
    text = response.get_data(as_text=True)
    assert response.status_code == 400, (response.status_code, text[:300])
    assert any(refusal in text for refusal in REFUSALS), text[:2000]
    assert cpu < CPU_SECONDS, f"{name}: {cpu:.2f} s of CPU for the whole request"
