"""Sphinx configuration: MyST-NB pages executed at build time, the API from the docstrings.

Built offline: MathJax comes from the sphinx-mathjax-offline package, and no inventory of another
project is fetched (intersphinx would need the internet), so references to JAX, NumPy, optax and
scikit-learn names are rendered as code without a link (``nitpick_ignore_regex`` below).
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "docs" / "_ext"))

# The pages that need MNIST read $JAXLEARN_DATA_DIR. `JAXLEARN_DATA_DIR=../shared/data make -C docs
# html` names it relative to the repository, while Sphinx runs in docs/ and each page's kernel in
# the page's folder: make it absolute once, here.
_data = os.environ.get("JAXLEARN_DATA_DIR")
if _data and not Path(_data).is_absolute():
    _candidates = [Path.cwd() / _data, ROOT / _data]
    os.environ["JAXLEARN_DATA_DIR"] = str(next((c for c in _candidates if c.exists()), _candidates[-1]).resolve())

import jaxlearn  # noqa: E402

project = "jaxlearn"
author = "the jaxlearn developers"
copyright = "2026, the jaxlearn developers"
release = version = jaxlearn.__version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx_design",               # the collapsed solutions (dropdown)
    "sphinx-mathjax-offline",      # MathJax 3 copied into _static: math renders without internet
    "formulas",                    # _ext/formulas.py: the docstrings' Unicode formulas as math
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb"}
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints", "README.md"]
templates_path = ["_templates"]

# --- MyST and the executed pages -----------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
nb_execution_mode = "force"            # every page runs at every build
nb_execution_raise_on_error = True     # a failing cell fails the build
nb_execution_timeout = 600          # a guard against a hung cell; CI builds beside the tests, on a shared CPU
nb_execution_show_tb = True
nb_merge_streams = True
nb_render_markdown_format = "myst"     # Markdown outputs (the generated tables) as MyST: tables render

# --- the API reference --------------------------------------------------------------------
autosummary_generate = True
autosummary_ignore_module_all = False       # a module's __all__ is its public surface
autodoc_typehints = "none"                  # the Google-style Args: sections carry the types and shapes
autodoc_member_order = "bysource"
autodoc_default_options = {"show-inheritance": False}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
napoleon_use_ivar = True                    # Attributes: as a field list (NamedTuple fields are members too)
default_role = "code"                       # `x` in a docstring is inline code

nitpicky = True
nitpick_ignore_regex = [
    # other projects' names: no inventory offline, shown as code
    (r"py:.*", r"(jax|jnp|numpy|np|optax|sklearn|matplotlib|pandas|tensorboardX)(\..*)?"),
    (r"py:.*", r"(Array|ArrayLike|DTypeLike|PRNGKey|Figure|Axes|ndarray|DataFrame|Path|PathLike)"),
    (r"py:.*", r"jaxlearn\..*\._\w+"),          # private base classes of the estimators
    # Python's own types (no Python inventory offline either)
    (r"py:.*", r"(int|float|str|bool|None|tuple|list|dict|callable|Callable|Sequence|Mapping|Iterable|"
               r"Iterator|Any|NamedTuple|optional|object|type|bytes|os\.PathLike|pathlib\..*|typing\..*|"
               r"collections\..*|Exception|ValueError|TypeError|RuntimeError|Warning|UserWarning|.*Error)"),
]

# --- HTML ---------------------------------------------------------------------------------
html_theme = "furo"
html_title = f"jaxlearn {release}"
html_static_path = ["_static"]
html_css_files = ["jaxlearn.css"]
html_theme_options = {"navigation_with_keys": True}


def skip_member(app, what, name, obj, skip, options):
    """scikit-learn generates set_<method>_request on every estimator: its docs, not ours."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return skip


def setup(app):
    app.connect("autodoc-skip-member", skip_member)
