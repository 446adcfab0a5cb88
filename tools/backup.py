"""``make backup`` and ``make restore FILE=…`` (docs/operations.md): one archive of an
office's record, made while the system runs, and put back on a stopped one.

The archive (a .tar.gz) holds each service's database, consistent per database (SQLite's
online backup; PostgreSQL's ``pg_dump`` in its custom format), the stored files (the
folder store), the keys kept beside the data (``*.key``), and ``manifest.json`` with the
release, each database's migration revision and every entry's SHA-256. Messages in flight
are not in it: each service's outbox is in its database, and what was not yet published
is published again after a restore. Restore refuses an archive whose checksums do not
match and one made by a newer release."""
import argparse
import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import minyi_common  # noqa: E402 (after the path)
from minyi_common import config  # noqa: E402
from gateway.adapters.blobs import store_for  # noqa: E402
from minyi_common.db import make_engine  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402


class Refused(Exception):
    """The archive cannot be restored; the message says why, in Chinese."""


def _release(version: str) -> tuple:
    return tuple(int(part) for part in version.split("."))


def _pg_args(url: str) -> tuple:
    """(environment with PGPASSWORD, the connection URL without the driver)."""
    parsed = make_url(url)
    env = {**os.environ, "PGPASSWORD": parsed.password or ""}
    plain = parsed.set(drivername="postgresql", password=None).render_as_string()
    return env, plain


def _revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:
        return None
    finally:
        engine.dispose()


def _dump(service: str, url: str, into: str) -> str:
    """One database into ``into``; the entry's name."""
    if url.startswith("sqlite"):
        path = make_url(url).database
        name = f"db/{service}.sqlite"
        source = sqlite3.connect(path)
        target = sqlite3.connect(os.path.join(into, f"{service}.sqlite"))
        with target:
            source.backup(target)  # a consistent copy while others write
        source.close()
        target.close()
        return name
    env, plain = _pg_args(url)
    name = f"db/{service}.pgdump"
    subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                    f"--file={os.path.join(into, f'{service}.pgdump')}", plain],
                   env=env, check=True)
    return name


def backup(out: str) -> dict:
    data = config.data_dir()
    blobs = store_for(os.environ.get("MINYI_BLOB_URL", ""), data)
    manifest = {"format": 1, "release": minyi_common.__version__,
                "made_at": datetime.now(timezone.utc).isoformat(), "entries": {},
                "databases": {}}
    with tempfile.TemporaryDirectory() as scratch:
        with tarfile.open(out + ".partial", "w:gz") as archive:
            def add(path, name):
                with open(path, "rb") as source:
                    manifest["entries"][name] = hashlib.sha256(source.read()).hexdigest()
                archive.add(path, arcname=name)
            for service in config.SERVICES:
                url = config.db_url(service)
                name = _dump(service, url, scratch)
                add(os.path.join(scratch, os.path.basename(name)), name)
                manifest["databases"][service] = {
                    "entry": name, "kind": "sqlite" if url.startswith("sqlite") else "postgresql",
                    "revision": _revision(url)}
            # The stored files (a folder, or an object store such as compose's MinIO).
            # Files stored after the databases were copied belong to nothing they hold.
            for key in blobs.keys():
                copy = os.path.join(scratch, "blob")
                with open(copy, "wb") as sink:
                    for chunk in blobs.chunks(key):
                        sink.write(chunk)
                add(copy, f"files/{key}")
                os.unlink(copy)
            for file_name in sorted(os.listdir(data)) if os.path.isdir(data) else []:
                if file_name.endswith(".key"):
                    add(os.path.join(data, file_name), "keys/" + file_name)
            body = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
            info = tarfile.TarInfo("manifest.json")
            info.size = len(body)
            archive.addfile(info, io.BytesIO(body))
    os.replace(out + ".partial", out)  # a half-written archive never has the real name
    return manifest


def read_checked(path: str) -> tuple:
    """(manifest, {entry: bytes}) of an archive whose every entry matches its checksum."""
    try:
        with tarfile.open(path, "r:gz") as archive:
            entries = {member.name: archive.extractfile(member).read()
                       for member in archive.getmembers() if member.isfile()}
    except (OSError, tarfile.TarError, EOFError):
        raise Refused(f"{path} 不是完整的备份文件（无法读取，可能已损坏或不完整）。") from None
    if "manifest.json" not in entries:
        raise Refused(f"{path} 中没有 manifest.json：不是民意系统的备份。")
    manifest = json.loads(entries.pop("manifest.json"))
    if _release(manifest["release"]) > _release(minyi_common.__version__):
        raise Refused(f"该备份由较新的版本 {manifest['release']} 生成，当前版本为 "
                      f"{minyi_common.__version__}：请先升级到 {manifest['release']} 或更新版本再恢复。")
    for name, digest in manifest["entries"].items():
        if name not in entries or hashlib.sha256(entries[name]).hexdigest() != digest:
            raise Refused(f"备份文件已损坏：{name} 的校验值不符，未恢复任何内容。")
    return manifest, entries


def restore(path: str) -> dict:
    """Put an archive back: every check first, then each database, the files, the keys.
    Run it with the system stopped."""
    manifest, entries = read_checked(path)
    data = config.data_dir()
    os.makedirs(data, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        for service, database in manifest["databases"].items():
            url = config.db_url(service)
            dumped = os.path.join(scratch, os.path.basename(database["entry"]))
            with open(dumped, "wb") as out:
                out.write(entries[database["entry"]])
            if url.startswith("sqlite"):
                if database["kind"] != "sqlite":
                    raise Refused(f"{service} 的备份来自 PostgreSQL，当前配置为 SQLite。")
                target = sqlite3.connect(make_url(url).database)
                source = sqlite3.connect(dumped)
                with target:
                    source.backup(target)
                source.close()
                target.close()
            else:
                if database["kind"] != "postgresql":
                    raise Refused(f"{service} 的备份来自 SQLite，当前配置为 PostgreSQL。")
                env, plain = _pg_args(url)
                subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner",
                                "--no-privileges", "--single-transaction", f"--dbname={plain}",
                                dumped], env=env, check=True)
    blobs = store_for(os.environ.get("MINYI_BLOB_URL", ""), data)
    for name, content in entries.items():
        if name.startswith("files/"):
            blobs.put(name.split("/", 1)[1], io.BytesIO(content))
        elif name.startswith("keys/"):
            where = os.path.join(data, name.split("/", 1)[1])
            with open(where, "wb") as out:
                out.write(content)
            os.chmod(where, 0o600)
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("backup", "restore"))
    parser.add_argument("file", nargs="?")
    args = parser.parse_args()
    try:
        if args.action == "backup":
            out = args.file or f"minyi-backup-{datetime.now().strftime('%Y%m%d-%H%M%S')}.tar.gz"
            manifest = backup(out)
            print(f"备份完成：{out}（{len(manifest['entries'])} 项，版本 {manifest['release']}）")
        else:
            if not args.file:
                raise Refused("请指定备份文件：make restore FILE=minyi-backup-….tar.gz")
            manifest = restore(args.file)
            print(f"已恢复 {args.file}（{manifest['made_at']} 的备份）。现在可以启动系统。")
    except Refused as refused:
        print(f"未恢复：{refused}" if args.action == "restore" else f"未备份：{refused}",
              file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
