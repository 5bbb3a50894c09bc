"""The 问政 board: consented requests staff approved, in public, with 我也遇到 and feeds.

Builds on dispatch (the outbox, staff scopes, text similarity) and requests_app (the
request, the one public view, the consent and the approved text); neither imports it.
"""
