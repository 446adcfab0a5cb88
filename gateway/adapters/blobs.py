"""Where uploaded files are kept (docs/reports.md): a folder under the data directory by
default, an S3-compatible store (MinIO in compose) when ``MINYI_BLOB_URL`` says
``s3://bucket[/prefix]``. Only the gateway touches the bytes; the services keep what a
file is (name, size, type, hash, key) and who may have it.

A file appears under its key whole or not at all: the folder writes a temporary file and
renames it; S3 stores an object in one request.
"""
import os
import shutil
import tempfile
from urllib.parse import parse_qs, urlparse

CHUNK = 64 * 1024


class FolderStore:
    def __init__(self, root: str):
        self.root = root
        os.makedirs(root, exist_ok=True)

    def _path(self, key: str) -> str:
        if not key or "/" in key or key.startswith("."):
            raise ValueError(f"not a blob key: {key!r}")
        return os.path.join(self.root, key)

    def put(self, key: str, stream) -> None:
        handle, temporary = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                shutil.copyfileobj(stream, out, CHUNK)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self._path(key))
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise

    def chunks(self, key: str):
        with open(self._path(key), "rb") as source:
            while True:
                chunk = source.read(CHUNK)
                if not chunk:
                    return
                yield chunk

    def delete(self, key: str) -> None:
        try:
            os.unlink(self._path(key))
        except FileNotFoundError:
            pass

    def exists(self, key: str) -> bool:
        return os.path.exists(self._path(key))

    def keys(self):
        """Every stored key (a backup reads them all); never an upload under way."""
        return sorted(name for name in os.listdir(self.root) if not name.startswith("."))


class S3Store:
    """``s3://bucket/prefix?endpoint=http://minio:9000&region=us-east-1``; the keys
    come from the usual AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY."""

    def __init__(self, url: str):
        import boto3  # only deployments with an object store need it loaded
        parsed = urlparse(url)
        options = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        self.bucket, self.prefix = parsed.netloc, parsed.path.strip("/")
        self.client = boto3.client("s3", endpoint_url=options.get("endpoint"),
                                   region_name=options.get("region", "us-east-1"))
        self._ensure_bucket()

    def _ensure_bucket(self) -> None:
        """A fresh MinIO has no bucket: the first gateway to start makes it."""
        from botocore.exceptions import ClientError
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            try:
                self.client.create_bucket(Bucket=self.bucket)
            except ClientError as exc:  # another gateway made it a moment ago
                if exc.response.get("Error", {}).get("Code") not in (
                        "BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    raise

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, stream) -> None:
        self.client.upload_fileobj(stream, self.bucket, self._key(key))

    def chunks(self, key: str):
        body = self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]
        try:
            yield from body.iter_chunks(CHUNK)
        finally:
            body.close()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def keys(self):
        """Every stored key (a backup reads them all)."""
        start = f"{self.prefix}/" if self.prefix else ""
        for page in self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=start):
            for item in page.get("Contents", []):
                yield item["Key"][len(start):]

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
            return True
        except ClientError:
            return False


def store_for(url: str, data_dir: str):
    """The store ``MINYI_BLOB_URL`` names; a folder ``files`` in the data directory when
    it names none."""
    if url.startswith("s3://"):
        return S3Store(url)
    if url.startswith("file://"):
        return FolderStore(urlparse(url).path)
    if url:
        raise SystemExit(f"MINYI_BLOB_URL must start with s3:// or file://, not {url!r}")
    return FolderStore(os.path.join(data_dir, "files"))
