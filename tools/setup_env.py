"""``make setup``: write ``.env`` for ``docker compose up -d`` with fresh random secrets of
the lengths each needs, from ``.env.example``. A ``.env`` that exists is never touched:
its keys seal stored secrets and sign sessions, and replacing them would lock an office
out of its own data."""
import os
import secrets
import string
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# What each empty value of .env.example becomes; values left out stay empty (optional).
MAKERS = {
    # Typed by a person once, at the first login (then changed): letters and digits.
    "MINYI_ADMIN_PASSWORD": lambda: "".join(
        secrets.choice(string.ascii_letters + string.digits) for _ in range(12)) + "a1",
    "MINYI_BROKER_PASSWORD": lambda: secrets.token_urlsafe(24),
    "MINYI_DB_PASSWORD": lambda: secrets.token_urlsafe(24),
    "MINYI_BLOB_PASSWORD": lambda: secrets.token_urlsafe(24),
    "MINYI_SECRET_KEY": lambda: secrets.token_urlsafe(48),   # at least 32 bytes
    "MINYI_PRINCIPAL_KEY": lambda: secrets.token_hex(32),
    "MINYI_DATA_KEY": lambda: secrets.token_hex(32),         # at least 32 bytes
}


def write_env(example: str, target: str) -> bool:
    """Write ``target`` from ``example`` unless it exists; whether it was written."""
    if os.path.exists(target):
        return False
    lines = []
    with open(example, encoding="utf-8") as template:
        for line in template:
            name, equals, value = line.rstrip("\n").partition("=")
            if equals and not line.startswith("#") and not value and name in MAKERS:
                line = f"{name}={MAKERS[name]()}\n"
            lines.append(line)
    # Only its owner reads it: it holds every password of the deployment.
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as env:
        env.writelines(lines)
    return True


def main() -> None:
    target = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".env")
    if not write_env(os.path.join(ROOT, ".env.example"), target):
        print(f"{target} exists: kept as it is (its keys unlock the data already stored).")
        return
    with open(target, encoding="utf-8") as env:
        admin = next(line.split("=", 1)[1].strip() for line in env
                     if line.startswith("MINYI_ADMIN_PASSWORD="))
    print(f"wrote {target} with fresh secrets. The first login: admin / {admin}\n"
          "Keep a copy of .env with your backups. Next: docker compose up -d")


if __name__ == "__main__":
    main()
