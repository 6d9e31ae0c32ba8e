"""The optional LLM backend over any OpenAI-compatible chat API (OpenAI, Azure OpenAI, Ollama,
vLLM, llama.cpp server): `client` (HTTP), `prompts` (passages as fenced data), `grounding`
(only cited, supported sentences survive) and `writer` (the `ProseWriter` for drafting).
The `ask` answerer built on them is `assistant.answering.llm.LLMAnswerer`."""

from .client import ChatClient, chat_url
from .grounding import ground
from .writer import LLMWriter

__all__ = ["ChatClient", "LLMWriter", "chat_url", "ground"]
