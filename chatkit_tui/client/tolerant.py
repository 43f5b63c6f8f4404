"""The slow path of decoding: what a one-pass decoder rejected, read field by field.

:mod:`chatkit_tui.client.decoding` decodes a page, a thread or an item in one pass with
msgspec; only an element that pass rejects comes here (imported on first need):

- an item: its ``type`` (either spelling) picks its class and its fields are decoded
  one by one. Where one of several kinds of piece may stand (content parts,
  annotations, annotation sources, attachments, workflow tasks, structured inputs) a
  piece that does not decode becomes an ``Unknown*`` in its place; a ``created_at``
  may be a number or an ISO 8601 date-time. A missing or bad field of the item's own
  (or an unknown ``type``) makes it an :class:`~chatkit_tui.client.models.UnknownItem`.
- a thread: a status that is none of the three becomes an
  :class:`~chatkit_tui.client.models.UnknownStatus`; a missing or bad field of its own
  makes it an :class:`~chatkit_tui.client.models.UnreadableThread` with what could be
  read.

Every result keeps its raw JSON. Errors read like msgspec's, with the path from the
element: "Expected `str`, got `int` - at `$.content[1].text`".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import msgspec
from msgspec import Raw, Struct

from chatkit_tui.client.base import TOO_DEEP, Timestamp, epoch_seconds
from chatkit_tui.client.models import (
    KNOWN_ITEM_CLASSES,
    ActiveStatus,
    AnyThread,
    AssistantMessageItem,
    ClosedStatus,
    LockedStatus,
    StructuredInputItem,
    TaskItem,
    Thread,
    ThreadItem,
    ThreadStatus,
    UnknownItem,
    UnknownStatus,
    UnreadableThread,
    UserMessageItem,
    WorkflowItem,
)
from chatkit_tui.client.parts import (
    Attachment,
    CustomTask,
    EntitySource,
    FileAnnotation,
    FileSource,
    FileTask,
    FreeformInput,
    ImageTask,
    InputTag,
    InputText,
    MultipleChoiceInput,
    OutputText,
    QuotedText,
    SearchTask,
    SourceAnnotation,
    ThoughtTask,
    UnknownAnnotation,
    UnknownAttachment,
    UnknownInput,
    UnknownPart,
    UnknownPiece,
    UnknownSource,
    UnknownTask,
    UrlAnnotation,
    UrlSource,
    Workflow,
)

__all__ = ["item", "lazy_field", "thread"]

Handler = Callable[[Raw], Any]

_members_decoder = msgspec.json.Decoder(dict[str, Raw])
_elements_decoder = msgspec.json.Decoder(list[Raw])
_str_decoder = msgspec.json.Decoder(str)
_time_decoder = msgspec.json.Decoder(Timestamp)
_status_decoder = msgspec.json.Decoder(ActiveStatus | LockedStatus | ClosedStatus)

_MARK = " - at `$"


class Bad(Exception):
    """Why a value did not decode: a msgspec-style message with its path."""


def _at(message: str, step: str) -> str:
    """``message`` about a value, made about the value ``step`` (".key", "[3]") below."""
    i = message.rfind(_MARK)
    if i < 0:
        return f"{message}{_MARK}{step}`"
    j = i + len(_MARK)
    return message[:j] + step + message[j:]


def _members(data: Raw | bytes) -> dict[str, Raw]:
    try:
        return _members_decoder.decode(data)
    except msgspec.ValidationError as exc:
        raise Bad(str(exc)) from None


def _optional_str(members: Mapping[str, Raw], key: str) -> str | None:
    value = members.get(key)
    if value is None:
        return None
    try:
        return _str_decoder.decode(value)
    except msgspec.ValidationError:
        return None


def _optional_time(members: Mapping[str, Raw], key: str) -> int | None:
    value = members.get(key)
    if value is None:
        return None
    try:
        return _timestamp(value)
    except (msgspec.ValidationError, Bad):
        return None


def _timestamp(value: Raw) -> int:
    """Epoch seconds from a number or an ISO 8601 date-time."""
    try:
        return epoch_seconds(_time_decoder.decode(value))
    except ValueError as exc:
        raise Bad(str(exc)) from None


class Plan:
    """How to decode one Struct type field by field: a handler per field.

    A field without a handler of its own is decoded strictly as its annotation says.
    """

    __slots__ = ("_cls", "_fields")

    def __init__(self, cls: type[Struct], handlers: Mapping[str, Handler] | None = None) -> None:
        handlers = handlers or {}
        self._cls = cls
        self._fields = tuple(
            (
                info.name,
                info.encode_name,
                info.required,
                handlers.get(info.name) or msgspec.json.Decoder(info.type).decode,
            )
            for info in msgspec.structs.fields(cls)
        )

    def decode(self, data: Raw | bytes) -> Any:
        return self.decode_members(_members(data))

    def decode_members(self, members: Mapping[str, Raw]) -> Any:
        """An instance from a JSON object's members; Bad when a field of its own is bad."""
        kwargs: dict[str, Any] = {}
        for name, key, required, handler in self._fields:
            value = members.get(key)
            if value is None:
                if required:
                    raise Bad(f"Object missing required field `{key}`")
                continue
            try:
                kwargs[name] = handler(value)
            except (msgspec.ValidationError, Bad) as exc:
                raise Bad(_at(str(exc), f".{key}")) from None
        return self._cls(**kwargs)


