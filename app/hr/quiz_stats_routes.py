"""HR's quiz statistics: how the organisation's learners answered each question of a course's
quizzes (views of the HR blueprint; the figures are `app.quizzes.item_stats`)."""
from __future__ import annotations

from flask import abort, render_template, request
from flask_babel import gettext as _

from app.auth.decorators import role_required
from app.extensions import db
from app.hr.routes import bp, own_organisation
from app.quizzes.forms import inline_html
from app.quizzes.item_stats import (
    FLAG_LABELS, THRESHOLDS, attempted_courses, course_item_statistics,
)

#: below this many learners a quiz's figures are not shown, so no one's answers can be read off
MIN_LEARNERS_SHOWN = 5


@bp.route("/quiz-stats")
@role_required("hr")
def quiz_stats():
    """Per question of a course's quizzes: the organisation's choices, difficulty, flags."""
    org = own_organisation()
    courses = attempted_courses(db.session, org.id)
    wanted = request.args.get("course", "")[:100]
    course = next((c for c in courses if c.slug == wanted), None) if wanted \
        else next(iter(courses), None)
    if wanted and course is None:
        abort(404, _("None of your organisation's learners has taken a quiz of that course."))
    quizzes = course_item_statistics(db.session, course, org.id) if course else []
    return render_template("hr/quiz_stats.html", org=org, courses=courses, course=course,
                           quizzes=quizzes, min_learners=MIN_LEARNERS_SHOWN,
                           markdown=inline_html, thresholds=THRESHOLDS, flag_labels=FLAG_LABELS)
