"""The flagship course taken end to end in the app: every lesson read and completed through its
page, every module quiz and the final exam passed, the capstone handed in through its page and
scored by a trainer against its rubric, and the certificate issued."""
from pathlib import Path

from markupsafe import escape

from sqlalchemy import select

from app.capstones import grading
from app.capstones.submissions import capstone_of
from app.clock import utcnow
from app.courses import services as course_services
from app.models import Certificate, CourseMaintainer
from app.models.quizzes import FINAL_EXAM_KEY
from tests.factories import take_quiz as take

COURSE_DIR = Path(__file__).resolve().parent.parent / "courses" / "okr-executive"


def score_top_marks(db, make_user, course) -> None:
    """A trainer of the course scores the waiting work with every criterion's top level."""
    trainer = make_user("trainer")
    db.session.add(CourseMaintainer(course_id=course.id, user_id=trainer.id))
    [row] = grading.queue(db.session, trainer, utcnow())
    spec = capstone_of(course.current_version)
    grading.claim(db.session, trainer, row.submission.id, utcnow())
    grading.grade(db.session, trainer, row.submission.id,
                  {c.id: c.max_points for c in spec.criteria},
                  {c.id: "Meets the top level." for c in spec.criteria}, "", utcnow())
    db.session.commit()


def test_the_executive_course_can_be_taken_to_a_certificate(app, db, browser, login_as,
                                                            make_user):
    course = course_services.import_course(db.session, COURSE_DIR).course
    db.session.commit()
    learner = login_as("learner", name="Morgan Executive")
    assert browser.post(f"/courses/{course.slug}/enrol", token_from=f"/courses/{course.slug}"
                        ).status_code in (302, 303)
    outline = course_services.course_outline(db.session, course)
    for module in outline:
        for lesson in module.lessons:
            path = f"/courses/{course.slug}/{module.slug}/{lesson.slug}"
            page = browser.get(path)
            assert page.status_code == 200, path
            assert str(escape(lesson.title)) in page.get_data(as_text=True)
            done = browser.post(f"{path}/complete", token_from=path)
            assert done.status_code in (302, 303), path
        take(db, learner, course, module.slug)
    take(db, learner, course, FINAL_EXAM_KEY)
    assert db.session.scalar(select(Certificate)) is None  # the capstone is still to pass
    capstone = f"/courses/{course.slug}/capstone"
    assert browser.post(capstone, {"text": "## Our OKRs\n\nObjective: ...", "submit": "Hand in"},
                        content_type="multipart/form-data").status_code == 303
    score_top_marks(db, make_user, course)
    certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == learner.id))
    assert certificate is not None and certificate.status == "active"
    assert certificate.holder_name == "Morgan Executive"
    assert certificate.course_title == "OKR Certification for Executives"
    assert certificate.pdf.startswith(b"%PDF") and certificate.capstone_assessed
    assert course_services.course_progress(db.session, learner, course).percent == 100
