"""Reading an uploaded PDF within fixed limits, so a hostile file costs no more than ours do.

A certificate of ours is about 100 KB: two revisions, a few dozen objects, one signature field
and one small embedded record. The PDF parser (pyHanko, pure Python) spends about a microsecond
and a hundred bytes of memory per byte of syntax it reads, and some constructs cost far more
than their size: a cross-reference stream that declares millions of entries in a few bytes, an
object stream whose header lists a million objects, fields that share their children so a walk
visits them exponentially often, a byte range that hashes the file again and again, a stream
that inflates a thousandfold. So the reader here:

* meters every read from the upload (syntax and bulk bytes, object streams included) and stops
  at a budget far above what a certificate needs;
* follows the chain of cross-reference sections itself, with the parser's own primitives,
  before the parser does, and refuses encrypted files and implausible entry counts;
* caps decoded stream sizes, and the form fields and name-tree nodes it visits;
* reads at most one embedded file, refusing filter chains, unknown filters and any size above
  :data:`MAX_RECORD_BYTES` before and while it inflates.

Whatever goes beyond a limit raises :class:`PdfTooComplex`. This module imports pyHanko, so
import it on first use.
"""

from __future__ import annotations

import io
import logging
import os
import zlib
from collections.abc import Iterator
from typing import Any

from pyhanko.pdf_utils import generic, misc
from pyhanko.pdf_utils.decode_limits import (
    DEFAULT_PURPOSE_LIMITS,
    DecodeLimits,
    DecodePurpose,
    DocumentDecodeBudget,
    StreamDecodeLimits,
)
from pyhanko.pdf_utils.reader import PdfFileReader, process_data_at_eof
from pyhanko.pdf_utils.xref import parse_xref_table, read_object_header

_KIB = 1024
_MIB = 1024 * _KIB

#: bytes of PDF syntax parsed (dictionaries, arrays, strings...), all objects together; a
#: certificate of ours needs about 10 KB
MAX_SYNTAX_BYTES = 256 * _KIB
#: revisions (cross-reference sections): ours have two, the issued one and the signature
MAX_REVISIONS = 16
#: cross-reference entries of all revisions together: ours declare about seventy
MAX_OBJECTS = 20_000
#: objects one object stream may list: ours hold about forty
MAX_OBJECT_STREAM_OBJECTS = 1_000
#: form fields (and their kids) visited: ours have one, the signature
MAX_FORM_FIELDS = 32
#: nodes of the embedded-files name tree visited: ours have one
MAX_NAME_TREE_NODES = 64
#: nesting of form fields and name-tree nodes
MAX_TREE_DEPTH = 8
#: the embedded certificate.json, compressed and inflated: ours is under 2 KB
MAX_RECORD_BYTES = 64 * _KIB
#: the CMS blob of the signature: ours is under 4 KB
MAX_SIGNATURE_BYTES = 64 * _KIB
#: certificates the CMS blob may carry: ours carries the signer's chain
MAX_SIGNATURE_CERTIFICATES = 16

_SMALL_READ = 64
_DECODE_LIMITS = DecodeLimits(
    per_stream=StreamDecodeLimits(max_output_size=_MIB),
    per_purpose={
        **DEFAULT_PURPOSE_LIMITS,
        DecodePurpose.OBJECT_STREAM: StreamDecodeLimits(max_output_size=256 * _KIB),
        DecodePurpose.XREF_STREAM: StreamDecodeLimits(max_output_size=256 * _KIB),
    },
    document_budget=DocumentDecodeBudget(base_allowance=2 * _MIB, max_ratio=0),
)


class PdfTooComplex(Exception):  # noqa: N818 - a refusal, not a failure of ours
    """The PDF goes far beyond what a certificate of ours contains; it is not read further.

    Deliberately not a ``ValueError`` or a parser error, which the parser may catch and
    carry on from.
    """


