"""Session personas: `admin` (the workspace admin key), two agents with keys of their own
(`pilot`, and `copilot` beside it), and `outsider` (an admin of another workspace)."""

import pytest

from memory import identity


def _agent_client(sdk, workspace, name):
    agent = identity.create_agent(workspace=workspace, name=name)
    client = sdk(identity.issue_api_key(workspace=workspace, name=f"{name} key", agent=agent).secret)
    client.agent = agent
    return client


@pytest.fixture
def pilot(sdk, workspace):
    """An agent with its own key."""
    return _agent_client(sdk, workspace, "pilot")


@pytest.fixture
def copilot(sdk, workspace):
    """Another agent of the same workspace, with its own key."""
    return _agent_client(sdk, workspace, "copilot")
