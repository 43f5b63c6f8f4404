"""The pieces inside thread items: content parts, annotations, sources, attachments, tasks.

The spec's pieces (``InputText``, ``QuotedText``, ``OutputText``, ``FileAnnotation``,
``UrlAnnotation``, ``Attachment``, ``TaskGroupTask``, ...) and chatkit-python's
(``InputTag``, ``SourceAnnotation`` with ``FileSource`` / ``UrlSource`` /
``EntitySource``, the workflow tasks, structured inputs, ``GeneratedImage``).

A piece that does not decode where one of several kinds may stand (a content part, an
annotation, an annotation source, an attachment, a workflow task, a structured input)
stays in its place as an ``Unknown*`` object holding its raw JSON (:class:`UnknownPart`,
:class:`UnknownAnnotation`, :class:`UnknownSource`, :class:`UnknownAttachment`,
:class:`UnknownTask`, :class:`UnknownInput`), so one odd piece does not cost the item.
The public unions (``UserContent``, ``Annotation``, ...) include those; the ``_``-named
twins used in field annotations are what msgspec's one-pass decoders accept (msgspec
cannot put a custom class in a union), and :mod:`chatkit_tui.client.tolerant` puts the
``Unknown*`` objects in when the one pass fails.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from msgspec import field

from chatkit_tui.client.base import Model, RawBacked

__all__ = [
    "Annotation",
    "AnnotationSource",
    "AnyAttachment",
    "AssistantContent",
    "Attachment",
    "CustomTask",
    "EntitySource",
    "FileAnnotation",
    "FileAnnotationSource",
    "FileSource",
    "FileTask",
    "FreeformInput",
    "GeneratedImage",
    "ImageTask",
    "InferenceOptions",
    "InputTag",
    "InputText",
    "MultipleChoiceInput",
    "OutputText",
    "QuotedText",
    "SearchTask",
    "SourceAnnotation",
    "StructuredInput",
    "StructuredInputAnswer",
    "StructuredInputOption",
    "TaskGroupTask",
    "ThoughtTask",
    "ToolChoice",
    "UnknownAnnotation",
    "UnknownAttachment",
    "UnknownInput",
    "UnknownPart",
    "UnknownPiece",
    "UnknownSource",
    "UnknownTask",
    "UrlAnnotation",
    "UrlAnnotationSource",
    "UrlSource",
    "UserContent",
    "Workflow",
    "WorkflowSummary",
    "WorkflowTask",
]


class _Tagged(Model, kw_only=True, tag_field="type"):
    """A piece told apart by its ``type``; ``.type`` gives that tag."""

    @property
    def type(self) -> str:
        return str(self.__struct_config__.tag)


# --- what did not decode ------------------------------------------------------------


class UnknownPiece(RawBacked):
    """A piece of an item that did not decode, kept in its place as its raw JSON.

    ``type`` is its ``"type"`` when that is a string; ``error`` says why it did not
    decode (an unknown type, or a known type with bad fields).
    """

    __slots__ = ("error", "type")

    def __init__(self, *, raw: bytes, error: str, type: str | None = None) -> None:
        super().__init__(raw)
        self.error = error
        self.type = type

    def __repr__(self) -> str:
        return f"{type(self).__name__}(type={self.type!r}, error={self.error!r})"


class UnknownPart(UnknownPiece):
    """A content part (user or assistant) that did not decode.

    Readable where a known part is expected: ``text`` is its ``"text"`` when that is a
    string, else ``""``; ``annotations`` is empty.
    """

    __slots__ = ("text",)

    def __init__(self, *, raw: bytes, error: str, type: str | None = None, text: str = "") -> None:
        super().__init__(raw=raw, error=error, type=type)
        self.text = text

    @property
    def annotations(self) -> tuple[()]:
        return ()


class UnknownAnnotation(UnknownPiece):
    """An annotation of assistant output that did not decode."""

    __slots__ = ()


class UnknownSource(UnknownPiece):
    """An annotation's or a task's source that did not decode."""

    __slots__ = ()


class UnknownAttachment(UnknownPiece):
    """An attachment of a user message that did not decode.

    Readable where an :class:`Attachment` is expected: ``id``, ``name`` and
    ``mime_type`` are its own when they are strings, else ``""``; ``preview_url`` likewise,
    else None.
    """

    __slots__ = ("id", "mime_type", "name", "preview_url")

    def __init__(
        self,
        *,
        raw: bytes,
        error: str,
        type: str | None = None,
        id: str = "",
        name: str = "",
        mime_type: str = "",
        preview_url: str | None = None,
    ) -> None:
        super().__init__(raw=raw, error=error, type=type)
        self.id = id
        self.name = name
        self.mime_type = mime_type
        self.preview_url = preview_url


class UnknownTask(UnknownPiece):
    """A workflow task (chatkit-python's task shape) that did not decode."""

    __slots__ = ()


class UnknownInput(UnknownPiece):
    """A structured input that did not decode."""

    __slots__ = ()


# --- user content ------------------------------------------------------------------


class InputText(_Tagged, kw_only=True, tag="input_text"):
    """UserMessageInputText."""

    text: str


class QuotedText(_Tagged, kw_only=True, tag="quoted_text"):
    """UserMessageQuotedText."""

    text: str


class InputTag(_Tagged, kw_only=True, tag="input_tag"):
    """chatkit-python's UserMessageTagContent: an interactive tag in a user message."""

    id: str
    text: str
    data: dict[str, Any]
    group: str | None = None
    interactive: bool = False


UserContent: TypeAlias = InputText | QuotedText | InputTag | UnknownPart

if TYPE_CHECKING:
    _UserContent: TypeAlias = UserContent
else:
    _UserContent = InputText | QuotedText | InputTag


# --- annotations and their sources ----------------------------------------------------


class FileAnnotationSource(Model):
    """FileAnnotationSource (the spec's)."""

    filename: str
    type: str = "file"


class UrlAnnotationSource(Model):
    """UrlAnnotationSource (the spec's)."""

    url: str
    type: str = "url"


class FileAnnotation(_Tagged, kw_only=True, tag="file"):
    """FileAnnotation (the spec's)."""

    source: FileAnnotationSource


class UrlAnnotation(_Tagged, kw_only=True, tag="url"):
    """UrlAnnotation (the spec's)."""

    source: UrlAnnotationSource


class _Source(_Tagged, kw_only=True):
    title: str
    description: str | None = None
    timestamp: str | None = None
    group: str | None = None


class FileSource(_Source, kw_only=True, tag="file"):
    """chatkit-python's FileSource."""

    filename: str


class UrlSource(_Source, kw_only=True, tag="url"):
    """chatkit-python's URLSource."""

    url: str
    attribution: str | None = None


class EntitySource(_Source, kw_only=True, tag="entity"):
    """chatkit-python's EntitySource."""

    id: str
    icon: str | None = None
    label: str | None = None
    inline_label: str | None = None
    interactive: bool = False
    data: dict[str, Any] = field(default_factory=dict[str, Any])


AnnotationSource: TypeAlias = FileSource | UrlSource | EntitySource | UnknownSource

if TYPE_CHECKING:
    _AnnotationSource: TypeAlias = AnnotationSource
    _UrlSourceEntry: TypeAlias = UrlSource | UnknownSource
    _FileSourceEntry: TypeAlias = FileSource | UnknownSource
else:
    _AnnotationSource = FileSource | UrlSource | EntitySource
    _UrlSourceEntry = UrlSource
    _FileSourceEntry = FileSource


class SourceAnnotation(_Tagged, kw_only=True, tag="annotation"):
    """chatkit-python's Annotation (``"type": "annotation"``) with its typed source."""

    source: _AnnotationSource
    index: int | None = None


Annotation: TypeAlias = FileAnnotation | UrlAnnotation | SourceAnnotation | UnknownAnnotation

if TYPE_CHECKING:
    _Annotation: TypeAlias = Annotation
else:
    _Annotation = FileAnnotation | UrlAnnotation | SourceAnnotation


class OutputText(_Tagged, kw_only=True, tag="output_text"):
    """ResponseOutputText."""

    text: str
    annotations: list[_Annotation] = field(default_factory=list[_Annotation])


AssistantContent: TypeAlias = OutputText | UnknownPart

if TYPE_CHECKING:
    _AssistantContent: TypeAlias = AssistantContent
else:
    _AssistantContent = OutputText


# --- attachments and options -----------------------------------------------------------


class Attachment(Model):
    """Attachment (chatkit-python's FileAttachment / ImageAttachment have the same keys)."""

    id: str
    name: str
    mime_type: str
    type: Literal["image", "file"] | str = "file"
    preview_url: str | None = None


AnyAttachment: TypeAlias = Attachment | UnknownAttachment

if TYPE_CHECKING:
    _Attachment: TypeAlias = AnyAttachment
else:
    _Attachment = Attachment


class ToolChoice(Model):
    id: str


class InferenceOptions(Model):
    tool_choice: ToolChoice | None = None
    model: str | None = None


# --- tasks -----------------------------------------------------------------------------


class TaskGroupTask(Model):
    """TaskGroupTask (the spec's)."""

    type: Literal["custom", "thought"] | str
    heading: str | None = None
    summary: str | None = None


class _WorkflowTask(_Tagged, kw_only=True):
    status_indicator: str = "none"  # "none" | "loading" | "complete"
    title: str | None = None


class CustomTask(_WorkflowTask, kw_only=True, tag="custom"):
    """chatkit-python's CustomTask."""

    icon: str | None = None
    content: str | None = None


class SearchTask(_WorkflowTask, kw_only=True, tag="web_search"):
    """chatkit-python's SearchTask."""

    title_query: str | None = None
    queries: list[str] = field(default_factory=list[str])
    sources: list[_UrlSourceEntry] = field(default_factory=list[_UrlSourceEntry])


class ThoughtTask(_WorkflowTask, kw_only=True, tag="thought"):
    """chatkit-python's ThoughtTask."""

    content: str


class FileTask(_WorkflowTask, kw_only=True, tag="file"):
    """chatkit-python's FileTask."""

    sources: list[_FileSourceEntry] = field(default_factory=list[_FileSourceEntry])


class ImageTask(_WorkflowTask, kw_only=True, tag="image"):
    """chatkit-python's ImageTask."""


WorkflowTask: TypeAlias = CustomTask | SearchTask | ThoughtTask | FileTask | ImageTask | UnknownTask

if TYPE_CHECKING:
    _WorkflowTaskEntry: TypeAlias = WorkflowTask
else:
    _WorkflowTaskEntry = CustomTask | SearchTask | ThoughtTask | FileTask | ImageTask


class WorkflowSummary(Model):
    """chatkit-python's CustomSummary (title, icon) or DurationSummary (duration), in one."""

    title: str | None = None
    icon: str | None = None
    duration: int | None = None  # seconds


class Workflow(Model):
    """chatkit-python's Workflow: ``type`` is "custom" or "reasoning"."""

    type: str
    tasks: list[_WorkflowTaskEntry]
    summary: WorkflowSummary | None = None
    expanded: bool = False


# --- structured input and images ---------------------------------------------------------


class StructuredInputAnswer(Model):
    values: list[str] = field(default_factory=list[str])
    skipped: bool = False


class StructuredInputOption(Model):
    value: str


class MultipleChoiceInput(_Tagged, kw_only=True, tag="multiple_choice"):
    """chatkit-python's StructuredInputMultipleChoice."""

    id: str
    question: str
    answer: StructuredInputAnswer | None = None
    options: list[StructuredInputOption]
    multiple: bool = False


class FreeformInput(_Tagged, kw_only=True, tag="freeform"):
    """chatkit-python's StructuredInputFreeform."""

    id: str
    question: str
    answer: StructuredInputAnswer | None = None
    description: str | None = None


StructuredInput: TypeAlias = MultipleChoiceInput | FreeformInput | UnknownInput

if TYPE_CHECKING:
    _StructuredInput: TypeAlias = StructuredInput
else:
    _StructuredInput = MultipleChoiceInput | FreeformInput


class GeneratedImage(Model):
    id: str
    url: str