def refused(error: BaseException, meter: Meter) -> bool:
    """True when reading failed because the PDF went beyond a limit, even if the parser
    wrapped the refusal in an error of its own or swallowed it and failed later."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, PdfTooComplex | RecursionError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return meter.overspent is not None


class Meter:
    """What reading an upload may still cost; once overspent, every further read fails."""

    def __init__(self, data_size: int) -> None:
        self.syntax_left = MAX_SYNTAX_BYTES
        self.bulk_left = 2 * data_size + _MIB
        self.overspent: str | None = None

    def charge(self, requested: int, returned: int) -> None:
        """Count one read: small reads are syntax being parsed, large ones bulk data."""
        if self.overspent:
            raise PdfTooComplex(self.overspent)
        if 0 <= requested <= _SMALL_READ:
            self.syntax_left -= max(1, returned)  # a read at the end of the file costs too
        else:
            self.bulk_left -= max(1, returned)
        if self.syntax_left < 0 or self.bulk_left < 0:
            self.overspent = "reading it would take far more work than a certificate needs"
            raise PdfTooComplex(self.overspent)

    def check(self) -> None:
        """Raise if the budget was overspent, even if the parser swallowed the error."""
        if self.overspent:
            raise PdfTooComplex(self.overspent)


class _MeteredBytes(io.BytesIO):
    """The upload's bytes, charging every read to a meter."""

    def __init__(self, data: bytes, meter: Meter) -> None:
        super().__init__(data)
        self._meter = meter

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self._meter.charge(-1 if size is None else size, len(chunk))
        return chunk

    read1 = read

    def readline(self, size: int | None = -1) -> bytes:
        line = super().readline(size)
        self._meter.charge(-1, len(line))
        return line

    def readinto(self, buffer: Any) -> int:
        count = super().readinto(buffer)
        self._meter.charge(-1, count)
        return count


class BoundedReader(PdfFileReader):
    """A pyHanko reader over untrusted bytes, within this module's limits."""

    def __init__(self, data: bytes, meter: Meter) -> None:
        self.meter = meter
        self._object_streams: dict[int, tuple[dict[int, int], bytes]] = {}
        self._opening: set[int] = set()
        source = _MeteredBytes(data, self.meter)
        screen_cross_references(source)
        super().__init__(source, strict=False, decode_limits=_DECODE_LIMITS)

    def _get_object_from_stream(self, idnum: int, stmnum: int, idx: int) -> Any:
        """An object from an object stream, indexed once and parsed through the meter.

        Overrides pyHanko's own, which parses the stream's header again for every object it
        reads, outside any meter (idx, the position the cross-reference gives, is not needed).
        """
        offsets, data = self._object_stream(stmnum)
        start = offsets.get(idnum)
        if start is None:
            return generic.NullObject()
        source = _MeteredBytes(data, self.meter)
        source.seek(start)
        found = generic.read_object(source, generic.Reference(idnum, 0, self))
        if isinstance(found, generic.StreamObject | generic.IndirectObject):
            raise misc.PdfReadError("An object stream may not hold streams or references.")
        return found

    def _object_stream(self, number: int) -> tuple[dict[int, int], bytes]:
        if number in self._object_streams:
            return self._object_streams[number]
        if number in self._opening:
            raise misc.PdfReadError("An object stream refers to itself.")
        self._opening.add(number)
        stream = generic.Reference(number, 0, self).get_object()
        if not isinstance(stream, generic.StreamObject) or value_of(stream, "/Type") != "/ObjStm":
            raise misc.PdfReadError("Not an object stream.")
        count, first = _plain_int(value_of(stream, "/N")), _plain_int(value_of(stream, "/First"))
        if count is None or first is None or first < 0 or not (
            0 <= count <= MAX_OBJECT_STREAM_OBJECTS
        ):
            raise PdfTooComplex(f"an object stream lists {value_of(stream, '/N')!r} objects")
        flate_at_most(stream)
        data = stream.read_data(DecodePurpose.OBJECT_STREAM)
        header = data[:first]
        self.meter.charge(0, len(header))
        numbers = [int(token) for token in header.split()[: 2 * count]]
        if len(numbers) < 2 * count:
            raise misc.PdfReadError("The object stream's header is too short.")
        offsets: dict[int, int] = {}
        for index in range(count):
            offsets.setdefault(numbers[2 * index], first + numbers[2 * index + 1])
        self._object_streams[number] = (offsets, data)
        return offsets, data


