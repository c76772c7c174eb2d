"""Render certificate PDFs with WeasyPrint and sign them (PAdES) with pyHanko.

Both libraries are imported on first use, not at module import: together they cost
about a second, which app start-up and most tests should not pay. A worker that issues
certificates calls :func:`warm_up` once.

Every certificate is PDF/A-3b, tagged, PDF 1.7 in header and catalog, its XMP metadata
agreeing with the document information; the signed record and the Open Badges credential
are embedded as associated files (``AFRelationship /Data``).

A template lives in ``certificates/<name>/``: ``certificate.html`` (Jinja, sandboxed, plain
values only), ``certificate.css`` and the fonts and assets they reference; the renderer reads
nothing outside that folder and fetches nothing from the network. Its fixed words go through
gettext (``{{ _("Issued %(date)s", date=...) }}``) and are printed in the certificate's language.
"""

from __future__ import annotations

import functools
import io
import json
import mimetypes
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from flask_babel import force_locale, gettext, ngettext, npgettext, pgettext
from flask_babel import lazy_gettext as _l
from jinja2 import FileSystemLoader, StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from app.certificates.design import CertificateFacts, sample_facts, template_context
from app.certificates.pki import PdfSigningConfig
from app.certificates.signing import ALGORITHM, KeyConfigError
from app.clock import utcnow

DEFAULT_TEMPLATE = "classic"
#: names a template went by before: course versions keep the name they were published with
TEMPLATE_ALIASES = {"default": "classic"}
HTML_FILE = "certificate.html"
CSS_FILE = "certificate.css"

#: Custom keys of the PDF document information dictionary.
INFO_PAYLOAD = "OKRAcademyPayload"
INFO_SIGNATURE = "OKRAcademySignature"
INFO_KEY_ID = "OKRAcademyKeyId"
#: Name of the embedded file that carries the signed payload.
ATTACHMENT_NAME = "certificate.json"
#: Name of the embedded file that carries the Open Badges credential.
CREDENTIAL_ATTACHMENT_NAME = "open-badge-credential.json"
#: WeasyPrint options of every certificate: PDF/A-3b (PDF 1.7, sRGB output intent, embedded
#: fonts, XMP metadata, associated files), tagged for assistive technology.
PDF_OPTIONS = {"pdf_variant": "pdf/a-3b", "pdf_tags": True}

SIGNATURE_FIELD = "CertificateSignature"
SIGNATURE_REASON = "Certificate issued by OKR Academy"

#: across every sample page, whatever the template: a preview is never taken for a certificate
SAMPLE_WORD = _l("SAMPLE")
SAMPLE_CSS = """
html::after {
  content: %s;
  position: absolute; top: 78mm; left: 0; right: 0;
  text-align: center; font-size: 100pt; font-weight: 700; letter-spacing: 0.3em;
  color: rgba(178, 34, 34, 0.2); transform: rotate(-18deg);
}
"""
_TEMPLATE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


class CertificateTemplateError(Exception):
    """A certificate template is missing, broken, or reaches outside its folder."""


@dataclass(slots=True)
class _PreparedTemplate:
    folder: Path
    base_url: str
    html: Any  # jinja2.Template
    stylesheets: list[Any]  # weasyprint.CSS
    font_config: Any  # weasyprint.text.fonts.FontConfiguration
    url_fetcher: Any  # weasyprint.urls.URLFetcher


