"""`flask courses export`, `flask courses import-gift` and `flask courses maintainers`, added to
the `courses` group."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from app.authoring import services
from app.authoring.errors import StudioError
from app.authoring.gift import convert_gift
from app.authoring.sources import CourseSources, export_folder, version_sources
from app.clock import utcnow
from app.extensions import db


@click.command("export")
@click.argument("slug")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
@click.option("--draft", is_flag=True,
              help="Export the studio draft instead of the current version.")
@with_appcontext
def export_course(slug: str, directory: str | None, draft: bool) -> None:
    """Write course SLUG in the folder format to DIRECTORY/SLUG (default: COURSES_DIR).

    Files whose content did not change keep their exact bytes, so `git diff` shows only real
    edits; files no longer in the course are removed.
    """
    courses_dir = Path(current_app.config["COURSES_DIR"])
    course = services.find_course(db.session, slug)
    if course is None:
        raise click.ClickException(f"No course with the slug {slug!r}.")
    sources = _draft_sources(course) if draft else _published_sources(course, courses_dir)
    target = Path(directory or courses_dir) / slug
    try:
        changed = export_folder(target, sources)
    except FileExistsError as error:
        raise click.ClickException(str(error)) from None
    if sources.origin == "rebuilt":
        click.echo("Note: the original files of this version were not stored; they were rebuilt "
                   "from the published content (same content, formatting may differ).", err=True)
    click.echo(f"{target}: {len(changed)} file(s) written or removed, content hash "
               f"{sources.content_hash[:12]}.")


def _published_sources(course, courses_dir: Path) -> CourseSources:
    """The files of the current version."""
    if course.current_version is None:
        raise click.ClickException(f"{course.slug} has not been published yet: use --draft.")
    return version_sources(db.session, course.current_version, courses_dir)


def _draft_sources(course) -> CourseSources:
    """The files of the studio draft."""
    draft = services.find_draft(db.session, course)
    if draft is None:
        raise click.ClickException(f"{course.slug} has no studio draft.")
    return CourseSources(dict(draft.files), services.draft_assets(draft))


@click.command("import-gift")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", type=click.Path(dir_okay=False), help="Quiz file to write (default: print).")
@click.option("--title", help="Quiz title (default: from the file name).")
@click.option("--skip-unsupported", is_flag=True,
              help="Write the supported questions even when others cannot be converted.")
@with_appcontext
def import_gift(file: str, out: str | None, title: str | None, skip_unsupported: bool) -> None:
    """Convert a Moodle GIFT question bank FILE into a quiz in our dialect.

    Every question that cannot be converted is listed as FILE:line and nothing is written,
    unless --skip-unsupported is given.
    """
    path = Path(file)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise click.ClickException(f"{file} is not UTF-8 text.") from None
    quiz_title = title or path.stem.replace("-", " ").replace("_", " ").strip().capitalize()
    try:
        conversion = convert_gift(text, title=quiz_title or "Imported questions")
    except StudioError as error:
        raise click.ClickException(f"{file}: {error}") from None
    for problem in conversion.problems:
        click.echo(f"{file}:{problem.line}: {problem.severity}: {problem.message}", err=True)
    if not conversion.problems and not conversion.converted:
        raise click.ClickException(f"{file} holds no questions.")
    if not conversion.converted or (conversion.errors and not skip_unsupported):
        hint = "" if skip_unsupported else " (--skip-unsupported writes the others)"
        raise click.ClickException(f"{len(conversion.errors)} question(s) could not be "
                                   f"converted{hint}; nothing was written.")
    if out:
        Path(out).write_text(conversion.markdown, encoding="utf-8")
        click.echo(f"Wrote {conversion.converted} question(s) to {out}.", err=True)
    else:
        click.echo(conversion.markdown, nl=False)


@click.command("maintainers")
@click.argument("slug")
@click.option("--add", "add_email", metavar="EMAIL", help="Make this trainer a maintainer.")
@click.option("--remove", "remove_email", metavar="EMAIL", help="Remove this maintainer.")
@with_appcontext
def course_maintainers(slug: str, add_email: str | None, remove_email: str | None) -> None:
    """List the maintainers of course SLUG (the trainers who may edit it in the studio), after
    adding or removing one; the change is audited."""
    course = services.find_course(db.session, slug)
    if course is None:
        raise click.ClickException(f"No course with the slug {slug!r}.")
    try:
        if add_email:
            services.add_maintainer(db.session, None, course, add_email, utcnow())
        if remove_email:
            services.remove_maintainer(db.session, None, course, remove_email)
    except StudioError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    rows = services.course_maintainers(db.session, course)
    if not rows:
        click.echo(f"{slug} has no maintainer: only administrators can edit it in the studio.")
    for row in rows:
        click.echo(f"{row.user.email:<40} {row.user.name:<30} since {row.added_at:%Y-%m-%d}")
