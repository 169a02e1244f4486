"""What operators see of a running Pivra: request ids, logs, metrics, error reports.

At the bottom of the import order: it knows nothing of Pivra's apps, which call into it (an
authentication names the request's account, a throttle counts a refusal).
"""
