"""Shared plumbing and contracts of Minyi.

Services import from here and never from each other. The framework-free modules
(``config``, ``errors``, ``events``, ``topology``, ``db``, ``contracts``) may be used by
domain and service-layer code; the ``nameko`` package holds everything that touches nameko.
"""
import warnings

# The release (tagged v<version> in git), shown by /healthz and in the web app's footer.
__version__ = "0.9.0"

# eventlet warns on import that it is deprecated; we know (docs/nameko.md), and
# every process printing it at start only hides what matters in the log.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
