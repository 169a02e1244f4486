"""One chat completion from any OpenAI-compatible server (OpenAI, Azure, vLLM, Ollama, llama.cpp
server…), streamed, through the `openai` package.

Configured by LLM_BASE_URL, LLM_API_KEY, LLM_MODEL and LLM_TIMEOUT_SECONDS. A client is made for
each answer: it is cheap, and nothing a request depends on lives in the process. Every failure
(refused, timed out, an HTTP error, a malformed stream) becomes `ModelFailed`, whose message says
what happened in words safe to log: never the key, never the server's body.
"""

import time

import openai
from django.conf import settings


class ModelFailed(Exception):
    """The model server did not give an answer; str() is safe to log."""


def configured():
    return bool(settings.LLM_BASE_URL)


def stream_completion(messages, usage):
    """Yield the answer's text as the server streams it, within LLM_TIMEOUT_SECONDS in all (a
    server that trickles tokens forever is cut off too). Fills `usage` (a dict) with
    `prompt_tokens` and `completion_tokens` when the server reports them."""
    timeout = settings.LLM_TIMEOUT_SECONDS
    deadline = time.monotonic() + timeout
    client = openai.OpenAI(
        base_url=settings.LLM_BASE_URL,
        api_key=settings.LLM_API_KEY or "none",  # local servers need none; the client insists on one
        timeout=timeout,
        max_retries=0,  # a person is waiting: the passages answer at once instead
    )
    try:
        stream = client.chat.completions.create(
            model=settings.LLM_MODEL, messages=messages, stream=True, stream_options={"include_usage": True}
        )
        with stream:
            for chunk in stream:
                if time.monotonic() > deadline:
                    raise ModelFailed(f"no complete answer within {timeout:g} seconds")
                if chunk.usage:
                    usage.update(prompt_tokens=chunk.usage.prompt_tokens, completion_tokens=chunk.usage.completion_tokens)
                for choice in chunk.choices:
                    if choice.delta and choice.delta.content:
                        yield choice.delta.content
    except ModelFailed:
        raise
    except openai.APITimeoutError:
        raise ModelFailed(f"timed out after {timeout:g} seconds") from None
    except openai.APIStatusError as error:
        raise ModelFailed(f"HTTP {error.status_code}") from None
    except openai.APIConnectionError:
        raise ModelFailed("could not connect") from None
    except Exception as error:  # a malformed stream, whatever the server sent: the passages answer instead
        raise ModelFailed(f"unusable response ({type(error).__name__})") from None
