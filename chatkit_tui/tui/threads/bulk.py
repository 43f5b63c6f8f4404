"""Bulk delete dialogs: the typed confirmation, then progress and the summary.

:class:`ConfirmBulkDeleteScreen` asks the user to type the number of marked threads.
:class:`BulkDeleteScreen` runs :class:`chatkit_tui.core.bulk.BulkDelete` in a worker (the same
runner as the benchmark), shows a ProgressBar while it runs and the summary at the end;
escape stops launching new deletes (those in flight finish). It dismisses with the
:class:`~chatkit_tui.core.bulk.BulkSummary`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, ProgressBar, Static
from textual.worker import Worker, WorkerState

from chatkit_tui.client.models import AnyThread
from chatkit_tui.core.bulk import DEFAULT_CONCURRENCY, BulkDelete, BulkProgress, BulkSummary
from chatkit_tui.core.text import one_line, plural
from chatkit_tui.tui.base import describe_error
from chatkit_tui.tui.keys.order import ReadFirstDialog
from chatkit_tui.tui.threads.render import shown_id, thread_title

if TYPE_CHECKING:
    from chatkit_tui.client.deployment import Deployment

LISTED = 4  # threads named in the confirmation; the rest are counted


class ConfirmBulkDeleteScreen(ReadFirstDialog):
    """``True`` only when the user typed the number of marked threads. Focus: the input.
    Keys read before the dialog was shown are dropped (see :mod:`chatkit_tui.tui.keys.order`)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="bulk_confirm.cancel"),
    ]

    def __init__(self, threads: list[AnyThread], *, hidden: int = 0, not_loaded: int = 0) -> None:
        super().__init__()
        self.threads = threads
        self.hidden = hidden
        self.not_loaded = not_loaded

    def compose(self) -> ComposeResult:
        count = len(self.threads)
        lines: list[Text] = []
        for thread in self.threads[:LISTED]:
            line = Text("  • ", style="dim", end="")
            line.append(shown_id(thread), style="dim")
            line.append("  ")
            line.append(thread_title(thread), style="bold")
            lines.append(line)
        if count > LISTED:
            lines.append(Text(f"  … and {count - LISTED:,} more", style="dim"))
        if self.hidden:
            lines.append(Text(f"  ({plural(self.hidden)} of these hidden by the / filter)"))
        if self.not_loaded:
            lines.append(Text(f"  ({self.not_loaded:,} of these are not loaded in the list)"))
        listed = Text("\n", end="").join(lines)
        note = Text(
            "Each is archived first (JSON in your data directory); "
            "a thread that cannot be archived is not deleted.",
            style="italic",
            end="",
        )
        with Vertical(id="bulk-confirm-dialog"):
            yield Static(Text(f"Delete {plural(count)}?", style="bold", end=""))
            yield Static(listed, id="bulk-confirm-list")
            yield Static(note, id="bulk-confirm-note")
            with Horizontal(id="bulk-confirm-row"):
                yield Static(Text(f"Type {count} to confirm: ", end=""), id="bulk-confirm-prompt")
                yield Input(placeholder="number", id="bulk-count", max_length=12, compact=True)
            yield Static("", id="bulk-confirm-error")
            with Horizontal(id="bulk-confirm-buttons"):
                yield Button("Cancel (esc)", id="bulk-cancel", variant="primary", compact=True)
                yield Button(
                    f"Delete {plural(count)}", id="bulk-delete", variant="error", compact=True
                )

    def on_mount(self) -> None:
        self.query_one("#bulk-count", Input).focus()

    @on(Button.Pressed, "#bulk-cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)

    @on(Input.Submitted, "#bulk-count")
    @on(Button.Pressed, "#bulk-delete")
    def confirm(self) -> None:
        typed = self.query_one("#bulk-count", Input).value.strip()
        count = len(self.threads)
        if typed == str(count):
            self.dismiss(True)
            return
        shown = one_line(typed) if typed else "nothing"
        error = Text(f"You typed {shown}: type {count} to delete, or escape to cancel.", end="")
        error.stylize("bold")
        self.query_one("#bulk-confirm-error", Static).update(error)
        field = self.query_one("#bulk-count", Input)
        field.focus()


@dataclass
class BulkProgressed(Message):
    progress: BulkProgress


@dataclass
class BulkFinished(Message):
    summary: BulkSummary


class BulkDeleteScreen(ModalScreen[BulkSummary]):
    """Progress of a bulk delete, then its summary. Dismisses with the summary."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "stop_or_close", "Stop / close", id="bulk.stop"),
        Binding("enter", "close", "Close", show=False, id="bulk.close"),
        Binding("q", "quit_guard", "Close (not quit)", show=False, id="bulk.quit_guard"),
    ]

    def __init__(
        self,
        client: Deployment,
        threads: list[AnyThread],
        *,
        archive_dir: Path | None,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        super().__init__()
        self.client = client
        self.threads = threads
        self.archive_dir = archive_dir
        self.concurrency = concurrency
        self.runner: BulkDelete | None = None
        self.summary: BulkSummary | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="bulk-dialog"):
            yield Static(
                Text(f"Deleting {plural(len(self.threads))}", style="bold", end=""),
                id="bulk-title",
            )
            yield ProgressBar(total=len(self.threads), show_eta=False, id="bulk-progress")
            yield Static("", id="bulk-status")
            with VerticalScroll(id="bulk-summary"):
                yield Static("", id="bulk-summary-text")
            yield Static(Text("escape stops: deletes in flight finish", end=""), id="bulk-hint")

    def on_mount(self) -> None:
        self.run_bulk()

    @work(group="bulk", exit_on_error=False)
    async def run_bulk(self) -> None:
        self.runner = runner = BulkDelete(
            self.client,
            [t.id for t in self.threads if t.id is not None],
            archive_dir=self.archive_dir,
            concurrency=self.concurrency,
            on_progress=lambda p: self.post_message(BulkProgressed(p)),
        )
        summary = await runner.run()
        self.post_message(BulkFinished(summary))

    def on_bulk_progressed(self, message: BulkProgressed) -> None:
        if self.summary is not None:
            return
        p = message.progress
        self.query_one("#bulk-progress", ProgressBar).update(progress=p.finished)
        text = Text(f"{p.finished:,} of {p.total:,} done · {p.in_flight} in flight", end="")
        text.append(f" · {p.concurrency} at a time", style="dim")
        if p.rate_limited:
            text.append(f"\nrate limited {p.rate_limited} times", style="bold")
            if p.waiting > 0:
                text.append(f": waiting {p.waiting:.1f} s before the next", style="bold")
        if p.stopping:
            text.append("\nstopping: waiting for the requests in flight…", style="bold")
        self.query_one("#bulk-status", Static).update(text)

    def on_bulk_finished(self, message: BulkFinished) -> None:
        self.summary = summary = message.summary
        bar = self.query_one("#bulk-progress", ProgressBar)
        bar.update(progress=len(summary.results) - len(summary.not_attempted))
        self.query_one("#bulk-title", Static).update(
            Text("Bulk delete stopped" if summary.stopped else "Bulk delete done", style="bold")
        )
        status = Text(summary.line(), style="bold", end="")
        status.append(f" · {summary.elapsed:.1f} s", style="dim")
        if summary.rate_limited:
            status.append(
                f"\nrate limited {summary.rate_limited} times after retries: backed off, "
                f"down to {summary.lowest_concurrency} at a time",
                style="dim",
            )
        self.query_one("#bulk-status", Static).update(status)
        details = summary_text(summary, self.threads, where=self.client.capabilities.threads_from)
        self.query_one("#bulk-summary-text", Static).update(details)
        self.query_one("#bulk-summary").set_class(bool(details), "-done")
        hint = "escape or enter closes"
        if summary.failed or summary.not_attempted:
            hint += " · the threads not deleted stay marked"
        self.query_one("#bulk-hint", Static).update(Text(hint, end=""))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker: Worker[object] = event.worker  # pyright: ignore[reportUnknownMemberType,reportUnknownVariableType]
        if event.state != WorkerState.ERROR or self.runner is None or self.summary is not None:
            return

        summary = self.runner.summary  # what was done before the failure
        self.post_message(BulkFinished(summary))
        self.notify(
            f"The bulk delete stopped on an error: {describe_error(worker.error or Exception())}",
            title="Bulk delete",
            severity="error",
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "close":
            return self.summary is not None
        return True

    def action_close(self) -> None:
        if self.summary is not None:
            self.dismiss(self.summary)

    def action_quit_guard(self) -> None:
        """q would quit the app and cut requests in flight: close when done, else say how."""
        if self.summary is not None:
            self.dismiss(self.summary)
            return
        self.notify(
            "A bulk delete is running: escape stops it (requests in flight finish), then q quits.",
            title="Bulk delete",
            severity="warning",
        )

    def action_stop_or_close(self) -> None:
        if self.summary is not None:
            self.dismiss(self.summary)
        elif self.runner is not None:
            self.runner.stop()


def summary_text(
    summary: BulkSummary, threads: list[AnyThread], *, where: str = "from the server"
) -> Text:
    """Failures with their reasons, then what was already gone (``where`` from: the
    server, the Store) or not attempted."""
    titles = {t.id: thread_title(t) for t in threads if t.id is not None}
    text = Text(end="")
    sections = (
        ("Failed (still marked)", summary.failed, "bold red"),
        ("Not attempted (still marked)", summary.not_attempted, "bold"),
        (f"Already gone {where}", summary.gone, "bold"),
    )
    for heading, results, style in sections:
        if not results:
            continue
        text.append(f"{heading}: {len(results)}\n", style=style)
        for result in results:
            text.append("  • ")
            text.append(one_line(result.thread_id), style="dim")
            text.append(f"  {titles.get(result.thread_id, '')}\n", style="bold")
            if result.reason and result.outcome.value == "failed":
                text.append(f"    {one_line(result.reason)}\n")
    if summary.deleted:
        archive = summary.deleted[0].archive
        folder = f" in {archive.parent}" if archive is not None else ""
        text.append(f"Deleted: {len(summary.deleted):,}, archived{folder}\n", style="bold")
    return text
