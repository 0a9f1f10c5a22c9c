"""The manager's dashboard (督查看板, /dashboard/{hall}): live queues and counters, alerts, reports."""