class CertificateRenderer:
    """Turns certificate facts into an unsigned PDF using a template folder.

    Templates are parsed once per process and kept (fonts, CSS, Jinja); one renderer
    serves one thread at a time.
    """

    def __init__(self, templates_dir: Path, default_template: str = DEFAULT_TEMPLATE,
                 credential: Callable[[CertificateFacts], bytes] | None = None) -> None:
        self.templates_dir = Path(templates_dir).resolve()
        self.default_template = default_template
        #: gives the Open Badges credential (JSON bytes) to embed for the facts rendered
        self.credential = credential
        self._prepared: dict[str, _PreparedTemplate] = {}

    def template_names(self) -> list[str]:
        """List the template folders that hold a certificate.html."""
        return sorted(
            path.parent.name
            for path in self.templates_dir.glob(f"*/{HTML_FILE}")
            if _TEMPLATE_NAME.fullmatch(path.parent.name)
        )

    def render(self, facts: CertificateFacts, template: str | None = None) -> bytes:
        """Render one certificate as PDF bytes (not yet PDF-signed)."""
        from weasyprint import HTML
        from weasyprint.urls import FatalURLFetchingError

        moment = utcnow().replace(microsecond=0)
        try:
            prepared = self.prepare(template or self.default_template)
            stylesheets = [*prepared.stylesheets, *([self._sample(prepared, facts)] * facts.sample)]
            options = {"stylesheets": stylesheets, **PDF_OPTIONS}
            document = HTML(
                string=self._html(prepared, facts),
                base_url=prepared.base_url,
                url_fetcher=prepared.url_fetcher,
            ).render(font_config=prepared.font_config, **options)
            _describe(document.metadata, facts, moment)
            return document.write_pdf(
                attachments=self._attachments(facts, moment),
                finisher=_info_finisher(facts),
                **options,
            )
        except FatalURLFetchingError as exc:
            raise CertificateTemplateError(str(exc.__cause__ or exc)) from exc

    def _attachments(self, facts: CertificateFacts, moment: datetime) -> list[Any]:
        from weasyprint import Attachment

        files = [(embedded_record(facts).encode("utf-8"), ATTACHMENT_NAME,
                  "Signed certificate record (Ed25519 over payload)")]
        credential = facts.credential_json or (self.credential and self.credential(facts))
        if credential:
            files.append((credential, CREDENTIAL_ATTACHMENT_NAME,
                          "Open Badges 3.0 credential (OpenBadgeCredential)"))
        return [Attachment(string=content, name=name, description=description,
                           relationship="Data", created=moment, modified=moment)
                for content, name, description in files]

    def prepare(self, name: str) -> _PreparedTemplate:
        """Parse a template's HTML, CSS and fonts once and keep them."""
        name = TEMPLATE_ALIASES.get(name, name)
        if name not in self._prepared:
            self._prepared[name] = self._load(name)
        return self._prepared[name]

    def _load(self, name: str) -> _PreparedTemplate:
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        folder = self._folder(name)
        base_url = folder.as_uri() + "/"
        fetcher = _folder_fetcher(folder)
        environment = SandboxedEnvironment(
            loader=FileSystemLoader(folder), autoescape=True, undefined=StrictUndefined,
            extensions=["jinja2.ext.i18n"],
        )
        environment.install_gettext_callables(gettext, ngettext, newstyle=True,
                                              pgettext=pgettext, npgettext=npgettext)
        try:
            html = environment.get_template(HTML_FILE)
        except TemplateError as exc:
            raise CertificateTemplateError(f"{folder / HTML_FILE}: {exc}") from exc
        font_config = FontConfiguration()
        stylesheets = []
        if (folder / CSS_FILE).is_file():
            stylesheets.append(
                CSS(
                    string=(folder / CSS_FILE).read_text("utf-8"),
                    base_url=base_url,
                    url_fetcher=fetcher,
                    font_config=font_config,
                )
            )
        return _PreparedTemplate(folder, base_url, html, stylesheets, font_config, fetcher)

    def _sample(self, prepared: _PreparedTemplate, facts: CertificateFacts) -> Any:
        """The SAMPLE mark across the page, in the facts' language (weasyprint.CSS)."""
        from weasyprint import CSS

        with force_locale(facts.locale):
            word = json.dumps(str(SAMPLE_WORD))
        return CSS(string=SAMPLE_CSS % word, font_config=prepared.font_config)

    def _folder(self, name: str) -> Path:
        if not _TEMPLATE_NAME.fullmatch(name):
            raise CertificateTemplateError(
                f"Certificate template name {name!r} must be lower-case letters, digits, "
                "'-' or '_'."
            )
        folder = self.templates_dir / name
        if not (folder / HTML_FILE).is_file():
            raise CertificateTemplateError(
                f"Certificate template {name!r} not found: {folder / HTML_FILE} is missing."
            )
        return folder

    def _html(self, prepared: _PreparedTemplate, facts: CertificateFacts) -> str:
        try:
            with force_locale(facts.locale):
                return prepared.html.render(template_context(facts))
        except TemplateError as exc:
            raise CertificateTemplateError(f"{prepared.folder / HTML_FILE}: {exc}") from exc


