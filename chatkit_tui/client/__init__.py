"""The typed async ChatKit client. Never imports Textual.

from chatkit_tui.client import AsyncChatKit

async with AsyncChatKit() as client:
    thread = await client.threads.retrieve("cthr_123")
"""

from chatkit_tui.client.client import AsyncChatKit
from chatkit_tui.client.pages import AsyncPager
from chatkit_tui.client.retries import RetryPolicy

__all__ = ["AsyncChatKit", "AsyncPager", "RetryPolicy"]
