"""Request bodies as msgspec Structs: fields left UNSET are not sent.

Re-exported by :mod:`chatkit_tui.client.models`, where they were first defined.
"""

from __future__ import annotations

from typing import Literal, TypeAlias

from msgspec import UNSET, Struct, UnsetType

StateValue: TypeAlias = str | int | float | bool


class _Param(Struct, kw_only=True, omit_defaults=True):
    """Base of request bodies: fields left UNSET are not sent."""


class WorkflowTracingParam(_Param):
    enabled: bool | UnsetType = UNSET


class WorkflowParam(_Param):
    id: str
    version: str | UnsetType = UNSET
    state_variables: dict[str, StateValue] | UnsetType = UNSET
    tracing: WorkflowTracingParam | UnsetType = UNSET


class ExpiresAfterParam(Struct, kw_only=True):
    """Always sent whole: the spec requires ``anchor`` as well as ``seconds``."""

    seconds: int
    anchor: Literal["created_at"] = "created_at"


class RateLimitsParam(_Param):
    max_requests_per_1_minute: int | UnsetType = UNSET


class AutomaticThreadTitlingParam(_Param):
    enabled: bool | UnsetType = UNSET


class FileUploadParam(_Param):
    enabled: bool | UnsetType = UNSET
    max_file_size: int | UnsetType = UNSET
    max_files: int | UnsetType = UNSET


class HistoryParam(_Param):
    enabled: bool | UnsetType = UNSET
    recent_threads: int | UnsetType = UNSET


class ChatkitConfigurationParam(_Param):
    automatic_thread_titling: AutomaticThreadTitlingParam | UnsetType = UNSET
    file_upload: FileUploadParam | UnsetType = UNSET
    history: HistoryParam | UnsetType = UNSET


class CreateSessionBody(_Param):
    """CreateChatSessionBody."""

    workflow: WorkflowParam
    user: str
    expires_after: ExpiresAfterParam | UnsetType = UNSET
    rate_limits: RateLimitsParam | UnsetType = UNSET
    chatkit_configuration: ChatkitConfigurationParam | UnsetType = UNSET
