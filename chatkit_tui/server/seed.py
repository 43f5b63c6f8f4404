"""Deterministic demo data: ``seed(store, n_threads, rng_seed=0)``.

Everything comes from one ``random.Random(rng_seed)``, so the same arguments
give the same ids, users, titles and items. Timestamps count back from
``base_time``: a fixed instant by default (tests and screenshots stay the same),
"now" for the demo and ``serve`` so the data looks recent.

Shape of the data:
- users: ``max(8, n // 20)`` of them (capped at 5,000), emails and opaque ids,
  with a skewed distribution (a few users own many threads);
- thread 0 (the newest) is a showcase holding every item type and edge case;
  threads 1-6 have titles that look like markup or carry terminal escapes;
- statuses: mostly active, some locked and closed, with and without reasons;
  some titles are null;
- items: about 8% of threads have none, most have a short conversation;
  when ``n_threads >= 40`` thread 2 has 2,400 items and thread 5 has 1,100;
  only the newest 5,000 threads get items, so seeding 100k threads stays fast
  (the rest are empty threads, which the benchmark only lists).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator

from chatkit_tui.client.models import (
    Annotation,
    AnyAttachment,
    AssistantContent,
    AssistantMessageItem,
    Attachment,
    ClientToolCallItem,
    FileAnnotation,
    FileAnnotationSource,
    InferenceOptions,
    InputText,
    KnownItem,
    OutputText,
    QuotedText,
    TaskGroupItem,
    TaskGroupTask,
    TaskItem,
    ToolChoice,
    UrlAnnotation,
    UrlAnnotationSource,
    UserContent,
    UserMessageItem,
    WidgetItem,
)
from chatkit_tui.server import seed_content as c
from chatkit_tui.server.seed_widgets import widget_json
from chatkit_tui.server.store import Store

BASE_TIME = 1_762_000_000  # 2025-11-01T12:26:40Z: fixed so seeds are reproducible
ITEM_THREADS_MAX = 5_000
BIG_THREADS = {2: 2_400, 5: 1_100}
BIG_THREADS_MIN_N = 40


def _hex(rng: random.Random, bits: int = 96) -> str:
    return f"{rng.getrandbits(bits):0{bits // 4}x}"


def make_users(rng: random.Random, count: int) -> list[str]:
    users: list[str] = []
    seen: set[str] = set()
    while len(users) < count:
        name = rng.choice(c.FIRST_NAMES)
        style = rng.random()
        if style < 0.45:
            user = f"{name}.{rng.randrange(100, 999)}@{rng.choice(c.DOMAINS)}"
        elif style < 0.8:
            user = f"user_{name}_{rng.randrange(1000, 99999)}"
        else:
            user = f"usr_{_hex(rng, 48)}"
        if user not in seen:
            seen.add(user)
            users.append(user)
    return users


def _fill(rng: random.Random, template: str, **extra: str) -> str:
    values = {
        "n": str(rng.randrange(10_000, 99_999)),
        "product": rng.choice(c.PRODUCTS),
        "product2": rng.choice(c.PRODUCTS),
        "thing": rng.choice(c.THINGS),
        "verb": rng.choice(c.VERBS),
        "q": str(rng.randrange(1, 5)),
        "small": str(rng.choice((3, 5, 12, 40, 250))),
        "user": "someone@example.com",
        "title": "Follow-up",
    }
    values.update(extra)
    return template.format(**values)


def seed(store: Store, n_threads: int, *, rng_seed: int = 0, base_time: int = BASE_TIME) -> None:
    """Insert ``n_threads`` demo threads (and their items) into ``store``."""
    if n_threads <= 0:
        return
    rng = random.Random(rng_seed)
    users = make_users(rng, min(5_000, max(8, n_threads // 20)))
    weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(users))]
    owners = rng.choices(users, weights=weights, k=n_threads)
    gap = max(1, min(6 * 3600, 365 * 86400 // n_threads))
    rows: list[tuple[str, int, str, str | None, str, str | None]] = []
    created = base_time
    for i in range(n_threads):
        if i % 10 != 9:  # every tenth thread shares its second with the previous one
            created -= rng.randrange(1, 2 * gap + 1) if i else 0
        if 1 <= i <= len(c.HOSTILE_TITLES):
            title: str | None = c.HOSTILE_TITLES[i - 1]
        elif rng.random() < 0.05 and i:
            title = None
        else:
            title = _fill(rng, rng.choice(c.TITLE_TEMPLATES))
        roll = rng.random()
        status, reason = "active", None
        if i and roll < 0.08:
            status, reason = "locked", rng.choice(c.LOCK_REASONS)
        elif i and roll < 0.2:
            status, reason = "closed", rng.choice(c.CLOSE_REASONS)
        rows.append((f"cthr_{_hex(rng)}", created, owners[i], title, status, reason))
    store.insert_thread_rows(rows)

    batch: list[KnownItem] = []
    for i, (thread_id, created_at, user, title, _, _) in enumerate(rows[:ITEM_THREADS_MAX]):
        if i == 0:
            batch.extend(showcase_items(rng, thread_id, created_at, user))
        else:
            count = BIG_THREADS.get(i, 0) if n_threads >= BIG_THREADS_MIN_N else 0
            if not count:
                count = 0 if rng.random() < 0.08 else rng.randrange(1, 30)
            batch.extend(conversation(rng, thread_id, created_at, user, title or "", count))
        if len(batch) >= 20_000:
            store.insert_items(batch)
            batch = []
    store.insert_items(batch)


class _Clock:
    """Item ids and strictly increasing timestamps inside one thread."""

    def __init__(self, rng: random.Random, thread_id: str, start: int) -> None:
        self.rng = rng
        self.thread_id = thread_id
        self.now = start

    def next(self) -> tuple[str, int]:
        self.now += self.rng.randrange(1, 40)
        return f"cthi_{_hex(self.rng)}", self.now


def _user_message(rng: random.Random, clock: _Clock, *, rich: bool) -> UserMessageItem:
    item_id, at = clock.next()
    content: list[UserContent] = []
    if rich or rng.random() < 0.2:
        content.append(QuotedText(text=rng.choice(c.QUOTES)))
    content.append(InputText(text=_fill(rng, rng.choice(c.QUESTIONS))))
    attachments: list[AnyAttachment] = []
    if rich or rng.random() < 0.15:
        for _ in range(1 + (rich or rng.random() < 0.3)):
            name, mime = rng.choice(c.FILES)
            image = mime.startswith("image/")
            attachments.append(
                Attachment(
                    id=f"cfile_{_hex(rng, 64)}",
                    name=name,
                    mime_type=mime,
                    type="image" if image else "file",
                    preview_url=(f"https://files.example.com/previews/{_hex(rng, 32)}.png")
                    if image
                    else None,
                )
            )
    options = None
    if rich or rng.random() < 0.25:
        tool = rng.choice(c.TOOLS)[0] if rich or rng.random() < 0.5 else None
        options = InferenceOptions(
            tool_choice=ToolChoice(id=tool) if tool else None,
            model=rng.choice(c.MODELS) if rich or rng.random() < 0.7 else None,
        )
    return UserMessageItem(
        id=item_id,
        created_at=at,
        thread_id=clock.thread_id,
        content=content,
        attachments=attachments,
        inference_options=options,
    )


def _answer(rng: random.Random, clock: _Clock, *, rich: bool) -> AssistantMessageItem:
    item_id, at = clock.next()
    parts = [_fill(rng, rng.choice(c.ANSWER_INTROS)), ""]
    steps = rng.randrange(2, 5)
    parts.extend(
        f"{k + 1}. {_fill(rng, 'Open **{product}** and go to *Settings*.')}" for k in range(steps)
    )
    if rich or rng.random() < 0.4:
        lang, code = rng.choice(c.CODE_SNIPPETS)
        parts.extend(["", f"```{lang}", _fill(rng, code), "```"])
    if rich or rng.random() < 0.3:
        parts.extend(["", "| plan | seats | price |", "|---|---|---|", "| Starter | 5 | $0 |",
                      "| Pro | 50 | $49 |"])  # fmt: skip
    parts.extend(["", "Let me know if that helps — see the `docs` for more."])
    annotations: list[Annotation] = []
    if rich or rng.random() < 0.35:
        annotations.append(UrlAnnotation(source=UrlAnnotationSource(url=rng.choice(c.URLS))))
    if rich or rng.random() < 0.2:
        annotations.append(
            FileAnnotation(source=FileAnnotationSource(filename=rng.choice(c.FILES)[0]))
        )
    content: list[AssistantContent] = [OutputText(text="\n".join(parts), annotations=annotations)]
    if rich:
        content.append(OutputText(text="A second segment with no annotations.", annotations=[]))
    return AssistantMessageItem(
        id=item_id, created_at=at, thread_id=clock.thread_id, content=content
    )


def _tool_call(
    rng: random.Random, clock: _Clock, user: str, title: str, *, status: str, json_output: bool
) -> ClientToolCallItem:
    item_id, at = clock.next()
    name, args = rng.choice(c.TOOLS)
    filled = {k: _fill(rng, v, user=user, title=title) if isinstance(v, str) else v
              for k, v in args.items()}  # fmt: skip
    output: str | None = None
    if status == "completed":
        if json_output:
            status_word = rng.choice(("shipped", "pending", "refunded", "not_found"))
            result = {"status": status_word, "eta_days": rng.randrange(1, 9)}
            output = json.dumps({"ok": True, "result": result})
        else:
            output = rng.choice(c.NON_JSON_OUTPUTS)
    return ClientToolCallItem(
        id=item_id,
        created_at=at,
        thread_id=clock.thread_id,
        status=status,
        call_id=f"call_{_hex(rng, 64)}",
        name=name,
        arguments=json.dumps(filled),
        output=output,
    )


def _task(rng: random.Random, clock: _Clock, kind: str) -> TaskItem:
    item_id, at = clock.next()
    if kind == "thought":
        heading, summary = "Thinking", _fill(rng, rng.choice(c.THOUGHTS))
    else:
        heading, summary = rng.choice(c.TASK_HEADINGS), "Found 3 relevant results."
    if rng.random() < 0.1:
        summary = None
    return TaskItem(
        id=item_id,
        created_at=at,
        thread_id=clock.thread_id,
        task_type=kind,
        heading=heading,
        summary=summary,
    )


def _task_group(rng: random.Random, clock: _Clock) -> TaskGroupItem:
    item_id, at = clock.next()
    tasks = [
        TaskGroupTask(type="custom", heading=rng.choice(c.TASK_HEADINGS), summary="Done."),
        TaskGroupTask(type="thought", heading=None, summary=_fill(rng, rng.choice(c.THOUGHTS))),
        TaskGroupTask(type="custom", heading="Waiting for the payment provider", summary=None),
    ]
    return TaskGroupItem(
        id=item_id, created_at=at, thread_id=clock.thread_id, tasks=tasks[: rng.randrange(1, 4)]
    )


def _widget(rng: random.Random, clock: _Clock, kind: int | None = None) -> WidgetItem:
    item_id, at = clock.next()
    return WidgetItem(
        id=item_id, created_at=at, thread_id=clock.thread_id, widget=widget_json(rng, kind)
    )


def conversation(
    rng: random.Random, thread_id: str, created_at: int, user: str, title: str, count: int
) -> Iterator[KnownItem]:
    """``count`` items of a believable conversation, in time order."""
    clock = _Clock(rng, thread_id, created_at)
    made = 0
    while made < count:
        turn: list[KnownItem] = [_user_message(rng, clock, rich=False)]
        roll = rng.random()
        if roll < 0.15:
            turn.append(_task(rng, clock, rng.choice(("custom", "thought"))))
        elif roll < 0.22:
            turn.append(_task_group(rng, clock))
        if rng.random() < 0.15:
            turn.append(
                _tool_call(
                    rng, clock, user, title, status="completed", json_output=rng.random() < 0.8
                )
            )
        turn.append(_answer(rng, clock, rich=False))
        if rng.random() < 0.08:
            turn.append(_widget(rng, clock))
        yield from turn[: count - made]
        made += len(turn)


def showcase_items(
    rng: random.Random, thread_id: str, created_at: int, user: str
) -> list[KnownItem]:
    """Every item type and edge case, in the newest thread, for demos and UI tests."""
    clock = _Clock(rng, thread_id, created_at)
    items: list[KnownItem] = [
        _user_message(rng, clock, rich=True),
        _task(rng, clock, "thought"),
        _task(rng, clock, "custom"),
        _task_group(rng, clock),
        _tool_call(rng, clock, user, "Showcase", status="completed", json_output=True),
        _tool_call(rng, clock, user, "Showcase", status="completed", json_output=False),
        _answer(rng, clock, rich=True),
    ]
    items.extend(_widget(rng, clock, kind) for kind in range(3))
    item_id, at = clock.next()
    items.append(
        UserMessageItem(
            id=item_id,
            created_at=at,
            thread_id=thread_id,
            content=[
                InputText(text="Literal text, not markup: [bold]x[/] [@click=app.quit]quit[/]"),
                QuotedText(text="\x1b[31mescape sequences\x1b[0m must be shown, not obeyed"),
            ],
            attachments=[],
            inference_options=None,
        )
    )
    items.append(_answer(rng, clock, rich=False))
    items.append(_tool_call(rng, clock, user, "Showcase", status="in_progress", json_output=True))
    return items
