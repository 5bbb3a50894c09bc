"""The Open311 GeoReport v2 API (`/open311/v2/`): other systems read and submit requests.

Part of the citizen side: it builds on `requests_app` only and never imports
`dispatch`. What it publishes is what the public progress page shows, never
personal data (name, phone, address, the free text).
"""
