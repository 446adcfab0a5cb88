"""What an uploaded file is, judged by its bytes and never by its name, and what of it is
kept (docs/reports.md): JPEG, PNG, PDF, DOCX and XLSX. A ZIP is a DOCX or an XLSX only by
the main part its ``[Content_Types].xml`` declares. Photos are turned upright by their
orientation and lose their EXIF data (GPS above all) before they are kept."""
import io
import zipfile

import filetype
from PIL import Image, ImageOps

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ALLOWED = ("image/jpeg", "image/png", "application/pdf", DOCX, XLSX)
OFFICE_MAIN_PARTS = {"wordprocessingml.document.main+xml": DOCX,
                     "spreadsheetml.sheet.main+xml": XLSX}
# A ZIP that inflates past this, or packs a large part tighter than this ratio, is a
# ZIP bomb, not a document.
MAX_INFLATED = 100 * 1024 * 1024
MAX_RATIO = 200
# Pillow refuses images of more pixels than this (a small PNG can claim a huge canvas).
MAX_PIXELS = 60_000_000


class Refused(ValueError):
    """Not a file we keep; ``reason``: ``type``, ``bomb`` or ``image``."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def office_type(content: bytes) -> str | None:
    """DOCX or XLSX when ``content`` is such a ZIP, None for any other ZIP; Refused
    ("bomb") before anything is inflated when it would inflate far beyond its size."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
            if sum(m.file_size for m in members) > MAX_INFLATED or any(
                    m.file_size > 1 << 20 and m.file_size > MAX_RATIO * max(m.compress_size, 1)
                    for m in members):
                raise Refused("bomb")
            if "[Content_Types].xml" not in {m.filename for m in members}:
                return None
            declared = archive.read("[Content_Types].xml").decode("utf-8", "replace")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, EOFError, NotImplementedError):
        return None
    for part, content_type in OFFICE_MAIN_PARTS.items():
        if part in declared:
            return content_type
    return None


def content_type_of(content: bytes) -> str:
    """The type of what we keep, by the bytes; Refused("type") for anything else."""
    if content.startswith(b"PK\x03\x04"):
        found = office_type(content)
    else:
        guess = filetype.guess(content[:8192])
        found = guess.mime if guess else None
    if found not in ALLOWED:
        raise Refused("type")
    return found


def kept(content: bytes, content_type: str) -> bytes:
    """The bytes to keep: a photo upright and without its metadata; anything else as sent."""
    if content_type not in ("image/jpeg", "image/png"):
        return content
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(content)) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
            out = io.BytesIO()
            if content_type == "image/jpeg":
                if upright.mode not in ("RGB", "L"):
                    upright = upright.convert("RGB")
                # Saved without exif= (and without the original's info): no EXIF, no GPS.
                upright.save(out, format="JPEG", quality=92, optimize=True)
            else:
                upright.save(out, format="PNG", optimize=True)
            return out.getvalue()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning, OSError,
            SyntaxError, ValueError):
        raise Refused("image") from None
