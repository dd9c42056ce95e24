"""gunicorn settings of a web node (ops/systemd/posko-web.service; the topology test starts its
nodes with the unit's command). Everything a machine changes comes from the environment."""

import os

bind = os.environ.get("POSKO_BIND", "127.0.0.1:8001")
# gunicorn reads WEB_CONCURRENCY itself too; 2-4 sync workers per core.
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 30
# The proxy on the same machine (nginx) sets X-Forwarded-*; TRUSTED_PROXY_COUNT in the app.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# No access log from gunicorn: the app writes one JSON line per request with its request id and
# the path without its query string (lbk/logs.py); gunicorn's would print query strings.
accesslog = None
errorlog = "-"
# gunicorn 25+ opens a control socket at one fixed path per user (~/.gunicorn/gunicorn.ctl):
# two nodes on one machine would share it. Nothing here uses it (reload: SIGHUP).
control_socket_disable = True