Unknown = Callable[[bytes, str, str | None, Mapping[str, Raw]], UnknownPiece]


def _unknown(cls: type[UnknownPiece]) -> Unknown:
    def make(raw: bytes, error: str, kind: str | None, members: Mapping[str, Raw]) -> UnknownPiece:
        return cls(raw=raw, error=error, type=kind)

    return make


def _unknown_part(
    raw: bytes, error: str, kind: str | None, members: Mapping[str, Raw]
) -> UnknownPiece:
    return UnknownPart(raw=raw, error=error, type=kind, text=_optional_str(members, "text") or "")


def _unknown_attachment(
    raw: bytes, error: str, kind: str | None, members: Mapping[str, Raw]
) -> UnknownPiece:
    return UnknownAttachment(
        raw=raw,
        error=error,
        type=kind,
        id=_optional_str(members, "id") or "",
        name=_optional_str(members, "name") or "",
        mime_type=_optional_str(members, "mime_type") or "",
        preview_url=_optional_str(members, "preview_url"),
    )


class OneOf:
    """A place where one of several kinds of piece may stand: that kind, or an Unknown*.

    ``kinds`` is what msgspec decodes in one go; ``plans`` says how to read, field by
    field, a kind (by its ``type``) that has pieces of its own, so that a bad piece
    deeper down does not cost this one.
    """

    __slots__ = ("_decoder", "_plans", "_unknown")

    def __init__(
        self, kinds: Any, unknown: Unknown, plans: Mapping[str, Plan] | None = None
    ) -> None:
        self._decoder = msgspec.json.Decoder(kinds)
        self._unknown = unknown
        self._plans = plans or {}

    def __call__(self, value: Raw) -> Any:
        try:
            return self._decoder.decode(value)
        except msgspec.ValidationError as exc:
            error = str(exc)
        try:
            members = _members_decoder.decode(value)
        except msgspec.ValidationError:
            members = {}
        kind = _optional_str(members, "type")
        plan = self._plans.get(kind) if kind is not None else None
        if plan is not None:
            try:
                return plan.decode_members(members)
            except Bad as exc:
                error = str(exc)
        return self._unknown(bytes(value), error, kind, members)


def _list_of(one: OneOf) -> Handler:
    """A JSON array of pieces, each decoded by ``one`` (which never fails)."""

    def decode(value: Raw) -> list[Any]:
        return [one(element) for element in _elements_decoder.decode(value)]

    return decode