def embedded_record(facts: CertificateFacts) -> str:
    """Return the JSON embedded as certificate.json: the exact signed payload and signature."""
    record = {
        "payload": facts.payload_json,
        "signature": facts.signature,
        "kid": facts.key_id,
        "alg": ALGORITHM,
    }
    return json.dumps(record, ensure_ascii=False, indent=2)


def _describe(metadata: Any, facts: CertificateFacts, moment: datetime) -> None:
    """Dates and creator, which WeasyPrint writes to the information and XMP metadata alike."""
    from weasyprint import __version__ as weasyprint_version

    metadata.created = metadata.modified = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    metadata.generator = f"{facts.issuer_name} certificates (WeasyPrint {weasyprint_version})"


def _info_finisher(facts: CertificateFacts) -> Callable[[Any, Any], None]:
    def add_info(document: Any, pdf: Any) -> None:
        import pydyf

        pdf.info[INFO_PAYLOAD] = pydyf.String(facts.payload_json)
        pdf.info[INFO_SIGNATURE] = pydyf.String(facts.signature)
        pdf.info[INFO_KEY_ID] = pydyf.String(facts.key_id)
        # WeasyPrint lists each attachment in the catalog's /AF twice (once from the
        # embedded-files name tree, once as a file specification): keep each once.
        if "AF" in pdf.catalog:
            pdf.catalog["AF"] = pydyf.Array(dict.fromkeys(pdf.catalog["AF"]))

    return add_info


def _folder_fetcher(folder: Path) -> Any:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class TemplateFolderFetcher(URLFetcher):
        """Serves files inside one template folder and data: URLs; refuses the rest."""

        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            scheme = urlsplit(url).scheme.lower()
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme != "file":
                raise CertificateTemplateError(
                    f"Certificate templates may not load {url}: only files in their own folder."
                )
            path = Path(unquote(urlsplit(url).path)).resolve()
            if not path.is_relative_to(folder) or not path.is_file():
                raise CertificateTemplateError(
                    f"Certificate template file {path} is missing or outside {folder}."
                )
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(
                url, path.read_bytes(), headers={"Content-Type": content_type}
            )

    return TemplateFolderFetcher(fail_on_errors=True, allowed_protocols=("file", "data"))


@dataclass(slots=True)
class PdfSigner:
    """Adds a PAdES-B-B certification signature to a PDF with the configured X.509 key."""

    config: PdfSigningConfig
    signer_name: str = "OKR Academy"
    reason: str = SIGNATURE_REASON
    location: str | None = None
    contact_info: str | None = None
    _signer: Any = field(default=None, init=False, repr=False)
    _bytes_reserved: int = field(default=0, init=False, repr=False)

    def sign(self, pdf: bytes) -> bytes:
        """Return the PDF with an incremental update holding the signature."""
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

        signer = self.load()
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        _name_producer(writer)
        output = _pdf17_signer_class()(self._metadata(), signer).sign_pdf(
            writer, bytes_reserved=self._bytes_reserved
        )
        return output.getvalue()

    def load(self) -> Any:
        """Load the key and certificates (once) and return pyHanko's signer."""
        if self._signer is None:
            from pyhanko.sign import signers

            signer = signers.SimpleSigner.load(
                str(self.config.key_path),
                str(self.config.cert_path),
                ca_chain_files=[str(path) for path in self.config.chain_paths],
                key_passphrase=self.config.key_passphrase,
            )
            if signer is None:
                raise KeyConfigError(
                    f"Cannot load the PDF signing key {self.config.key_path} with "
                    f"certificate {self.config.cert_path}."
                )
            self._bytes_reserved = _bytes_to_reserve(signer)
            signer.signed_attr_prov_spec = _signed_attributes_spec(signer.signing_cert)
            self._signer = signer
        return self._signer

    def _metadata(self) -> Any:
        from pyhanko.sign import fields, signers

        return signers.PdfSignatureMetadata(
            field_name=SIGNATURE_FIELD,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            name=self.signer_name,
            reason=self.reason,
            location=self.location,
            contact_info=self.contact_info,
            # A certification signature that allows no change: readers show the document
            # as certified, and any later edit invalidates it.
            certify=True,
            docmdp_permissions=fields.MDPPerm.NO_CHANGES,
        )


