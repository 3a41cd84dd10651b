"""The registry of flows, keyed by flow id: the engine finds a flow by the account's platform, never by importing it
by name.

Besides the built-in flows, SUBMIT_OBJECTIONS_FLOWS may name more, as `module:ATTRIBUTE` pairs separated by commas
(a Flow each): how a new site's flow is tried out without touching the engine.
"""

from __future__ import annotations

import importlib
import os

from automation.errors import ConfigError
from flows import disconnect_activity, facebook, instagram, third_party_data
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


# Each platform's objection flow comes first among its flows: it is the one legacy_flow names.
FLOWS: dict[str, Flow] = {flow.id: flow for flow in (facebook.FLOW, instagram.FLOW, third_party_data.FLOW,
                                                     disconnect_activity.FLOW,
                                                     *_extra_flows())}


def platforms() -> list[str]:
    return list(dict.fromkeys(flow.platform for flow in FLOWS.values()))


def legacy_flow(platform: str) -> str | None:
    """The id of the flow that a platform's ledger rows and archive folders from before they named their flow were
    filed with: the platform's objection flow, the first registered for it (today its only one). None: no flow."""
    return next((flow.id for flow in FLOWS.values() if flow.platform == platform), None)


def requests_by_platform() -> dict[str, list[str]]:
    """Per platform, the requests (accounts-file names) a flow is registered for, in registration order."""
    offered: dict[str, list[str]] = {}
    for flow in FLOWS.values():
        names = offered.setdefault(flow.platform, [])
        if flow.request not in names:
            names.append(flow.request)
    return offered


def flow_for(platform: str, request: str = "ai-objection") -> Flow:
    for flow in FLOWS.values():
        if flow.platform == platform and flow.request == request:
            return flow
    offered = requests_by_platform()
    if platform not in offered:
        raise ConfigError(f"no flow for platform {platform!r} yet",
                          hint=f"platforms with a flow: {', '.join(sorted(offered))}")
    raise ConfigError(f"{platform} has no flow for the request {request!r}",
                      hint=f"{platform} offers: {', '.join(offered[platform])}")
