"""debris-engine: create, propagate and screen orbital debris clouds.

Public entry points (see README.md): load_tle, load_omm, Catalog.
Nothing here prints, compiles or touches a GPU at import time.
"""
