"""msgspec Structs for every schema in ``shared/spec/chatkit-openapi.yaml``, and more.

What the real service (and ChatKit's server side, the open-source chatkit-python)
sends is read in full and kept:

- Every decoded :class:`Thread`, thread item and page keeps the exact JSON it arrived
  as (``.raw``; see :mod:`chatkit_tui.client.base`), and
  :func:`~chatkit_tui.client.decoding.encode` writes it back from those bytes, so
  fields that no schema names survive a round trip.
- Unknown fields are ignored; nullable fields default to ``None``.
- Item types come in both spellings (``"chatkit.user_message"`` and
  ``"user_message"``) and decode to the same class; ``item.type`` is the canonical,
  ``chatkit.``-prefixed name. Besides the spec's six types there are chatkit-python's
  (generated_image, structured_input, workflow, hidden_context_item,
  sdk_hidden_context, end_of_turn, and its shape of ``task``).
- chatkit-python's shapes decode: tool call ``arguments`` and ``widget`` as JSON
  objects (``arguments_json`` / ``widget_json`` give the text either way), tool call
  status ``pending``, ``created_at`` as an ISO 8601 / RFC 3339 date-time (exposed, like
  the spec's, as ``int`` epoch seconds; naive times are UTC, fractions are dropped).
- What does not decode is kept, not dropped: an item as :class:`UnknownItem`, a thread
  as :class:`UnreadableThread`, a thread status as :class:`UnknownStatus`, a piece of
  an item in its place as an ``Unknown*`` of :mod:`chatkit_tui.client.parts`.

Fields only chatkit-python defines on the spec's own item classes (``quoted_text``,
``copy_text``, ``task``) default to ``UNSET``, so that a model built in code (the local
server's) encodes exactly as the spec says. Request bodies are Structs with
``omit_defaults`` (in :mod:`chatkit_tui.client.params`) so that what the caller did not
set is not sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, TypeAlias

from msgspec import UNSET, UnsetType, field

from chatkit_tui.client import params as _params
from chatkit_tui.client.base import (
    ItemTimestamp,
    JSONValue,
    Model,
    RawBacked,
    RecordModel,
    Timestamp,
    json_text,
)
from chatkit_tui.client.parts import (
    Annotation,
    AnnotationSource,
    AnyAttachment,
    AssistantContent,
    Attachment,
    CustomTask,
    EntitySource,
    FileAnnotation,
    FileAnnotationSource,
    FileSource,
    FileTask,
    FreeformInput,
    GeneratedImage,
    ImageTask,
    InferenceOptions,
    InputTag,
    InputText,
    MultipleChoiceInput,
    OutputText,
    QuotedText,
    SearchTask,
    SourceAnnotation,
    StructuredInput,
    StructuredInputAnswer,
    StructuredInputOption,
    TaskGroupTask,
    ThoughtTask,
    ToolChoice,
    UnknownAnnotation,
    UnknownAttachment,
    UnknownInput,
    UnknownPart,
    UnknownPiece,
    UnknownSource,
    UnknownTask,
    UrlAnnotation,
    UrlAnnotationSource,
    UrlSource,
    UserContent,
    Workflow,
    WorkflowSummary,
    WorkflowTask,
    _AssistantContent,
    _Attachment,
    _StructuredInput,
    _UserContent,
    _WorkflowTaskEntry,
)

__all__ = [
    "KNOWN_ITEM_CLASSES",
    "ActiveStatus",
    "Annotation",
    "AnnotationSource",
    "AnyAttachment",
    "AnyThread",
    "AssistantContent",
    "AssistantMessageItem",
    "Attachment",
    "AutomaticThreadTitlingParam",
    "ChatSession",
    "ChatSessionAutomaticThreadTitling",
    "ChatSessionChatkitConfiguration",
    "ChatSessionFileUpload",
    "ChatSessionHistory",
    "ChatSessionRateLimits",
    "ChatkitConfigurationParam",
    "ChatkitWorkflow",
    "ChatkitWorkflowTracing",
    "ClientToolCallItem",
    "ClosedStatus",
    "CreateSessionBody",
    "CustomTask",
    "EndOfTurnItem",
    "EntitySource",
    "ExpiresAfterParam",
    "FileAnnotation",
    "FileAnnotationSource",
    "FileSource",
    "FileTask",
    "FileUploadParam",
    "FreeformInput",
    "GeneratedImage",
    "GeneratedImageItem",
    "HiddenContextItem",
    "HistoryParam",
    "ImageTask",
    "InferenceOptions",
    "InputTag",
    "InputText",
    "ItemPage",
    "JSONValue",
    "KnownItem",
    "LockedStatus",
    "MultipleChoiceInput",
    "Order",
    "OutputText",
    "QuotedText",
    "RateLimitsParam",
    "SDKHiddenContextItem",
    "SearchTask",
    "SourceAnnotation",
    "StateValue",
    "StructuredInput",
    "StructuredInputAnswer",
    "StructuredInputItem",
    "StructuredInputOption",
    "TaskGroupItem",
    "TaskGroupTask",
    "TaskItem",
    "ThoughtTask",
    "Thread",
    "ThreadDeleted",
    "ThreadItem",
    "ThreadPage",
    "ThreadStatus",
    "ToolChoice",
    "UnknownAnnotation",
    "UnknownAttachment",
    "UnknownInput",
    "UnknownItem",
    "UnknownPart",
    "UnknownPiece",
    "UnknownSource",
    "UnknownStatus",
    "UnknownTask",
    "UnreadableThread",
    "UrlAnnotation",
    "UrlAnnotationSource",
    "UrlSource",
    "UserContent",
    "UserMessageItem",
    "WidgetItem",
    "Workflow",
    "WorkflowItem",
    "WorkflowParam",
    "WorkflowSummary",
    "WorkflowTask",
    "WorkflowTracingParam",
]

# The pieces inside items live in parts.py; re-exported here, where the spec's were first
# defined. Request bodies live in params.py; re-exported here, where they were first defined.
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


_Model = Model  # the base's former name


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


class UnknownStatus(RawBacked):
    """A thread status that is not one of the three the spec names, kept as its raw JSON.

    ``type`` is its ``"type"`` (or the status itself when the server sent a bare
    string; ``"unknown"`` when it has none), ``reason`` its ``"reason"`` when that is a
    string. An :class:`UnreadableThread` has one with ``type == "unreadable"`` and the
    reason it could not be read.
    """

    __slots__ = ("reason", "type")

    def __init__(self, *, raw: bytes, type: str, reason: str | None = None) -> None:
        super().__init__(raw)
        self.type = type
        self.reason = reason

    def __repr__(self) -> str:
        return f"UnknownStatus(type={self.type!r}, reason={self.reason!r})"


ThreadStatus: TypeAlias = ActiveStatus | LockedStatus | ClosedStatus | UnknownStatus

if TYPE_CHECKING:
    _ThreadStatus: TypeAlias = ThreadStatus
else:  # what the one-pass decoder accepts; tolerant.py puts UnknownStatus in
    _ThreadStatus = ActiveStatus | LockedStatus | ClosedStatus


# --- threads -----------------------------------------------------------------


class Thread(RecordModel):
    """ThreadResource (chatkit-python's ThreadMetadata decodes too: ``user`` is then "").

    ``raw`` is the JSON it arrived as: unnamed fields such as chatkit-python's
    ``metadata`` are kept there.
    """

    id: str
    created_at: Timestamp
    user: str = ""
    status: _ThreadStatus = field(default_factory=ActiveStatus)
    title: str | None = None
    object: str = "chatkit.thread"


class UnreadableThread(RawBacked):
    """A thread that did not decode (no ``id``, a ``created_at`` that is no time, ...).

    ``raw`` is its JSON exactly as it came (an archive keeps that), ``error`` why it did
    not decode. The other attributes are what could be read, else None; ``status`` is an
    :class:`UnknownStatus` of type ``"unreadable"`` so that ``thread.status.type`` works.
    """

    __slots__ = ("created_at", "error", "id", "status", "title", "user")

    def __init__(
        self,
        *,
        raw: bytes,
        error: str,
        status: UnknownStatus,
        id: str | None = None,
        user: str | None = None,
        title: str | None = None,
        created_at: int | None = None,
    ) -> None:
        super().__init__(raw)
        self.error = error
        self.status = status
        self.id = id
        self.user = user
        self.title = title
        self.created_at = created_at

    @property
    def object(self) -> str:
        return "chatkit.thread"

    def __repr__(self) -> str:
        return f"UnreadableThread(id={self.id!r}, error={self.error!r})"


AnyThread: TypeAlias = Thread | UnreadableThread
"""What a thread list page holds and what retrieving a thread gives."""

if TYPE_CHECKING:
    _PageThread: TypeAlias = AnyThread
else:
    _PageThread = Thread


class ThreadDeleted(_Model):
    """DeletedThreadResource."""

    id: str
    deleted: bool
    object: str = "chatkit.thread.deleted"


# --- thread items ----------------------------------------------------------------


class _Item(RecordModel, kw_only=True, tag_field="type"):
    id: str
    created_at: ItemTimestamp  # a date-time made epoch seconds on first read (client/lazy.py)
    thread_id: str
    object: str = "chatkit.thread_item"

    @property
    def type(self) -> str:
        """The canonical type, e.g. "chatkit.user_message" (also for "user_message")."""
        return str(self.__struct_config__.tag)


class UserMessageItem(_Item, kw_only=True, tag="chatkit.user_message"):
    content: list[_UserContent] = field(default_factory=list[_UserContent])
    attachments: list[_Attachment] = field(default_factory=list[_Attachment])
    inference_options: InferenceOptions | None = None
    quoted_text: str | UnsetType | None = UNSET  # chatkit-python's


class AssistantMessageItem(_Item, kw_only=True, tag="chatkit.assistant_message"):
    content: list[_AssistantContent] = field(default_factory=list[_AssistantContent])


class WidgetItem(_Item, kw_only=True, tag="chatkit.widget"):
    """WidgetMessageItem: ``widget`` is a JSON string (the spec) or object (chatkit-python)."""

    widget: str | dict[str, JSONValue]
    copy_text: str | UnsetType | None = UNSET  # chatkit-python's

    @property
    def widget_json(self) -> str:
        """The widget as JSON text, whichever way it came."""
        return json_text(self.widget)


class ClientToolCallItem(_Item, kw_only=True, tag="chatkit.client_tool_call"):
    """``arguments`` is a JSON string (the spec) or object (chatkit-python); ``output``
    a JSON string or None (the spec) or any JSON value (chatkit-python)."""

    status: Literal["in_progress", "completed", "pending"] | str = "pending"
    call_id: str
    name: str
    arguments: str | dict[str, JSONValue]
    output: JSONValue = None

    @property
    def arguments_json(self) -> str:
        """The arguments as JSON text, whichever way they came."""
        return json_text(self.arguments)

    @property
    def output_json(self) -> str | None:
        """The output as JSON text (a string output as is); None while there is none."""
        return None if self.output is None else json_text(self.output)


class TaskItem(_Item, kw_only=True, tag="chatkit.task"):
    """TaskItem: the spec's (``task_type``, ``heading``, ``summary``) or chatkit-python's
    (``task``, one of its workflow tasks).

    For chatkit-python's shape, which has no ``task_type``, ``task_type`` / ``heading`` /
    ``summary`` are filled in from the task's ``type`` / ``title`` / ``content`` so that
    code reading the spec's fields shows it; ``raw`` is what was sent.
    """

    task_type: Literal["custom", "thought"] | str = ""
    heading: str | None = None
    summary: str | None = None
    task: _WorkflowTaskEntry | UnsetType | None = UNSET  # chatkit-python's

    def __post_init__(self) -> None:
        task = self.task
        if self.task_type or task is None or isinstance(task, UnsetType):
            return
        self.task_type = task.type or ""
        if isinstance(task, UnknownTask):
            return
        if self.heading is None:
            self.heading = task.title
        if self.summary is None and isinstance(task, CustomTask | ThoughtTask):
            self.summary = task.content


class TaskGroupItem(_Item, kw_only=True, tag="chatkit.task_group"):
    tasks: list[TaskGroupTask] = field(default_factory=list[TaskGroupTask])


class GeneratedImageItem(_Item, kw_only=True, tag="chatkit.generated_image"):
    """chatkit-python's GeneratedImageItem."""

    image: GeneratedImage | None = None


class StructuredInputItem(_Item, kw_only=True, tag="chatkit.structured_input"):
    """chatkit-python's StructuredInputItem: questions put to the user."""

    status: Literal["pending", "answered", "skipped"] | str = "pending"
    inputs: list[_StructuredInput]


class WorkflowItem(_Item, kw_only=True, tag="chatkit.workflow"):
    """chatkit-python's WorkflowItem."""

    workflow: Workflow


class HiddenContextItem(_Item, kw_only=True, tag="chatkit.hidden_context_item"):
    """chatkit-python's HiddenContextItem: context stored in the thread, not shown."""

    content: JSONValue = None


class SDKHiddenContextItem(_Item, kw_only=True, tag="chatkit.sdk_hidden_context"):
    """chatkit-python's SDKHiddenContextItem: context its SDK stores for itself."""

    content: str


class EndOfTurnItem(_Item, kw_only=True, tag="chatkit.end_of_turn"):
    """chatkit-python's EndOfTurnItem: the assistant ends its turn."""


KnownItem: TypeAlias = (
    UserMessageItem
    | AssistantMessageItem
    | WidgetItem
    | ClientToolCallItem
    | TaskItem
    | TaskGroupItem
    | GeneratedImageItem
    | StructuredInputItem
    | WorkflowItem
    | HiddenContextItem
    | SDKHiddenContextItem
    | EndOfTurnItem
)

KNOWN_ITEM_CLASSES: tuple[type[KnownItem], ...] = (
    UserMessageItem,
    AssistantMessageItem,
    WidgetItem,
    ClientToolCallItem,
    TaskItem,
    TaskGroupItem,
    GeneratedImageItem,
    StructuredInputItem,
    WorkflowItem,
    HiddenContextItem,
    SDKHiddenContextItem,
    EndOfTurnItem,
)
"""Every known item class, in the order of :data:`KnownItem`."""


class UnknownItem(RawBacked):
    """An item we could not decode as one of the known types.

    ``raw`` is the item's JSON exactly as the server sent it; ``error`` says why
    it did not decode (an unknown ``type``, or a known type with bad fields of its own:
    a bad piece inside a known item only makes that piece unknown). The other attributes
    are what could be read, else None (``type`` as sent, not made canonical).
    Deliberately not a Struct: :func:`~chatkit_tui.client.decoding.encode` writes it
    back as its raw JSON.
    """

    __slots__ = ("created_at", "error", "id", "thread_id", "type")

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
        super().__init__(raw)
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

if TYPE_CHECKING:
    _PageItem: TypeAlias = ThreadItem
else:
    _PageItem = KnownItem


# --- pages ---------------------------------------------------------------------


class ThreadPage(RecordModel):
    """ThreadListResource; ``data`` may hold :class:`UnreadableThread`.

    A decoded page keeps its whole body as ``raw`` (fields of the envelope that no
    schema names included).
    """

    data: list[_PageThread]
    has_more: bool = False
    first_id: str | None = None
    last_id: str | None = None
    object: str = "list"


class ItemPage(RecordModel):
    """ThreadItemListResource; ``data`` may hold :class:`UnknownItem`.

    A decoded page keeps its whole body as ``raw``.
    """

    data: list[_PageItem]
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
