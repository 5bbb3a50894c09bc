"""The back office: units, the workflow, deadlines, notifications. Builds on requests_app."""
