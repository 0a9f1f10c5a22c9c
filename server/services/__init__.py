"""The use cases, one module per family, under every edge (HTTP routes, WebSocket feeds, jobs).

A service takes the app's context (server/context.py) and plain arguments, enforces the rules,
and raises DomainError subclasses (server/domain/errors.py); it knows nothing of HTTP. Routes in
server/api parse, authorise, call one service and shape the answer; server/hub, server/agents,
server/jobs and server/reports call services and never import server/api.
"""
