"""Notifications: what Accord tells people (inbox and e-mail) and partner systems (webhooks).

Every place that tells someone something calls :func:`accord.notifications.services.notify`.
"""
