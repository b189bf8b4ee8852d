"""The orchestrator core: graph wiring, state, models, trace, deps, settings, engine, memory."""