class _RepeatedKeyWarnings(logging.Filter):
    """Drops the parser's warning about a key repeated in a dictionary: a hostile file can
    repeat one a hundred thousand times, and the warning says nothing anyone acts on."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Multiple definitions in dictionary")


logging.getLogger(generic.__name__).addFilter(_RepeatedKeyWarnings())


def screen_cross_references(source: io.BytesIO) -> None:
    """Follow the cross-reference chain as the parser will, refusing what ours never have.

    A cross-reference stream declares its entry count in its dictionary, and the parser
    produces that many entries however few bytes back them; so the counts are checked here,
    before the parser reads them.
    """
    source.seek(-1, os.SEEK_END)
    where: int | None = process_data_at_eof(source)
    seen: set[int] = set()
    entries = 0
    while where is not None:
        if where in seen:
            raise misc.PdfReadError("The cross-reference sections form a loop.")
        if len(seen) >= MAX_REVISIONS:
            raise PdfTooComplex(f"it has more than {MAX_REVISIONS} revisions")
        seen.add(where)
        source.seek(where)
        misc.skip_over_whitespace(source)
        if source.read(1) == b"x":
            if source.read(4)[:3] != b"ref":
                raise misc.PdfReadError("Broken cross-reference table.")
            entries += sum(1 for _ in parse_xref_table(source, strict=False))
            trailer = generic.read_object(source, generic.TrailerReference(None))
        else:
            source.seek(-1, os.SEEK_CUR)
            trailer, count = _cross_reference_stream(source)
            entries += count
        if not isinstance(trailer, generic.DictionaryObject):
            raise misc.PdfReadError("Broken trailer.")
        if "/Encrypt" in trailer:
            raise PdfTooComplex("it is encrypted")
        if "/XRefStm" in trailer:  # a table with a stream beside it, for older readers
            hybrid = _plain_int(trailer.raw_get("/XRefStm"))
            if hybrid is None:
                raise misc.PdfReadError("Broken /XRefStm entry.")
            source.seek(hybrid)
            entries += _cross_reference_stream(source)[1]
        if entries > MAX_OBJECTS:
            raise PdfTooComplex(f"it declares more than {MAX_OBJECTS:,} objects")
        previous = trailer.raw_get("/Prev") if "/Prev" in trailer else None
        where = _plain_int(previous)
        if previous is not None and where is None:
            raise misc.PdfReadError("Broken /Prev entry.")


def _cross_reference_stream(source: io.BytesIO) -> tuple[generic.DictionaryObject, int]:
    """The dictionary of the cross-reference stream at the current position, and its entries."""
    number, generation = read_object_header(source, strict=False)
    stream = generic.read_object(source, generic.Reference(number, generation))
    if not isinstance(stream, generic.StreamObject) or stream.raw_get("/Type") != "/XRef":
        raise misc.PdfReadError("Not a cross-reference stream.")
    flate_at_most(stream)
    widths = stream.raw_get("/W") if "/W" in stream else None
    if not isinstance(widths, generic.ArrayObject) or len(widths) != 3 or not all(
        (width := _plain_int(value)) is not None and 0 <= width <= 8 for value in widths
    ):
        raise PdfTooComplex("its cross-reference stream has unusual field widths")
    if "/Index" in stream:
        index = stream.raw_get("/Index")
        if not isinstance(index, generic.ArrayObject) or len(index) % 2 or len(index) > 512:
            raise PdfTooComplex("its cross-reference stream has an unusual index")
        numbers = [_plain_int(value) for value in index]
    else:
        numbers = [0, _plain_int(stream.raw_get("/Size") if "/Size" in stream else None)]
    if any(number is None or number < 0 for number in numbers):
        raise misc.PdfReadError("Broken cross-reference stream index.")
    return stream, sum(number or 0 for number in numbers[1::2])


def check_form_fields(reader: PdfFileReader) -> None:
    """Refuse a form whose fields, counted along every path, go beyond what ours have."""
    try:
        fields = reader.root["/AcroForm"]["/Fields"]
    except (KeyError, TypeError):
        return
    for _field in _tree_nodes(fields, "/Kids", MAX_FORM_FIELDS):
        pass  # the walk itself refuses a tree beyond the limits


def first_embedded_file(reader: PdfFileReader, name: str) -> bytes | None:
    """The content of the first embedded file with that name, read within the limits."""
    try:
        tree = reader.root["/Names"]["/EmbeddedFiles"]
    except (KeyError, TypeError):
        return None
    for node in _tree_nodes(generic.ArrayObject([tree]), "/Kids", MAX_NAME_TREE_NODES):
        pairs = value_of(node, "/Names")
        if not isinstance(pairs, generic.ArrayObject):
            continue
        entries = list(pairs)
        for key, value in zip(entries[0::2], entries[1::2], strict=False):
            if key in (name, name.encode()):
                return _embedded_file_content(value.get_object())
    return None


def _tree_nodes(top: Any, kids_key: str, limit: int) -> Iterator[generic.DictionaryObject]:
    """Dictionaries of a tree in document order, counting every visit along every path."""
    pending: list[tuple[Any, int]] = [(top, 0)]
    visits = 0
    while pending:
        item, depth = pending.pop()
        item = item.get_object() if isinstance(item, generic.IndirectObject) else item
        # Every item counts and every step goes one level down: a node whose kids are itself
        # (`/Kids 3 0 R` on object 3) would otherwise be visited forever.
        size = len(item) if isinstance(item, generic.ArrayObject) else 1
        if depth > MAX_TREE_DEPTH or visits + size > limit:
            raise PdfTooComplex(f"a tree of its objects has more than {limit} nodes")
        visits += size
        if isinstance(item, generic.ArrayObject):
            pending.extend((child, depth + 1) for child in reversed(item))
        elif isinstance(item, generic.DictionaryObject):
            yield item
            if kids_key in item:
                pending.append((item.raw_get(kids_key), depth + 1))


def _embedded_file_content(spec: Any) -> bytes | None:
    """An embedded file's bytes: at most one filter, FlateDecode, within MAX_RECORD_BYTES."""
    files = value_of(spec, "/EF")
    stream = value_of(files, "/UF")
    if stream is None:
        stream = value_of(files, "/F")
    if not isinstance(stream, generic.StreamObject):
        return None
    chain = flate_at_most(stream)
    if value_of(stream, "/DecodeParms") is not None:
        raise PdfTooComplex("its certificate record uses filter parameters ours never do")
    declared = [value_of(stream, "/Length"), value_of(value_of(stream, "/Params"), "/Size")]
    encoded = stream.encoded_data
    if len(encoded) > MAX_RECORD_BYTES or any(
        isinstance(size, int) and size > MAX_RECORD_BYTES for size in declared
    ):
        raise PdfTooComplex("its certificate record is far larger than ours")
    if not chain:
        return encoded
    inflater = zlib.decompressobj()
    content = inflater.decompress(encoded, MAX_RECORD_BYTES + 1)
    if len(content) > MAX_RECORD_BYTES:
        raise PdfTooComplex("its certificate record inflates far beyond ours")
    if not inflater.eof:
        raise misc.PdfReadError("The certificate record is truncated.")
    return content


