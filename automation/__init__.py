"""The engine of submit-objections: it drives a browser through a flow's steps, and knows no site of its own."""

# The one place the version is written: pyproject.toml reads it from here (tool.setuptools.dynamic), so an installed
# copy and a checkout report the same.
__version__ = "0.1.0"
