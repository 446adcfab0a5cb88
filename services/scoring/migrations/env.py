from minyi_common.migrate import run_env
from services.scoring.adapters.orm import metadata

run_env(metadata)