def _status(value: Raw) -> ThreadStatus:
    try:
        return _status_decoder.decode(value)
    except msgspec.ValidationError:
        pass
    try:
        members = _members_decoder.decode(value)
    except msgspec.ValidationError:  # not an object: a bare string is taken as the type
        try:
            kind: str | None = _str_decoder.decode(value)
        except msgspec.ValidationError:
            kind = None
        return UnknownStatus(raw=bytes(value), type=kind or "unknown")
    kind = _optional_str(members, "type")
    reason = _optional_str(members, "reason")
    return UnknownStatus(raw=bytes(value), type=kind or "unknown", reason=reason)


# --- how each kind of piece and record is read -------------------------------------------

_URL_SOURCE = OneOf(UrlSource, _unknown(UnknownSource))
_FILE_SOURCE = OneOf(FileSource, _unknown(UnknownSource))
_SOURCE = OneOf(FileSource | UrlSource | EntitySource, _unknown(UnknownSource))
_ANNOTATION = OneOf(
    FileAnnotation | UrlAnnotation | SourceAnnotation,
    _unknown(UnknownAnnotation),
    {"annotation": Plan(SourceAnnotation, {"source": _SOURCE})},
)
_USER_CONTENT = OneOf(InputText | QuotedText | InputTag, _unknown_part)
_ASSISTANT_CONTENT = OneOf(
    OutputText,
    _unknown_part,
    {"output_text": Plan(OutputText, {"annotations": _list_of(_ANNOTATION)})},
)
_ATTACHMENT = OneOf(Attachment, _unknown_attachment)
_TASK_KINDS = CustomTask | SearchTask | ThoughtTask | FileTask | ImageTask
_TASK_PLANS = {
    "web_search": Plan(SearchTask, {"sources": _list_of(_URL_SOURCE)}),
    "file": Plan(FileTask, {"sources": _list_of(_FILE_SOURCE)}),
}
_WORKFLOW_TASK = OneOf(_TASK_KINDS, _unknown(UnknownTask), _TASK_PLANS)
_TASK_OR_NULL = OneOf(_TASK_KINDS | None, _unknown(UnknownTask), _TASK_PLANS)
_STRUCTURED_INPUT = OneOf(MultipleChoiceInput | FreeformInput, _unknown(UnknownInput))
_WORKFLOW = Plan(Workflow, {"tasks": _list_of(_WORKFLOW_TASK)})

_ITEM_HANDLERS: dict[type[Struct], dict[str, Handler]] = {
    UserMessageItem: {
        "content": _list_of(_USER_CONTENT),
        "attachments": _list_of(_ATTACHMENT),
    },
    AssistantMessageItem: {"content": _list_of(_ASSISTANT_CONTENT)},
    TaskItem: {"task": _TASK_OR_NULL},
    WorkflowItem: {"workflow": _WORKFLOW.decode},
    StructuredInputItem: {"inputs": _list_of(_STRUCTURED_INPUT)},
}


def _item_plans() -> dict[str, Plan]:
    """A plan per item type, under both spellings ("chatkit.task" and "task")."""
    plans: dict[str, Plan] = {}
    for cls in KNOWN_ITEM_CLASSES:
        plan = Plan(cls, {"created_at": _timestamp, **_ITEM_HANDLERS.get(cls, {})})
        tag = str(cls.__struct_config__.tag)
        plans[tag] = plans[tag.removeprefix("chatkit.")] = plan
    return plans


_ITEM_PLANS = _item_plans()
_THREAD = Plan(Thread, {"created_at": _timestamp, "status": _status})


# --- the two entry points ----------------------------------------------------------------


