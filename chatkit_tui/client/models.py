"""msgspec Structs for every schema in ``shared/spec/chatkit-openapi.yaml``.

Responses are decoded leniently: unknown fields are ignored, nullable fields
default to ``None`` and an item whose ``type`` is not one of the six the spec
names decodes as :class:`UnknownItem` keeping its raw JSON (see
:mod:`chatkit_tui.client.decoding`). Request bodies are Structs with
``omit_defaults`` so that what the caller did not set is not sent.
"""

from __future__ import annotations

from typing import Literal, TypeAlias

from msgspec import Struct, field

from chatkit_tui.client import params as _params

# Request bodies live in params.py; re-exported here, where they were first defined.
StateValue = _params.StateValue
AutomaticThreadTitlingParam = _params.AutomaticThreadTitlingParam
ChatkitConfigurationParam = _params.ChatkitConfigurationParam
CreateSessionBody = _params.CreateSessionBody
ExpiresAfterParam = _params.ExpiresAfterParam
FileUploadParam = _params.FileUploadParam
HistoryParam = _params.HistoryParam
RateLimitsParam = _params.RateLimitsParam
WorkflowParam = _params.WorkflowParam
WorkflowTracingParam = _params.WorkflowTracingParam

Order: TypeAlias = Literal["asc", "desc"]


class _Model(Struct, kw_only=True, gc=False):
    """Base of every response model: unknown fields are ignored."""


# --- thread status -----------------------------------------------------------


class ActiveStatus(_Model, kw_only=True, tag_field="type", tag="active"):
    @property
    def type(self) -> str:
        return "active"

    @property
    def reason(self) -> None:
        return None


class LockedStatus(_Model, kw_only=True, tag_field="type", tag="locked"):
    reason: str | None = None

    @property
    def type(self) -> str:
        return "locked"


class ClosedStatus(_Model, kw_only=True, tag_field="type", tag="closed"):
    reason: str | None = None

    @property
    def type(self) -> str:
        return "closed"


ThreadStatus: TypeAlias = ActiveStatus | LockedStatus | ClosedStatus


# --- threads -----------------------------------------------------------------


class Thread(_Model):
    """ThreadResource."""

    id: str
    created_at: int
    user: str
    status: ThreadStatus = field(default_factory=ActiveStatus)
    title: str | None = None
    object: str = "chatkit.thread"


class ThreadDeleted(_Model):
    """DeletedThreadResource."""

    id: str
    deleted: bool
    object: str = "chatkit.thread.deleted"


# --- item parts ----------------------------------------------------------------


class InputText(_Model, kw_only=True, tag_field="type", tag="input_text"):
    """UserMessageInputText."""

    text: str


class QuotedText(_Model, kw_only=True, tag_field="type", tag="quoted_text"):
    """UserMessageQuotedText."""

    text: str


UserContent: TypeAlias = InputText | QuotedText


class FileAnnotationSource(_Model):
    filename: str
    type: str = "file"


class UrlAnnotationSource(_Model):
    url: str
    type: str = "url"


class FileAnnotation(_Model, kw_only=True, tag_field="type", tag="file"):
    source: FileAnnotationSource


class UrlAnnotation(_Model, kw_only=True, tag_field="type", tag="url"):
    source: UrlAnnotationSource


Annotation: TypeAlias = FileAnnotation | UrlAnnotation


class OutputText(_Model, kw_only=True, tag_field="type", tag="output_text"):
    """ResponseOutputText."""

    text: str
    annotations: list[Annotation] = field(default_factory=list[Annotation])


class Attachment(_Model):
    id: str
    name: str
    mime_type: str
    type: Literal["image", "file"] | str = "file"
    preview_url: str | None = None


class ToolChoice(_Model):
    id: str


class InferenceOptions(_Model):
    tool_choice: ToolChoice | None = None
    model: str | None = None


# --- thread items ----------------------------------------------------------------


class _Item(_Model, kw_only=True, tag_field="type"):
    id: str
    created_at: int
    thread_id: str
    object: str = "chatkit.thread_item"


class UserMessageItem(_Item, kw_only=True, tag="chatkit.user_message"):
    content: list[UserContent] = field(default_factory=list[UserContent])
    attachments: list[Attachment] = field(default_factory=list[Attachment])
    inference_options: InferenceOptions | None = None


