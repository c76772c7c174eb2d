"""Certificate budgets: render + both signatures against a bare WeasyPrint render of the same
HTML, and bulk issuance against bare render + sign on the same cores."""
from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _engine(tmp: Path):
    from app.certificates.pdf import CertificateRenderer, PdfSigner, warm_up
    from app.certificates.pki import ensure_dev_pki
    from app.certificates.signing import KeyRing

    keyring = KeyRing.from_directory(tmp / "keys", create=True)
    renderer = CertificateRenderer(ROOT / "certificates")
    signer = PdfSigner(ensure_dev_pki(tmp / "keys"), signer_name="OKR Academy")
    warm_up(renderer, signer)
    return keyring, renderer, signer


def _signed_facts(keyring, index: int):
    from app.certificates.codes import new_code
    from app.certificates.pdf import sample_facts
    from app.certificates.signing import canonical_payload

    facts = sample_facts(code=new_code(), holder_name=f"Executive Number {index}")
    payload = canonical_payload({
        "code": facts.code, "holder_name": facts.holder_name, "course_title": facts.course_title,
        "course_slug": facts.course_slug, "course_version": facts.course_version,
        "issued_on": facts.issued_on, "expires_on": facts.expires_on, "issuer": facts.issuer_url,
    })
    kid, signature = keyring.sign(payload)
    return replace(facts, payload_json=payload.decode(), signature=signature, key_id=kid)


def _bare_render(renderer, facts) -> bytes:
    """WeasyPrint alone on the very HTML and CSS the certificate uses (no attachment, no
    metadata, no signatures)."""
    from weasyprint import HTML

    prepared = renderer.prepare("default")
    html = renderer._html(prepared, facts)
    return HTML(string=html, base_url=prepared.base_url, url_fetcher=prepared.url_fetcher) \
        .write_pdf(stylesheets=prepared.stylesheets, font_config=prepared.font_config)


def certificate_render(_seconds: float, runs: int = 30) -> dict:
    with tempfile.TemporaryDirectory(prefix="okr-bench-cert-") as tmp:
        keyring, renderer, signer = _engine(Path(tmp))
        full, bare = [], []
        for index in range(runs):  # interleaved, so drift hits both alike
            started = time.perf_counter()
            facts = _signed_facts(keyring, index)
            signer.sign(renderer.render(facts))
            full.append(time.perf_counter() - started)
            started = time.perf_counter()
            _bare_render(renderer, facts)
            bare.append(time.perf_counter() - started)
        full_ms, bare_ms = statistics.median(full) * 1000, statistics.median(bare) * 1000
        return {
            "name": f"Certificate: render + Ed25519 payload + PAdES signature (median of {runs})",
            "measured": f"{full_ms:.0f} ms",
            "baseline": f"{bare_ms:.0f} ms (bare WeasyPrint render, same HTML/CSS/fonts)",
            "ratio": full_ms / bare_ms,
            "budget": "<= 1.40x",
            "ok": full_ms / bare_ms <= 1.40,
        }
