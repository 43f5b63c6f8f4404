"""ChatKit widget payloads (Card, ListView, Row, Text, Button, ...) for the demo data."""

from __future__ import annotations

import json
import random
from typing import Any


def _order_card(rng: random.Random) -> dict[str, Any]:
    order = rng.randrange(10_000, 99_999)
    return {
        "type": "Card",
        "size": "md",
        "children": [
            {
                "type": "Row",
                "gap": 2,
                "align": "center",
                "children": [
                    {"type": "Title", "value": f"Order #{order}", "size": "sm"},
                    {"type": "Spacer"},
                    {"type": "Badge", "label": "Shipped", "color": "success"},
                ],
            },
            {"type": "Divider"},
            {
                "type": "Text",
                "value": f"3 items · arriving in {rng.randrange(1, 6)} days",
                "color": "secondary",
            },
            {
                "type": "Image",
                "src": "https://files.example.com/parcels/box.png",
                "alt": "A parcel",
                "size": 48,
            },
            {
                "type": "Row",
                "gap": 2,
                "children": [
                    {
                        "type": "Button",
                        "label": "Track parcel",
                        "style": "primary",
                        "onClickAction": {"type": "track_order", "payload": {"order": order}},
                    },
                    {
                        "type": "Button",
                        "label": "Cancel order",
                        "style": "secondary",
                        "color": "danger",
                        "onClickAction": {"type": "cancel_order", "payload": {"order": order}},
                    },
                ],
            },
        ],
    }


def _plan_list(rng: random.Random) -> dict[str, Any]:
    plans = [("Starter", "$0"), ("Pro", "$49"), ("Enterprise", "Talk to us")]
    return {
        "type": "ListView",
        "limit": 3,
        "children": [
            {
                "type": "ListViewItem",
                "gap": 3,
                "onClickAction": {"type": "choose_plan", "payload": {"plan": name.lower()}},
                "children": [
                    {"type": "Icon", "name": "star" if name == "Pro" else "circle"},
                    {
                        "type": "Col",
                        "children": [
                            {"type": "Text", "value": name, "weight": "semibold"},
                            {"type": "Caption", "value": price},
                        ],
                    },
                ],
            }
            for name, price in plans[: rng.randrange(2, 4)]
        ],
    }


def _confirm_card(rng: random.Random) -> dict[str, Any]:
    amount = rng.choice((19, 49, 99, 249))
    return {
        "type": "Card",
        "size": "sm",
        "confirm": {
            "label": "Refund",
            "action": {"type": "refund", "payload": {"amount_usd": amount}},
        },
        "cancel": {"label": "Keep charge", "action": {"type": "dismiss"}},
        "children": [
            {"type": "Markdown", "value": f"Refund **${amount}.00** to the card ending in 4242?"},
            {"type": "Caption", "value": "Refunds take 5-10 business days."},
        ],
    }


_KINDS = (_order_card, _plan_list, _confirm_card)


def widget_json(rng: random.Random, kind: int | None = None) -> str:
    """A serialized widget, as the API's ``widget`` string field carries it."""
    make = _KINDS[kind % len(_KINDS)] if kind is not None else rng.choice(_KINDS)
    return json.dumps(make(rng), separators=(",", ":"))
