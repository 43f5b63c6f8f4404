"""The typed async ChatKit client. Never imports Textual."""