def flate_at_most(stream: generic.StreamObject) -> list[Any]:
    """The stream's filters: none or FlateDecode alone, as in ours; anything else is refused.

    A chain of filters multiplies what a few bytes inflate to, and every layer costs a pass.
    """
    filters = value_of(stream, "/Filter")
    chain = [filters] if isinstance(filters, generic.NameObject) else list(filters or ())
    if len(chain) > 1 or (chain and chain[0] != "/FlateDecode"):
        raise PdfTooComplex("it uses stream filters ours never do")
    return chain


def check_signature_shape(signature: Any, file_size: int) -> None:
    """Refuse a signature whose byte range or CMS blob is unlike ours, before validating it.

    The parser hashes whatever ranges the byte range lists, so a long list would hash the
    file over and over; ours is the standard four numbers around the signature itself.
    """
    byte_range = signature.byte_range.get_object()
    numbers = [_plain_int(value) for value in byte_range] if isinstance(
        byte_range, generic.ArrayObject) else []
    if len(numbers) != 4 or None in numbers:
        raise PdfTooComplex("its signature covers an unusual byte range")
    start, first_length, second_start, second_length = (int(n or 0) for n in numbers)
    if start != 0 or not 0 <= first_length <= second_start <= file_size or not (
        0 <= second_length <= file_size - second_start
    ):
        raise PdfTooComplex("its signature covers an unusual byte range")
    if len(signature.pkcs7_content) > MAX_SIGNATURE_BYTES:
        raise PdfTooComplex("its signature is far larger than ours")
    certificates = signature.signed_data["certificates"]
    if len(certificates or ()) > MAX_SIGNATURE_CERTIFICATES:
        raise PdfTooComplex("its signature carries far more certificates than ours")


def value_of(container: Any, key: str) -> Any:
    """A dictionary's value for key, dereferenced; None when absent, null or not a dictionary."""
    if not isinstance(container, generic.DictionaryObject):
        return None
    try:
        return container[key]
    except KeyError:
        return None


def _plain_int(value: Any) -> int | None:
    """A direct integer, or None for anything else (references, booleans, reals...)."""
    return int(value) if isinstance(value, generic.NumberObject) else None
