"""The staff admin of the back office, one module per part of the work.

- `helprequest.py`: the request admin (worklist, action view, bulk hand-over, exports), with its
  `filters.py` and read-only `inlines.py`;
- `dashboard.py`: the supervisors' dashboard, served under the request admin's URLs;
- `clock.py`: the 督办 (late) queue and the notification outbox;
- `records.py`: hand-overs, extension requests, the contact-access audit;
- `surge.py`: surges (未诉先办): the list, a surge's members and 并单;
- `reference.py`: channels, districts, units;
- `routing.py`: the 权责清单, the routing record, and the 交单/列单 suggestions the request page shows;
- `base.py`: the scoping every list of request records shares (`dispatch.access`).

Importing this package registers them all (Django's admin autodiscover imports it).
"""

from . import clock, helprequest, records, reference, routing, surge

__all__ = ["clock", "helprequest", "records", "reference", "routing", "surge"]
