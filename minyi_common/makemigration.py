"""Developer tool: ``python -m minyi_common.makemigration SERVICE "message"`` writes a new
Alembic revision for a service by comparing its metadata with a scratch database
migrated to head."""
import os
import sys
import tempfile

from alembic import command

from .migrate import alembic_config, upgrade
from .registry import migrations_dir


def main() -> None:
    service, message = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{os.path.join(scratch, 'scratch.db')}"
        folder = migrations_dir(service)
        upgrade(folder, url)
        command.revision(alembic_config(folder, url), message=message, autogenerate=True)


if __name__ == "__main__":
    main()
