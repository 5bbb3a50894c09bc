"""gunicorn settings shared by `make run`, the Procfile and production: the access log is scrubbed.

Use it with `gunicorn -c helpdesk/gunicorn_conf.py helpdesk.wsgi`; the command line's own
options (bind, workers) still apply. See requests_app/logscrub.py for what is taken out.
"""

logger_class = "requests_app.logscrub.GunicornLogger"
