"""Files on reports (docs/reports.md), the gateway's part: it alone touches the bytes.

An upload is checked by its bytes (``adapters/uploads.py``), written whole to the blob
store under a fresh key, then claimed by the service that owns what it is attached to,
which decides whether it may go there. A refused claim drops the bytes at once; a gateway
killed before the claim leaves a row in ``uploads_in_flight``, and the sweep drops those
bytes later. Either way nobody can reach a file its owner never recorded: a download
streams only what the owner answers for.
"""
import hashlib
import io
import logging
import uuid
from datetime import timedelta

from sqlalchemy import delete, insert, select

from minyi_common.db import utcnow

from .adapters import uploads
from .adapters.orm import uploads_in_flight

log = logging.getLogger(__name__)
MAX_BYTES = 20 * 1024 * 1024
# An upload not claimed within this is one whose gateway died on the way.
ABANDONED_AFTER = timedelta(hours=1)


def checked(content: bytes, filename: str | None) -> dict:
    """What is kept of an upload and what it is; uploads.Refused when it is no file we
    keep."""
    content_type = uploads.content_type_of(content)
    kept = uploads.kept(content, content_type)
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip() or "附件"
    # Control characters never reach a header or a page; the name stays the person's.
    name = "".join(ch for ch in name if ch.isprintable())[:200] or "附件"
    return {"content": kept, "name": name, "size": len(kept), "content_type": content_type,
            "sha256": hashlib.sha256(kept).hexdigest()}


def store_and_claim(db, store, upload: dict, claim) -> dict:
    """Keep ``upload`` under a new key and let ``claim(blob)`` record it with its owner;
    the owner's answer, or its refusal after the bytes are dropped again."""
    key = uuid.uuid4().hex
    with db.unit_of_work() as uow:
        uow.execute(insert(uploads_in_flight), {"key": key, "created_at": utcnow()})
        uow.commit()
    blob = {k: upload[k] for k in ("name", "size", "content_type", "sha256")} | {"key": key}
    try:
        store.put(key, io.BytesIO(upload["content"]))
        answer = claim(blob)
    except BaseException:
        _drop(db, store, key)
        raise
    with db.unit_of_work() as uow:
        uow.execute(delete(uploads_in_flight).where(uploads_in_flight.c.key == key))
        uow.commit()
    return answer


def _drop(db, store, key: str) -> None:
    try:
        store.delete(key)
        with db.unit_of_work() as uow:
            uow.execute(delete(uploads_in_flight).where(uploads_in_flight.c.key == key))
            uow.commit()
    except Exception:  # the sweep drops it later
        log.warning("could not drop the unclaimed upload %s yet", key, exc_info=True)


def sweep(db, store, older_than=ABANDONED_AFTER) -> int:
    """Drop the bytes of uploads never claimed (their gateway died on the way)."""
    with db.unit_of_work(read_only=True) as uow:
        keys = list(uow.execute(select(uploads_in_flight.c.key).where(
            uploads_in_flight.c.created_at < utcnow() - older_than)).scalars())
    for key in keys:
        _drop(db, store, key)
    return len(keys)