class AssistantMessageItem(_Item, kw_only=True, tag="chatkit.assistant_message"):
    content: list[OutputText] = field(default_factory=list[OutputText])


class WidgetItem(_Item, kw_only=True, tag="chatkit.widget"):
    """WidgetMessageItem: ``widget`` is a JSON string."""

    widget: str


class ClientToolCallItem(_Item, kw_only=True, tag="chatkit.client_tool_call"):
    status: Literal["in_progress", "completed"] | str
    call_id: str
    name: str
    arguments: str
    output: str | None = None


class TaskItem(_Item, kw_only=True, tag="chatkit.task"):
    task_type: Literal["custom", "thought"] | str
    heading: str | None = None
    summary: str | None = None


class TaskGroupTask(_Model):
    type: Literal["custom", "thought"] | str
    heading: str | None = None
    summary: str | None = None


class TaskGroupItem(_Item, kw_only=True, tag="chatkit.task_group"):
    tasks: list[TaskGroupTask] = field(default_factory=list[TaskGroupTask])


KnownItem: TypeAlias = (
    UserMessageItem
    | AssistantMessageItem
    | WidgetItem
    | ClientToolCallItem
    | TaskItem
    | TaskGroupItem
)


class UnknownItem:
    """An item we could not decode as one of the six known types.

    ``raw`` is the item's JSON exactly as the server sent it; ``error`` says why
    it did not decode (an unknown ``type``, or a known type with bad fields).
    Deliberately not a Struct: :func:`~chatkit_tui.client.decoding.encode` writes it
    back as its raw JSON.
    """

    __slots__ = ("created_at", "error", "id", "raw", "thread_id", "type")

    def __init__(
        self,
        *,
        raw: bytes,
        error: str,
        type: str | None = None,
        id: str | None = None,
        thread_id: str | None = None,
        created_at: int | None = None,
    ) -> None:
        self.raw = raw
        self.error = error
        self.type = type
        self.id = id
        self.thread_id = thread_id
        self.created_at = created_at

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UnknownItem) and other.raw == self.raw

    def __hash__(self) -> int:
        return hash(self.raw)

    def __repr__(self) -> str:
        return f"UnknownItem(type={self.type!r}, id={self.id!r}, error={self.error!r})"


ThreadItem: TypeAlias = KnownItem | UnknownItem


# --- pages ---------------------------------------------------------------------


class ThreadPage(_Model):
    """ThreadListResource."""

    data: list[Thread]
    has_more: bool = False
    first_id: str | None = None
    last_id: str | None = None
    object: str = "list"


class ItemPage(_Model):
    """ThreadItemListResource; ``data`` may hold :class:`UnknownItem`."""

    data: list[ThreadItem]
    has_more: bool = False
    first_id: str | None = None
    last_id: str | None = None
    object: str = "list"


# --- sessions ------------------------------------------------------------------


class ChatkitWorkflowTracing(_Model):
    enabled: bool


class ChatkitWorkflow(_Model):
    id: str
    version: str | None = None
    state_variables: dict[str, StateValue] | None = None
    tracing: ChatkitWorkflowTracing = field(
        default_factory=lambda: ChatkitWorkflowTracing(enabled=True)
    )


class ChatSessionRateLimits(_Model):
    max_requests_per_1_minute: int


class ChatSessionAutomaticThreadTitling(_Model):
    enabled: bool


class ChatSessionFileUpload(_Model):
    enabled: bool
    max_file_size: int | None = None
    max_files: int | None = None


class ChatSessionHistory(_Model):
    enabled: bool
    recent_threads: int | None = None


class ChatSessionChatkitConfiguration(_Model):
    automatic_thread_titling: ChatSessionAutomaticThreadTitling
    file_upload: ChatSessionFileUpload
    history: ChatSessionHistory


class ChatSession(_Model):
    """ChatSessionResource."""

    id: str
    expires_at: int
    client_secret: str
    workflow: ChatkitWorkflow
    user: str
    rate_limits: ChatSessionRateLimits
    max_requests_per_1_minute: int
    status: Literal["active", "expired", "cancelled"] | str
    chatkit_configuration: ChatSessionChatkitConfiguration
    object: str = "chatkit.session"

    def __repr__(self) -> str:  # the client secret is a credential
        return (
            f"ChatSession(id={self.id!r}, user={self.user!r}, status={self.status!r}, "
            f"expires_at={self.expires_at!r}, client_secret='***')"
        )
