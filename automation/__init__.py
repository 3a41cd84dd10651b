"""The engine of submit-objections: it drives a browser through steps and knows nothing about Meta."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("submit-objections")
except PackageNotFoundError:  # running from a checkout that was not installed
    __version__ = "0.0.0+checkout"
