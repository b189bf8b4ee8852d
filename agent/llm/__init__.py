"""The LLM layer: OpenAI-protocol client, request budget, local llama.cpp server, writer."""
