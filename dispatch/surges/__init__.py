"""Surges (未诉先办): many similar requests from one place and channel in a short time.

- `models.py`: `Surge` (the group, the rule's numbers, its state) and
  `SurgeMember` (a request belongs to at most one surge: a database invariant);
- `rule.py`: the statistical rule and the grouping, pure functions;
- `services.py`: `surges_detect` (beat, `manage.py detect_surges`);
- `handling.py`: a supervisor's answer, `surge_merge` (并单 through the workflow)
  and `surge_dismiss`;
- `selectors.py`: what the dashboard and the admin read.

Board's 我也遇到 joins reach the rule through `dispatch.joins` (a registry the board
fills; dispatch never imports it).

The models are imported by `dispatch.models`, so they belong to the `dispatch` app.
This package's `__init__` imports nothing, so `dispatch.models` can import
`dispatch.surges.models` without a cycle.
"""