@functools.cache
def _pdf17_signer_class() -> type:
    """pyHanko's signer declaring only PAdES's PDF 1.7 extension: for a P-256 key it also
    declares ISO 32002 and sets the catalog to PDF 2.0, while PDF/A-3 is PDF 1.7."""
    from pyhanko.sign import signers
    from pyhanko.sign.signers import constants

    class Pdf17Signer(signers.PdfSigner):
        def register_extensions(self, pdf_out: Any, *, md_algorithm: str) -> None:
            pdf_out.ensure_output_version(version=(1, 7))
            pdf_out.register_extension(constants.ESIC_EXTENSION_1)

    return Pdf17Signer


def _name_producer(writer: Any) -> None:
    """Signing appends pyHanko's name to the information /Producer but replaces the XMP one;
    PDF/A wants both equal. WeasyPrint stays named in /Creator (xmp:CreatorTool)."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.metadata.model import VENDOR

    info_ref = writer.trailer.raw_get("/Info")
    info = info_ref.get_object()
    if info.get("/Producer") != VENDOR:
        info["/Producer"] = generic.TextStringObject(VENDOR)
        writer.mark_update(info_ref)


def _signed_attributes_spec(signing_cert: Any) -> Any:
    """PAdES signed attributes with the signing-certificate-v2 value built once per signer.

    That attribute (a hash and the issuer's name of our certificate) never changes, yet pyHanko
    builds it for every signature, and asn1crypto re-encodes a value it built itself each time
    a parent is encoded: about 1,000 nested encodings, 14 of the 16 ms a signature took.
    """
    from pyhanko.sign.attributes import CMSAttributeProvider, SignedAttributeProviderSpec
    from pyhanko.sign.general import as_signing_certificate_v2, simple_cms_attribute

    built = simple_cms_attribute("signing_certificate_v2", as_signing_certificate_v2(signing_cert))
    # parsed back from its DER: asn1crypto reuses the bytes of a value it parsed
    attribute = type(built).load(built.dump())

    class SigningCertificate(CMSAttributeProvider):
        attribute_type = "signing_certificate_v2"

        async def get_attribute(self, dry_run: bool = False) -> Any:
            return attribute

    class PadesAttributes(SignedAttributeProviderSpec):
        def signed_attr_providers(self, data_digest: bytes, digest_algorithm: str):
            # PAdES forbids the CMS signing-time attribute: the time is in the signature dict
            yield SigningCertificate()

    return PadesAttributes()


def _bytes_to_reserve(signer: Any) -> int:
    # pyHanko counts the placeholder in hex digits, two per byte of the CMS blob, which
    # holds the certificates plus signed attributes and an ECDSA signature (well under
    # 1 KiB). A fixed reservation spares pyHanko a dummy signing pass per document.
    certificates = [signer.signing_cert, *signer.cert_registry]
    cms_bytes = sum(len(cert.dump()) for cert in certificates) + 1024
    return 2 * (-(-cms_bytes // 256) * 256)


def issue_pdf(renderer: CertificateRenderer, signer: PdfSigner, facts: CertificateFacts,
              template: str | None = None) -> bytes:
    """Render a certificate and sign it: the bytes to store and hand out."""
    return signer.sign(renderer.render(facts, template))


def warm_up(renderer: CertificateRenderer | None = None, signer: PdfSigner | None = None) -> None:
    """Pay import, font and key-loading costs once, e.g. when a worker starts."""
    import pyhanko.sign  # noqa: F401
    import segno  # noqa: F401
    import weasyprint  # noqa: F401

    if signer is not None:
        signer.load()
    if renderer is not None:
        unsigned = renderer.render(sample_facts())
        if signer is not None:
            signer.sign(unsigned)
