"""The certificate settings of course.md: the achievement line and the signatory.

```yaml
achievement: Can write, communicate and review company-level OKRs.
signatory: {name: Dr. Amara Okafor, title: Academy Director, signature: assets/okafor.svg}
```

The signature image is one of the course's assets, so it is stored with the version and checked
like every asset (an SVG must be a plain drawing).
"""
from __future__ import annotations

from app.courses.assets import AssetSpec, asset_reference
from app.courses.frontmatter import Settings
from app.courses.spec import SignatorySpec
from app.courses.svg import SVG_TYPE

#: the achievement line is printed on one or two lines of the certificate
ACHIEVEMENT_MAX_LENGTH = 160
SIGNATORY_KEYS = ("name", "title", "signature")
SIGNATORY_TEXT_MAX_LENGTH = 60
SIGNATURE_TYPES = (SVG_TYPE, "image/png")
SIGNATURE_MAX_BYTES = 256 * 1024
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_SIGNATORY_EXAMPLE = ("{name: Dr. Amara Okafor, title: Academy Director, "
                      "signature: assets/signature.svg}")


def read_achievement(settings: Settings) -> str:
    """`achievement`: what a holder can now do, one sentence on one line."""
    text = settings.text("achievement")
    if "\n" in text:
        settings.error("achievement", "'achievement' is one sentence on one line")
        return ""
    if len(text) > ACHIEVEMENT_MAX_LENGTH:
        settings.error("achievement", f"'achievement' is {len(text)} characters long: keep it to "
                                      f"{ACHIEVEMENT_MAX_LENGTH} so it fits on the certificate")
        return ""
    return text


def read_signatory(settings: Settings, assets: tuple[AssetSpec, ...]) -> SignatorySpec | None:
    """`signatory`: who signs the certificates, with a signature image from assets/."""
    value = settings.raw("signatory")
    if value is None:
        return None
    if not isinstance(value, dict):
        settings.error("signatory", f"'signatory' must give name, title and signature, such as "
                                    f"{_SIGNATORY_EXAMPLE}")
        return None
    problems = [f"'signatory' has no setting '{key}' (it takes {', '.join(SIGNATORY_KEYS)})"
                for key in value if key not in SIGNATORY_KEYS]
    name, title = (_signatory_text(value, key, problems) for key in ("name", "title"))
    signature = _signature_path(value.get("signature"), assets, problems)
    for problem in problems:
        settings.error("signatory", problem)
    if problems or not (name and title and signature):
        return None
    return SignatorySpec(name=name, title=title, signature=signature)


def _signatory_text(value: dict, key: str, problems: list[str]) -> str:
    text = value.get(key)
    if isinstance(text, bool) or not isinstance(text, (str, int, float)) or not str(text).strip():
        problems.append(f"'signatory' needs a {key} (text)")
        return ""
    text = " ".join(str(text).split())
    if len(text) > SIGNATORY_TEXT_MAX_LENGTH:
        problems.append(f"the signatory's {key} is {len(text)} characters long: keep it to "
                        f"{SIGNATORY_TEXT_MAX_LENGTH}")
        return ""
    return text


def _signature_path(href: object, assets: tuple[AssetSpec, ...], problems: list[str]) -> str:
    """The signature's path relative to assets/, once it names an SVG or PNG asset."""
    if not isinstance(href, str) or not href.strip():
        problems.append("'signatory' needs a signature: an SVG or PNG in the course's assets/ "
                        "folder, such as assets/signature.svg")
        return ""
    path = asset_reference(href.strip(), depth=0)
    asset = next((a for a in assets if a.path == path), None) if path else None
    if asset is None:
        problems.append(f"the signature '{href}' is not a file in the course's assets/ folder")
        return ""
    if asset.content_type not in SIGNATURE_TYPES:
        problems.append(f"the signature '{href}' must be an SVG or PNG image")
        return ""
    if asset.content_type == "image/png" and not asset.data.startswith(_PNG_MAGIC):
        problems.append(f"the signature '{href}' is not a PNG image")
        return ""
    if len(asset.data) > SIGNATURE_MAX_BYTES:
        problems.append(f"the signature '{href}' is {len(asset.data) // 1024} KB: keep it under "
                        f"{SIGNATURE_MAX_BYTES // 1024} KB")
        return ""
    return asset.path
