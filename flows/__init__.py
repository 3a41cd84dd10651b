"""The registry of flows, keyed by flow id: the engine finds a flow by the account's platform, never by importing it
by name."""

from __future__ import annotations

from automation.errors import ConfigError
from flows import facebook, instagram
from flows.base import Flow

FLOWS: dict[str, Flow] = {flow.id: flow for flow in (facebook.FLOW, instagram.FLOW)}


def flow_for(platform: str) -> Flow:
    for flow in FLOWS.values():
        if flow.platform == platform:
            return flow
    raise ConfigError(
        f"no flow for platform {platform!r} yet",
        hint=f"platforms with a flow: {', '.join(sorted({flow.platform for flow in FLOWS.values()}))}",
    )
