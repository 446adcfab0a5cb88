from gateway.adapters.orm import metadata
from minyi_common.migrate import run_env

run_env(metadata)
