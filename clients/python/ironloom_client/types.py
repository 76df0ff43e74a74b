"""The API's schemas as TypedDicts, and its other named types (generated)."""

from ._generated import *  # noqa: F401,F403
