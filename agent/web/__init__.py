"""The web API's parts: guard, health, request bodies, personal routes, services, SSE stream."""
