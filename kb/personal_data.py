"""The knowledge base in the inventory of personal data (requests_app.personal_data).

An answer is public text: drafting one from a request passes the request's
words through `requests_app.redact.text_redact`, and a person approves it
before it is published. A 直办 record holds an answer, a channel and a time:
nothing about the citizen. Redirect rules name other hotlines, not people.
"""

from __future__ import annotations

from requests_app.personal_data import inventory_declare_not_personal

inventory_declare_not_personal(
    "kb.RedirectRule.name",
    "kb.RedirectRule.phone",
    reason="a redirect rule's title and the public number of another hotline (12315), not a person's",
)
