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

    facts = sample_facts(code=new_code(), holder_name=f"Executive Number {index}")
    payload = facts.payload.canonical_bytes()
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


def _bulk_worker(kind: str, env: dict, user_ids: list[int], ready, start, results) -> None:
    """One process: warm up, wait for the starting signal, then issue (or bare render + sign)."""
    import os
    from datetime import datetime, timezone

    os.environ.update(env)
    from app import create_app
    from app.certificates import services as certificates
    from app.certificates.extension import issuer_for
    from app.certificates.pdf import warm_up
    from app.courses.services import find_course
    from app.extensions import db
    from app.models import User

    app = create_app()
    with app.app_context():
        issuer = issuer_for(app)
        keyring = issuer.keyring
        from app.certificates.issuer import shared_renderer

        renderer = shared_renderer(issuer.settings.templates_dir)
        warm_up(None, issuer.signer)
        issuer.render_and_sign(_signed_facts(keyring, 0))
        course = find_course(db.session, "okr-executive")
        ready.put(os.getpid())
        start.wait()
        started = time.perf_counter()
        for index, user_id in enumerate(user_ids):
            if kind == "issue":
                user = db.session.get(User, user_id)
                certificates.issue_certificate(db.session, user, course,
                                               datetime.now(timezone.utc), issuer=issuer)
                db.session.commit()
            else:
                issuer.signer.sign(renderer.render(_signed_facts(keyring, index)))
        results.put(time.perf_counter() - started)


def _run_bulk(kind: str, env: dict, user_ids: list[int], processes: int) -> float:
    import multiprocessing as mp

    context = mp.get_context("spawn")
    ready, results, start = context.Queue(), context.Queue(), context.Event()
    shares = [user_ids[i::processes] for i in range(processes)]
    workers = [context.Process(target=_bulk_worker, args=(kind, env, share, ready, start, results))
               for share in shares]
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.get(timeout=120)
    started = time.perf_counter()
    start.set()
    for _ in workers:
        results.get(timeout=1800)
    elapsed = time.perf_counter() - started
    for worker in workers:
        worker.join()
    return elapsed


def bulk_issuance(_seconds: float, count: int = 1000, processes: int = 2) -> dict:
    """Issue `count` certificates through the real service (PostgreSQL, one transaction each)
    against bare render + sign of as many documents, both on `processes` processes."""
    from bench.pg import temporary_database
    from bench.scenarios_web import app_env, prepare_instance
    from bench.seed import seed_certified_learners

    with tempfile.TemporaryDirectory(prefix="okr-bench-bulk-") as tmp, \
            temporary_database() as database_url:
        env = app_env(Path(tmp), database_url)
        prepared = prepare_instance(env)
        app = prepared["app"]
        from app.courses.services import find_course
        from app.extensions import db

        with app.app_context():
            course = find_course(db.session, "okr-executive")
            user_ids = seed_certified_learners(db.session, course, count, prefix="bulk")
            db.session.commit()
            db.engine.dispose()
        bare = _run_bulk("bare", env, user_ids, processes)
        issued = _run_bulk("issue", env, user_ids, processes)
        with app.app_context():
            from sqlalchemy import func, select

            from app.models import Certificate

            stored = db.session.scalar(select(func.count(Certificate.id)))
            db.engine.dispose()
        assert stored == count, f"{stored} certificates stored, expected {count}"
        ratio = bare / issued  # throughput ratio
        return {
            "name": f"Bulk issuance of {count} certificates ({processes} processes, PostgreSQL)",
            "measured": f"{count / issued:.1f} certificates/s ({issued:.0f} s)",
            "baseline": f"{count / bare:.1f} documents/s (bare render + PAdES sign, {bare:.0f} s)",
            "ratio": ratio,
            "budget": ">= 0.80x",
            "ok": ratio >= 0.80,
        }