def item(data: Raw | bytes, error: str) -> ThreadItem:
    """An item the one-pass decoder rejected (with ``error``), read as well as it can be.

    A known item with ``Unknown*`` pieces in it, or an :class:`UnknownItem`.
    """
    raw = bytes(data)
    try:
        members = _members_decoder.decode(raw)
    except msgspec.ValidationError as exc:
        return UnknownItem(raw=raw, error=str(exc))
    kind = _optional_str(members, "type")
    plan = _ITEM_PLANS.get(kind) if kind is not None else None
    if plan is not None:
        try:
            found = plan.decode_members(members)
        except Bad as exc:
            error = str(exc)
        else:
            found._raw = raw
            return found
    return UnknownItem(
        raw=raw,
        error=error,
        type=kind,
        id=_optional_str(members, "id"),
        thread_id=_optional_str(members, "thread_id"),
        created_at=_optional_time(members, "created_at"),
    )


def thread(data: Raw | bytes, *, whole_body: bool = False) -> AnyThread:
    """A thread the one-pass decoder rejected, read as well as it can be.

    A :class:`Thread` (with an :class:`UnknownStatus`, say) or an
    :class:`UnreadableThread`. With ``whole_body`` (a retrieved thread: the response
    body) JSON that is not an object raises ``msgspec.ValidationError`` instead.
    """
    raw = bytes(data)
    try:
        members = _members_decoder.decode(raw)
    except msgspec.ValidationError as exc:
        if whole_body:
            raise
        error = str(exc)
        return UnreadableThread(
            raw=raw, error=error, status=UnknownStatus(raw=b"null", type="unreadable", reason=error)
        )
    try:
        found = _THREAD.decode_members(members)
    except Bad as exc:
        error = str(exc)
    else:
        found._raw = raw
        return found
    status = members.get("status")
    return UnreadableThread(
        raw=raw,
        error=error,
        status=UnknownStatus(
            raw=b"null" if status is None else bytes(status), type="unreadable", reason=error
        ),
        id=_optional_str(members, "id"),
        user=_optional_str(members, "user"),
        title=_optional_str(members, "title"),
        created_at=_optional_time(members, "created_at"),
    )


# --- a field decoded on first read that the strict decode rejected (see .lazy) --------------


def _one_unknown(cls: type[UnknownPiece]) -> Callable[[bytes, str], Any]:
    def make(raw: bytes, error: str) -> list[UnknownPiece]:
        return [cls(raw=raw, error=error)]

    return make


def _unreadable_workflow(raw: bytes, error: str) -> Workflow:
    kind: str | None = None
    try:
        kind = _optional_str(_members_decoder.decode(raw), "type")
    except (msgspec.ValidationError, RecursionError):
        pass
    return Workflow(type=kind or "", tasks=[UnknownTask(raw=raw, error=error)])


def _as_text(raw: bytes, error: str) -> str:
    return raw.decode()


_LAZY_UNREADABLE: dict[tuple[type, str], Callable[[bytes, str], Any]] = {
    (UserMessageItem, "content"): _one_unknown(UnknownPart),
    (UserMessageItem, "attachments"): _one_unknown(UnknownAttachment),
    (AssistantMessageItem, "content"): _one_unknown(UnknownPart),
    (StructuredInputItem, "inputs"): _one_unknown(UnknownInput),
    (WorkflowItem, "workflow"): _unreadable_workflow,
}


def lazy_field(owner: type, name: str, data: Raw, exc: Exception) -> Any:
    """A field of ``owner`` decoded on first read that the strict decoder rejected
    (``exc``): read piece by piece as :func:`item` reads it (a bad piece an ``Unknown*``
    in its place); what cannot be read so stands as one ``Unknown*`` holding it (a
    workflow: one with an ``UnknownTask`` holding it), a widget or arguments that are
    neither text nor an object as their JSON text. Never raises."""
    raw = bytes(data)
    handler = _ITEM_HANDLERS.get(owner, {}).get(name)
    error = TOO_DEEP if isinstance(exc, RecursionError) else str(exc)
    if handler is not None and not isinstance(exc, RecursionError):
        try:
            return handler(data)
        except (msgspec.ValidationError, Bad) as bad:
            error = str(bad)
        except RecursionError:
            error = TOO_DEEP
    return _LAZY_UNREADABLE.get((owner, name), _as_text)(raw, error)
