"""Fake OpenAI and Gemini servers (tests/servers/ai_apis.py) and workspaces that use them."""

from __future__ import annotations

import pytest

from ai.models import AISettings, ProviderKey
from tests.servers.ai_apis import FakeGemini, FakeOpenAI

OPENAI_KEY = "sk-test-alice-0123456789abcdef"


@pytest.fixture
def quick_ai(settings):
    settings.AI_TIMEOUT_SECONDS = 0.5
    settings.AI_RETRY_BUDGET_SECONDS = 5
    settings.AI_MAX_ATTEMPTS = 3


@pytest.fixture
def fake_openai(settings, quick_ai):
    server = FakeOpenAI().start()
    settings.OPENAI_BASE_URL = f"{server.url}/v1"
    yield server
    server.stop()


@pytest.fixture
def fake_gemini(settings, quick_ai):
    server = FakeGemini().start()
    settings.GEMINI_BASE_URL = server.url
    settings.GEMINI_API_KEY = "platform-gemini-key"
    settings.GEMINI_MODEL = "gemini-2.5-flash"
    yield server
    server.stop()


@pytest.fixture
def openai_workspace(workspace_a, fake_openai):
    """Workspace A answered by its own OpenAI key, through the fake server."""
    AISettings.objects.create(workspace=workspace_a, provider=AISettings.Provider.OPENAI)
    ProviderKey.objects.create(workspace=workspace_a, provider="openai", secret=OPENAI_KEY)
    return workspace_a


@pytest.fixture
def gemini_workspace(workspace_a, fake_gemini):
    """Workspace A on the built-in provider, with the operator's Gemini key set."""
    return workspace_a
