"""Certificate budgets: render + both signatures against a bare WeasyPrint render of the same
HTML, and bulk issuance against bare render + sign on the same cores."""
from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bench.rounds import MIN_PAIRS, interleave, span

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


def certificate_render(_seconds: float, pairs: int = 10, per_round: int = 5) -> dict:
    """`pairs` pairs of rounds: `per_round` documents with the full issue-time work, then the
    bare render of the same facts."""
    with tempfile.TemporaryDirectory(prefix="okr-bench-cert-") as tmp:
        keyring, renderer, signer = _engine(Path(tmp))
        facts = []

        def full() -> float:
            started = time.perf_counter()
            facts[:] = [_signed_facts(keyring, index) for index in range(per_round)]
            for signed in facts:
                signer.sign(renderer.render(signed))
            return (time.perf_counter() - started) / per_round

        def bare() -> float:
            started = time.perf_counter()
            for signed in facts:
                _bare_render(renderer, signed)
            return (time.perf_counter() - started) / per_round

        rounds, _ = interleave(full, bare, pairs=pairs, ratio=lambda a, b: a / b)
        full_ms = [seconds * 1000 for seconds in rounds.measured]
        bare_ms = [seconds * 1000 for seconds in rounds.baseline]
        return {
            "name": "Certificate: render + Ed25519 payload + PAdES signature (mean of "
                    f"{per_round} documents per round)",
            "measured": f"{span(full_ms)} ms",
            "baseline": f"{span(bare_ms)} ms (bare WeasyPrint render, same HTML/CSS/fonts)",
            **rounds.spread(),
            "budget": "<= 1.40x",
            "ok": rounds.ratio <= 1.40,
        }


def _bulk_worker(env: dict, ready, commands, results) -> None:
    """One process: warm up, then per command issue certificates to the learners it names
    ("issue", ids) or bare render + sign as many documents ("bare", ids); None ends it."""
    import os
    from datetime import datetime, timezone

    os.environ.update(env)
    from app import create_app
    from app.certificates import services as certificates
    from app.certificates.extension import issuer_for
    from app.certificates.issuer import shared_renderer
    from app.certificates.pdf import warm_up
    from app.courses.services import find_course
    from app.extensions import db
    from app.models import User

    app = create_app()
    with app.app_context():
        issuer = issuer_for(app)
        keyring = issuer.keyring
        renderer = shared_renderer(issuer.settings.templates_dir)
        warm_up(None, issuer.signer)
        issuer.render_and_sign(_signed_facts(keyring, 0))
        course = find_course(db.session, "okr-executive")
        ready.put(os.getpid())
        for kind, user_ids in iter(commands.get, None):
            for index, user_id in enumerate(user_ids):
                if kind == "issue":
                    user = db.session.get(User, user_id)
                    certificates.issue_certificate(db.session, user, course,
                                                   datetime.now(timezone.utc), issuer=issuer)
                    db.session.commit()
                else:
                    issuer.signer.sign(renderer.render(_signed_facts(keyring, index)))
            results.put(len(user_ids))


class _BulkProcesses:
    """Warm worker processes that take rounds of work together; a round's time is the wall
    time until the last of them is done."""

    def __init__(self, env: dict, processes: int) -> None:
        import multiprocessing as mp

        context = mp.get_context("spawn")
        self.ready, self.results = context.Queue(), context.Queue()
        self.commands = [context.Queue() for _ in range(processes)]
        self.workers = [context.Process(target=_bulk_worker,
                                        args=(env, self.ready, queue, self.results))
                        for queue in self.commands]
        for worker in self.workers:
            worker.start()
        for _ in self.workers:
            self.ready.get(timeout=120)

    def round(self, kind: str, user_ids: list[int]) -> float:
        started = time.perf_counter()
        for number, queue in enumerate(self.commands):
            queue.put((kind, user_ids[number::len(self.commands)]))
        for _ in self.commands:
            self.results.get(timeout=1800)
        return time.perf_counter() - started

    def close(self) -> None:
        for queue in self.commands:
            queue.put(None)
        for worker in self.workers:
            worker.join(timeout=60)


def bulk_issuance(_seconds: float, count: int = 1000, processes: int = 2,
                  pairs: int = MIN_PAIRS) -> dict:
    """Issue `count` certificates through the real service (PostgreSQL, one transaction each)
    against bare render + sign of as many documents, both on `processes` warm processes, in
    `pairs` interleaved rounds of count / pairs each."""
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
        share = count // pairs
        batches = iter([user_ids[start:start + share] for start in range(0, count, share)])
        workers = _BulkProcesses(env, processes)
        try:
            batch = []

            def issue() -> float:
                batch[:] = next(batches)
                return workers.round("issue", batch)

            rounds, _ = interleave(issue, lambda: workers.round("bare", batch), pairs=pairs,
                                   ratio=lambda issued, bare: bare / issued)
        finally:
            workers.close()
        with app.app_context():
            from sqlalchemy import func, select

            from app.models import Certificate

            stored = db.session.scalar(select(func.count(Certificate.id)))
            db.engine.dispose()
        assert stored == share * pairs, f"{stored} certificates stored, expected {share * pairs}"
        issued = [share / seconds for seconds in rounds.measured]
        bare = [share / seconds for seconds in rounds.baseline]
        return {
            "name": f"Bulk issuance of {share * pairs} certificates ({processes} processes, "
                    f"PostgreSQL, {pairs} rounds of {share})",
            "measured": f"{span(issued, '{:.1f}')} certificates/s "
                        f"({sum(rounds.measured):.0f} s in all)",
            "baseline": f"{span(bare, '{:.1f}')} documents/s (bare render + PAdES sign, "
                        f"{sum(rounds.baseline):.0f} s in all)",
            **rounds.spread(),
            "budget": ">= 0.80x",
            "ok": rounds.ratio >= 0.80,
        }
