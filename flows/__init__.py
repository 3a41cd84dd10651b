"""The registry of flows, keyed by flow id: the engine finds a flow by the account's platform, never by importing it
by name.

Besides the built-in flows, SUBMIT_OBJECTIONS_FLOWS may name more, as `module:ATTRIBUTE` pairs separated by commas
(a Flow each): how a new site's flow is tried out without touching the engine.
"""

from __future__ import annotations

import importlib
import os

from automation.errors import ConfigError
from flows import facebook, instagram
from flows.base import Flow

EXTRA_FLOWS = "SUBMIT_OBJECTIONS_FLOWS"


def _extra_flows() -> list[Flow]:
    found = []
    for spec in filter(None, (part.strip() for part in os.environ.get(EXTRA_FLOWS, "").split(","))):
        module, _, attribute = spec.partition(":")
        try:
            flow = getattr(importlib.import_module(module), attribute or "FLOW")
        except (ImportError, AttributeError) as error:
            raise ConfigError(f"${EXTRA_FLOWS}: cannot load the flow {spec!r}: {error}",
                              hint="name it as module:ATTRIBUTE, importable from here") from None
        if not isinstance(flow, Flow):
            raise ConfigError(f"${EXTRA_FLOWS}: {spec!r} is not a Flow")
        found.append(flow)
    return found


# Each platform's objection flow comes first among its flows: it is the one flow_for and legacy_flow name.
FLOWS: dict[str, Flow] = {flow.id: flow for flow in (facebook.FLOW, instagram.FLOW, *_extra_flows())}


def platforms() -> list[str]:
    return list(dict.fromkeys(flow.platform for flow in FLOWS.values()))


def legacy_flow(platform: str) -> str | None:
    """The id of the flow that a platform's ledger rows and archive folders from before they named their flow were
    filed with: the platform's objection flow, the first registered for it (today its only one). None: no flow."""
    return next((flow.id for flow in FLOWS.values() if flow.platform == platform), None)


def flow_for(platform: str) -> Flow:
    for flow in FLOWS.values():
        if flow.platform == platform:
            return flow
    raise ConfigError(
        f"no flow for platform {platform!r} yet",
        hint=f"platforms with a flow: {', '.join(sorted({flow.platform for flow in FLOWS.values()}))}",
    )
