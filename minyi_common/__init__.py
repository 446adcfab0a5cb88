"""Shared plumbing and contracts of Minyi.

Services import from here and never from each other. The framework-free modules
(``config``, ``errors``, ``events``, ``topology``, ``db``, ``schemas``) may be used by
domain and service-layer code; ``nameko_glue`` holds everything that touches nameko.
"""
