"""Tessera's orchestrator: state, graph wiring, nodes, LLM client and memory."""
