"""Word lists and templates for the demo data (see seed.py)."""

from __future__ import annotations

FIRST_NAMES = (
    "alice", "bob", "carmen", "dmitri", "esra", "farid", "grace", "hiro", "ines", "jamal",
    "kofi", "lena", "mateo", "nadia", "oskar", "priya", "quinn", "rosa", "sven", "tariq",
    "uma", "viktor", "wen", "ximena", "yusuf", "zoe", "amara", "bruno", "chloe", "diego",
)  # fmt: skip

DOMAINS = ("example.com", "acme.test", "contoso.example", "globex.test", "initech.example")

PRODUCTS = (
    "the mobile app", "Slack", "the billing portal", "Salesforce", "our API", "SSO",
    "the iOS widget", "Zapier", "the CSV importer", "Google Drive", "the dashboard",
    "HubSpot", "the webhook endpoint", "Okta", "the Android app", "Stripe",
)  # fmt: skip

THINGS = (
    "invoices", "the audit log", "user list", "monthly report", "chat transcripts",
    "usage data", "order history", "support tickets", "the product catalog", "receipts",
)  # fmt: skip

TITLE_TEMPLATES = (
    "Refund for order #{n}",
    "Can't connect {product} to {product2}",
    "How do I export {thing} as CSV?",
    "Password reset email never arrives",
    "Upgrade from Starter to Pro plan",
    "Error 502 when calling {product}",
    "Question about {thing}",
    "Shipping delay for order #{n}",
    "Integrating {product} with {product2}",
    "Wrong VAT on invoice INV-{n}",
    "Summarise {thing} for Q{q}",
    "Cancel my subscription",
    "Two-factor codes not accepted",
    "Bulk delete {thing}?",
    "Translate the onboarding guide to Spanish",
    "Why was I charged twice?",
    "Set up {product} for a team of {small}",
    "Draft a reply to a customer complaint",
    "Data retention policy for {thing}",
    "API rate limit exceeded on {product}",
    "Migrating {thing} from {product}",
    "Compare plans for {small} seats",
    "Explain this stack trace",
    "Regex to validate order numbers",
    "Schedule a demo next week",
    "Change the billing email",
    "Accessibility of {product}",
    "Dark mode in {product}?",
    "Webhook retries and idempotency",
    "Delivery address typo on order #{n}",
)

QUESTIONS = (
    "Hi! I'm trying to {verb} {thing} but {product} keeps showing an error. What am I missing?",
    "Can you walk me through how to {verb} {thing}? I've read the docs twice.",
    "Our team needs to {verb} {thing} every Monday. Is there a way to automate it?",
    "Quick one: does {product} support {thing}?",
    # the README's search example finds this one (refund "charged twice" card*)
    "I got charged twice on my card this month for order #{n}. Can I get a refund for one?",
    "What's the difference between the Starter and Pro plans for {small} people?",
    "Please summarise the attached {thing} in three bullet points.",
    "Why does {product} say my token expired right after I log in?",
)

VERBS = ("export", "import", "sync", "archive", "share", "filter", "merge", "back up")

QUOTES = (
    "Error: ECONNRESET while contacting upstream",
    "Your session has expired. Please sign in again.",
    "Payment of $49.00 failed: card_declined",
    "The file you uploaded exceeds the 25 MB limit.",
    "Sync paused: 3 conflicts need your attention",
)

MODELS = ("gpt-4.1", "gpt-4.1-mini", "gpt-5", "o4-mini", "gpt-4o")

TOOLS = (
    ("get_order_status", {"order_id": "ord_{n}"}),
    ("lookup_customer", {"email": "{user}", "include_orders": True}),
    ("create_ticket", {"priority": "high", "subject": "{title}"}),
    ("get_weather", {"city": "Lisbon", "units": "metric"}),
    ("search_docs", {"query": "{thing}", "top_k": 5}),
    ("refund_payment", {"payment_id": "pi_{n}", "amount_cents": 4900}),
)

NON_JSON_OUTPUTS = (
    "Error: upstream timed out after 30s",
    "OK",
    "<html><body>502 Bad Gateway</body></html>",
    "permission denied: scope orders:write required",
)

THOUGHTS = (
    "The user wants {thing}; I should check their plan first.",
    "Two possible causes: an expired token or a clock skew on the device.",
    "I need the order number before I can look anything up.",
    "This looks like a duplicate charge; check the payment provider.",
)

TASK_HEADINGS = (
    "Searching the knowledge base",
    "Looking up the order",
    "Checking account permissions",
    "Reading the attached file",
    "Drafting a reply",
    "Comparing plans",
)

LOCK_REASONS = (
    "Locked by an operator pending review",
    "Suspected abuse: too many messages",
    "Awaiting legal hold review",
    None,
)

CLOSE_REASONS = (
    "Resolved",
    "Closed after 30 days of inactivity",
    "Duplicate of an earlier conversation",
    "User requested closure",
    None,
)

ANSWER_INTROS = (
    "Sure — here's how to {verb} {thing}:",
    "Good question. Short answer: **yes**, with a couple of caveats.",
    "I checked your account. Here's what I found:",
    "Thanks for the details! Let's fix this step by step.",
    "Here is a summary of {thing}:",
)

CODE_SNIPPETS = (
    (
        "python",
        "import httpx\n\nresp = httpx.get(\n    \"https://api.example.com/v1/{thing}\",\n"
        "    headers={{\"Authorization\": f\"Bearer {{token}}\"}},\n)\nresp.raise_for_status()\n"
        "print(resp.json()[\"data\"][:5])",
    ),
    ("bash", "curl -sS https://api.example.com/v1/orders/{n} \\\n"
             "  -H \"Authorization: Bearer $TOKEN\" | jq ."),
    ("json", "{{\n  \"order_id\": \"ord_{n}\",\n  \"status\": \"shipped\",\n  \"items\": 3\n}}"),
    ("sql", "SELECT id, total\nFROM invoices\nWHERE customer = 'cus_{n}'\n"
            "ORDER BY created_at DESC\nLIMIT 10;"),
    ("typescript", "const res = await fetch(`/api/{thing}?page=${{page}}`);\n"
                   "const body = await res.json();"),
)  # fmt: skip

URLS = (
    "https://help.example.com/articles/exporting-data",
    "https://status.example.com/incidents/42",
    "https://docs.example.com/api/rate-limits",
    "https://en.wikipedia.org/wiki/Idempotence",
    "https://example.com/pricing",
)

FILES = (
    ("invoice-2025-09.pdf", "application/pdf"),
    ("screenshot.png", "image/png"),
    ("export.csv", "text/csv"),
    ("error-log.txt", "text/plain"),
    ("contract_v3.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("photo of the receipt.jpg", "image/jpeg"),
)

# Titles that look like markup or carry terminal escapes: a UI must show them literally.
HOSTILE_TITLES = (
    "[bold]x[/] is not bold",
    "[@click=app.quit]Click to quit[/]",
    "\x1b[31mred alert\x1b[0m and a bell\x07",
    "[red]Warning[/red] — unclosed [b",
    "Tabs\tand\nnewlines in a title",
    "Right-to-left \u202eolleh\u202c and emoji 🧵",
)
